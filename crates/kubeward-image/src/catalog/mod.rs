//! Catalogers: find the packages of an image or filesystem.
//!
//! [`catalog_source`] is the entry point: it detects the source kind, reads only the files the
//! catalogers need (see [`want`]) into a squashed view, and runs every cataloger over it.

pub mod bdb;
pub(crate) mod elf;
pub mod golang;
pub mod java;
pub mod lang;
pub mod os;
pub mod rpm;
pub mod rust;

use crate::image::{self, FileTree, ImageInfo, Limits, NodeKind, Selector, Want};
use crate::package::{Distro, Ecosystem, Package};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Options for [`catalog_source`].
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// Bounds on what is read.
    pub limits: Limits,
}

/// The packages found in one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    /// What was read (kind, digests, names, layers).
    pub source: ImageInfo,
    /// The source as named by the caller (a path), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// The distribution from os-release, when found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Packages, sorted by ecosystem, name, version and location.
    pub packages: Vec<Package>,
    /// Non-fatal problems met while reading.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Reads `path` (OCI layout folder, OCI archive, docker-save tarball, or root filesystem
/// folder) and catalogs its packages from the squashed view.
pub fn catalog_source(path: &Path, opts: &CatalogOptions) -> Result<Catalog, image::Error> {
    let read = image::read_source(path, &selector(), &opts.limits)?;
    let mut c = catalog_tree(&read.tree, &read.info);
    c.source_name = Some(path.display().to_string());
    let mut w = read.warnings;
    w.append(&mut c.warnings);
    c.warnings = w;
    Ok(c)
}

/// The [`Selector`] that keeps exactly what these catalogers read.
pub fn selector() -> Selector {
    Selector { want, inspect }
}

const ARCHIVE_EXT: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

/// Which files the catalogers need: package databases and file lists, os-release, language
/// metadata files; executables and Java archives are inspected while read.
pub fn want(path: &str, mode: u32) -> Want {
    match path {
        "etc/os-release"
        | "usr/lib/os-release"
        | "var/lib/dpkg/status"
        | "lib/apk/db/installed" => return Want::Content,
        _ if rpm::wanted(path) => return Want::Content,
        _ => {}
    }
    if let Some(rest) = path.strip_prefix("var/lib/dpkg/") {
        if let Some(f) = rest.strip_prefix("status.d/") {
            return if f.contains('/') || f.ends_with(".md5sums") {
                Want::Skip
            } else {
                Want::Content
            };
        }
        if rest.starts_with("info/") && rest.ends_with(".list") {
            return Want::Content;
        }
        return Want::Skip;
    }
    if path.ends_with(".dist-info/METADATA")
        || path.ends_with(".egg-info/PKG-INFO")
        || path.ends_with(".egg-info")
    {
        return Want::Content;
    }
    if let Some(dir) = path.strip_suffix("/package.json") {
        return if is_node_module_dir(dir) {
            Want::Content
        } else {
            Want::Skip
        };
    }
    if (path == "package-lock.json" || path.ends_with("/package-lock.json"))
        && !path.contains("node_modules/")
    {
        return Want::Content;
    }
    if ARCHIVE_EXT.iter().any(|e| path.ends_with(e)) {
        return Want::Inspect;
    }
    if mode & 0o111 != 0 {
        return Want::Inspect;
    }
    Want::Skip
}

/// True for `.../node_modules/<name>` and `.../node_modules/@scope/<name>`.
fn is_node_module_dir(dir: &str) -> bool {
    let (parent, _) = match dir.rsplit_once('/') {
        Some(x) => x,
        None => return false,
    };
    if parent == "node_modules" || parent.ends_with("/node_modules") {
        return true;
    }
    match parent.rsplit_once('/') {
        Some((pp, scope)) => {
            scope.starts_with('@') && (pp == "node_modules" || pp.ends_with("/node_modules"))
        }
        None => false,
    }
}

/// Inspects an ELF binary (Go build info, cargo-auditable data) or a Java archive.
pub fn inspect(path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    if data.starts_with(b"PK\x03\x04") {
        return java::inspect_archive(path, data);
    }
    if let Some(info) = golang::read_build_info(data) {
        return Ok(golang::packages(&info));
    }
    if let Some(p) = rust::read_auditable(data)? {
        return Ok(p);
    }
    Ok(Vec::new())
}

