//! The finding model shared by every analyzer and reporter.

use kubeward_model::{FieldPath, Object, ObjectRef, Snapshot};
use serde::{Deserialize, Serialize};

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        Self::ALL
            .into_iter()
            .find(|x| x.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a finding points.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// Pod Security details of a `pod-security` finding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PodSecurityInfo {
    /// Upstream check id (`privileged`, `runAsNonRoot`, ...).
    pub check: String,
    /// The level the check belongs to: `baseline` checks hold at both levels, `restricted`
    /// checks only at restricted.
    pub level: String,
    /// The policy evaluated, `level:version` (`restricted:latest`): the namespace's strictest
    /// violated mode, or the default level.
    pub policy: String,
    /// Policy version evaluated (`v1.35`, `latest`).
    pub version: String,
    /// The namespace modes (`enforce`, `audit`, `warn`) under which this applies; empty when the
    /// level came from the default (`--pod-security`) rather than namespace labels.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub modes: Vec<String>,
}

/// The most related objects a finding names; the rest are counted (`related_total`) and,
/// where a message lists objects, summarised as "and N more" ([`bounded_list`]). Without a
/// cap, 4,000 NetworkPolicies in one namespace made every one of 4,000 findings list them
/// all (a 2.7 GB report).
pub const MAX_RELATED: usize = 5;

/// `a, b, c, d, e and 3995 more`: at most [`MAX_RELATED`] items of a list for a message
/// (the rest are only counted).
pub fn bounded_list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> String {
    let mut out = String::new();
    let mut n = 0usize;
    for item in items {
        if n < MAX_RELATED {
            if n > 0 {
                out.push_str(", ");
            }
            out.push_str(item.as_ref());
        }
        n += 1;
    }
    if n > MAX_RELATED {
        out.push_str(&format!(" and {} more", n - MAX_RELATED));
    }
    out
}

/// Another rule's view of the same cause, folded into a finding (see [`crate::merge`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Facet {
    pub rule: &'static str,
    pub severity: Severity,
    pub path: String,
    pub message: String,
    /// The facet's own fingerprint: baselines written before the merge still match it.
    pub fingerprint: String,
}

/// One problem found in one object.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub severity: Severity,
    pub object: ObjectRef,
    #[serde(skip)]
    pub object_id: u32,
    pub location: Location,
    /// Field path inside the object: `spec.template.spec.containers[0].securityContext.privileged`.
    pub path: String,
    pub message: String,
    pub remediation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_security: Option<PodSecurityInfo>,
    /// Other objects involved (the binding that grants, the Service that exposes...).
    /// At most [`MAX_RELATED`] of them (set with [`Finding::set_related`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<ObjectRef>,
    /// How many objects are related in all, when `related` names only the first of them
    /// (0 otherwise).
    #[serde(skip_serializing_if = "is_zero")]
    pub related_total: usize,
    /// Stable identity for baselines and SARIF: hash of rule, object and path.
    pub fingerprint: String,
    /// Other rules' findings of the same cause, folded into this one.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub facets: Vec<Facet>,
}

impl Finding {
    /// A finding on `obj` at `path`; location and fingerprint are derived.
    pub fn new(
        rule: &'static str,
        severity: Severity,
        snapshot: &Snapshot,
        obj: &Object,
        path: &FieldPath,
        message: impl Into<String>,
        remediation: impl Into<String>,
    ) -> Finding {
        let pos = snapshot.locate(obj, path);
        let location = Location {
            file: snapshot.source(obj.source).name.clone(),
            line: pos.line,
            column: pos.col,
        };
        Finding {
            rule,
            severity,
            fingerprint: fingerprint(rule, &obj.oref, path.as_str()),
            object: obj.oref.clone(),
            object_id: obj.id,
            location,
            path: path.to_string(),
            message: message.into(),
            remediation: remediation.into(),
            pod_security: None,
            related: Vec::new(),
            related_total: 0,
            facets: Vec::new(),
        }
    }

    /// Sets the related objects: the first [`MAX_RELATED`] are kept, `related_total` counts
    /// all of them when there are more.
    /// Only the kept ones are cloned.
    pub fn set_related<'r>(&mut self, all: impl IntoIterator<Item = &'r ObjectRef>) {
        self.related.clear();
        let mut n = 0;
        for r in all {
            if n < MAX_RELATED {
                self.related.push(r.clone());
            }
            n += 1;
        }
        self.related_total = if n > MAX_RELATED { n } else { 0 };
    }
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// A stable 16-hex-digit fingerprint (FNV-1a 64) of rule, object identity and path.
/// It does not depend on file names or line numbers, so moving an object keeps its baseline.
pub fn fingerprint(rule: &str, o: &ObjectRef, path: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for part in [
        rule,
        &o.kind,
        o.namespace.as_deref().unwrap_or(""),
        &o.name,
        path,
    ] {
        for b in part.bytes().chain(std::iter::once(0u8)) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}
