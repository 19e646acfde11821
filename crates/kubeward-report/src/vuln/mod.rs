//! Reporters of the vulnerability report (`kubeward vuln`): text, JSON, SARIF (through the
//! scan's SARIF writer, [`crate::sarif`]), CycloneDX VDR (the catalog's SBOM with a
//! `vulnerabilities` array) and OpenVEX.
//!
//! Every reporter renders a [`VulnResult`]: the catalog, the typed report of
//! [`kubeward_vuln::assess`], and what the caller decided (source kind, options). Every
//! format is deterministic.

pub mod cyclonedx;
pub mod json;
pub mod openvex;
pub mod sarif;
pub mod text;

use kubeward_image::catalog::Catalog;
use kubeward_image::package::Package;
use kubeward_vuln::osv::{FixState, Match, VexStatus};
use kubeward_vuln::VulnReport;
use std::io;

/// Output formats of the vulnerability report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VulnFormat {
    /// Aligned columns for people.
    Text,
    /// The JSON contract (see [`json`]).
    Json,
    /// SARIF 2.1.0: one result per match.
    Sarif,
    /// The CycloneDX 1.6 SBOM with a `vulnerabilities` array.
    Cyclonedx,
    /// An OpenVEX document: one statement per match and per suppressed match.
    Openvex,
}

/// Everything a vulnerability reporter needs.
pub struct VulnResult<'a> {
    /// The packages matched.
    pub catalog: &'a Catalog,
    /// The report.
    pub report: &'a VulnReport,
    /// True when the catalog was read from an SBOM rather than an image.
    pub from_sbom: bool,
    /// List VEX-suppressed matches in the text report too.
    pub show_suppressed: bool,
    /// `CARGO_PKG_VERSION` of the binary.
    pub tool_version: &'a str,
    /// OpenVEX `timestamp` (RFC 3339); the default keeps the document deterministic.
    pub timestamp: Option<&'a str>,
}

impl<'a> VulnResult<'a> {
    /// The package of a report entry.
    pub(crate) fn package(&self, index: usize) -> Option<&'a Package> {
        self.catalog.packages.get(index)
    }
}

/// Writes `result` in `format`. The text format is terminal-escaped as a whole.
pub fn write(
    format: VulnFormat,
    result: &VulnResult<'_>,
    out: &mut dyn io::Write,
) -> io::Result<()> {
    match format {
        VulnFormat::Text => {
            let text = text::render(result);
            out.write_all(kubeward_io::terminal::escape_multiline(&text).as_bytes())
        }
        VulnFormat::Json => json::write(result, out),
        VulnFormat::Sarif => sarif::write(result, out),
        VulnFormat::Cyclonedx => cyclonedx::write(result, out),
        VulnFormat::Openvex => openvex::write(result, out),
    }
}

/// `fixed` or `unfixed`.
pub(crate) fn state_of(m: &Match) -> &'static str {
    match m.state {
        FixState::Fixed => "fixed",
        FixState::Unfixed => "unfixed",
    }
}

/// The severity label of a match (`None` when the records give none).
pub(crate) fn level_of(m: &Match) -> Option<&'static str> {
    m.severity.as_ref().map(|s| s.level.as_str())
}

/// The OpenVEX spelling of a status.
pub(crate) fn vex_status(s: VexStatus) -> &'static str {
    match s {
        VexStatus::NotAffected => "not_affected",
        VexStatus::Affected => "affected",
        VexStatus::Fixed => "fixed",
        VexStatus::UnderInvestigation => "under_investigation",
    }
}

/// The OSV page of a vulnerability.
pub(crate) fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

/// Pretty JSON with a final newline.
pub(crate) fn write_pretty<T: serde::Serialize>(v: &T, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, v)?;
    out.write_all(b"\n")
}
