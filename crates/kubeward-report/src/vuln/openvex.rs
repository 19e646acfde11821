//! OpenVEX 0.2.0 of the vulnerability report: one statement per match (status `affected`,
//! with an `action_statement`), and one per VEX-suppressed match with the status,
//! justification and impact statement that suppressed it. Products are the packages' purls.
//!
//! The document is deterministic: `@id` is derived from the statements, and `timestamp` is
//! the one given ([`VulnResult::timestamp`]) or the Unix epoch, so that a document written
//! without one never overrides another in a VEX consumer.
//! Spec: <https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md>.

use super::{vex_status, write_pretty, VulnResult};
use kubeward_image::package::Package;
use kubeward_vuln::osv::{Match, Suppression};
use serde::Serialize;
use std::io;

/// The `@context` of OpenVEX 0.2.0.
pub const CONTEXT: &str = "https://openvex.dev/ns/v0.2.0";
/// The timestamp written when none is given.
pub const DEFAULT_TIMESTAMP: &str = "1970-01-01T00:00:00Z";
/// The author written.
pub const AUTHOR: &str = "kubeward";

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@id")]
    id: String,
    author: &'static str,
    timestamp: &'a str,
    version: u32,
    tooling: String,
    statements: Vec<Statement<'a>>,
}

#[derive(Serialize)]
struct Statement<'a> {
    vulnerability: Vulnerability<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    products: Vec<Product<'a>>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    impact_statement: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    action_statement: Option<String>,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    aliases: &'a [String],
}

#[derive(Serialize)]
struct Product<'a> {
    #[serde(rename = "@id")]
    id: &'a str,
}

fn products<'a>(m: &'a Match, p: Option<&'a Package>) -> Vec<Product<'a>> {
    let purl = p
        .map(|p| p.purl.as_str())
        .filter(|s| !s.is_empty())
        .or(m.package.purl.as_deref());
    purl.map(|id| Product { id }).into_iter().collect()
}

fn affected<'a>(m: &'a Match, p: Option<&'a Package>) -> Statement<'a> {
    let name = p.map_or(m.package.name.as_str(), |p| p.name.as_str());
    Statement {
        vulnerability: Vulnerability {
            name: &m.id,
            aliases: &m.aliases,
        },
        products: products(m, p),
        status: "affected",
        justification: None,
        impact_statement: None,
        action_statement: Some(match &m.fixed_in {
            Some(f) => format!("Upgrade {name} to {f} or later"),
            None => format!(
                "No fixed version of {name} is known: reduce the exposure of the workloads that run it"
            ),
        }),
    }
}

fn suppressed<'a>(m: &'a Match, p: Option<&'a Package>, why: &'a Suppression) -> Statement<'a> {
    // not_affected needs a justification or an impact statement
    let impact = why.note.clone().or_else(|| {
        why.justification.is_none().then(|| match &why.document {
            Some(d) => format!("Suppressed by OpenVEX document {d}"),
            None => "Suppressed by an OpenVEX statement".to_string(),
        })
    });
    Statement {
        vulnerability: Vulnerability {
            name: &m.id,
            aliases: &m.aliases,
        },
        products: products(m, p),
        status: vex_status(why.status),
        justification: why.justification.as_deref(),
        impact_statement: impact,
        action_statement: None,
    }
}

/// FNV-1a (64 bits): a stable digest of the statements for the document's `@id`.
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Writes the OpenVEX document.
pub fn write(r: &VulnResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    let statements: Vec<Statement<'_>> = r
        .report
        .matches
        .iter()
        .map(|h| affected(&h.matched, r.package(h.package)))
        .chain(
            r.report
                .suppressed
                .iter()
                .map(|q| suppressed(&q.matched, r.package(q.package), &q.reason)),
        )
        .collect();
    let body = serde_json::to_vec(&statements).map_err(io::Error::other)?;
    let subject = r.catalog.source_name.as_deref().unwrap_or_default();
    let id = format!(
        "urn:kubeward:openvex:{:016x}{:016x}",
        fnv(subject.as_bytes()),
        fnv(&body)
    );
    let doc = Document {
        context: CONTEXT,
        id,
        author: AUTHOR,
        timestamp: r.timestamp.unwrap_or(DEFAULT_TIMESTAMP),
        version: 1,
        tooling: format!("kubeward {}", r.tool_version),
        statements,
    };
    write_pretty(&doc, out)
}
