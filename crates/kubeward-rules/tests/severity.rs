//! The severity scale (`docs/severity.md`) is the catalogue's: every rule is in the table with
//! its domain and base severity, and the findings of its `fire.yaml` fixture use only the base
//! severity or those the table lists as varying.

use kubeward_model::load_str;
use kubeward_rules::{engine, finding::Severity, registry, Settings};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

struct Row {
    domain: String,
    base: Severity,
    varies: BTreeSet<Severity>,
}

fn table() -> BTreeMap<String, Row> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let text = std::fs::read_to_string(root.join("docs/severity.md")).expect("docs/severity.md");
    let section = text
        .split("## Every rule")
        .nth(1)
        .expect("an '## Every rule' section");
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 4, "row {line:?}");
        let sev =
            |s: &str| Severity::parse(s).unwrap_or_else(|| panic!("severity {s:?} in {line:?}"));
        let varies = cells[3]
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(sev)
            .collect();
        let prev = rows.insert(
            cells[0].trim_matches('`').to_string(),
            Row {
                domain: cells[1].to_string(),
                base: sev(cells[2]),
                varies,
            },
        );
        assert!(prev.is_none(), "rule listed twice: {line:?}");
    }
    rows
}

#[test]
fn every_rule_is_on_the_scale_with_its_domain_and_base_severity() {
    let rows = table();
    let mut problems = Vec::new();
    let mut names = BTreeSet::new();
    for rule in registry::all() {
        let m = rule.meta();
        names.insert(m.name.to_string());
        match rows.get(m.name) {
            None => problems.push(format!("{} is missing from docs/severity.md", m.name)),
            Some(r) => {
                if r.domain != m.domain.as_str() {
                    problems.push(format!(
                        "{}: domain {} in the docs, {} in code",
                        m.name, r.domain, m.domain
                    ));
                }
                if r.base != m.severity {
                    problems.push(format!(
                        "{}: base {} in the docs, {} in code",
                        m.name, r.base, m.severity
                    ));
                }
            }
        }
    }
    for name in rows.keys().filter(|n| !names.contains(*n)) {
        problems.push(format!(
            "{name} is in docs/severity.md but not in the catalogue"
        ));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn fixture_findings_use_only_the_documented_severities() {
    let rows = table();
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut problems = Vec::new();
    let mut seen_varying: BTreeMap<String, BTreeSet<Severity>> = BTreeMap::new();
    for rule in registry::all() {
        let m = rule.meta();
        let Some(row) = rows.get(m.name) else {
            continue;
        };
        let path = fixtures.join(m.name).join("fire.yaml");
        let text = std::fs::read_to_string(&path).expect("fire.yaml");
        let snap = load_str(&path.display().to_string(), &text);
        let facts = kubeward_rules::testing::fixture_image_facts();
        let findings =
            engine::analyze_with_facts(&snap, &Settings::default(), Some(&facts), &|x| {
                x.name == m.name
            });
        for f in findings {
            if f.severity != row.base && !row.varies.contains(&f.severity) {
                problems.push(format!(
                    "{}: a finding is {} ({}), not in the documented {} / {:?}",
                    m.name, f.severity, f.message, row.base, row.varies
                ));
            }
            if f.severity != row.base {
                seen_varying
                    .entry(m.name.to_string())
                    .or_default()
                    .insert(f.severity);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // The calibrations the scale promises are exercised by the fixtures.
    for (rule, sev) in [
        ("host-namespaces", Severity::Critical),
        ("capabilities-not-dropped", Severity::High),
        ("restricted-volume-types", Severity::High),
    ] {
        assert!(
            seen_varying.get(rule).is_some_and(|s| s.contains(&sev)),
            "{rule}: no fixture finding is {sev}"
        );
    }
}
