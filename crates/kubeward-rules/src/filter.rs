//! The filter stage: selection, severity overrides, per-object suppression annotations,
//! excluded namespaces and baselines. Nothing is dropped silently: every removed finding comes
//! back with the reason it was removed.

use crate::finding::{Finding, Severity};
use crate::registry::{self, RuleSelector};
use crate::rule::RuleMeta;
use kubeward_model::Snapshot;
use std::collections::{HashMap, HashSet};

/// Annotation listing rules (or domains, or `all`) to ignore on an object, comma-separated.
pub const IGNORE_ANNOTATION: &str = "kubeward.io/ignore";
/// Annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "kubeward.io/ignore-reason";

/// Which rules run: `select` (empty = every domain on by default, see
/// [`registry::OFF_BY_DEFAULT`]) minus `ignore`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<RuleSelector>,
    pub ignore: Vec<RuleSelector>,
}

impl Selection {
    /// Parses the names users write (rule names, domains, `all`) once; the error lists the
    /// names that are neither a rule nor a domain (typos), in the order given.
    pub fn parse<S: AsRef<str>>(select: &[S], ignore: &[S]) -> Result<Selection, Vec<String>> {
        let mut unknown = Vec::new();
        let mut parse = |list: &[S]| -> Vec<RuleSelector> {
            list.iter()
                .filter_map(|s| {
                    let s = s.as_ref();
                    let parsed = RuleSelector::parse(s);
                    if parsed.is_none() {
                        unknown.push(s.to_string());
                    }
                    parsed
                })
                .collect()
        };
        let selection = Selection {
            select: parse(select),
            ignore: parse(ignore),
        };
        if unknown.is_empty() {
            Ok(selection)
        } else {
            Err(unknown)
        }
    }

    pub fn includes(&self, meta: &RuleMeta) -> bool {
        (if self.select.is_empty() {
            registry::on_by_default(meta)
        } else {
            self.select.iter().any(|s| s.selects(meta))
        }) && !self.ignore.iter().any(|s| s.selects(meta))
    }
}

/// Why a finding was removed. `Display` gives the text reports show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SuppressionReason {
    /// The object's `kubeward.io/ignore` annotation names the rule, its domain or `all`;
    /// with the `kubeward.io/ignore-reason` annotation when there is one.
    Annotation { reason: Option<String> },
    /// The object is in a namespace excluded by the configuration.
    ExcludedNamespace(String),
    /// The finding's fingerprint is in the baseline.
    Baseline,
    /// A facet folded into a primary finding that was suppressed (see [`crate::merge`]):
    /// the primary's reason.
    Merged {
        reason: Box<SuppressionReason>,
        primary: &'static str,
    },
}

impl SuppressionReason {
    /// Whether the suppression is written in the manifest itself (the annotation) rather
    /// than outside it (baseline, configuration).
    pub fn in_source(&self) -> bool {
        match self {
            SuppressionReason::Annotation { .. } => true,
            SuppressionReason::Merged { reason, .. } => reason.in_source(),
            SuppressionReason::ExcludedNamespace(_) | SuppressionReason::Baseline => false,
        }
    }
}

impl std::fmt::Display for SuppressionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuppressionReason::Annotation { reason } => write!(
                f,
                "annotation {IGNORE_ANNOTATION}: {}",
                reason.as_deref().unwrap_or("no reason given")
            ),
            SuppressionReason::ExcludedNamespace(ns) => {
                write!(f, "config: namespace {ns} excluded")
            }
            SuppressionReason::Baseline => f.write_str("baseline"),
            SuppressionReason::Merged { reason, primary } => {
                write!(f, "{reason} (merged into {primary})")
            }
        }
    }
}

/// Filters applied after analysis.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Severity overrides by rule, domain or `all` (a rule wins over its domain, a domain
    /// over `all`).
    pub severity: HashMap<RuleSelector, Severity>,
    /// Findings on objects in these namespaces are removed.
    pub exclude_namespaces: Vec<String>,
    /// Fingerprints of accepted findings (`--baseline`).
    pub baseline: HashSet<String>,
}

/// The outcome of filtering.
#[derive(Debug, Default)]
pub struct Filtered {
    pub findings: Vec<Finding>,
    /// Removed findings with the reason.
    pub suppressed: Vec<(Finding, SuppressionReason)>,
}

