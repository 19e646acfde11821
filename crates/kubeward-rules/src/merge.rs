//! One cause, one finding. Some problems are seen by several rules at once and have a single
//! fix: a pod that runs as the namespace's `default` service account *and* mounts its token,
//! a `*/*/*` role entry that is at the same time a wildcard, a secret reader, an exec grant
//! and a pod creator. Reporting each facet as its own finding buries the fix under repeats,
//! so after filtering the facets are folded into the primary finding of their cause.
//!
//! - A facet is merged when the primary finding exists on the same object and the same
//!   anchor: the same pod template for workload facets, the same `rules[N]` entry of a role
//!   for RBAC facets. The merged finding keeps the primary's rule, path and fingerprint, takes
//!   the highest severity, and lists the facets (rule, severity, path, message, fingerprint).
//! - Filtering runs on the raw findings first, so a baseline written before merging still
//!   matches every facet by its own fingerprint, and an annotation naming a facet's rule
//!   still suppresses that facet alone.
//! - Suppressing the primary (annotation, excluded namespace, baseline) suppresses the whole
//!   merged finding: its facets are listed as suppressed with the primary's reason.

use crate::filter::{Filtered, SuppressionReason};
use crate::finding::Facet;
use kubeward_model::{PodTemplate, Snapshot};
use std::collections::HashMap;

/// What anchors a facet to its primary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// The same pod template of the object.
    PodTemplate,
    /// The same entry (`rules[N]`) of a Role or ClusterRole.
    RoleRule,
    /// The same field of the object (a Service's `spec.type` that publishes the API).
    Field,
}

/// A primary rule and the rules whose findings are facets of the same cause.
#[derive(Clone, Copy, Debug)]
pub struct Merge {
    pub primary: &'static str,
    pub facets: &'static [&'static str],
    pub anchor: Anchor,
}

/// The merges kubeward applies.
pub const MERGES: &[Merge] = &[
    Merge {
        primary: "service-account-token-automount",
        facets: &["default-service-account"],
        anchor: Anchor::PodTemplate,
    },
    Merge {
        primary: "rbac-wildcard-permissions",
        facets: &[
            "rbac-secrets-access",
            "rbac-pod-exec",
            "rbac-create-pods",
            "rbac-patch-pods",
            "rbac-escalate-bind-impersonate",
            "rbac-webhook-configuration",
            "rbac-csr-approval",
            "rbac-persistent-volumes",
            "rbac-namespace-relabel",
        ],
        anchor: Anchor::RoleRule,
    },
    Merge {
        primary: "api-server-exposed",
        facets: &["service-load-balancer", "service-node-port"],
        anchor: Anchor::Field,
    },
];

/// The anchor of a finding path: the pod spec path of the template it lies in, or the role
/// entry `rules[N]`.
/// The pod spec paths of each object's templates, computed once per object.
type SpecPaths = std::cell::RefCell<HashMap<u32, std::rc::Rc<Vec<String>>>>;

fn anchor_of(
    snapshot: &Snapshot,
    cache: &SpecPaths,
    object_id: u32,
    path: &str,
    anchor: Anchor,
) -> String {
    match anchor {
        Anchor::Field => path.to_string(),
        Anchor::RoleRule => match path.find(']') {
            Some(end) if path.starts_with("rules[") => path[..=end].to_string(),
            _ => String::new(),
        },
        Anchor::PodTemplate => {
            let paths = cache
                .borrow_mut()
                .entry(object_id)
                .or_insert_with(|| {
                    std::rc::Rc::new(
                        snapshot
                            .objects
                            .get(object_id as usize)
                            .map(|obj| {
                                PodTemplate::all(obj)
                                    .into_iter()
                                    .map(|t| t.spec_path.to_string())
                                    .collect()
                            })
                            .unwrap_or_default(),
                    )
                })
                .clone();
            // one template (the usual case): the object is the anchor
            if paths.len() <= 1 {
                return String::new();
            }
            paths
                .iter()
                .filter(|sp| {
                    sp.is_empty()
                        || path == sp.as_str()
                        || path
                            .strip_prefix(sp.as_str())
                            .is_some_and(|rest| rest.starts_with(['.', '[']))
                })
                .max_by_key(|sp| sp.len())
                .cloned()
                .unwrap_or_default()
        }
    }
}

