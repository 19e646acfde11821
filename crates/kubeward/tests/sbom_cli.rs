//! End-to-end tests of `kubeward sbom`: an RPM-based root filesystem (the rpmdb.sqlite is
//! built here from headers this test encodes), every output format, determinism, schema
//! validity, and clear errors for what cannot be read.

use assert_cmd::Command;
use kubeward_image::catalog::rpm::build;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("NO_COLOR").env("CLICOLOR", "0");
    c
}

fn write(root: &Path, rel: &str, data: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, data).expect("write");
}

/// A Rocky Linux 9 root: an rpmdb with openssl-libs (epoch 1) and python3-six (which owns
/// its dist-info), the gpg-pubkey pseudo-package, plus a pip-installed package and an npm one.
fn rocky_root(dir: &Path) -> PathBuf {
    let root = dir.join("rootfs");
    write(
        &root,
        "etc/os-release",
        b"NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME=\"Rocky Linux 9.3 (Blue Onyx)\"\n",
    );
    let six_meta = "usr/lib/python3.9/site-packages/six-1.15.0.dist-info/METADATA";
    write(
        &root,
        six_meta,
        b"Metadata-Version: 2.1\nName: six\nVersion: 1.15.0\n",
    );
    write(
        &root,
        "usr/local/lib/python3.9/site-packages/requests-2.25.0.dist-info/METADATA",
        b"Metadata-Version: 2.1\nName: requests\nVersion: 2.25.0\nLicense: Apache 2.0\n",
    );
    write(
        &root,
        "srv/app/node_modules/lodash/package.json",
        br#"{"name": "lodash", "version": "4.17.20", "license": "MIT"}"#,
    );
    let db_path = root.join("var/lib/rpm/rpmdb.sqlite");
    std::fs::create_dir_all(db_path.parent().expect("parent")).expect("mkdir");
    let conn = rusqlite::Connection::open(&db_path).expect("sqlite");
    conn.execute_batch(
        "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
    )
    .expect("schema");
    let blobs = [
        build::package(
            "openssl-libs",
            "3.0.7",
            "24.el9",
            Some(1),
            "x86_64",
            "openssl-3.0.7-24.el9.src.rpm",
            "Apache-2.0",
            &["/usr/lib64/libssl.so.3", "/usr/lib64/libcrypto.so.3"],
        ),
        build::package(
            "python3-six",
            "1.15.0",
            "9.el9",
            None,
            "noarch",
            "python-six-1.15.0-9.el9.src.rpm",
            "MIT",
            &[&format!("/{six_meta}")],
        ),
        build::header(&[
            (1000, build::Value::Str("gpg-pubkey")),
            (1001, build::Value::Str("350d275d")),
        ]),
    ];
    for b in &blobs {
        conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
            .expect("insert");
    }
    drop(conn);
    root
}

fn sbom(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = kubeward().arg("sbom").args(args).output().expect("run");
    (
        out.status.code().expect("code"),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn by_name<'a>(pkgs: &'a [Value], name: &str) -> &'a Value {
    pkgs.iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no package {name} in {pkgs:#?}"))
}

#[test]
fn rpm_root_catalog_as_json() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = rocky_root(dir.path());
    let (code, out, err) = sbom(&[root.to_str().expect("utf8"), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["distro"]["id"], "rocky");
    let pkgs = v["packages"].as_array().expect("packages");
    assert_eq!(pkgs.len(), 5, "{pkgs:#?}");
    let ssl = by_name(pkgs, "openssl-libs");
    assert_eq!(ssl["ecosystem"], "rpm");
    assert_eq!(ssl["version"], "1:3.0.7-24.el9");
    assert_eq!(ssl["source_name"], "openssl");
    assert_eq!(ssl["source_version"], "1:3.0.7-24.el9");
    assert_eq!(ssl["arch"], "x86_64");
    assert_eq!(ssl["locations"][0], "var/lib/rpm/rpmdb.sqlite");
    let purl = ssl["purl"].as_str().expect("purl");
    assert!(purl.starts_with("pkg:rpm/rocky/openssl-libs@"), "{purl}");
    assert!(purl.contains("distro=rocky-9.3"), "{purl}");
    // python3-six's files include the dist-info: the PyPI package is owned by the rpm
    assert_eq!(by_name(pkgs, "six")["owned_by_os_package"], true);
    assert_eq!(by_name(pkgs, "requests")["owned_by_os_package"], false);
    assert_eq!(by_name(pkgs, "lodash")["ecosystem"], "npm");
    assert!(pkgs.iter().all(|p| p["name"] != "gpg-pubkey"));
}

#[test]
fn table_and_output_file() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = rocky_root(dir.path());
    let (code, out, err) = sbom(&[root.to_str().expect("utf8"), "-f", "table"]);
    assert_eq!(code, 0, "{err}");
    let text = String::from_utf8(out).expect("utf8");
    let mut lines = text.lines();
    let header = lines.next().expect("header");
    assert!(header.starts_with("NAME"), "{text}");
    assert!(text.contains("openssl-libs"), "{text}");
    assert!(text.contains("(owned by an OS package)"), "{text}");
    assert!(text.contains("5 packages on rocky-9.3"), "{text}");
    // columns line up: VERSION starts at the same offset on every row
    let col = header.find("VERSION").expect("VERSION column");
    for l in text.lines().skip(1).take_while(|l| !l.is_empty()) {
        assert_eq!(&l[col - 2..col], "  ", "misaligned: {l:?}");
    }
    let file = dir.path().join("bom.cdx.json");
    let (code, out, _) = sbom(&[
        root.to_str().expect("utf8"),
        "-o",
        file.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0);
    assert!(out.is_empty());
    let v: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("cyclonedx json");
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");
}

/// Runs the SBOM validators of the image crate (skipped when python3 or the validator
/// packages are missing, unless KUBEWARD_REQUIRE_SBOM_VALIDATORS is set).
fn validate(kind: &str, doc: &[u8]) {
    let dir = tempfile::tempdir().expect("tmp");
    let file = dir.path().join(format!("sbom.{kind}.json"));
    std::fs::write(&file, doc).expect("write");
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../kubeward-image/tests/fixtures/validate_sbom.py");
    let required = std::env::var_os("KUBEWARD_REQUIRE_SBOM_VALIDATORS").is_some();
    let out = match std::process::Command::new("python3")
        .arg(&script)
        .arg(kind)
        .arg(&file)
        .output()
    {
        Ok(o) => o,
        Err(e) => {
            assert!(!required, "python3: {e}");
            eprintln!("python3 not available: {kind} validation skipped");
            return;
        }
    };
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => {}
        Some(3) => {
            assert!(!required, "validator missing: {text}");
            eprintln!("{kind} validator not installed: skipped ({text})");
        }
        _ => panic!(
            "{kind} document is invalid:\n{text}\n{}",
            String::from_utf8_lossy(doc)
        ),
    }
}

