//! Go module versions.
//!
//! Module versions are SemVer with a `v` prefix (`v1.2.3`); `+incompatible` is build metadata
//! and so ignored; pseudo-versions (`v0.0.0-20210101000000-abcdefabcdef`,
//! `v1.2.4-0.2021...`, `v1.2.3-pre.0.2021...`) are pre-releases and order by SemVer rules.
//! Go's shorthand `v1` and `v1.2` stand for `v1.0.0` and `v1.2.0`.
//!
//! Also accepted, because OSV's Go records and Go binaries write them: versions without the
//! `v` (`1.19.8`), and Go toolchain versions for the standard library (`go1.19.8`,
//! `go1.21rc2` = `1.21.0-rc.2`, `go1.20beta1` = `1.20.0-beta.1`, `go1.21` = `1.21.0`).

use super::semver::{parse_with, Version};
use super::{Scheme, VersionError};
use std::cmp::Ordering;

/// Turns a Go toolchain version (`go1.21rc2`) into SemVer (`1.21.0-rc.2`).
fn toolchain_to_semver(t: &str) -> String {
    let t = t.trim_start_matches("go");
    let split = t.find(|c: char| c.is_ascii_alphabetic());
    let (num, pre) = match split {
        Some(i) => (&t[..i], &t[i..]),
        None => (t, ""),
    };
    let mut s = num.to_string();
    let dots = num.matches('.').count();
    for _ in dots..2 {
        s.push_str(".0");
    }
    if !pre.is_empty() {
        let k = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        s.push('-');
        s.push_str(&pre[..k]);
        if k < pre.len() {
            s.push('.');
            s.push_str(&pre[k..]);
        }
    }
    s
}

/// Parses a Go module or toolchain version.
pub fn parse(v: &str) -> Result<Version, VersionError> {
    let s = v.trim();
    if s.is_empty() {
        return Err(VersionError::new(Scheme::Go, v, "version is empty"));
    }
    if s.starts_with("go") {
        let sv = toolchain_to_semver(s);
        return parse_with(Scheme::Go, v, &sv, 1);
    }
    let s = s.strip_prefix('v').unwrap_or(s);
    parse_with(Scheme::Go, v, s, 1)
}

/// Compares two Go module (or toolchain) versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let eq = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Equal, "{a} == {b}");
        eq("v1.2.3+incompatible", "1.2.3");
        eq("go1.19.8", "v1.19.8");
        eq("go1.21rc2", "1.21.0-rc.2");
        eq("go1.21", "v1.21.0");
        eq("v1", "v1.0.0");
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("go1.20beta1", "go1.20rc1");
        lt("go1.21rc2", "go1.21.0");
        lt("v0.0.0-20210101000000-abcdefabcdef", "v0.0.1");
        assert!(compare("latest", "v1.0.0").is_err());
        assert!(compare("v1.2.3.4", "v1.0.0").is_err());
    }
}
