//! `kubeward vuln SOURCE|SBOM`: match the packages of an image, a root filesystem or an SBOM
//! against OSV records, apply OpenVEX statements, and report as text, JSON, CycloneDX (the
//! SBOM with a `vulnerabilities` array) or SARIF.

use super::sbom::{columns, emit, print_warnings, read_input, Input};
use clap::{Args, ValueEnum};
use kubeward_image::catalog::Catalog;
use kubeward_image::package::Package;
use kubeward_image::sbom::{self, SbomOptions};
use kubeward_vuln::osv::{FixState, Level, Match, MatchError, Suppression, VexDocument, VexStatus};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes and defaults, shown by `kubeward vuln --help`.
pub const AFTER_HELP: &str = "Exit codes:\n  0  no vulnerability at or above --fail-on, no error\n  1  vulnerabilities at or above --fail-on\n  2  usage or input errors, or versions that could not be compared (the package may be affected); matches are still reported\n\n--fail-on: critical, high, medium, low, any (every match, also those of unknown severity; the default), never.\nA match of unknown severity counts only for `any`.\n--db defaults to the folder `kubeward db update` fills.";

/// Output formats of `kubeward vuln`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VulnFormat {
    /// Aligned columns for people.
    Text,
    /// `{"matches": [...], "errors": [...], "suppressed": [...], "summary": {...}}`.
    Json,
    /// The CycloneDX 1.6 SBOM with a `vulnerabilities` array (VDR; VEX-suppressed ones carry
    /// their analysis).
    Cyclonedx,
    /// SARIF 2.1.0: one result per match, ruleId = vulnerability id.
    Sarif,
}

/// Arguments of `kubeward vuln`.
#[derive(Args, Debug)]
pub struct VulnArgs {
    /// OCI layout folder, OCI archive, docker-save tarball, root filesystem folder, an SBOM
    /// (CycloneDX or SPDX JSON), or a registry image (`registry://host/repo:tag`,
    /// `ghcr.io/org/app:1`).
    pub source: PathBuf,
    /// OSV data: a folder of JSON records, an osv.dev all.zip export, one JSON file, or a
    /// folder written by `kubeward db update` (the default).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// OpenVEX document whose not_affected / fixed statements suppress matches (repeatable;
    /// for one match, a later document overrides an earlier one).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Lowest severity that makes the exit code 1: critical, high, medium, low, any, never.
    #[arg(long, value_name = "SEVERITY", default_value = "any")]
    pub fail_on: String,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = VulnFormat::Text)]
    pub format: VulnFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Also match language packages whose files an OS package owns (by default the OS
    /// advisory covers them, and matching them upstream double-counts).
    #[arg(long)]
    pub include_os_owned: bool,
    /// List VEX-suppressed matches in the text report too.
    #[arg(long)]
    pub show_suppressed: bool,
    #[command(flatten)]
    pub registry: super::inventory::RegistryArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FailOn {
    Level(Level),
    Any,
    Never,
}

impl FailOn {
    fn parse(s: &str) -> Result<FailOn, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "critical" => FailOn::Level(Level::Critical),
            "high" => FailOn::Level(Level::High),
            "medium" | "moderate" => FailOn::Level(Level::Medium),
            "low" => FailOn::Level(Level::Low),
            "any" | "unknown" | "none" | "negligible" => FailOn::Any,
            "never" => FailOn::Never,
            _ => {
                return Err(format!(
                    "--fail-on {s:?}: expected critical, high, medium, low, any or never"
                ))
            }
        })
    }

    fn fails(self, m: &Match) -> bool {
        match self {
            FailOn::Never => false,
            FailOn::Any => true,
            FailOn::Level(min) => m.severity.as_ref().is_some_and(|s| s.level >= min),
        }
    }
}

/// One match with the package it was found in.
struct Hit {
    m: Match,
    pkg: usize,
}

/// One suppressed match and why.
struct Quiet {
    m: Match,
    pkg: usize,
    reason: Suppression,
}

/// Everything a report needs.
struct Report<'a> {
    catalog: &'a Catalog,
    from_sbom: bool,
    hits: Vec<Hit>,
    suppressed: Vec<Quiet>,
    errors: Vec<Value>,
    warnings: Vec<String>,
    matched_packages: usize,
    skipped_os_owned: usize,
    db_records: usize,
    db_load_errors: usize,
}

/// Runs `kubeward vuln`.
pub fn run(args: VulnArgs) -> ExitCode {
    match vuln_main(&args) {
        Ok(code) => ExitCode::from(code),
        Err(msg) => {
            let _ = writeln!(
                std::io::stderr(),
                "kubeward: {}",
                kubeward_io::terminal::escape(&msg)
            );
            ExitCode::from(2)
        }
    }
}