/// Runs every cataloger over a squashed view.
pub fn catalog_tree(tree: &FileTree, info: &ImageInfo) -> Catalog {
    let layer_id = |i: usize| info.layers.get(i).and_then(|l| l.id()).map(str::to_string);
    let text = |d: &[u8]| String::from_utf8_lossy(d).into_owned();
    let mut warnings = Vec::new();
    let distro = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| {
            tree.read(p)
                .and_then(|d| Distro::parse_os_release(&text(d)))
        });

    // OS packages and the files they own
    let mut owned: HashSet<String> = HashSet::new();
    let mut os_pkgs: Vec<Package> = Vec::new();
    // dpkg: the layer that wrote a package's .list file is the layer that installed it
    let mut list_layer: std::collections::HashMap<String, usize> = Default::default();
    for (path, node) in tree.iter_prefix("var/lib/dpkg/info/") {
        if let (Some((name, _)), NodeKind::File(d)) = (os::dpkg_list_owner(path), &node.kind) {
            os::add_dpkg_list(&text(d), &mut owned);
            list_layer.insert(name.to_string(), node.layer);
        }
    }
    let mut dpkg_files: Vec<(&str, &image::Node)> = Vec::new();
    if let Some(n) = tree.get("var/lib/dpkg/status") {
        dpkg_files.push(("var/lib/dpkg/status", n));
    }
    dpkg_files.extend(tree.iter_prefix("var/lib/dpkg/status.d/"));
    for (path, node) in dpkg_files {
        let NodeKind::File(d) = &node.kind else {
            continue;
        };
        for mut p in os::parse_dpkg_status(&text(d)) {
            let layer = list_layer.get(&p.name).copied().unwrap_or(node.layer);
            p.layer = layer_id(layer);
            p.locations.push(path.to_string());
            os_pkgs.push(p);
        }
    }
    if let Some(n) = tree.get("lib/apk/db/installed") {
        if let NodeKind::File(d) = &n.kind {
            for mut p in os::parse_apk_installed(&text(d), &mut owned) {
                p.layer = layer_id(n.layer);
                p.locations.push("lib/apk/db/installed".into());
                os_pkgs.push(p);
            }
        }
    }
    rpm::catalog(tree, &mut owned, &mut os_pkgs, &mut warnings, &layer_id);
    for p in &mut os_pkgs {
        p.distro = distro.clone();
        p.refresh_purl();
    }

    // language packages
    let is_owned = |path: &str| -> bool {
        if owned.contains(path) {
            return true;
        }
        // the metadata folder (dist-info, node_modules/x) listed instead of the file
        path.rsplit_once('/')
            .is_some_and(|(dir, _)| owned.contains(dir))
    };
    let mut lang: Vec<Package> = Vec::new();
    for (path, node) in tree.iter() {
        let found: Vec<Package> = match &node.kind {
            NodeKind::File(d) => {
                if path.ends_with(".dist-info/METADATA")
                    || path.ends_with(".egg-info/PKG-INFO")
                    || path.ends_with(".egg-info")
                {
                    match lang::parse_python_metadata(&text(d)) {
                        Some(p) => vec![p],
                        None => {
                            warnings.push(format!("{path}: no Name/Version in Python metadata"));
                            vec![]
                        }
                    }
                } else if path.ends_with("/package.json") {
                    lang::parse_package_json(d).into_iter().collect()
                } else if path.ends_with("package-lock.json") {
                    let dir = path.strip_suffix("package-lock.json").unwrap_or("");
                    let nm = format!("{dir}node_modules");
                    if tree.has_children(&nm) {
                        vec![] // installed packages are read from node_modules itself
                    } else {
                        lang::parse_package_lock(d)
                    }
                } else {
                    vec![]
                }
            }
            NodeKind::Inspected(pkgs) => pkgs.to_vec(),
            NodeKind::Symlink(_) => vec![],
        };
        if found.is_empty() {
            continue;
        }
        let owned_here = is_owned(path);
        for mut p in found {
            p.layer = layer_id(node.layer);
            if p.locations.is_empty() {
                p.locations.push(path.to_string());
            }
            p.owned_by_os_package = owned_here;
            lang.push(p);
        }
    }
    let mut packages = os_pkgs;
    packages.append(&mut lang);
    packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    packages.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.purl == b.purl);
    Catalog {
        source: info.clone(),
        source_name: None,
        distro,
        packages,
        warnings,
    }
}

/// Counts packages per ecosystem (for summaries).
pub fn counts(c: &Catalog) -> Vec<(Ecosystem, usize)> {
    let mut m: std::collections::BTreeMap<Ecosystem, usize> = Default::default();
    for p in &c.packages {
        *m.entry(p.ecosystem).or_default() += 1;
    }
    m.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wants() {
        assert_eq!(want("var/lib/dpkg/status", 0o644), Want::Content);
        assert_eq!(want("var/lib/dpkg/status.d/base", 0o644), Want::Content);
        assert_eq!(
            want("var/lib/dpkg/status.d/base.md5sums", 0o644),
            Want::Skip
        );
        assert_eq!(want("var/lib/dpkg/info/bash.list", 0o644), Want::Content);
        assert_eq!(want("var/lib/dpkg/info/bash.md5sums", 0o644), Want::Skip);
        assert_eq!(
            want("app/node_modules/a/package.json", 0o644),
            Want::Content
        );
        assert_eq!(
            want("app/node_modules/@s/a/package.json", 0o644),
            Want::Content
        );
        assert_eq!(
            want("app/node_modules/a/lib/package.json", 0o644),
            Want::Skip
        );
        assert_eq!(want("app/package.json", 0o644), Want::Skip);
        assert_eq!(want("app/package-lock.json", 0o644), Want::Content);
        assert_eq!(
            want("app/node_modules/.package-lock.json", 0o644),
            Want::Skip
        );
        assert_eq!(want("usr/bin/ls", 0o755), Want::Inspect);
        assert_eq!(want("usr/share/doc/x", 0o644), Want::Skip);
        assert_eq!(want("opt/app.jar", 0o644), Want::Inspect);
        assert_eq!(
            want(
                "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                0o644
            ),
            Want::Content
        );
    }
}
