//! The OSV record model (schema 1.x): the fields the matcher needs, unknown fields ignored.

use serde::{Deserialize, Deserializer, Serialize};

/// `null` in the JSON becomes the type's default (some producers write `"aliases": null`).
fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// One OSV vulnerability record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The record id (`GHSA-...`, `PYSEC-...`, `GO-...`, `DSA-...`, `RUSTSEC-...`).
    pub id: String,
    /// Other ids of the same vulnerability (`CVE-...`, `GHSA-...`).
    #[serde(default, deserialize_with = "null_default")]
    pub aliases: Vec<String>,
    /// Ids of the upstream vulnerabilities a downstream record covers (schema 1.6).
    #[serde(default, deserialize_with = "null_default")]
    pub upstream: Vec<String>,
    /// Related but different vulnerabilities.
    #[serde(default, deserialize_with = "null_default")]
    pub related: Vec<String>,
    /// Last modification time (RFC 3339).
    #[serde(default)]
    pub modified: Option<String>,
    /// Publication time (RFC 3339).
    #[serde(default)]
    pub published: Option<String>,
    /// When set, the record was withdrawn and must not match.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// Affected packages.
    #[serde(default, deserialize_with = "null_default")]
    pub affected: Vec<Affected>,
    /// Severity scores of the whole record.
    #[serde(default, deserialize_with = "null_default")]
    pub severity: Vec<SeverityScore>,
    /// References (advisories, fixes, reports).
    #[serde(default, deserialize_with = "null_default")]
    pub references: Vec<Reference>,
    /// Database-specific data (e.g. GHSA's `{"severity": "HIGH"}`).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// One `affected[]` entry: a package and the versions of it that are affected.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package; absent in some records (e.g. with an empty `affected`).
    #[serde(default)]
    pub package: Option<PackageId>,
    /// Version ranges.
    #[serde(default, deserialize_with = "null_default")]
    pub ranges: Vec<Range>,
    /// An explicit list of affected versions.
    #[serde(default, deserialize_with = "null_default")]
    pub versions: Vec<String>,
    /// Per-package severity (schema 1.6).
    #[serde(default, deserialize_with = "null_default")]
    pub severity: Vec<SeverityScore>,
    /// Ecosystem-specific data (Go `imports[].symbols`, RustSec `affects.functions`...).
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database-specific data.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// `affected[].package`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageId {
    /// OSV ecosystem (`PyPI`, `npm`, `Debian:12`, `Alpine:v3.19`...).
    #[serde(default)]
    pub ecosystem: String,
    /// Package name as the ecosystem spells it.
    #[serde(default)]
    pub name: String,
    /// Package URL without version, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// Kind of a version range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RangeType {
    /// Versions in the ecosystem's own ordering.
    Ecosystem,
    /// SemVer 2.0.0 versions.
    Semver,
    /// Git commits (not evaluated against package versions).
    Git,
    /// A range type this crate does not know.
    #[serde(other)]
    Unknown,
}

/// `affected[].ranges[]`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Range {
    /// Range type.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Repository of a GIT range.
    #[serde(default)]
    pub repo: Option<String>,
    /// Events, in the order the record lists them.
    #[serde(default, deserialize_with = "null_default")]
    pub events: Vec<Event>,
    /// Database-specific data.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// One event of a range. Exactly one field is set in a valid record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Versions from here on are affected (`"0"`: from the beginning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// Versions from here on are not affected (the fix).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// The last affected version; later ones are not affected (no fix known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// An upper limit of the range (exclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// The kind and version of an [`Event`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// `introduced`
    Introduced,
    /// `fixed`
    Fixed,
    /// `last_affected`
    LastAffected,
    /// `limit`
    Limit,
}

impl Event {
    /// The kind and version of this event, or `None` when no field is set.
    pub fn kind(&self) -> Option<(EventKind, &str)> {
        if let Some(v) = &self.introduced {
            Some((EventKind::Introduced, v))
        } else if let Some(v) = &self.fixed {
            Some((EventKind::Fixed, v))
        } else if let Some(v) = &self.last_affected {
            Some((EventKind::LastAffected, v))
        } else {
            self.limit.as_deref().map(|v| (EventKind::Limit, v))
        }
    }
}

/// `severity[]`: a scoring system and its vector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeverityScore {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`...
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (or level, for `Ubuntu`).
    pub score: String,
}

/// `references[]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB`, `REPORT`...
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The address.
    #[serde(default)]
    pub url: String,
}
