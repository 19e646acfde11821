//! Class 8: the inventory store. Readers do not wait for a writer (WAL, read-only opens); a
//! store that cannot be read still leaves `scan` a report; a SQLite file that is not a
//! kubeward store is refused and left untouched; one corrupt stored SBOM does not stop a
//! rescan of the others.

use super::common::{os, run_build_stage as run, write, APP_POD as MANIFEST};
use std::ffi::OsString;
use std::path::Path;

fn record(id: &str, name: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"{name}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"9.0"}}]}}]}}]}}"#
    )
}

fn sbom(image: &str, package: &str) -> String {
    format!(
        r#"{{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {{"component": {{"type": "container", "name": "{image}"}}}},
  "components": [{{"type": "library", "name": "{package}", "version": "1.0", "purl": "pkg:pypi/{package}@1.0"}}]}}"#
    )
}

/// A store with `registry.example/app:1` (flask) and `registry.example/other:1` (jinja2),
/// both matched against a database naming both packages; returns (store, database folder).
fn seeded(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let store = dir.join("inv.db");
    let db = dir.join("osv");
    write(&db, "KW-FLASK.json", record("KW-FLASK", "flask"));
    write(&db, "KW-JINJA.json", record("KW-JINJA", "jinja2"));
    for (image, pkg) in [
        ("registry.example/app:1", "flask"),
        ("registry.example/other:1", "jinja2"),
    ] {
        let f = write(dir, &format!("{pkg}.cdx.json"), sbom(image, pkg));
        let (code, out, err) = run(&[
            os("inventory"),
            os("add"),
            f.as_os_str(),
            os("--store"),
            store.as_os_str(),
        ]);
        assert_eq!(code, 0, "{out}{err}");
    }
    (store, db)
}

fn inventory_flag(store: &Path) -> OsString {
    let mut s = OsString::from("--inventory=");
    s.push(store);
    s
}

#[test]
fn readers_do_not_wait_for_a_writer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (store, db) = seeded(tmp.path());
    let (code, out, err) = run(&[
        os("inventory"),
        os("rescan"),
        os("--db"),
        db.as_os_str(),
        os("--store"),
        store.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let manifests = write(tmp.path(), "pod.yaml", MANIFEST);
    // another process holds the write lock (as a running rescan or add does)
    let conn = rusqlite::Connection::open(&store).expect("open");
    conn.execute_batch("BEGIN IMMEDIATE; DELETE FROM match_runs WHERE 0;")
        .expect("write lock");
    let (code, out, err) = run(&[
        os("inventory"),
        os("list"),
        os("--store"),
        store.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("registry.example/app:1"), "{out}");
    let inv = inventory_flag(&store);
    let (code, out, err) = run(&[
        os("scan"),
        manifests.as_os_str(),
        &inv,
        os("--select"),
        os("vulnerable-image"),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("KW-FLASK"), "{out}");
    conn.execute_batch("COMMIT").expect("commit");
}

#[test]
fn scan_reports_even_when_the_store_cannot_be_read() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (store, _) = seeded(tmp.path());
    let manifests = write(tmp.path(), "pod.yaml", MANIFEST);
    // an exclusive lock: even WAL readers must wait, then give up
    let conn = rusqlite::Connection::open(&store).expect("open");
    conn.execute_batch(
        "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; DELETE FROM match_runs WHERE 0;",
    )
    .expect("exclusive lock");
    let inv = inventory_flag(&store);
    let (code, out, err) = run(&[os("scan"), manifests.as_os_str(), &inv]);
    assert_eq!(code, 2, "{out}{err}");
    // the report is there (the manifest's own findings) and names the inventory error
    assert!(out.contains("pod.yaml"), "{out}");
    assert!(out.contains("inventory store"), "{out}");
    conn.execute_batch("COMMIT").expect("commit");
}

#[test]
fn a_sqlite_file_that_is_not_a_kubeward_store_is_refused_untouched() {
    let tmp = tempfile::tempdir().expect("tmp");
    let other = tmp.path().join("notes.db");
    {
        let c = rusqlite::Connection::open(&other).expect("open");
        c.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
            .expect("create");
    }
    let before = std::fs::read(&other).expect("read");
    let f = write(
        tmp.path(),
        "a.cdx.json",
        sbom("registry.example/app:1", "flask"),
    );
    let db = tmp.path().join("osv");
    write(&db, "KW-FLASK.json", record("KW-FLASK", "flask"));
    let manifests = write(tmp.path(), "pod.yaml", MANIFEST);
    let inv = inventory_flag(&other);
    for args in [
        vec![
            os("inventory"),
            os("list"),
            os("--store"),
            other.as_os_str(),
        ],
        vec![
            os("inventory"),
            os("add"),
            f.as_os_str(),
            os("--store"),
            other.as_os_str(),
        ],
        vec![
            os("inventory"),
            os("rescan"),
            os("--db"),
            db.as_os_str(),
            os("--store"),
            other.as_os_str(),
        ],
        vec![os("scan"), manifests.as_os_str(), &inv],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(
            format!("{out}{err}").contains("not a kubeward store"),
            "{args:?}: {out}{err}"
        );
        assert_eq!(std::fs::read(&other).expect("read"), before, "{args:?}");
        assert!(!tmp.path().join("notes.db-wal").exists(), "{args:?}");
    }
}

#[test]
fn one_corrupt_stored_sbom_does_not_stop_a_rescan() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (store, db) = seeded(tmp.path());
    {
        let c = rusqlite::Connection::open(&store).expect("open");
        let n = c
            .execute(
                "UPDATE sboms SET document = '{not json' WHERE digest IN
                   (SELECT digest FROM images WHERE reference = 'registry.example/app:1')",
                [],
            )
            .expect("corrupt one row");
        assert_eq!(n, 1);
    }
    let (code, out, err) = run(&[
        os("inventory"),
        os("rescan"),
        os("--db"),
        db.as_os_str(),
        os("--store"),
        store.as_os_str(),
        os("--format"),
        os("json"),
    ]);
    assert_eq!(code, 2, "{out}{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json report");
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(1), "{v:#}");
    assert!(v["failed"][0]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(v["images"], 1, "{v:#}");
    assert_eq!(v["newly_vulnerable"][0]["id"], "KW-JINJA", "{v:#}");
    // committed: the list shows the other image matched
    let (code, out, err) = run(&[
        os("inventory"),
        os("list"),
        os("--format"),
        os("json"),
        os("--store"),
        store.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let other = v["images"]
        .as_array()
        .expect("images")
        .iter()
        .find(|i| i["reference"] == "registry.example/other:1")
        .expect("other");
    assert!(other["matched_at"].is_string(), "{v:#}");
    assert_eq!(other["matches"]["unknown"], 1, "{v:#}");
}
