//! Class 1 of issue 6, which broke: local image blobs were never verified. A layer, config or
//! manifest blob whose content no longer matches its digest was accepted from an OCI layout or
//! a docker-save tarball, and a forged layout reusing a stored image's manifest digest replaced
//! its SBOM in the inventory. Every blob is now hashed while read; a mismatch is exit 2 naming
//! the digest. The image generators here are shared with `image_archives`.

use crate::common::{kubeward, texts, write};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

// ------------------------------------------------------------------ generators

/// One entry of a generated layer tar, written header by header (so that names `tar::Builder`
/// refuses, `..` and absolute ones, can be written too).
pub enum Entry<'a> {
    File(&'a str, &'a [u8]),
    Symlink(&'a str, &'a str),
    Hardlink(&'a str, &'a str),
}

/// A tar header block for `name` (raw bytes, no checks).
pub fn header(name: &str, kind: u8, link: &str, size: u64) -> [u8; 512] {
    let mut h = tar::Header::new_gnu();
    h.set_mode(if kind == b'2' { 0o777 } else { 0o644 });
    h.set_size(size);
    h.set_mtime(1_700_000_000);
    h.set_entry_type(tar::EntryType::new(kind));
    {
        let g = h.as_gnu_mut().expect("gnu header");
        g.name[..name.len()].copy_from_slice(name.as_bytes());
        g.linkname[..link.len()].copy_from_slice(link.as_bytes());
    }
    h.set_cksum();
    *h.as_bytes()
}

/// A layer tar of `entries`.
pub fn layer(entries: &[Entry<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        let (name, kind, link, data): (&str, u8, &str, &[u8]) = match e {
            Entry::File(p, d) => (p, b'0', "", d),
            Entry::Symlink(p, t) => (p, b'2', t, &[]),
            Entry::Hardlink(p, t) => (p, b'1', t, &[]),
        };
        out.extend_from_slice(&header(name, kind, link, data.len() as u64));
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.extend_from_slice(&[0u8; 1024]);
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(data).expect("gzip");
    g.finish().expect("gzip")
}

pub fn sha256(data: &[u8]) -> String {
    let mut s = String::from("sha256:");
    for b in Sha256::digest(data) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").expect("sha256 digest")
}

/// Digests of a generated layout.
pub struct Layout {
    pub manifest: String,
    pub config: String,
    pub layers: Vec<String>,
}

/// Writes an OCI image layout of `layers` (blobs as given: plain or compressed tars) named
/// `name`.
pub fn write_layout(dir: &Path, layers: &[Vec<u8>], name: &str) -> Layout {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).expect("mkdir");
    let put = |data: &[u8]| -> (String, usize) {
        let d = sha256(data);
        std::fs::write(blobs.join(hex(&d)), data).expect("blob");
        (d, data.len())
    };
    let mut descs = Vec::new();
    let mut digests = Vec::new();
    for l in layers {
        let (d, n) = put(l);
        descs.push(
            json!({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": d, "size": n}),
        );
        digests.push(d);
    }
    let config = json!({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}});
    let (cd, cn) = put(&serde_json::to_vec(&config).expect("json"));
    let manifest = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
        "layers": descs});
    let (md, mn) = put(&serde_json::to_vec(&manifest).expect("json"));
    let index = json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": name}}]});
    write(dir, "index.json", serde_json::to_vec(&index).expect("json"));
    write(dir, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
    Layout {
        manifest: md,
        config: cd,
        layers: digests,
    }
}

/// Writes a docker-save tarball of plain `layers`: classic (`<id>/layer.tar`, `<sha256>.json`)
/// or the OCI-in-docker form (`blobs/sha256/...`). Returns the diff ids and the config digest.
pub fn write_docker_save(out: &Path, layers: &[Vec<u8>], oci_form: bool) -> (Vec<String>, String) {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    let config = serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}))
    .expect("json");
    let cd = sha256(&config);
    let mut b = tar::Builder::new(std::fs::File::create(out).expect("create"));
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).expect("append");
    };
    let mut paths = Vec::new();
    for (i, l) in layers.iter().enumerate() {
        let p = if oci_form {
            format!("blobs/sha256/{}", hex(&diff_ids[i]))
        } else {
            format!("{:064x}/layer.tar", i + 1)
        };
        add(&p, l);
        paths.push(p);
    }
    let cfg_name = if oci_form {
        format!("blobs/sha256/{}", hex(&cd))
    } else {
        format!("{}.json", hex(&cd))
    };
    add(&cfg_name, &config);
    add(
        "manifest.json",
        &serde_json::to_vec(
            &json!([{"Config": cfg_name, "RepoTags": ["test:1"], "Layers": paths}]),
        )
        .expect("json"),
    );
    if oci_form {
        add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        add("index.json", br#"{"schemaVersion":2,"manifests":[]}"#);
    }
    b.into_inner().expect("tar").flush().expect("flush");
    (diff_ids, cd)
}

