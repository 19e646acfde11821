//! Matrices, summaries and verdicts as text, JSON, CSV and DOT. Every string that came from
//! input passes through `kubeward_io::terminal::escape` (JSON: control and bidirectional
//! characters are written as `\u` escapes, the same value), CSV fields are quoted per RFC 4180,
//! DOT identifiers and labels are quoted with `"` and `\` escaped.

use crate::engine::{Endpoint, Network, Reason, SideVerdict, Verdict};
use crate::matrix::{Matrix, Summary};
use crate::model::{PortProto, Protocol};
use kubeward_io::terminal::{escape, is_unsafe};
use std::fmt::Write;

/// The endpoints of a matrix in output order: pods, then external addresses.
pub fn endpoints(net: &Network, matrix: &Matrix) -> Vec<Endpoint> {
    (0..net.pods().len())
        .map(Endpoint::Pod)
        .chain(matrix.externals.iter().map(|&ip| Endpoint::External(ip)))
        .collect()
}

/// One row of the JSON contract.
#[derive(serde::Serialize)]
struct JsonRow<'a> {
    from: &'a str,
    to: &'a str,
    port: u16,
    protocol: Protocol,
    allowed: bool,
}

/// Every ordered pair (pods and externals; not two externals) of every port:
/// `(port index, from, to, allowed)`.
pub fn pairs(net: &Network, matrix: &Matrix) -> Vec<(usize, usize, usize, bool)> {
    let eps = endpoints(net, matrix);
    let mut out = Vec::new();
    for pi in 0..matrix.ports.len() {
        for (i, a) in eps.iter().enumerate() {
            for (j, b) in eps.iter().enumerate() {
                if let Some(ok) = matrix.allowed(net, pi, a, b) {
                    out.push((pi, i, j, ok));
                }
            }
        }
    }
    out
}

/// The number of rows [`pairs`] would give, without computing them.
pub fn pair_count(net: &Network, matrix: &Matrix) -> u128 {
    let p = net.pods().len() as u128;
    let e = matrix.externals.len() as u128;
    ((p + e) * (p + e) - e * e) * matrix.ports.len() as u128
}

/// JSON text with the characters a terminal must not see raw written as `\u` escapes (the
/// same JSON value).
pub fn json_safe(s: String) -> String {
    // serde_json already escapes C0 controls inside strings; line breaks outside them are
    // the pretty printer's
    let unsafe_char = |c: char| c != '\n' && is_unsafe(c);
    if !s.chars().any(unsafe_char) {
        return s;
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if unsafe_char(c) {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `{"rows": [{"from", "to", "port", "protocol", "allowed"}]}`.
pub fn json(net: &Network, matrix: &Matrix) -> String {
    let eps = endpoints(net, matrix);
    let names: Vec<String> = eps.iter().map(|e| net.endpoint_name(e)).collect();
    let rows: Vec<JsonRow> = pairs(net, matrix)
        .into_iter()
        .map(|(pi, i, j, allowed)| JsonRow {
            from: &names[i],
            to: &names[j],
            port: matrix.ports[pi].port,
            protocol: matrix.ports[pi].protocol,
            allowed,
        })
        .collect();
    let v = serde_json::json!({ "rows": rows });
    json_safe(serde_json::to_string_pretty(&v).unwrap_or_default()) + "\n"
}

/// One CSV field (RFC 4180: quoted when it holds a comma, quote, or line break; quotes
/// doubled), terminal-escaped.
pub fn csv_field(s: &str) -> String {
    let s = escape(s);
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.into_owned()
    }
}

/// `from,to,port,protocol,allowed`.
pub fn csv(net: &Network, matrix: &Matrix) -> String {
    let eps = endpoints(net, matrix);
    let names: Vec<String> = eps
        .iter()
        .map(|e| csv_field(&net.endpoint_name(e)))
        .collect();
    let mut out = String::from("from,to,port,protocol,allowed\n");
    for (pi, i, j, ok) in pairs(net, matrix) {
        let q = matrix.ports[pi];
        let _ = writeln!(
            out,
            "{},{},{},{},{}",
            names[i], names[j], q.port, q.protocol, ok
        );
    }
    out
}

/// A DOT quoted string (terminal-escaped).
pub fn dot_quote(s: &str) -> String {
    let s = escape(s);
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A directed graph: one node per endpoint, one edge per allowed pair labelled with its ports.
pub fn dot(net: &Network, matrix: &Matrix) -> String {
    let eps = endpoints(net, matrix);
    let names: Vec<String> = eps
        .iter()
        .map(|e| dot_quote(&net.endpoint_name(e)))
        .collect();
    let mut out = String::from("digraph netpol {\n  rankdir=LR;\n  node [shape=box];\n");
    for n in &names {
        let _ = writeln!(out, "  {n};");
    }
    let mut edges: std::collections::BTreeMap<(usize, usize), Vec<String>> = Default::default();
    for (pi, i, j, ok) in pairs(net, matrix) {
        if ok {
            edges
                .entry((i, j))
                .or_default()
                .push(matrix.ports[pi].to_string());
        }
    }
    for ((i, j), ports) in edges {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}];",
            names[i],
            names[j],
            dot_quote(&ports.join(","))
        );
    }
    out.push_str("}\n");
    out
}

