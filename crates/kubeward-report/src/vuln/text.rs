//! The text report: a table of matches, the suppressed ones on request, the versions that
//! could not be compared, and a summary line.

use super::{level_of, vex_status, VulnResult};
use crate::table::columns;
use kubeward_image::package::Package;
use kubeward_vuln::osv::Match;

const HEADER: [&str; 6] = [
    "ID",
    "SEVERITY",
    "PACKAGE",
    "VERSION",
    "FIXED IN",
    "ECOSYSTEM",
];

fn row(m: &Match, p: Option<&Package>) -> Vec<String> {
    vec![
        m.id.clone(),
        level_of(m).unwrap_or("unknown").to_string(),
        p.map_or_else(|| m.package.name.clone(), |p| p.name.clone()),
        p.map_or_else(|| m.package.version.clone(), |p| p.version.clone()),
        m.fixed_in.clone().unwrap_or_else(|| "(unfixed)".into()),
        m.package.ecosystem.clone(),
    ]
}

/// The summary line: `3 vulnerabilities (high 1, low 1, unknown 1) in 3 of 5 packages; ...`.
pub fn summary_line(r: &VulnResult<'_>) -> String {
    let report = r.report;
    let counts: Vec<String> = report
        .by_severity()
        .labelled()
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let mut s = format!(
        "{} vulnerabilities{} in {} of {} packages",
        report.matches.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        report.summary.matched_packages,
        r.catalog.packages.len()
    );
    if !report.suppressed.is_empty() {
        s.push_str(&format!("; {} suppressed by VEX", report.suppressed.len()));
    }
    if report.summary.skipped_os_owned > 0 {
        s.push_str(&format!(
            "; {} language packages owned by OS packages not matched (--include-os-owned)",
            report.summary.skipped_os_owned
        ));
    }
    s
}

/// The whole text report (not yet terminal-escaped as a whole; table cells are).
pub fn render(r: &VulnResult<'_>) -> String {
    let report = r.report;
    let mut s = String::new();
    if !report.matches.is_empty() {
        let rows: Vec<Vec<String>> = report
            .matches
            .iter()
            .map(|h| row(&h.matched, r.package(h.package)))
            .collect();
        s.push_str(&columns(&HEADER, &rows));
        s.push('\n');
    }
    if r.show_suppressed && !report.suppressed.is_empty() {
        s.push_str("Suppressed by VEX:\n");
        let rows: Vec<Vec<String>> = report
            .suppressed
            .iter()
            .map(|q| {
                let mut v = row(&q.matched, r.package(q.package));
                let why = q
                    .reason
                    .justification
                    .clone()
                    .or_else(|| q.reason.note.clone())
                    .unwrap_or_default();
                v.push(format!(
                    "{}{}",
                    vex_status(q.reason.status),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {why}")
                    }
                ));
                v
            })
            .collect();
        let mut h = HEADER.to_vec();
        h.push("REASON");
        s.push_str(&columns(&h, &rows));
        s.push('\n');
    }
    if !report.errors.is_empty() {
        s.push_str(
            "Not decided (versions that could not be compared; the package may be affected):\n",
        );
        for e in &report.errors {
            s.push_str(&format!("  {}\n", e.error));
        }
        s.push('\n');
    }
    // warnings of the reader are printed where the catalog is read; others are listed here
    for w in report
        .warnings
        .iter()
        .filter(|w| !r.catalog.warnings.contains(w))
    {
        s.push_str(&format!("warning: {w}\n"));
    }
    s.push_str(&summary_line(r));
    s.push('\n');
    s
}
