//! RPM versions: `[epoch:]version[-release]`, ordered with rpm's `rpmvercmp` rules.
//!
//! Each string is split into runs of digits and runs of ASCII letters; other characters only
//! separate. Digit runs compare numerically and beat letter runs; letter runs compare
//! bytewise. `~` sorts before anything (even the end), `^` sorts after the end but before any
//! further run. When all runs are equal, the string with runs left over is greater.

use super::{cmp_digits, Scheme, VersionError};
use std::cmp::Ordering;

/// A parsed epoch-version-release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evr<'a> {
    /// The epoch as digits ("0" when absent).
    pub epoch: &'a str,
    /// The version.
    pub version: &'a str,
    /// The release (empty when absent).
    pub release: &'a str,
}

/// Parses `[epoch:]version[-release]`.
pub fn parse(v: &str) -> Result<Evr<'_>, VersionError> {
    let err = |r: &str| VersionError::new(Scheme::Rpm, v, r);
    if v.is_empty() {
        return Err(err("version is empty"));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(err("version contains whitespace or control characters"));
    }
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => {
            if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
                return Err(err("epoch is not a number"));
            }
            (e, r)
        }
        None => ("0", v),
    };
    let (version, release) = match rest.rfind('-') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    if version.is_empty() {
        return Err(err("version part is empty"));
    }
    if rest.ends_with('-') {
        return Err(err("release is empty"));
    }
    Ok(Evr {
        epoch,
        version,
        release,
    })
}

/// Compares two RPM `[epoch:]version[-release]` strings.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let ea = parse(a)?;
    let eb = parse(b)?;
    Ok(cmp_digits(ea.epoch, eb.epoch)
        .then_with(|| rpmvercmp(ea.version, eb.version))
        .then_with(|| rpmvercmp(ea.release, eb.release)))
}

/// rpm's segment comparison of one version or release string.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0usize, 0usize);
    let sep = |c: u8| !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    loop {
        while i < a.len() && sep(a[i]) {
            i += 1;
        }
        while j < b.len() && sep(b[j]) {
            j += 1;
        }
        let (ca, cb) = (a.get(i).copied(), b.get(j).copied());
        if ca.is_none() && cb.is_none() {
            return Ordering::Equal;
        }
        // Tilde: sorts before everything.
        if ca == Some(b'~') || cb == Some(b'~') {
            if ca != Some(b'~') {
                return Ordering::Greater;
            }
            if cb != Some(b'~') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        // Caret: sorts after the end, before anything else.
        if ca == Some(b'^') || cb == Some(b'^') {
            if ca.is_none() {
                return Ordering::Less;
            }
            if cb.is_none() {
                return Ordering::Greater;
            }
            if ca != Some(b'^') {
                return Ordering::Greater;
            }
            if cb != Some(b'^') {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        let (Some(ca), Some(_)) = (ca, cb) else {
            break;
        };
        let numeric = ca.is_ascii_digit();
        let class = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while i < a.len() && class(a[i]) {
            i += 1;
        }
        while j < b.len() && class(b[j]) {
            j += 1;
        }
        let (sa, sb) = (&a[si..i], &b[sj..j]);
        if sb.is_empty() {
            // Different kinds of run: a number beats letters.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let o = if numeric {
            cmp_digits(
                std::str::from_utf8(sa).unwrap_or(""),
                std::str::from_utf8(sb).unwrap_or(""),
            )
        } else {
            sa.cmp(sb)
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    // One string is exhausted (ignoring separators): the other one wins.
    if i >= a.len() {
        Ordering::Less
    } else {
        Ordering::Greater
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evr_order() {
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("1.0-1", "1.0-2");
        lt("1:1.0-1", "2:0.1-1");
        lt("1.0~rc1-1", "1.0-1");
        lt("2.9-1.el9", "2.10-1.el9");
        lt("0:3.0.7-16.el9_2", "1:3.0.7-24.el9");
        assert_eq!(compare("0:1.0-1", "1.0-1").unwrap(), Ordering::Equal);
    }

    #[test]
    fn rejects_bad() {
        assert!(parse("").is_err());
        assert!(parse("x:1.0").is_err());
        assert!(parse("1.0-").is_err());
        assert!(parse("1.0 1").is_err());
    }
}
