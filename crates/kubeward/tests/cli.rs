//! End-to-end tests of `kubeward scan`: inputs, bad input, exit codes, filters, the JSON contract.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

const PRIVILEGED_POD: &str = "apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: demo
spec:
  containers:
    - name: web
      image: nginx:1.27
      securityContext:
        privileged: yes
";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write fixture");
    p
}

fn json_scan(args: &[&str], dir: &Path) -> (i32, Value) {
    let out = kubeward()
        .current_dir(dir)
        .arg("scan")
        .args(["--format", "json"])
        .args(args)
        .output()
        .expect("run");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().expect("exit code"), v)
}

fn rules_of(v: &Value) -> Vec<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn yaml11_privileged_yes_is_found_with_its_line_and_json_contract() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let (code, v) = json_scan(
        &["--select", "privileged-container", "pod.yaml"],
        dir.path(),
    );
    assert_eq!(code, 1);
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "privileged-container");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["object"]["apiVersion"], "v1");
    assert_eq!(f["object"]["kind"], "Pod");
    assert_eq!(f["object"]["namespace"], "demo");
    assert_eq!(f["object"]["name"], "bad");
    assert_eq!(f["location"]["file"], "pod.yaml");
    assert_eq!(f["location"]["line"], 11);
    assert_eq!(f["path"], "spec.containers[0].securityContext.privileged");
    assert!(
        f["message"].as_str().unwrap().starts_with(
            "privileged (container \"web\" must not set securityContext.privileged=true)"
        ),
        "{f}"
    );
    assert!(!f["remediation"].as_str().unwrap().is_empty());
    assert_eq!(f["pod_security"]["check"], "privileged");
    assert_eq!(f["pod_security"]["level"], "baseline");
    assert_eq!(v["summary"]["files"], 1);
    assert_eq!(v["summary"]["objects"], 1);
    assert_eq!(v["summary"]["findings"], 1);
    assert_eq!(v["summary"]["suppressed"], 0);
    assert_eq!(v["errors"].as_array().unwrap().len(), 0);
}

#[test]
fn bad_inputs_give_positions_and_exit_2_while_good_files_are_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a-good.yaml", PRIVILEGED_POD);
    write(
        d,
        "b-malformed.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n   bad: [\n",
    );
    write(d, "c-wrong-type.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: wt\nspec:\n  containers:\n    - name: c\n      image: x\n      securityContext:\n        privileged: \"maybe\"\n");
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let mut prev = "a".to_string();
    for n in ["b", "c", "d", "e", "f", "g", "h", "i"] {
        bomb.push_str(&format!(
            "{n}: &{n} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        ));
        prev = n.to_string();
    }
    write(d, "d-bomb.yaml", &bomb);
    write(
        d,
        "e-deep.yaml",
        &format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: deep}}\ndata: {}{}\n",
            "[".repeat(60),
            "]".repeat(60)
        ),
    );
    std::fs::write(
        d.join("f-binary.yaml"),
        b"\x7fELF\x02\x01\x01\x00\x00\x00binary",
    )
    .unwrap();
    let start = std::time::Instant::now();
    let (code, v) = json_scan(&["."], d);
    let _ = start; // timing is measured in benches, not asserted here
    assert_eq!(code, 2, "{v:#}");
    assert!(
        rules_of(&v).contains(&"privileged-container".to_string()),
        "the good file was not scanned: {v:#}"
    );
    let errors = v["errors"].as_array().unwrap();
    let find = |file: &str| {
        errors
            .iter()
            .find(|e| e["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("no error for {file}: {v:#}"))
    };
    let e = find("b-malformed.yaml");
    assert_eq!(
        (e["line"].as_u64(), e["column"].as_u64()),
        (Some(5), Some(7)),
        "{e}"
    );
    let e = find("c-wrong-type.yaml");
    assert_eq!(e["line"], 10);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("expected a boolean"),
        "{e}"
    );
    let e = find("d-bomb.yaml");
    assert!(e["message"].as_str().unwrap().contains("alias"), "{e}");
    let e = find("e-deep.yaml");
    assert!(e["message"].as_str().unwrap().contains("nesting"), "{e}");
    assert_eq!(e["line"], 4);
    let e = find("f-binary.yaml");
    assert!(e["message"].as_str().unwrap().contains("binary"), "{e}");
    // the wrong-type object is still analysed as far as it goes
    assert!(
        v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["object"]["name"] == "wt"),
        "{v:#}"
    );
}

