//! What a Role or ClusterRole grants, read through the RBAC engine (`kubeward-rbac`): the
//! rules see a role's effective rules (its own and those it aggregates), the API server's
//! matching (wildcards, `*/sub`, `resourceNames`) and its scope (cluster-scoped resources in a
//! namespaced Role, or in a ClusterRole the input binds only through RoleBindings, grant
//! nothing).

use kubeward_model::index::BUILTIN_API_GROUPS as BUILTIN_GROUPS;
use kubeward_model::{FieldPath, Node, Object};
use kubeward_rbac::{is_cluster_scoped, BindingKind, Engine, PolicyRule, Role, RoleKey, RoleKind};

/// The RBAC API group.
pub use kubeward_rbac::RBAC_GROUP;

/// The engine of the input's RBAC objects, with Kubernetes' default roles and bindings:
/// built once per scan and shared by the RBAC rules ([`crate::rule::Context::rbac`]).
pub fn engine<'c>(cx: &'c crate::rule::Context<'_>) -> &'c Engine {
    cx.rbac()
}

/// Builds the engine of an index's RBAC objects.
pub(crate) fn engine_of(index: &kubeward_model::Index<'_>) -> Engine {
    let objects: Vec<&Object> = ["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"]
        .iter()
        .flat_map(|k| index.of_kind(k))
        .collect();
    Engine::from_objects(&objects, kubeward_rbac::Options::default())
}

/// One entry of a role's `rules`, as written (the wildcard rule judges the text).
pub struct RuleEntry<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub api_groups: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub verbs: Vec<&'a str>,
}

/// How a grant was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The verb and resource are named explicitly.
    Explicit,
    /// A `*` (or `*/sub`) in verbs, resources or apiGroups matched.
    Wildcard,
}

fn strings<'a>(node: &'a Node, key: &str) -> Vec<&'a str> {
    node.get(key)
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

impl RuleEntry<'_> {
    /// Path of one of this entry's lists (`verbs`, `resources`, `apiGroups`).
    pub fn field(&self, key: &str) -> FieldPath {
        FieldPath::root().key("rules").index(self.index).key(key)
    }

    /// Whether the entry reaches a built-in API group (or every group), rather than only
    /// the groups of custom resources.
    pub fn reaches_builtin_groups(&self) -> bool {
        self.api_groups
            .iter()
            .any(|g| *g == "*" || BUILTIN_GROUPS.contains(g))
    }
}

/// Whether this object is a Role or ClusterRole.
pub fn is_role(obj: &Object) -> bool {
    matches!(obj.kind(), "Role" | "ClusterRole") && obj.oref.group() == RBAC_GROUP
}

/// The `rules` entries of a Role or ClusterRole, as written.
pub fn rule_entries(obj: &Object) -> Vec<RuleEntry<'_>> {
    obj.root
        .get("rules")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .enumerate()
        .map(|(index, node)| RuleEntry {
            index,
            node,
            api_groups: strings(node, "apiGroups"),
            resources: strings(node, "resources"),
            verbs: strings(node, "verbs"),
        })
        .collect()
}

/// Every Role and ClusterRole of the input.
pub fn roles<'s>(cx: &crate::rule::Context<'s>) -> impl Iterator<Item = &'s Object> + 's {
    let index = cx.index;
    index
        .of_kind("Role")
        .chain(index.of_kind("ClusterRole"))
        .filter(|o| is_role(o))
}

/// `ClusterRole "x"` / `Role "ns/x"` for messages.
pub fn describe(obj: &Object) -> String {
    match obj.kind() {
        "ClusterRole" => format!("ClusterRole \"{}\"", obj.name()),
        _ => format!(
            "Role \"{}\" (namespace {})",
            obj.name(),
            kubeward_model::effective_namespace(obj).unwrap_or("default")
        ),
    }
}

/// What a role's scope means for a grant, for messages.
pub fn scope(engine: &Engine, obj: &Object) -> &'static str {
    if obj.kind() != "ClusterRole" {
        "in its namespace"
    } else if bound_only_in_namespaces(engine, obj) {
        "(bound only through RoleBindings: in their namespaces)"
    } else {
        "(cluster-wide through a ClusterRoleBinding, or in one namespace through a RoleBinding)"
    }
}

/// Whether the input binds this ClusterRole, and only through RoleBindings: its rights on
/// cluster-scoped resources then have no effect.
pub fn bound_only_in_namespaces(engine: &Engine, obj: &Object) -> bool {
    let key = RoleKey::cluster(obj.name());
    let mut any = false;
    for b in engine.bindings_of(&key) {
        if b.kind == BindingKind::ClusterRoleBinding {
            return false;
        }
        any = true;
    }
    any
}

