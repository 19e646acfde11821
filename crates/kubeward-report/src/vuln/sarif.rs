//! SARIF 2.1.0 of the vulnerability report, through the scan's writer ([`crate::sarif::Log`]):
//! one rule per vulnerability id (help from the OSV record, `security-severity` from its CVSS
//! score), one result per match at the package's first location, fingerprinted by
//! `kubewardVuln/v1` = id|purl|location. Versions that could not be compared are
//! `toolExecutionNotifications` of level `error` (the run is then not successful).

use super::{osv_url, state_of, VulnResult};
use crate::sarif::{
    Descriptor, Log, Message, Notification, ReportingDescriptor, SarifLocation, SarifResult,
};
use kubeward_vuln::osv::{CvssLevel, Match};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io;

/// The key of the match fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "kubewardVuln/v1";

/// The SARIF `level` of a match: critical and high are errors, medium and unknown warnings.
pub fn level(m: &Match) -> &'static str {
    match m.severity.as_ref().map(|s| s.level) {
        Some(CvssLevel::Critical | CvssLevel::High) => "error",
        Some(CvssLevel::Medium) | None => "warning",
        Some(CvssLevel::Low | CvssLevel::None) => "note",
    }
}

fn rule_of(m: &Match) -> ReportingDescriptor {
    let summary = m.summary.clone().unwrap_or_else(|| m.id.clone());
    let aliases = if m.aliases.is_empty() {
        "none".to_string()
    } else {
        m.aliases.join(", ")
    };
    let mut properties = Map::new();
    if let Some(score) = m.severity.as_ref().and_then(|s| s.score) {
        properties.insert(
            "security-severity".into(),
            Value::from(format!("{score:.1}")),
        );
    }
    properties.insert(
        "tags".into(),
        Value::from(vec!["security", "vulnerability"]),
    );
    ReportingDescriptor {
        id: m.id.clone(),
        name: m.id.replace(['-', '.', ':'], ""),
        short_description: Message::text(summary.clone()),
        help: Some(Message::text(format!(
            "{summary} ({}). Aliases: {aliases}",
            osv_url(&m.id)
        ))),
        help_uri: Some(osv_url(&m.id)),
        properties,
        ..ReportingDescriptor::default()
    }
}

/// The SARIF log of the report.
pub fn log(r: &VulnResult<'_>) -> Log {
    let mut rules: BTreeMap<&str, ReportingDescriptor> = BTreeMap::new();
    let mut results = Vec::new();
    let fallback = r.catalog.source_name.clone().unwrap_or_default();
    for h in &r.report.matches {
        let m = &h.matched;
        let Some(p) = r.package(h.package) else {
            continue;
        };
        rules.entry(&m.id).or_insert_with(|| rule_of(m));
        let first = p.locations.first().cloned().unwrap_or_default();
        let loc = if first.is_empty() {
            fallback.clone()
        } else {
            first.clone()
        };
        let fix = match &m.fixed_in {
            Some(f) => format!("fixed in {f}"),
            None => "no fix known".into(),
        };
        let mut properties = Map::new();
        properties.insert("aliases".into(), Value::from(m.aliases.clone()));
        properties.insert("fixedIn".into(), Value::from(m.fixed_in.clone()));
        properties.insert("purl".into(), Value::from(p.purl.clone()));
        properties.insert("state".into(), Value::from(state_of(m)));
        results.push(SarifResult {
            rule_id: m.id.clone(),
            rule_index: 0,
            level: level(m),
            message: Message::text(format!(
                "{} {} ({}) is affected by {}{}; {fix}",
                p.name,
                p.version,
                m.package.ecosystem,
                m.id,
                m.severity
                    .as_ref()
                    .map(|s| format!(" (severity {})", s.level))
                    .unwrap_or_default()
            )),
            locations: vec![SarifLocation::file(&loc, 0, 0)],
            partial_fingerprints: BTreeMap::from([(
                FINGERPRINT_KEY,
                format!("{}|{}|{first}", m.id, p.purl),
            )]),
            properties,
            suppressions: Vec::new(),
            related_locations: Vec::new(),
            code_flows: Vec::new(),
        });
    }
    // one notification per package and record that could not be decided
    let mut seen = BTreeSet::new();
    let notifications = r
        .report
        .errors
        .iter()
        .filter(|e| seen.insert(e.error.to_string()))
        .map(|e| {
            let file = r
                .package(e.package)
                .and_then(|p| p.locations.first().cloned())
                .unwrap_or_else(|| fallback.clone());
            Notification {
                level: "error",
                message: Message::text(format!(
                    "not decided (the package may be affected): {}",
                    e.error
                )),
                descriptor: Descriptor { id: "match-error" },
                locations: if file.is_empty() {
                    Vec::new()
                } else {
                    vec![SarifLocation::file(&file, 0, 0)]
                },
            }
        })
        .collect();
    Log::new(
        r.tool_version,
        rules.into_values().collect(),
        results,
        notifications,
    )
}

/// Writes the SARIF log.
pub fn write(r: &VulnResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    log(r).write(out)
}
