//! The filter stage: selection, severity overrides, per-object suppression annotations,
//! excluded namespaces and baselines. Nothing is dropped silently: every removed finding comes
//! back with the reason it was removed.

use crate::finding::{Finding, Severity};
use crate::registry;
use crate::rule::RuleMeta;
use kubeward_model::Snapshot;
use std::collections::{HashMap, HashSet};

/// Annotation listing rules (or domains, or `all`) to ignore on an object, comma-separated.
pub const IGNORE_ANNOTATION: &str = "kubeward.io/ignore";
/// Annotation giving the reason for [`IGNORE_ANNOTATION`].
pub const IGNORE_REASON_ANNOTATION: &str = "kubeward.io/ignore-reason";

/// Which rules run: `select` (empty = every domain on by default, see
/// [`registry::OFF_BY_DEFAULT`]) minus `ignore`; entries are rule names, domains or `all`.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
}

impl Selection {
    pub fn includes(&self, meta: &RuleMeta) -> bool {
        (if self.select.is_empty() {
            registry::on_by_default(meta)
        } else {
            self.select.iter().any(|s| registry::selects(s, meta))
        }) && !self.ignore.iter().any(|s| registry::selects(s, meta))
    }

    /// Names that are neither a rule nor a domain (typos).
    pub fn unknown(&self) -> Vec<String> {
        let rules = registry::all();
        let domains = registry::domains();
        self.select
            .iter()
            .chain(&self.ignore)
            .filter(|s| {
                s.as_str() != "all"
                    && !domains.contains(&s.as_str())
                    && !rules.iter().any(|r| r.meta().name == s.as_str())
            })
            .cloned()
            .collect()
    }
}

/// Filters applied after analysis.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    /// Severity overrides by rule name or domain (a rule name wins over its domain).
    pub severity: HashMap<String, Severity>,
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
    pub suppressed: Vec<(Finding, String)>,
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
        if let Some(sev) = filters
            .severity
            .get(f.rule)
            .or_else(|| meta.and_then(|m| filters.severity.get(m.domain)))
        {
            f.severity = *sev;
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
) -> Option<String> {
    let obj = snapshot.objects.get(f.object_id as usize)?;
    if let Some(list) = annotated
        .contains(&f.object_id)
        .then(|| annotation_ignores(obj))
        .flatten()
    {
        let hit = list
            .split(',')
            .map(str::trim)
            .any(|s| s == f.rule || s == "all" || meta.is_some_and(|m| m.domain == s) || s == "*");
        if hit {
            let reason = obj
                .annotation(IGNORE_REASON_ANNOTATION)
                .unwrap_or("no reason given");
            return Some(format!("annotation {IGNORE_ANNOTATION}: {reason}"));
        }
    }
    if let Some(ns) = kubeward_model::effective_namespace(obj) {
        if filters.exclude_namespaces.iter().any(|x| x == ns) {
            return Some(format!("config: namespace {ns} excluded"));
        }
    }
    if filters.baseline.contains(&f.fingerprint) {
        return Some("baseline".to_string());
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
