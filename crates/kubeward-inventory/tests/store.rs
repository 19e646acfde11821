//! The inventory store: add, list, find, rescan deltas against real OSV records, schema
//! migration from version 1, damaged stores, concurrent writers.

use kubeward_image::package::{Ecosystem, Package};
use kubeward_image::Catalog;
use kubeward_inventory::store::{schema, NewImage, Store, StoreError};
use kubeward_vuln::osv::Database;
use std::path::{Path, PathBuf};

fn corpus(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/osv")
        .join(sub)
}

fn db(folders: &[&str]) -> Database {
    let mut db = Database::new();
    for f in folders {
        db.add_path(&corpus(f)).expect("corpus folder");
    }
    db
}

fn catalog(pkgs: &[(Ecosystem, &str, &str)]) -> Catalog {
    Catalog {
        packages: pkgs
            .iter()
            .map(|(e, n, v)| Package::new(*e, *n, *v))
            .collect(),
        ..Catalog::default()
    }
}

fn app_catalog() -> Catalog {
    catalog(&[
        (Ecosystem::Npm, "lodash", "4.17.15"),
        (Ecosystem::Cargo, "smallvec", "1.6.0"),
        (Ecosystem::Pypi, "flask", "1.1.2"),
        (Ecosystem::Pypi, "requests", "2.25.1"),
        (Ecosystem::Npm, "left-pad", "1.3.0"),
    ])
}

const DIGEST_A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
const DIGEST_B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

#[test]
fn add_list_find() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("inv.db")).unwrap();
    assert_eq!(s.schema_version().unwrap(), schema::CURRENT);
    let c = app_catalog();
    let a = s
        .add(&NewImage {
            reference: "registry.example/shop/web:1.0",
            digest: Some(DIGEST_A),
            index_digest: Some(DIGEST_B),
            catalog: &c,
        })
        .unwrap();
    assert_eq!(a.reference, "registry.example/shop/web:1.0");
    assert_eq!(a.packages, 5);
    assert!(!a.already_present);
    let again = s
        .add(&NewImage {
            reference: "registry.example/shop/web:1.0",
            digest: Some(DIGEST_A),
            index_digest: None,
            catalog: &c,
        })
        .unwrap();
    assert!(again.already_present);
    // no digest: derived from the SBOM, stable for the same content
    let r1 = s
        .add(&NewImage {
            reference: "/tmp/rootfs",
            digest: None,
            index_digest: None,
            catalog: &catalog(&[(Ecosystem::Npm, "lodash", "4.17.21")]),
        })
        .unwrap();
    assert!(r1.digest.starts_with("sha256:") && r1.digest.len() == 71);

    let list = s.images().unwrap();
    assert_eq!(list.len(), 2);
    let web = list.iter().find(|i| i.digest == DIGEST_A).unwrap();
    assert_eq!(web.packages, 5);
    assert_eq!(web.matched_at, None);
    assert_eq!(web.index_digest.as_deref(), Some(DIGEST_B));

    // by reference (normalised), by manifest digest, by index digest
    assert_eq!(
        s.find("registry.example/shop/web:1.0")
            .unwrap()
            .unwrap()
            .digest,
        DIGEST_A
    );
    assert!(s
        .find(&format!("other.example/x@{DIGEST_A}"))
        .unwrap()
        .is_some());
    assert!(s
        .find(&format!("registry.example/shop/web@{DIGEST_B}"))
        .unwrap()
        .is_some());
    assert!(s.find("registry.example/shop/web:2.0").unwrap().is_none());
}

