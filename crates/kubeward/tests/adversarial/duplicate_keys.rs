//! Class 9: duplicate keys. A second `securityContext:` hid `privileged: true` with no word, in
//! YAML and JSON alike, and `failOn: high` then `failOn: never` in `kubeward.yaml` silently
//! won. A repeated key is now an input error at the repeat (exit 2) naming the first; the
//! object is analysed with the last value (what the API server keeps), and rule
//! `duplicate-field` says what the repeat hides. Keys a `<<` merge brings in are not repeats.

use crate::common::{kubeward, texts, write};
use serde_json::Value;
use std::path::Path;

/// `scan FILE --format json`: the exit code and the report.
fn scan_json(file: &Path) -> (Option<i32>, Value) {
    let out = kubeward()
        .arg("scan")
        .arg(file)
        .args(["--format", "json"])
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}): {:?}", texts(&out)));
    (out.status.code(), report)
}

fn errors(report: &Value) -> Vec<(u64, u64, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().expect("line"),
                e["column"].as_u64().expect("column"),
                e["message"].as_str().expect("message").to_string(),
            )
        })
        .collect()
}

fn findings<'a>(report: &'a Value, rule: &str) -> Vec<&'a Value> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// A Pod whose container writes `securityContext` twice (lines 8 and 10, column 5).
fn pod(first: bool, last: bool) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: web, namespace: shop}}\nspec:\n  containers:\n  - name: web\n    image: registry.example/web:1.0\n    securityContext:\n      privileged: {first}\n    securityContext:\n      privileged: {last}\n"
    )
}

#[test]
fn a_repeated_security_context_is_an_error_at_the_repeat_naming_the_first() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "pod.yaml", pod(true, false));
    let (code, report) = scan_json(&file);
    assert_eq!(code, Some(2), "a repeated key is an input error");
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1), (10, 5), "at the second key");
    assert!(
        errors[0]
            .2
            .contains("duplicate key \"securityContext\" (first at 8:5)"),
        "{errors:?}"
    );
    // analysed with the last value (privileged: false), and the hidden first is reported
    assert!(findings(&report, "privileged-container").is_empty());
    let dup = findings(&report, "duplicate-field");
    assert_eq!(dup.len(), 1, "{report:#}");
    assert_eq!(dup[0]["location"]["line"], 10);
    assert_eq!(dup[0]["location"]["column"], 5);
    assert_eq!(dup[0]["severity"], "high");
    assert_eq!(dup[0]["path"], "spec.containers[0].securityContext");
    assert!(
        dup[0]["message"].as_str().expect("message").contains("8:5"),
        "{}",
        dup[0]
    );

    // the text report names the file and both positions
    let out = kubeward()
        .arg("scan")
        .arg(&file)
        .args(["--color", "never"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = texts(&out);
    let all = format!("{stdout}{stderr}");
    assert!(all.contains("pod.yaml:10:5"), "{all}");
    assert!(all.contains("first at 8:5"), "{all}");
}

#[test]
fn the_last_value_is_the_one_analysed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "pod.yaml", pod(false, true));
    let (code, report) = scan_json(&file);
    assert_eq!(code, Some(2));
    let privileged = findings(&report, "privileged-container");
    assert_eq!(privileged.len(), 1, "{report:#}");
    assert_eq!(privileged[0]["location"]["line"], 11, "{}", privileged[0]);
    assert_eq!(findings(&report, "duplicate-field").len(), 1);
}

#[test]
fn json_repeats_are_caught_at_any_depth() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = concat!(
        "{\"apiVersion\": \"apps/v1\", \"kind\": \"Deployment\",\n",
        " \"metadata\": {\"name\": \"web\", \"namespace\": \"shop\"},\n",
        " \"spec\": {\"selector\": {\"matchLabels\": {\"app\": \"web\"}},\n",
        "  \"template\": {\"metadata\": {\"labels\": {\"app\": \"web\"}},\n",
        "   \"spec\": {\"containers\": [{\"name\": \"web\", \"image\": \"registry.example/web:1.0\",\n",
        "     \"securityContext\": {\"privileged\": true},\n",
        "     \"securityContext\": {\"privileged\": false}}]}}}}\n",
    );
    let file = write(dir.path(), "deploy.json", json);
    let (code, report) = scan_json(&file);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!((errors[0].0, errors[0].1), (7, 6));
    assert!(errors[0].2.contains("(first at 6:6)"), "{errors:?}");
    assert!(findings(&report, "privileged-container").is_empty());
    let dup = findings(&report, "duplicate-field");
    assert_eq!(dup.len(), 1);
    assert_eq!(
        dup[0]["path"],
        "spec.template.spec.containers[0].securityContext"
    );
}

