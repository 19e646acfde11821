//! SBOM formats: CycloneDX 1.6 JSON and SPDX 2.3 JSON writers, and a reader of both back
//! into [`Package`]s (so a stored SBOM can be matched again without the image).
//!
//! The models are small serde structs of our own: `cyclonedx-bom` pulls a large dependency
//! tree for features we do not use and `spdx-rs` has had no release since 2023.
//!
//! Output is deterministic: packages are sorted, identifiers and the CycloneDX serial number
//! are derived from the content, and a timestamp appears only when the caller gives one
//! (SPDX requires `created`: without one it is the Unix epoch).

mod cyclonedx;
mod spdx;

pub use cyclonedx::{to_cyclonedx, CycloneDx};
pub use spdx::to_spdx;

use crate::catalog::Catalog;
use crate::package::{Distro, Ecosystem, Package};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Options for the SBOM writers.
#[derive(Debug, Clone, Default)]
pub struct SbomOptions {
    /// RFC 3339 timestamp to record (`metadata.timestamp`, `creationInfo.created`).
    pub timestamp: Option<String>,
    /// Name of the described artifact; defaults to the first image name, else the source path.
    pub name: Option<String>,
    /// Version of the writing tool (`kubeward` is the tool name).
    pub tool_version: Option<String>,
}

/// Errors from reading an SBOM.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    /// Not JSON.
    #[error("SBOM is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON, but neither CycloneDX nor SPDX 2.x.
    #[error("not a CycloneDX or SPDX 2 JSON document")]
    UnknownFormat,
}

/// Which format a document is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SbomFormat {
    /// CycloneDX JSON.
    CycloneDx,
    /// SPDX 2.x JSON.
    Spdx,
}

/// Extra package facts kubeward records in an SBOM (CycloneDX properties, SPDX comment) so
/// that reading it back gives the same [`Package`].
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct Extra {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    layer: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    locations: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source_version: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    owned_by_os_package: bool,
}

/// The name of the described artifact.
fn subject_name(c: &Catalog, o: &SbomOptions) -> String {
    o.name
        .clone()
        .or_else(|| c.source.names.first().cloned())
        .or_else(|| c.source_name.clone())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Packages in output order (sorted by ecosystem, name, version, location).
fn sorted(c: &Catalog) -> Vec<&Package> {
    sorted_indices(c)
        .into_iter()
        .map(|i| &c.packages[i])
        .collect()
}

/// Indices into `c.packages` in output order (see [`sorted`]).
fn sorted_indices(c: &Catalog) -> Vec<usize> {
    let p = &c.packages;
    let mut v: Vec<usize> = (0..p.len()).collect();
    v.sort_by(|&a, &b| {
        let (a, b) = (&p[a], &p[b]);
        a.sort_key().cmp(&b.sort_key()).then(a.purl.cmp(&b.purl))
    });
    v
}

/// A content hash of the catalog, for stable identifiers.
fn content_hash(c: &Catalog, o: &SbomOptions) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(subject_name(c, o).as_bytes());
    h.update([0]);
    for p in sorted(c) {
        h.update(p.purl.as_bytes());
        h.update([0]);
        for l in &p.locations {
            h.update(l.as_bytes());
            h.update([1]);
        }
        if let Some(l) = &p.layer {
            h.update(l.as_bytes());
        }
        if p.application {
            h.update(b"\x02application");
        }
        h.update([0]);
    }
    h.finalize().into()
}

/// A UUID (RFC 4122 layout, version 5 bits) made from a content hash.
fn uuid_from(hash: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&hash[..16]);
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// Detects the format of an SBOM document.
pub fn detect_format(v: &serde_json::Value) -> Option<SbomFormat> {
    if v.get("bomFormat").and_then(|f| f.as_str()) == Some("CycloneDX") {
        Some(SbomFormat::CycloneDx)
    } else if v
        .get("spdxVersion")
        .and_then(|f| f.as_str())
        .is_some_and(|s| s.starts_with("SPDX-2"))
    {
        Some(SbomFormat::Spdx)
    } else {
        None
    }
}

/// Reads a CycloneDX (1.x JSON) or SPDX (2.x JSON) document back into a [`Catalog`]
/// (packages, distro, name). Components without a usable purl are kept only when their
/// ecosystem can be told; others are skipped.
pub fn read_sbom(data: &[u8]) -> Result<Catalog, SbomError> {
    let v: serde_json::Value = serde_json::from_slice(data)?;
    let mut c = match detect_format(&v).ok_or(SbomError::UnknownFormat)? {
        SbomFormat::CycloneDx => cyclonedx::read(&v),
        SbomFormat::Spdx => spdx::read(&v),
    };
    c.packages
        .sort_by(|a, b| a.sort_key().cmp(&b.sort_key()).then(a.purl.cmp(&b.purl)));
    Ok(c)
}