/// A grid per port: rows are sources, columns destinations (numbered as the rows),
/// `✓` allowed, `·` denied.
pub fn text(net: &Network, matrix: &Matrix) -> String {
    let eps = endpoints(net, matrix);
    let names: Vec<String> = eps
        .iter()
        .map(|e| escape(&net.endpoint_name(e)).into_owned())
        .collect();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let num_w = eps.len().to_string().len();
    let mut out = String::new();
    for (pi, q) in matrix.ports.iter().enumerate() {
        let mut allowed = 0;
        let mut total = 0;
        let mut grid = String::new();
        let _ = write!(grid, "{:>num_w$}  {:width$}  ", "", "from \\ to");
        for j in 0..eps.len() {
            let _ = write!(grid, " {:>num_w$}", j + 1);
        }
        grid.push('\n');
        for (i, a) in eps.iter().enumerate() {
            let _ = write!(grid, "{:>num_w$}  {:width$}  ", i + 1, names[i]);
            for b in &eps {
                let cell = match matrix.allowed(net, pi, a, b) {
                    Some(true) => {
                        allowed += 1;
                        total += 1;
                        "✓"
                    }
                    Some(false) => {
                        total += 1;
                        "·"
                    }
                    None => " ",
                };
                let _ = write!(grid, " {:>num_w$}", cell);
            }
            grid.push('\n');
        }
        let _ = writeln!(
            out,
            "{q}: {allowed} of {total} ordered pairs allowed (✓ allowed, · denied)"
        );
        out.push_str(&grid);
        out.push('\n');
    }
    out
}

/// The summary as text: totals, namespace pairs, classes.
pub fn summary_text(s: &Summary) -> String {
    let mut out = String::new();
    for p in &s.ports {
        let _ = writeln!(
            out,
            "{}/{}: {} endpoints in {} classes; {} ordered pairs: {} allowed, {} denied",
            p.port, p.protocol, s.endpoints, s.classes, p.pairs, p.allowed, p.denied
        );
        let _ = writeln!(out, "\nnamespace pairs (from -> to): allowed, denied");
        let fw = p.namespaces.iter().map(|n| n.from.len()).max().unwrap_or(0);
        for n in &p.namespaces {
            let _ = writeln!(
                out,
                "  {:fw$} -> {}: {} allowed, {} denied",
                escape(&n.from),
                escape(&n.to),
                n.allowed,
                n.denied
            );
        }
        let _ = writeln!(
            out,
            "\nclasses (endpoints; as destination: allowed/denied; as source: allowed/denied; labels)"
        );
        for c in &p.classes {
            let _ = writeln!(
                out,
                "  #{} {} ({} endpoints, e.g. {}): in {}/{}, out {}/{}; {}",
                c.class,
                escape(&c.namespace),
                c.endpoints,
                escape(&c.example),
                c.in_allowed,
                c.in_denied,
                c.out_allowed,
                c.out_denied,
                escape(&c.labels)
            );
        }
        out.push('\n');
    }
    out
}

/// The summary as JSON.
pub fn summary_json(s: &Summary) -> String {
    json_safe(serde_json::to_string_pretty(s).unwrap_or_default()) + "\n"
}

/// The summary as CSV: one line per namespace pair and port.
pub fn summary_csv(s: &Summary) -> String {
    let mut out = String::from("from_namespace,to_namespace,port,protocol,allowed,denied\n");
    for p in &s.ports {
        for n in &p.namespaces {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                csv_field(&n.from),
                csv_field(&n.to),
                p.port,
                p.protocol,
                n.allowed,
                n.denied
            );
        }
    }
    out
}

