//! Python package versions (PEP 440), with the normalisations PEP 440 allows: case, a leading
//! `v`, `-`/`_`/`.` separators, alternate spellings (`alpha`, `c`, `pre`, `preview`, `rev`,
//! `r`), implicit numbers (`1.0a` is `1.0a0`) and the `1.0-1` post-release form.
//!
//! Ordering: epoch, release (trailing zeros ignored), pre-release, post-release,
//! development release, local label. A version with only a `.devN` sorts before its
//! pre-releases; local labels compare segment by segment, numbers above strings.

use super::{Scheme, VersionError};
use std::cmp::Ordering;

/// A pre-release phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Pre {
    /// `a`, `alpha`
    Alpha,
    /// `b`, `beta`
    Beta,
    /// `rc`, `c`, `pre`, `preview`
    Rc,
}

/// One segment of a local version label.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Local {
    /// An alphanumeric segment (lowercased); sorts below any number.
    Str(String),
    /// A numeric segment.
    Num(u64),
}

/// A parsed PEP 440 version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The epoch (`N!`), 0 when absent.
    pub epoch: u64,
    /// The release numbers.
    pub release: Vec<u64>,
    /// The pre-release phase and number.
    pub pre: Option<(Pre, u64)>,
    /// The post-release number.
    pub post: Option<u64>,
    /// The development release number.
    pub dev: Option<u64>,
    /// The local version label.
    pub local: Option<Vec<Local>>,
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }
    fn num(&mut self) -> Option<Result<u64, ()>> {
        let st = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        if st == self.i {
            return None;
        }
        Some(
            std::str::from_utf8(&self.s[st..self.i])
                .ok()
                .and_then(|t| t.parse().ok())
                .ok_or(()),
        )
    }
    fn sep(&mut self) -> bool {
        if matches!(self.peek(), Some(b'.' | b'-' | b'_')) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Matches one of `words` (longest listed first) after an optional separator; restores
    /// the position on failure.
    fn word(&mut self, words: &[&str]) -> Option<usize> {
        let save = self.i;
        self.sep();
        for (k, w) in words.iter().enumerate() {
            if self.s[self.i..].starts_with(w.as_bytes()) {
                self.i += w.len();
                return Some(k);
            }
        }
        self.i = save;
        None
    }
    /// An optional number after an optional separator; implicit 0.
    fn opt_num(&mut self) -> Result<u64, ()> {
        let save = self.i;
        self.sep();
        match self.num() {
            Some(r) => r,
            None => {
                self.i = save;
                Ok(0)
            }
        }
    }
}

