//! Version ordering, one module per ecosystem.
//!
//! Every ecosystem orders its versions by its own rules: `1.0~rc1 < 1.0` for dpkg and rpm,
//! `1.0_alpha < 1.0` for apk, `1.0.dev0 < 1.0a1 < 1.0` for PEP 440, `1.0.0-rc.1 < 1.0.0` for
//! SemVer, `1-alpha < 1 < 1-sp` for Maven. [`compare`] dispatches on a [`Scheme`] and
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

pub use kubeward_image::package::Scheme;

/// A version that its ecosystem's rules cannot parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VersionError {
    /// The scheme that rejected the version.
    pub scheme: Scheme,
    /// The version string as given.
    pub version: String,
    /// Why it was rejected.
    pub reason: String,
}

impl VersionError {
    /// A new error for `version` under `scheme`.
    pub fn new(scheme: Scheme, version: &str, reason: impl Into<String>) -> Self {
        VersionError {
            scheme,
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
            self.scheme, self.version, self.reason
        )
    }
}

impl std::error::Error for VersionError {}

/// Compares two versions under the ordering of `eco`.
///
/// Returns an error when either version cannot be parsed by that ecosystem's rules; a
/// comparison never silently falls back to string order.
pub fn compare(eco: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    match eco {
        Scheme::Dpkg => dpkg::compare(a, b),
        Scheme::Apk => apk::compare(a, b),
        Scheme::Rpm => rpm::compare(a, b),
        Scheme::PyPI => pep440::compare(a, b),
        Scheme::Npm | Scheme::CratesIo | Scheme::SemVer => semver::compare_as(eco, a, b),
        Scheme::Go => go::compare(a, b),
        Scheme::Maven => maven::compare(a, b),
    }
}

/// Checks that `v` parses under `eco`'s rules.
///
/// For apk, whose comparison is lazy (as in apk-tools, a decision made before an invalid part
/// stands), this checks the whole string.
pub fn validate(eco: Scheme, v: &str) -> Result<(), VersionError> {
    match eco {
        Scheme::Apk => apk::validate(v),
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
        for eco in Scheme::ALL {
            assert!(compare(eco, "", "1").is_err(), "{eco}");
            assert!(compare(eco, "1", "").is_err(), "{eco}");
        }
    }
}