/// Folds facets into their primaries (see the module documentation).
pub fn merge(snapshot: &Snapshot, out: &mut Filtered) {
    let role = |rule: &str| -> Option<(usize, bool)> {
        MERGES.iter().enumerate().find_map(|(i, m)| {
            if m.primary == rule {
                Some((i, true))
            } else if m.facets.contains(&rule) {
                Some((i, false))
            } else {
                None
            }
        })
    };
    if !out
        .findings
        .iter()
        .any(|f| role(f.rule).is_some_and(|r| !r.1))
    {
        return; // no facet to fold
    }
    type Key = (usize, u32, String);
    let cache = SpecPaths::default();
    let key = |i: usize, f: &crate::finding::Finding| -> Key {
        (
            i,
            f.object_id,
            anchor_of(snapshot, &cache, f.object_id, &f.path, MERGES[i].anchor),
        )
    };
    let mut kept: HashMap<Key, usize> = HashMap::new();
    for (n, f) in out.findings.iter().enumerate() {
        if let Some((i, true)) = role(f.rule) {
            kept.entry(key(i, f)).or_insert(n);
        }
    }
    let mut suppressed: HashMap<Key, SuppressionReason> = HashMap::new();
    for (f, reason) in &out.suppressed {
        if let Some((i, true)) = role(f.rule) {
            suppressed
                .entry(key(i, f))
                .or_insert_with(|| SuppressionReason::Merged {
                    reason: Box::new(reason.clone()),
                    primary: f.rule,
                });
        }
    }
    if kept.is_empty() && suppressed.is_empty() {
        return;
    }
    let findings = std::mem::take(&mut out.findings);
    let mut into: Vec<(usize, Facet, crate::finding::Severity)> = Vec::new();
    let mut rest = Vec::with_capacity(findings.len());
    // Indices into `rest` of the primaries (findings before a primary may be facets).
    let mut placed: HashMap<usize, usize> = HashMap::new();
    let mut pending: Vec<(usize, crate::finding::Finding)> = Vec::new();
    for (n, f) in findings.into_iter().enumerate() {
        match role(f.rule) {
            Some((i, false)) => {
                let k = key(i, &f);
                if let Some(&p) = kept.get(&k) {
                    pending.push((p, f));
                } else if let Some(reason) = suppressed.get(&k) {
                    out.suppressed.push((f, reason.clone()));
                } else {
                    rest.push(f);
                }
            }
            _ => {
                placed.insert(n, rest.len());
                rest.push(f);
            }
        }
    }
    for (p, f) in pending {
        let severity = f.severity;
        into.push((
            placed[&p],
            Facet {
                rule: f.rule,
                severity: f.severity,
                path: f.path,
                message: f.message,
                fingerprint: f.fingerprint,
            },
            severity,
        ));
    }
    for (at, facet, severity) in into {
        let primary = &mut rest[at];
        primary.severity = primary.severity.max(severity);
        primary.facets.push(facet);
    }
    out.findings = rest;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry;

    #[test]
    fn merge_table_names_real_rules() {
        for m in MERGES {
            assert!(registry::find(m.primary).is_some(), "{}", m.primary);
            for f in m.facets {
                assert!(registry::find(f).is_some(), "{f}");
            }
        }
    }

    #[test]
    fn role_rule_anchor() {
        let s = Snapshot::default();
        assert_eq!(
            anchor_of(
                &s,
                &SpecPaths::default(),
                0,
                "rules[3].verbs",
                Anchor::RoleRule
            ),
            "rules[3]"
        );
        assert_eq!(
            anchor_of(&s, &SpecPaths::default(), 0, "rules[12]", Anchor::RoleRule),
            "rules[12]"
        );
        assert_eq!(
            anchor_of(&s, &SpecPaths::default(), 0, "metadata", Anchor::RoleRule),
            ""
        );
        assert_eq!(
            anchor_of(&s, &SpecPaths::default(), 0, "spec.type", Anchor::Field),
            "spec.type"
        );
    }
}
