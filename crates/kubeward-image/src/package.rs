//! The package model shared by the catalogers, the SBOM writers/readers and the matcher.
//!
//! One vocabulary of ecosystems: a [`Package`]'s [`Ecosystem`] is its package manager; its OSV
//! name ([`Ecosystem::osv_name`]: `Debian:12`, `Alpine:v3.19`, `PyPI`...) is what
//! vulnerability records name, and its version [`Scheme`] ([`Ecosystem::scheme`]) is how its
//! versions are ordered (the orderings themselves are in `kubeward_vuln::version`).

use serde::{Deserialize, Serialize};
use std::fmt;

/// The packaging ecosystem a [`Package`] belongs to.
///
/// The names follow the purl types where one exists, so `Ecosystem::purl_type` is the
/// identity for most of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ecosystem {
    /// Debian/Ubuntu packages (dpkg database).
    Dpkg,
    /// Alpine packages (apk database).
    Apk,
    /// RPM packages (rpmdb).
    Rpm,
    /// Python distributions (dist-info / egg-info).
    Pypi,
    /// npm packages (node_modules, package-lock.json).
    Npm,
    /// Rust crates (cargo auditable data).
    Cargo,
    /// Go modules (Go build info), including the `stdlib` pseudo-module.
    Golang,
    /// Java archives (Maven coordinates).
    Maven,
}

impl Ecosystem {
    /// The purl type for this ecosystem (`deb`, `apk`, `rpm`, `pypi`, `npm`, `cargo`, `golang`, `maven`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
        }
    }

    /// Parses a purl type back into an ecosystem.
    pub fn from_purl_type(t: &str) -> Option<Ecosystem> {
        Some(match t {
            "deb" => Ecosystem::Dpkg,
            "apk" | "alpine" => Ecosystem::Apk,
            "rpm" => Ecosystem::Rpm,
            "pypi" => Ecosystem::Pypi,
            "npm" => Ecosystem::Npm,
            "cargo" => Ecosystem::Cargo,
            "golang" => Ecosystem::Golang,
            "maven" => Ecosystem::Maven,
            _ => return None,
        })
    }

    /// The lowercase name used in kubeward's own JSON (`dpkg`, `apk`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "dpkg",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::Pypi => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Golang => "golang",
            Ecosystem::Maven => "maven",
        }
    }

    /// True for the operating-system package managers.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm)
    }

    /// The version ordering of this ecosystem's packages.
    pub fn scheme(self) -> Scheme {
        match self {
            Ecosystem::Dpkg => Scheme::Dpkg,
            Ecosystem::Apk => Scheme::Apk,
            Ecosystem::Rpm => Scheme::Rpm,
            Ecosystem::Pypi => Scheme::PyPI,
            Ecosystem::Npm => Scheme::Npm,
            Ecosystem::Cargo => Scheme::CratesIo,
            Ecosystem::Golang => Scheme::Go,
            Ecosystem::Maven => Scheme::Maven,
        }
    }

    /// The OSV ecosystem name of this ecosystem's packages: `PyPI`, `npm`, `crates.io`, `Go`,
    /// `Maven` for language packages; for OS packages the distribution and its release from
    /// os-release: `Debian:12`, `Ubuntu:22.04`, `Alpine:v3.19` (from `3.19.1`),
    /// `Rocky Linux:9`, `AlmaLinux:9`, `Red Hat:9.4`... `None` for an OS package without a
    /// distro, or of a distribution OSV has no ecosystem for.
    pub fn osv_name(self, distro: Option<&Distro>) -> Option<String> {
        let lang = match self {
            Ecosystem::Pypi => Some("PyPI"),
            Ecosystem::Npm => Some("npm"),
            Ecosystem::Cargo => Some("crates.io"),
            Ecosystem::Golang => Some("Go"),
            Ecosystem::Maven => Some("Maven"),
            Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm => None,
        };
        if let Some(l) = lang {
            return Some(l.to_string());
        }
        let distro = distro?;
        let id = distro.id.to_ascii_lowercase();
        let vid = distro.version_id.trim();
        let base = match id.as_str() {
            "debian" => "Debian",
            "ubuntu" => "Ubuntu",
            "alpine" => "Alpine",
            "wolfi" => "Wolfi",
            "chainguard" => "Chainguard",
            "rocky" => "Rocky Linux",
            "almalinux" => "AlmaLinux",
            "rhel" => "Red Hat",
            "opensuse-leap" | "opensuse-tumbleweed" | "opensuse" => "openSUSE",
            "sles" | "suse" => "SUSE",
            "mageia" => "Mageia",
            "openeuler" => "openEuler",
            _ => return None,
        };
        let release = match id.as_str() {
            "alpine" if !vid.is_empty() => {
                let mm: Vec<&str> = vid.split('.').take(2).collect();
                Some(format!("v{}", mm.join(".")))
            }
            "debian" | "rocky" | "almalinux" if !vid.is_empty() => {
                Some(vid.split('.').next().unwrap_or(vid).to_string())
            }
            "wolfi" | "chainguard" => None,
            _ if !vid.is_empty() => Some(vid.to_string()),
            _ => None,
        };
        Some(match release {
            Some(r) => format!("{base}:{r}"),
            None => base.to_string(),
        })
    }
}

