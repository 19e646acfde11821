//! Terminal-safe text: the single function every text output of kubeward passes input through.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters that must not reach a terminal raw: C0 controls other than tab, DEL, C1
/// controls, and the Unicode bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI,
/// PDI, LRM, RLM, ALM) that reorder what a reviewer sees ("Trojan Source").
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(
            c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'
        )
}

/// Escapes every [`is_unsafe`] character as `\u{hex}`; borrows when there is none (the
/// common case), so it is cheap on every line.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`escape`] for text that is printed as several lines: line breaks are kept, everything else
/// unsafe (including a lone carriage return) is escaped.
pub fn escape_multiline(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&escape(line));
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_ansi_c1_and_bidi_controls() {
        assert_eq!(escape("a\u{1b}[31mb\r"), "a\\u{1b}[31mb\\u{d}");
        assert_eq!(escape("x\u{202E}y\u{2066}z"), "x\\u{202e}y\\u{2066}z");
        assert_eq!(escape("c1\u{9b}2J"), "c1\\u{9b}2J");
        assert_eq!(escape("del\u{7f}"), "del\\u{7f}");
        assert_eq!(escape("line\nbreak"), "line\\u{a}break");
    }

    #[test]
    fn leaves_ordinary_text_borrowed() {
        assert!(matches!(escape("tab\tand é 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn multiline_keeps_line_breaks_only() {
        assert_eq!(escape_multiline("a\nb\u{1b}\r\nc"), "a\nb\\u{1b}\\u{d}\nc");
    }
}