/// One permission a role grants that a rule looks for.
pub struct Hit<'e> {
    pub rule: &'e PolicyRule,
    /// The role the rule is written in (another ClusterRole when aggregated).
    pub source: &'e Role,
    /// Index of the rule in the source's `rules`.
    pub index: usize,
    pub aggregated: bool,
    pub verb: &'static str,
    pub resource: &'static str,
    pub how: Match,
}

impl Hit<'_> {
    /// Where to report it in the role: the rule, or `aggregationRule` for an aggregated one.
    pub fn path(&self) -> FieldPath {
        if self.aggregated {
            FieldPath::root().key("aggregationRule")
        } else {
            FieldPath::root().key("rules").index(self.index)
        }
    }

    /// Whether `resourceNames` limits the rule to named objects.
    pub fn restricted_by_name(&self) -> bool {
        !self.rule.resource_names.is_empty()
    }
}

/// A permission to look for: the groups a resource lives in, the resource, the verbs.
pub struct Probe {
    pub groups: &'static [&'static str],
    pub resource: &'static str,
    pub verbs: &'static [&'static str],
}

/// The engine's key of a role object.
pub fn key(obj: &Object) -> RoleKey {
    match obj.kind() {
        "ClusterRole" => RoleKey::cluster(obj.name()),
        _ => RoleKey::namespaced(
            kubeward_model::effective_namespace(obj).unwrap_or("default"),
            obj.name(),
        ),
    }
}

/// Every (rule, verb, resource) of `role`'s effective rules that one of the probes matches.
/// Cluster-scoped targets are skipped in a Role and in a ClusterRole the input binds only
/// through RoleBindings.
pub fn find<'e>(engine: &'e Engine, role: &Object, probes: &[Probe]) -> Vec<Hit<'e>> {
    let key = key(role);
    let namespaced = key.kind == RoleKind::Role || bound_only_in_namespaces(engine, role);
    // this object's rules (objects of the same name in several files each have theirs)
    let rules = engine.effective_rules_of_object(role.id);
    let mut out = Vec::new();
    for er in &rules {
        for p in probes {
            let (resource, sub) = match p.resource.split_once('/') {
                Some((r, s)) => (r, Some(s)),
                None => (p.resource, None),
            };
            for verb in p.verbs {
                let matched: Vec<&str> = p
                    .groups
                    .iter()
                    .copied()
                    .filter(|g| !(namespaced && is_cluster_scoped(verb, g, resource)))
                    .filter(|g| er.rule.grants_resource(verb, g, resource, sub))
                    .collect();
                if matched.is_empty() {
                    continue;
                }
                let wildcard = matched
                    .iter()
                    .all(|g| er.rule.matched_by_wildcard(verb, g, resource, sub));
                out.push(Hit {
                    rule: er.rule,
                    source: er.source,
                    index: er.index,
                    aggregated: er.aggregated,
                    verb,
                    resource: p.resource,
                    how: if wildcard {
                        Match::Wildcard
                    } else {
                        Match::Explicit
                    },
                });
            }
        }
    }
    out
}

/// `create pods, deployments; get secrets`: the distinct grants of some hits, in order.
pub fn summarize(hits: &[Hit<'_>]) -> String {
    let mut pairs: Vec<(&str, Vec<&str>)> = Vec::new();
    for h in hits {
        match pairs.iter_mut().find(|(v, _)| *v == h.verb) {
            Some((_, res)) => {
                if !res.contains(&h.resource) {
                    res.push(h.resource)
                }
            }
            None => pairs.push((h.verb, vec![h.resource])),
        }
    }
    pairs
        .iter()
        .map(|(v, r)| format!("{v} {}", r.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

/// `" (through a wildcard)"` when every hit comes from a wildcard, and
/// `" (aggregated from ClusterRole \"x\")"` when every hit comes through aggregation.
pub fn wildcard_note(hits: &[Hit<'_>]) -> String {
    let mut note = String::new();
    if hits.iter().all(|h| h.how == Match::Wildcard) {
        note.push_str(" (through a wildcard)");
    }
    if hits.iter().all(|h| h.aggregated) {
        let mut names: Vec<String> = Vec::new();
        for h in hits {
            let n = format!("\"{}\"", h.source.key.name);
            if !names.contains(&n) {
                names.push(n);
            }
        }
        note.push_str(&format!(
            " (aggregated from ClusterRole {})",
            names.join(", ")
        ));
    }
    note
}