/// The purl of the scanned image (`pkg:oci/name@sha256%3A...`), so VEX statements about the
/// image cover its packages.
fn image_purl(c: &Catalog) -> Option<String> {
    let digest = c.source.manifest_digest.as_deref()?;
    let name = c
        .source
        .names
        .first()
        .map(String::as_str)
        .unwrap_or("image");
    let repo = name.split('@').next().unwrap_or(name);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    let last = last.split(':').next().unwrap_or(last);
    Some(format!(
        "pkg:oci/{}@{}",
        last.to_ascii_lowercase(),
        digest.replace(':', "%3A")
    ))
}

fn vuln_main(args: &VulnArgs) -> Result<u8, String> {
    let fail_on = FailOn::parse(&args.fail_on)?;
    let mut vex_docs = Vec::new();
    for v in &args.vex {
        let bytes = std::fs::read(v).map_err(|e| format!("{}: {e}", v.display()))?;
        let doc = VexDocument::parse(&bytes).map_err(|e| format!("{}: {e}", v.display()))?;
        vex_docs.push(doc);
    }
    let (catalog, from_sbom) = match read_input(&args.source, true, &args.registry)? {
        Input::Image(c) => (c, false),
        Input::Sbom(c) => (c, true),
    };
    print_warnings(&catalog);
    // an empty database is an error; load warnings go to standard error
    let db = super::db::load_for_matching(args.db.as_deref())?;

    let mut report = Report {
        catalog: &catalog,
        from_sbom,
        hits: Vec::new(),
        suppressed: Vec::new(),
        errors: Vec::new(),
        warnings: catalog.warnings.clone(),
        matched_packages: 0,
        skipped_os_owned: 0,
        db_records: db.len(),
        db_load_errors: db.load_errors().len(),
    };
    let image = image_purl(&catalog);
    let mut matched: std::collections::BTreeSet<usize> = Default::default();
    let mut errors: Vec<(usize, MatchError)> = Vec::new();
    for (i, p) in catalog.packages.iter().enumerate() {
        if p.owned_by_os_package && !args.include_os_owned {
            report.skipped_os_owned += 1;
            continue;
        }
        let r = db.match_package(p);
        errors.extend(r.errors.into_iter().map(|e| (i, e)));
        for m in r.matches {
            // the last document with a statement about the match decides
            let decision = vex_docs
                .iter()
                .rev()
                .find_map(|d| d.decide(&m, image.as_deref()).map(|s| (d, s)));
            match decision {
                Some((d, s)) if matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed) => {
                    let reason = Suppression {
                        status: s.status,
                        justification: s.justification.clone(),
                        note: s.note.clone(),
                        document: d.id.clone(),
                    };
                    report.suppressed.push(Quiet { m, pkg: i, reason });
                }
                _ => {
                    matched.insert(i);
                    report.hits.push(Hit { m, pkg: i });
                }
            }
        }
    }
    report.matched_packages = matched.len();
    let key = |m: &Match, p: &Package| {
        (
            p.name.clone(),
            p.version.clone(),
            p.purl.clone(),
            p.locations.first().cloned().unwrap_or_default(),
            m.id.clone(),
        )
    };
    let pk = &catalog.packages;
    report.hits.sort_by_cached_key(|h| key(&h.m, &pk[h.pkg]));
    report
        .suppressed
        .sort_by_cached_key(|h| key(&h.m, &pk[h.pkg]));
    errors.sort_by(|a, b| {
        (&a.1.package, &a.1.version, &a.1.record, &a.1.message).cmp(&(
            &b.1.package,
            &b.1.version,
            &b.1.record,
            &b.1.message,
        ))
    });
    errors.dedup_by(|a, b| a.1 == b.1);
    report.errors = errors
        .iter()
        .map(|(i, e)| {
            json!({
                "package": e.package, "version": e.version, "ecosystem": e.ecosystem,
                "purl": pk[*i].purl, "record": e.record, "message": e.message,
            })
        })
        .collect();

    let text = match args.format {
        // text for people: the whole report through the one escaping function
        VulnFormat::Text => {
            kubeward_io::terminal::escape_multiline(&text_report(&report, args.show_suppressed))
                .into_owned()
        }
        VulnFormat::Json => pretty(&json_report(&report)),
        VulnFormat::Cyclonedx => pretty(&cyclonedx_report(&report)?),
        VulnFormat::Sarif => pretty(&sarif_report(&report)),
    };
    emit(args.output.as_deref(), text.as_bytes())?;
    if args.format != VulnFormat::Text {
        let mut err = std::io::stderr().lock();
        for e in &errors {
            let _ = writeln!(
                err,
                "kubeward: {}",
                kubeward_io::terminal::escape(&e.1.to_string())
            );
        }
    }
    if !report.errors.is_empty() {
        return Ok(2);
    }
    Ok(u8::from(report.hits.iter().any(|h| fail_on.fails(&h.m))))
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_default();
    s.push('\n');
    s
}

