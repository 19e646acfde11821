//! kubeward-report: reporters (text, JSON, SARIF, JUnit) over one scan result.
//!
//! Reporters write to any `io::Write`; nothing here reads the environment or decides colour on
//! its own (the CLI passes `color`).

use kubeward_model::Snapshot;
use kubeward_rules::Finding;

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    Sarif,
    Junit,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            "sarif" => Some(Format::Sarif),
            "junit" => Some(Format::Junit),
            _ => None,
        }
    }
}

/// A finding that a suppression removed, with why.
#[derive(Clone, Debug)]
pub struct Suppressed {
    pub finding: Finding,
    /// `annotation: <reason>`, `baseline`, `config: ignore`, ...
    pub reason: String,
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
