//! OpenVEX: statements that a product is not affected by (or fixed for) a vulnerability
//! suppress the matching [`Match`]es, with the statement's reason recorded.

use super::matcher::Match;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A VEX status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexStatus {
    /// The product is not affected; suppresses.
    NotAffected,
    /// The product is affected; does not suppress (and overrides an earlier suppression).
    Affected,
    /// The product contains the fix; suppresses.
    Fixed,
    /// Not known yet; does not suppress.
    UnderInvestigation,
}

/// One OpenVEX statement, reduced to what filtering needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability name and its aliases (`CVE-...`, `GHSA-...`).
    pub vulnerability: Vec<String>,
    /// Product identifiers (purls), including subcomponents.
    pub products: Vec<String>,
    /// Subcomponent purls (the packages inside a product image), if any.
    pub subcomponents: Vec<String>,
    /// The status.
    pub status: VexStatus,
    /// `justification` of a `not_affected` statement.
    pub justification: Option<String>,
    /// `impact_statement` or `status_notes`.
    pub note: Option<String>,
}

/// A parsed OpenVEX document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VexDocument {
    /// The document's `@id`.
    pub id: Option<String>,
    /// Statements in document order (a later statement overrides an earlier one).
    pub statements: Vec<VexStatement>,
}

/// Why a VEX document could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexError(pub String);

impl fmt::Display for VexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid OpenVEX document: {}", self.0)
    }
}

impl std::error::Error for VexError {}

/// The reason a match was suppressed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `not_affected` or `fixed`.
    pub status: VexStatus,
    /// The justification (`vulnerable_code_not_present`, ...), if given.
    pub justification: Option<String>,
    /// The impact statement or status notes, if given.
    pub note: Option<String>,
    /// The VEX document's `@id`.
    pub document: Option<String>,
}

/// A match removed by a VEX statement, with the reason.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suppressed {
    /// The match.
    #[serde(rename = "match")]
    pub matched: Match,
    /// The reason.
    pub reason: Suppression,
}

/// Reads an `@id`-bearing object or a bare string.
fn id_of(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Object(o) => o
            .get("@id")
            .or_else(|| o.get("name"))
            .and_then(|x| x.as_str())
            .map(str::to_string),
        _ => None,
    }
}

/// Purls of a product entry: its `@id` and its `identifiers.purl`.
fn product_ids(v: &serde_json::Value) -> Vec<String> {
    let mut out: Vec<String> = id_of(v).into_iter().collect();
    if let Some(p) = v
        .get("identifiers")
        .and_then(|i| i.get("purl"))
        .and_then(|p| p.as_str())
    {
        out.push(p.to_string());
    }
    out
}

impl VexDocument {
    /// Parses an OpenVEX JSON document (v0.2.0; the older form with string vulnerabilities
    /// and products is accepted too).
    pub fn parse(json: &[u8]) -> Result<VexDocument, VexError> {
        let v: serde_json::Value =
            serde_json::from_slice(json).map_err(|e| VexError(e.to_string()))?;
        let stmts = v
            .get("statements")
            .and_then(|s| s.as_array())
            .ok_or_else(|| VexError("no `statements` array".into()))?;
        let mut statements = Vec::new();
        for (k, s) in stmts.iter().enumerate() {
            let vuln = s
                .get("vulnerability")
                .ok_or_else(|| VexError(format!("statement #{k} has no vulnerability")))?;
            let mut vulnerability: Vec<String> = id_of(vuln).into_iter().collect();
            if let Some(n) = vuln.get("name").and_then(|n| n.as_str()) {
                vulnerability.push(n.to_string());
            }
            if let Some(a) = vuln.get("aliases").and_then(|a| a.as_array()) {
                vulnerability.extend(a.iter().filter_map(|x| x.as_str().map(str::to_string)));
            }
            vulnerability.sort();
            vulnerability.dedup();
            if vulnerability.is_empty() {
                return Err(VexError(format!(
                    "statement #{k} has no vulnerability name"
                )));
            }
            let mut products = Vec::new();
            let mut subcomponents = Vec::new();
            for p in s
                .get("products")
                .and_then(|p| p.as_array())
                .into_iter()
                .flatten()
            {
                products.extend(product_ids(p));
                for sc in p
                    .get("subcomponents")
                    .and_then(|x| x.as_array())
                    .into_iter()
                    .flatten()
                {
                    subcomponents.extend(product_ids(sc));
                }
            }
            for sc in s
                .get("subcomponents")
                .and_then(|x| x.as_array())
                .into_iter()
                .flatten()
            {
                subcomponents.extend(product_ids(sc));
            }
            let status_v = s.get("status").cloned().unwrap_or_default();
            let status: VexStatus = serde_json::from_value(status_v.clone()).map_err(|_| {
                VexError(format!("statement #{k} has an unknown status {status_v}"))
            })?;
            let text = |key: &str| s.get(key).and_then(|x| x.as_str()).map(str::to_string);
            statements.push(VexStatement {
                vulnerability,
                products,
                subcomponents,
                status,
                justification: text("justification"),
                note: text("impact_statement").or_else(|| text("status_notes")),
            });
        }
        Ok(VexDocument {
            id: v.get("@id").and_then(|x| x.as_str()).map(str::to_string),
            statements,
        })
    }

