//! CycloneDX 1.6 JSON.

use super::{
    app_dependencies, apply_extra, content_hash, extra_of, package_from_purl, sorted_indices,
    subject_name, uuid_from, Extra, SbomOptions,
};
use crate::catalog::Catalog;
use crate::package::{Distro, Ecosystem};
use serde::Serialize;
use serde_json::Value;
use std::collections::HashSet;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Bom<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata<'a>,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

/// What an application component depends on.
#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Metadata<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    timestamp: Option<&'a str>,
    tools: Tools,
    component: Component,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    group: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

fn prop(name: &str, value: impl Into<String>) -> Property {
    Property {
        name: name.to_string(),
        value: value.into(),
    }
}

/// Writes a CycloneDX 1.6 JSON document (pretty-printed, deterministic).
pub fn to_cyclonedx(c: &Catalog, o: &SbomOptions) -> String {
    serde_json::to_string_pretty(&CycloneDx::new(c, o)).unwrap_or_default()
}

/// The CycloneDX 1.6 document of a catalog, typed (it serializes as [`to_cyclonedx`] writes
/// it), with the `bom-ref` of every package: a vulnerability report (VDR) adds its
/// `vulnerabilities` to it, pointing at the components.
pub struct CycloneDx<'a> {
    bom: Bom<'a>,
    /// `bom-ref` of each package, in `Catalog::packages` order.
    refs: Vec<String>,
}

impl serde::Serialize for CycloneDx<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.bom.serialize(s)
    }
}

impl<'a> CycloneDx<'a> {
    /// The document of `c`.
    pub fn new(c: &Catalog, o: &'a SbomOptions) -> CycloneDx<'a> {
        build(c, o)
    }

    /// The `bom-ref` of the component of `c.packages[package]`.
    pub fn bom_ref(&self, package: usize) -> Option<&str> {
        self.refs.get(package).map(String::as_str)
    }
}

fn build<'a>(c: &Catalog, o: &'a SbomOptions) -> CycloneDx<'a> {
    let hash = content_hash(c, o);
    let name = subject_name(c, o);
    let mut subject = Component {
        kind: if c.source.layers.is_empty() {
            "file"
        } else {
            "container"
        },
        bom_ref: Some("subject".into()),
        name,
        ..Component::default()
    };
    if let Some(d) = &c.source.config_digest {
        subject
            .properties
            .push(prop("kubeward:image:id", d.clone()));
    }
    if let Some(d) = &c.source.manifest_digest {
        subject
            .properties
            .push(prop("kubeward:image:manifest-digest", d.clone()));
    }
    let mut components = Vec::new();
    if let Some(d) = &c.distro {
        components.push(Component {
            kind: "operating-system",
            bom_ref: Some(format!("os:{}", d.qualifier())),
            name: d.id.clone(),
            version: (!d.version_id.is_empty()).then(|| d.version_id.clone()),
            properties: d
                .codename
                .iter()
                .map(|c| prop("kubeward:distro:codename", c.clone()))
                .collect(),
            ..Component::default()
        });
    }
    let mut refs: HashSet<String> = HashSet::new();
    let mut package_refs = vec![String::new(); c.packages.len()];
    for (i, k) in sorted_indices(c).into_iter().enumerate() {
        let p = &c.packages[k];
        let mut bom_ref = if p.purl.is_empty() {
            format!("pkg-{i}")
        } else {
            p.purl.clone()
        };
        if !refs.insert(bom_ref.clone()) {
            bom_ref = format!("{bom_ref}#{i}");
            refs.insert(bom_ref.clone());
        }
        package_refs[k] = bom_ref.clone();
        let (group, cname) = match (p.ecosystem, p.name.split_once(':')) {
            (Ecosystem::Maven, Some((g, n))) => (Some(g.to_string()), n.to_string()),
            _ => (None, p.name.clone()),
        };
        let e = extra_of(p);
        let mut properties = vec![prop("kubeward:ecosystem", p.ecosystem.as_str())];
        if let Some(l) = &e.layer {
            properties.push(prop("kubeward:layer", l.clone()));
        }
        for l in &e.locations {
            properties.push(prop("kubeward:location", l.clone()));
        }
        if let Some(s) = &e.source_name {
            properties.push(prop("kubeward:source-name", s.clone()));
        }
        if let Some(s) = &e.source_version {
            properties.push(prop("kubeward:source-version", s.clone()));
        }
        if e.owned_by_os_package {
            properties.push(prop("kubeward:owned-by-os-package", "true"));
        }
        components.push(Component {
            kind: if p.application {
                "application"
            } else {
                "library"
            },
            bom_ref: Some(bom_ref),
            group,
            name: cname,
            version: (!p.version.is_empty()).then(|| p.version.clone()),
            licenses: p
                .licenses
                .iter()
                .map(|l| serde_json::json!({"license": {"name": l}}))
                .collect(),
            purl: (!p.purl.is_empty()).then(|| p.purl.clone()),
            properties,
        });
    }
    let dependencies = app_dependencies(c)
        .into_iter()
        .map(|(a, deps)| Dependency {
            reference: package_refs[a].clone(),
            depends_on: deps.iter().map(|&d| package_refs[d].clone()).collect(),
        })
        .collect();
    let bom = Bom {
        schema: "http://cyclonedx.org/schema/bom-1.6.schema.json",
        bom_format: "CycloneDX",
        spec_version: "1.6",
        serial_number: format!("urn:uuid:{}", uuid_from(&hash)),
        version: 1,
        metadata: Metadata {
            timestamp: o.timestamp.as_deref(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "kubeward".into(),
                    version: o.tool_version.clone(),
                    ..Component::default()
                }],
            },
            component: subject,
        },
        components,
        dependencies,
    };
    CycloneDx {
        bom,
        refs: package_refs,
    }
}

