//! Version ordering, one module per ecosystem.
//!
//! Every ecosystem orders its versions by its own rules: `1.0~rc1 < 1.0` for dpkg and rpm,
//! `1.0_alpha < 1.0` for apk, `1.0.dev0 < 1.0a1 < 1.0` for PEP 440, `1.0.0-rc.1 < 1.0.0` for
//! SemVer, `1-alpha < 1 < 1-sp` for Maven. [`compare`] dispatches on an [`Ecosystem`] and
//! returns an error, never a guess, when a version cannot be parsed by that ecosystem's rules.
//!
//! All orderings here are written from the published rules of each ecosystem (Debian Policy
//! 5.6.12, rpm's `rpmvercmp`, apk-tools' version rules, PEP 440, SemVer 2.0.0, the Go modules
//! reference and Maven's `ComparableVersion` documentation).

pub mod apk;
pub mod dpkg;
pub mod go;
pub mod maven;
pub mod pep440;
pub mod rpm;
pub mod semver;

use std::cmp::Ordering;
use std::fmt;

/// A version-ordering scheme, named after the ecosystem that uses it.
///
/// Several OSV ecosystems share one scheme: `Debian:12` and `Ubuntu:22.04` order with
/// [`Ecosystem::Dpkg`], `Alpine:v3.19` and `Wolfi` with [`Ecosystem::Apk`], `Red Hat`,
/// `Rocky Linux`, `AlmaLinux`, `SUSE`, `openSUSE`, `Mageia`, `openEuler` with
/// [`Ecosystem::Rpm`]. See [`Ecosystem::from_osv`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
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

impl Ecosystem {
    /// Every scheme, for iteration in tests and help texts.
    pub const ALL: [Ecosystem; 9] = [
        Ecosystem::Dpkg,
        Ecosystem::Apk,
        Ecosystem::Rpm,
        Ecosystem::PyPI,
        Ecosystem::Npm,
        Ecosystem::CratesIo,
        Ecosystem::Go,
        Ecosystem::Maven,
        Ecosystem::SemVer,
    ];

    /// The scheme an OSV `affected[].package.ecosystem` string orders with, or `None` for an
    /// ecosystem this crate does not order (e.g. `RubyGems`, `NuGet`).
    ///
    /// The part after the first `:` (a distro release such as `Debian:12`, `Alpine:v3.19`,
    /// `Red Hat:enterprise_linux:9::appstream`) does not change the scheme.
    /// Matching is case-insensitive.
    pub fn from_osv(name: &str) -> Option<Ecosystem> {
        let base = name.split(':').next().unwrap_or("").trim();
        Self::from_name(base)
    }

    /// The scheme for a bare name: an OSV ecosystem name without release (`Debian`, `PyPI`,
    /// `crates.io`, `Red Hat`...) or a scheme name (`dpkg`, `apk`, `rpm`, `pypi`, `pep440`,
    /// `semver`, `go`, `maven`). Case-insensitive.
    pub fn from_name(name: &str) -> Option<Ecosystem> {
        let n = name.trim().to_ascii_lowercase();
        let eco = match n.as_str() {
            "dpkg" | "deb" | "debian" | "ubuntu" => Ecosystem::Dpkg,
            "apk"
            | "alpine"
            | "wolfi"
            | "chainguard"
            | "alpaquita"
            | "bellsoft hardened containers" => Ecosystem::Apk,
            "rpm" | "red hat" | "redhat" | "rocky linux" | "almalinux" | "suse" | "opensuse"
            | "mageia" | "openeuler" | "fedora" | "centos" | "oracle linux" | "amazon linux"
            | "azure linux" => Ecosystem::Rpm,
            "pypi" | "pep440" | "python" => Ecosystem::PyPI,
            "npm" => Ecosystem::Npm,
            "crates.io" | "cargo" => Ecosystem::CratesIo,
            "go" | "golang" => Ecosystem::Go,
            "maven" => Ecosystem::Maven,
            "semver" => Ecosystem::SemVer,
            _ => return None,
        };
        Some(eco)
    }

