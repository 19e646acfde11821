//! SPDX 2.3 JSON.

use super::{
    app_dependencies, apply_extra, content_hash, extra_of, package_from_purl, sorted_indices,
    subject_name, uuid_from, Extra, SbomOptions,
};
use crate::catalog::Catalog;
use crate::package::Distro;
use serde::Serialize;
use serde_json::Value;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
}

#[derive(Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    download_location: &'static str,
    files_analyzed: bool,
    license_concluded: &'static str,
    license_declared: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    license_comments: Option<String>,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

const NOASSERTION: &str = "NOASSERTION";
const COMMENT_PREFIX: &str = "kubeward: ";
const LICENSE_PREFIX: &str = "Declared licenses: ";

fn sanitize(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Writes an SPDX 2.3 JSON document (pretty-printed, deterministic). Declared licenses are
/// recorded in `licenseComments` (they are free text in most ecosystems, not SPDX
/// expressions); `licenseDeclared` is `NOASSERTION`.
pub fn to_spdx(c: &Catalog, o: &SbomOptions) -> String {
    let hash = content_hash(c, o);
    let name = subject_name(c, o);
    let uuid = uuid_from(&hash);
    let mut packages = vec![SpdxPackage {
        spdx_id: "SPDXRef-Subject".into(),
        name: name.clone(),
        version_info: None,
        download_location: NOASSERTION,
        files_analyzed: false,
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION,
        license_comments: None,
        copyright_text: NOASSERTION,
        source_info: None,
        primary_package_purpose: Some(if c.source.layers.is_empty() {
            "FILE"
        } else {
            "CONTAINER"
        }),
        external_refs: Vec::new(),
        comment: c
            .source
            .config_digest
            .as_ref()
            .map(|d| format!("image id {d}")),
    }];
    let mut relationships = vec![Relationship {
        spdx_element_id: "SPDXRef-DOCUMENT".into(),
        relationship_type: "DESCRIBES",
        related_spdx_element: "SPDXRef-Subject".into(),
    }];
    if let Some(d) = &c.distro {
        packages.push(SpdxPackage {
            spdx_id: format!("SPDXRef-OperatingSystem-{}", sanitize(&d.qualifier())),
            name: d.id.clone(),
            version_info: (!d.version_id.is_empty()).then(|| d.version_id.clone()),
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION,
            license_comments: None,
            copyright_text: NOASSERTION,
            source_info: None,
            primary_package_purpose: Some("OPERATING-SYSTEM"),
            external_refs: Vec::new(),
            comment: None,
        });
    }
    let mut ids = vec![String::new(); c.packages.len()];
    for (i, k) in sorted_indices(c).into_iter().enumerate() {
        let p = &c.packages[k];
        let id = format!("SPDXRef-Package-{}-{i}", p.ecosystem.as_str());
        ids[k] = id.clone();
        let e = extra_of(p);
        let comment = (e != Extra::default()).then(|| {
            format!(
                "{COMMENT_PREFIX}{}",
                serde_json::to_string(&e).unwrap_or_default()
            )
        });
        packages.push(SpdxPackage {
            spdx_id: id.clone(),
            name: p.name.clone(),
            version_info: (!p.version.is_empty()).then(|| p.version.clone()),
            download_location: NOASSERTION,
            files_analyzed: false,
            license_concluded: NOASSERTION,
            license_declared: NOASSERTION,
            license_comments: (!p.licenses.is_empty())
                .then(|| format!("{LICENSE_PREFIX}{}", p.licenses.join(" ; "))),
            copyright_text: NOASSERTION,
            source_info: p
                .locations
                .first()
                .map(|l| format!("acquired package info from {l}")),
            primary_package_purpose: Some(if p.application {
                "APPLICATION"
            } else if p.ecosystem.is_os() {
                "INSTALL"
            } else {
                "LIBRARY"
            }),
            external_refs: (!p.purl.is_empty())
                .then(|| ExternalRef {
                    reference_category: "PACKAGE-MANAGER",
                    reference_type: "purl",
                    reference_locator: p.purl.clone(),
                })
                .into_iter()
                .collect(),
            comment,
        });
        relationships.push(Relationship {
            spdx_element_id: "SPDXRef-Subject".into(),
            relationship_type: "CONTAINS",
            related_spdx_element: id,
        });
    }
    for (a, deps) in app_dependencies(c) {
        for d in deps {
            relationships.push(Relationship {
                spdx_element_id: ids[a].clone(),
                relationship_type: "DEPENDS_ON",
                related_spdx_element: ids[d].clone(),
            });
        }
    }
    let doc = Document {
        spdx_version: "SPDX-2.3",
        data_license: "CC0-1.0",
        spdx_id: "SPDXRef-DOCUMENT",
        name: name.clone(),
        document_namespace: format!("https://kubeward.invalid/spdx/{}-{uuid}", sanitize(&name)),
        creation_info: CreationInfo {
            created: o
                .timestamp
                .clone()
                .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string()),
            creators: vec![match &o.tool_version {
                Some(v) => format!("Tool: kubeward-{v}"),
                None => "Tool: kubeward".to_string(),
            }],
        },
        packages,
        relationships,
    };
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// Reads an SPDX 2.x JSON document.
pub(super) fn read(v: &Value) -> Catalog {
    let mut c = Catalog {
        source_name: v.get("name").and_then(Value::as_str).map(str::to_string),
        ..Catalog::default()
    };
    for pk in v
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| pk.get(k).and_then(Value::as_str);
        if s("primaryPackagePurpose") == Some("OPERATING-SYSTEM") {
            c.distro = Some(Distro {
                id: s("name").unwrap_or("").to_string(),
                version_id: s("versionInfo").unwrap_or("").to_string(),
                ..Distro::default()
            });
            continue;
        }
        let purl = pk
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|r| r.get("referenceType").and_then(Value::as_str) == Some("purl"))
            .and_then(|r| r.get("referenceLocator").and_then(Value::as_str));
        let Some(purl) = purl else { continue };
        let Some(mut p) = package_from_purl(purl, s("name"), s("versionInfo")) else {
            continue;
        };
        p.application = s("primaryPackagePurpose") == Some("APPLICATION");
        if let Some(e) = s("comment")
            .and_then(|c| c.strip_prefix(COMMENT_PREFIX))
            .and_then(|j| serde_json::from_str::<Extra>(j).ok())
        {
            apply_extra(&mut p, e);
        }
        if let Some(l) = s("licenseComments").and_then(|l| l.strip_prefix(LICENSE_PREFIX)) {
            p.licenses = l.split(" ; ").map(str::to_string).collect();
        } else if let Some(l) = s("licenseDeclared").filter(|l| *l != NOASSERTION && *l != "NONE") {
            p.licenses = vec![l.to_string()];
        }
        c.packages.push(p);
    }
    c
}