#[test]
fn a_file_over_the_size_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("huge.yaml");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(1024 * 1024 * 1024).unwrap(); // sparse: 1 GiB
    write(dir.path(), "pod.yaml", PRIVILEGED_POD);
    let (code, v) = json_scan(&["huge.yaml", "pod.yaml"], dir.path());
    assert_eq!(code, 2);
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("larger than the limit"),
        "{v:#}"
    );
    assert_eq!(v["summary"]["objects"], 1);
}

#[test]
fn stdin_lists_helm_output_and_exit_codes() {
    let helm = format!("---\n# Source: chart/templates/pod.yaml\n{PRIVILEGED_POD}---\n# Source: chart/templates/empty.yaml\n---\nkind: List\napiVersion: v1\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {{name: sa, namespace: demo}}\n");
    let out = kubeward()
        .args(["scan", "-", "--format", "json", "--select", "pod-security"])
        .write_stdin(helm)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        v["summary"]["objects"], 2,
        "List items count as objects: {v:#}"
    );
    assert_eq!(v["findings"][0]["location"]["file"], "-");
    // --fail-on above every finding: exit 0 (privileged is critical, so it is left out)
    let out = kubeward()
        .args([
            "scan",
            "-",
            "--fail-on",
            "critical",
            "--select",
            "pod-security",
            "--ignore",
            "privileged-container",
        ])
        .write_stdin(PRIVILEGED_POD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // usage error: exit 2
    let out = kubeward()
        .args(["scan", "-", "--select", "no-such-rule"])
        .write_stdin(PRIVILEGED_POD)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rule"));
}