/// A version-ordering scheme, named after the ecosystem that uses it (the orderings are
/// `kubeward_vuln::version::compare`).
///
/// Several OSV ecosystems share one scheme: `Debian:12` and `Ubuntu:22.04` order with
/// [`Scheme::Dpkg`], `Alpine:v3.19` and `Wolfi` with [`Scheme::Apk`], `Red Hat`,
/// `Rocky Linux`, `AlmaLinux`, `SUSE`, `openSUSE`, `Mageia`, `openEuler` with
/// [`Scheme::Rpm`]. See [`Scheme::from_osv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian and Ubuntu packages (`dpkg --compare-versions`).
    Dpkg,
    /// Alpine, Wolfi and Chainguard packages (apk-tools).
    Apk,
    /// RPM-based distributions (`rpmvercmp` on epoch, version and release).
    Rpm,
    /// Python packages (PEP 440).
    PyPI,
    /// npm packages (SemVer 2.0.0, with npm's tolerance of a leading `v`, `=` and spaces).
    Npm,
    /// Rust crates on crates.io (SemVer 2.0.0).
    CratesIo,
    /// Go modules (SemVer with a `v` prefix, `+incompatible`, pseudo-versions, and Go
    /// toolchain versions such as `go1.21rc2` for the standard library).
    Go,
    /// Maven artifacts (`ComparableVersion` ordering).
    Maven,
    /// Plain SemVer 2.0.0 (OSV ranges of type `SEMVER`, whatever the ecosystem).
    SemVer,
}

