//! Language package metadata: Python (`*.dist-info/METADATA`, `*.egg-info`, and the
//! application's own `pyproject.toml`) and npm (`node_modules/**/package.json`,
//! `package-lock.json` v1–v3, and the application's own root `package.json`).

use super::{is_node_module_dir, text, Context};
use crate::image::{NodeKind, Want};
use crate::package::{Ecosystem, Package};
use serde_json::Value;

/// Parses Python core metadata (METADATA / PKG-INFO): the header block only.
pub fn parse_python_metadata(text: &str) -> Option<Package> {
    let mut name = None;
    let mut version = None;
    let mut license_expr = None;
    let mut license = None;
    let mut classifiers = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            break; // the body (long description) starts here
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            continue;
        }
        let Some((k, v)) = line.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "Name" => name = Some(v.to_string()),
            "Version" => version = Some(v.to_string()),
            "License-Expression" => license_expr = Some(v.to_string()),
            "License" => license = Some(v.to_string()),
            "Classifier" => {
                if let Some(l) = v.strip_prefix("License :: ") {
                    let l = l.rsplit(" :: ").next().unwrap_or(l);
                    classifiers.push(l.to_string());
                }
            }
            _ => {}
        }
    }
    let mut p = Package::new(Ecosystem::Pypi, name?, version?);
    if let Some(l) = license_expr {
        p.licenses.push(l);
    } else if let Some(l) = license.filter(|l| !l.is_empty() && l != "UNKNOWN" && l.len() < 100) {
        p.licenses.push(l);
    } else {
        p.licenses = classifiers;
    }
    Some(p)
}

fn license_of(v: &Value) -> Vec<String> {
    match v.get("license") {
        Some(Value::String(s)) if !s.is_empty() => return vec![s.clone()],
        Some(Value::Object(o)) => {
            if let Some(Value::String(t)) = o.get("type") {
                return vec![t.clone()];
            }
        }
        _ => {}
    }
    if let Some(Value::Array(a)) = v.get("licenses") {
        return a
            .iter()
            .filter_map(|l| l.get("type").and_then(Value::as_str).map(str::to_string))
            .collect();
    }
    Vec::new()
}

/// Parses a `package.json` of an installed npm package.
pub fn parse_package_json(data: &[u8]) -> Option<Package> {
    let v: Value = serde_json::from_slice(data).ok()?;
    let name = v.get("name")?.as_str()?;
    let version = v.get("version")?.as_str()?;
    if name.is_empty() || version.is_empty() {
        return None;
    }
    let mut p = Package::new(Ecosystem::Npm, name, version);
    p.licenses = license_of(&v);
    Some(p)
}

/// Parses a `package-lock.json` (v2/v3 `packages` map, else v1 `dependencies` tree).
pub fn parse_package_lock(data: &[u8]) -> Vec<Package> {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(Value::Object(pkgs)) = v.get("packages") {
        for (key, e) in pkgs {
            if key.is_empty() || e.get("link").and_then(Value::as_bool) == Some(true) {
                continue;
            }
            let Some(idx) = key.rfind("node_modules/") else {
                continue; // workspace folders, not installed packages
            };
            let name = e
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(&key[idx + "node_modules/".len()..]);
            let Some(version) = e.get("version").and_then(Value::as_str) else {
                continue;
            };
            let mut p = Package::new(Ecosystem::Npm, name, version);
            p.licenses = license_of(e);
            out.push(p);
        }
    } else if let Some(Value::Object(deps)) = v.get("dependencies") {
        fn walk(deps: &serde_json::Map<String, Value>, depth: usize, out: &mut Vec<Package>) {
            if depth > 64 {
                return;
            }
            for (name, e) in deps {
                if let Some(version) = e.get("version").and_then(Value::as_str) {
                    if !version.starts_with("file:") && !version.starts_with("link:") {
                        out.push(Package::new(Ecosystem::Npm, name.as_str(), version));
                    }
                }
                if let Some(Value::Object(sub)) = e.get("dependencies") {
                    walk(sub, depth + 1, out);
                }
            }
        }
        walk(deps, 0, &mut out);
    }
    out.sort_by(|a, b| (&a.name, &a.version).cmp(&(&b.name, &b.version)));
    out.dedup_by(|a, b| a.name == b.name && a.version == b.version);
    out
}

/// Python distributions: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` files.
pub struct Python;

fn is_python_metadata(path: &str) -> bool {
    path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with(".egg-info")
}

/// A project's own `pyproject.toml` (not one shipped inside an installed package).
fn is_pyproject(path: &str) -> bool {
    (path == "pyproject.toml" || path.ends_with("/pyproject.toml"))
        && !path.contains("site-packages/")
        && !path.contains("dist-packages/")
}

