//! kubeward-report: reporters (text, JSON, SARIF, JUnit) over one scan result, the
//! vulnerability report's (text, JSON, SARIF, CycloneDX VDR, OpenVEX; see [`vuln`]), and the
//! attack paths' (text, JSON, SARIF, DOT, Mermaid, HTML; see [`paths`]).
//!
//! Every reporter renders from a [`mask::Masked`] view of the result: messages, errors and
//! source lines pass through one masking step, so no credential from the input is printed.
//!
//! Reporters write to any `io::Write`; nothing here reads the environment or decides colour on
//! its own (the CLI passes `color`). Every format is deterministic: the same [`ScanResult`]
//! always gives the same bytes.
//!
//! ```no_run
//! # fn demo(result: &kubeward_report::ScanResult<'_>) -> std::io::Result<()> {
//! let mut out = std::io::stdout().lock();
//! kubeward_report::write(kubeward_report::Format::Sarif, result, &mut out, false)?;
//! # Ok(()) }
//! ```

use kubeward_model::{Object, Snapshot};
use kubeward_rules::filter::SuppressionReason;
use kubeward_rules::{Finding, Severity};

pub mod catalog;
pub mod ceiling;
pub mod inventory;
pub mod json;
pub mod junit;
pub mod mask;
pub mod packages;
pub mod paths;
pub mod rbac;
pub mod sarif;
pub mod table;
pub mod text;
pub mod vuln;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Human-readable, grouped by object, with the offending source line.
    Text,
    /// The JSON contract (see [`json`]).
    Json,
    /// SARIF 2.1.0 for code-scanning tools and editors.
    Sarif,
    /// JUnit XML for CI test report views.
    Junit,
}

impl Format {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [Format; 4] = [Format::Text, Format::Json, Format::Sarif, Format::Junit];

    /// Parses a `--format` value (`text`, `json`, `sarif`, `junit`).
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "junit" => Some(Format::Junit),
            _ => None,
        }
    }

    /// The `--format` value of this format.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
        }
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A finding that a suppression removed, with why.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub finding: Finding,
    /// Why (its `Display` is the text reports show: `annotation kubeward.io/ignore: ...`,
    /// `baseline`, `config: namespace ... excluded`).
    pub reason: SuppressionReason,
}

impl Suppressed {
    /// Whether the suppression was written in the manifest itself (the `kubeward.io/ignore`
    /// annotation) rather than outside it (baseline, configuration, flags).
    pub fn in_source(&self) -> bool {
        self.reason.in_source()
    }
}

/// Everything a reporter needs from one scan.
pub struct ScanResult<'a> {
    pub snapshot: &'a Snapshot,
    /// Findings to report (after suppression), sorted.
    pub findings: &'a [Finding],
    /// Findings removed by suppressions (counted in the summary; listed with `--show-suppressed`).
    pub suppressed: &'a [Suppressed],
    /// List the suppressed findings too (text and JSON).
    pub show_suppressed: bool,
    /// Number of files read.
    pub files: usize,
    /// `CARGO_PKG_VERSION` of the binary.
    pub tool_version: &'a str,
}

/// Counts for the summary line and the `summary` objects of JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// Files read.
    pub files: usize,
    /// Kubernetes objects loaded (`kind: List` items included).
    pub objects: usize,
    /// Distinct objects with at least one reported finding.
    pub objects_with_findings: usize,
    /// Reported findings (after suppression).
    pub findings: usize,
    /// Findings removed by suppressions.
    pub suppressed: usize,
    /// Load errors.
    pub errors: usize,
    /// Load notes (skipped documents).
    pub notes: usize,
    /// Reported findings per severity, most severe first (the order of [`Severity::ALL`]).
    pub by_severity: [(Severity, usize); 5],
}

impl Summary {
    /// The number of reported findings of one severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.by_severity
            .iter()
            .find(|(s, _)| *s == severity)
            .map_or(0, |(_, n)| *n)
    }
}

impl<'a> ScanResult<'a> {
    /// Counts of this result.
    pub fn summary(&self) -> Summary {
        let mut by_severity = Severity::ALL.map(|s| (s, 0));
        for f in self.findings {
            if let Some(slot) = by_severity.iter_mut().find(|(s, _)| *s == f.severity) {
                slot.1 += 1;
            }
        }
        Summary {
            files: self.files,
            objects: self.snapshot.objects.len(),
            objects_with_findings: group_by_object(self.findings).len(),
            findings: self.findings.len(),
            suppressed: self.suppressed.len(),
            errors: self.snapshot.errors.len(),
            notes: self.snapshot.notes.len(),
            by_severity,
        }
    }

    /// The object a finding is about, when it is in the snapshot.
    pub fn object_of(&self, finding: &Finding) -> Option<&'a Object> {
        let obj = self.snapshot.objects.get(finding.object_id as usize)?;
        (obj.oref == finding.object).then_some(obj)
    }
}

/// Writes `result` in `format`. `color` adds ANSI styles to the text format (the other formats
/// never contain escape codes).
pub fn write(
    format: Format,
    result: &ScanResult<'_>,
    out: &mut dyn std::io::Write,
    color: bool,
) -> std::io::Result<()> {
    match format {
        Format::Text => text::write(result, out, color),
        Format::Json => json::write(result, out),
        Format::Sarif => sarif::write(result, out),
        Format::Junit => junit::write(result, out),
    }
}

/// Findings grouped by object, groups in order of first appearance, findings in input order.
pub(crate) fn group_by_object(findings: &[Finding]) -> Vec<Vec<&Finding>> {
    let mut groups: Vec<Vec<&Finding>> = Vec::new();
    let mut index: std::collections::HashMap<(u32, &kubeward_model::ObjectRef), usize> =
        std::collections::HashMap::new();
    for f in findings {
        let key = (f.object_id, &f.object);
        match index.get(&key) {
            Some(&i) => groups[i].push(f),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![f]);
            }
        }
    }
    groups
}

/// `1 finding` / `2 findings`.
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
