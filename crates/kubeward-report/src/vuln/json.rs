//! The JSON report of `kubeward vuln`: a stable contract.
//!
//! ```json
//! {
//!   "errors": [{"ecosystem", "message", "package", "purl", "record", "version"}],
//!   "matches": [{"aliases", "cvss": {"score", "source", "vector"} | null, "fixed_in", "id",
//!                "matched": {"name", "version"},
//!                "package": {"ecosystem", "layer", "locations", "name", "purl", "type", "version"},
//!                "records", "severity", "state", "summary"}],
//!   "source": {"distro", "kind": "image" | "sbom", "name"},
//!   "summary": {"by_severity": {...}, "db_load_errors", "db_records", "errors",
//!               "matched_packages", "matches", "packages", "skipped_os_owned", "suppressed"},
//!   "suppressed": [{...match fields, "suppressed_by": {"document", "justification", "note", "status"}}],
//!   "warnings": [...]
//! }
//! ```
//! Keys are written in alphabetical order (the struct fields below are declared so), the
//! output is pretty-printed and ends with a newline. Fields are only ever added.

use super::{level_of, state_of, write_pretty, VulnResult};
use kubeward_image::package::Package;
use kubeward_vuln::osv::{Match, VexStatus};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io;

#[derive(Serialize)]
struct Report<'a> {
    errors: Vec<JsonError<'a>>,
    matches: Vec<JsonMatch<'a>>,
    source: Source<'a>,
    summary: Summary,
    suppressed: Vec<JsonMatch<'a>>,
    warnings: &'a [String],
}

#[derive(Serialize)]
struct Source<'a> {
    distro: Option<String>,
    kind: &'static str,
    name: Option<&'a str>,
}

#[derive(Serialize)]
struct Summary {
    by_severity: BTreeMap<&'static str, usize>,
    db_load_errors: usize,
    db_records: usize,
    errors: usize,
    matched_packages: usize,
    matches: usize,
    packages: usize,
    skipped_os_owned: usize,
    suppressed: usize,
}

#[derive(Serialize)]
struct JsonError<'a> {
    ecosystem: &'a str,
    message: &'a str,
    package: &'a str,
    purl: Option<&'a str>,
    record: Option<&'a str>,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonMatch<'a> {
    aliases: &'a [String],
    cvss: Option<Cvss<'a>>,
    fixed_in: Option<&'a str>,
    id: &'a str,
    matched: Matched<'a>,
    package: JsonPackage<'a>,
    records: &'a [String],
    severity: Option<&'static str>,
    state: &'static str,
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    suppressed_by: Option<SuppressedBy<'a>>,
}

#[derive(Serialize)]
struct Cvss<'a> {
    score: Option<f64>,
    source: &'a str,
    vector: Option<&'a str>,
}

#[derive(Serialize)]
struct Matched<'a> {
    name: &'a str,
    version: &'a str,
}

#[derive(Serialize)]
struct JsonPackage<'a> {
    ecosystem: &'a str,
    layer: Option<&'a str>,
    locations: &'a [String],
    name: &'a str,
    purl: Option<&'a str>,
    #[serde(rename = "type")]
    kind: Option<&'static str>,
    version: &'a str,
}

#[derive(Serialize)]
struct SuppressedBy<'a> {
    document: Option<&'a str>,
    justification: Option<&'a str>,
    note: Option<&'a str>,
    status: VexStatus,
}

fn json_match<'a>(m: &'a Match, p: Option<&'a Package>) -> JsonMatch<'a> {
    JsonMatch {
        aliases: &m.aliases,
        cvss: m.severity.as_ref().map(|s| Cvss {
            score: s.score,
            source: &s.source,
            vector: s.vector.as_deref(),
        }),
        fixed_in: m.fixed_in.as_deref(),
        id: &m.id,
        matched: Matched {
            name: &m.matched_name,
            version: &m.matched_version,
        },
        package: JsonPackage {
            ecosystem: &m.package.ecosystem,
            layer: p.and_then(|p| p.layer.as_deref()),
            locations: p.map_or(&[], |p| p.locations.as_slice()),
            name: &m.package.name,
            purl: m.package.purl.as_deref(),
            kind: p.map(|p| p.ecosystem.as_str()),
            version: &m.package.version,
        },
        records: &m.records,
        severity: level_of(m),
        state: state_of(m),
        summary: m.summary.as_deref(),
        suppressed_by: None,
    }
}

/// Writes the JSON report.
pub fn write(r: &VulnResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    let report = r.report;
    let by_severity = report
        .by_severity()
        .labelled()
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    let doc = Report {
        errors: report
            .errors
            .iter()
            .map(|e| JsonError {
                ecosystem: &e.error.ecosystem,
                message: &e.error.message,
                package: &e.error.package,
                purl: r.package(e.package).map(|p| p.purl.as_str()),
                record: e.error.record.as_deref(),
                version: &e.error.version,
            })
            .collect(),
        matches: report
            .matches
            .iter()
            .map(|h| json_match(&h.matched, r.package(h.package)))
            .collect(),
        source: Source {
            distro: r.catalog.distro.as_ref().map(|d| d.qualifier()),
            kind: if r.from_sbom { "sbom" } else { "image" },
            name: r.catalog.source_name.as_deref(),
        },
        summary: Summary {
            by_severity,
            db_load_errors: report.summary.db_load_errors,
            db_records: report.summary.db_records,
            errors: report.errors.len(),
            matched_packages: report.summary.matched_packages,
            matches: report.matches.len(),
            packages: r.catalog.packages.len(),
            skipped_os_owned: report.summary.skipped_os_owned,
            suppressed: report.suppressed.len(),
        },
        suppressed: report
            .suppressed
            .iter()
            .map(|q| {
                let mut v = json_match(&q.matched, r.package(q.package));
                v.suppressed_by = Some(SuppressedBy {
                    document: q.reason.document.as_deref(),
                    justification: q.reason.justification.as_deref(),
                    note: q.reason.note.as_deref(),
                    status: q.reason.status,
                });
                v
            })
            .collect(),
        warnings: &report.warnings,
    };
    write_pretty(&doc, out)
}
