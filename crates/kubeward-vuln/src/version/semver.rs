//! SemVer 2.0.0 precedence (npm, crates.io, OSV `SEMVER` ranges).
//!
//! `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`: numbers compare numerically; a pre-release sorts
//! before its release; pre-release identifiers compare left to right, numeric ones
//! numerically and below alphanumeric ones, which compare in ASCII order; a shorter list of
//! equal identifiers sorts first. Build metadata is ignored.
//!
//! npm-style input is accepted: surrounding spaces and a leading `v` or `=`; for npm also
//! partial versions (`1.0` is `1.0.0`), as GitHub's npm advisories write them.

use super::{cmp_digits, Scheme, VersionError};
use std::cmp::Ordering;

/// A pre-release identifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ident {
    /// A numeric identifier (digits, kept as written).
    Num(String),
    /// An alphanumeric identifier.
    Alnum(String),
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => cmp_digits(a, b),
            (Ident::Num(_), Ident::Alnum(_)) => Ordering::Less,
            (Ident::Alnum(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alnum(a), Ident::Alnum(b)) => a.as_bytes().cmp(b.as_bytes()),
        }
    }
}

/// A parsed SemVer version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// Major, minor and patch numbers, as digit strings.
    pub core: [String; 3],
    /// Pre-release identifiers (empty for a release).
    pub pre: Vec<Ident>,
    /// Build metadata (ignored by the ordering).
    pub build: String,
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        for k in 0..3 {
            let c = cmp_digits(&self.core[k], &o.core[k]);
            if c != Ordering::Equal {
                return c;
            }
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => self.pre.cmp(&o.pre),
        }
    }
}

fn ident_ok(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

/// Parses a version; `min_parts` below 3 lets `1` and `1.2` stand for `1.0.0` and `1.2.0`
/// (Go's shorthand).
pub(crate) fn parse_with(
    eco: Scheme,
    original: &str,
    s: &str,
    min_parts: usize,
) -> Result<Version, VersionError> {
    let err = |r: &str| VersionError::new(eco, original, r);
    if s.is_empty() {
        return Err(err("version is empty"));
    }
    let (rest, build) = match s.split_once('+') {
        Some((r, b)) => {
            if !b.split('.').all(ident_ok) {
                return Err(err("invalid build metadata"));
            }
            (r, b)
        }
        None => (s, ""),
    };
    let (core, pre) = match rest.split_once('-') {
        Some((c, p)) => (c, Some(p)),
        None => (rest, None),
    };
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 || parts.len() < min_parts {
        return Err(err("expected MAJOR.MINOR.PATCH"));
    }
    let mut nums = [String::from("0"), String::from("0"), String::from("0")];
    for (k, p) in parts.iter().enumerate() {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return Err(err("version numbers must be digits"));
        }
        nums[k] = p.to_string();
    }
    let mut ids = Vec::new();
    if let Some(p) = pre {
        for id in p.split('.') {
            if !ident_ok(id) {
                return Err(err("invalid pre-release identifier"));
            }
            if id.bytes().all(|c| c.is_ascii_digit()) {
                ids.push(Ident::Num(id.to_string()));
            } else {
                ids.push(Ident::Alnum(id.to_string()));
            }
        }
    }
    Ok(Version {
        core: nums,
        pre: ids,
        build: build.to_string(),
    })
}

/// Parses a SemVer version, accepting npm's leading `v`/`=` and surrounding spaces.
pub fn parse(eco: Scheme, v: &str) -> Result<Version, VersionError> {
    let s = v.trim();
    let s = s.strip_prefix('=').unwrap_or(s).trim_start();
    let s = s
        .strip_prefix('v')
        .or_else(|| s.strip_prefix('V'))
        .unwrap_or(s);
    // npm advisories write partial versions (`introduced: "1.0"`); npm reads them as `1.0.0`.
    let min_parts = if eco == Scheme::Npm { 1 } else { 3 };
    parse_with(eco, v, s, min_parts)
}

/// Compares two SemVer versions, reporting errors under `eco`.
pub fn compare_as(eco: Scheme, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(eco, a)?.cmp(&parse(eco, b)?))
}

/// Compares two SemVer versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    compare_as(Scheme::SemVer, a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_chain() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ];
        for w in chain.windows(2) {
            assert_eq!(compare(w[0], w[1]).unwrap(), Ordering::Less, "{w:?}");
        }
    }

    #[test]
    fn npm_forms_and_errors() {
        assert_eq!(compare(" =v1.2.3 ", "1.2.3+b").unwrap(), Ordering::Equal);
        assert_eq!(
            compare_as(Scheme::Npm, "1.0", "1.0.0").unwrap(),
            Ordering::Equal
        );
        for bad in [
            "",
            "1.2",
            "1.2.3.4",
            "1.2.x",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3+",
            "a.b.c",
        ] {
            assert!(compare(bad, "1.0.0").is_err(), "{bad:?}");
        }
    }
}
