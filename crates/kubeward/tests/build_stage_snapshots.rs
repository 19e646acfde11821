//! The build stage's outputs, pinned (issue 12): `sbom` in every format, `vuln` in every
//! format, `inventory add/rescan/list` and `scan --inventory`, on a small root filesystem, a
//! CycloneDX SBOM and the vendored OSV records. The snapshots were recorded before the
//! build-stage crates were reshaped, so a refactor that changes an output shows up here; a
//! deliberate change (a new field, a new component) is re-recorded and reviewed
//! (`INSTA_UPDATE=always cargo test -p kubeward --test build_stage_snapshots`).

use assert_cmd::Command;
use serde_json::json;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("KUBEWARD_DATA_DIR")
        .env_remove("KUBEWARD_CACHE_DIR")
        .env("NO_COLOR", "1")
        .env("CLICOLOR", "0");
    c
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// A Debian 12 root: two dpkg packages (one owning a Python dist-info), Flask from pip,
/// minimist from npm.
fn debian_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    write(
        &root,
        "etc/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    write(
        &root,
        "var/lib/dpkg/status",
        b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: python3-six\nStatus: install ok installed\nArchitecture: all\nSource: six\nVersion: 1.16.0-4\n",
    );
    let six = "usr/lib/python3/dist-packages/six-1.16.0.dist-info";
    write(
        &root,
        "var/lib/dpkg/info/python3-six.list",
        format!("/.\n/usr\n/{six}\n/{six}/METADATA\n").as_bytes(),
    );
    write(
        &root,
        &format!("{six}/METADATA"),
        b"Name: six\nVersion: 1.16.0\n",
    );
    write(
        &root,
        "usr/local/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA",
        b"Name: Flask\nVersion: 2.0.0\n",
    );
    write(
        &root,
        "app/node_modules/minimist/package.json",
        br#"{"name": "minimist", "version": "1.2.5"}"#,
    );
    root
}

fn osv_db(dir: &Path) -> PathBuf {
    let db = dir.join("osv");
    let records = [
        json!({"id": "KWTEST-PY-1", "aliases": ["CVE-2099-0001"], "summary": "Flask test issue",
               "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "PyPI", "name": "flask"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}],
               "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}]}),
        json!({"id": "KWTEST-DEB-1", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                             "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.11-1~deb12u3"}]}]}]}),
        json!({"id": "KWTEST-NPM-1", "modified": "2024-01-01T00:00:00Z",
               "affected": [{"package": {"ecosystem": "npm", "name": "minimist"},
                             "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}]}]}],
               "database_specific": {"severity": "LOW"}}),
    ];
    for r in &records {
        write(
            &db,
            &format!("{}.json", r["id"].as_str().expect("id")),
            serde_json::to_string_pretty(r).expect("json").as_bytes(),
        );
    }
    db
}

const SBOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "version": 1,
  "metadata": {"component": {"type": "container", "name": "registry.example/shop/web:1.0"}},
  "components": [
    {"type": "library", "name": "lodash", "version": "4.17.15", "purl": "pkg:npm/lodash@4.17.15"},
    {"type": "library", "name": "smallvec", "version": "1.6.0", "purl": "pkg:cargo/smallvec@1.6.0"},
    {"type": "library", "name": "left-pad", "version": "1.3.0", "purl": "pkg:npm/left-pad@1.3.0"}
  ]
}"#;

const MANIFESTS: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.example/shop/web:1.0
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{port: 80}]
"#;

/// Runs kubeward; the output with the temporary folder and timestamps replaced.
fn run(tmp: &Path, args: &[&str]) -> String {
    let out = kubeward()
        .current_dir(tmp)
        .args(args)
        .output()
        .expect("run");
    let mut text = format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let tmp = tmp.to_str().expect("utf8");
    text = text
        .replace(tmp, "<TMP>")
        .replace(env!("CARGO_MANIFEST_DIR"), "<CRATE>");
    // RFC 3339 timestamps of the store (added/matched at) are not stable
    let mut outs = String::with_capacity(text.len());
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let ts = b.len() - i >= 20
            && b[i..i + 4].iter().all(u8::is_ascii_digit)
            && b[i + 4] == b'-'
            && b[i + 7] == b'-'
            && b[i + 10] == b'T'
            && b[i + 13] == b':';
        if ts {
            let mut j = i + 19;
            while j < b.len()
                && (b[j].is_ascii_digit() || matches!(b[j], b'.' | b'Z' | b'+' | b':' | b'-'))
            {
                j += 1;
            }
            outs.push_str("<TIME>");
            i = j;
        } else {
            let c = text[i..].chars().next().expect("char");
            outs.push(c);
            i += c.len_utf8();
        }
    }
    outs
}

#[test]
fn sbom_formats() {
    let dir = tempfile::tempdir().expect("tmp");
    debian_root(dir.path());
    // relative paths: SBOM serial numbers derive from the content and the source's name
    let root = "root";
    for format in ["cyclonedx", "spdx", "json", "table"] {
        insta::assert_snapshot!(
            format!("sbom_{format}"),
            run(dir.path(), &["sbom", root, "--format", format])
        );
    }
}

#[test]
fn vuln_formats() {
    let dir = tempfile::tempdir().expect("tmp");
    debian_root(dir.path());
    osv_db(dir.path());
    let (root, db) = ("root", "osv");
    for format in ["text", "json", "sarif", "cyclonedx"] {
        insta::assert_snapshot!(
            format!("vuln_{format}"),
            run(dir.path(), &["vuln", root, "--db", db, "--format", format])
        );
    }
}

#[test]
fn inventory_and_scan_with_inventory() {
    let dir = tempfile::tempdir().expect("tmp");
    let store = dir.path().join("inv.db");
    let store = store.to_str().expect("utf8");
    let sbom = dir.path().join("web.cdx.json");
    std::fs::write(&sbom, SBOM).expect("sbom");
    let osv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv");
    let osv = osv.to_str().expect("utf8");
    let manifests = dir.path().join("shop.yaml");
    std::fs::write(&manifests, MANIFESTS).expect("manifests");
    let t = dir.path();
    let mut log = String::new();
    for args in [
        vec![
            "inventory",
            "add",
            sbom.to_str().expect("utf8"),
            "--store",
            store,
        ],
        vec![
            "inventory",
            "rescan",
            "--store",
            store,
            "--db",
            osv,
            "--format",
            "json",
        ],
        vec!["inventory", "list", "--store", store, "--format", "json"],
        vec!["inventory", "list", "--store", store],
        vec![
            "scan",
            manifests.to_str().expect("utf8"),
            "--format",
            "json",
            "--select",
            "vulnerable-image",
            "--inventory",
            store,
        ],
    ] {
        log.push_str(&format!(
            "$ kubeward {}\n",
            args.join(" ")
                .replace(t.to_str().expect("utf8"), "<TMP>")
                .replace(env!("CARGO_MANIFEST_DIR"), "<CRATE>")
        ));
        log.push_str(&run(t, &args));
        log.push('\n');
    }
    insta::assert_snapshot!("inventory_and_scan", log);
}
