//! Snapshots of what every rule reports on its `tests/fixtures/<rule>/fire.yaml`: severity,
//! object, field path, position and message of each finding, with its remediation,
//! fingerprint, Pod Security details, related objects and facets. A change of wording,
//! location or fingerprint (which would orphan users' baselines) shows as a diff of
//! `tests/snapshots/snapshots__<rule>.snap` in review.
//!
//! After an intended change, review and accept the new output:
//! `cargo insta review` (with cargo-insta installed), or
//! `INSTA_UPDATE=always cargo test -p kubeward-rules --test snapshots` and read `git diff`.
//! On CI (`CI=true`) a missing or different snapshot fails and nothing is written.

use kubeward_model::load_str;
use kubeward_rules::finding::Finding;
use kubeward_rules::{engine, registry, Settings};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Control characters written as escapes, so that every finding stays on its line.
fn one_line(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The report of one rule on one fixture: its load errors (only `duplicate-field` expects
/// some), then one block per finding in the engine's order.
fn render(file: &str, text: &str, rule: &str) -> String {
    // Sources are named relative to the fixture folder: nothing machine-specific is stored.
    let snap = load_str(file, text);
    let mut out = String::new();
    for e in &snap.errors {
        let _ = writeln!(
            out,
            "load error {}:{}:{}: {}",
            e.file,
            e.line,
            e.column,
            one_line(&e.message)
        );
    }
    let facts = kubeward_rules::testing::fixture_image_facts();
    let findings = engine::analyze_with_facts(&snap, &Settings::default(), Some(&facts), &|m| {
        m.name == rule
    });
    if findings.is_empty() {
        out.push_str("no findings\n");
    }
    for f in &findings {
        finding(&mut out, file, f);
    }
    out
}

fn finding(out: &mut String, file: &str, f: &Finding) {
    let at = if f.location.file == file {
        String::new()
    } else {
        format!("{}:", f.location.file)
    };
    let _ = writeln!(
        out,
        "{} {} {} {} @{}{}:{}: {}",
        f.severity,
        f.rule,
        f.object.display(),
        if f.path.is_empty() { "." } else { &f.path },
        at,
        f.location.line,
        f.location.column,
        one_line(&f.message)
    );
    let _ = writeln!(out, "    fix: {}", one_line(&f.remediation));
    let _ = writeln!(out, "    fingerprint: {}", f.fingerprint);
    if let Some(ps) = &f.pod_security {
        let _ = writeln!(
            out,
            "    pod-security: check {} level {} policy {} version {}{}",
            ps.check,
            ps.level,
            ps.policy,
            ps.version,
            if ps.modes.is_empty() {
                String::new()
            } else {
                format!(" modes {}", ps.modes.join(","))
            }
        );
    }
    if !f.related.is_empty() {
        let names: Vec<String> = f.related.iter().map(|r| r.display()).collect();
        let total = if f.related_total > 0 {
            format!(" (of {})", f.related_total)
        } else {
            String::new()
        };
        let _ = writeln!(out, "    related{total}: {}", names.join(", "));
    }
    for x in &f.facets {
        let _ = writeln!(
            out,
            "    facet: {} {} {} ({}): {}",
            x.severity,
            x.rule,
            x.path,
            x.fingerprint,
            one_line(&x.message)
        );
    }
}

/// Every rule of the catalogue (each has fixtures).
fn rules() -> Vec<&'static str> {
    registry::all().into_iter().map(|r| r.meta().name).collect()
}

#[test]
fn every_rule_reports_its_fire_fixture_as_snapshotted() {
    let fixtures = crate_dir().join("tests/fixtures");
    let mut failed = Vec::new();
    for name in rules() {
        let path = fixtures.join(name).join("fire.yaml");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                failed.push(format!("{name}: cannot read {}: {e}", path.display()));
                continue;
            }
        };
        let file = format!("{name}/fire.yaml");
        let report = render(&file, &text, name);
        // Each rule is asserted on its own, so one run shows (and, when updating, writes)
        // every changed snapshot rather than stopping at the first.
        let outcome = std::panic::catch_unwind(|| {
            insta::with_settings!({
                description => format!("kubeward-rules/tests/fixtures/{file}"),
                omit_expression => true,
                prepend_module_to_snapshot => true,
            }, {
                insta::assert_snapshot!(name, report);
            });
        });
        if outcome.is_err() {
            failed.push(format!("{name}: snapshot differs or is missing"));
        }
    }
    assert!(
        failed.is_empty(),
        "{} rule snapshots failed (review with `cargo insta review`, or \
         `INSTA_UPDATE=always cargo test -p kubeward-rules --test snapshots` and `git diff`):\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// A snapshot left behind by a renamed or removed rule would never be checked again.
#[test]
fn every_snapshot_belongs_to_a_rule() {
    let dir = crate_dir().join("tests/snapshots");
    let names: BTreeSet<String> = rules()
        .into_iter()
        .map(|n| format!("snapshots__{n}.snap"))
        .collect();
    let mut stray = Vec::new();
    // No folder: no stray snapshot (the missing ones fail the test above).
    let entries = std::fs::read_dir(&dir).into_iter().flatten();
    for entry in entries {
        let entry = entry.expect("tests/snapshots entry");
        let file = entry.file_name().to_string_lossy().into_owned();
        if Path::new(&file).extension().is_some_and(|e| e == "snap") && !names.contains(&file) {
            stray.push(file);
        }
    }
    assert!(
        stray.is_empty(),
        "snapshots of no rule in the catalogue (delete them): {stray:?}"
    );
}

#[test]
fn control_characters_stay_on_their_line() {
    assert_eq!(one_line("a\nb\t\u{1b}[31m"), "a\\nb\\t\\u{1b}[31m");
}