    /// The statement that decides `m` (the last applicable one), if any. `image` is the purl
    /// of the scanned image, so that a statement about the image (without subcomponents)
    /// covers every package in it.
    pub fn decide(&self, m: &Match, image: Option<&str>) -> Option<&VexStatement> {
        let pkg = m.package.purl.as_deref();
        self.statements.iter().rev().find(|s| {
            let names_vuln = s
                .vulnerability
                .iter()
                .any(|v| *v == m.id || m.aliases.iter().any(|a| a == v));
            if !names_vuln {
                return false;
            }
            let pkg_hit =
                |list: &[String]| pkg.is_some_and(|p| list.iter().any(|x| purl_covers(x, p)));
            if !s.subcomponents.is_empty() {
                let product_ok = s.products.is_empty()
                    || image.is_some_and(|i| s.products.iter().any(|x| purl_covers(x, i)))
                    || pkg_hit(&s.products);
                return product_ok && pkg_hit(&s.subcomponents);
            }
            pkg_hit(&s.products)
                || image.is_some_and(|i| s.products.iter().any(|x| purl_covers(x, i)))
        })
    }

    /// Splits `matches` into those kept and those suppressed by `not_affected` or `fixed`
    /// statements (the decision of [`crate::report::vex_decision`]).
    pub fn filter(
        &self,
        matches: Vec<Match>,
        image: Option<&str>,
    ) -> (Vec<Match>, Vec<Suppressed>) {
        let mut kept = Vec::new();
        let mut suppressed = Vec::new();
        for m in matches {
            match crate::report::vex_decision(std::slice::from_ref(self), &m, image) {
                Some(reason) => suppressed.push(Suppressed { matched: m, reason }),
                None => kept.push(m),
            }
        }
        (kept, suppressed)
    }
}

