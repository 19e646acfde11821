//! Catalogers: find the packages of an image or filesystem.
//!
//! [`catalog_source`] is the entry point: it detects the source kind, reads only the files the
//! catalogers need (see [`want`]) into a squashed view, and runs every cataloger over it.
//!
//! Each kind of package is found by one [`Cataloger`]: it says which files it wants (and
//! inspects binaries or archives while their layer is read), then finds its packages in the
//! squashed view. They are registered in [`CATALOGERS`], operating-system package managers
//! first: the files those own are known to the language catalogers after them (a Python
//! package installed by `apt` is `owned_by_os_package`).

pub mod bdb;
pub(crate) mod elf;
pub mod golang;
pub mod java;
pub mod lang;
pub mod os;
pub mod rpm;
pub mod rust;

use crate::image::{self, FileSelector, FileTree, ImageInfo, Node, NodeKind, ReadLimits, Want};
use crate::package::{Distro, Ecosystem, Package};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// Options for [`catalog_source`].
#[derive(Debug, Clone, Default)]
pub struct CatalogOptions {
    /// Bounds on what is read.
    pub limits: ReadLimits,
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

/// The [`FileSelector`] that keeps exactly what these catalogers read.
pub fn selector() -> FileSelector {
    FileSelector { want, inspect }
}

const ARCHIVE_EXT: [&str; 5] = [".jar", ".war", ".ear", ".jpi", ".hpi"];

/// One kind of package, found in the squashed view of an image or a folder.
pub trait Cataloger: Sync {
    /// A short name (`dpkg`, `python`, `go-binary`...).
    fn name(&self) -> &'static str;

    /// What this cataloger needs of a regular file (`path` normalised, `mode` its Unix mode):
    /// `None` when the file is none of its business, `Some(Want::Skip)` when it claims the
    /// file to keep the others from asking for it.
    fn want(&self, path: &str, mode: u32) -> Option<Want>;

    /// Inspects a file marked [`Want::Inspect`] while its layer is read (the full content of
    /// an ELF binary or zip archive): `None` when it is not this cataloger's kind.
    fn inspect(&self, _path: &str, _data: &[u8]) -> Option<Result<Vec<Package>, String>> {
        None
    }

    /// Finds this cataloger's packages in the squashed view.
    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package>;
}

/// The catalogers, in the order they run (operating-system package managers first).
pub static CATALOGERS: [&dyn Cataloger; 8] = [
    &os::Dpkg,
    &os::Apk,
    &rpm::Rpm,
    &lang::Python,
    &lang::Npm,
    &java::Java,
    &golang::GoBinary,
    &rust::RustBinary,
];

/// What the catalogers share while they run over one squashed view.
pub struct Context<'a> {
    /// The squashed view.
    pub tree: &'a FileTree,
    /// The distribution from os-release, when found.
    pub distro: Option<&'a Distro>,
    /// Files (and folders) owned by operating-system packages, filled by their catalogers.
    pub owned: HashSet<String>,
    /// Non-fatal problems.
    pub warnings: Vec<String>,
    info: &'a ImageInfo,
}

impl Context<'_> {
    /// The digest of layer `index` of the source, when known.
    pub fn layer_id(&self, index: usize) -> Option<String> {
        self.info
            .layers
            .get(index)
            .and_then(|l| l.id())
            .map(str::to_string)
    }

    /// True when `path`, or the folder holding it (a `dist-info` folder, `node_modules/x`), is
    /// owned by an operating-system package.
    pub fn is_owned(&self, path: &str) -> bool {
        self.owned.contains(path)
            || path
                .rsplit_once('/')
                .is_some_and(|(dir, _)| self.owned.contains(dir))
    }

    /// Completes a package found in the file `path`: the layer that added the file, the file as
    /// its location (unless it has one), and whether an OS package owns the file.
    pub fn found_in(&self, mut p: Package, path: &str, node: &Node) -> Package {
        p.layer = self.layer_id(node.layer);
        if p.locations.is_empty() {
            p.locations.push(path.to_string());
        }
        p.owned_by_os_package = self.is_owned(path);
        p
    }

    /// The packages of `ecosystem` that the inspection of binaries and archives found.
    pub fn inspected(&self, ecosystem: Ecosystem) -> Vec<Package> {
        let mut out = Vec::new();
        for (path, node) in self.tree.iter() {
            if let NodeKind::Inspected(pkgs) = &node.kind {
                for p in pkgs.iter().filter(|p| p.ecosystem == ecosystem) {
                    out.push(self.found_in(p.clone(), path, node));
                }
            }
        }
        out
    }
}

/// The text of a file, invalid UTF-8 replaced.
pub(crate) fn text(d: &[u8]) -> String {
    String::from_utf8_lossy(d).into_owned()
}

/// Where the distribution is named.
const OS_RELEASE: [&str; 2] = ["etc/os-release", "usr/lib/os-release"];

/// Which files the catalogers need: os-release, then the first answer of a cataloger in
/// [`CATALOGERS`] (package databases and file lists, language metadata files; executables and
/// Java archives are inspected while read).
pub fn want(path: &str, mode: u32) -> Want {
    if OS_RELEASE.contains(&path) {
        return Want::Content;
    }
    CATALOGERS
        .iter()
        .find_map(|c| c.want(path, mode))
        .unwrap_or(Want::Skip)
}

