//! Helpers shared by the workload rules: field paths, container labels, token automount.

use crate::finding::{Finding, Severity};
use crate::rule::{Context, RuleMeta};
use kubeward_model::{
    effective_namespace, Container, ContainerKind, FieldPath, Index, Node, Object, PodTemplate,
};

/// The longest prefix of `path` that exists in `obj`: findings point at the offending field, or
/// at its closest parent when the field is missing.
pub(crate) fn existing(obj: &Object, path: &FieldPath) -> FieldPath {
    obj.root.existing_prefix(path)
}

/// A finding on the workload of `t` at `rel` (relative to its pod spec; truncated to the closest
/// existing field).
pub(crate) fn finding(
    meta: &'static RuleMeta,
    severity: Severity,
    cx: &Context<'_>,
    t: &PodTemplate<'_>,
    rel: &FieldPath,
    message: impl Into<String>,
    remediation: impl Into<String>,
) -> Finding {
    let path = existing(t.object, &t.path(rel));
    Finding::new(
        meta.name,
        severity,
        cx.snapshot,
        t.object,
        &path,
        message,
        remediation,
    )
}

/// `container "web"`, `init container "setup"`, `ephemeral container "debug"`.
pub(crate) fn label(c: &Container<'_>) -> String {
    let what = match c.kind {
        ContainerKind::Init => "init container",
        ContainerKind::Regular => "container",
        ContainerKind::Ephemeral => "ephemeral container",
    };
    if c.name.is_empty() {
        format!("{what} #{}", c.index)
    } else {
        format!("{what} \"{}\"", c.name)
    }
}

/// Whether the pod declares `spec.os.name: windows` (Linux-only fields do not apply).
pub(crate) fn is_windows(t: &PodTemplate<'_>) -> bool {
    t.spec.at(&["os", "name"]).and_then(Node::as_str) == Some("windows")
}

/// Whether the template has any container (patch fragments without containers are skipped by
/// pod-level rules).
pub(crate) fn has_containers(t: &PodTemplate<'_>) -> bool {
    !t.containers().is_empty()
}

/// The namespace of the workload (`default` when unset).
pub(crate) fn namespace_of<'a>(t: &PodTemplate<'a>) -> &'a str {
    effective_namespace(t.object).unwrap_or("default")
}

/// Where the decision to mount a service-account token comes from.
pub(crate) enum Automount<'a> {
    /// The pod sets `automountServiceAccountToken: false`.
    PodFalse,
    /// The pod sets `automountServiceAccountToken: true` (overrides its ServiceAccount).
    PodTrue,
    /// The pod leaves it unset and its ServiceAccount (in the input) sets it to false.
    AccountFalse,
    /// Neither opts out: the token is mounted. The ServiceAccount when it is in the input.
    Default(Option<&'a Object>),
}

impl Automount<'_> {
    pub(crate) fn mounted(&self) -> bool {
        matches!(self, Automount::PodTrue | Automount::Default(_))
    }
}

/// Whether the API server mounts a service-account token into the pods of `t`: the pod's
/// `automountServiceAccountToken` wins; when unset, its ServiceAccount's; when both are unset, yes.
pub(crate) fn automount<'a>(index: &Index<'a>, t: &PodTemplate<'a>) -> Automount<'a> {
    match t.spec.bool_at("automountServiceAccountToken") {
        Some(false) => Automount::PodFalse,
        Some(true) => Automount::PodTrue,
        None => {
            let sa = index.get("ServiceAccount", Some(namespace_of(t)), t.service_account());
            match sa {
                Some(sa) if sa.root.bool_at("automountServiceAccountToken") == Some(false) => {
                    Automount::AccountFalse
                }
                sa => Automount::Default(sa),
            }
        }
    }
}

/// Whether a RoleBinding or ClusterRoleBinding in the input names ServiceAccount `name` of
/// `namespace` as a subject: the workload is then taken to call the API with its token. A
/// RoleBinding's ServiceAccount subject without a namespace is read as the binding's own.
pub(crate) fn account_is_bound(index: &Index<'_>, namespace: &str, name: &str) -> bool {
    index.is_bound_service_account(namespace, name)
}
