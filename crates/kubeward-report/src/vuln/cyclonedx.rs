//! CycloneDX 1.6 VDR: the catalog's SBOM (as `kubeward sbom --format cyclonedx` builds it)
//! with one `vulnerabilities` entry per match and per VEX-suppressed match (these carry an
//! `analysis`), each pointing at its package's component by `bom-ref`.
//!
//! The document is written with its keys in alphabetical order.

use super::{level_of, osv_url, state_of, write_pretty, VulnResult};
use kubeward_image::sbom::{CycloneDx, SbomOptions};
use kubeward_vuln::osv::{Match, Suppression, VexStatus};
use serde::Serialize;
use std::io;

#[derive(Serialize)]
struct Vulnerability<'a> {
    affects: [Affects<'a>; 1],
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    id: &'a str,
    properties: [Property<'a>; 2],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    ratings: Vec<Rating<'a>>,
    recommendation: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference<'a>>,
    source: Source,
}

#[derive(Serialize)]
struct Affects<'a> {
    #[serde(rename = "ref")]
    bom_ref: &'a str,
    versions: [AffectedVersion<'a>; 1],
}

#[derive(Serialize)]
struct AffectedVersion<'a> {
    status: &'static str,
    version: &'a str,
}

#[derive(Serialize)]
struct Analysis {
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    state: &'static str,
}

#[derive(Serialize)]
struct Property<'a> {
    name: &'static str,
    value: &'a str,
}

#[derive(Serialize)]
struct Rating<'a> {
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<&'a str>,
}

#[derive(Serialize)]
struct Reference<'a> {
    id: &'a str,
    source: Source,
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: String,
}

/// CycloneDX rating method of a CVSS vector.
pub fn rating_method(vector: Option<&str>, source: &str) -> &'static str {
    match vector {
        Some(v) if v.starts_with("CVSS:3.1") => "CVSSv31",
        Some(v) if v.starts_with("CVSS:3.0") => "CVSSv3",
        Some(v) if v.starts_with("CVSS:4") => "CVSSv4",
        Some(_) if source == "CVSS_V2" => "CVSSv2",
        _ => "other",
    }
}

/// CycloneDX `analysis.justification` for an OpenVEX justification.
pub fn cdx_justification(j: &str) -> Option<&'static str> {
    Some(match j {
        "component_not_present" | "vulnerable_code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" => "code_not_reachable",
        "vulnerable_code_cannot_be_controlled_by_adversary" => "protected_at_runtime",
        "inline_mitigations_already_exist" => "protected_by_mitigating_control",
        _ => return None,
    })
}

fn analysis(why: &Suppression) -> Analysis {
    let detail: Vec<&str> = why
        .justification
        .iter()
        .chain(why.note.iter())
        .chain(why.document.iter())
        .map(String::as_str)
        .collect();
    Analysis {
        detail: (!detail.is_empty()).then(|| format!("OpenVEX: {}", detail.join("; "))),
        justification: why.justification.as_deref().and_then(cdx_justification),
        state: if why.status == VexStatus::Fixed {
            "resolved"
        } else {
            "not_affected"
        },
    }
}

/// Writes the VDR.
pub fn write(r: &VulnResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    let opts = SbomOptions {
        tool_version: Some(r.tool_version.to_string()),
        ..SbomOptions::default()
    };
    let bom = CycloneDx::new(r.catalog, &opts);
    let entries = r
        .report
        .matches
        .iter()
        .map(|h| (&h.matched, h.package, None))
        .chain(
            r.report
                .suppressed
                .iter()
                .map(|q| (&q.matched, q.package, Some(&q.reason))),
        );
    let mut vulns = Vec::new();
    for (n, (m, i, why)) in entries.enumerate() {
        let (Some(p), Some(bom_ref)) = (r.package(i), bom.bom_ref(i)) else {
            continue;
        };
        vulns.push(vulnerability(n, m, &p.name, &p.version, bom_ref, why));
    }
    // keys in alphabetical order, as a `serde_json::Value` writes them
    let mut doc = serde_json::to_value(&bom).map_err(io::Error::other)?;
    let vulns = serde_json::to_value(&vulns).map_err(io::Error::other)?;
    if let Some(o) = doc.as_object_mut() {
        o.insert("vulnerabilities".into(), vulns);
    }
    write_pretty(&doc, out)
}

fn vulnerability<'a>(
    n: usize,
    m: &'a Match,
    name: &str,
    version: &'a str,
    bom_ref: &'a str,
    why: Option<&Suppression>,
) -> Vulnerability<'a> {
    Vulnerability {
        affects: [Affects {
            bom_ref,
            versions: [AffectedVersion {
                status: "affected",
                version,
            }],
        }],
        analysis: why.map(analysis),
        bom_ref: format!("vuln-{n}:{}", m.id),
        description: m.summary.as_deref(),
        id: &m.id,
        properties: [
            Property {
                name: "kubeward:state",
                value: state_of(m),
            },
            Property {
                name: "kubeward:ecosystem",
                value: &m.package.ecosystem,
            },
        ],
        ratings: m
            .severity
            .iter()
            .map(|s| Rating {
                method: rating_method(s.vector.as_deref(), &s.source),
                score: s.score,
                severity: level_of(m).unwrap_or("unknown"),
                vector: s.vector.as_deref(),
            })
            .collect(),
        recommendation: match &m.fixed_in {
            Some(f) => format!("Upgrade {name} to {f} or later"),
            None => "No fixed version is known".into(),
        },
        references: m
            .aliases
            .iter()
            .map(|a| Reference {
                id: a,
                source: Source {
                    name: "OSV",
                    url: osv_url(a),
                },
            })
            .collect(),
        source: Source {
            name: "OSV",
            url: osv_url(&m.id),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mappings() {
        assert_eq!(
            cdx_justification("vulnerable_code_not_present"),
            Some("code_not_present")
        );
        assert_eq!(cdx_justification("made_up"), None);
        assert_eq!(rating_method(Some("CVSS:3.1/AV:N"), "CVSS_V3"), "CVSSv31");
        assert_eq!(rating_method(Some("AV:N/AC:L"), "CVSS_V2"), "CVSSv2");
        assert_eq!(rating_method(None, "database_specific"), "other");
    }
}
