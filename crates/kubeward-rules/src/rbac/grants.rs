//! Reading the `rules` of Roles and ClusterRoles: which (group, resource, verb) a rule entry
//! grants, with RBAC wildcard semantics.
//!
//! This is a per-role reading only: bindings and aggregated ClusterRoles are not resolved here
//! (that is the job of an effective-permission engine).

use kubeward_model::index::BUILTIN_API_GROUPS as BUILTIN_GROUPS;
use kubeward_model::{FieldPath, Node, Object};

/// The RBAC API group.
pub const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// One entry of a role's `rules`.
pub struct RuleEntry<'a> {
    pub index: usize,
    pub node: &'a Node,
    pub api_groups: Vec<&'a str>,
    pub resources: Vec<&'a str>,
    pub verbs: Vec<&'a str>,
    pub resource_names: Vec<&'a str>,
}

/// How a grant was matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Match {
    /// The verb and resource are named explicitly.
    Explicit,
    /// A `*` (or `resource/*`) in verbs, resources or apiGroups matched.
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

impl<'a> RuleEntry<'a> {
    /// Path of this entry relative to the role's root.
    pub fn path(&self) -> FieldPath {
        FieldPath::root().key("rules").index(self.index)
    }

    /// Path of one of this entry's lists (`verbs`, `resources`, `apiGroups`).
    pub fn field(&self, key: &str) -> FieldPath {
        self.path().key(key)
    }

    /// Whether the entry grants `verb` on `resource` (which may be `pods/exec`) in one of
    /// `groups`. Returns how it matched.
    pub fn grants(&self, groups: &[&str], resource: &str, verb: &str) -> Option<Match> {
        let mut wild = false;
        let group_ok = self.api_groups.iter().any(|g| {
            if *g == "*" {
                wild = true;
                true
            } else {
                groups.contains(g)
            }
        });
        if !group_ok {
            return None;
        }
        let mut res_wild = false;
        let res_ok = self
            .resources
            .iter()
            .any(|r| match resource_match(r, resource) {
                Some(Match::Explicit) => true,
                Some(Match::Wildcard) => {
                    res_wild = true;
                    true
                }
                None => false,
            });
        if !res_ok {
            return None;
        }
        let mut verb_wild = false;
        let verb_ok = self.verbs.iter().any(|v| {
            if *v == "*" {
                verb_wild = true;
                true
            } else {
                *v == verb
            }
        });
        if !verb_ok {
            return None;
        }
        // A wildcard only counts as "the" reason when no explicit entry matched: a rule that
        // lists `secrets` and `*` in resources is reported as explicit.
        let explicit_res = self.resources.contains(&resource);
        let explicit_verb = self.verbs.contains(&verb);
        let explicit_group = groups.iter().any(|g| self.api_groups.contains(g));
        if (res_wild && !explicit_res) || (verb_wild && !explicit_verb) || (wild && !explicit_group)
        {
            Some(Match::Wildcard)
        } else {
            Some(Match::Explicit)
        }
    }

    /// Whether `resourceNames` restricts the entry to named objects.
    pub fn restricted_by_name(&self) -> bool {
        !self.resource_names.is_empty()
    }
}

/// Whether a `resources` item matches a requested `resource` (or `resource/subresource`).
fn resource_match(item: &str, wanted: &str) -> Option<Match> {
    if item == wanted {
        return Some(Match::Explicit);
    }
    if item == "*" {
        return Some(Match::Wildcard);
    }
    let (want_res, want_sub) = match wanted.split_once('/') {
        Some((r, s)) => (r, Some(s)),
        None => (wanted, None),
    };
    if let (Some((res, sub)), Some(want_sub)) = (item.split_once('/'), want_sub) {
        // `pods/*` matches every subresource of pods, `*/exec` the `exec` subresource of
        // every resource.
        if (res == want_res && sub == "*") || (res == "*" && sub == want_sub) {
            return Some(Match::Wildcard);
        }
    }
    None
}

impl RuleEntry<'_> {
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

/// The `rules` entries of a Role or ClusterRole.
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
            resource_names: strings(node, "resourceNames"),
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

/// Every ClusterRoleBinding and RoleBinding of the RBAC API group in the input.
pub fn bindings<'s>(cx: &crate::rule::Context<'s>) -> impl Iterator<Item = &'s Object> + 's {
    let index = cx.index;
    index
        .of_kind("ClusterRoleBinding")
        .chain(index.of_kind("RoleBinding"))
        .filter(|b| b.oref.group() == RBAC_GROUP)
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
pub fn scope(obj: &Object) -> &'static str {
    if obj.kind() == "ClusterRole" {
        "(cluster-wide through a ClusterRoleBinding, or in one namespace through a RoleBinding)"
    } else {
        "in its namespace"
    }
}

/// One permission a role grants that a rule looks for.
pub struct Hit<'e, 'a> {
    pub entry: &'e RuleEntry<'a>,
    pub verb: &'static str,
    pub resource: &'static str,
    pub how: Match,
}

/// A permission to look for: the groups a resource lives in, the resource, the verbs.
pub struct Probe {
    pub groups: &'static [&'static str],
    pub resource: &'static str,
    pub verbs: &'static [&'static str],
}

/// Resources the probes look for that are not namespaced: a namespaced Role that lists
/// them grants nothing.
const CLUSTER_SCOPED_RESOURCES: &[&str] = &[
    "nodes",
    "nodes/proxy",
    "clusterroles",
    "users",
    "groups",
    "uids",
    "userextras",
];

/// Every (entry, verb, resource) of `role`'s `entries` that one of the probes matches.
pub fn find<'e, 'a>(
    role: &Object,
    entries: &'e [RuleEntry<'a>],
    probes: &[Probe],
) -> Vec<Hit<'e, 'a>> {
    let namespaced = role.kind() == "Role";
    let mut out = Vec::new();
    for entry in entries {
        for p in probes {
            if namespaced && CLUSTER_SCOPED_RESOURCES.contains(&p.resource) {
                continue;
            }
            for verb in p.verbs {
                if let Some(how) = entry.grants(p.groups, p.resource, verb) {
                    out.push(Hit {
                        entry,
                        verb,
                        resource: p.resource,
                        how,
                    });
                }
            }
        }
    }
    out
}

/// `create pods, deployments; get secrets`: the distinct grants of some hits, in order.
pub fn summarize(hits: &[Hit<'_, '_>]) -> String {
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

/// `" (through a wildcard)"` when every hit comes from a wildcard, else `""`.
pub fn wildcard_note(hits: &[Hit<'_, '_>]) -> &'static str {
    if hits.iter().all(|h| h.how == Match::Wildcard) {
        " (through a wildcard)"
    } else {
        ""
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subresource_wildcards() {
        assert_eq!(resource_match("pods/*", "pods/exec"), Some(Match::Wildcard));
        assert_eq!(resource_match("*/exec", "pods/exec"), Some(Match::Wildcard));
        assert_eq!(resource_match("pods/*", "pods"), None);
        assert_eq!(resource_match("pods", "pods/exec"), None);
        assert_eq!(resource_match("*", "pods/exec"), Some(Match::Wildcard));
    }
}