/// The parts of a purl that identify a package: type, namespace, name, version.
fn purl_parts(p: &str) -> Option<(String, String, String, Option<String>)> {
    let p = p.trim().strip_prefix("pkg:")?;
    let p = p.split('#').next().unwrap_or(p);
    let p = p.split('?').next().unwrap_or(p);
    let (path, version) = match p.rsplit_once('@') {
        // An `@` inside the path (npm scope is written %40) is not a version separator.
        Some((a, v)) if !a.is_empty() => (a, Some(percent_decode(v))),
        _ => (p, None),
    };
    let path = path.trim_matches('/');
    let (ty, rest) = path.split_once('/')?;
    let (ns, name) = match rest.rsplit_once('/') {
        Some((n, m)) => (n, m),
        None => ("", rest),
    };
    Some((
        ty.to_ascii_lowercase(),
        percent_decode(ns),
        percent_decode(name),
        version,
    ))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
            if let Some(x) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(x);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// True when the VEX product purl `vex` names the package purl `pkg`: same type, namespace
/// (case-insensitive) and name; and the same version when `vex` has one. Qualifiers and
/// subpaths are ignored.
pub fn purl_covers(vex: &str, pkg: &str) -> bool {
    let (Some(a), Some(b)) = (purl_parts(vex), purl_parts(pkg)) else {
        return vex == pkg;
    };
    a.0 == b.0
        && a.1.eq_ignore_ascii_case(&b.1)
        && a.2 == b.2
        && match (&a.3, &b.3) {
            (Some(va), Some(vb)) => va == vb,
            (Some(_), None) => false,
            (None, _) => true,
        }
}

#[cfg(test)]
mod tests {
    use super::super::matcher::{FixState, MatchedPackage};
    use super::*;

    fn m(id: &str, aliases: &[&str], purl: &str) -> Match {
        Match {
            id: id.into(),
            aliases: aliases.iter().map(|s| s.to_string()).collect(),
            package: MatchedPackage {
                name: "x".into(),
                version: "1".into(),
                ecosystem: "npm".into(),
                purl: Some(purl.into()),
            },
            state: FixState::Fixed,
            fixed_in: Some("2".into()),
            severity: None,
            summary: None,
            records: vec![id.into()],
            matched_name: "x".into(),
            matched_version: "1".into(),
        }
    }

    const DOC: &str = r#"{
      "@context": "https://openvex.dev/ns/v0.2.0",
      "@id": "https://example.invalid/vex/1",
      "author": "test", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
      "statements": [
        {"vulnerability": {"name": "CVE-2022-25883"},
         "products": [{"@id": "pkg:npm/semver@5.7.1"}],
         "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path",
         "impact_statement": "Range parsing is never given user input."},
        {"vulnerability": {"name": "GHSA-p6mc-m468-83gw"},
         "products": [{"@id": "pkg:oci/shop@sha256%3Aabc",
                       "subcomponents": [{"@id": "pkg:npm/lodash"}]}],
         "status": "fixed"},
        {"vulnerability": {"name": "CVE-2020-1"},
         "products": [{"@id": "pkg:npm/other@1.0.0"}], "status": "not_affected",
         "justification": "component_not_present"},
        {"vulnerability": {"name": "CVE-2020-1"},
         "products": [{"@id": "pkg:npm/other@1.0.0"}], "status": "affected"}
      ]}"#;

    #[test]
    fn suppresses_with_reason() {
        let doc = VexDocument::parse(DOC.as_bytes()).unwrap();
        let matches = vec![
            m(
                "GHSA-c2qf-rxjj-qqgw",
                &["CVE-2022-25883"],
                "pkg:npm/semver@5.7.1",
            ),
            m(
                "GHSA-c2qf-rxjj-qqgw",
                &["CVE-2022-25883"],
                "pkg:npm/semver@6.0.0",
            ),
            m("GHSA-p6mc-m468-83gw", &[], "pkg:npm/lodash@4.17.15"),
            m("GHSA-zzzz", &["CVE-2020-1"], "pkg:npm/other@1.0.0"),
        ];
        let (kept, gone) = doc.filter(matches.clone(), Some("pkg:oci/shop@sha256%3Aabc"));
        assert_eq!(gone.len(), 2);
        assert_eq!(gone[0].reason.status, VexStatus::NotAffected);
        assert_eq!(
            gone[0].reason.justification.as_deref(),
            Some("vulnerable_code_not_in_execute_path")
        );
        assert!(gone[0].reason.note.as_deref().unwrap().contains("never"));
        assert_eq!(gone[1].reason.status, VexStatus::Fixed);
        // Different version, later "affected" statement: kept.
        assert_eq!(kept.len(), 2);
        // The image-scoped statement needs the image.
        let (_, gone) = doc.filter(matches, None);
        assert_eq!(gone.len(), 1);
    }

    #[test]
    fn bad_documents() {
        assert!(VexDocument::parse(b"{}").is_err());
        assert!(VexDocument::parse(b"not json").is_err());
        assert!(VexDocument::parse(
            br#"{"statements":[{"vulnerability":{"name":"X"},"status":"maybe"}]}"#
        )
        .is_err());
    }

    #[test]
    fn purls() {
        assert!(purl_covers(
            "pkg:npm/%40scope/x",
            "pkg:npm/%40scope/x@1.0.0"
        ));
        assert!(purl_covers(
            "pkg:deb/debian/openssl@3.0.11-1?arch=amd64",
            "pkg:deb/debian/openssl@3.0.11-1?distro=debian-12"
        ));
        assert!(!purl_covers("pkg:npm/x@1.0.0", "pkg:npm/x@1.0.1"));
        assert!(!purl_covers("pkg:npm/x@1.0.0", "pkg:pypi/x@1.0.0"));
    }
}
