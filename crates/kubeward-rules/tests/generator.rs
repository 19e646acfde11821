//! `tools/new-rule` (a Python 3 script) starts a rule: its file, its registration in the
//! domain's `mod.rs`, its fixtures and its row in `docs/severity.md`. These tests run it with
//! `--dry-run` on the repository (nothing written) and for real on a scratch copy of one
//! domain. With `CI` set, a missing `python3` fails instead of skipping.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the generator; `None` when python3 is not installed (outside CI).
fn new_rule(args: &[&str]) -> Option<Output> {
    let script = root().join("tools/new-rule");
    match Command::new("python3").arg(&script).args(args).output() {
        Ok(out) => Some(out),
        Err(e) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped: python3 not runnable ({e})");
            None
        }
        Err(e) => panic!("python3 {}: {e}", script.display()),
    }
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn dry_run_names_the_files_of_the_rule_and_writes_nothing() {
    let Some(out) = new_rule(&[
        "--dry-run",
        "workload",
        "example-generated-check",
        "Pod does an example thing",
        "medium",
    ]) else {
        return;
    };
    assert!(out.status.success(), "{}", stderr(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(
        lines,
        [
            "create crates/kubeward-rules/src/workload/example_generated_check.rs",
            "modify crates/kubeward-rules/src/workload/mod.rs",
            "create crates/kubeward-rules/tests/fixtures/example-generated-check/fire.yaml",
            "create crates/kubeward-rules/tests/fixtures/example-generated-check/pass.yaml",
            "modify docs/severity.md",
        ]
    );
    assert!(!root()
        .join("crates/kubeward-rules/src/workload/example_generated_check.rs")
        .exists());
    assert!(!root()
        .join("crates/kubeward-rules/tests/fixtures/example-generated-check")
        .exists());
}

#[test]
fn refuses_what_it_cannot_make_well() {
    for (args, says) in [
        (
            ["workload", "privileged-container", "x", "high"],
            "exists already",
        ),
        (
            ["pod-security", "new-check", "x", "high"],
            "upstream checks",
        ),
        (["supply-chain", "new-check", "x", "high"], "inventory"),
        (
            ["no-such-domain", "new-check", "x", "high"],
            "unknown domain",
        ),
        (["workload", "NewCheck", "x", "high"], "kebab-case"),
        (["workload", "workload", "x", "high"], "a domain's name"),
        (["workload", "new-check", "x", "severe"], "severity"),
        (
            ["workload", "new-check", "two\nlines", "high"],
            "one non-empty line",
        ),
    ] {
        let mut all = vec!["--dry-run"];
        all.extend(args);
        let Some(out) = new_rule(&all) else {
            return;
        };
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stdout(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
        assert!(stdout(&out).is_empty(), "{args:?}: {}", stdout(&out));
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// A scratch repository for a real run: the `manifest` domain's `mod.rs` (and, with
/// `rules`, its rule files) and docs/severity.md.
fn scratch(name: &str, rules: bool) -> PathBuf {
    let scratch =
        std::env::temp_dir().join(format!("kubeward-new-rule-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let src = "crates/kubeward-rules/src/manifest";
    if rules {
        copy_dir(&root().join(src), &scratch.join(src));
    } else {
        std::fs::create_dir_all(scratch.join(src)).unwrap();
        std::fs::copy(
            root().join(src).join("mod.rs"),
            scratch.join(src).join("mod.rs"),
        )
        .unwrap();
    }
    std::fs::create_dir_all(scratch.join("docs")).unwrap();
    std::fs::copy(
        root().join("docs/severity.md"),
        scratch.join("docs/severity.md"),
    )
    .unwrap();
    scratch
}

/// The real run, on a copy of the `manifest` domain (its `rules()` is one line) and of
/// docs/severity.md; `cargo check` of a generated rule is done by hand (CONTRIBUTING.md).
#[test]
fn writes_the_rule_its_registration_fixtures_and_severity_row() {
    let scratch = scratch("full", true);
    let Some(out) = new_rule(&[
        "--root",
        scratch.to_str().unwrap(),
        "manifest",
        "tab-indented-yaml",
        "Manifest \"indents\" with tabs",
        "low",
    ]) else {
        let _ = std::fs::remove_dir_all(&scratch);
        return;
    };
    let read = |p: &str| std::fs::read_to_string(scratch.join(p)).unwrap_or_default();
    let rule = read("crates/kubeward-rules/src/manifest/tab_indented_yaml.rs");
    let module = read("crates/kubeward-rules/src/manifest/mod.rs");
    let fire = read("crates/kubeward-rules/tests/fixtures/tab-indented-yaml/fire.yaml");
    let pass = read("crates/kubeward-rules/tests/fixtures/tab-indented-yaml/pass.yaml");
    let severity = read("docs/severity.md");
    let _ = std::fs::remove_dir_all(&scratch);

    assert!(out.status.success(), "{}", stderr(&out));
    for section in [
        "## What it does",
        "## Why it matters",
        "## Example",
        "## Fix",
        "## References",
    ] {
        assert!(rule.contains(&format!("/// {section}\n")), "{section}");
    }
    assert!(rule.contains("pub struct TabIndentedYaml {"), "{rule}");
    assert!(rule.contains("name: \"tab-indented-yaml\","), "{rule}");
    assert!(rule.contains("severity: Low,"), "{rule}");
    assert!(
        rule.contains(r#"summary: "Manifest \"indents\" with tabs","#),
        "{rule}"
    );
    assert!(rule.contains("impl Rule for TabIndentedYaml"), "{rule}");
    assert!(module.contains("pub mod tab_indented_yaml;"), "{module}");
    assert!(
        module.contains("pub use tab_indented_yaml::TabIndentedYaml;"),
        "{module}"
    );
    let list = module.split("pub fn rules()").nth(1).unwrap_or_default();
    assert!(list.contains("&TabIndentedYaml"), "{module}");
    assert!(fire.contains("kind: Pod") && pass.contains("kind: Pod"));
    assert!(
        severity.contains("\n| `tab-indented-yaml` | manifest | low | |\n"),
        "{severity}"
    );
    // the row is in the table, beside its domain's
    let section = severity.split("## Every rule").nth(1).unwrap_or_default();
    let rows: Vec<&str> = section.lines().filter(|l| l.starts_with("| `")).collect();
    let at = rows
        .iter()
        .position(|l| l.starts_with("| `tab-indented-yaml`"))
        .expect("row");
    assert!(rows[at - 1].contains("| manifest |"), "{}", rows[at - 1]);
}

/// A domain folder with no rule file yet: the rule names the domain by its `Domain`
/// variant (derived from the folder's name), never by a string.
#[test]
fn a_domain_without_rules_gets_its_enum_variant() {
    let scratch = scratch("empty", false);
    let src = "crates/kubeward-rules/src/manifest";
    let Some(out) = new_rule(&[
        "--root",
        scratch.to_str().unwrap(),
        "manifest",
        "tab-indented-yaml",
        "Manifest indents with tabs",
        "low",
    ]) else {
        let _ = std::fs::remove_dir_all(&scratch);
        return;
    };
    let rule =
        std::fs::read_to_string(scratch.join(src).join("tab_indented_yaml.rs")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(rule.contains("\n        domain: Manifest,\n"), "{rule}");
}
