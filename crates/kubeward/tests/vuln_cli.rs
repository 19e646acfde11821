//! End-to-end tests of `kubeward vuln`: a Debian root with OS, Python and npm packages is
//! matched against OSV records this test writes; the JSON contract, exit codes and
//! `--fail-on`, packages owned by OS packages, unparseable versions, OpenVEX, SBOM input, and
//! the CycloneDX, SARIF and OpenVEX outputs (validated against their schemas when the validators are
//! installed).

mod support;

use assert_cmd::Command;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::debian_root;

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR")
        .env("CLICOLOR", "0")
        .env_remove("KUBEWARD_CACHE_DIR");
    c
}

/// OSV records written for this test (synthetic ids, real schema): the shared ones and a
/// critical six 1.16.0, an unparseable-version target, an openssl record fixed long ago.
fn osv_db(dir: &Path) -> PathBuf {
    let mut records = support::osv_records();
    records.extend([
        json!({"id": "KWTEST-PY-2", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "versions": ["1.16.0"]}],
               "database_specific": {"severity": "CRITICAL"}}),
        json!({"id": "KWTEST-PY-3", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "PyPI", "name": "weird"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.0"}]}]}]}),
        json!({"id": "KWTEST-DEB-2", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.0-1"}]}]}]}),
    ]);
    support::osv_db(dir, &records)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = kubeward().arg("vuln").args(args).output().expect("run");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_run(args: &[&str]) -> (i32, Value) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let (code, out, err) = run(&a);
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    (code, v)
}

fn ids(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|m| m["id"].as_str().expect("id").to_string())
        .collect()
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

#[test]
fn json_contract_and_os_owned_packages() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let (code, v) = json_run(&[s(&root), "--db", s(&db)]);
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(
        ids(&v, "matches"),
        ["KWTEST-PY-1", "KWTEST-DEB-1", "KWTEST-NPM-1"]
    );
    let flask = &v["matches"][0];
    assert_eq!(flask["aliases"], json!(["CVE-2099-0001"]));
    assert_eq!(flask["package"]["name"], "Flask");
    assert_eq!(flask["package"]["version"], "2.0.0");
    assert_eq!(flask["package"]["ecosystem"], "PyPI");
    assert_eq!(flask["package"]["purl"], "pkg:pypi/flask@2.0.0");
    assert_eq!(flask["state"], "fixed");
    assert_eq!(flask["fixed_in"], "2.2.5");
    assert_eq!(flask["severity"], "high");
    let ssl = &v["matches"][1];
    assert_eq!(ssl["package"]["name"], "libssl3");
    assert_eq!(ssl["package"]["ecosystem"], "Debian:12");
    assert_eq!(ssl["matched"]["name"], "openssl");
    assert_eq!(ssl["severity"], Value::Null);
    let npm = &v["matches"][2];
    assert_eq!(npm["state"], "unfixed");
    assert_eq!(npm["fixed_in"], Value::Null);
    assert_eq!(npm["severity"], "low");
    assert_eq!(v["errors"], json!([]));
    assert_eq!(v["summary"]["skipped_os_owned"], 1);
    assert_eq!(v["summary"]["packages"], 5);
    // six belongs to python3-six: matched upstream only on request
    let (_, v) = json_run(&[s(&root), "--db", s(&db), "--include-os-owned"]);
    assert!(ids(&v, "matches").contains(&"KWTEST-PY-2".to_string()));
    assert_eq!(v["summary"]["skipped_os_owned"], 0);
}

#[test]
fn exit_codes_follow_fail_on() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let code = |f: &str| run(&[s(&root), "--db", s(&db), "--fail-on", f]).0;
    assert_eq!(code("any"), 1);
    assert_eq!(code("low"), 1);
    assert_eq!(code("high"), 1);
    assert_eq!(code("critical"), 0); // six (critical) is OS-owned and skipped
    assert_eq!(code("never"), 0);
    let (c, _, err) = run(&[s(&root), "--db", s(&db), "--fail-on", "severe"]);
    assert_eq!(c, 2);
    assert!(err.contains("--fail-on"), "{err}");
    let (c, _, _) = run(&[
        s(&root),
        "--db",
        s(&db),
        "--fail-on",
        "critical",
        "--include-os-owned",
    ]);
    assert_eq!(c, 1);
}

#[test]
fn unparseable_versions_are_errors_not_silence() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), true);
    let db = osv_db(dir.path());
    let (code, v) = json_run(&[s(&root), "--db", s(&db), "--fail-on", "never"]);
    assert_eq!(code, 2, "{v:#}");
    let errors = v["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0]["package"], "weird");
    assert_eq!(errors[0]["version"], "1.0-bad!!");
    assert_eq!(errors[0]["record"], "KWTEST-PY-3");
    // the matches are still reported
    assert_eq!(v["matches"].as_array().expect("matches").len(), 3);
    let (code, out, _) = run(&[s(&root), "--db", s(&db)]);
    assert_eq!(code, 2);
    assert!(out.contains("Not decided"), "{out}");
    assert!(out.contains("weird 1.0-bad!!"), "{out}");
}

