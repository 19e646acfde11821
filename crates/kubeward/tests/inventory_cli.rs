//! End to end: `kubeward inventory add|rescan|list` on a temporary store seeded from a small
//! SBOM and the OSV corpus, then `kubeward scan --inventory` attaching the matches to the
//! workloads that run the image.

mod support;

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use support::{SBOM, WEB_MANIFESTS};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("KUBEWARD_DATA_DIR")
        .env_remove("KUBEWARD_CACHE_DIR")
        .env("NO_COLOR", "1");
    c
}

fn osv(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/osv")
        .join(sub)
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = kubeward().args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// Appended to `support::WEB_MANIFESTS`: two more workloads running the same image (one
/// privileged), and an image not in the inventory.
const MORE_MANIFESTS: &str = r#"---
apiVersion: apps/v1
kind: Deployment
metadata: {name: worker, namespace: shop}
spec:
  selector: {matchLabels: {app: worker}}
  template:
    metadata: {labels: {app: worker}}
    spec:
      containers:
      - name: worker
        image: registry.example/shop/web:1.0
      - name: sidecar
        image: registry.example/shop/not-in-inventory:2
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: admin, namespace: shop}
spec:
  selector: {matchLabels: {app: admin}}
  template:
    metadata: {labels: {app: admin}}
    spec:
      containers:
      - name: admin
        image: registry.example/shop/web:1.0
        securityContext: {privileged: true}
"#;

