use super::grants::{self, RBAC_GROUP};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, Object, ObjectRef};
use kubeward_rbac::{Binding, Engine, RoleKey, RoleKind, Subject};

declare_rule! {
    /// ## What it does
    /// Reports a ClusterRoleBinding or RoleBinding whose `roleRef` is the ClusterRole
    /// `cluster-admin`, or a ClusterRole whose effective rules (its own, or those it
    /// aggregates) grant `*` verbs on `*` resources in `*` API groups (the same power under
    /// another name), for any subject other than the `system:masters` group. A ServiceAccount
    /// subject without namespace is named in the binding's namespace. `related` names the
    /// bound ClusterRole.
    ///
    /// Severity is critical for a ClusterRoleBinding (the whole cluster) and high for a
    /// RoleBinding (full control of one namespace, including its Secrets and the right to
    /// create any pod there).
    ///
    /// ## Why it matters
    /// `cluster-admin` can do anything, including reading every Secret, running privileged
    /// pods on every node and granting itself any other identity. A service account bound
    /// to it turns the compromise of one pod (or one leaked token) into the compromise of
    /// the cluster. Operators installed with `cluster-admin` for convenience are the usual
    /// case.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: ci-admin}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
    /// subjects:
    /// - {kind: ServiceAccount, name: ci, namespace: ci}
    /// ```
    ///
    /// ## Fix
    /// Bind a role that lists the permissions the subject needs. Keep `cluster-admin` for
    /// break-glass human access through `system:masters` credentials held offline.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.1 "Ensure that the cluster-admin role is only used where required"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1078 Valid Accounts; T1098.006 Additional Container
    ///   Cluster Roles
    /// - kube-linter `cluster-admin-role-binding`
    pub struct RbacClusterAdminBinding {
        name: "rbac-cluster-admin-binding",
        domain: Rbac,
        severity: Critical,
        summary: "Binding grants cluster-admin (or an equivalent ClusterRole) to a subject",
    }
}

/// Whether the ClusterRole `name` is `cluster-admin` or a ClusterRole whose effective rules
/// hold a `*`/`*`/`*` rule.
fn is_admin_role(engine: &Engine, name: &str) -> bool {
    if name == "cluster-admin" {
        return true;
    }
    let all = |v: &[String]| v.iter().any(|x| x == "*");
    engine
        .effective_rules(&RoleKey::cluster(name))
        .iter()
        .any(|e| all(&e.rule.verbs) && all(&e.rule.resources) && all(&e.rule.api_groups))
}

/// The binding's subjects as the engine reads them (a ServiceAccount without namespace is
/// in the binding's namespace), without `system:masters`.
fn subject_texts(binding: &Binding) -> Vec<String> {
    binding
        .subjects
        .iter()
        .filter(|(_, s)| *s != Subject::group("system:masters"))
        .map(|(_, s)| s.display())
        .collect()
}

impl RbacClusterAdminBinding {
    fn check_binding(
        &self,
        cx: &Context<'_>,
        engine: &Engine,
        binding: &Binding,
        b: &Object,
        out: &mut Vec<Finding>,
    ) {
        if binding.role.kind != RoleKind::ClusterRole {
            return;
        }
        let role_name = binding.role.name.as_str();
        if !is_admin_role(engine, role_name) {
            return;
        }
        let subjects = subject_texts(binding);
        if subjects.is_empty() {
            return;
        }
        let (severity, scope) = if b.kind() == "ClusterRoleBinding" {
            (Severity::Critical, "on the whole cluster".to_string())
        } else {
            (
                Severity::High,
                format!(
                    "on namespace {}",
                    effective_namespace(b).unwrap_or("default")
                ),
            )
        };
        let equivalent = if role_name == "cluster-admin" {
            ""
        } else {
            " (equivalent to cluster-admin)"
        };
        let message = format!(
            "{} grants ClusterRole \"{role_name}\"{equivalent} {scope} to {}",
            b.kind(),
            crate::finding::bounded_list(&subjects)
        );
        let mut f = Finding::new(
            Self::META.name,
            severity,
            cx.snapshot,
            b,
            &FieldPath::root().key("roleRef").key("name"),
            message,
            "Bind a least-privilege role listing only the permissions these subjects need.",
        );
        f.related
            .push(match cx.index.get("ClusterRole", None, role_name) {
                Some(r) => r.oref.clone(),
                None => ObjectRef {
                    api_version: format!("{RBAC_GROUP}/v1"),
                    kind: "ClusterRole".into(),
                    namespace: None,
                    name: role_name.into(),
                },
            });
        out.push(f);
    }
}

impl Rule for RbacClusterAdminBinding {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for binding in engine.bindings() {
            let Some(id) = binding.object else { continue };
            self.check_binding(cx, engine, binding, cx.snapshot.object(id), out);
        }
    }
}
