//! Class 7: fail-open. A vulnerability database that is empty, or whose records all fail to
//! load, is an error (exit 2, on standard error), never "0 vulnerabilities" with exit 0; a
//! rescan against it does not wipe the stored matches that `scan --inventory` reports.

use super::common::{os, run_build_stage as run, write, APP_POD as MANIFEST};
use std::path::Path;

fn record(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"flask"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2.2.5"}}]}}]}}]}}"#
    )
}

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {"component": {"type": "container", "name": "registry.example/app:1"}},
  "components": [{"type": "library", "name": "flask", "version": "2.0.0", "purl": "pkg:pypi/flask@2.0.0"}]}"#;

/// Databases that hold nothing a match could use: an empty folder, a folder of broken
/// records, a zip with no record, a record file that is not JSON.
fn empty_databases(dir: &Path) -> Vec<std::path::PathBuf> {
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    let broken = dir.join("broken");
    write(&broken, "A.json", "{not json");
    write(&broken, "B.json", r#"{"summary": "no id"}"#);
    write(&broken, "C.json", r#"{"id": "X-1", "affected": "nope"}"#);
    let one = write(dir, "one.json", "<html>oops</html>");
    vec![empty, broken, one]
}

#[test]
fn vuln_with_an_empty_or_broken_database_is_an_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sbom = write(tmp.path(), "app.cdx.json", SBOM);
    for db in empty_databases(tmp.path()) {
        for format in ["text", "json"] {
            let (code, out, err) = run(&[
                os("vuln"),
                os("--format"),
                os(format),
                os("--db"),
                db.as_os_str(),
                sbom.as_os_str(),
            ]);
            assert_eq!(code, 2, "{}: {out}{err}", db.display());
            assert!(
                !out.contains("0 vulnerabilities"),
                "{}: {out}",
                db.display()
            );
            assert!(
                err.contains("no loadable OSV record"),
                "{}: {err}",
                db.display()
            );
        }
    }
}

#[test]
fn vuln_warnings_go_to_standard_error() {
    let tmp = tempfile::tempdir().expect("tmp");
    let sbom = write(tmp.path(), "app.cdx.json", SBOM);
    let db = tmp.path().join("db");
    write(&db, "KW-1.json", record("KW-1"));
    write(&db, "KW-2.json", "{not json");
    let (code, out, err) = run(&[os("vuln"), os("--db"), db.as_os_str(), sbom.as_os_str()]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("KW-1"), "{out}");
    assert!(!out.contains("warning"), "{out}");
    assert!(err.contains("could not be loaded"), "{err}");
    assert!(err.contains("KW-2.json"), "{err}");
}

#[test]
fn a_rescan_against_an_empty_database_keeps_the_stored_matches() {
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("inv.db");
    let sbom = write(tmp.path(), "app.cdx.json", SBOM);
    let good = tmp.path().join("good");
    write(&good, "KW-1.json", record("KW-1"));
    let (code, _, err) = run(&[
        os("inventory"),
        os("add"),
        sbom.as_os_str(),
        os("--store"),
        store.as_os_str(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(&[
        os("inventory"),
        os("rescan"),
        os("--db"),
        good.as_os_str(),
        os("--store"),
        store.as_os_str(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("KW-1"), "{out}");
    let manifests = write(tmp.path(), "pod.yaml", MANIFEST);
    for db in empty_databases(tmp.path()) {
        let (code, out, err) = run(&[
            os("inventory"),
            os("rescan"),
            os("--db"),
            db.as_os_str(),
            os("--store"),
            store.as_os_str(),
        ]);
        assert_eq!(code, 2, "{}: {out}{err}", db.display());
        assert!(err.contains("no loadable OSV record"), "{err}");
        // the match of the good database is still what scan reports
        let mut inv = std::ffi::OsString::from("--inventory=");
        inv.push(&store);
        let (code, out, err) = run(&[
            os("scan"),
            manifests.as_os_str(),
            &inv,
            os("--select"),
            os("vulnerable-image"),
        ]);
        assert_eq!(code, 1, "{}: {out}{err}", db.display());
        assert!(out.contains("KW-1"), "{}: {out}", db.display());
    }
}