#[test]
fn formats_are_deterministic_and_valid() {
    let dir = tempfile::tempdir().expect("tmp");
    let root = rocky_root(dir.path());
    let r = root.to_str().expect("utf8");
    for (fmt, kind) in [
        ("cyclonedx", Some("cyclonedx")),
        ("spdx", Some("spdx")),
        ("json", None),
        ("table", None),
    ] {
        let (c1, a, e1) = sbom(&[r, "-f", fmt]);
        let (c2, b, _) = sbom(&[r, "-f", fmt]);
        assert_eq!((c1, c2), (0, 0), "{e1}");
        assert_eq!(a, b, "{fmt} output differs between runs");
        if let Some(kind) = kind {
            validate(kind, &a);
        }
    }
    let (code, a, _) = sbom(&[r, "-f", "spdx", "--timestamp", "2024-05-01T10:00:00Z"]);
    assert_eq!(code, 0);
    assert!(String::from_utf8_lossy(&a).contains("2024-05-01T10:00:00Z"));
    validate("spdx", &a);
}

#[test]
fn the_realistic_image_when_available() {
    // `make_test_image.py pack` output, as the image crate's test uses it
    let Ok(out) = std::env::var("KUBEWARD_TEST_IMAGE") else {
        eprintln!("KUBEWARD_TEST_IMAGE not set: skipped");
        return;
    };
    let out = PathBuf::from(out);
    let (c1, oci, e) = sbom(&[out.join("oci").to_str().expect("utf8"), "-f", "cyclonedx"]);
    assert_eq!(c1, 0, "{e}");
    validate("cyclonedx", &oci);
    let (c2, tar, e) = sbom(&[
        out.join("docker-save.tar").to_str().expect("utf8"),
        "-f",
        "json",
    ]);
    assert_eq!(c2, 0, "{e}");
    let v: Value = serde_json::from_slice(&tar).expect("json");
    assert!(v["packages"].as_array().expect("packages").len() > 100);
}

#[test]
fn errors_are_clear_and_exit_2() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = sbom(&["team/app:1.0"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("name the registry"), "{err}");
    let missing = dir.path().join("nope");
    let (code, _, err) = sbom(&[missing.to_str().expect("utf8")]);
    assert_eq!(code, 2);
    assert!(err.contains("no such file or folder"), "{err}");
    // a truncated tarball
    let bad = dir.path().join("image.tar");
    std::fs::write(&bad, b"not a tar archive at all, only some bytes").expect("write");
    let (code, _, err) = sbom(&[bad.to_str().expect("utf8")]);
    assert_eq!(code, 2, "{err}");
    assert!(err.starts_with("kubeward: "), "{err}");
    // a corrupt rpmdb is a warning, the rest of the root is still catalogued
    let root = rocky_root(dir.path());
    std::fs::write(
        root.join("var/lib/rpm/rpmdb.sqlite"),
        b"SQLite format 3\0garbage",
    )
    .expect("write");
    let (code, out, err) = sbom(&[root.to_str().expect("utf8"), "-f", "json"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("rpmdb.sqlite"), "{err}");
    let v: Value = serde_json::from_slice(&out).expect("json");
    assert_eq!(v["packages"].as_array().expect("packages").len(), 3);
}