#[test]
fn vex_suppresses_with_reason() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let vex = dir.path().join("app.openvex.json");
    let doc = json!({
        "@context": "https://openvex.dev/ns/v0.2.0",
        "@id": "https://example.test/vex/1",
        "author": "test", "timestamp": "2024-01-01T00:00:00Z", "version": 1,
        "statements": [
            {"vulnerability": {"name": "CVE-2099-0001"},
             "products": [{"@id": "pkg:pypi/flask@2.0.0"}],
             "status": "not_affected",
             "justification": "vulnerable_code_not_in_execute_path"},
            {"vulnerability": {"name": "KWTEST-NPM-1"},
             "products": [{"@id": "pkg:npm/minimist"}],
             "status": "under_investigation"}
        ]
    });
    std::fs::write(&vex, serde_json::to_vec(&doc).expect("json")).expect("write");
    let (code, v) = json_run(&[
        s(&root),
        "--db",
        s(&db),
        "--vex",
        s(&vex),
        "--fail-on",
        "high",
    ]);
    assert_eq!(code, 0, "{v:#}"); // the only high one is suppressed
    assert_eq!(ids(&v, "matches"), ["KWTEST-DEB-1", "KWTEST-NPM-1"]);
    assert_eq!(ids(&v, "suppressed"), ["KWTEST-PY-1"]);
    let why = &v["suppressed"][0]["suppressed_by"];
    assert_eq!(why["status"], "not_affected");
    assert_eq!(why["justification"], "vulnerable_code_not_in_execute_path");
    assert_eq!(why["document"], "https://example.test/vex/1");
    let (_, out, _) = run(&[
        s(&root),
        "--db",
        s(&db),
        "--vex",
        s(&vex),
        "--show-suppressed",
    ]);
    assert!(out.contains("Suppressed by VEX"), "{out}");
    assert!(
        out.contains("not_affected: vulnerable_code_not_in_execute_path"),
        "{out}"
    );
    // a broken VEX document is an input error
    std::fs::write(&vex, b"{\"statements\": 3}").expect("write");
    let (code, _, err) = run(&[s(&root), "--db", s(&db), "--vex", s(&vex)]);
    assert_eq!(code, 2);
    assert!(err.contains("app.openvex.json"), "{err}");
}

#[test]
fn openvex_output_states_every_match_and_reads_back() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let vex_in = dir.path().join("in.openvex.json");
    let doc = json!({"@id": "https://example.test/vex/in", "statements": [
        {"vulnerability": {"name": "CVE-2099-0001"}, "products": [{"@id": "pkg:pypi/flask"}],
         "status": "not_affected", "justification": "vulnerable_code_not_present"}]});
    std::fs::write(&vex_in, serde_json::to_vec(&doc).expect("json")).expect("write");
    let args = [
        s(&root),
        "--db",
        s(&db),
        "--vex",
        s(&vex_in),
        "-f",
        "openvex",
    ];
    let (code, out, err) = run(&args);
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, run(&args).1, "deterministic");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["@context"], "https://openvex.dev/ns/v0.2.0");
    assert!(v["@id"].is_string() && v["author"].is_string());
    assert_eq!(v["timestamp"], "1970-01-01T00:00:00Z");
    assert_eq!(v["version"], 1);
    let st = v["statements"].as_array().expect("statements");
    let status: Vec<(&str, &str)> = st
        .iter()
        .map(|x| {
            (
                x["vulnerability"]["name"].as_str().expect("name"),
                x["status"].as_str().expect("status"),
            )
        })
        .collect();
    assert_eq!(
        status,
        [
            ("KWTEST-DEB-1", "affected"),
            ("KWTEST-NPM-1", "affected"),
            ("KWTEST-PY-1", "not_affected")
        ]
    );
    assert_eq!(st[2]["justification"], "vulnerable_code_not_present");
    assert_eq!(st[2]["products"][0]["@id"], "pkg:pypi/flask@2.0.0");
    assert!(st[0]["action_statement"].is_string());
    // the document is a VEX input: with it, nothing is affected any more but what it says
    let vex_out = dir.path().join("out.openvex.json");
    std::fs::write(&vex_out, &out).expect("write");
    let (_, v) = json_run(&[s(&root), "--db", s(&db), "--vex", s(&vex_out)]);
    assert_eq!(ids(&v, "matches"), ["KWTEST-DEB-1", "KWTEST-NPM-1"]);
    assert_eq!(ids(&v, "suppressed"), ["KWTEST-PY-1"]);
    // a given timestamp is written as is
    let mut with_time = args.to_vec();
    with_time.extend(["--timestamp", "2026-12-03T10:00:00Z"]);
    let v: Value = serde_json::from_str(&run(&with_time).1).expect("json");
    assert_eq!(v["timestamp"], "2026-12-03T10:00:00Z");
}

