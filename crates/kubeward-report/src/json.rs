//! The JSON report: a stable contract for other tools and CI.
//!
//! ```json
//! {
//!   "findings": [{"rule", "severity", "object": {"apiVersion", "kind", "namespace", "name"},
//!                 "location": {"file", "line", "column"}, "path", "message", "remediation",
//!                 "pod_security": {"check", "level", "version", "modes"},  // PSS findings only
//!                 "related": [...], "related_total", "fingerprint", "facets": [...]}],
//!   "suppressed": [{...finding fields, "reason"}],          // only with show_suppressed
//!   "errors": [{"file", "line", "column", "message"}],
//!   "notes": [{"file", "line", "column", "message"}],
//!   "summary": {"files", "objects", "findings", "suppressed", "errors", "notes",
//!               "by_severity": {"critical", "high", "medium", "low", "info"}},
//!   "tool": {"name": "kubeward", "version"}
//! }
//! ```
//! `summary.objects` counts every Kubernetes object loaded (`kind: List` items included).
//! `related` names at most 5 objects; `related_total` (present only then) counts them all.
//! Messages and error texts pass through the masking step ([`crate::mask`]).
//! Fields are only ever added, never renamed or removed. The output is pretty-printed, ends with
//! a newline and is deterministic.

use crate::mask::Masked;
use crate::{ScanResult, Summary};
use kubeward_model::{LoadError, LoadNote, ObjectRef};
use kubeward_rules::finding::Facet;
use kubeward_rules::{Finding, Location, PodSecurityInfo, Severity};
use serde::Serialize;
use std::io;

/// Writes the JSON report.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    write_with(result, out, PARALLEL_FROM)
}

/// From this many findings on, they are serialized on every core.
const PARALLEL_FROM: usize = 20_000;

/// Writes the report; with at least `parallel_from` findings, the findings are serialized in
/// parallel chunks and spliced into the document. The bytes are the same either way: each
/// finding is pretty-printed on its own and indented to its depth (JSON strings hold no raw
/// line breaks, so adding indentation after each line break is exact).
fn write_with(
    result: &ScanResult<'_>,
    out: &mut dyn io::Write,
    parallel_from: usize,
) -> io::Result<()> {
    use rayon::prelude::*;
    let masked = Masked::new(result);
    let report = Report::new(&masked);
    if report.findings.is_empty() || report.findings.len() < parallel_from {
        serde_json::to_writer_pretty(&mut *out, &report)?;
        return out.write_all(b"\n");
    }
    const INDENT: &[u8] = b"    ";
    let serialize = |chunk: &[JsonFinding<'_>]| -> io::Result<Vec<u8>> {
        let mut buf = Vec::with_capacity(chunk.len() * 1024);
        let mut one = Vec::with_capacity(2048);
        for (i, f) in chunk.iter().enumerate() {
            if i > 0 {
                buf.extend_from_slice(b",\n");
            }
            one.clear();
            serde_json::to_writer_pretty(&mut one, f)?;
            buf.extend_from_slice(INDENT);
            for line in one.split_inclusive(|&b| b == b'\n') {
                buf.extend_from_slice(line);
                if line.ends_with(b"\n") {
                    buf.extend_from_slice(INDENT);
                }
            }
        }
        Ok(buf)
    };
    out.write_all(b"{\n  \"findings\": [\n")?;
    // windows bound the memory held by serialized text (about 30 MB at a time)
    for (w, window) in report.findings.chunks(32 * 1024).enumerate() {
        let chunks: Vec<io::Result<Vec<u8>>> = window.par_chunks(2048).map(serialize).collect();
        for (i, chunk) in chunks.into_iter().enumerate() {
            if w > 0 || i > 0 {
                out.write_all(b",\n")?;
            }
            out.write_all(&chunk?)?;
        }
    }
    out.write_all(b"\n  ],\n")?;
    // the other fields, in the same order and at the same depth as `Report` writes them
    let rest = Rest {
        suppressed: report.suppressed,
        errors: report.errors,
        notes: report.notes,
        summary: report.summary,
        tool: report.tool,
    };
    let tail = serde_json::to_vec_pretty(&rest)?;
    out.write_all(tail.strip_prefix(b"{\n").unwrap_or(&tail))?;
    out.write_all(b"\n")
}

/// `Report` without its findings (see [`write_with`]).
#[derive(Serialize)]
struct Rest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed: Option<Vec<JsonSuppressed<'a>>>,
    errors: &'a [LoadError],
    notes: &'a [LoadNote],
    summary: JsonSummary,
    tool: Tool<'a>,
}

/// The report as a `serde_json::Value` (for embedding, e.g. in PolicyReports or tests).
pub fn to_value(result: &ScanResult<'_>) -> serde_json::Value {
    serde_json::to_value(Report::new(&Masked::new(result))).expect("the report serializes")
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
    fn new(masked: &'a Masked<'_, 'a>) -> Self {
        let result = masked.result();
        let suppressed = result.show_suppressed.then(|| {
            masked
                .suppressed
                .iter()
                .map(|s| JsonSuppressed {
                    finding: JsonFinding::new(&s.finding),
                    reason: s.reason.to_string(),
                })
                .collect()
        });
        Report {
            findings: masked.findings.iter().map(JsonFinding::new).collect(),
            suppressed,
            errors: &masked.errors,
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
    /// How many objects are related in all, when `related` names only the first of them.
    #[serde(skip_serializing_if = "Option::is_none")]
    related_total: Option<usize>,
    fingerprint: &'a str,
    /// Other rules' findings of the same cause folded into this one (rule, severity, path,
    /// message, fingerprint).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    facets: &'a [Facet],
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
            related_total: (f.related_total > f.related.len()).then_some(f.related_total),
            fingerprint: &f.fingerprint,
            facets: &f.facets,
        }
    }
}

/// A suppressed finding and why.
#[derive(Serialize)]
struct JsonSuppressed<'a> {
    #[serde(flatten)]
    finding: JsonFinding<'a>,
    reason: String,
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

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::load_str;
    use kubeward_rules::{engine, Settings};

    #[test]
    fn the_parallel_writer_writes_the_same_bytes() {
        let snap = load_str(
            "a.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: n}\nspec:\n  containers:\n  - name: c\n    image: \"x:latest\"\n    securityContext: {privileged: true}\n---\nkind: x\n",
        );
        let findings = engine::analyze(&snap, &Settings::default(), &|_| true);
        assert!(findings.len() > 3);
        let suppressed = [crate::Suppressed {
            finding: findings[0].clone(),
            reason: kubeward_rules::filter::SuppressionReason::Baseline,
        }];
        let result = ScanResult {
            snapshot: &snap,
            findings: &findings,
            suppressed: &suppressed,
            show_suppressed: true,
            files: 1,
            tool_version: "t",
        };
        let mut serial = Vec::new();
        write_with(&result, &mut serial, usize::MAX).unwrap();
        let mut parallel = Vec::new();
        write_with(&result, &mut parallel, 1).unwrap();
        assert_eq!(
            String::from_utf8(parallel).unwrap(),
            String::from_utf8(serial).unwrap()
        );
    }
}
