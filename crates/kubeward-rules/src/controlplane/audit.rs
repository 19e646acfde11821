//! Evaluation of an audit `Policy` (`audit.k8s.io/v1`) as the API server evaluates it: rules
//! in order, the first that matches a request decides its level; `omitStages` of the rule and
//! of the policy drop stages. A rule limited to some users, groups, verbs, namespaces or
//! resource names matches only some requests: it never decides for every request, so a later
//! rule still matters for the others.

use crate::rule::Context;
use kubeward_model::{Node, Object};

/// Audit levels, in increasing detail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    None,
    Metadata,
    Request,
    RequestResponse,
}

impl Level {
    fn parse(s: &str) -> Option<Level> {
        match s {
            "None" => Some(Level::None),
            "Metadata" => Some(Level::Metadata),
            "Request" => Some(Level::Request),
            "RequestResponse" => Some(Level::RequestResponse),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "None",
            Level::Metadata => "Metadata",
            Level::Request => "Request",
            Level::RequestResponse => "RequestResponse",
        }
    }
}

/// The audit policies of the input.
pub fn policies<'a, 's>(cx: &'a Context<'s>) -> impl Iterator<Item = &'s Object> + 'a {
    cx.index
        .of_kind("Policy")
        .filter(|o| o.oref.api_version.starts_with("audit.k8s.io/"))
}

/// The stages every event goes through; omitting all of them records nothing.
const STAGES: &[&str] = &[
    "RequestReceived",
    "ResponseStarted",
    "ResponseComplete",
    "Panic",
];

fn strs(n: Option<&Node>) -> Vec<&str> {
    n.map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .collect()
}

/// One rule of a policy, as far as a request about `group`/`resource` goes.
pub struct RuleView<'a> {
    pub index: usize,
    pub level: Level,
    /// Limited to some users, groups, namespaces or resource names.
    pub conditional: bool,
    /// The verbs it is limited to (empty: every verb).
    pub verbs: Vec<&'a str>,
    /// Whether every stage is omitted (nothing is recorded).
    pub silent: bool,
}

/// Whether a resource pattern of a policy names `resource` (`pods`, `pods/exec`, `*`,
/// `pods/*`, `*/exec`).
fn resource_matches(pattern: &str, resource: &str) -> bool {
    if pattern == "*" || pattern == resource {
        return true;
    }
    let (base, sub) = resource.split_once('/').unwrap_or((resource, ""));
    match pattern.split_once('/') {
        Some((pb, "*")) => pb == base && !sub.is_empty(),
        Some(("*", ps)) => ps == sub,
        _ => false,
    }
}

/// The rules of a policy that match requests on `group`/`resource`, in order, each with what
/// limits it.
pub fn matching_rules<'a>(policy: &'a Object, group: &str, resource: &str) -> Vec<RuleView<'a>> {
    let policy_omit = strs(policy.root.get("omitStages"));
    let rules = policy.root.get("rules").map(Node::items).unwrap_or(&[]);
    let mut out = Vec::new();
    for (index, r) in rules.iter().enumerate() {
        let Some(level) = r.str_at("level").and_then(Level::parse) else {
            continue;
        };
        let resources = r.get("resources").map(Node::items).unwrap_or(&[]);
        let mut names_limited = false;
        let matches = if resources.is_empty() {
            strs(r.get("nonResourceURLs")).is_empty()
        } else {
            resources.iter().any(|gr| {
                let g = gr.str_at("group").unwrap_or("");
                let rs = strs(gr.get("resources"));
                let hit = (g == group || g == "*")
                    && (rs.is_empty() || rs.iter().any(|p| resource_matches(p, resource)));
                if hit && !strs(gr.get("resourceNames")).is_empty() {
                    names_limited = true;
                }
                hit
            })
        };
        if !matches {
            continue;
        }
        let mut omit = policy_omit.clone();
        omit.extend(strs(r.get("omitStages")));
        out.push(RuleView {
            index,
            level,
            conditional: names_limited
                || ["users", "userGroups", "namespaces"]
                    .iter()
                    .any(|k| !strs(r.get(k)).is_empty()),
            verbs: strs(r.get("verbs")),
            silent: STAGES.iter().all(|s| omit.contains(s)),
        });
    }
    out
}

/// The level a request (`verb` on `group`/`resource`) from any user gets: the first rule
/// that matches it for every user decides; `None` when no rule does. Also says whether some
/// earlier, limited rule records it for some users only.
pub fn level_for_everyone(rules: &[RuleView<'_>], verb: &str) -> (Level, Option<usize>) {
    for r in rules {
        if !(r.verbs.is_empty() || r.verbs.contains(&verb)) || r.conditional {
            continue;
        }
        let level = if r.silent { Level::None } else { r.level };
        return (level, Some(r.index));
    }
    (Level::None, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::load_str;

    #[test]
    fn first_match_wins_and_limited_rules_do_not_decide() {
        let s = load_str(
            "p.yaml",
            "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  users: [admin]\n  resources: [{group: \"\", resources: [\"pods/*\"]}]\n- level: None\n  verbs: [get]\n- level: Metadata\n  resources: [{group: \"\", resources: [\"*/exec\"]}]\n  omitStages: [RequestReceived]\n- level: Request\n",
        );
        let p = &s.objects[0];
        let rules = matching_rules(p, "", "pods/exec");
        assert_eq!(rules.len(), 4);
        assert!(rules[0].conditional);
        assert_eq!(
            level_for_everyone(&rules, "create"),
            (Level::Metadata, Some(2))
        );
        assert_eq!(level_for_everyone(&rules, "get"), (Level::None, Some(1)));
        let rbac = matching_rules(p, "rbac.authorization.k8s.io", "roles");
        assert_eq!(
            level_for_everyone(&rbac, "create"),
            (Level::Request, Some(3))
        );
        assert!(resource_matches("pods/*", "pods/attach"));
        assert!(!resource_matches("pods/*", "pods"));
        assert!(!resource_matches("pods", "pods/exec"));
    }
}
