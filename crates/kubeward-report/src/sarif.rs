//! SARIF 2.1.0 output, as GitHub code scanning and SARIF viewers read it.
//!
//! One run. `tool.driver.rules` holds the whole catalogue (id = rule name, descriptions from the
//! rule's doc comment, default level from its severity, `security-severity` for GitHub); rules
//! named by findings but absent from the catalogue are appended, so every `ruleIndex` is valid.
//! Each result carries the region of the offending field, the object as a logical location, and
//! the finding's fingerprint as `partialFingerprints["kubewardFingerprint/v1"]`. Load errors are
//! `toolExecutionNotifications` of the single invocation, whose `executionSuccessful` is false
//! when any input failed to load. With `show_suppressed`, suppressed findings are emitted with a
//! `suppressions` entry (`inSource` for the annotation, `external` otherwise).
//!
//! The structures are our own serde types rather than `serde-sarif`: we write a small, fixed
//! subset of the format, and `serde-sarif` generates the whole schema at build time (schemafy,
//! syn, prettyplease, strum, typed-builder), which costs more build time than this module. The
//! output is checked against the OASIS schema in `tests/sarif.rs`.

use crate::mask::Masked;
use crate::ScanResult;
use kubeward_rules::{registry, Finding, Severity};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::io;

/// The `$schema` URI written into the log.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Where the tool is documented (`tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://example.invalid/kubeward";
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "kubewardFingerprint/v1";

/// Writes the SARIF log.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &Log::new(result))?;
    out.write_all(b"\n")
}

/// The SARIF log as a `serde_json::Value`.
pub fn to_value(result: &ScanResult<'_>) -> Value {
    serde_json::to_value(Log::new(result)).expect("the SARIF log serializes")
}

/// The SARIF `level` of a severity.
pub fn level(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// The `security-severity` score GitHub code scanning maps to critical (≥ 9.0), high (≥ 7.0),
/// medium (≥ 4.0) and low.
pub fn security_severity(sev: Severity) -> &'static str {
    match sev {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

/// A file name as a SARIF URI reference: forward slashes, `./` dropped, reserved characters
/// percent-encoded; absolute paths become `file://` URIs.
pub fn uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let mut path = path.as_str();
    while let Some(rest) = path.strip_prefix("./") {
        path = rest;
    }
    let drive =
        path.len() >= 2 && path.as_bytes()[1] == b':' && path.as_bytes()[0].is_ascii_alphabetic();
    let prefix = if path.starts_with('/') {
        "file://"
    } else if drive {
        "file:///"
    } else {
        ""
    };
    let mut out = String::from(prefix);
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"-._~/".contains(&b) || (drive && b == b':');
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Value,
    invocations: [Invocation; 1],
    results: Vec<Value>,
    column_kind: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Value>,
}

impl Log {
    fn new(result: &ScanResult<'_>) -> Self {
        let masked = Masked::new(result);
        let mut rules: Vec<Value> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        for rule in registry::all() {
            let m = rule.meta();
            if index.contains_key(m.name) {
                continue;
            }
            index.insert(m.name.to_string(), rules.len());
            let doc = dedent(m.doc);
            rules.push(json!({
                "id": m.name,
                "name": m.name,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": first_paragraph(&doc, m.summary), "markdown": doc},
                "help": {"text": doc, "markdown": doc},
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {
                    "tags": ["security", m.domain],
                    "security-severity": security_severity(m.severity),
                    "severity": m.severity.as_str(),
                    "domain": m.domain,
                },
            }));
        }
        let suppressed = masked.suppressed.iter().filter(|_| result.show_suppressed);
        let all = masked
            .findings
            .iter()
            .map(|f| (f, None))
            .chain(suppressed.map(|s| (&s.finding, Some(s))));
        let mut results = Vec::new();
        for (finding, sup) in all {
            let rule_index = *index.entry(finding.rule.to_string()).or_insert_with(|| {
                rules.push(json!({
                    "id": finding.rule,
                    "name": finding.rule,
                    "shortDescription": {"text": finding.rule},
                    "defaultConfiguration": {"level": level(finding.severity)},
                    "properties": {"security-severity": security_severity(finding.severity)},
                }));
                rules.len() - 1
            });
            let mut r = result_of(finding, rule_index);
            if let Some(s) = sup {
                let kind = if s.in_source() {
                    "inSource"
                } else {
                    "external"
                };
                r["suppressions"] = json!([{"kind": kind, "justification": s.reason}]);
            }
            results.push(r);
        }
        let notifications = masked
            .errors
            .iter()
            .map(|e| {
                let mut n = json!({
                    "level": "error",
                    "message": {"text": e.message},
                    "descriptor": {"id": "load-error"},
                });
                n["locations"] = json!([{"physicalLocation": physical(&e.file, e.line, e.column)}]);
                n
            })
            .collect();
        let tool = json!({
            "driver": {
                "name": "kubeward",
                "version": result.tool_version,
                "semanticVersion": result.tool_version,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        });
        Log {
            schema: SCHEMA_URI,
            version: "2.1.0",
            runs: [Run {
                tool,
                invocations: [Invocation {
                    execution_successful: masked.errors.is_empty(),
                    tool_execution_notifications: notifications,
                }],
                results,
                column_kind: "unicodeCodePoints",
            }],
        }
    }
}

/// One `result` object.
fn result_of(f: &Finding, rule_index: usize) -> Value {
    let o = &f.object;
    let mut props = Map::new();
    props.insert("severity".into(), json!(f.severity.as_str()));
    props.insert("path".into(), json!(f.path));
    props.insert("remediation".into(), json!(f.remediation));
    props.insert("object".into(), json!(o));
    if let Some(ps) = &f.pod_security {
        props.insert("podSecurity".into(), json!(ps));
    }
    if !f.related.is_empty() {
        props.insert(
            "related".into(),
            json!(f.related.iter().map(|r| r.display()).collect::<Vec<_>>()),
        );
        if f.related_total > f.related.len() {
            props.insert("relatedTotal".into(), json!(f.related_total));
        }
    }
    let mut logical =
        json!({"name": o.name, "fullyQualifiedName": o.display(), "kind": "resource"});
    if let Some(ns) = &o.namespace {
        logical["properties"] =
            json!({"namespace": ns, "kind": o.kind, "apiVersion": o.api_version});
    } else {
        logical["properties"] = json!({"kind": o.kind, "apiVersion": o.api_version});
    }
    let mut text = if f.remediation.is_empty() {
        f.message.clone()
    } else {
        format!("{} (fix: {})", f.message, f.remediation)
    };
    for x in &f.facets {
        text.push_str(&format!("; also {}: {}", x.rule, x.message));
    }
    json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [{
            "physicalLocation": physical(&f.location.file, f.location.line, f.location.column),
            "logicalLocations": [logical],
        }],
        "partialFingerprints": {FINGERPRINT_KEY: f.fingerprint},
        "properties": props,
    })
}

