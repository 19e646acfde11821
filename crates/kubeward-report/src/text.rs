//! The text report: a summary first (counts by severity and domain, the most exposed
//! objects), then the findings grouped by object with the worst objects first (or by rule,
//! or by file in input order), each with the offending source line.
//!
//! ```text
//! Deployment/shop/web  (examples/shop.yaml:1)
//!
//!   high     privileged-container: container "web" sets privileged: true
//!     --> examples/shop.yaml:20:13
//!      |
//!   20 |             privileged: true
//!      |             ^^^^^^^^^^ spec.template.spec.containers[0].securityContext.privileged
//!      |
//!      = fix: set securityContext.privileged to false
//!
//! 1 finding (1 high) in 1 of 3 objects from 1 file
//! ```
//!
//! Styles (ANSI escape codes) are written only when `color` is set. Text that comes from the
//! input (names, messages, source lines) has its control characters escaped in every case, so a
//! hostile manifest cannot send escape sequences to the terminal.

use crate::mask::Masked;
use crate::{group_by_object, plural, ScanResult, Summary};
use anstyle::{AnsiColor, Style};
use kubeward_rules::{registry, Finding, Severity};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::io;

/// How the findings are grouped.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GroupBy {
    /// By object, the objects with the most severe findings first (the default).
    #[default]
    Object,
    /// By rule, the most severe rules first.
    Rule,
    /// By object in input order (file, then position).
    File,
}

/// Layout options of the text report.
#[derive(Clone, Copy, Debug, Default)]
pub struct Layout<'a> {
    pub group_by: GroupBy,
    /// The display threshold (`--severity`) and how many findings it left out.
    pub hidden_below: Option<(Severity, usize)>,
    /// The "scale ceiling" table's rows (`kubeward_rules::resources::ceiling`), shown before
    /// the closing summary line when there is one.
    pub ceiling: &'a [kubeward_rules::resources::ceiling::NamespaceCeiling],
}

/// How many objects the summary names.
const TOP_OBJECTS: usize = 5;

/// Attack paths told at the top of the report.
const TOP_PATHS: usize = 5;

/// Writes the text report in the default layout.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write, color: bool) -> io::Result<()> {
    write_with(result, out, color, &Layout::default())
}

/// Writes the text report in `layout`.
pub fn write_with(
    result: &ScanResult<'_>,
    out: &mut dyn io::Write,
    color: bool,
    layout: &Layout,
) -> io::Result<()> {
    let mut s = String::new();
    render(&Masked::new(result), color, layout, &mut s);
    out.write_all(s.as_bytes())
}

/// The worst severity of a group and its count at that severity: the sort key of objects
/// and rules (worst first, then more findings first).
fn weight(group: &[&Finding]) -> (Severity, usize, usize) {
    let worst = group
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info);
    let at_worst = group.iter().filter(|f| f.severity == worst).count();
    (worst, at_worst, group.len())
}

