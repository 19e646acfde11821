//! SARIF 2.1.0 output, as GitHub code scanning and SARIF viewers read it.
//!
//! One writer for `scan` and `vuln`: [`Log::new`] builds the log, run, tool, invocation and
//! rule indices from [`ReportingDescriptor`]s, [`SarifResult`]s and [`Notification`]s; the
//! scan's log is made here, the vulnerability report's in [`crate::vuln::sarif`].
//!
//! Scan: one run. `tool.driver.rules` holds the whole catalogue (id = rule name, descriptions from the
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
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io;

/// The `$schema` URI written into the log.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
/// Where the tool is documented (`tool.driver.informationUri`).
pub const INFORMATION_URI: &str = "https://example.invalid/kubeward";
/// The key of our fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "kubewardFingerprint/v1";

/// Writes the SARIF log of a scan.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    scan_log(result).write(out)
}

/// The SARIF log of a scan as a `serde_json::Value`.
pub fn to_value(result: &ScanResult<'_>) -> Value {
    serde_json::to_value(scan_log(result)).unwrap_or_default()
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

// ---- the SARIF objects kubeward writes (shared by `scan` and `vuln`) ----

/// A SARIF log: one run.
#[derive(Clone, Debug, Serialize)]
pub struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run; 1],
}

/// The run of a [`Log`].
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Run {
    tool: Tool,
    invocations: [Invocation; 1],
    results: Vec<SarifResult>,
    column_kind: &'static str,
}

/// `tool`: the driver only.
#[derive(Clone, Debug, Serialize)]
pub struct Tool {
    driver: Driver,
}

/// `tool.driver`: kubeward, its version and the rules the results refer to.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Driver {
    name: &'static str,
    version: String,
    semantic_version: String,
    information_uri: &'static str,
    rules: Vec<ReportingDescriptor>,
}

/// A message: plain text, with Markdown when there is some.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Message {
    /// Plain text.
    pub text: String,
    /// The same as Markdown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
}

impl Message {
    /// A plain-text message.
    pub fn text(text: impl Into<String>) -> Message {
        Message {
            text: text.into(),
            markdown: None,
        }
    }
}

/// `defaultConfiguration`.
#[derive(Clone, Debug, Serialize)]
pub struct Configuration {
    /// `error`, `warning` or `note`.
    pub level: &'static str,
}

/// A rule (`reportingDescriptor`) of `tool.driver.rules`.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportingDescriptor {
    /// The id results name in `ruleId`.
    pub id: String,
    /// A name without spaces.
    pub name: String,
    /// One line.
    pub short_description: Message,
    /// The first paragraph of the documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_description: Option<Message>,
    /// The documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<Message>,
    /// Where the documentation is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help_uri: Option<String>,
    /// The level of its results.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_configuration: Option<Configuration>,
    /// Property bag (`tags`, `security-severity` for GitHub, ...).
    pub properties: Map<String, Value>,
}

/// `artifactLocation` and `region` of a location.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Clone, Debug, Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

/// A `logicalLocation` (the Kubernetes object a finding is about).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogicalLocation {
    /// Object name.
    pub name: String,
    /// `Kind/namespace/name`.
    pub fully_qualified_name: String,
    /// `resource`.
    pub kind: &'static str,
    /// Namespace, kind and apiVersion.
    pub properties: Map<String, Value>,
}

/// A location of a result or notification.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifLocation {
    /// The file and region (absent for a step known only by its message).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub physical_location: Option<PhysicalLocation>,
    /// The object, for scan findings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logical_locations: Vec<LogicalLocation>,
    /// Identifies a related location (`relatedLocations`), which messages can link to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<usize>,
    /// What this location is (a related location's or a code-flow step's text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
}

impl SarifLocation {
    /// A location in a file; the region is left out when the position is unknown (line 0).
    pub fn file(file: &str, line: u32, column: u32) -> SarifLocation {
        SarifLocation {
            physical_location: Some(physical(file, line, column)),
            logical_locations: Vec::new(),
            id: None,
            message: None,
        }
    }
}

/// A `suppression` of a result.
#[derive(Clone, Debug, Serialize)]
pub struct SarifSuppression {
    /// `inSource` or `external`.
    pub kind: &'static str,
    /// Why.
    pub justification: String,
}

