//! Alpine (apk-tools) versions: `digits{.digits}...{letter}{_suffix{digits}}...{~hash}{-rN}`.
//!
//! The comparison walks both strings token by token as apk-tools does. Suffixes `alpha`,
//! `beta`, `pre`, `rc` sort before the release, `cvs`, `svn`, `git`, `hg`, `p` after it.
//! A digit group after a dot that starts with `0` compares as a fraction (more leading zeros
//! sort lower). When the tokens are equal so far, the version that goes on is greater unless
//! what follows is a pre-release suffix.
//!
//! Like apk-tools, the comparison is decided at the first differing token; an invalid part
//! *after* that point does not matter (`23_foo > 4_beta`). An invalid part reached while the
//! two versions are still equal is an error, never a guess.

use super::{Scheme, VersionError};
use std::cmp::Ordering;

/// Token kinds in the order they may appear. When two versions are equal up to the point
/// where one has a token of a *lower* kind than the other, the one with the lower kind is the
/// greater version (it goes on while the other stops), except for pre-release suffixes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tok {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNo,
    CommitHash,
    RevisionNo,
    End,
    Invalid,
}

/// Suffixes in rank order; `None` (rank 5) separates pre-release from post-release ones.
const SUFFIXES: [&str; 10] = [
    "alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p",
];
const SUFFIX_NONE: usize = 4;

struct Token<'a> {
    kind: Tok,
    /// The text of the token (digits, letter, suffix word or hash).
    text: &'a [u8],
    /// Rank of a suffix.
    suffix: usize,
}

struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
    tok: Token<'a>,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        let mut c = Cursor {
            s: s.as_bytes(),
            pos: 0,
            tok: Token {
                kind: Tok::InitialDigit,
                text: &[],
                suffix: 0,
            },
        };
        c.digits(Tok::InitialDigit);
        c
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let st = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.s[st..self.pos]
    }

    fn digits(&mut self, kind: Tok) {
        let text = self.take_while(|c| c.is_ascii_digit());
        self.tok.text = text;
        self.tok.kind = if text.is_empty() { Tok::Invalid } else { kind };
    }

    /// Moves to the next token, checking that it may follow the current one.
    fn advance(&mut self) {
        let prev = self.tok.kind;
        let Some(c) = self.peek() else {
            self.tok.kind = Tok::End;
            return;
        };
        match c {
            b'a'..=b'z' if prev <= Tok::Digit => {
                self.tok.text = &self.s[self.pos..self.pos + 1];
                self.tok.kind = Tok::Letter;
                self.pos += 1;
            }
            b'.' if prev <= Tok::Digit => {
                self.pos += 1;
                self.digits(Tok::Digit);
            }
            b'0'..=b'9' if prev == Tok::Suffix => self.digits(Tok::SuffixNo),
            b'_' if prev <= Tok::SuffixNo => {
                self.pos += 1;
                let word = self.take_while(|c| c.is_ascii_lowercase());
                match SUFFIXES
                    .iter()
                    .position(|s| !s.is_empty() && s.as_bytes() == word)
                {
                    Some(rank) => {
                        self.tok.text = word;
                        self.tok.suffix = rank;
                        self.tok.kind = Tok::Suffix;
                    }
                    None => self.tok.kind = Tok::Invalid,
                }
            }
            b'~' if prev < Tok::CommitHash => {
                self.pos += 1;
                let hash = self.take_while(|c| c.is_ascii_hexdigit());
                self.tok.text = hash;
                self.tok.kind = if hash.is_empty() {
                    Tok::Invalid
                } else {
                    Tok::CommitHash
                };
            }
            b'-' if prev < Tok::RevisionNo && self.s.get(self.pos + 1) == Some(&b'r') => {
                self.pos += 2;
                self.digits(Tok::RevisionNo);
            }
            _ => self.tok.kind = Tok::Invalid,
        }
    }

    fn error(&self, v: &str) -> VersionError {
        VersionError::new(Scheme::Apk, v, format!("invalid at byte {}", self.pos))
    }
}

/// Compares two tokens of the same kind.
fn token_cmp(a: &Token<'_>, b: &Token<'_>) -> Ordering {
    fn text<'t>(t: &Token<'t>) -> &'t str {
        std::str::from_utf8(t.text).unwrap_or("")
    }
    match a.kind {
        // A digit group after a dot with a leading zero compares as a string.
        Tok::Digit if a.text.first() == Some(&b'0') || b.text.first() == Some(&b'0') => {
            a.text.cmp(b.text)
        }
        Tok::Digit | Tok::InitialDigit | Tok::SuffixNo | Tok::RevisionNo => {
            super::cmp_digits(text(a), text(b))
        }
        Tok::Suffix => a.suffix.cmp(&b.suffix),
        _ => a.text.cmp(b.text),
    }
}

/// Checks that the whole of `v` is a valid apk version.
pub fn validate(v: &str) -> Result<(), VersionError> {
    let mut c = Cursor::new(v);
    while c.tok.kind < Tok::End {
        c.advance();
    }
    if c.tok.kind == Tok::Invalid {
        return Err(c.error(v));
    }
    Ok(())
}

/// Compares two apk versions like `apk version -t`.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    let mut ca = Cursor::new(a);
    let mut cb = Cursor::new(b);
    while ca.tok.kind == cb.tok.kind && ca.tok.kind < Tok::End {
        let o = token_cmp(&ca.tok, &cb.tok);
        if o != Ordering::Equal {
            return Ok(o);
        }
        ca.advance();
        cb.advance();
    }
    if ca.tok.kind == Tok::Invalid {
        return Err(ca.error(a));
    }
    if cb.tok.kind == Tok::Invalid {
        return Err(cb.error(b));
    }
    let (ka, kb) = (ca.tok.kind, cb.tok.kind);
    if ka == kb {
        return Ok(Ordering::Equal);
    }
    // Equal so far; the longer one is greater unless it goes on with a pre-release suffix.
    if ka == Tok::Suffix && ca.tok.suffix < SUFFIX_NONE {
        return Ok(Ordering::Less);
    }
    if kb == Tok::Suffix && cb.tok.suffix < SUFFIX_NONE {
        return Ok(Ordering::Greater);
    }
    Ok(kb.cmp(&ka))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_order() {
        let lt = |a, b| assert_eq!(compare(a, b).unwrap(), Ordering::Less, "{a} < {b}");
        lt("1.0_alpha1", "1.0");
        lt("1.0", "1.0-r1");
        lt("1.0", "1.0_p1");
        lt("1.0", "1.0a");
        lt("1.02", "1.1");
        lt("3.1_p16", "3.1_p17");
        lt("1.2.3-r0", "1.2.3-r10");
        assert_eq!(compare("1.0-r1", "1.0-r1").unwrap(), Ordering::Equal);
    }

    #[test]
    fn invalid_versions_are_errors() {
        assert!(validate("").is_err());
        assert!(validate("1.0_foo").is_err());
        assert!(validate("1.0-r").is_err());
        assert!(validate("1.0a1").is_err());
        assert!(validate("1.0-x1").is_err());
        assert!(validate("abc").is_err());
        assert!(validate("1.2.3-r4").is_ok());
        assert!(validate("1.2.3_rc1_p2-r4").is_ok());
        assert!(validate("1.2.3_git20240101~abc123-r0").is_ok());
        // Equal up to the invalid part: an error, not "equal".
        assert!(compare("1.0_foo", "1.0_foo").is_err());
        assert!(compare("1.0-x", "1.0").is_err());
    }
}