fn level_of(m: &Match) -> Option<&'static str> {
    m.severity.as_ref().map(|s| s.level.as_str())
}

fn state_of(m: &Match) -> &'static str {
    match m.state {
        FixState::Fixed => "fixed",
        FixState::Unfixed => "unfixed",
    }
}

fn match_json(m: &Match, p: &Package) -> Value {
    json!({
        "id": m.id,
        "aliases": m.aliases,
        "package": {
            "name": m.package.name,
            "version": m.package.version,
            "ecosystem": m.package.ecosystem,
            "purl": m.package.purl,
            "type": p.ecosystem.as_str(),
            "locations": p.locations,
            "layer": p.layer,
        },
        "state": state_of(m),
        "fixed_in": m.fixed_in,
        "severity": level_of(m),
        "cvss": m.severity.as_ref().map(|s| json!({"score": s.score, "vector": s.vector, "source": s.source})),
        "summary": m.summary,
        "records": m.records,
        "matched": {"name": m.matched_name, "version": m.matched_version},
    })
}

fn severity_counts(hits: &[Hit]) -> BTreeMap<&'static str, usize> {
    let mut c: BTreeMap<&'static str, usize> = BTreeMap::new();
    for h in hits {
        *c.entry(level_of(&h.m).unwrap_or("unknown")).or_default() += 1;
    }
    c
}

fn json_report(r: &Report<'_>) -> Value {
    let pk = &r.catalog.packages;
    json!({
        "source": {
            "name": r.catalog.source_name,
            "kind": if r.from_sbom { "sbom" } else { "image" },
            "distro": r.catalog.distro.as_ref().map(|d| d.qualifier()),
        },
        "matches": r.hits.iter().map(|h| match_json(&h.m, &pk[h.pkg])).collect::<Vec<_>>(),
        "suppressed": r.suppressed.iter().map(|q| {
            let mut v = match_json(&q.m, &pk[q.pkg]);
            v["suppressed_by"] = json!({
                "status": q.reason.status,
                "justification": q.reason.justification,
                "note": q.reason.note,
                "document": q.reason.document,
            });
            v
        }).collect::<Vec<_>>(),
        "errors": r.errors,
        "warnings": r.warnings,
        "summary": {
            "packages": pk.len(),
            "matched_packages": r.matched_packages,
            "skipped_os_owned": r.skipped_os_owned,
            "matches": r.hits.len(),
            "by_severity": severity_counts(&r.hits),
            "suppressed": r.suppressed.len(),
            "errors": r.errors.len(),
            "db_records": r.db_records,
            "db_load_errors": r.db_load_errors,
        },
    })
}

fn summary_line(r: &Report<'_>) -> String {
    let counts: Vec<String> = ["critical", "high", "medium", "low", "none", "unknown"]
        .iter()
        .filter_map(|k| severity_counts(&r.hits).get(k).map(|n| format!("{k} {n}")))
        .collect();
    let mut s = format!(
        "{} vulnerabilities{} in {} of {} packages",
        r.hits.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        },
        r.matched_packages,
        r.catalog.packages.len()
    );
    if !r.suppressed.is_empty() {
        s.push_str(&format!("; {} suppressed by VEX", r.suppressed.len()));
    }
    if r.skipped_os_owned > 0 {
        s.push_str(&format!(
            "; {} language packages owned by OS packages not matched (--include-os-owned)",
            r.skipped_os_owned
        ));
    }
    s
}