#[test]
fn sbom_input_gives_the_same_matches() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let (_, direct) = json_run(&[s(&root), "--db", s(&db)]);
    for fmt in ["cyclonedx", "spdx"] {
        let bom = dir.path().join(format!("bom.{fmt}.json"));
        let st = kubeward()
            .args(["sbom", s(&root), "-f", fmt, "-o", s(&bom)])
            .output()
            .expect("sbom");
        assert!(st.status.success());
        let (code, v) = json_run(&[s(&bom), "--db", s(&db)]);
        assert_eq!(code, 1, "{fmt}: {v:#}");
        assert_eq!(ids(&v, "matches"), ids(&direct, "matches"), "{fmt}");
        assert_eq!(v["summary"]["skipped_os_owned"], 1, "{fmt}");
        assert_eq!(v["source"]["kind"], "sbom");
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, b"{\"hello\": 1}").expect("write");
    let (code, _, err) = run(&[s(&bad), "--db", s(&db)]);
    assert_eq!(code, 2);
    assert!(err.contains("not a CycloneDX or SPDX"), "{err}");
}

fn python_ok(script: &str, args: &[&str]) -> Option<String> {
    let out = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Some(String::new()),
        Some(3) => {
            assert!(
                std::env::var_os("KUBEWARD_REQUIRE_SBOM_VALIDATORS").is_none(),
                "validator missing: {text}"
            );
            eprintln!("validator missing: skipped ({text})");
            None
        }
        _ => Some(text),
    }
}

#[test]
fn cyclonedx_vdr_is_valid() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let vex = dir.path().join("v.json");
    std::fs::write(
        &vex,
        serde_json::to_vec(&json!({"@id": "vex-1", "statements": [
            {"vulnerability": {"name": "KWTEST-DEB-1"}, "products": [{"@id": "pkg:deb/debian/libssl3"}],
             "status": "fixed", "status_notes": "backported"}]}))
        .expect("json"),
    )
    .expect("write");
    let out = dir.path().join("vdr.json");
    let (code, _, err) = run(&[
        s(&root),
        "--db",
        s(&db),
        "--vex",
        s(&vex),
        "-f",
        "cyclonedx",
        "-o",
        s(&out),
    ]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let vulns = v["vulnerabilities"].as_array().expect("vulnerabilities");
    assert_eq!(vulns.len(), 3);
    let flask = vulns
        .iter()
        .find(|x| x["id"] == "KWTEST-PY-1")
        .expect("flask");
    assert_eq!(flask["ratings"][0]["severity"], "high");
    assert_eq!(flask["ratings"][0]["method"], "CVSSv31");
    let r = flask["affects"][0]["ref"].as_str().expect("ref");
    assert!(v["components"]
        .as_array()
        .expect("components")
        .iter()
        .any(|c| c["bom-ref"] == r));
    let deb = vulns
        .iter()
        .find(|x| x["id"] == "KWTEST-DEB-1")
        .expect("deb");
    assert_eq!(deb["analysis"]["state"], "resolved");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubeward-image/tests/fixtures/validate_sbom.py");
    let st = std::process::Command::new("python3")
        .arg(&script)
        .arg("cyclonedx")
        .arg(&out)
        .output();
    if let Ok(o) = st {
        match o.status.code() {
            Some(0) => {}
            Some(3) => eprintln!("CycloneDX validator not installed: skipped"),
            _ => panic!(
                "invalid CycloneDX VDR: {}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        }
    }
}

#[test]
fn sarif_has_a_result_per_match_at_the_package_location() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let db = osv_db(dir.path());
    let out = dir.path().join("vuln.sarif");
    let (code, _, err) = run(&[s(&root), "--db", s(&db), "-f", "sarif", "-o", s(&out)]);
    assert_eq!(code, 1, "{err}");
    let v: Value = serde_json::from_slice(&std::fs::read(&out).expect("read")).expect("json");
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 3);
    let flask = results
        .iter()
        .find(|r| r["ruleId"] == "KWTEST-PY-1")
        .expect("flask");
    assert_eq!(flask["level"], "error");
    assert_eq!(
        flask["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "usr/local/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA"
    );
    let ssl = results
        .iter()
        .find(|r| r["ruleId"] == "KWTEST-DEB-1")
        .expect("ssl");
    assert_eq!(
        ssl["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "var/lib/dpkg/status"
    );
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert_eq!(rules.len(), 3);
    let schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubeward-report/tests/schemas/sarif-schema-2.1.0.json");
    let check = "import json,sys\ntry:\n import jsonschema\nexcept ImportError:\n sys.exit(3)\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))\n";
    if let Some(msg) = python_ok(check, &[s(&schema), s(&out)]) {
        assert!(msg.is_empty(), "invalid SARIF: {msg}");
    }
}

#[test]
fn missing_database_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = debian_root(dir.path(), false);
    let out = kubeward()
        .env("KUBEWARD_CACHE_DIR", dir.path().join("cache"))
        .args(["vuln", s(&root)])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("kubeward db update"), "{err}");
    let (code, _, err) = run(&[s(&root), "--db", s(&dir.path().join("nope"))]);
    assert_eq!(code, 2);
    assert!(!err.is_empty());
}