/// A `result`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SarifResult {
    /// The rule's id.
    pub rule_id: String,
    /// Index of the rule in `tool.driver.rules` (set by [`Log::new`]).
    pub rule_index: usize,
    /// `error`, `warning` or `note`.
    pub level: &'static str,
    /// The message.
    pub message: Message,
    /// Where.
    pub locations: Vec<SarifLocation>,
    /// Stable identity across runs (`kubewardFingerprint/v1`, `kubewardVuln/v1`).
    pub partial_fingerprints: BTreeMap<&'static str, String>,
    /// Property bag.
    pub properties: Map<String, Value>,
    /// Present for suppressed results.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SarifSuppression>,
    /// Other places the result relies on (every field of an attack path).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub related_locations: Vec<SarifLocation>,
    /// Step-by-step flows (an attack path, one location per hop).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code_flows: Vec<CodeFlow>,
}

/// A `codeFlow`: one sequence of steps, shown by GitHub code scanning as "show paths".
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeFlow {
    /// What the flow is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    /// One thread: the steps in order.
    pub thread_flows: Vec<ThreadFlow>,
}

/// A `threadFlow`: the steps of a [`CodeFlow`].
#[derive(Clone, Debug, Serialize)]
pub struct ThreadFlow {
    /// The steps in order.
    pub locations: Vec<ThreadFlowLocation>,
}

/// A `threadFlowLocation`: one step.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThreadFlowLocation {
    /// Where the step is, with its text as the location's message.
    pub location: SarifLocation,
    /// The step's number, from 1.
    pub execution_order: usize,
}

/// A `toolExecutionNotification`: something that went wrong in the run (an input that did not
/// load, a version that could not be compared).
#[derive(Clone, Debug, Serialize)]
pub struct Notification {
    /// `error` or `warning`.
    pub level: &'static str,
    /// What went wrong.
    pub message: Message,
    /// `load-error`, `match-error`.
    pub descriptor: Descriptor,
    /// Where, when known.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<SarifLocation>,
}

/// `descriptor` of a notification.
#[derive(Clone, Debug, Serialize)]
pub struct Descriptor {
    /// The kind of problem.
    pub id: &'static str,
}

#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

impl Log {
    /// The log of one run: `rules` become `tool.driver.rules`, and every result's `ruleIndex`
    /// is set from its `ruleId` (a rule missing from `rules` is added with its id only, so
    /// every index is valid). The run is successful when there is no notification of level
    /// `error`.
    pub fn new(
        tool_version: &str,
        mut rules: Vec<ReportingDescriptor>,
        mut results: Vec<SarifResult>,
        notifications: Vec<Notification>,
    ) -> Log {
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, r) in rules.iter().enumerate() {
            index.entry(r.id.clone()).or_insert(i);
        }
        for r in &mut results {
            r.rule_index = *index.entry(r.rule_id.clone()).or_insert_with(|| {
                let mut properties = Map::new();
                properties.insert(
                    "security-severity".into(),
                    Value::from(security_severity_of_level(r.level)),
                );
                rules.push(ReportingDescriptor {
                    id: r.rule_id.clone(),
                    name: r.rule_id.clone(),
                    short_description: Message::text(r.rule_id.clone()),
                    default_configuration: Some(Configuration { level: r.level }),
                    properties,
                    ..ReportingDescriptor::default()
                });
                rules.len() - 1
            });
        }
        let execution_successful = !notifications.iter().any(|n| n.level == "error");
        Log {
            schema: SCHEMA_URI,
            version: "2.1.0",
            runs: [Run {
                tool: Tool {
                    driver: Driver {
                        name: "kubeward",
                        version: tool_version.to_string(),
                        semantic_version: tool_version.to_string(),
                        information_uri: INFORMATION_URI,
                        rules,
                    },
                },
                invocations: [Invocation {
                    execution_successful,
                    tool_execution_notifications: notifications,
                }],
                results,
                column_kind: "unicodeCodePoints",
            }],
        }
    }

    /// Writes the log, pretty-printed, with a final newline.
    pub fn write(&self, out: &mut dyn io::Write) -> io::Result<()> {
        serde_json::to_writer_pretty(&mut *out, self)?;
        out.write_all(b"\n")
    }
}

/// The `security-severity` of a rule known only by the level of a result.
fn security_severity_of_level(level: &str) -> &'static str {
    match level {
        "error" => security_severity(Severity::High),
        "warning" => security_severity(Severity::Medium),
        _ => security_severity(Severity::Low),
    }
}