/// Applies overrides and suppressions.
pub fn apply(snapshot: &Snapshot, findings: Vec<Finding>, filters: &Filters) -> Filtered {
    let mut out = Filtered::default();
    let metas: HashMap<&str, &RuleMeta> = registry::all()
        .into_iter()
        .map(|r| (r.meta().name, r.meta()))
        .collect();
    // objects that carry an ignore annotation (most carry none: skip the lookup for them)
    let mut ids: Vec<u32> = findings.iter().map(|f| f.object_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let annotated: HashSet<u32> = ids
        .into_iter()
        .filter(|&id| {
            snapshot
                .objects
                .get(id as usize)
                .is_some_and(|o| annotation_ignores(o).is_some())
        })
        .collect();
    out.findings.reserve(findings.len());
    for mut f in findings {
        let meta = metas.get(f.rule).copied();
        if !filters.severity.is_empty() {
            let overridden = filters
                .severity
                .get(&RuleSelector::Rule(f.rule))
                .or_else(|| {
                    meta.and_then(|m| filters.severity.get(&RuleSelector::Domain(m.domain)))
                })
                .or_else(|| filters.severity.get(&RuleSelector::All));
            if let Some(sev) = overridden {
                f.severity = *sev;
            }
        }
        if let Some(reason) = suppression(snapshot, &f, meta, filters, &annotated) {
            out.suppressed.push((f, reason));
        } else {
            out.findings.push(f);
        }
    }
    crate::merge::merge(snapshot, &mut out);
    out
}

fn suppression(
    snapshot: &Snapshot,
    f: &Finding,
    meta: Option<&RuleMeta>,
    filters: &Filters,
    annotated: &HashSet<u32>,
) -> Option<SuppressionReason> {
    let obj = snapshot.objects.get(f.object_id as usize)?;
    if let Some(list) = annotated
        .contains(&f.object_id)
        .then(|| annotation_ignores(obj))
        .flatten()
    {
        let hit = list
            .split(',')
            .map(str::trim)
            .any(|s| s == f.rule || s == "all" || s == "*" || meta.is_some_and(|m| m.domain == s));
        if hit {
            let reason = obj.annotation(IGNORE_REASON_ANNOTATION).map(str::to_string);
            return Some(SuppressionReason::Annotation { reason });
        }
    }
    if let Some(ns) = kubeward_model::effective_namespace(obj) {
        if filters.exclude_namespaces.iter().any(|x| x == ns) {
            return Some(SuppressionReason::ExcludedNamespace(ns.to_string()));
        }
    }
    if filters.baseline.contains(&f.fingerprint) {
        return Some(SuppressionReason::Baseline);
    }
    None
}

/// The ignore list of an object: its own annotation, else its pod template's.
fn annotation_ignores(obj: &kubeward_model::Object) -> Option<&str> {
    obj.annotation(IGNORE_ANNOTATION).or_else(|| {
        kubeward_model::PodTemplate::of(obj).and_then(|t| t.annotation(IGNORE_ANNOTATION))
    })
}

/// A baseline file: the fingerprints of accepted findings, with enough context to review them.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub object: String,
    pub path: String,
}

impl Baseline {
    pub fn from_findings(findings: &[Finding]) -> Baseline {
        let mut findings: Vec<BaselineEntry> = findings
            .iter()
            .flat_map(|f| {
                let object = f.object.display();
                std::iter::once(BaselineEntry {
                    fingerprint: f.fingerprint.clone(),
                    rule: f.rule.to_string(),
                    object: object.clone(),
                    path: f.path.clone(),
                })
                .chain(f.facets.iter().map(move |x| BaselineEntry {
                    fingerprint: x.fingerprint.clone(),
                    rule: x.rule.to_string(),
                    object: object.clone(),
                    path: x.path.clone(),
                }))
            })
            .collect();
        findings.sort_by(|a, b| (&a.object, &a.rule, &a.path).cmp(&(&b.object, &b.rule, &b.path)));
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Baseline {
            version: 1,
            findings,
        }
    }

    pub fn fingerprints(&self) -> HashSet<String> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_reasons_keep_their_text() {
        let annotated = SuppressionReason::Annotation {
            reason: Some("node agent, reviewed".into()),
        };
        assert_eq!(
            annotated.to_string(),
            "annotation kubeward.io/ignore: node agent, reviewed"
        );
        assert_eq!(
            SuppressionReason::Annotation { reason: None }.to_string(),
            "annotation kubeward.io/ignore: no reason given"
        );
        assert_eq!(
            SuppressionReason::ExcludedNamespace("kube-system".into()).to_string(),
            "config: namespace kube-system excluded"
        );
        assert_eq!(SuppressionReason::Baseline.to_string(), "baseline");
        let merged = SuppressionReason::Merged {
            reason: Box::new(annotated.clone()),
            primary: "service-account-token-automount",
        };
        assert_eq!(
            merged.to_string(),
            "annotation kubeward.io/ignore: node agent, reviewed (merged into service-account-token-automount)"
        );
        assert!(annotated.in_source() && merged.in_source());
        assert!(!SuppressionReason::Baseline.in_source());
    }

    #[test]
    fn selections_are_parsed_once() {
        let s = Selection::parse(
            &["pod-security", "rbac-pod-exec"],
            &["privileged-container"],
        )
        .unwrap();
        let meta = |n: &str| registry::find(n).unwrap().meta();
        assert!(s.includes(meta("run-as-non-root-not-set")));
        assert!(s.includes(meta("rbac-pod-exec")));
        assert!(!s.includes(meta("privileged-container")));
        assert!(!s.includes(meta("rbac-secrets-access")));
        assert_eq!(
            Selection::parse(&["workload", "no-such"], &["typo"]).unwrap_err(),
            vec!["no-such", "typo"]
        );
        let none: &[&str] = &[];
        let default = Selection::parse(none, none).unwrap();
        assert!(default.includes(meta("privileged-container")));
        assert!(!default.includes(meta("image-tag-latest")));
    }
}