#[test]
fn ignore_annotation_config_and_baseline_suppress_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let annotated = PRIVILEGED_POD.replace(
        "  namespace: demo\n",
        "  namespace: demo\n  annotations:\n    kubeward.io/ignore: privileged-container\n    kubeward.io/ignore-reason: node agent, reviewed\n",
    );
    write(d, "pod.yaml", &annotated);
    let (code, v) = json_scan(
        &[
            "--select",
            "privileged-container",
            "--show-suppressed",
            "pod.yaml",
        ],
        d,
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["summary"]["suppressed"], 1);
    assert_eq!(v["summary"]["findings"], 0);

    // config: severity override and excluded namespace
    write(d, "pod.yaml", PRIVILEGED_POD);
    write(
        d,
        "kubeward.yaml",
        "select: [privileged-container]\nseverity:\n  privileged-container: critical\n",
    );
    let (_, v) = json_scan(&["pod.yaml"], d);
    assert_eq!(v["findings"][0]["severity"], "critical");
    write(
        d,
        "kubeward.yaml",
        "select: [privileged-container]\nexclude:\n  namespaces: [demo]\n",
    );
    let (code, v) = json_scan(&["pod.yaml"], d);
    assert_eq!((code, v["summary"]["suppressed"].as_u64()), (0, Some(1)));
    write(d, "kubeward.yaml", "selct: [x]\n");
    let out = kubeward()
        .current_dir(d)
        .args(["scan", "pod.yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("kubeward.yaml:1:1: unknown key"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(d.join("kubeward.yaml")).unwrap();

    // baseline: accepted findings disappear, a new one shows up
    let out = kubeward()
        .current_dir(d)
        .args([
            "scan",
            "--select",
            "pod-security",
            "--write-baseline",
            "base.json",
            "pod.yaml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let (code, v) = json_scan(
        &[
            "--select",
            "pod-security",
            "--baseline",
            "base.json",
            "pod.yaml",
        ],
        d,
    );
    assert_eq!(code, 0, "{v:#}");
    assert!(v["summary"]["suppressed"].as_u64().unwrap() >= 1);
    write(
        d,
        "pod.yaml",
        &PRIVILEGED_POD.replace(
            "      securityContext:\n",
            "      securityContext:\n        runAsUser: 0\n",
        ),
    );
    let (code, v) = json_scan(
        &[
            "--select",
            "pod-security",
            "--baseline",
            "base.json",
            "pod.yaml",
        ],
        d,
    );
    assert_eq!(code, 1);
    assert_eq!(rules_of(&v), vec!["run-as-user-root".to_string()], "{v:#}");
}

#[test]
fn rules_and_explain() {
    let out = kubeward().args(["rules"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("privileged-container"));
    let out = kubeward()
        .args(["explain", "privileged-container"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("## Why it matters"));
    let out = kubeward().args(["explain", "nope"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no rule named \"nope\""));
    // the table is aligned: every domain column starts at the same place
    let starts: std::collections::HashSet<usize> = text
        .lines()
        .map(|l| l.find("  ").unwrap() + l[l.find("  ").unwrap()..].find(|c| c != ' ').unwrap())
        .collect();
    assert_eq!(starts.len(), 1, "{text}");
    let out = kubeward()
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["domain"], "pod-security");
    assert!(v
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["domain"] == "supply-chain"));
}

/// Flags with a fixed set of values are checked before anything is read: exit 2 and a message
/// that lists the possible values; values are parsed once (any case for severities).
#[test]
fn fixed_value_flags_are_checked_with_clear_errors() {
    for (args, says) in [
        (
            &["--format", "xml"][..],
            "possible values: text, json, sarif, junit",
        ),
        (
            &["--fail-on", "severe"],
            "possible values: critical, high, medium, low, info, never",
        ),
        (
            &["--severity", "severe"],
            "possible values: critical, high, medium, low, info",
        ),
        (
            &["--group-by", "team"],
            "possible values: object, rule, file",
        ),
        (
            &["--color", "sometimes"],
            "possible values: auto, always, never",
        ),
        (
            &["--pod-security", "strict"],
            "unknown Pod Security level \"strict\" (privileged, baseline, restricted)",
        ),
        (
            &["--pod-security", "baseline:2"],
            "unknown Pod Security version \"2\"",
        ),
    ] {
        let out = kubeward()
            .arg("scan")
            .args(args)
            .arg("-")
            .write_stdin(PRIVILEGED_POD)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let out = kubeward()
        .args(["rules", "--format", "yaml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    // --fail-on NEVER and the `none` alias; --severity HIGH
    for args in [
        &["--fail-on", "NEVER"][..],
        &["--fail-on", "none"],
        &["--fail-on", "never", "--severity", "HIGH"],
    ] {
        let out = kubeward()
            .arg("scan")
            .args(args)
            .arg("-")
            .write_stdin(PRIVILEGED_POD)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
    }
    // the level from the flag is used: privileged allows a privileged container
    for (level, code) in [("privileged:v1.30", 0), ("baseline", 1)] {
        let out = kubeward()
            .args([
                "scan",
                "--select",
                "privileged-container",
                "--pod-security",
                level,
                "-",
            ])
            .write_stdin(PRIVILEGED_POD)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(code), "{level}");
    }
}

#[test]
fn the_examples_tell_the_story() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let (code, v) = json_scan(&[examples.to_str().unwrap()], Path::new("."));
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(v["errors"].as_array().unwrap().len(), 0, "{v:#}");
    let rules = rules_of(&v);
    for expected in [
        "privileged-container",
        "restricted-volume-types", // at restricted, upstream reports hostPath as a restricted volume type
        "host-namespaces",
        "dangerous-capabilities",
        "sensitive-host-path",
        "service-load-balancer",
        "ingress-without-tls",
        "rbac-secrets-access",
        "secret-in-env-literal",
        "secret-in-configmap",
        "missing-network-policy",
    ] {
        assert!(
            rules.iter().any(|r| r == expected),
            "examples do not show {expected}: {rules:?}"
        );
    }
    // hygiene runs only when selected
    assert!(!rules.iter().any(|r| r == "image-tag-latest"), "{rules:?}");
    let (_, hygiene) = json_scan(
        &["--select", "hygiene", examples.to_str().unwrap()],
        Path::new("."),
    );
    assert!(
        rules_of(&hygiene).iter().any(|r| r == "image-tag-latest"),
        "{hygiene:#}"
    );
    // the hardened workload has no finding at all
    let hardened: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["object"]["namespace"] == "payments")
        .collect();
    assert!(
        hardened.is_empty(),
        "hardened example has findings: {hardened:#?}"
    );
}

#[test]
fn docs_rules_md_is_generated_from_the_rule_docs() {
    let out = kubeward()
        .args(["rules", "--format", "markdown"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/rules.md");
    let committed = std::fs::read_to_string(&path).expect("docs/rules.md");
    assert!(
        committed == String::from_utf8_lossy(&out.stdout),
        "docs/rules.md is stale: run `cargo run -- rules --format markdown > docs/rules.md`"
    );
}

#[test]
fn text_report_leads_with_the_summary_and_the_worst_objects() {
    let examples = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let out = kubeward()
        .args(["scan", "--color", "never", examples.to_str().unwrap()])
        .output()
        .unwrap();
    let all = String::from_utf8_lossy(&out.stdout);
    // the story first: the examples' attack paths, then the summary
    let (story, text) = all.split_once("\n\n").unwrap_or(("", &all));
    assert!(story.contains("attack paths from the internet"), "{all}");
    assert!(story.contains("cluster-admin"), "{story}");
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.contains(" findings (") && first.contains("critical"),
        "{first}"
    );
    assert!(text.contains("  by domain: "), "{text}");
    assert!(text.contains("  most exposed objects:"), "{text}");
    // objects ordered by their worst finding: the first object block holds a critical one
    let body = text.split("\n\n").nth(1).unwrap_or("");
    let first_block_findings = text
        .split("\n\n")
        .skip(1)
        .take(3)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        first_block_findings.contains("  critical "),
        "first object is not the most severe: {body}"
    );
    // --severity hides, --fail-on still counts every finding
    let out = kubeward()
        .args([
            "scan",
            "--color",
            "never",
            "--severity",
            "critical",
            "--fail-on",
            "medium",
            examples.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains("  medium "), "{text}");
    assert!(!text.contains("  high     "), "{text}");
    assert!(text.contains("not shown (--severity)"), "{text}");
    // --group-by rule: one header per rule with its counts
    let out = kubeward()
        .args([
            "scan",
            "--color",
            "never",
            "--group-by",
            "rule",
            examples.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("privileged-container  (")),
        "{text}"
    );
    let bad = kubeward()
        .args(["scan", "--severity", "severe", examples.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn completions_and_man_page_come_from_the_clap_definitions() {
    for shell in ["bash", "zsh", "fish", "powershell"] {
        let out = kubeward().args(["completions", shell]).output().unwrap();
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("kubeward"), "{shell}: {text}");
        assert!(text.contains("fail-on"), "{shell} completes scan's flags");
    }
    let out = kubeward().arg("man").output().unwrap();
    assert!(out.status.success());
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(
        page.starts_with(".ie") || page.contains(".TH kubeward 1"),
        "{page}"
    );
    for flag in ["fail\\-on", "group\\-by", "KUBEWARD SCAN", "KUBEWARD VULN"] {
        assert!(page.contains(flag), "man page lacks {flag}");
    }
    let out = kubeward().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