impl Scheme {
    /// Every scheme, for iteration in tests and help texts.
    pub const ALL: [Scheme; 9] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::PyPI,
        Scheme::Npm,
        Scheme::CratesIo,
        Scheme::Go,
        Scheme::Maven,
        Scheme::SemVer,
    ];

    /// The scheme an OSV `affected[].package.ecosystem` string orders with, or `None` for an
    /// ecosystem without an ordering here (e.g. `RubyGems`, `NuGet`).
    ///
    /// The part after the first `:` (a distro release such as `Debian:12`, `Alpine:v3.19`,
    /// `Red Hat:enterprise_linux:9::appstream`) does not change the scheme.
    /// Matching is case-insensitive.
    pub fn from_osv(name: &str) -> Option<Scheme> {
        let base = name.split(':').next().unwrap_or("").trim();
        Self::from_name(base)
    }

    /// The scheme for a bare name: an OSV ecosystem name without release (`Debian`, `PyPI`,
    /// `crates.io`, `Red Hat`...) or a scheme name (`dpkg`, `apk`, `rpm`, `pypi`, `pep440`,
    /// `semver`, `go`, `maven`). Case-insensitive.
    pub fn from_name(name: &str) -> Option<Scheme> {
        let n = name.trim().to_ascii_lowercase();
        let scheme = match n.as_str() {
            "dpkg" | "deb" | "debian" | "ubuntu" => Scheme::Dpkg,
            "apk"
            | "alpine"
            | "wolfi"
            | "chainguard"
            | "alpaquita"
            | "bellsoft hardened containers" => Scheme::Apk,
            "rpm" | "red hat" | "redhat" | "rocky linux" | "almalinux" | "suse" | "opensuse"
            | "mageia" | "openeuler" | "fedora" | "centos" | "oracle linux" | "amazon linux"
            | "azure linux" => Scheme::Rpm,
            "pypi" | "pep440" | "python" => Scheme::PyPI,
            "npm" => Scheme::Npm,
            "crates.io" | "cargo" => Scheme::CratesIo,
            "go" | "golang" => Scheme::Go,
            "maven" => Scheme::Maven,
            "semver" => Scheme::SemVer,
            _ => return None,
        };
        Some(scheme)
    }

    /// A short lowercase name of the scheme (`dpkg`, `apk`, `rpm`, `pypi`, `npm`, `crates.io`,
    /// `go`, `maven`, `semver`).
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::PyPI => "pypi",
            Scheme::Npm => "npm",
            Scheme::CratesIo => "crates.io",
            Scheme::Go => "go",
            Scheme::Maven => "maven",
            Scheme::SemVer => "semver",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The distribution an image is based on, read from `etc/os-release` (or `usr/lib/os-release`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
pub struct Distro {
    /// `ID` (for example `debian`, `alpine`, `ubuntu`).
    pub id: String,
    /// `VERSION_ID` (for example `12`, `3.18.0`); empty when absent (Debian testing).
    pub version_id: String,
    /// `VERSION_CODENAME` when present (for example `bookworm`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codename: Option<String>,
    /// `PRETTY_NAME` when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pretty_name: Option<String>,
}

impl Distro {
    /// Parses the contents of an os-release file. Returns `None` when it has no `ID`.
    pub fn parse_os_release(text: &str) -> Option<Distro> {
        let mut d = Distro::default();
        for line in text.lines() {
            let Some((k, v)) = line.split_once('=') else {
                continue;
            };
            let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
            match k.trim() {
                "ID" => d.id = v,
                "VERSION_ID" => d.version_id = v,
                "VERSION_CODENAME" if !v.is_empty() => d.codename = Some(v),
                "PRETTY_NAME" if !v.is_empty() => d.pretty_name = Some(v),
                _ => {}
            }
        }
        (!d.id.is_empty()).then_some(d)
    }

    /// The purl `distro` qualifier value (`debian-12`, `alpine-3.18.0`).
    pub fn qualifier(&self) -> String {
        if self.version_id.is_empty() {
            self.id.clone()
        } else {
            format!("{}-{}", self.id, self.version_id)
        }
    }
}

/// One package found in an image, a filesystem or an SBOM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// Package name as its ecosystem spells it (for Maven `group:artifact`, for Go the module path).
    pub name: String,
    /// Installed version as its ecosystem spells it (dpkg: `[epoch:]upstream[-revision]`).
    pub version: String,
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Package URL (purl), canonical form.
    pub purl: String,
    /// Source package name (dpkg `Source:`, apk origin, rpm source rpm name); distro packages
    /// are matched through it. `None` when the ecosystem has no such notion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_name: Option<String>,
    /// Source package version (dpkg `Source: name (version)`, else the binary version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_version: Option<String>,
    /// The distribution, for OS packages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub distro: Option<Distro>,
    /// Architecture when known (dpkg/apk/rpm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arch: Option<String>,
    /// Digest (`sha256:...`, the layer's diff id when known) of the layer that added the
    /// package's metadata file. `None` for plain filesystems and SBOMs without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
    /// Paths (relative to the image root, no leading `/`) of the files the package was found from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locations: Vec<String>,
    /// True when a language package's files are listed by an OS package manager
    /// (for example a Python package installed by `apt`): the OS advisory covers it.
    #[serde(default)]
    pub owned_by_os_package: bool,
    /// License expressions or names, as declared.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// True for the application's own package, the root of its dependency graph: a root
    /// `package.json` or `pyproject.toml`, the main module of a Go binary, the root crate of
    /// a `cargo auditable` binary (SBOMs show it as the application component).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub application: bool,
}

