//! The answers of `kubeward who-can` and `kubeward can-i` as text and JSON. The answers are
//! the RBAC engine's (`kubeward-rbac`); every cell of the text passes through the terminal
//! escaping function, since names and rules come from the input.

use kubeward_io::terminal::escape;
use kubeward_rbac::{CanI, Request, Subject, WhoCan};

/// Ways to obtain a right shown in `can-i` text (a subject that may bind any role has one per
/// role); JSON lists them all.
const SHOWN: usize = 5;

/// Pretty JSON of an answer, with a final line break.
pub fn json<T: serde::Serialize>(answer: &T) -> serde_json::Result<String> {
    Ok(serde_json::to_string_pretty(answer)? + "\n")
}

/// `who can get secrets in namespace shop:` and one row per grant, then the subjects that can
/// obtain the right through `bind` or `escalate`.
pub fn who_can_text(req: &Request, answer: &WhoCan) -> String {
    let mut s = format!("who can {}:\n", escape(&req.display()));
    if answer.grants.is_empty() {
        s.push_str("  nobody (through the bindings of the input and the defaults)\n");
    }
    let rows: Vec<Vec<String>> = answer
        .grants
        .iter()
        .map(|g| vec![g.subject.display(), g.scope(), g.explain()])
        .collect();
    s.push_str(&table(&rows, "  "));
    if !answer.obtainable.is_empty() {
        s.push_str("can obtain it (bind or escalate):\n");
        let rows: Vec<Vec<String>> = answer
            .obtainable
            .iter()
            .map(|o| vec![o.subject.display(), o.capability.explain()])
            .collect();
        s.push_str(&table(&rows, "  "));
    }
    s
}

/// `yes: can ServiceAccount shop/web get secrets in namespace shop` and the grants; when it
/// may not, the grants that match but do not cover the request and the ways to obtain it.
pub fn can_i_text(who: &Subject, req: &Request, answer: &CanI) -> String {
    let mut s = format!(
        "{}: can {} {}\n",
        if answer.allowed { "yes" } else { "no" },
        escape(&who.display()),
        escape(&req.display())
    );
    let rows: Vec<Vec<String>> = answer
        .grants
        .iter()
        .map(|g| vec![g.subject.display(), g.scope(), g.explain()])
        .collect();
    s.push_str(&table(&rows, "  "));
    if !answer.allowed && !answer.partial.is_empty() {
        s.push_str("matching grants that do not cover this request:\n");
        let rows: Vec<Vec<String>> = answer
            .partial
            .iter()
            .map(|g| vec![g.subject.display(), g.scope(), g.explain()])
            .collect();
        s.push_str(&table(&rows, "  "));
    }
    if !answer.obtainable.is_empty() {
        s.push_str("but it can obtain it:\n");
        let rows: Vec<Vec<String>> = answer
            .obtainable
            .iter()
            .take(SHOWN)
            .map(|c| vec![c.explain()])
            .collect();
        s.push_str(&table(&rows, "  "));
        if answer.obtainable.len() > SHOWN {
            s.push_str(&format!(
                "  and {} more ways (--format json lists them)\n",
                answer.obtainable.len() - SHOWN
            ));
        }
    }
    s
}

/// Rows aligned in columns without a header, each cell escaped, trailing spaces trimmed.
fn table(rows: &[Vec<String>], indent: &str) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape(c).into_owned()).collect())
        .collect();
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|i| {
            rows.iter()
                .filter_map(|r| r.get(i))
                .map(|c| c.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in &rows {
        let mut line = indent.to_string();
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                line.push_str(&" ".repeat(widths[i] - c.chars().count() + 2));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn rows_are_aligned_and_escaped() {
        let rows = vec![
            vec!["a".to_string(), "bb".to_string(), "c".to_string()],
            vec!["dddd".to_string(), "e\u{1b}".to_string(), "f".to_string()],
        ];
        assert_eq!(
            table(&rows, "  "),
            "  a     bb       c\n  dddd  e\\u{1b}  f\n"
        );
    }
}