/// Parses a `pyproject.toml`: the name and version of `[project]` (PEP 621), else of
/// `[tool.poetry]`. `None` without both (a `dynamic` version is not known before a build).
pub fn parse_pyproject(text: &str) -> Option<Package> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let tables = [
        doc.get("project"),
        doc.get("tool").and_then(|t| t.get("poetry")),
    ];
    for t in tables.into_iter().flatten() {
        let name = t.get("name").and_then(|v| v.as_str()).unwrap_or("").trim();
        let version = t
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .trim();
        if !name.is_empty() && !version.is_empty() {
            let mut p = Package::new(Ecosystem::Pypi, name, version);
            p.application = true;
            return Some(p);
        }
    }
    None
}

impl super::Cataloger for Python {
    fn name(&self) -> &'static str {
        "python"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<Want> {
        (is_python_metadata(path) || is_pyproject(path)).then_some(Want::Content)
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        let mut out = Vec::new();
        for (path, node) in cx.tree.iter() {
            let NodeKind::File(d) = &node.kind else {
                continue;
            };
            if is_pyproject(path) {
                // the application's own project
                out.extend(parse_pyproject(&text(d)).map(|p| cx.found_in(p, path, node)));
                continue;
            }
            if !is_python_metadata(path) {
                continue;
            }
            match parse_python_metadata(&text(d)) {
                Some(p) => out.push(cx.found_in(p, path, node)),
                None => cx
                    .warnings
                    .push(format!("{path}: no Name/Version in Python metadata")),
            }
        }
        out
    }
}

/// npm packages: installed ones (`node_modules/**/package.json`), else those a
/// `package-lock.json` lists when its `node_modules` is absent.
pub struct Npm;

/// A `package.json` outside `node_modules`: an application's own manifest, when its folder
/// also holds a `node_modules` or a `package-lock.json`.
fn is_app_manifest(path: &str) -> bool {
    (path == "package.json" || path.ends_with("/package.json")) && !path.contains("node_modules/")
}

fn is_package_lock(path: &str) -> bool {
    (path == "package-lock.json" || path.ends_with("/package-lock.json"))
        && !path.contains("node_modules/")
}

impl super::Cataloger for Npm {
    fn name(&self) -> &'static str {
        "npm"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<Want> {
        if let Some(dir) = path.strip_suffix("/package.json") {
            return Some(if is_node_module_dir(dir) || is_app_manifest(path) {
                Want::Content
            } else {
                Want::Skip
            });
        }
        (path == "package.json" || is_package_lock(path)).then_some(Want::Content)
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        let mut out = Vec::new();
        for (path, node) in cx.tree.iter() {
            let NodeKind::File(d) = &node.kind else {
                continue;
            };
            let found: Vec<Package> = if is_app_manifest(path) {
                // the application's own package.json: beside its node_modules or lock file
                let dir = path.strip_suffix("package.json").unwrap_or("");
                if !cx.tree.has_children(&format!("{dir}node_modules"))
                    && cx.tree.get(&format!("{dir}package-lock.json")).is_none()
                {
                    continue;
                }
                let mut app = parse_package_json(d);
                if let Some(p) = &mut app {
                    p.application = true;
                }
                app.into_iter().collect()
            } else if let Some(dir) = path.strip_suffix("/package.json") {
                if !is_node_module_dir(dir) {
                    continue;
                }
                parse_package_json(d).into_iter().collect()
            } else if is_package_lock(path) {
                let dir = path.strip_suffix("package-lock.json").unwrap_or("");
                if cx.tree.has_children(&format!("{dir}node_modules")) {
                    continue; // installed packages are read from node_modules itself
                }
                parse_package_lock(d)
            } else {
                continue;
            };
            out.extend(found.into_iter().map(|p| cx.found_in(p, path, node)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python() {
        let p = parse_python_metadata(
            "Metadata-Version: 2.1\nName: Jinja2\nVersion: 3.1.2\nLicense: BSD-3-Clause\nClassifier: License :: OSI Approved :: BSD License\n\nName: not-this\n",
        )
        .unwrap();
        assert_eq!((p.name.as_str(), p.version.as_str()), ("Jinja2", "3.1.2"));
        assert_eq!(p.licenses, vec!["BSD-3-Clause"]);
        assert!(parse_python_metadata("Name: x\n").is_none());
    }

    #[test]
    fn npm() {
        let p = parse_package_json(br#"{"name":"@types/node","version":"20.1.0","license":"MIT"}"#)
            .unwrap();
        assert_eq!(p.purl, "pkg:npm/%40types/node@20.1.0");
        let lock = br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/a":{"version":"1.0.0"},"node_modules/a/node_modules/@s/b":{"version":"2.0.0","license":"ISC"},"node_modules/l":{"resolved":"x","link":true}}}"#;
        let l = parse_package_lock(lock);
        let names: Vec<_> = l
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, vec![("@s/b", "2.0.0"), ("a", "1.0.0")]);
        let v1 = br#"{"lockfileVersion":1,"dependencies":{"a":{"version":"1.0.0","dependencies":{"b":{"version":"2.0.0"}}}}}"#;
        assert_eq!(parse_package_lock(v1).len(), 2);
    }
}