/// A `physicalLocation`; the region is left out when the position is unknown (line 0).
fn physical(file: &str, line: u32, column: u32) -> Value {
    let mut p = json!({"artifactLocation": {"uri": uri(file)}});
    if line > 0 {
        let mut region = json!({"startLine": line});
        if column > 0 {
            region["startColumn"] = json!(column);
        }
        p["region"] = region;
    }
    p
}

/// A doc comment without the one space `/// ` leaves at the start of every line.
fn dedent(doc: &str) -> String {
    let lines = doc.lines().filter(|l| !l.trim().is_empty());
    if lines.clone().next().is_none() || !lines.clone().all(|l| l.starts_with(' ')) {
        return doc.to_string();
    }
    let mut out: String = doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    if doc.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// The first paragraph of a rule doc, headings left out, else the summary.
fn first_paragraph(doc: &str, summary: &str) -> String {
    doc.split("\n\n")
        .map(|p| {
            p.lines()
                .map(str::trim)
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .map(|p| p.trim().to_string())
        .find(|p| !p.is_empty())
        .unwrap_or_else(|| summary.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(uri("./examples/shop.yaml"), "examples/shop.yaml");
        assert_eq!(uri("a dir\\x#1.yaml"), "a%20dir/x%231.yaml");
        assert_eq!(uri("/abs/p.yaml"), "file:///abs/p.yaml");
        assert_eq!(uri("C:\\k\\p.yaml"), "file:///C:/k/p.yaml");
    }

    #[test]
    fn docs_are_dedented_and_summarised() {
        let doc = " Checks a thing.\n\n ## Example\n ```yaml\n a:\n   b: 1\n ```\n";
        assert_eq!(
            dedent(doc),
            "Checks a thing.\n\n## Example\n```yaml\na:\n  b: 1\n```\n"
        );
        assert_eq!(dedent("x\n y"), "x\n y");
        assert_eq!(
            first_paragraph("## What it does\nFlags\nthings.\n\nMore.", "s"),
            "Flags things."
        );
        assert_eq!(first_paragraph("## Only headings", "summary"), "summary");
    }
}
