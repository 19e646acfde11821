//! Class 4a and the loader classes that held. A mapping of 10^6 keys did not load in two
//! minutes (a linear search for a repeated key at every insert); it must load, with its keys.
//! Held, kept so: alias bombs, deep nesting, malformed YAML, binary files and files over the
//! size limit are errors with `file:line:col` for that input only; the other files are scanned.
//! Timeouts here are a safety net against a hang, not a speed requirement.

use crate::common::{kubeward, texts, write};
use serde_json::Value;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

/// A good file next to the hostile ones: it must still be scanned (one finding at least).
const GOOD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: registry.example/web:1.0\n    securityContext: {privileged: true}\n";

/// `scan DIR --format json` (with extra arguments): exit code, report.
fn scan_dir(dir: &Path, extra: &[&str]) -> (Option<i32>, Value) {
    let out = kubeward()
        .arg("scan")
        .arg(dir)
        .args(["--format", "json"])
        .args(extra)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("JSON report ({e}): {:?}", texts(&out)));
    (out.status.code(), report)
}

/// The errors of a report as `file-name:line:col: message`.
fn errors(report: &Value) -> Vec<String> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            let file = e["file"].as_str().expect("file");
            let name = Path::new(file).file_name().expect("name").to_string_lossy();
            format!(
                "{name}:{}:{}: {}",
                e["line"],
                e["column"],
                e["message"].as_str().expect("message")
            )
        })
        .collect()
}

/// The good file was scanned: its privileged container is reported.
fn good_file_scanned(report: &Value) {
    let found = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .any(|f| f["rule"] == "privileged-container" && f["object"]["name"] == "good");
    assert!(found, "the good file was not scanned: {report:#}");
}

#[test]
fn a_mapping_of_a_million_keys_loads_with_every_key() {
    const N: usize = 1_000_000;
    let mut text = String::with_capacity(16 * N);
    text.push_str(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide, namespace: shop}\ndata:\n",
    );
    for i in 0..N {
        let _ = writeln!(text, "  k{i}: v");
    }
    // one repeat at the end: found through the key index, not by a scan
    text.push_str("  k123456: last\n");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(kubeward_model::load_str("wide.yaml", &text));
    });
    let snap = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("a mapping of 10^6 keys must load (safety net: 120 s)");
    assert_eq!(snap.objects.len(), 1);
    let data = snap.objects[0].root.get("data").expect("data");
    assert_eq!(data.entries().len(), N);
    assert_eq!(data.str_at("k123456"), Some("last"));
    assert_eq!(data.entries()[123_456].key, "k123456", "source order kept");
    assert_eq!(
        snap.errors.len(),
        1,
        "{:?}",
        &snap.errors[..snap.errors.len().min(3)]
    );
    assert_eq!(snap.errors[0].line as usize, N + 5);
    assert!(snap.errors[0].message.contains("(first at 123461:3)"));
    assert_eq!(snap.duplicates.len(), 1);
}

#[test]
fn an_alias_bomb_costs_its_document_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bomb = String::from("a: &a [x,x,x,x,x,x,x,x,x]\n");
    let mut prev = 'a';
    for n in 'b'..='j' {
        let _ = writeln!(
            bomb,
            "{n}: &{n} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]"
        );
        prev = n;
    }
    write(dir.path(), "bomb.yaml", bomb);
    write(dir.path(), "good.yaml", GOOD);
    let (code, report) = scan_dir(dir.path(), &[]);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("bomb.yaml:"), "{errors:?}");
    assert!(errors[0].contains("alias bomb"), "{errors:?}");
    good_file_scanned(&report);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let depth = 100_000;
    write(
        dir.path(),
        "deep.yaml",
        format!("a: 1\n---\nb: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
    );
    write(
        dir.path(),
        "deep-block.yaml",
        (0..200)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>(),
    );
    write(dir.path(), "good.yaml", GOOD);
    let (code, report) = scan_dir(dir.path(), &[]);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].starts_with("deep-block.yaml:51:"), "{errors:?}");
    assert!(errors[1].starts_with("deep.yaml:3:"), "{errors:?}");
    // our limit for block nesting; the parser's own recursion limit stops the flow brackets
    assert!(
        errors[0].contains("nesting deeper than 50 levels"),
        "{errors:?}"
    );
    assert!(errors[1].contains("recursion limit exceeded"), "{errors:?}");
    good_file_scanned(&report);
}