fn side_text(net: &Network, v: &SideVerdict, who: &str, dir: &str) -> String {
    let rule = |r: &crate::engine::RuleRef| {
        let p = &net.policies()[r.policy];
        let rule = p.side(r.direction).and_then(|s| s.rules.get(r.rule));
        format!(
            "{} {} ({})",
            escape(&p.display()),
            escape(rule.map(|r| r.label.as_str()).unwrap_or("?")),
            escape(rule.map(|r| r.location.as_str()).unwrap_or(&p.location))
        )
    };
    let verdict = if v.allowed { "allowed" } else { "denied" };
    let mut out = format!("  {dir} at {}: {verdict}", escape(who));
    match v.reason {
        Reason::External => out.push_str(": an external address, no policy of the input applies"),
        Reason::NotIsolated => {
            let _ = write!(out, ": no policy isolates it for {dir} (open by default)");
        }
        Reason::TierRule => {
            let _ = write!(
                out,
                ": {} rule {}",
                match net.policies()[v.rules[0].policy].tier {
                    crate::model::Tier::Admin => "Admin tier",
                    _ => "Baseline tier",
                },
                rule(&v.rules[0])
            );
        }
        Reason::AllowedByRules => {
            out.push_str(", admitted by");
            for r in &v.rules {
                let _ = write!(out, "\n    {}", rule(r));
            }
        }
        Reason::NoRuleAllows => {
            let _ = write!(out, ": isolated for {dir} by");
            for &p in &v.policies {
                let pol = &net.policies()[p];
                let _ = write!(
                    out,
                    "\n    {} ({})",
                    escape(&pol.display()),
                    escape(&pol.location)
                );
            }
            out.push_str("\n    and no rule of theirs admits this connection");
        }
        Reason::DeniedByRule => {
            out.push_str(", denied by");
            for r in &v.rules {
                let _ = write!(out, "\n    {}", rule(r));
            }
        }
    }
    for r in &v.passed {
        let _ = write!(out, "\n    (passed on by {})", rule(r));
    }
    out.push('\n');
    out
}

/// The answer of `can-reach` with the policies and rules that decided each side.
pub fn verdict_text(
    net: &Network,
    from: &Endpoint,
    to: &Endpoint,
    q: PortProto,
    v: &Verdict,
) -> String {
    let (f, t) = (net.endpoint_name(from), net.endpoint_name(to));
    let mut out = format!(
        "{} -> {} on {q}: {}\n",
        escape(&f),
        escape(&t),
        if v.allowed { "ALLOWED" } else { "DENIED" }
    );
    out.push_str(&side_text(net, &v.egress, &f, "egress"));
    out.push_str(&side_text(net, &v.ingress, &t, "ingress"));
    out
}

/// The answer of `can-reach` as JSON: the verdict plus the names of the deciding policies
/// and rules.
pub fn verdict_json(
    net: &Network,
    from: &Endpoint,
    to: &Endpoint,
    q: PortProto,
    v: &Verdict,
) -> String {
    let side = |s: &SideVerdict| {
        let rules: Vec<serde_json::Value> = s
            .rules
            .iter()
            .chain(s.passed.iter())
            .map(|r| {
                let p = &net.policies()[r.policy];
                let rule = p.side(r.direction).and_then(|x| x.rules.get(r.rule));
                serde_json::json!({
                    "policy": p.display(),
                    "rule": rule.map(|r| r.label.clone()),
                    "action": rule.map(|r| r.action),
                    "location": rule.map(|r| r.location.clone()),
                })
            })
            .collect();
        let policies: Vec<String> = s
            .policies
            .iter()
            .map(|&p| net.policies()[p].display())
            .collect();
        serde_json::json!({
            "allowed": s.allowed,
            "reason": s.reason,
            "rules": rules,
            "isolating_policies": policies,
        })
    };
    let v = serde_json::json!({
        "from": net.endpoint_name(from),
        "to": net.endpoint_name(to),
        "port": q.port,
        "protocol": q.protocol,
        "allowed": v.allowed,
        "egress": side(&v.egress),
        "ingress": side(&v.ingress),
    });
    json_safe(serde_json::to_string_pretty(&v).unwrap_or_default()) + "\n"
}
