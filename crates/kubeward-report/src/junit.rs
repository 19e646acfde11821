//! JUnit XML for CI test views (GitLab merge-request test reports, Jenkins, Azure DevOps...).
//!
//! One `<testsuite>` per rule, one `<testcase>` per object × rule:
//! `classname` is the rule name and `name` the object (`Deployment/shop/web`). Grouping by rule
//! is what CI views display best: Jenkins splits `classname` on dots into package and class,
//! which mangles file paths (`examples/shop.yaml` would become class `yaml` of package
//! `examples/shop`) but leaves kebab-case rule names whole; GitLab shows `classname` as the
//! suite column, so a reader sees which checks fail and on what. Several findings of one rule
//! on one object (say, two containers) are one test case whose `<failure>` lists them all.
//!
//! Load errors are `<error>` test cases of a `load` suite; suppressed findings (with
//! `show_suppressed`) are `<skipped>` test cases. A scan without findings or errors writes one
//! passing test case, so the CI view shows a green test instead of an empty report.

use crate::mask::Masked;
use crate::{group_by_object, plural, ScanResult, Suppressed};
use kubeward_rules::Finding;
use std::fmt::Write as _;
use std::io;

/// Writes the JUnit report.
pub fn write(result: &ScanResult<'_>, out: &mut dyn io::Write) -> io::Result<()> {
    out.write_all(render(result).as_bytes())
}

/// A test case before rendering.
struct Case {
    classname: String,
    name: String,
    outcome: Outcome,
}

enum Outcome {
    Pass(String),
    Failure {
        message: String,
        kind: String,
        body: String,
    },
    Error {
        message: String,
        body: String,
    },
    Skipped(String),
}

/// Renders the document.
fn render(result: &ScanResult<'_>) -> String {
    let masked = Masked::new(result);
    // Suites in order of first appearance of their rule (findings are sorted by object).
    let mut suites: Vec<(String, Vec<Case>)> = Vec::new();
    let add = |suites: &mut Vec<(String, Vec<Case>)>, suite: &str, case: Case| match suites
        .iter_mut()
        .find(|(n, _)| n == suite)
    {
        Some((_, cases)) => cases.push(case),
        None => suites.push((suite.to_string(), vec![case])),
    };
    for group in group_by_object(&masked.findings) {
        for rule_group in by_rule(&group) {
            add(&mut suites, rule_group[0].rule, failure_case(&rule_group));
        }
    }
    if result.show_suppressed {
        for s in masked.suppressed.iter() {
            add(&mut suites, s.finding.rule, skipped_case(s));
        }
    }
    for e in masked.errors.iter() {
        let location = format!("{}:{}:{}", e.file, e.line, e.column);
        add(
            &mut suites,
            "load",
            Case {
                classname: "load".into(),
                name: e.file.clone(),
                outcome: Outcome::Error {
                    message: e.message.clone(),
                    body: format!("{location}: {}", e.message),
                },
            },
        );
    }
    if suites.is_empty() {
        let summary = result.summary();
        let text = format!(
            "no findings in {} from {}",
            plural(summary.objects, "object", "objects"),
            plural(summary.files, "file", "files")
        );
        add(
            &mut suites,
            "kubeward",
            Case {
                classname: "kubeward".into(),
                name: "scan".into(),
                outcome: Outcome::Pass(text),
            },
        );
    }

    let count =
        |cases: &[Case], f: fn(&Outcome) -> bool| cases.iter().filter(|c| f(&c.outcome)).count();
    let is_failure = |o: &Outcome| matches!(o, Outcome::Failure { .. });
    let is_error = |o: &Outcome| matches!(o, Outcome::Error { .. });
    let is_skipped = |o: &Outcome| matches!(o, Outcome::Skipped(_));
    let all: Vec<&Case> = suites.iter().flat_map(|(_, c)| c).collect();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"kubeward\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
        all.len(),
        all.iter().filter(|c| is_failure(&c.outcome)).count(),
        all.iter().filter(|c| is_error(&c.outcome)).count(),
        all.iter().filter(|c| is_skipped(&c.outcome)).count(),
    );
    for (name, cases) in &suites {
        let _ = writeln!(
            x,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\">",
            attr(name),
            cases.len(),
            count(cases, is_failure),
            count(cases, is_error),
            count(cases, is_skipped),
        );
        for c in cases {
            let _ = write!(
                x,
                "    <testcase classname=\"{}\" name=\"{}\"",
                attr(&c.classname),
                attr(&c.name)
            );
            match &c.outcome {
                Outcome::Pass(out) => {
                    let _ = writeln!(
                        x,
                        ">\n      <system-out>{}</system-out>\n    </testcase>",
                        text(out)
                    );
                }
                Outcome::Failure {
                    message,
                    kind,
                    body,
                } => {
                    let _ = writeln!(
                        x,
                        ">\n      <failure message=\"{}\" type=\"{}\">{}</failure>\n    </testcase>",
                        attr(message),
                        attr(kind),
                        text(body)
                    );
                }
                Outcome::Error { message, body } => {
                    let _ = writeln!(
                        x,
                        ">\n      <error message=\"{}\" type=\"load-error\">{}</error>\n    </testcase>",
                        attr(message),
                        text(body)
                    );
                }
                Outcome::Skipped(reason) => {
                    let _ = writeln!(
                        x,
                        ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                        attr(reason)
                    );
                }
            }
        }
        x.push_str("  </testsuite>\n");
    }
    x.push_str("</testsuites>\n");
    x
}