/// Rebuilds a [`Package`] from a purl plus what the document says beside it.
fn package_from_purl(purl: &str, name: Option<&str>, version: Option<&str>) -> Option<Package> {
    use std::str::FromStr;
    let u = packageurl::PackageUrl::from_str(purl).ok()?;
    let eco = Ecosystem::from_purl_type(u.ty())?;
    let ns = u.namespace().unwrap_or("");
    let pname = u.name();
    let full = match eco {
        Ecosystem::Npm if !ns.is_empty() => format!("{ns}/{pname}"),
        Ecosystem::Golang if !ns.is_empty() => format!("{ns}/{pname}"),
        Ecosystem::Maven if !ns.is_empty() => format!("{ns}:{pname}"),
        _ => pname.to_string(),
    };
    // Python names keep the document's spelling (the purl is normalised)
    let full = match (eco, name) {
        (Ecosystem::Pypi, Some(n)) if !n.is_empty() => n.to_string(),
        _ => full,
    };
    let version = u
        .version()
        .map(str::to_string)
        .or_else(|| version.map(str::to_string))
        .unwrap_or_default();
    let mut p = Package::new(eco, full, version);
    for (k, val) in u.qualifiers() {
        match k.as_ref() {
            "arch" => p.arch = Some(val.to_string()),
            "distro" => {
                let (id, ver) = match val.split_once('-') {
                    Some((i, v)) => (i.to_string(), v.to_string()),
                    None => (val.to_string(), String::new()),
                };
                p.distro = Some(Distro {
                    id,
                    version_id: ver,
                    ..Distro::default()
                });
            }
            "upstream" | "origin" => match val.split_once('@') {
                Some((n, v)) => {
                    p.source_name = Some(n.to_string());
                    p.source_version = Some(v.to_string());
                }
                None => p.source_name = Some(val.to_string()),
            },
            _ => {}
        }
    }
    if eco.is_os() {
        if p.source_name.is_none() {
            p.source_name = Some(p.name.clone());
        }
        if p.source_version.is_none() {
            p.source_version = Some(p.version.clone());
        }
    }
    // keep the document's purl as written: it is the identity other tools share
    p.purl = purl.to_string();
    Some(p)
}

/// The dependencies of each application package (see [`Package::application`]), as indices
/// into `c.packages`, in output order: the other packages of a Go or Rust binary; the
/// packages of a root `package.json`'s `node_modules` (or its `package-lock.json`).
fn app_dependencies(c: &Catalog) -> Vec<(usize, Vec<usize>)> {
    let order = sorted_indices(c);
    fn first(p: &Package) -> &str {
        p.locations.first().map(String::as_str).unwrap_or("")
    }
    let mut out = Vec::new();
    for &a in &order {
        let app = &c.packages[a];
        if !app.application {
            continue;
        }
        let at = first(app);
        let npm_dir = match app.ecosystem {
            Ecosystem::Npm => at.strip_suffix("package.json"),
            _ => None,
        };
        let deps: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| {
                let p = &c.packages[i];
                if i == a || p.application || p.ecosystem != app.ecosystem {
                    return false;
                }
                match (app.ecosystem, npm_dir) {
                    (Ecosystem::Npm, Some(dir)) => {
                        let l = first(p);
                        l.strip_prefix(dir).is_some_and(|rest| {
                            rest.starts_with("node_modules/") || rest == "package-lock.json"
                        })
                    }
                    (Ecosystem::Golang | Ecosystem::Cargo, _) => first(p) == at,
                    _ => false,
                }
            })
            .collect();
        out.push((a, deps));
    }
    out
}

fn apply_extra(p: &mut Package, e: Extra) {
    if e.layer.is_some() {
        p.layer = e.layer;
    }
    if !e.locations.is_empty() {
        p.locations = e.locations;
    }
    if e.source_name.is_some() {
        p.source_name = e.source_name;
    }
    if e.source_version.is_some() {
        p.source_version = e.source_version;
    }
    p.owned_by_os_package |= e.owned_by_os_package;
}

fn extra_of(p: &Package) -> Extra {
    Extra {
        layer: p.layer.clone(),
        locations: p.locations.clone(),
        source_name: p.source_name.clone().filter(|s| *s != p.name),
        source_version: p.source_version.clone().filter(|s| *s != p.version),
        owned_by_os_package: p.owned_by_os_package,
    }
}
