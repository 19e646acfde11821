//! Class 3: control characters from input must not reach the terminal. `scan` escaped C0
//! controls but not the bidirectional overrides (U+202E...); `sbom --format table`, `vuln` and
//! `inventory add|list|rescan` printed package names, versions, OSV ids and image names raw.

use crate::common::{has_raw_control, kubeward, texts, write};
use std::path::{Path, PathBuf};

/// ESC sequences (clear screen, set title, colour), a C1 CSI, and a right-to-left override.
const EVIL: &str = "ev\u{1b}[2J\u{1b}]0;pwned\u{7}il\u{9b}31m\u{202e}txt.exe";

fn assert_clean(what: &str, out: &std::process::Output) {
    let (stdout, stderr) = texts(out);
    assert!(
        !has_raw_control(&stdout),
        "{what}: raw control on stdout: {stdout:?}"
    );
    assert!(
        !has_raw_control(&stderr),
        "{what}: raw control on stderr: {stderr:?}"
    );
}

#[test]
fn scan_text_escapes_names_annotations_and_bidi() {
    let dir = tempfile::tempdir().expect("tempdir");
    let name = serde_json::to_string(&format!("web{EVIL}")).expect("json");
    let reason = serde_json::to_string(&format!("reviewed{EVIL}")).expect("json");
    let manifest = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  annotations:\n    kubeward.io/ignore: missing-liveness-probe\n    kubeward.io/ignore-reason: {reason}\nspec:\n  containers:\n  - name: {name}\n    image: \"x:1\"\n    securityContext: {{privileged: true}}\n"
    );
    let f = write(dir.path(), "pod.yaml", manifest);
    for extra in [&[][..], &["--color", "always"][..]] {
        let out = kubeward()
            .arg("scan")
            .arg(&f)
            .arg("--show-suppressed")
            .args(extra)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(1), "{}", texts(&out).1);
        let (stdout, _) = texts(&out);
        assert!(stdout.contains("\\u{202e}"), "{stdout}");
        if extra.is_empty() {
            assert_clean("scan", &out);
        } else {
            // colour codes (SGR: ESC [ digits ; m) are ours; nothing else may be raw
            let (stdout, _) = texts(&out);
            let plain = strip_sgr(&stdout);
            assert!(!has_raw_control(&plain), "{plain:?}");
        }
    }
}

/// `text` without the SGR colour sequences the text report writes itself.
fn strip_sgr(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find("\u{1b}[") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let n = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[n..].starts_with('m') {
            rest = &after[n + 1..];
        } else {
            out.push('\u{1b}');
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// A Debian root whose dpkg database names a package and a version with control characters.
fn evil_root(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    write(
        &root,
        "etc/os-release",
        "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
    );
    write(
        &root,
        "var/lib/dpkg/status",
        format!(
            "Package: pkg{EVIL}\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1.0{EVIL}\n\nPackage: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.1-1\n"
        ),
    );
    root
}

/// An OSV folder with a record whose id and summary carry control characters, affecting the
/// `openssl` package of [`evil_root`].
fn evil_db(dir: &Path) -> PathBuf {
    let db = dir.join("osv");
    let record = serde_json::json!({
        "id": format!("KW-{EVIL}"),
        "summary": format!("bad{EVIL}"),
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "Debian:12", "name": "openssl"},
                      "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.0.2-1"}]}]}]
    });
    write(&db, "KW-1.json", serde_json::to_vec(&record).expect("json"));
    db
}

#[test]
fn sbom_table_escapes_package_names_and_versions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = evil_root(dir.path());
    let out = kubeward()
        .arg("sbom")
        .arg(&root)
        .args(["--format", "table"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", texts(&out).1);
    assert!(
        texts(&out).0.contains("pkgev\\u{1b}[2J"),
        "{}",
        texts(&out).0
    );
    assert_clean("sbom table", &out);
}

#[test]
fn vuln_text_escapes_osv_ids_and_packages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = evil_root(dir.path());
    let db = evil_db(dir.path());
    let out = kubeward()
        .arg("vuln")
        .arg(&root)
        .arg("--db")
        .arg(&db)
        .env("KUBEWARD_CACHE_DIR", dir.path().join("cache"))
        .output()
        .expect("run");
    let (stdout, stderr) = texts(&out);
    assert!(stdout.contains("KW-ev\\u{1b}"), "{stdout}\n{stderr}");
    assert_clean("vuln", &out);
}

#[test]
fn inventory_output_escapes_references_and_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = evil_root(dir.path());
    let db = evil_db(dir.path());
    let store = dir.path().join("inv.db");
    let run = |args: &[&str]| {
        kubeward()
            .arg("inventory")
            .args(args)
            .arg("--store")
            .arg(&store)
            .env("KUBEWARD_CACHE_DIR", dir.path().join("cache"))
            .output()
            .expect("run")
    };
    let name = format!("img{EVIL}");
    let root_s = root.to_str().expect("utf-8 path");
    let add = run(&["add", root_s, "--name", &name]);
    assert_eq!(add.status.code(), Some(0), "{}", texts(&add).1);
    assert_clean("inventory add", &add);
    let db_s = db.to_str().expect("utf-8 path");
    let rescan = run(&["rescan", "--db", db_s]);
    assert!(texts(&rescan).0.contains("KW-ev"), "{:?}", texts(&rescan));
    assert_clean("inventory rescan", &rescan);
    let list = run(&["list"]);
    assert_eq!(list.status.code(), Some(0), "{}", texts(&list).1);
    assert!(
        texts(&list).0.contains("imgev\\u{1b}"),
        "{}",
        texts(&list).0
    );
    assert_clean("inventory list", &list);
    // an error quoting a hostile path
    let missing = dir.path().join(format!("missing{EVIL}"));
    let err = run(&["add", missing.to_str().expect("utf-8 path")]);
    assert_eq!(err.status.code(), Some(2));
    assert_clean("inventory add error", &err);
}

#[test]
fn errors_quoting_hostile_paths_are_escaped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join(format!("missing{EVIL}"));
    for cmd in ["sbom", "vuln"] {
        let out = kubeward()
            .arg(cmd)
            .arg(&missing)
            .env("KUBEWARD_CACHE_DIR", dir.path().join("cache"))
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{cmd}");
        assert_clean(cmd, &out);
    }
    // `db status` names its folder
    let out = kubeward()
        .args(["db", "status", "--db-dir"])
        .arg(&missing)
        .output()
        .expect("run");
    assert_clean("db status", &out);
    // `scan` with a hostile configuration or baseline path
    let ok = write(
        dir.path(),
        "ok.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: shop}\n",
    );
    for flag in ["--config", "--baseline"] {
        let out = kubeward()
            .arg("scan")
            .arg(&ok)
            .arg(flag)
            .arg(&missing)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(texts(&out).1.contains("\\u{1b}"), "{:?}", texts(&out));
        assert_clean(flag, &out);
    }
}
