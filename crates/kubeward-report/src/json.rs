//! The JSON report: a stable contract for other tools and CI.
//!
//! ```json
//! {
//!   "findings": [{"rule", "severity", "object": {"apiVersion", "kind", "namespace", "name"},
//!                 "location": {"file", "line", "column"}, "path", "message", "remediation",
//!                 "pod_security": {"check", "level", "version", "modes"},  // PSS findings only
//!                 "related": [...], "fingerprint"}],
//!   "suppressed": [{...finding fields, "reason"}],          // only with show_suppressed
//!   "errors": [{"file", "line", "column", "message"}],
//!   "notes": [{"file", "line", "column", "message"}],
//!   "summary": {"files", "objects", "findings", "suppressed", "errors", "notes",
//!               "by_severity": {"critical", "high", "medium", "low", "info"}},
//!   "tool": {"name": "kubeward", "version"}
//! }
//! ```
//! `summary.objects` counts every Kubernetes object loaded (`kind: List` items included).
//! Fields are only ever added, never renamed or removed. The output is pretty-printed, ends with
//! a newline and is deterministic.

use crate::{ScanResult, Summary};
use kubeward_model::{LoadError, LoadNote, ObjectRef};
use kubeward_rules::{Finding, Location, PodSecurityInfo, Severity};
use serde::Serialize;
use std::io;

/// Writes the JSON report.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Report::new(result))?;
    out.write_all(b"\n")
}

/// The report as a `serde_json::Value` (for embedding, e.g. in PolicyReports or tests).
pub fn to_value(result: &ScanResult<'_>) -> serde_json::Value {
    serde_json::to_value(Report::new(result)).expect("the report serializes")
}

/// The top-level document.
#[derive(Serialize)]
struct Report<'a> {
    findings: Vec<JsonFinding<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Vec<JsonSuppressed<'a>>>,
    errors: &'a [LoadError],
    notes: &'a [LoadNote],
    summary: JsonSummary,
    tool: Tool<'a>,
}

impl<'a> Report<'a> {
    fn new(result: &ScanResult<'a>) -> Self {
        let suppressed = result.show_suppressed.then(|| {
            result
                .suppressed
                .iter()
                .map(|s| JsonSuppressed {
                    finding: JsonFinding::new(&s.finding),
                    reason: &s.reason,
                })
                .collect()
        });
        Report {
            findings: result.findings.iter().map(JsonFinding::new).collect(),
            suppressed,
            errors: &result.snapshot.errors,
            notes: &result.snapshot.notes,
            summary: JsonSummary::new(&result.summary()),
            tool: Tool {
                name: "kubeward",
                version: result.tool_version,
            },
        }
    }
}

/// One finding, field by field, so that the contract does not follow changes of `Finding`'s
/// own serialization.
#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'a str,
    severity: Severity,
    object: &'a ObjectRef,
    location: &'a Location,
    path: &'a str,
    message: &'a str,
    remediation: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pod_security: Option<&'a PodSecurityInfo>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    related: &'a [ObjectRef],
    fingerprint: &'a str,
}

impl<'a> JsonFinding<'a> {
    fn new(f: &'a Finding) -> Self {
        JsonFinding {
            rule: f.rule,
            severity: f.severity,
            object: &f.object,
            location: &f.location,
            path: &f.path,
            message: &f.message,
            remediation: &f.remediation,
            pod_security: f.pod_security.as_ref(),
            related: &f.related,
            fingerprint: &f.fingerprint,
        }
    }
}

/// A suppressed finding and why.
#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    reason: &'a str,
}

#[derive(Serialize)]
struct JsonSummary {
    files: usize,
    objects: usize,
    findings: usize,
    suppressed: usize,
    errors: usize,
    notes: usize,
    objects_with_findings: usize,
    by_severity: BySeverity,
}

impl JsonSummary {
    fn new(s: &Summary) -> Self {
        JsonSummary {
            files: s.files,
            objects: s.objects,
            findings: s.findings,
            suppressed: s.suppressed,
            errors: s.errors,
            notes: s.notes,
            objects_with_findings: s.objects_with_findings,
            by_severity: BySeverity {
                critical: s.count(Severity::Critical),
                high: s.count(Severity::High),
                medium: s.count(Severity::Medium),
                low: s.count(Severity::Low),
                info: s.count(Severity::Info),
            },
        }
    }
}

#[derive(Serialize)]
struct BySeverity {
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
}

#[derive(Serialize)]
struct Tool<'a> {
    name: &'a str,
    version: &'a str,
}