/// Splits one object's findings by rule, in order of first appearance.
fn by_rule<'f>(group: &[&'f Finding]) -> Vec<Vec<&'f Finding>> {
    let mut out: Vec<Vec<&Finding>> = Vec::new();
    for f in group {
        match out.iter_mut().find(|g| g[0].rule == f.rule) {
            Some(g) => g.push(f),
            None => out.push(vec![f]),
        }
    }
    out
}

/// A failing test case for the findings of one rule on one object.
fn failure_case(findings: &[&Finding]) -> Case {
    let first = findings[0];
    let severity = findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(first.severity);
    let mut message = first.message.clone();
    if findings.len() > 1 {
        let _ = write!(message, " (and {} more)", findings.len() - 1);
    }
    let mut body = String::new();
    for f in findings {
        let _ = writeln!(body, "{}: {}: {}", location(f), f.severity, f.message);
        if !f.path.is_empty() {
            let _ = writeln!(body, "  field: {}", f.path);
        }
        if !f.remediation.is_empty() {
            let _ = writeln!(body, "  fix: {}", f.remediation);
        }
    }
    Case {
        classname: first.rule.to_string(),
        name: first.object.display(),
        outcome: Outcome::Failure {
            message,
            kind: severity.to_string(),
            body,
        },
    }
}

/// A skipped test case for a suppressed finding.
fn skipped_case(s: &Suppressed) -> Case {
    let f = &s.finding;
    Case {
        classname: f.rule.to_string(),
        name: f.object.display(),
        outcome: Outcome::Skipped(format!(
            "suppressed ({}): {} at {}",
            s.reason,
            f.message,
            location(f)
        )),
    }
}

fn location(f: &Finding) -> String {
    format!(
        "{}:{}:{}",
        f.location.file, f.location.line, f.location.column
    )
}

/// Escapes character data. Characters XML 1.0 cannot carry at all (most C0 controls, U+FFFE,
/// U+FFFF) become U+FFFD.
pub fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (also tabs and line breaks, which attribute normalization would
/// otherwise turn into spaces).
pub fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            '\n' if attribute => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attribute => out.push_str("&#9;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(attr("a<b>&\"c'\n"), "a&lt;b&gt;&amp;&quot;c&apos;&#10;");
        assert_eq!(text("x]]>\u{1b}\u{0}y\n"), "x]]&gt;\u{fffd}\u{fffd}y\n");
    }
}