#[test]
fn add_rescan_list_and_scan() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("inv.db");
    let store_s = store.to_str().unwrap();
    let sbom = dir.path().join("web.cdx.json");
    std::fs::write(&sbom, SBOM).unwrap();

    let (code, out, err) = run(&[
        "inventory",
        "add",
        sbom.to_str().unwrap(),
        "--store",
        store_s,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("added SBOM registry.example/shop/web:1.0") && out.contains("3 packages"),
        "{out}"
    );

    let list = json(&["inventory", "list", "--store", store_s, "--format", "json"]);
    let images = list["images"].as_array().unwrap();
    assert_eq!(images.len(), 1);
    assert_eq!(images[0]["packages"], 3);
    assert!(images[0].get("matched_at").is_none());

    // first match: only the RustSec records
    let r = json(&[
        "inventory",
        "rescan",
        "--store",
        store_s,
        "--db",
        osv("crates.io").to_str().unwrap(),
        "--format",
        "json",
    ]);
    let new: Vec<&str> = r["newly_vulnerable"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(new, ["RUSTSEC-2021-0003"]);
    assert_eq!(r["unchanged"], 0);

    // the whole corpus: the npm advisory is new, the RustSec one unchanged
    let (code, text, err) = run(&[
        "inventory",
        "rescan",
        "--store",
        store_s,
        "--db",
        osv("").to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        text.contains("1 newly vulnerable, 0 no longer matching, 1 unchanged"),
        "{text}"
    );
    assert!(
        text.contains("GHSA-p6mc-m468-83gw") && text.contains("lodash 4.17.15"),
        "{text}"
    );

    let list = json(&["inventory", "list", "--store", store_s, "--format", "json"]);
    assert_eq!(list["images"][0]["matches"]["high"], 1, "{list}");
    let (code, table, _) = run(&["inventory", "list", "--store", store_s]);
    assert_eq!(code, 0);
    assert!(table.contains("registry.example/shop/web:1.0"), "{table}");

    // scan: the three Deployments run the image
    let m = dir.path().join("shop.yaml");
    std::fs::write(&m, format!("{WEB_MANIFESTS}{MORE_MANIFESTS}")).unwrap();
    let out = kubeward()
        .args([
            "scan",
            m.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(["--select", "vulnerable-image", "--inventory", store_s])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("not-in-inventory:2 is not in the inventory"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings: Vec<&Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "vulnerable-image")
        .collect();
    assert_eq!(findings.len(), 6, "{v:#}"); // 3 workloads x 2 vulnerabilities
    let find = |name: &str, id: &str| -> &Value {
        findings
            .iter()
            .find(|f| f["object"]["name"] == name && f["message"].as_str().unwrap().contains(id))
            .unwrap_or_else(|| panic!("{name} {id}"))
    };
    // not exposed: the advisory's severity
    let w = find("worker", "GHSA-p6mc-m468-83gw");
    assert_eq!(w["severity"], "high");
    assert_eq!(w["path"], "spec.template.spec.containers[0].image");
    assert!(w["message"].as_str().unwrap().contains("fixed in 4.17.20"));
    // exposed by a LoadBalancer: one level up, and the message says why
    let e = find("web", "GHSA-p6mc-m468-83gw");
    assert_eq!(e["severity"], "critical");
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("ranked critical instead of high") && msg.contains("LoadBalancer Service"),
        "{msg}"
    );
    assert_eq!(e["related"][0]["kind"], "Service");
    // privileged
    let p = find("admin", "GHSA-p6mc-m468-83gw");
    assert_eq!(p["severity"], "critical");
    assert!(p["message"].as_str().unwrap().contains("privileged"));
    // fingerprints are distinct per vulnerability
    let mut fps: Vec<&str> = findings
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap())
        .collect();
    fps.sort();
    fps.dedup();
    assert_eq!(fps.len(), 6);

    // without --inventory the rule is silent
    let out = kubeward()
        .args([
            "scan",
            m.to_str().unwrap(),
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(["--select", "vulnerable-image"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"].as_array().map(Vec::len), Some(0), "{v}");
}

#[test]
fn default_store_rootfs_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let rootfs = dir.path().join("rootfs");
    let pkg = rootfs.join("usr/lib/node_modules/lodash");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(
        pkg.join("package.json"),
        r#"{"name": "lodash", "version": "4.17.15"}"#,
    )
    .unwrap();
    let out = kubeward()
        .env("KUBEWARD_DATA_DIR", &data)
        .args([
            "inventory",
            "add",
            rootfs.to_str().unwrap(),
            "--name",
            "app:1",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(data.join("inventory.db").is_file());
    let out = kubeward()
        .env("KUBEWARD_DATA_DIR", &data)
        .args([
            "inventory",
            "rescan",
            "--db",
            osv("npm").to_str().unwrap(),
            "-f",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["newly_vulnerable"][0]["id"], "GHSA-p6mc-m468-83gw");
    // the short name was normalised the way a runtime resolves it
    assert_eq!(
        v["newly_vulnerable"][0]["images"][0],
        "docker.io/library/app:1"
    );

    let (code, text, _) = run(&["explain", "vulnerable-image"]);
    assert_eq!(code, 0);
    assert!(
        text.contains("## Why it matters") && text.contains("--inventory"),
        "{text}"
    );
    let (_, rules, _) = run(&["rules"]);
    assert!(rules.contains("vulnerable-image"));
}

#[test]
fn damaged_or_missing_store_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![b'x'; 4096]).unwrap();
    let (code, _, err) = run(&["inventory", "list", "--store", junk.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("corrupt or not a kubeward store"), "{err}");

    let m = dir.path().join("pod.yaml");
    std::fs::write(
        &m,
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx:1.25}]\n",
    )
    .unwrap();
    // the scan still reports; the store's error is an error of the report (exit 2)
    let (code, out, _) = run(&[
        "scan",
        m.to_str().unwrap(),
        "--inventory",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(out.contains("corrupt"), "{out}");
    assert!(out.contains("pod.yaml"), "{out}");

    let missing = dir.path().join("none.db");
    let (code, out, _) = run(&[
        "scan",
        m.to_str().unwrap(),
        "--inventory",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(out.contains("no inventory store"), "{out}");
    assert!(!missing.exists());

    let (code, _, err) = run(&[
        "inventory",
        "add",
        "/no/such/file",
        "--store",
        junk.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(!err.is_empty());
}