    /// A short lowercase name of the scheme (`dpkg`, `apk`, `rpm`, `pypi`, `npm`, `crates.io`,
    /// `go`, `maven`, `semver`).
    pub fn as_str(self) -> &'static str {
        match self {
            Ecosystem::Dpkg => "dpkg",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::CratesIo => "crates.io",
            Ecosystem::Go => "go",
            Ecosystem::Maven => "maven",
            Ecosystem::SemVer => "semver",
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version that its ecosystem's rules cannot parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError {
    /// The scheme that rejected the version.
    pub ecosystem: Ecosystem,
    /// The version string as given.
    pub version: String,
    /// Why it was rejected.
    pub reason: String,
}

impl VersionError {
    /// A new error for `version` in `ecosystem`.
    pub fn new(ecosystem: Ecosystem, version: &str, reason: impl Into<String>) -> Self {
        VersionError {
            ecosystem,
            version: version.to_string(),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for VersionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid {} version {:?}: {}",
            self.ecosystem, self.version, self.reason
        )
    }
}

impl std::error::Error for VersionError {}

/// Compares two versions under the ordering of `eco`.
///
/// Returns an error when either version cannot be parsed by that ecosystem's rules; a
/// comparison never silently falls back to string order.
pub fn compare(eco: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match eco {
        Ecosystem::Dpkg => dpkg::compare(a, b),
        Ecosystem::Apk => apk::compare(a, b),
        Ecosystem::Rpm => rpm::compare(a, b),
        Ecosystem::PyPI => pep440::compare(a, b),
        Ecosystem::Npm | Ecosystem::CratesIo | Ecosystem::SemVer => semver::compare_as(eco, a, b),
        Ecosystem::Go => go::compare(a, b),
        Ecosystem::Maven => maven::compare(a, b),
    }
}

/// Checks that `v` parses under `eco`'s rules.
///
/// For apk, whose comparison is lazy (as in apk-tools, a decision made before an invalid part
/// stands), this checks the whole string.
pub fn validate(eco: Ecosystem, v: &str) -> Result<(), VersionError> {
    match eco {
        Ecosystem::Apk => apk::validate(v),
        _ => compare(eco, v, v).map(|_| ()),
    }
}

/// Compares two strings of ASCII digits as unbounded non-negative integers.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn osv_names_map_to_schemes() {
        assert_eq!(Ecosystem::from_osv("Debian:12"), Some(Ecosystem::Dpkg));
        assert_eq!(
            Ecosystem::from_osv("Ubuntu:22.04:LTS"),
            Some(Ecosystem::Dpkg)
        );
        assert_eq!(Ecosystem::from_osv("Alpine:v3.19"), Some(Ecosystem::Apk));
        assert_eq!(Ecosystem::from_osv("PyPI"), Some(Ecosystem::PyPI));
        assert_eq!(Ecosystem::from_osv("npm"), Some(Ecosystem::Npm));
        assert_eq!(Ecosystem::from_osv("crates.io"), Some(Ecosystem::CratesIo));
        assert_eq!(Ecosystem::from_osv("Go"), Some(Ecosystem::Go));
        assert_eq!(Ecosystem::from_osv("Maven"), Some(Ecosystem::Maven));
        assert_eq!(
            Ecosystem::from_osv("Red Hat:enterprise_linux:9::appstream"),
            Some(Ecosystem::Rpm)
        );
        assert_eq!(Ecosystem::from_osv("Rocky Linux:9"), Some(Ecosystem::Rpm));
        assert_eq!(Ecosystem::from_osv("AlmaLinux:8"), Some(Ecosystem::Rpm));
        assert_eq!(Ecosystem::from_osv("RubyGems"), None);
    }

    #[test]
    fn digits_compare_as_numbers() {
        assert_eq!(cmp_digits("010", "9"), Ordering::Greater);
        assert_eq!(cmp_digits("000", ""), Ordering::Equal);
        assert_eq!(
            cmp_digits(
                "123456789012345678901234567890",
                "123456789012345678901234567891"
            ),
            Ordering::Less
        );
    }

    #[test]
    fn every_scheme_rejects_empty() {
        for eco in Ecosystem::ALL {
            assert!(compare(eco, "", "1").is_err(), "{eco}");
            assert!(compare(eco, "1", "").is_err(), "{eco}");
        }
    }
}