/// Replaces the first `from` with `to` (same length) in the file: content altered after its
/// digest was written, size kept.
pub fn alter(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut data = std::fs::read(path).expect("read");
    let at = data
        .windows(from.len())
        .position(|w| w == from)
        .unwrap_or_else(|| {
            panic!(
                "{} holds no {:?}",
                path.display(),
                String::from_utf8_lossy(from)
            )
        });
    data[at..at + to.len()].copy_from_slice(to);
    std::fs::write(path, data).expect("write");
}

/// `kubeward sbom SOURCE -f json`: exit code, the catalog (when it printed one), stderr.
pub fn sbom(source: &Path) -> (Option<i32>, Option<Value>, String) {
    let out = kubeward()
        .args(["sbom", source.to_str().expect("utf-8"), "-f", "json"])
        .output()
        .expect("run kubeward");
    let (stdout, stderr) = texts(&out);
    (
        out.status.code(),
        serde_json::from_str(&stdout).ok(),
        stderr,
    )
}

/// The names of the packages of a `sbom -f json` catalog.
pub fn package_names(catalog: &Value) -> Vec<String> {
    catalog["packages"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

const STATUS: &[u8] = b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.11-1~deb12u2\n";
const LODASH: &[u8] = br#"{"name":"lodash","version":"4.17.15","license":"MIT"}"#;

/// Two layers: a dpkg database, and lodash 4.17.15 (vulnerable) under node_modules.
pub fn app_layers() -> Vec<Vec<u8>> {
    vec![
        layer(&[
            Entry::File("etc/os-release", b"ID=debian\nVERSION_ID=\"12\"\n"),
            Entry::File("var/lib/dpkg/status", STATUS),
        ]),
        layer(&[Entry::File("app/node_modules/lodash/package.json", LODASH)]),
    ]
}

#[track_caller]
fn assert_refused(source: &Path, digest: &str) {
    let (code, catalog, err) = sbom(source);
    assert_eq!(code, Some(2), "altered blob accepted: {catalog:?} {err}");
    assert!(catalog.is_none(), "a catalog was printed: {catalog:?}");
    assert!(
        err.contains(digest),
        "the message names no digest {digest}: {err}"
    );
    assert!(err.contains("does not match its digest"), "{err}");
}

// ------------------------------------------------------------------ tests

#[test]
fn altered_layout_blob_is_refused() {
    // (blob, a string only it holds, same-length replacement): the layer lowers lodash's
    // version below every advisory, the config claims another architecture, the manifest
    // another media type
    let cases: [(&str, &[u8], &[u8]); 3] = [
        ("layer", b"4.17.15", b"4.17.99"),
        (
            "config",
            br#""architecture":"amd64""#,
            br#""architecture":"arm64""#,
        ),
        ("manifest", b"image.layer.v1.tar", b"image.layer.v1.taz"),
    ];
    for (what, from, to) in cases {
        let t = tempfile::tempdir().expect("tempdir");
        let dir = t.path().join("oci");
        let l = write_layout(&dir, &app_layers(), "app:1");
        let (code, catalog, err) = sbom(&dir);
        assert_eq!(code, Some(0), "{err}");
        assert!(package_names(&catalog.expect("catalog")).contains(&"lodash".to_string()));
        let digest = match what {
            "layer" => &l.layers[1],
            "config" => &l.config,
            _ => &l.manifest,
        };
        alter(&dir.join("blobs/sha256").join(hex(digest)), from, to);
        eprintln!("{what}");
        assert_refused(&dir, digest);
    }
}

#[test]
fn altered_docker_save_blob_is_refused() {
    for oci_form in [false, true] {
        for (what, from, to) in [
            ("layer", &b"4.17.15"[..], &b"4.17.99"[..]),
            (
                "config",
                br#""architecture":"amd64""#,
                br#""architecture":"arm64""#,
            ),
        ] {
            let t = tempfile::tempdir().expect("tempdir");
            let tar = t.path().join("save.tar");
            let (diff_ids, cd) = write_docker_save(&tar, &app_layers(), oci_form);
            assert_eq!(sbom(&tar).0, Some(0));
            alter(&tar, from, to);
            eprintln!("{what}, OCI form: {oci_form}");
            assert_refused(&tar, if what == "layer" { &diff_ids[1] } else { &cd });
        }
    }
}

const OSV_LODASH: &str = r#"{"schema_version": "1.4.0", "id": "GHSA-test-lodash-0001",
  "modified": "2024-01-01T00:00:00Z", "summary": "Prototype pollution in lodash (test record)",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "npm", "name": "lodash"},
    "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "4.17.21"}]}]}]}"#;

const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - name: web\n    image: registry.example/shop/web:1.0\n";

/// `scan --inventory` of the pod: the vulnerable-image findings' messages.
fn vulnerable_image_findings(dir: &Path, store: &Path) -> Vec<String> {
    let pod = write(dir, "pod.yaml", POD);
    let out = kubeward()
        .args(["scan", pod.to_str().expect("utf-8"), "--format", "json"])
        .args(["--fail-on", "never", "--select", "vulnerable-image"])
        .args(["--inventory", store.to_str().expect("utf-8")])
        .output()
        .expect("run kubeward");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let v: Value = serde_json::from_str(&stdout).expect("json report");
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "vulnerable-image")
        .map(|f| f["message"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn run_ok(args: &[&str]) -> String {
    let out = kubeward().args(args).output().expect("run kubeward");
    let (stdout, stderr) = texts(&out);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    stdout
}

#[test]
fn forged_layout_cannot_replace_a_stored_sbom() {
    let t = tempfile::tempdir().expect("tempdir");
    let store = t.path().join("inv.db");
    let s = store.to_str().expect("utf-8");
    let osv = write(t.path(), "osv/GHSA-test-lodash-0001.json", OSV_LODASH);
    let osv_dir = osv.parent().expect("folder").to_str().expect("utf-8");
    let name = "registry.example/shop/web:1.0";

    // the real image: lodash 4.17.15, vulnerable
    let real = t.path().join("real");
    let l = write_layout(&real, &app_layers(), name);
    let out = run_ok(&[
        "inventory",
        "add",
        real.to_str().expect("utf-8"),
        "--store",
        s,
    ]);
    assert!(out.contains(&l.manifest), "{out}");
    run_ok(&["inventory", "rescan", "--store", s, "--db", osv_dir]);
    let before = vulnerable_image_findings(t.path(), &store);
    assert!(
        before.iter().any(|m| m.contains("GHSA-test-lodash-0001")),
        "{before:?}"
    );

    // the forgery: the same index.json (the real manifest digest), but that blob now holds a
    // manifest of other layers, where lodash is gone
    let forged = t.path().join("forged");
    let other = write_layout(
        &t.path().join("other"),
        &[layer(&[Entry::File(
            "etc/os-release",
            b"ID=debian\nVERSION_ID=\"12\"\n",
        )])],
        name,
    );
    std::fs::create_dir_all(forged.join("blobs/sha256")).expect("mkdir");
    for f in ["index.json", "oci-layout"] {
        std::fs::copy(real.join(f), forged.join(f)).expect("copy");
    }
    for d in [&other.config, &other.layers[0]] {
        std::fs::copy(
            t.path().join("other/blobs/sha256").join(hex(d)),
            forged.join("blobs/sha256").join(hex(d)),
        )
        .expect("copy");
    }
    std::fs::copy(
        t.path()
            .join("other/blobs/sha256")
            .join(hex(&other.manifest)),
        forged.join("blobs/sha256").join(hex(&l.manifest)),
    )
    .expect("copy");
    let out = kubeward()
        .args([
            "inventory",
            "add",
            forged.to_str().expect("utf-8"),
            "--store",
            s,
        ])
        .output()
        .expect("run kubeward");
    let (stdout, stderr) = texts(&out);
    assert_eq!(
        out.status.code(),
        Some(2),
        "forged layout accepted: {stdout}{stderr}"
    );
    assert!(stderr.contains(&l.manifest), "{stderr}");

    // the stored SBOM stays: a rescan still matches, and scan still reports the image
    run_ok(&["inventory", "rescan", "--store", s, "--db", osv_dir]);
    let list: Value = serde_json::from_str(&run_ok(&[
        "inventory",
        "list",
        "--store",
        s,
        "--format",
        "json",
    ]))
    .expect("json");
    assert_eq!(list["images"][0]["packages"], 2, "{list}");
    let after = vulnerable_image_findings(t.path(), &store);
    assert_eq!(after, before);
}

/// The path of a generated image for other modules.
pub fn tmp_layout(dir: &Path, layers: &[Vec<u8>]) -> PathBuf {
    let p = dir.join("oci");
    write_layout(&p, layers, "test:1");
    p
}