#[test]
fn malformed_yaml_is_reported_at_its_position_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: {a: [1, 2}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: after-the-break}\n",
    );
    write(dir.path(), "good.yaml", GOOD);
    let (code, report) = scan_dir(dir.path(), &[]);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].starts_with("broken.yaml:5:"), "{errors:?}");
    assert!(errors[0].contains("invalid YAML"), "{errors:?}");
    // the document after the broken one and the other file are loaded
    assert_eq!(report["summary"]["objects"], 2, "{report:#}");
    good_file_scanned(&report);
}

#[test]
fn a_binary_file_is_reported_at_its_first_bad_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "image.yaml",
        b"apiVersion: v1\nkind: \x89PNG\x00\x01\x02",
    );
    write(dir.path(), "good.yaml", GOOD);
    let (code, report) = scan_dir(dir.path(), &[]);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("image.yaml:2:7: binary file"),
        "{errors:?}"
    );
    good_file_scanned(&report);
}

#[test]
fn files_and_standard_input_over_the_size_limit_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = format!("# {}\n", "x".repeat(1021)).repeat(1025); // just over 1 MiB
    write(dir.path(), "big.yaml", &big);
    write(dir.path(), "good.yaml", GOOD);
    let (code, report) = scan_dir(dir.path(), &["--max-file-size", "1"]);
    assert_eq!(code, Some(2));
    let errors = errors(&report);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("big.yaml:1:1: input is larger than the limit of 1 MiB"),
        "{errors:?}"
    );
    good_file_scanned(&report);

    let out = kubeward()
        .args(["scan", "-", "--format", "json", "--max-file-size", "1"])
        .write_stdin(big)
        .timeout(Duration::from_secs(60))
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let report: Value = serde_json::from_slice(&out.stdout).expect("report");
    let errors = self::errors(&report);
    assert!(
        errors[0].starts_with("-:1:1: input is larger than the limit of 1 MiB"),
        "{errors:?}"
    );
}

#[test]
fn findings_in_a_huge_mapping_are_located_in_linear_time() {
    // 2·10^5 credential-like values in one ConfigMap: one finding each, located at its key.
    // Locating walked the mapping for every finding (quadratic). In-process, with a safety net.
    const N: usize = 200_000;
    let mut text = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: wide, namespace: shop}\ndata:\n",
    );
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..N {
        let mut value = String::with_capacity(20);
        for _ in 0..20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            value.push(char::from(
                b"abcdefghijkLMNOPQRSTU0123456789"[(x % 31) as usize],
            ));
        }
        let _ = writeln!(text, "  db_password_{i}: \"{value}\"");
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let snap = kubeward_model::load_str("wide.yaml", &text);
        let findings =
            kubeward_rules::engine::analyze(&snap, &kubeward_rules::Settings::default(), &|m| {
                m.name == "secret-in-configmap"
            });
        let _ = tx.send(findings);
    });
    let findings = rx
        .recv_timeout(Duration::from_secs(120))
        .expect("2·10^5 findings in one mapping must be located (safety net: 120 s)");
    // (a few random values read as placeholders and are not reported)
    assert!(findings.len() > N - 100, "{}", findings.len());
    for f in findings.iter().step_by(997) {
        let i: usize = f
            .path
            .rsplit('_')
            .next()
            .expect("key")
            .trim_end_matches("\"]")
            .parse()
            .expect("index");
        assert_eq!(
            (f.location.line as usize, f.location.column),
            (5 + i, 3),
            "{}",
            f.path
        );
    }
}