/// `3 critical, 2 high`.
fn severity_counts(group: &[&Finding]) -> String {
    Severity::ALL
        .iter()
        .filter_map(|sev| {
            let n = group.iter().filter(|f| f.severity == *sev).count();
            (n > 0).then(|| format!("{n} {sev}"))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The opening summary: counts by severity and domain, and the most exposed objects.
fn render_overview(m: &Masked<'_, '_>, p: &Painter, groups: &[Vec<&Finding>], s: &mut String) {
    if m.findings.is_empty() {
        return;
    }
    // the story first: the attack paths, one line each, with the fix that cuts them
    let paths: Vec<&Finding> = m
        .findings
        .iter()
        .filter(|f| f.rule == "attack-path")
        .collect();
    if !paths.is_empty() {
        let _ = writeln!(
            s,
            "{}",
            p.paint(
                Style::new().bold(),
                &format!(
                    "{} attack path{} from the internet (`kubeward paths` for every hop and the ranked fixes):",
                    paths.len(),
                    if paths.len() == 1 { "" } else { "s" }
                )
            )
        );
        for f in paths.iter().take(TOP_PATHS) {
            let story = f
                .message
                .strip_prefix("attack path to ")
                .unwrap_or(&f.message);
            let _ = writeln!(s, "  {}", clean(story));
            let fix = f.remediation.split(" (cuts this path").next().unwrap_or("");
            let _ = writeln!(
                s,
                "    cut by: {} ({}:{})",
                clean(fix),
                clean(&f.location.file),
                f.location.line
            );
        }
        if paths.len() > TOP_PATHS {
            let _ = writeln!(s, "  … and {} more", paths.len() - TOP_PATHS);
        }
        s.push('\n');
    }
    let summary = m.result().summary();
    let _ = writeln!(
        s,
        "{}",
        p.paint(Style::new().bold(), &summary_line(&summary))
    );
    let mut domains: Vec<(&str, usize)> = Vec::new();
    let domain_of: HashMap<&str, &str> = registry::all()
        .into_iter()
        .map(|r| (r.meta().name, r.meta().domain.as_str()))
        .collect();
    for f in m.findings.iter() {
        let d = domain_of.get(f.rule).copied().unwrap_or("other");
        match domains.iter_mut().find(|(x, _)| *x == d) {
            Some(slot) => slot.1 += 1,
            None => domains.push((d, 1)),
        }
    }
    domains.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let parts: Vec<String> = domains.iter().map(|(d, n)| format!("{d} {n}")).collect();
    let _ = writeln!(s, "  by domain: {}", parts.join(", "));
    let mut ranked: Vec<&Vec<&Finding>> = groups.iter().collect();
    ranked.sort_by_key(|g| std::cmp::Reverse(weight(g)));
    let _ = writeln!(s, "  most exposed objects:");
    for g in ranked.iter().take(TOP_OBJECTS) {
        let _ = writeln!(
            s,
            "    {}  {}",
            p.paint(Style::new().bold(), &clean(&g[0].object.display())),
            severity_counts(g)
        );
    }
    s.push('\n');
}

/// Renders the whole report into `s`.
fn render(m: &Masked<'_, '_>, color: bool, layout: &Layout, s: &mut String) {
    let p = Painter { color };
    let result = m.result();
    let mut groups = group_by_object(&m.findings);
    render_overview(m, &p, &groups, s);
    match layout.group_by {
        GroupBy::File => {
            for group in &groups {
                render_object(m, &p, group, s);
            }
        }
        GroupBy::Object => {
            // stable: objects of equal weight keep their input order
            groups.sort_by_key(|g| std::cmp::Reverse(weight(g)));
            for group in &mut groups {
                group.sort_by_key(|f| std::cmp::Reverse(f.severity));
                render_object(m, &p, group, s);
            }
        }
        GroupBy::Rule => {
            let mut rules: Vec<Vec<&Finding>> = Vec::new();
            let mut at: HashMap<&str, usize> = HashMap::new();
            for f in m.findings.iter() {
                let i = *at.entry(f.rule).or_insert_with(|| {
                    rules.push(Vec::new());
                    rules.len() - 1
                });
                rules[i].push(f);
            }
            rules.sort_by_key(|g| std::cmp::Reverse(weight(g)));
            for group in &mut rules {
                group.sort_by_key(|f| std::cmp::Reverse(f.severity));
                let _ = writeln!(
                    s,
                    "{}  ({})\n",
                    p.paint(Style::new().bold(), &clean(group[0].rule)),
                    severity_counts(group)
                );
                for f in group.iter() {
                    let _ = writeln!(
                        s,
                        "  {}",
                        p.paint(Style::new().bold(), &clean(&f.object.display()))
                    );
                    render_finding(m, &p, f, s);
                }
            }
        }
    }
    if result.show_suppressed && !m.suppressed.is_empty() {
        s.push_str(&p.paint(Style::new().bold(), "suppressed:"));
        s.push('\n');
        for sup in m.suppressed.iter() {
            let f = &sup.finding;
            let _ = writeln!(
                s,
                "  {} {}  {}  {}  ({})",
                p.severity(f.severity),
                clean(f.rule),
                clean(&f.object.display()),
                location(f),
                clean(&sup.reason.to_string())
            );
        }
        s.push('\n');
    }
    if !m.errors.is_empty() {
        s.push_str(&p.paint(Style::new().bold(), "errors:"));
        s.push('\n');
        for e in m.errors.iter() {
            let _ = writeln!(
                s,
                "  {}: {} {}",
                clean(&format!("{}:{}:{}", e.file, e.line, e.column)),
                p.paint(AnsiColor::Red.on_default().bold(), "error:"),
                clean(&e.message)
            );
        }
        s.push('\n');
    }
    s.push_str(&crate::ceiling::render(layout.ceiling, &|t| {
        p.paint(Style::new().bold(), t)
    }));
    let summary = result.summary();
    if summary.notes > 0 {
        let _ = writeln!(
            s,
            "{} {} (not Kubernetes objects)",
            p.paint(AnsiColor::Cyan.on_default().bold(), "note:"),
            plural(summary.notes, "document skipped", "documents skipped")
        );
    }
    s.push_str(&p.paint(Style::new().bold(), &summary_line(&summary)));
    if let Some((threshold, hidden)) = layout.hidden_below {
        if hidden > 0 {
            let _ = write!(s, "; {hidden} below {threshold} not shown (--severity)");
        }
    }
    s.push('\n');
}

/// One object's header and its findings.
fn render_object(m: &Masked<'_, '_>, p: &Painter, group: &[&Finding], s: &mut String) {
    let result = m.result();
    let first = group[0];
    let origin = match result.object_of(first) {
        Some(obj) => format!(
            "{}:{}",
            result.snapshot.source(obj.source).name,
            obj.root.pos.line
        ),
        None => first.location.file.clone(),
    };
    let _ = writeln!(
        s,
        "{}  ({})\n",
        p.paint(Style::new().bold(), &clean(&first.object.display())),
        clean(&origin)
    );
    for f in group {
        render_finding(m, p, f, s);
    }
}

/// One finding: title, location, source excerpt with a caret, and the fix.
fn render_finding(m: &Masked<'_, '_>, p: &Painter, f: &Finding, s: &mut String) {
    let _ = writeln!(
        s,
        "  {} {}: {}",
        p.severity(f.severity),
        p.paint(Style::new().bold(), &clean(f.rule)),
        clean(&f.message)
    );
    // the source line, only ever through the masking step
    let snippet = m.snippet(f);
    let number = f.location.line.to_string();
    let pad = " ".repeat(number.len());
    let blue = AnsiColor::Blue.on_default().bold();
    let _ = writeln!(s, "  {pad}{} {}", p.paint(blue, "-->"), location(f));
    if let Some(snippet) = &snippet {
        let (line, col) = strip_bom(&snippet.line, snippet.column);
        let bar = p.paint(blue, "|");
        let _ = writeln!(s, "  {pad} {bar}");
        let _ = writeln!(s, "  {} {bar} {}", p.paint(blue, &number), clean(line));
        let (indent, width) = caret(line, col);
        let label = if f.path.is_empty() {
            String::new()
        } else {
            format!(" {}", clean(&f.path))
        };
        let marks = format!("{}{label}", "^".repeat(width));
        let _ = writeln!(
            s,
            "  {pad} {bar} {indent}{}",
            p.paint(severity_style(f.severity), &marks)
        );
        let _ = writeln!(s, "  {pad} {bar}");
    } else if !f.path.is_empty() {
        let _ = writeln!(
            s,
            "  {pad} {} field: {}",
            p.paint(blue, "="),
            clean(&f.path)
        );
    }
    let eq = p.paint(blue, "=");
    if !f.remediation.is_empty() {
        let _ = writeln!(
            s,
            "  {pad} {eq} {} {}",
            p.paint(Style::new().bold(), "fix:"),
            clean(&f.remediation)
        );
    }
    if let Some(ps) = &f.pod_security {
        let modes = if ps.modes.is_empty() {
            String::new()
        } else {
            format!(", {}", ps.modes.join("/"))
        };
        let _ = writeln!(
            s,
            "  {pad} {eq} pod security: {} ({} check; policy {}{})",
            clean(&ps.check),
            clean(&ps.level),
            clean(&ps.policy),
            clean(&modes)
        );
    }
    for x in &f.facets {
        let _ = writeln!(
            s,
            "  {pad} {eq} also {} ({}): {}",
            p.paint(Style::new().bold(), &clean(x.rule)),
            x.severity,
            clean(&x.message)
        );
    }
    if !f.related.is_empty() {
        let related: Vec<String> = f.related.iter().map(|r| clean(&r.display())).collect();
        let more = match f.related_total.saturating_sub(f.related.len()) {
            0 => String::new(),
            n => format!(" and {n} more"),
        };
        let _ = writeln!(s, "  {pad} {eq} related: {}{more}", related.join(", "));
    }
    s.push('\n');
}

/// `12 findings (1 critical, 4 high) in 9 of 20 objects from 3 files; 2 suppressed; 1 error`.
pub fn summary_line(sum: &Summary) -> String {
    let mut line = if sum.findings == 0 {
        format!(
            "no findings in {} from {}",
            plural(sum.objects, "object", "objects"),
            plural(sum.files, "file", "files")
        )
    } else {
        let parts: Vec<String> = sum
            .by_severity
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(sev, n)| format!("{n} {sev}"))
            .collect();
        format!(
            "{} ({}) in {} of {} from {}",
            plural(sum.findings, "finding", "findings"),
            parts.join(", "),
            sum.objects_with_findings,
            plural(sum.objects, "object", "objects"),
            plural(sum.files, "file", "files")
        )
    };
    if sum.suppressed > 0 {
        let _ = write!(line, "; {} suppressed", sum.suppressed);
    }
    if sum.errors > 0 {
        let _ = write!(line, "; {}", plural(sum.errors, "error", "errors"));
    }
    line
}

/// `file:line:col` of a finding, escaped.
fn location(f: &Finding) -> String {
    clean(&format!(
        "{}:{}:{}",
        f.location.file, f.location.line, f.location.column
    ))
}

/// Drops a byte-order mark from the start of a line (and shifts the column past it).
fn strip_bom(line: &str, col: u32) -> (&str, u32) {
    match line.strip_prefix('\u{feff}') {
        Some(rest) if col > 1 => (rest, col - 1),
        Some(rest) => (rest, col),
        None => (line, col),
    }
}

/// The indentation that puts a caret under 1-based character column `col` of `line` (tabs are
/// kept so the caret lines up), and the width of the token that starts there.
fn caret(line: &str, col: u32) -> (String, usize) {
    let col = col.max(1) as usize;
    let mut indent: String = line
        .chars()
        .take(col - 1)
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    while indent.chars().count() < col - 1 {
        indent.push(' ');
    }
    let rest: Vec<char> = line.chars().skip(col - 1).collect();
    let width = match rest.first() {
        Some(&q @ ('"' | '\'')) => rest
            .iter()
            .skip(1)
            .position(|&c| c == q)
            .map_or(rest.len(), |i| i + 2),
        Some(_) => rest
            .iter()
            .position(|&c| c == ':' || c.is_whitespace())
            .unwrap_or(rest.len()),
        None => 1,
    };
    (indent, width.max(1))
}

/// Escapes control characters (other than tab) and bidirectional controls so input text
/// cannot drive the terminal: [`kubeward_io::terminal::escape`], the one escaping function
/// of every text output.
pub fn clean(text: &str) -> String {
    kubeward_io::terminal::escape(text).into_owned()
}

/// The style of a severity label.
fn severity_style(sev: Severity) -> Style {
    match sev {
        Severity::Critical => AnsiColor::Magenta.on_default().bold(),
        Severity::High => AnsiColor::Red.on_default().bold(),
        Severity::Medium => AnsiColor::Yellow.on_default().bold(),
        Severity::Low => AnsiColor::Cyan.on_default(),
        Severity::Info => AnsiColor::Green.on_default(),
    }
}

/// Applies styles only when colour is on.
struct Painter {
    color: bool,
}

impl Painter {
    fn paint(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    /// The severity label, padded to the widest one so rule names line up.
    fn severity(&self, sev: Severity) -> String {
        self.paint(severity_style(sev), &format!("{:<8}", sev.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caret_spans_the_key_or_quoted_token() {
        assert_eq!(caret("    privileged: true", 5), ("    ".into(), 10));
        assert_eq!(caret("\t  \"a b\": 1", 4), ("\t  ".into(), 5));
        assert_eq!(caret("x", 9), ("        ".into(), 1));
        assert_eq!(caret("", 1), (String::new(), 1));
    }

    #[test]
    fn clean_escapes_control_characters() {
        assert_eq!(clean("a\u{1b}[31mb\r"), "a\\u{1b}[31mb\\u{d}");
        assert_eq!(clean("tab\tok"), "tab\tok");
        assert_eq!(clean("a\u{202e}b"), "a\\u{202e}b");
    }
}