/// Reads a CycloneDX JSON document.
pub(super) fn read(v: &Value) -> Catalog {
    let mut c = Catalog {
        source_name: v
            .pointer("/metadata/component/name")
            .and_then(Value::as_str)
            .map(str::to_string),
        ..Catalog::default()
    };
    let mut stack: Vec<&Value> = v
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let mut seen = 0usize;
    while let Some(comp) = stack.pop() {
        seen += 1;
        if seen > 1_000_000 {
            break;
        }
        if let Some(sub) = comp.get("components").and_then(Value::as_array) {
            stack.extend(sub.iter());
        }
        let s = |k: &str| comp.get(k).and_then(Value::as_str);
        if s("type") == Some("operating-system") {
            c.distro = Some(Distro {
                id: s("name").unwrap_or("").to_string(),
                version_id: s("version").unwrap_or("").to_string(),
                ..Distro::default()
            });
            continue;
        }
        let Some(purl) = s("purl") else { continue };
        let Some(mut p) = package_from_purl(purl, s("name"), s("version")) else {
            continue;
        };
        p.application = s("type") == Some("application");
        let mut e = Extra::default();
        for pr in comp
            .get("properties")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(n), Some(val)) = (
                pr.get("name").and_then(Value::as_str),
                pr.get("value").and_then(Value::as_str),
            ) else {
                continue;
            };
            match n {
                "kubeward:layer" | "syft:location:0:layerID" => e.layer = Some(val.into()),
                "kubeward:location" => e.locations.push(val.into()),
                "kubeward:source-name" => e.source_name = Some(val.into()),
                "kubeward:source-version" => e.source_version = Some(val.into()),
                "kubeward:owned-by-os-package" => e.owned_by_os_package = val == "true",
                _ => {}
            }
        }
        apply_extra(&mut p, e);
        p.licenses = licenses(comp);
        c.packages.push(p);
    }
    c
}

fn licenses(comp: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for l in comp
        .get("licenses")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(x) = l.get("expression").and_then(Value::as_str) {
            out.push(x.to_string());
        } else if let Some(lic) = l.get("license") {
            if let Some(x) = lic
                .get("id")
                .or_else(|| lic.get("name"))
                .and_then(Value::as_str)
            {
                out.push(x.to_string());
            }
        }
    }
    out
}
