//! Test helpers shared by the CLI test binaries (`mod support;` from `vuln_cli.rs`,
//! `inventory_cli.rs`, `build_stage_snapshots.rs`, `db_update.rs`; the adversarial suite
//! includes it with `#[path]`): the build-stage fixtures and the loopback HTTP server pieces.
//! Each binary uses a part of it, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod http;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Writes `data` to `root/rel`, creating folders.
pub fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// The dpkg status of [`debian_root`].
pub const DPKG_STATUS: &str = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n\nPackage: python3-six\nStatus: install ok installed\nArchitecture: all\nSource: six\nVersion: 1.16.0-4\n";

/// A Debian 12 root (`dir/root`): libssl3 (source openssl), python3-six which owns the `six`
/// dist-info, Flask from pip, minimist from npm; with `weird` (`dir/root-weird`), also a
/// Python package whose version does not parse.
pub fn debian_root(dir: &Path, weird: bool) -> PathBuf {
    let root = dir.join(if weird { "root-weird" } else { "root" });
    write(
        &root,
        "etc/os-release",
        b"ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    write(&root, "var/lib/dpkg/status", DPKG_STATUS.as_bytes());
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
    if weird {
        write(
            &root,
            "usr/local/lib/python3.11/site-packages/weird-1.0.dist-info/METADATA",
            b"Name: weird\nVersion: 1.0-bad!!\n",
        );
    }
    root
}

/// OSV records for [`debian_root`] (synthetic ids, real schema): Flask < 2.2.5 (high, with
/// a CVSS vector), openssl < 3.0.11-1~deb12u3 on Debian 12, every minimist (low).
pub fn osv_records() -> Vec<Value> {
    vec![
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
    ]
}

/// A folder `dir/osv` of OSV JSON files: `records`, one file each, named by id.
pub fn osv_db(dir: &Path, records: &[Value]) -> PathBuf {
    let db = dir.join("osv");
    for r in records {
        write(
            &db,
            &format!("{}.json", r["id"].as_str().expect("id")),
            serde_json::to_string_pretty(r).expect("json").as_bytes(),
        );
    }
    db
}

/// A CycloneDX SBOM as another tool would write it: lodash 4.17.15 (GHSA-p6mc-m468-83gw,
/// high) and smallvec 1.6.0 (RUSTSEC-2021-0003), plus a package no record names.
pub const SBOM: &str = r#"{
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

/// The Deployment `shop/web` running the [`SBOM`]'s image, exposed by a LoadBalancer
/// Service.
pub const WEB_MANIFESTS: &str = r#"
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

/// Asserts that the vulnerability database folder `dir` still holds `zip` as its PyPI feed
/// and `manifest` as its manifest (a failed `db update` left it as it was); `what` names
/// the case in the failure message.
pub fn assert_database_unchanged(dir: &Path, zip: &[u8], manifest: &[u8], what: &str) {
    assert!(
        std::fs::read(dir.join("PyPI/all.zip")).expect("zip") == zip,
        "{what}: PyPI/all.zip changed"
    );
    assert!(
        std::fs::read(dir.join("manifest.json")).expect("manifest") == manifest,
        "{what}: manifest.json changed"
    );
}