/// True for `.../node_modules/<name>` and `.../node_modules/@scope/<name>`.
pub(crate) fn is_node_module_dir(dir: &str) -> bool {
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

/// Inspects an ELF binary (Go build info, cargo-auditable data) or a Java archive: the first
/// cataloger that recognises it answers.
pub fn inspect(path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    CATALOGERS
        .iter()
        .find_map(|c| c.inspect(path, data))
        .unwrap_or(Ok(Vec::new()))
}

/// Runs every cataloger over a squashed view.
pub fn catalog_tree(tree: &FileTree, info: &ImageInfo) -> Catalog {
    let distro = OS_RELEASE.iter().find_map(|p| {
        tree.read(p)
            .and_then(|d| Distro::parse_os_release(&text(d)))
    });
    let mut cx = Context {
        tree,
        distro: distro.as_ref(),
        owned: HashSet::new(),
        warnings: Vec::new(),
        info,
    };
    let mut packages: Vec<Package> = Vec::new();
    for c in CATALOGERS {
        packages.extend(c.catalog(&mut cx));
    }
    for p in packages.iter_mut().filter(|p| p.ecosystem.is_os()) {
        p.distro = distro.clone();
        p.refresh_purl();
    }
    packages.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    packages.dedup_by(|a, b| a.sort_key() == b.sort_key() && a.purl == b.purl);
    let warnings = cx.warnings;
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
    fn application_manifests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |p: &str, d: &str| {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, d).unwrap();
        };
        // the application and what it installed
        write(
            "app/package.json",
            r#"{"name": "shop-web", "version": "2.0.0"}"#,
        );
        write(
            "app/node_modules/minimist/package.json",
            r#"{"name": "minimist", "version": "1.2.5"}"#,
        );
        // a locked application without node_modules
        write(
            "srv/ui/package.json",
            r#"{"name": "ui", "version": "0.1.0"}"#,
        );
        write(
            "srv/ui/package-lock.json",
            r#"{"lockfileVersion": 3, "packages": {"": {"name": "ui"},
                "node_modules/left-pad": {"version": "1.3.0"}}}"#,
        );
        // a package.json that is neither: no node_modules nor lock beside it
        write(
            "usr/share/doc/x/package.json",
            r#"{"name": "x", "version": "1.0.0"}"#,
        );
        // Python projects: PEP 621 and Poetry; a dynamic version is not known
        write(
            "srv/api/pyproject.toml",
            "[project]\nname = \"shop-api\"\nversion = \"0.3.0\"\n",
        );
        write(
            "srv/worker/pyproject.toml",
            "[tool.poetry]\nname = \"worker\"\nversion = \"1.1.0\"\n",
        );
        write(
            "srv/dyn/pyproject.toml",
            "[project]\nname = \"dyn\"\ndynamic = [\"version\"]\n",
        );
        write(
            "usr/lib/python3/site-packages/vendored/pyproject.toml",
            "[project]\nname = \"vendored\"\nversion = \"9\"\n",
        );
        write("srv/bad/pyproject.toml", "not [ toml");
        let c = catalog_source(root, &CatalogOptions::default()).unwrap();
        let mut got: Vec<(&str, &str, bool, &str)> = c
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.application,
                    p.locations[0].as_str(),
                )
            })
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                ("left-pad", "1.3.0", false, "srv/ui/package-lock.json"),
                (
                    "minimist",
                    "1.2.5",
                    false,
                    "app/node_modules/minimist/package.json"
                ),
                ("shop-api", "0.3.0", true, "srv/api/pyproject.toml"),
                ("shop-web", "2.0.0", true, "app/package.json"),
                ("ui", "0.1.0", true, "srv/ui/package.json"),
                ("worker", "1.1.0", true, "srv/worker/pyproject.toml"),
            ]
        );
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
    }

    #[test]
    fn one_registry() {
        let names: Vec<&str> = CATALOGERS.iter().map(|c| c.name()).collect();
        let unique: HashSet<&str> = names.iter().copied().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        // OS package managers come first, so the files they own are known to the others
        let first_lang = names.iter().position(|n| *n == "python").unwrap();
        assert!(names[..first_lang]
            .iter()
            .all(|n| ["dpkg", "apk", "rpm"].contains(n)));
        // a file is asked for by the first cataloger that claims it
        assert_eq!(
            os::Dpkg.want("var/lib/dpkg/info/x.postinst", 0o755),
            Some(Want::Skip)
        );
        assert_eq!(want("var/lib/dpkg/info/x.postinst", 0o755), Want::Skip);
        assert_eq!(want("var/lib/rpm/Packages", 0o644), Want::Content);
        assert_eq!(inspect("x", b"not a binary"), Ok(Vec::new()));
    }

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
        assert_eq!(want("app/package.json", 0o644), Want::Content);
        assert_eq!(
            want("app/node_modules/a/lib/x/package.json", 0o644),
            Want::Skip
        );
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
