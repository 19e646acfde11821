//! Matching against the real OSV records in `testdata/osv/` (see its SOURCES.md), with
//! the expectations of its EXPECTED_MATCHES.tsv.

use kubeward_vuln::osv::{Database, FixState, PackageQuery, VexDocument};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::PathBuf;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv")
}

/// The language packages that `tools/make_test_image.py` installs (ecosystem, name,
/// version): every package of the image that this corpus has records for, and more.
const IMAGE_PACKAGES: &[(&str, &str, &str)] = &[
    ("PyPI", "requests", "2.25.1"),
    ("PyPI", "urllib3", "1.26.4"),
    ("PyPI", "idna", "2.10"),
    ("PyPI", "certifi", "2020.12.5"),
    ("PyPI", "chardet", "4.0.0"),
    ("PyPI", "jinja2", "2.11.3"),
    ("PyPI", "markupsafe", "2.1.1"),
    ("PyPI", "flask", "1.1.2"),
    ("PyPI", "werkzeug", "1.0.1"),
    ("PyPI", "itsdangerous", "1.1.0"),
    ("PyPI", "click", "7.1.2"),
    ("npm", "lodash", "4.17.15"),
    ("npm", "minimist", "1.2.0"),
    ("npm", "axios", "0.21.0"),
    ("npm", "node-fetch", "2.6.0"),
    ("npm", "express", "4.17.1"),
    ("npm", "semver", "5.7.1"),
    ("crates.io", "smallvec", "1.6.0"),
    ("crates.io", "vulnapp", "0.1.0"),
    ("Go", "stdlib", "1.19.8"),
];

struct Expected {
    /// (ecosystem, package, version) → record ids expected to match the package version.
    yes: BTreeMap<(String, String, String), BTreeSet<String>>,
    /// Records whose range covers the version but that must not be reported for the image
    /// because the package is gone from the squashed view (whiteout).
    removed: BTreeMap<(String, String, String), BTreeSet<String>>,
}

fn expected() -> Expected {
    let text = std::fs::read_to_string(corpus().join("EXPECTED_MATCHES.tsv")).unwrap();
    let mut yes: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    let mut removed: BTreeMap<_, BTreeSet<String>> = BTreeMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with("osv_id\t") || line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 5, "bad row: {line}");
        let key = (f[1].to_string(), f[2].to_string(), f[3].to_string());
        if f[4] == "yes" {
            yes.entry(key).or_default().insert(f[0].to_string());
        } else {
            assert!(f[4].starts_with("NO"), "bad row: {line}");
            removed.entry(key).or_default().insert(f[0].to_string());
        }
    }
    Expected { yes, removed }
}

fn matched_records(db: &Database, eco: &str, name: &str, version: &str) -> BTreeSet<String> {
    let r = db.matches(&PackageQuery {
        name,
        version,
        ecosystem: eco,
        ..Default::default()
    });
    assert!(r.errors.is_empty(), "{name} {version}: {:?}", r.errors);
    r.matches
        .iter()
        .flat_map(|m| m.records.iter().cloned())
        .collect()
}

fn check_image_matches(db: &Database) -> usize {
    let exp = expected();
    let mut asserted = 0;
    for &(eco, name, version) in IMAGE_PACKAGES {
        let key = (eco.to_string(), name.to_string(), version.to_string());
        let got = matched_records(db, eco, name, version);
        let mut want = exp.yes.get(&key).cloned().unwrap_or_default();
        // minimist 1.2.0 is affected by its record; the image does not report it only
        // because a whiteout removed the package (the image readers' tests cover that).
        if let Some(r) = exp.removed.get(&key) {
            want.extend(r.iter().cloned());
        }
        assert_eq!(got, want, "{eco} {name} {version}");
        asserted += want.len();
    }
    // Every row of the TSV names a package of the list above.
    let listed: BTreeSet<_> = IMAGE_PACKAGES
        .iter()
        .map(|(e, n, v)| (e.to_string(), n.to_string(), v.to_string()))
        .collect();
    for k in exp.yes.keys().chain(exp.removed.keys()) {
        assert!(listed.contains(k), "TSV names {k:?}, not in IMAGE_PACKAGES");
    }
    asserted
}

#[test]
fn corpus_loads_without_errors() {
    let db = Database::load(&corpus()).unwrap();
    assert!(db.load_errors().is_empty(), "{:?}", db.load_errors());
    assert_eq!(db.len(), 130);
    assert!(db.get("DLA-3623-1").unwrap().affected.is_empty());
}

#[test]
fn expected_matches_and_non_matches() {
    let db = Database::load(&corpus()).unwrap();
    let n = check_image_matches(&db);
    assert_eq!(n, 97, "TSV rows asserted");
}

#[test]
fn go_toolchain_version_form_matches_the_same() {
    let db = Database::load(&corpus()).unwrap();
    assert_eq!(
        matched_records(&db, "Go", "stdlib", "go1.19.8"),
        matched_records(&db, "Go", "stdlib", "1.19.8")
    );
    // A version past every fix in the corpus matches nothing.
    assert!(matched_records(&db, "Go", "stdlib", "go1.99.0").len() < 10);
}