/// Parses a PEP 440 version.
pub fn parse(v: &str) -> Result<Version, VersionError> {
    let err = |r: &str| VersionError::new(Scheme::PyPI, v, r);
    let lower = v.trim().to_ascii_lowercase();
    if lower.is_empty() {
        return Err(err("version is empty"));
    }
    let mut p = P {
        s: lower.as_bytes(),
        i: 0,
    };
    if p.peek() == Some(b'v') {
        p.i += 1;
    }
    let overflow = |_| err("number too large");
    let first = p
        .num()
        .ok_or_else(|| err("does not start with a number"))?
        .map_err(overflow)?;
    let mut epoch = 0;
    let mut release = vec![first];
    if p.peek() == Some(b'!') {
        p.i += 1;
        epoch = first;
        release[0] = p
            .num()
            .ok_or_else(|| err("no release after the epoch"))?
            .map_err(overflow)?;
    }
    while p.peek() == Some(b'.') && p.s.get(p.i + 1).is_some_and(|c| c.is_ascii_digit()) {
        p.i += 1;
        release.push(p.num().unwrap_or(Ok(0)).map_err(overflow)?);
    }
    // Pre-release.
    let mut pre = None;
    if let Some(k) = p.word(&["alpha", "beta", "preview", "pre", "rc", "a", "b", "c"]) {
        let phase = match k {
            0 | 5 => Pre::Alpha,
            1 | 6 => Pre::Beta,
            _ => Pre::Rc,
        };
        pre = Some((phase, p.opt_num().map_err(overflow)?));
    }
    // Post-release: `-N` or [sep](post|rev|r)[sep][N].
    let mut post = None;
    let save = p.i;
    if p.peek() == Some(b'-') {
        p.i += 1;
        match p.num() {
            Some(n) => post = Some(n.map_err(overflow)?),
            None => p.i = save,
        }
    }
    if post.is_none() && p.word(&["post", "rev", "r"]).is_some() {
        post = Some(p.opt_num().map_err(overflow)?);
    }
    // Development release.
    let mut dev = None;
    if p.word(&["dev"]).is_some() {
        dev = Some(p.opt_num().map_err(overflow)?);
    }
    // Local label.
    let mut local = None;
    if p.peek() == Some(b'+') {
        p.i += 1;
        let rest = std::str::from_utf8(&p.s[p.i..]).unwrap_or("");
        let mut segs = Vec::new();
        for seg in rest.split(['.', '-', '_']) {
            if seg.is_empty() || !seg.bytes().all(|c| c.is_ascii_alphanumeric()) {
                return Err(err("invalid local version label"));
            }
            if seg.bytes().all(|c| c.is_ascii_digit()) {
                segs.push(Local::Num(
                    seg.parse().map_err(|_| err("number too large"))?,
                ));
            } else {
                segs.push(Local::Str(seg.to_string()));
            }
        }
        p.i = p.s.len();
        local = Some(segs);
    }
    if p.i != p.s.len() {
        return Err(err(&format!("unexpected text at byte {}", p.i)));
    }
    Ok(Version {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// Sort key of the pre-release part: `None` is "below everything", `Some(None)` "above".
#[derive(PartialEq, Eq, PartialOrd, Ord)]
enum PreKey {
    Min,
    Phase(Pre, u64),
    Max,
}

impl Version {
    fn pre_key(&self) -> PreKey {
        match (self.pre, self.post, self.dev) {
            (None, None, Some(_)) => PreKey::Min,
            (None, _, _) => PreKey::Max,
            (Some((ph, n)), _, _) => PreKey::Phase(ph, n),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, o: &Self) -> Ordering {
        let trim = |r: &[u64]| {
            let n = r.iter().rposition(|&x| x != 0).map_or(0, |k| k + 1);
            r[..n].to_vec()
        };
        let dev_key = |d: Option<u64>| match d {
            Some(n) => (0u8, n),
            None => (1u8, 0),
        };
        self.epoch
            .cmp(&o.epoch)
            .then_with(|| trim(&self.release).cmp(&trim(&o.release)))
            .then_with(|| self.pre_key().cmp(&o.pre_key()))
            .then_with(|| self.post.cmp(&o.post))
            .then_with(|| dev_key(self.dev).cmp(&dev_key(o.dev)))
            .then_with(|| self.local.cmp(&o.local))
    }
}

/// Compares two PEP 440 versions like `packaging.version.Version`.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(parse(a)?.cmp(&parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        let eq = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Equal, "{a} == {b}");
        eq("1.0", "1.0.0");
        eq("1.0RC1", "1.0rc1");
        eq("1.0-1", "1.0.post1");
        eq("v1.0", "1.0");
        eq("1.0a", "1.0a0");
        eq("1.0.alpha.1", "1.0a1");
        eq("1.0-preview-2", "1.0rc2");
        eq("1.0_r", "1.0.post0");
        eq("1.0dev", "1.0.dev0");
    }

    #[test]
    fn order() {
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("1.0.dev1", "1.0a1");
        lt("1.0a1", "1.0");
        lt("1.0", "1.0.post1");
        lt("1.0.post1.dev1", "1.0.post1");
        lt("1.0", "1.0+local");
        lt("1.0+abc", "1.0+1");
        lt("2.10", "2020.12.5");
    }

    #[test]
    fn rejects_bad() {
        for bad in [
            "",
            "abc",
            "1.0+",
            "1.0+a..b",
            "1.0 beta",
            "1.0.x",
            "1..0",
            "1.0-dev-x",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
