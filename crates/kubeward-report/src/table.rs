//! Aligned text columns for the tables of the build-stage reports.

use kubeward_io::terminal::escape;

/// Left-aligned columns separated by two spaces; the last column is not padded and trailing
/// spaces are trimmed. Cells are terminal-escaped here, before widths are measured, so a
/// table is safe to print and stays aligned.
pub fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| r.iter().map(|c| escape(c).into_owned()).collect())
        .collect();
    let n = header.len();
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate().take(n) {
            width[i] = width[i].max(c.chars().count());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut l = String::new();
        for (i, c) in cells.enumerate() {
            l.push_str(c);
            if i + 1 < n {
                l.extend(std::iter::repeat_n(' ', width[i] - c.chars().count() + 2));
            }
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().copied());
    for r in &rows {
        line(&mut r.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::columns;

    #[test]
    fn aligned_and_escaped() {
        let rows = vec![
            vec!["a".to_string(), "long value".to_string(), "x".to_string()],
            vec!["bbb\u{1b}".to_string(), "v".to_string(), String::new()],
        ];
        let t = columns(&["A", "B", "C"], &rows);
        assert_eq!(
            t,
            "A          B           C\na          long value  x\nbbb\\u{1b}  v\n"
        );
    }
}