#[test]
fn states_fixes_and_severities() {
    let db = Database::load(&corpus()).unwrap();
    let r = db.matches(&PackageQuery {
        name: "semver",
        version: "5.7.1",
        ecosystem: "npm",
        purl: Some("pkg:npm/semver@5.7.1"),
        ..Default::default()
    });
    assert_eq!(r.matches.len(), 1);
    let m = &r.matches[0];
    assert_eq!(m.id, "GHSA-c2qf-rxjj-qqgw");
    assert_eq!(m.aliases, ["CVE-2022-25883"]);
    assert_eq!(m.state, FixState::Fixed);
    // Of the three affected entries, the one covering 5.7.1 is fixed in 5.7.2.
    assert_eq!(m.fixed_in.as_deref(), Some("5.7.2"));
    let sev = m.severity.as_ref().unwrap();
    assert_eq!(sev.score, Some(5.3));
    assert_eq!(sev.level.as_str(), "medium");

    // node-fetch: `introduced: "1.0"` (two components) parses. The record's two entries
    // overlap ([1.0, 3.1.1) and [0, 2.6.7)): 2.6.7 is still inside the first, so the first
    // version the record calls clean is 3.1.1.
    let r = db.matches(&PackageQuery {
        name: "node-fetch",
        version: "2.6.0",
        ecosystem: "npm",
        ..Default::default()
    });
    assert_eq!(r.matches[0].fixed_in.as_deref(), Some("3.1.1"));

    // RustSec: SEMVER ranges with two intervals; 1.6.0 is fixed in 1.6.1.
    let r = db.matches(&PackageQuery {
        name: "smallvec",
        version: "1.6.0",
        ecosystem: "crates.io",
        ..Default::default()
    });
    assert_eq!(r.matches[0].fixed_in.as_deref(), Some("1.6.1"));
    assert_eq!(r.matches[0].severity.as_ref().unwrap().score, Some(9.8));

    // JSON contract fields.
    let v = serde_json::to_value(&r).unwrap();
    let m = &v["matches"][0];
    for k in ["id", "aliases", "package", "state", "fixed_in", "severity"] {
        assert!(m.get(k).is_some(), "missing {k}");
    }
    assert_eq!(m["state"], "fixed");
    assert_eq!(m["package"]["ecosystem"], "crates.io");
}

#[test]
fn debian_record_by_release_and_source() {
    let db = Database::load(&corpus()).unwrap();
    let q = |eco: &'static str, version: &'static str| PackageQuery {
        name: "nginx-full",
        version,
        ecosystem: eco,
        source_name: Some("nginx"),
        source_version: Some(version),
        ..Default::default()
    };
    let ids = |q: PackageQuery<'_>| -> Vec<String> {
        db.matches(&q).matches.into_iter().map(|m| m.id).collect()
    };
    assert_eq!(ids(q("Debian:7", "1.2.1-2.2+wheezy2")), ["DSA-3029-1"]);
    assert_eq!(ids(q("Debian", "1.2.1-2.2+wheezy2")), ["DSA-3029-1"]);
    assert!(ids(q("Debian:7", "1.2.1-2.2+wheezy3")).is_empty());
    assert!(ids(q("Debian:12", "1.2.1-2.2+wheezy2")).is_empty());
    assert!(ids(q("Ubuntu:22.04", "1.2.1-2.2+wheezy2")).is_empty());
    // An unparseable Debian version is reported, not "not affected".
    let r = db.matches(&q("Debian:7", "wheezy"));
    assert!(r.matches.is_empty());
    assert_eq!(r.errors.len(), 1);
}

#[test]
fn all_zip_export_loads_like_the_folder() {
    // Build an osv.dev-style export: one deflated JSON entry per record, plus a broken one.
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for sub in ["go", "npm", "pypi", "crates.io", "debian"] {
            let mut files: Vec<_> = std::fs::read_dir(corpus().join(sub))
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            files.sort();
            for f in files {
                let name = f.file_name().unwrap().to_string_lossy().to_string();
                w.start_file(name, opts).unwrap();
                w.write_all(&std::fs::read(&f).unwrap()).unwrap();
            }
        }
        w.start_file("BROKEN-1.json", opts).unwrap();
        w.write_all(b"{\"id\": ").unwrap();
        w.finish().unwrap();
    }
    let mut db = Database::new();
    buf.set_position(0);
    db.add_zip(buf, "all.zip").unwrap();
    assert_eq!(db.len(), 130);
    assert_eq!(db.load_errors().len(), 1);
    assert_eq!(db.load_errors()[0].path, "all.zip!BROKEN-1.json");
    check_image_matches(&db);

    // Not a zip at all: a clear error.
    let e = Database::new()
        .add_zip(std::io::Cursor::new(b"nope".to_vec()), "bad.zip")
        .unwrap_err();
    assert_eq!(e.path, "bad.zip");
}

#[test]
fn openvex_suppresses_corpus_matches() {
    let db = Database::load(&corpus()).unwrap();
    let r = db.matches(&PackageQuery {
        name: "lodash",
        version: "4.17.15",
        ecosystem: "npm",
        purl: Some("pkg:npm/lodash@4.17.15"),
        ..Default::default()
    });
    assert_eq!(r.matches.len(), 1);
    let vex = VexDocument::parse(
        br#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:test:1","author":"t",
            "timestamp":"2024-01-01T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"CVE-2020-8203"},
              "products":[{"@id":"pkg:npm/lodash@4.17.15"}],
              "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let aliases = &r.matches[0].aliases;
    assert!(aliases.iter().any(|a| a == "CVE-2020-8203"), "{aliases:?}");
    let (kept, gone) = vex.filter(r.matches, None);
    assert!(kept.is_empty());
    assert_eq!(gone[0].reason.document.as_deref(), Some("urn:test:1"));
}
