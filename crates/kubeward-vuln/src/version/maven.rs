//! Maven versions, ordered like Maven's `ComparableVersion`.
//!
//! The (lowercased) version is split at `.`, at `-`, and at transitions between digits and
//! letters. A `-`, a digit/letter transition, and a `.` followed by a qualifier open a nested
//! list, so `1.0-alpha-1` is `[1, [alpha, [1]]]`. Empty parts are `0`. Trailing "null" items
//! (`0`, `""`, `ga`, `final`, `release`, empty lists) are trimmed from every list.
//!
//! Items compare as follows: numbers numerically; qualifiers in the order
//! `alpha` (`a` before a digit) < `beta` (`b`) < `milestone` (`m`) < `rc` = `cr` <
//! `snapshot` < `""` = `ga` = `final` = `release` < `sp` < any other qualifier (in
//! lexical order); a number beats a list, which beats a qualifier. A missing item compares as
//! null: `1-alpha < 1 < 1-sp`, `1 = 1.0 = 1-0 = 1.ga`, `1-1 < 1.1`.

use super::{cmp_digits, Scheme, VersionError};
use std::cmp::Ordering;

/// One item of a parsed Maven version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A number, as digits without leading zeros (empty for 0).
    Int(String),
    /// A qualifier, lowercased, with aliases resolved (`cr` → `rc`, `ga` → `""`, ...).
    Str(String),
    /// A nested list (after `-` or a digit/letter transition).
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
const RELEASE_INDEX: &str = "5";

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|k| *k == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{}", QUALIFIERS.len(), q),
    }
}

fn int_item(digits: &str) -> Item {
    Item::Int(digits.trim_start_matches('0').to_string())
}

fn str_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            other => other,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    Item::Str(s.to_string())
}

impl Item {
    fn is_null(&self) -> bool {
        match self {
            Item::Int(d) => d.is_empty(),
            Item::Str(s) => s.is_empty(),
            Item::List(l) => l.is_empty(),
        }
    }

    /// Compares with another item, or with "null" (a missing item) when `other` is `None`.
    fn cmp_opt(&self, other: Option<&Item>) -> Ordering {
        match (self, other) {
            (Item::Int(d), None) => {
                if d.is_empty() {
                    Ordering::Equal
                } else {
                    Ordering::Greater
                }
            }
            (Item::Str(s), None) => comparable_qualifier(s).as_str().cmp(RELEASE_INDEX),
            (Item::List(l), None) => match l.first() {
                None => Ordering::Equal,
                Some(f) => f.cmp_opt(None),
            },
            (Item::Int(a), Some(Item::Int(b))) => cmp_digits(a, b),
            (Item::Int(_), Some(_)) => Ordering::Greater,
            (Item::Str(a), Some(Item::Str(b))) => {
                comparable_qualifier(a).cmp(&comparable_qualifier(b))
            }
            (Item::Str(_), Some(_)) => Ordering::Less,
            (Item::List(_), Some(Item::Int(_))) => Ordering::Less,
            (Item::List(_), Some(Item::Str(_))) => Ordering::Greater,
            (Item::List(a), Some(Item::List(b))) => cmp_lists(a, b),
        }
    }
}

fn cmp_lists(a: &[Item], b: &[Item]) -> Ordering {
    let n = a.len().max(b.len());
    for k in 0..n {
        let r = match (a.get(k), b.get(k)) {
            (None, None) => Ordering::Equal,
            (None, Some(r)) => r.cmp_opt(None).reverse(),
            (Some(l), r) => l.cmp_opt(r),
        };
        if r != Ordering::Equal {
            return r;
        }
    }
    Ordering::Equal
}

fn normalize(list: &mut Vec<Item>) {
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if list[i].is_null() {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

/// Parses a Maven version into its item list.
pub fn parse(v: &str) -> Result<Vec<Item>, VersionError> {
    if v.trim().is_empty() {
        return Err(VersionError::new(Scheme::Maven, v, "version is empty"));
    }
    if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(VersionError::new(
            Scheme::Maven,
            v,
            "version contains whitespace or control characters",
        ));
    }
    let s = v.to_lowercase();
    // A chain of lists: each new list is the last item of the one before it.
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let mut is_digit = false;
    let mut start = 0usize;
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for &(i, c) in &chars {
        if c == '.' || c == '-' {
            let cur = stack.last_mut().expect("stack is never empty");
            if i == start {
                cur.push(Item::Int(String::new()));
            } else if is_digit {
                cur.push(int_item(&s[start..i]));
            } else {
                cur.push(str_item(&s[start..i], false));
            }
            start = i + c.len_utf8();
            if c == '-' {
                stack.push(Vec::new());
            }
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                // A qualifier directly followed by a number: `alpha1`, `.x1`.
                if !stack.last().expect("stack is never empty").is_empty() {
                    stack.push(Vec::new());
                }
                let q = str_item(&s[start..i], true);
                stack.last_mut().expect("stack is never empty").push(q);
                start = i;
                stack.push(Vec::new());
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                let n = int_item(&s[start..i]);
                stack.last_mut().expect("stack is never empty").push(n);
                start = i;
                stack.push(Vec::new());
            }
            is_digit = false;
        }
    }
    if s.len() > start {
        // A trailing `.x` is treated like `-x`.
        if !is_digit && !stack.last().expect("stack is never empty").is_empty() {
            stack.push(Vec::new());
        }
        let item = if is_digit {
            int_item(&s[start..])
        } else {
            str_item(&s[start..], false)
        };
        stack.last_mut().expect("stack is never empty").push(item);
    }
    // Close the chain from the innermost list out.
    let mut inner: Option<Vec<Item>> = None;
    while let Some(mut list) = stack.pop() {
        if let Some(child) = inner.take() {
            list.push(Item::List(child));
        }
        normalize(&mut list);
        inner = Some(list);
    }
    Ok(inner.unwrap_or_default())
}

/// Compares two Maven versions.
pub fn compare(a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(cmp_lists(&parse(a)?, &parse(b)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure() {
        let i = |d: &str| Item::Int(d.into());
        let q = |d: &str| Item::Str(d.into());
        assert_eq!(parse("1.0.0").unwrap(), vec![i("1")]);
        assert_eq!(
            parse("1.0-alpha-1").unwrap(),
            vec![
                i("1"),
                Item::List(vec![q("alpha"), Item::List(vec![i("1")])])
            ]
        );
        assert_eq!(
            parse("1.0.0-foo.0.0").unwrap(),
            vec![i("1"), Item::List(vec![q("foo")])]
        );
    }

    #[test]
    fn whitespace_is_an_error() {
        assert!(parse("1.0 beta").is_err());
        assert!(parse(" ").is_err());
    }
}
