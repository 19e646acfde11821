//! The build stage's outputs, pinned (issue 12): `sbom` in every format, `vuln` in every
//! format, `inventory add/rescan/list` and `scan --inventory`, on a small root filesystem, a
//! CycloneDX SBOM and the vendored OSV records. The snapshots were recorded before the
//! build-stage crates were reshaped, so a refactor that changes an output shows up here; a
//! deliberate change (a new field, a new component) is re-recorded and reviewed
//! (`INSTA_UPDATE=always cargo test -p kubeward --test build_stage_snapshots`).

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::{debian_root, osv_db, osv_records, SBOM, WEB_MANIFESTS as MANIFESTS};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("KUBEWARD_DATA_DIR")
        .env_remove("KUBEWARD_CACHE_DIR")
        .env("NO_COLOR", "1")
        .env("CLICOLOR", "0");
    c
}

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
    debian_root(dir.path(), false);
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
    debian_root(dir.path(), false);
    osv_db(dir.path(), &osv_records());
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