#[test]
fn rescan_reports_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = Store::open(&dir.path().join("inv.db")).unwrap();
    let c = app_catalog();
    s.add(&NewImage {
        reference: "registry.example/shop/web:1.0",
        digest: Some(DIGEST_A),
        index_digest: None,
        catalog: &c,
    })
    .unwrap();

    // 1: only the RustSec records are known
    let r = s.rescan(&db(&["crates.io"])).unwrap();
    assert_eq!(r.images, 1);
    assert_eq!(r.packages, 5);
    let ids: Vec<&str> = r
        .newly_vulnerable
        .iter()
        .map(|c| c.vulnerability.id.as_str())
        .collect();
    assert_eq!(ids, ["RUSTSEC-2021-0003"]);
    assert!(r.newly_vulnerable[0].first_match);
    assert_eq!(
        r.newly_vulnerable[0].images,
        ["registry.example/shop/web:1.0"]
    );
    assert!(r.newly_fixed.is_empty());
    assert_eq!(r.unchanged, 0);

    // 2: advisories for npm and PyPI arrive; the image is not read again
    let r = s.rescan(&db(&["crates.io", "npm", "pypi"])).unwrap();
    let mut ids: Vec<&str> = r
        .newly_vulnerable
        .iter()
        .map(|c| c.vulnerability.id.as_str())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        ["GHSA-p6mc-m468-83gw", "PYSEC-2023-62", "PYSEC-2023-74"]
    );
    assert!(r.newly_vulnerable.iter().all(|c| !c.first_match));
    assert_eq!(r.unchanged, 1);
    assert_eq!(r.total, 4);
    assert!(r.newly_fixed.is_empty());

    // the same database again: nothing new
    let same = s.rescan(&db(&["crates.io", "npm", "pypi"])).unwrap();
    assert!(same.newly_vulnerable.is_empty() && same.newly_fixed.is_empty());
    assert_eq!(same.unchanged, 4);
    assert_eq!(same.db_fingerprint, r.db_fingerprint);

    // 3: the RustSec record is gone (withdrawn): reported as no longer matching
    let r3 = s.rescan(&db(&["npm", "pypi"])).unwrap();
    assert_ne!(r3.db_fingerprint, r.db_fingerprint);
    let fixed: Vec<&str> = r3
        .newly_fixed
        .iter()
        .map(|c| c.vulnerability.id.as_str())
        .collect();
    assert_eq!(fixed, ["RUSTSEC-2021-0003"]);
    assert_eq!(r3.newly_fixed[0].vulnerability.package, "smallvec");
    assert_eq!(r3.unchanged, 3);

    // the stored result is the last one
    let rec = s.find(DIGEST_A).unwrap().unwrap();
    assert_eq!(rec.matches.len(), 3);
    assert_eq!(
        rec.db_fingerprint.as_deref(),
        Some(r3.db_fingerprint.as_str())
    );
    let list = s.images().unwrap();
    assert_eq!(list[0].matches.total(), 3);
    let lodash = rec.matches.iter().find(|m| m.package == "lodash").unwrap();
    assert_eq!(lodash.state, kubeward_vuln::osv::FixState::Fixed);
    assert_eq!(lodash.fixed_in.as_deref(), Some("4.17.20"));
    assert_eq!(lodash.severity, Some(kubeward_vuln::osv::CvssLevel::High));
}

/// The v1 schema has no match tables; opening it with this build migrates it in place and
/// keeps its images, SBOMs and packages.
#[test]
fn migrates_from_version_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let s = Store::open_at_version(&path, 1).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
    }
    // write rows the way a version-1 kubeward did
    let doc = kubeward_image::sbom::to_cyclonedx(&app_catalog(), &Default::default());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO images (reference, digest, added_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                "registry.example/shop/web:0.9",
                DIGEST_A,
                "2024-01-01T00:00:00Z"
            ],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO sboms (digest, document) VALUES (?1, ?2)",
            rusqlite::params![DIGEST_A, doc],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO packages (digest, ecosystem, name, version, purl) VALUES (?1, 'npm', 'lodash', '4.17.15', 'pkg:npm/lodash@4.17.15')",
            [DIGEST_A],
        )
        .unwrap();
        // a v1 store has no matches table
        assert!(conn
            .query_row("SELECT count(*) FROM matches", [], |r| r.get::<_, i64>(0))
            .is_err());
    }
    let mut s = Store::open(&path).unwrap();
    assert_eq!(s.schema_version().unwrap(), schema::CURRENT);
    let list = s.images().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].reference, "registry.example/shop/web:0.9");
    assert_eq!(list[0].added_at, "2024-01-01T00:00:00Z");
    assert_eq!(list[0].packages, 1);
    let r = s.rescan(&db(&["npm", "crates.io"])).unwrap();
    assert_eq!(r.total, 2, "{r:#?}");
    // idempotent: opening again does not migrate twice
    drop(s);
    assert_eq!(
        Store::open(&path).unwrap().schema_version().unwrap(),
        schema::CURRENT
    );
}