/// The log of a scan.
fn scan_log(result: &ScanResult<'_>) -> Log {
    let masked = Masked::new(result);
    let mut rules: Vec<ReportingDescriptor> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    for rule in registry::all() {
        let m = rule.meta();
        if !seen.insert(m.name) {
            continue;
        }
        let doc = dedent(m.doc);
        let domain = m.domain.to_string();
        let mut properties = Map::new();
        properties.insert(
            "tags".into(),
            Value::from(vec!["security".to_string(), domain.clone()]),
        );
        properties.insert(
            "security-severity".into(),
            Value::from(security_severity(m.severity)),
        );
        properties.insert("severity".into(), Value::from(m.severity.as_str()));
        properties.insert("domain".into(), Value::from(domain));
        rules.push(ReportingDescriptor {
            id: m.name.to_string(),
            name: m.name.to_string(),
            short_description: Message::text(m.summary),
            full_description: Some(Message {
                text: first_paragraph(&doc, m.summary),
                markdown: Some(doc.clone()),
            }),
            help: Some(Message {
                text: doc.clone(),
                markdown: Some(doc),
            }),
            help_uri: None,
            default_configuration: Some(Configuration {
                level: level(m.severity),
            }),
            properties,
        });
    }
    let suppressed = masked.suppressed.iter().filter(|_| result.show_suppressed);
    let all = masked
        .findings
        .iter()
        .map(|f| (f, None))
        .chain(suppressed.map(|s| (&s.finding, Some(s))));
    let mut results = Vec::new();
    for (finding, sup) in all {
        if seen.insert(finding.rule) {
            // a rule the catalogue does not know: described by its id
            let mut properties = Map::new();
            properties.insert(
                "security-severity".into(),
                Value::from(security_severity(finding.severity)),
            );
            rules.push(ReportingDescriptor {
                id: finding.rule.to_string(),
                name: finding.rule.to_string(),
                short_description: Message::text(finding.rule),
                default_configuration: Some(Configuration {
                    level: level(finding.severity),
                }),
                properties,
                ..ReportingDescriptor::default()
            });
        }
        let mut r = result_of(finding);
        if let Some(s) = sup {
            let kind = if s.in_source() {
                "inSource"
            } else {
                "external"
            };
            r.suppressions.push(SarifSuppression {
                kind,
                justification: s.reason.to_string(),
            });
        }
        results.push(r);
    }
    let notifications = masked
        .errors
        .iter()
        .map(|e| Notification {
            level: "error",
            message: Message::text(e.message.to_string()),
            descriptor: Descriptor { id: "load-error" },
            locations: vec![SarifLocation::file(&e.file, e.line, e.column)],
        })
        .collect();
    Log::new(result.tool_version, rules, results, notifications)
}

/// One `result` object (its `ruleIndex` is set by [`Log::new`]).
fn result_of(f: &Finding) -> SarifResult {
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
    let mut logical_props = Map::new();
    if let Some(ns) = &o.namespace {
        logical_props.insert("namespace".into(), json!(ns));
    }
    logical_props.insert("kind".into(), json!(o.kind));
    logical_props.insert("apiVersion".into(), json!(o.api_version));
    let logical = LogicalLocation {
        name: o.name.to_string(),
        fully_qualified_name: o.display(),
        kind: "resource",
        properties: logical_props,
    };
    let mut text = if f.remediation.is_empty() {
        f.message.clone()
    } else {
        format!("{} (fix: {})", f.message, f.remediation)
    };
    for x in &f.facets {
        text.push_str(&format!("; also {}: {}", x.rule, x.message));
    }
    let mut location = SarifLocation::file(&f.location.file, f.location.line, f.location.column);
    location.logical_locations.push(logical);
    SarifResult {
        rule_id: f.rule.to_string(),
        rule_index: 0,
        level: level(f.severity),
        message: Message::text(text),
        locations: vec![location],
        partial_fingerprints: BTreeMap::from([(FINGERPRINT_KEY, f.fingerprint.to_string())]),
        properties: props,
        suppressions: Vec::new(),
        related_locations: Vec::new(),
        code_flows: Vec::new(),
    }
}

/// A `physicalLocation`; the region is left out when the position is unknown (line 0).
fn physical(file: &str, line: u32, column: u32) -> PhysicalLocation {
    PhysicalLocation {
        artifact_location: ArtifactLocation { uri: uri(file) },
        region: (line > 0).then(|| Region {
            start_line: line,
            start_column: (column > 0).then_some(column),
        }),
    }
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