fn text_report(r: &Report<'_>, show_suppressed: bool) -> String {
    let pk = &r.catalog.packages;
    let row = |m: &Match, p: &Package| {
        vec![
            m.id.clone(),
            level_of(m).unwrap_or("unknown").to_string(),
            p.name.clone(),
            p.version.clone(),
            m.fixed_in.clone().unwrap_or_else(|| "(unfixed)".into()),
            m.package.ecosystem.clone(),
        ]
    };
    let header = [
        "ID",
        "SEVERITY",
        "PACKAGE",
        "VERSION",
        "FIXED IN",
        "ECOSYSTEM",
    ];
    let mut s = String::new();
    if !r.hits.is_empty() {
        let rows: Vec<Vec<String>> = r.hits.iter().map(|h| row(&h.m, &pk[h.pkg])).collect();
        s.push_str(&columns(&header, &rows));
        s.push('\n');
    }
    if show_suppressed && !r.suppressed.is_empty() {
        s.push_str("Suppressed by VEX:\n");
        let rows: Vec<Vec<String>> = r
            .suppressed
            .iter()
            .map(|q| {
                let mut v = row(&q.m, &pk[q.pkg]);
                let why = q
                    .reason
                    .justification
                    .clone()
                    .or_else(|| q.reason.note.clone())
                    .unwrap_or_default();
                v.push(format!(
                    "{}{}",
                    serde_json::to_value(q.reason.status)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default(),
                    if why.is_empty() {
                        String::new()
                    } else {
                        format!(": {why}")
                    }
                ));
                v
            })
            .collect();
        let mut h = header.to_vec();
        h.push("REASON");
        s.push_str(&columns(&h, &rows));
        s.push('\n');
    }
    if !r.errors.is_empty() {
        s.push_str(
            "Not decided (versions that could not be compared; the package may be affected):\n",
        );
        for e in &r.errors {
            s.push_str(&format!(
                "  {} {} ({}){}: {}\n",
                e["package"].as_str().unwrap_or(""),
                e["version"].as_str().unwrap_or(""),
                e["ecosystem"].as_str().unwrap_or(""),
                e["record"]
                    .as_str()
                    .map(|r| format!(" against {r}"))
                    .unwrap_or_default(),
                e["message"].as_str().unwrap_or("")
            ));
        }
        s.push('\n');
    }
    for w in r
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

/// CycloneDX rating method of a CVSS vector.
fn rating_method(vector: Option<&str>, source: &str) -> &'static str {
    match vector {
        Some(v) if v.starts_with("CVSS:3.1") => "CVSSv31",
        Some(v) if v.starts_with("CVSS:3.0") => "CVSSv3",
        Some(v) if v.starts_with("CVSS:4") => "CVSSv4",
        Some(_) if source == "CVSS_V2" => "CVSSv2",
        _ => "other",
    }
}

/// CycloneDX `analysis.justification` for an OpenVEX justification.
fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "protected_at_runtime",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

fn osv_url(id: &str) -> String {
    format!("https://osv.dev/vulnerability/{id}")
}

fn cyclonedx_report(r: &Report<'_>) -> Result<Value, String> {
    let opts = SbomOptions {
        tool_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        ..SbomOptions::default()
    };
    let mut bom: Value = serde_json::from_str(&sbom::to_cyclonedx(r.catalog, &opts))
        .map_err(|e| format!("internal error: CycloneDX writer output: {e}"))?;
    // bom-ref of each component by (purl, first location)
    let mut refs: HashMap<(String, String), String> = HashMap::new();
    for c in bom["components"].as_array().into_iter().flatten() {
        let (Some(purl), Some(r)) = (c["purl"].as_str(), c["bom-ref"].as_str()) else {
            continue;
        };
        let loc = c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "kubeward:location")
            .and_then(|p| p["value"].as_str())
            .unwrap_or("");
        refs.entry((purl.to_string(), loc.to_string()))
            .or_insert_with(|| r.to_string());
    }
    let pk = &r.catalog.packages;
    let entries = r
        .hits
        .iter()
        .map(|h| (&h.m, h.pkg, None))
        .chain(r.suppressed.iter().map(|q| (&q.m, q.pkg, Some(&q.reason))));
    // one vulnerability object per (id, package)
    let mut vulns = Vec::new();
    for (n, (m, i, why)) in entries.enumerate() {
        let p = &pk[i];
        let loc = p.locations.first().cloned().unwrap_or_default();
        let Some(bref) = refs
            .get(&(p.purl.clone(), loc))
            .or_else(|| refs.get(&(p.purl.clone(), String::new())))
        else {
            continue;
        };
        let mut v = json!({
            "bom-ref": format!("vuln-{n}:{}", m.id),
            "id": m.id,
            "source": {"name": "OSV", "url": osv_url(&m.id)},
            "affects": [{"ref": bref, "versions": [{"version": p.version, "status": "affected"}]}],
        });
        let refs_v: Vec<Value> = m
            .aliases
            .iter()
            .map(|a| json!({"id": a, "source": {"name": "OSV", "url": osv_url(a)}}))
            .collect();
        if !refs_v.is_empty() {
            v["references"] = Value::Array(refs_v);
        }
        if let Some(s) = &m.severity {
            let mut rating = json!({"severity": s.level.as_str(), "method": rating_method(s.vector.as_deref(), &s.source)});
            if let Some(score) = s.score {
                rating["score"] = json!(score);
            }
            if let Some(vec) = &s.vector {
                rating["vector"] = json!(vec);
            }
            v["ratings"] = json!([rating]);
        }
        if let Some(sum) = &m.summary {
            v["description"] = json!(sum);
        }
        match &m.fixed_in {
            Some(f) => v["recommendation"] = json!(format!("Upgrade {} to {f} or later", p.name)),
            None => v["recommendation"] = json!("No fixed version is known"),
        }
        if let Some(why) = why {
            let mut a = json!({
                "state": if why.status == VexStatus::Fixed { "resolved" } else { "not_affected" },
            });
            if let Some(j) = why.justification.as_deref().and_then(cdx_justification) {
                a["justification"] = json!(j);
            }
            let detail: Vec<String> = why
                .justification
                .iter()
                .chain(why.note.iter())
                .chain(why.document.iter())
                .cloned()
                .collect();
            if !detail.is_empty() {
                a["detail"] = json!(format!("OpenVEX: {}", detail.join("; ")));
            }
            v["analysis"] = a;
        }
        v["properties"] = json!([
            {"name": "kubeward:state", "value": state_of(m)},
            {"name": "kubeward:ecosystem", "value": m.package.ecosystem},
        ]);
        vulns.push(v);
    }
    bom["vulnerabilities"] = Value::Array(vulns);
    Ok(bom)
}