#[test]
fn keys_from_a_merge_are_overrides_not_repeats() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\nx-defaults: &d {mode: safe, level: info}\ndata:\n  <<: *d\n  mode: debug\n";
    let file = write(dir.path(), "cm.yaml", yaml);
    let (code, report) = scan_json(&file);
    assert!(errors(&report).is_empty(), "{report:#}");
    assert!(findings(&report, "duplicate-field").is_empty());
    assert_ne!(code, Some(2));
}

#[test]
fn a_repeated_key_in_kubeward_yaml_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "kubeward.yaml", "failOn: high\nfailOn: never\n");
    write(
        dir.path(),
        "pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: web, image: web:1.0}]\n",
    );
    let out = kubeward()
        .current_dir(dir.path())
        .args(["scan", "pod.yaml"])
        .output()
        .expect("run");
    let (_, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("kubeward.yaml:2:1: duplicate key \"failOn\" (first at 1:1)"),
        "{stderr}"
    );
}

#[test]
fn repeats_of_a_huge_mapping_are_reported_in_linear_time() {
    // 2·10^5 keys, each written twice: as many errors and findings, none found by a walk over the
    // mapping (a located finding per repeat was quadratic). In-process, with a safety net.
    const N: usize = 200_000;
    let mut text = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide}\ndata:\n");
    for round in ["a", "b"] {
        for i in 0..N {
            text.push_str(&format!("  k{i}: {round}\n"));
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let snap = kubeward_model::load_str("wide.yaml", &text);
        let findings =
            kubeward_rules::engine::analyze(&snap, &kubeward_rules::Settings::default(), &|m| {
                m.name == "duplicate-field"
            });
        let _ = tx.send((snap.errors.len(), snap.duplicates.len(), findings));
    });
    let (errors, duplicates, findings) = rx
        .recv_timeout(std::time::Duration::from_secs(120))
        .expect("2·10^5 repeats must be reported (safety net: 120 s)");
    assert_eq!((errors, duplicates, findings.len()), (N, N, N));
    let last = &findings[N - 1];
    assert_eq!(last.path, format!("data.k{}", N - 1));
    assert_eq!(last.location.line as usize, 4 + 2 * N);
    assert!(
        last.message.contains(&format!("at {}:3", 4 + N)),
        "{}",
        last.message
    );
}

/// Masking the values hidden by 20,000 repeats of one key, in the text report (every line a
/// finding with its source snippet): the hidden ranges are merged once per object, not
/// recomputed for each line (8,000 repeats took 528 MB and 100,000 were killed at 23.7 GB
/// before). Runs under a 1 GiB address-space cap and a 120 s deadline.
#[test]
fn masking_many_repeats_stays_bounded() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let mut text =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: x}\ndata:\n");
    for i in 0..20_000 {
        let _ = writeln!(text, "  DB_PASSWORD: hunter{i:05}x");
    }
    let file = write(dir.path(), "repeats.yaml", &text);
    let bin = assert_cmd::cargo::cargo_bin("kubeward");
    let out = assert_cmd::Command::new("sh")
        .arg("-c")
        .arg("ulimit -v 1048576 && exec \"$0\" \"$@\"")
        .arg(bin)
        .args(["scan", "--color", "never", "--select", "all"])
        .arg(&file)
        .env("CLICOLOR", "0")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (stdout, stderr) = texts(&out);
    assert!(
        stdout.contains("duplicate-field"),
        "{}",
        &stdout[..stdout.len().min(2000)]
    );
    assert!(!stdout.contains("hunter") && !stderr.contains("hunter"));
}