impl Package {
    /// Creates a package with an automatically built purl and every optional field empty.
    pub fn new(
        ecosystem: Ecosystem,
        name: impl Into<String>,
        version: impl Into<String>,
    ) -> Package {
        let mut p = Package {
            name: name.into(),
            version: version.into(),
            ecosystem,
            purl: String::new(),
            source_name: None,
            source_version: None,
            distro: None,
            arch: None,
            layer: None,
            locations: Vec::new(),
            owned_by_os_package: false,
            licenses: Vec::new(),
            application: false,
        };
        p.refresh_purl();
        p
    }

    /// Recomputes [`Package::purl`] from the other fields (call after changing name, version,
    /// distro, arch or source).
    pub fn refresh_purl(&mut self) {
        self.purl = build_purl(self).unwrap_or_default();
    }

    /// A stable identity used for sorting and de-duplication: ecosystem, name, version, first location.
    pub fn sort_key(&self) -> (Ecosystem, &str, &str, &str) {
        (
            self.ecosystem,
            &self.name,
            &self.version,
            self.locations.first().map(String::as_str).unwrap_or(""),
        )
    }
}

fn build_purl(p: &Package) -> Option<String> {
    use packageurl::PackageUrl;
    let ty = p.ecosystem.purl_type();
    let (namespace, name): (Option<String>, String) = match p.ecosystem {
        Ecosystem::Dpkg | Ecosystem::Apk | Ecosystem::Rpm => (
            p.distro.as_ref().map(|d| d.id.clone()).or_else(|| {
                Some(
                    match p.ecosystem {
                        Ecosystem::Dpkg => "debian",
                        Ecosystem::Apk => "alpine",
                        _ => "redhat",
                    }
                    .to_string(),
                )
            }),
            p.name.clone(),
        ),
        Ecosystem::Pypi => (None, p.name.to_lowercase().replace('_', "-")),
        Ecosystem::Npm => match p.name.strip_prefix('@').and_then(|n| n.split_once('/')) {
            Some((scope, n)) => (Some(format!("@{scope}")), n.to_string()),
            None => (None, p.name.clone()),
        },
        Ecosystem::Golang | Ecosystem::Maven => {
            let sep = if p.ecosystem == Ecosystem::Maven {
                ':'
            } else {
                '/'
            };
            match p.name.rsplit_once(sep) {
                Some((ns, n)) => (Some(ns.to_string()), n.to_string()),
                None => (None, p.name.clone()),
            }
        }
        Ecosystem::Cargo => (None, p.name.clone()),
    };
    if name.is_empty() {
        return None;
    }
    let mut purl = PackageUrl::new(ty, name.as_str()).ok()?;
    if let Some(ns) = namespace.as_deref().filter(|n| !n.is_empty()) {
        purl.with_namespace(ns);
    }
    if !p.version.is_empty() {
        purl.with_version(p.version.as_str());
    }
    if let Some(arch) = p.arch.as_deref().filter(|a| !a.is_empty()) {
        purl.add_qualifier("arch", arch).ok()?;
    }
    if p.ecosystem.is_os() {
        if let Some(d) = &p.distro {
            purl.add_qualifier("distro", d.qualifier()).ok()?;
        }
        if let Some(src) = p.source_name.as_deref().filter(|s| *s != p.name) {
            let q = match &p.source_version {
                Some(v) if *v != p.version => format!("{src}@{v}"),
                _ => src.to_string(),
            };
            let key = if p.ecosystem == Ecosystem::Apk {
                "origin"
            } else {
                "upstream"
            };
            purl.add_qualifier(key, q).ok()?;
        }
    }
    Some(purl.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_and_schemes() {
        let distro = |id: &str, vid: &str| Distro {
            id: id.into(),
            version_id: vid.into(),
            ..Default::default()
        };
        let name = |e: Ecosystem, d: Option<Distro>| e.osv_name(d.as_ref());
        assert_eq!(
            name(Ecosystem::Dpkg, Some(distro("debian", "12"))).as_deref(),
            Some("Debian:12")
        );
        assert_eq!(
            name(Ecosystem::Apk, Some(distro("alpine", "3.19.1"))).as_deref(),
            Some("Alpine:v3.19")
        );
        assert_eq!(
            name(Ecosystem::Rpm, Some(distro("rocky", "9.3"))).as_deref(),
            Some("Rocky Linux:9")
        );
        assert_eq!(
            name(Ecosystem::Rpm, Some(distro("almalinux", "8.10"))).as_deref(),
            Some("AlmaLinux:8")
        );
        assert_eq!(
            name(Ecosystem::Rpm, Some(distro("rhel", "9.4"))).as_deref(),
            Some("Red Hat:9.4")
        );
        assert_eq!(
            name(Ecosystem::Pypi, Some(distro("debian", "12"))).as_deref(),
            Some("PyPI")
        );
        assert_eq!(name(Ecosystem::Cargo, None).as_deref(), Some("crates.io"));
        assert_eq!(name(Ecosystem::Dpkg, None), None);
        assert_eq!(name(Ecosystem::Rpm, Some(distro("centos", "7"))), None);
        assert_eq!(Ecosystem::Golang.scheme(), Scheme::Go);
        assert_eq!(Ecosystem::Dpkg.scheme(), Scheme::Dpkg);
        // the OSV name of every ecosystem orders with its scheme
        for e in [
            Ecosystem::Pypi,
            Ecosystem::Npm,
            Ecosystem::Cargo,
            Ecosystem::Golang,
            Ecosystem::Maven,
        ] {
            assert_eq!(Scheme::from_osv(&name(e, None).unwrap()), Some(e.scheme()));
        }
        assert_eq!(Scheme::from_osv("Debian:12"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::from_osv("Ubuntu:22.04:LTS"), Some(Scheme::Dpkg));
        assert_eq!(Scheme::from_osv("Alpine:v3.19"), Some(Scheme::Apk));
        assert_eq!(
            Scheme::from_osv("Red Hat:enterprise_linux:9::appstream"),
            Some(Scheme::Rpm)
        );
        assert_eq!(Scheme::from_osv("Rocky Linux:9"), Some(Scheme::Rpm));
        assert_eq!(Scheme::from_osv("AlmaLinux:8"), Some(Scheme::Rpm));
        assert_eq!(Scheme::from_osv("RubyGems"), None);
    }

    #[test]
    fn purls() {
        let mut p = Package::new(Ecosystem::Dpkg, "libssl3", "3.0.11-1~deb12u2");
        p.arch = Some("amd64".into());
        p.distro = Distro::parse_os_release("ID=debian\nVERSION_ID=\"12\"\n");
        p.source_name = Some("openssl".into());
        p.refresh_purl();
        assert_eq!(
            p.purl,
            "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
        );
        assert_eq!(
            Package::new(Ecosystem::Npm, "@babel/core", "7.0.0").purl,
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(
            Package::new(Ecosystem::Golang, "github.com/a/b", "v1.2.3").purl,
            "pkg:golang/github.com/a/b@v1.2.3"
        );
        assert_eq!(
            Package::new(Ecosystem::Maven, "org.apache:commons-io", "2.0").purl,
            "pkg:maven/org.apache/commons-io@2.0"
        );
        assert_eq!(
            Package::new(Ecosystem::Pypi, "Jinja2", "3.1.2").purl,
            "pkg:pypi/jinja2@3.1.2"
        );
    }
}