fn sarif_level(m: &Match) -> &'static str {
    match m.severity.as_ref().map(|s| s.level) {
        Some(Level::Critical | Level::High) => "error",
        Some(Level::Medium) | None => "warning",
        Some(Level::Low | Level::None) => "note",
    }
}

fn sarif_report(r: &Report<'_>) -> Value {
    let pk = &r.catalog.packages;
    let mut rules: BTreeMap<String, Value> = BTreeMap::new();
    let mut results = Vec::new();
    for h in &r.hits {
        let m = &h.m;
        let p = &pk[h.pkg];
        rules.entry(m.id.clone()).or_insert_with(|| {
            let mut rule = json!({
                "id": m.id,
                "name": m.id.replace(['-', '.', ':'], ""),
                "shortDescription": {"text": m.summary.clone().unwrap_or_else(|| m.id.clone())},
                "helpUri": osv_url(&m.id),
                "help": {"text": format!("{} ({}). Aliases: {}", m.summary.clone().unwrap_or_else(|| m.id.clone()), osv_url(&m.id), if m.aliases.is_empty() { "none".to_string() } else { m.aliases.join(", ") })},
                "properties": {"tags": ["security", "vulnerability"]},
            });
            if let Some(score) = m.severity.as_ref().and_then(|s| s.score) {
                rule["properties"]["security-severity"] = json!(format!("{score:.1}"));
            }
            rule
        });
        let loc = p
            .locations
            .first()
            .cloned()
            .unwrap_or_else(|| r.catalog.source_name.clone().unwrap_or_default());
        let fix = match &m.fixed_in {
            Some(f) => format!("fixed in {f}"),
            None => "no fix known".into(),
        };
        results.push(json!({
            "ruleId": m.id,
            "level": sarif_level(m),
            "message": {"text": format!("{} {} ({}) is affected by {}{}; {fix}", p.name, p.version, m.package.ecosystem, m.id,
                m.severity.as_ref().map(|s| format!(" (severity {})", s.level)).unwrap_or_default())},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": loc}}}],
            "partialFingerprints": {"kubewardVuln/v1": format!("{}|{}|{}", m.id, p.purl, p.locations.first().cloned().unwrap_or_default())},
            "properties": {"purl": p.purl, "state": state_of(m), "fixedIn": m.fixed_in, "aliases": m.aliases},
        }));
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "kubeward",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/kubeward",
                "rules": rules.into_values().collect::<Vec<_>>(),
            }},
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_on_values() {
        assert_eq!(FailOn::parse("HIGH").unwrap(), FailOn::Level(Level::High));
        assert_eq!(FailOn::parse("any").unwrap(), FailOn::Any);
        assert!(FailOn::parse("severe").is_err());
        assert_eq!(
            cdx_justification("vulnerable_code_not_present"),
            Some("code_not_present")
        );
        assert_eq!(rating_method(Some("CVSS:3.1/AV:N"), "CVSS_V3"), "CVSSv31");
    }
}