#[test]
fn damaged_stores_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    // not a database at all
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"this is not sqlite, just text that is long enough to be a header ...................................................").unwrap();
    let e = Store::open(&junk).unwrap_err();
    assert!(matches!(e, StoreError::Corrupt { .. }), "{e}");
    assert!(e.to_string().contains("corrupt"), "{e}");

    // a SQLite file claiming our current version but without our tables: another
    // program's, refused and left as it was
    let other = dir.path().join("other.db");
    {
        let c = rusqlite::Connection::open(&other).unwrap();
        c.execute_batch("CREATE TABLE t (x); PRAGMA user_version = 2;")
            .unwrap();
    }
    let before = std::fs::read(&other).unwrap();
    let e = Store::open(&other).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains("not a kubeward store"), "{e}");
    let e = Store::open_read_only(&other).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");
    assert_eq!(std::fs::read(&other).unwrap(), before);
    // another program's marker
    let marked = dir.path().join("marked.db");
    {
        let c = rusqlite::Connection::open(&marked).unwrap();
        c.execute_batch("PRAGMA application_id = 1234;").unwrap();
    }
    let e = Store::open(&marked).unwrap_err();
    assert!(matches!(e, StoreError::NotAStore { .. }), "{e}");

    // written by a newer kubeward
    let newer = dir.path().join("newer.db");
    {
        let c = rusqlite::Connection::open(&newer).unwrap();
        c.execute_batch("PRAGMA user_version = 99;").unwrap();
    }
    let e = Store::open(&newer).unwrap_err();
    assert!(matches!(e, StoreError::TooNew { found: 99, .. }), "{e}");

    // a folder
    let e = Store::open(dir.path()).unwrap_err();
    assert!(matches!(e, StoreError::Open { .. }), "{e}");

    // a stored SBOM that no longer parses: rescan names it and keeps its (absent) results,
    // the other image is rescanned and committed
    let path = dir.path().join("inv.db");
    let mut s = Store::open(&path).unwrap();
    for (r, d) in [("a.example/x:1", DIGEST_A), ("b.example/y:1", DIGEST_B)] {
        s.add(&NewImage {
            reference: r,
            digest: Some(d),
            index_digest: None,
            catalog: &app_catalog(),
        })
        .unwrap();
    }
    drop(s);
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute(
            "UPDATE sboms SET document = '{not json' WHERE digest = ?1",
            [DIGEST_A],
        )
        .unwrap();
    }
    let mut s = Store::open(&path).unwrap();
    let r = s.rescan(&db(&["crates.io"])).unwrap();
    assert_eq!(r.failed.len(), 1, "{r:#?}");
    assert_eq!(r.failed[0].digest, DIGEST_A);
    assert_eq!(r.failed[0].images, ["a.example/x:1"]);
    assert_eq!(r.images, 1);
    let list = s.images().unwrap();
    let by = |d: &str| list.iter().find(|i| i.digest == d).unwrap().clone();
    assert!(by(DIGEST_A).matched_at.is_none());
    assert!(by(DIGEST_B).matched_at.is_some());

    // a truncated store file
    let trunc = dir.path().join("trunc.db");
    let good = dir.path().join("good.db");
    {
        let mut g = Store::open(&good).unwrap();
        for i in 0..50 {
            g.add(&NewImage {
                reference: &format!("a.example/x:{i}"),
                digest: None,
                index_digest: None,
                catalog: &catalog(&[(Ecosystem::Npm, "pkg", &format!("1.0.{i}"))]),
            })
            .unwrap();
        }
    }
    // checkpointed on close; keep half of the main file
    let bytes = std::fs::read(&good).unwrap();
    std::fs::write(&trunc, &bytes[..bytes.len() / 2]).unwrap();
    match Store::open(&trunc).and_then(|s| s.images().map(|_| s)) {
        Ok(_) => {} // SQLite may read the surviving pages without noticing
        Err(e) => assert!(
            matches!(e, StoreError::Corrupt { .. } | StoreError::Sql { .. }),
            "{e}"
        ),
    }
}

#[test]
fn concurrent_writers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inv.db");
    Store::open(&path).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let path = path.clone();
            std::thread::spawn(move || {
                let mut s = Store::open(&path).unwrap();
                for i in 0..10 {
                    let c = catalog(&[(Ecosystem::Npm, "lodash", &format!("4.17.{i}"))]);
                    s.add(&NewImage {
                        reference: &format!("r.example/t{t}:{i}"),
                        digest: None,
                        index_digest: None,
                        catalog: &c,
                    })
                    .unwrap();
                    if i % 5 == 0 {
                        s.rescan(&Database::new()).unwrap();
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let s = Store::open(&path).unwrap();
    assert_eq!(s.images().unwrap().len(), 40);
}

/// A store written before the application_id marker (kubeward's tables, no marker) is
/// accepted, read-only as it is, and marked by the next writer.
#[test]
fn unmarked_stores_of_earlier_kubewards_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut s = Store::open(&path).unwrap();
        s.add(&NewImage {
            reference: "a.example/x:1",
            digest: Some(DIGEST_A),
            index_digest: None,
            catalog: &app_catalog(),
        })
        .unwrap();
    }
    let app_id = |p: &Path| {
        rusqlite::Connection::open(p)
            .unwrap()
            .query_row("PRAGMA application_id", [], |r| r.get::<_, i32>(0))
            .unwrap()
    };
    assert_eq!(app_id(&path), kubeward_inventory::store::APPLICATION_ID);
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("PRAGMA application_id = 0;")
        .unwrap();
    let r = Store::open_read_only(&path).unwrap();
    assert_eq!(r.images().unwrap().len(), 1);
    drop(r);
    assert_eq!(app_id(&path), 0);
    Store::open(&path).unwrap();
    assert_eq!(app_id(&path), kubeward_inventory::store::APPLICATION_ID);
    // a missing file is not created by a reader
    let none = dir.path().join("none.db");
    assert!(matches!(
        Store::open_read_only(&none),
        Err(StoreError::Open { .. })
    ));
    assert!(!none.exists());
}
