//! Debian package versions: `[epoch:]upstream_version[-debian_revision]`.
//!
//! Ordering per Debian Policy 5.6.12: epochs compare numerically; upstream version and
//! revision compare by alternating non-digit and digit runs, where in non-digit runs `~` sorts
//! before everything (even the end of the string), then the end of the string, then letters,
//! then other characters; digit runs compare numerically.

use super::{cmp_digits, Scheme, VersionError};
use std::cmp::Ordering;

/// A parsed Debian version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebVersion<'a> {
    /// The epoch (0 when absent), as a digit string.
    pub epoch: &'a str,
    /// The upstream version.
    pub upstream: &'a str,
    /// The Debian revision (empty when absent).
    pub revision: &'a str,
}

fn err(v: &str, reason: &str) -> VersionError {
    VersionError::new(Scheme::Dpkg, v, reason)
}

/// Parses a Debian version, rejecting what `dpkg` rejects or warns about: empty parts, a
/// non-numeric epoch, an upstream version not starting with a digit, invalid characters.
pub fn parse(v: &str) -> Result<DebVersion<'_>, VersionError> {
    let s = v.trim();
    if s.is_empty() {
        return Err(err(v, "version is empty"));
    }
    if s.chars().any(char::is_whitespace) {
        return Err(err(v, "version contains whitespace"));
    }
    let (epoch, rest) = match s.split_once(':') {
        Some((e, r)) => {
            if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err(v, "epoch is not a number"));
            }
            if r.is_empty() {
                return Err(err(v, "nothing after the epoch colon"));
            }
            (e, r)
        }
        None => ("0", s),
    };
    let (upstream, revision) = match rest.rfind('-') {
        Some(i) => {
            let (u, r) = (&rest[..i], &rest[i + 1..]);
            if r.is_empty() {
                return Err(err(v, "revision is empty"));
            }
            (u, r)
        }
        None => (rest, ""),
    };
    if upstream.is_empty() {
        return Err(err(v, "upstream version is empty"));
    }
    if !upstream.as_bytes()[0].is_ascii_digit() {
        return Err(err(v, "upstream version does not start with a digit"));
    }
    if let Some(c) = upstream
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".-+~:".contains(*c)))
    {
        return Err(err(
            v,
            &format!("invalid character {c:?} in upstream version"),
        ));
    }
    if let Some(c) = revision
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || ".+~".contains(*c)))
    {
        return Err(err(v, &format!("invalid character {c:?} in revision")));
    }
    Ok(DebVersion {
        epoch,
        upstream,
        revision,
    })
}

/// Compares two Debian versions like `dpkg --compare-versions`.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let va = parse(a)?;
    let vb = parse(b)?;
    Ok(cmp_parsed(&va, &vb))
}

/// Compares two parsed Debian versions.
pub fn cmp_parsed(a: &DebVersion<'_>, b: &DebVersion<'_>) -> Ordering {
    cmp_digits(a.epoch, b.epoch)
        .then_with(|| verrevcmp(a.upstream, b.upstream))
        .then_with(|| verrevcmp(a.revision, b.revision))
}

/// Weight of a character in a non-digit run; 0 stands for "end of string or digit".
fn order(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(c) if c.is_ascii_digit() => 0,
        Some(c) if c.is_ascii_alphabetic() => c as i32,
        Some(b'~') => -1,
        Some(c) => c as i32 + 256,
    }
}

/// Compares one upstream version or revision string by Debian's rules.
pub fn verrevcmp(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let at = |k: usize| a.get(k).copied();
    let bt = |k: usize| b.get(k).copied();
    while i < a.len() || j < b.len() {
        // Non-digit run.
        while at(i).is_some_and(|c| !c.is_ascii_digit())
            || bt(j).is_some_and(|c| !c.is_ascii_digit())
        {
            let (ac, bc) = (order(at(i)), order(bt(j)));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // Digit run.
        let si = i;
        while at(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
        let sj = j;
        while bt(j).is_some_and(|c| c.is_ascii_digit()) {
            j += 1;
        }
        let da = std::str::from_utf8(&a[si.min(a.len())..i.min(a.len())]).unwrap_or("");
        let db = std::str::from_utf8(&b[sj.min(b.len())..j.min(b.len())]).unwrap_or("");
        let o = cmp_digits(da, db);
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_examples() {
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("1.0~rc1", "1.0");
        lt("1.0~~", "1.0~");
        lt("1.0", "1.0+b1");
        lt("1:0.9", "2:0.1");
        lt("2.36-9+deb12u3", "2.36-9+deb12u10");
        assert_eq!(compare("0:1.0", "1.0").unwrap(), Ordering::Equal);
        assert_eq!(compare("1.2.3-0", "1.2.3").unwrap(), Ordering::Equal);
    }

    #[test]
    fn rejects_bad_versions() {
        for bad in [
            "", "a1.0", "1.0-", ":1.0", "x:1.0", "1:", "1.0 2", "1.0_1", "1.0-a_b",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }
}
