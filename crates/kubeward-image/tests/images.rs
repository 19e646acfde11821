//! Image reader and cataloger tests on small images built here, in a temp folder: OCI layout,
//! OCI archive, docker-save (classic and OCI-in-docker), rootfs folder; and hostile input.

use flate2::write::GzEncoder;
use kubeward_image::catalog::{catalog_source, Catalog, CatalogOptions};
use kubeward_image::image::{Error, ReadLimits};
use kubeward_image::package::Ecosystem;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// One entry of a test layer.
enum E<'a> {
    File(&'a str, &'a [u8]),
    Exec(&'a str, &'a [u8]),
    Dir(&'a str),
    Symlink(&'a str, &'a str),
}

fn layer_tar(entries: &[E<'_>]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        match e {
            E::File(p, d) | E::Exec(p, d) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(d.len() as u64);
                h.set_mode(if matches!(e, E::Exec(..)) {
                    0o755
                } else {
                    0o644
                });
                b.append_data(&mut h, p, *d).unwrap();
            }
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(0o755);
                b.append_data(&mut h, p, &[][..]).unwrap();
            }
            E::Symlink(p, t) => {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                b.append_link(&mut h, p, t).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut g = GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(data).unwrap();
    g.finish().unwrap()
}

fn sha(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    let mut s = String::from("sha256:");
    for b in d {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").unwrap()
}

/// Writes an OCI layout folder with gzip layers; returns the diff ids.
fn write_oci(dir: &Path, layers: &[Vec<u8>]) -> Vec<String> {
    write_oci_with(dir, layers, true)
}

/// Writes an OCI layout folder, with gzip layers or plain tar ones; returns the diff ids.
fn write_oci_with(dir: &Path, layers: &[Vec<u8>], compress: bool) -> Vec<String> {
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let put = |data: &[u8]| -> (String, usize) {
        let d = sha(data);
        std::fs::write(blobs.join(hex(&d)), data).unwrap();
        (d, data.len())
    };
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let mut descs = Vec::new();
    for l in layers {
        let (d, n) = put(&if compress { gzip(l) } else { l.clone() });
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n}));
    }
    let config = serde_json::json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}});
    let (cd, cn) = put(&serde_json::to_vec(&config).unwrap());
    let manifest = serde_json::json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
        "layers": descs});
    let (md, mn) = put(&serde_json::to_vec(&manifest).unwrap());
    let index = serde_json::json!({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
        "digest": md, "size": mn, "annotations": {"org.opencontainers.image.ref.name": "test:1"}}]});
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    diff_ids
}

/// Writes a tar of the files under `dir` (an OCI archive when `dir` is a layout).
fn tar_of_dir(dir: &Path, out: &Path) {
    let f = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(f);
    b.append_dir_all(".", dir).unwrap();
    b.finish().unwrap();
}

/// Writes a docker-save tarball: classic (`<id>/layer.tar`, `<config>.json`) or the
/// OCI-in-docker form (`blobs/sha256/...` plus index.json).
fn write_docker_save(out: &Path, layers: &[Vec<u8>], oci_form: bool) -> Vec<String> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let config = serde_json::to_vec(&serde_json::json!({"architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}}))
    .unwrap();
    let f = std::fs::File::create(out).unwrap();
    let mut b = tar::Builder::new(f);
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, name, data).unwrap();
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
        format!("blobs/sha256/{}", hex(&sha(&config)))
    } else {
        format!("{}.json", hex(&sha(&config)))
    };
    add(&cfg_name, &config);
    let manifest =
        serde_json::json!([{"Config": cfg_name, "RepoTags": ["test:1"], "Layers": paths}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    if oci_form {
        add("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#);
        add("index.json", br#"{"schemaVersion":2,"manifests":[]}"#);
    }
    b.into_inner().unwrap().flush().unwrap();
    diff_ids
}

const STATUS: &[u8] = b"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2\n\nPackage: python3-six\nStatus: install ok installed\nArchitecture: all\nSource: six\nVersion: 1.16.0-4\n";
const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
const SIX_LIST: &[u8] = b"/.\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info\n/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA\n/usr/lib/python3/dist-packages/six.py\n";
const SITE: &str = "usr/local/lib/python3.11/site-packages";

/// Four layers: Debian base, Python packages, npm app, whiteouts removing click and minimist.
fn test_layers() -> Vec<Vec<u8>> {
    let click_meta = format!("{SITE}/click-7.1.2.dist-info/METADATA");
    let flask_meta = format!("{SITE}/Flask-2.0.0.dist-info/METADATA");
    let click_py = format!("{SITE}/click/__init__.py");
    let base = layer_tar(&[
        E::Dir("etc"),
        E::File("etc/os-release", OS_RELEASE),
        E::File("var/lib/dpkg/status", STATUS),
        E::File("var/lib/dpkg/info/python3-six.list", SIX_LIST),
        E::File(
            "var/lib/dpkg/info/libssl3:amd64.list",
            b"/usr/lib/x86_64-linux-gnu/libssl.so.3\n",
        ),
        E::File(
            "usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
            b"Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\nLicense: MIT\n",
        ),
        E::Exec("usr/bin/sh", b"#!not an elf"),
        E::Symlink("bin", "usr/bin"),
    ]);
    let python = layer_tar(&[
        E::File(
            &click_meta,
            b"Metadata-Version: 2.1\nName: click\nVersion: 7.1.2\n",
        ),
        E::File(&click_py, b"# click\n"),
        E::File(
            &flask_meta,
            b"Metadata-Version: 2.1\nName: Flask\nVersion: 2.0.0\nLicense: BSD-3-Clause\n",
        ),
    ]);
    let node = layer_tar(&[
        E::File("app/package.json", br#"{"name":"app","version":"1.0.0","private":true}"#),
        E::File(
            "app/package-lock.json",
            br#"{"lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/minimist":{"version":"1.2.5"},"node_modules/lodash":{"version":"4.17.20"}}}"#,
        ),
        E::File("app/node_modules/minimist/package.json", br#"{"name":"minimist","version":"1.2.5","license":"MIT"}"#),
        E::File("app/node_modules/lodash/package.json", br#"{"name":"lodash","version":"4.17.20","license":"MIT"}"#),
    ]);
    let wh_click = format!("{SITE}/.wh.click");
    let wh_click_meta = format!("{SITE}/.wh.click-7.1.2.dist-info");
    let delete = layer_tar(&[
        E::File(&wh_click, b""),
        E::File(&wh_click_meta, b""),
        E::File("app/node_modules/minimist/.wh..wh..opq", b""),
        E::File("app/node_modules/minimist/README", b"removed\n"),
    ]);
    vec![base, python, node, delete]
}

fn names(c: &Catalog) -> Vec<(String, String, String)> {
    c.packages
        .iter()
        .map(|p| (p.ecosystem.to_string(), p.name.clone(), p.version.clone()))
        .collect()
}

fn find<'a>(c: &'a Catalog, name: &str) -> &'a kubeward_image::package::Package {
    c.packages
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {:?}", names(c)))
}

fn check_test_image(c: &Catalog, diff_ids: &[String]) {
    let expected: Vec<(String, String, String)> = [
        ("dpkg", "libssl3", "3.0.11-1~deb12u2"),
        ("dpkg", "python3-six", "1.16.0-4"),
        ("pypi", "Flask", "2.0.0"),
        ("pypi", "six", "1.16.0"),
        ("npm", "lodash", "4.17.20"),
        // the application's own package.json, beside its node_modules
        ("npm", "app", "1.0.0"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    let mut got = names(c);
    got.sort();
    let mut exp = expected.clone();
    exp.sort();
    assert_eq!(got, exp, "click and minimist are whited out");
    assert!(find(c, "app").application);
    assert!(!find(c, "lodash").application);
    let ssl = find(c, "libssl3");
    assert_eq!(ssl.source_name.as_deref(), Some("openssl"));
    assert_eq!(ssl.source_version.as_deref(), Some("3.0.11-1~deb12u2"));
    assert_eq!(ssl.distro.as_ref().unwrap().version_id, "12");
    assert_eq!(
        ssl.purl,
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    );
    if !diff_ids.is_empty() {
        assert_eq!(ssl.layer.as_deref(), Some(diff_ids[0].as_str()));
        assert_eq!(
            find(c, "Flask").layer.as_deref(),
            Some(diff_ids[1].as_str())
        );
        assert_eq!(
            find(c, "lodash").layer.as_deref(),
            Some(diff_ids[2].as_str())
        );
    }
    let six = find(c, "six");
    assert!(six.owned_by_os_package, "six is listed by python3-six");
    assert!(!find(c, "Flask").owned_by_os_package);
    assert_eq!(find(c, "Flask").purl, "pkg:pypi/flask@2.0.0");
    assert_eq!(
        find(c, "lodash").locations,
        vec!["app/node_modules/lodash/package.json".to_string()]
    );
    assert_eq!(c.distro.as_ref().unwrap().id, "debian");
}

#[test]
fn oci_layout_with_whiteouts() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("oci");
    let diff_ids = write_oci(&dir, &test_layers());
    let c = catalog_source(&dir, &CatalogOptions::default()).unwrap();
    check_test_image(&c, &diff_ids);
    assert_eq!(c.source.layers.len(), 4);
    assert_eq!(c.source.names, vec!["test:1".to_string()]);
}

#[test]
fn oci_archive() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("oci");
    let diff_ids = write_oci(&dir, &test_layers());
    let tar = t.path().join("oci.tar");
    tar_of_dir(&dir, &tar);
    let c = catalog_source(&tar, &CatalogOptions::default()).unwrap();
    check_test_image(&c, &diff_ids);
}

#[test]
fn docker_save_classic_and_oci_form() {
    let t = tempfile::tempdir().unwrap();
    for oci_form in [false, true] {
        let tar = t.path().join(format!("save-{oci_form}.tar"));
        let diff_ids = write_docker_save(&tar, &test_layers(), oci_form);
        let c = catalog_source(&tar, &CatalogOptions::default()).unwrap();
        check_test_image(&c, &diff_ids);
        assert_eq!(c.source.names, vec!["test:1".to_string()]);
    }
}

#[test]
fn rootfs_folder_and_lockfile_without_node_modules() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("root");
    for (p, d) in [
        ("etc/os-release", OS_RELEASE),
        ("var/lib/dpkg/status", STATUS),
        ("srv/app/package-lock.json", br#"{"lockfileVersion":2,"packages":{"":{},"node_modules/express":{"version":"4.17.1"}}}"#.as_slice()),
        ("srv/app/package.json", br#"{"name":"app","version":"1.0.0"}"#),
    ] {
        let p = root.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, d).unwrap();
    }
    // a symlink pointing at the host: never followed
    std::os::unix::fs::symlink("/etc/passwd", root.join("var/lib/dpkg/status.d")).unwrap();
    let c = catalog_source(&root, &CatalogOptions::default()).unwrap();
    let got = names(&c);
    assert_eq!(
        got,
        vec![
            ("dpkg".into(), "libssl3".into(), "3.0.11-1~deb12u2".into()),
            ("dpkg".into(), "python3-six".into(), "1.16.0-4".into()),
            ("npm".into(), "app".into(), "1.0.0".into()),
            ("npm".into(), "express".into(), "4.17.1".into()),
        ]
    );
    assert_eq!(find(&c, "express").layer, None);
    assert!(
        find(&c, "app").application,
        "the lock file's own package.json"
    );
}

// ---------------------------------------------------------------- hostile input

fn single_layer_oci(t: &Path, blob: &[u8]) -> PathBuf {
    let dir = t.join("bad");
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let ld = sha(blob);
    std::fs::write(blobs.join(hex(&ld)), blob).unwrap();
    let config = br#"{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = sha(config);
    std::fs::write(blobs.join(hex(&cd)), config).unwrap();
    let m = serde_json::to_vec(&serde_json::json!({"schemaVersion":2,"config":{"digest":cd,"size":config.len()},
        "layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":ld,"size":blob.len()}]}))
    .unwrap();
    let md = sha(&m);
    std::fs::write(blobs.join(hex(&md)), &m).unwrap();
    std::fs::write(
        dir.join("index.json"),
        serde_json::to_vec(&serde_json::json!({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":md,"size":m.len()}]})).unwrap(),
    )
    .unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    dir
}

fn err_of(t: &Path, blob: &[u8], limits: ReadLimits) -> (Error, Duration) {
    let dir = single_layer_oci(t, blob);
    let start = Instant::now();
    let r = catalog_source(&dir, &CatalogOptions { limits });
    (r.expect_err("must fail"), start.elapsed())
}

#[test]
fn corrupt_gzip_names_the_layer() {
    let t = tempfile::tempdir().unwrap();
    let mut gz = gzip(&layer_tar(&[E::File("var/lib/dpkg/status", STATUS)]));
    let mid = gz.len() / 2;
    for b in &mut gz[mid..mid + 8] {
        *b ^= 0x5a;
    }
    let ld = sha(&gz);
    let (e, _) = err_of(t.path(), &gz, ReadLimits::default());
    let msg = e.to_string();
    assert!(matches!(e, Error::Layer { .. }), "{msg}");
    assert!(msg.contains(&ld), "{msg}");
    assert!(msg.contains("corrupt"), "{msg}");
}

#[test]
fn truncated_tar_is_an_error() {
    let t = tempfile::tempdir().unwrap();
    let big = vec![b'x'; 20_000];
    let tar = layer_tar(&[E::File("var/lib/dpkg/status", STATUS), E::File("big", &big)]);
    // truncated inside the second file's data, then compressed (gzip stream itself is whole)
    let cut = gzip(&tar[..4096]);
    let (e, _) = err_of(t.path(), &cut, ReadLimits::default());
    assert!(matches!(e, Error::Layer { .. }), "{e}");
    // truncated gzip stream
    let gz = gzip(&tar);
    let (e, _) = err_of(t.path(), &gz[..gz.len() - 100], ReadLimits::default());
    // the manifest size check catches it first in a layout; either way a clear layer error
    assert!(matches!(e, Error::Layer { .. }), "{e}");
    assert!(
        e.to_string().contains("truncated") || e.to_string().contains("corrupt"),
        "{e}"
    );
}

#[test]
fn dotdot_path_is_rejected() {
    let t = tempfile::tempdir().unwrap();
    let mut tar = Vec::new();
    {
        let mut h = tar::Header::new_gnu();
        // write the name bytes directly: tar::Builder refuses `..` itself
        let name = b"../../etc/evil";
        h.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
        h.set_size(3);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        let mut b = tar::Builder::new(&mut tar);
        b.append(&h, &b"bad"[..]).unwrap();
        b.finish().unwrap();
    }
    let (e, _) = err_of(t.path(), &gzip(&tar), ReadLimits::default());
    assert!(matches!(e, Error::UnsafePath { .. }), "{e}");
    assert!(e.to_string().contains(".."), "{e}");
}

#[test]
fn absolute_symlink_stays_inside_the_image() {
    let t = tempfile::tempdir().unwrap();
    // os-release and the dpkg status are symlinks out of the root: resolved inside the image
    let layer = layer_tar(&[
        E::Symlink("etc/os-release", "/../../../../etc/os-release"),
        E::Symlink("var/lib/dpkg/status", "/etc/passwd"),
        E::File("usr/lib/os-release", b"ID=testos\nVERSION_ID=1\n"),
    ]);
    let dir = t.path().join("oci");
    write_oci(&dir, &[layer]);
    let c = catalog_source(&dir, &CatalogOptions::default()).unwrap();
    assert!(c.packages.is_empty(), "{:?}", names(&c));
    // the link resolves to the image's own (absent) etc/os-release; usr/lib one is used
    assert_eq!(c.distro.unwrap().id, "testos");
}

/// A GNU sparse entry whose real size is 10 GB (stored: one 512-byte block).
fn sparse_tar(path: &str) -> Vec<u8> {
    let mut h = [0u8; 512];
    h[..path.len()].copy_from_slice(path.as_bytes());
    h[100..107].copy_from_slice(b"0000644");
    h[108..115].copy_from_slice(b"0000000");
    h[116..123].copy_from_slice(b"0000000");
    h[124..135].copy_from_slice(b"00000001000"); // stored size: 512
    h[136..147].copy_from_slice(b"14524571400"); // mtime
    h[156] = b'S';
    h[257..265].copy_from_slice(b"ustar  \0");
    // one sparse block: offset 10 GB - 512, 512 bytes
    let ten_gb: u64 = 10_000_000_000;
    h[386..398].copy_from_slice(format!("{:012o}", ten_gb - 512).as_bytes());
    h[398..410].copy_from_slice(b"000000001000");
    h[483..495].copy_from_slice(format!("{:012o}", ten_gb).as_bytes());
    h[148..156].copy_from_slice(b"        ");
    let sum: u32 = h.iter().map(|&b| b as u32).sum();
    h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
    let mut out = h.to_vec();
    out.extend_from_slice(&[b'z'; 512]);
    out.extend_from_slice(&[0u8; 1024]);
    out
}

#[test]
fn huge_sparse_file_is_bounded() {
    let t = tempfile::tempdir().unwrap();
    // at a metadata path: a clear per-file limit error, nothing allocated
    let (e, took) = err_of(
        t.path(),
        &gzip(&sparse_tar("var/lib/dpkg/status")),
        ReadLimits::default(),
    );
    assert!(matches!(e, Error::Limit { .. }), "{e}");
    assert!(e.to_string().contains("var/lib/dpkg/status"), "{e}");
    assert!(took < Duration::from_secs(5));
    // at a path no cataloger wants: skipped without expanding it
    let dir = t.path().join("ok");
    write_oci(&dir, &[sparse_tar("data/huge.img")]);
    let start = Instant::now();
    let c = catalog_source(&dir, &CatalogOptions::default()).unwrap();
    assert!(c.packages.is_empty());
    assert!(start.elapsed() < Duration::from_secs(5));
}

#[test]
fn many_tiny_files_hit_the_entry_limit() {
    let t = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for i in 0..200_000u32 {
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, format!("d{}/f{i}", i % 100), &b"x"[..])
            .unwrap();
    }
    let tar = b.into_inner().unwrap();
    let limits = ReadLimits {
        max_entries: 100_000,
        ..ReadLimits::default()
    };
    let (e, took) = err_of(t.path(), &gzip(&tar), limits);
    assert!(
        matches!(
            e,
            Error::Limit {
                what: "number of archive entries",
                ..
            }
        ),
        "{e}"
    );
    assert!(took < Duration::from_secs(20), "{took:?}");
}

#[test]
fn decompression_bomb_hits_the_byte_limit() {
    let t = tempfile::tempdir().unwrap();
    let zeros = vec![0u8; 8 << 20];
    let tar = layer_tar(&[E::File("data/zeros", &zeros)]);
    let limits = ReadLimits {
        max_total_bytes: 1 << 20,
        ..ReadLimits::default()
    };
    let (e, _) = err_of(t.path(), &gzip(&tar), limits);
    assert!(
        matches!(
            e,
            Error::Limit {
                what: "total decompressed bytes",
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn not_an_image_is_a_clear_error() {
    let t = tempfile::tempdir().unwrap();
    let f = t.path().join("x.txt");
    std::fs::write(&f, b"hello").unwrap();
    let e = catalog_source(&f, &CatalogOptions::default()).unwrap_err();
    assert!(matches!(e, Error::UnknownSource { .. }), "{e}");
}

// ---------------------------------------------------------------- blob verification

/// Replaces the first occurrence of `from` with `to` (same length) in the file: a blob altered
/// after its digest was written, the size unchanged.
fn alter(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut data = std::fs::read(path).unwrap();
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
    std::fs::write(path, data).unwrap();
}

/// The blob of a layout whose content holds `needle`, and its digest.
fn blob_holding(dir: &Path, needle: &[u8]) -> (PathBuf, String) {
    for e in std::fs::read_dir(dir.join("blobs/sha256")).unwrap() {
        let p = e.unwrap().path();
        let data = std::fs::read(&p).unwrap();
        if data.windows(needle.len()).any(|w| w == needle) {
            let digest = format!("sha256:{}", p.file_name().unwrap().to_str().unwrap());
            return (p, digest);
        }
    }
    panic!("no blob holds {:?}", String::from_utf8_lossy(needle))
}

/// The error of a read that must fail (an accepted image is summed up, not dumped).
#[track_caller]
fn must_fail(r: Result<Catalog, Error>, what: &str) -> Error {
    match r {
        Ok(c) => panic!("{what}: accepted ({} packages)", c.packages.len()),
        Err(e) => e,
    }
}

#[track_caller]
fn assert_digest_error(r: Result<Catalog, Error>, digest: &str) {
    let e = must_fail(r, "an altered blob");
    let msg = e.to_string();
    assert!(matches!(e, Error::Digest { .. }), "{msg}");
    assert!(msg.contains(digest), "{msg}");
}

/// Rewrites the layout's image manifest with `edit` (stored under its new sha256 digest) and
/// then the index with `edit_index`.
fn edit_layout(
    dir: &Path,
    edit: impl FnOnce(&mut serde_json::Value),
    edit_index: impl FnOnce(&mut serde_json::Value),
) {
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let mut m: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("blobs/sha256").join(hex(&md))).unwrap())
            .unwrap();
    edit(&mut m);
    let data = serde_json::to_vec(&m).unwrap();
    let d = sha(&data);
    std::fs::write(dir.join("blobs/sha256").join(hex(&d)), &data).unwrap();
    index["manifests"][0]["digest"] = d.into();
    index["manifests"][0]["size"] = data.len().into();
    edit_index(&mut index);
    std::fs::write(dir.join("index.json"), serde_json::to_vec(&index).unwrap()).unwrap();
}

#[test]
fn altered_layout_blobs_are_refused() {
    // (blob, a string only that blob holds, its same-length replacement)
    let cases: [(&str, &[u8], &[u8]); 3] = [
        ("layer", b"Version: 1.16.0-4", b"Version: 1.16.0-5"),
        (
            "config",
            br#""architecture":"amd64""#,
            br#""architecture":"arm64""#,
        ),
        ("manifest", b"layer.v1.tar+gzip", b"layer.v1.tar+zstd"),
    ];
    for (what, from, to) in cases {
        let t = tempfile::tempdir().unwrap();
        let dir = t.path().join("oci");
        // plain tar layers: a changed byte keeps the size, as a careful forger would
        write_oci_with(&dir, &test_layers(), false);
        catalog_source(&dir, &CatalogOptions::default()).unwrap();
        let (blob, digest) = blob_holding(&dir, from);
        alter(&blob, from, to);
        eprintln!("{what}");
        assert_digest_error(catalog_source(&dir, &CatalogOptions::default()), &digest);
        let tar = t.path().join("oci.tar");
        tar_of_dir(&dir, &tar);
        assert_digest_error(catalog_source(&tar, &CatalogOptions::default()), &digest);
    }
}

#[test]
fn altered_compressed_layer_is_refused() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("oci");
    write_oci(&dir, &test_layers());
    // a gzip layer replaced by another valid one of the same size: the gzip header's OS byte
    let (blob, digest) = blob_holding(&dir, &[0x1f, 0x8b]);
    let mut data = std::fs::read(&blob).unwrap();
    data[9] ^= 0x01;
    std::fs::write(&blob, &data).unwrap();
    assert_digest_error(catalog_source(&dir, &CatalogOptions::default()), &digest);
}

#[test]
fn descriptor_sizes_must_match() {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("oci");
    write_oci(&dir, &test_layers());
    let mut cd = String::new();
    edit_layout(
        &dir,
        |m| {
            cd = m["config"]["digest"].as_str().unwrap().to_string();
            let n = m["config"]["size"].as_u64().unwrap();
            m["config"]["size"] = (n + 1).into();
        },
        |_| {},
    );
    let e = must_fail(catalog_source(&dir, &CatalogOptions::default()), "size");
    let msg = e.to_string();
    assert!(matches!(e, Error::Size { .. }), "{msg}");
    assert!(msg.contains(&cd) && msg.contains("bytes"), "{msg}");
}

#[test]
fn altered_docker_save_blobs_are_refused() {
    for oci_form in [false, true] {
        let cases: [(&str, &[u8], &[u8]); 2] = [
            ("layer", b"Version: 1.16.0-4", b"Version: 1.16.0-5"),
            (
                "config",
                br#""architecture":"amd64""#,
                br#""architecture":"arm64""#,
            ),
        ];
        for (what, from, to) in cases {
            let t = tempfile::tempdir().unwrap();
            let tar = t.path().join("save.tar");
            let diff_ids = write_docker_save(&tar, &test_layers(), oci_form);
            catalog_source(&tar, &CatalogOptions::default()).unwrap();
            alter(&tar, from, to);
            let digest = if what == "layer" {
                diff_ids[0].clone()
            } else {
                sha(&serde_json::to_vec(
                    &serde_json::json!({"architecture": "amd64", "os": "linux",
                    "rootfs": {"type": "layers", "diff_ids": diff_ids}}),
                )
                .unwrap())
            };
            eprintln!("{what}, OCI form {oci_form}");
            assert_digest_error(catalog_source(&tar, &CatalogOptions::default()), &digest);
        }
    }
}

#[test]
fn docker_save_without_matching_diff_ids_is_refused() {
    // classic layers are named by path: only the config's diff ids can vouch for them
    let t = tempfile::tempdir().unwrap();
    let tar = t.path().join("save.tar");
    let layers = test_layers();
    let diff_ids = write_docker_save(&tar, &layers, false);
    // one layer more than the config lists
    let tar2 = t.path().join("save2.tar");
    let f = std::fs::File::create(&tar2).unwrap();
    let mut b = tar::Builder::new(f);
    let mut a = tar::Archive::new(std::fs::File::open(&tar).unwrap());
    for e in a.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut data).unwrap();
        if name == "manifest.json" {
            let mut m: serde_json::Value = serde_json::from_slice(&data).unwrap();
            let first = m[0]["Layers"][0].clone();
            m[0]["Layers"].as_array_mut().unwrap().push(first);
            data = serde_json::to_vec(&m).unwrap();
        }
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, &name, &data[..]).unwrap();
    }
    b.into_inner().unwrap().flush().unwrap();
    let e = must_fail(
        catalog_source(&tar2, &CatalogOptions::default()),
        "unverifiable",
    );
    assert!(e.to_string().contains("diff_ids"), "{e}");
    assert_eq!(diff_ids.len(), layers.len());
}

#[test]
fn sha512_and_unsupported_digests() {
    use sha2::Sha512;
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("oci");
    write_oci(&dir, &test_layers());
    // the manifest stored under its sha512 digest reads
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let md = index["manifests"][0]["digest"].as_str().unwrap();
    let m = std::fs::read(dir.join("blobs/sha256").join(hex(md))).unwrap();
    let h512: String = Sha512::digest(&m)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    std::fs::create_dir_all(dir.join("blobs/sha512")).unwrap();
    std::fs::write(dir.join("blobs/sha512").join(&h512), &m).unwrap();
    let point_index = |digest: &str| {
        let mut ix = index.clone();
        ix["manifests"][0]["digest"] = digest.into();
        std::fs::write(dir.join("index.json"), serde_json::to_vec(&ix).unwrap()).unwrap();
    };
    let d512 = format!("sha512:{h512}");
    point_index(&d512);
    let c = catalog_source(&dir, &CatalogOptions::default()).unwrap();
    assert_eq!(c.source.manifest_digest.as_deref(), Some(d512.as_str()));
    // altered: refused
    alter(
        &dir.join("blobs/sha512").join(&h512),
        b"tar+gzip",
        b"tar+zstd",
    );
    assert_digest_error(catalog_source(&dir, &CatalogOptions::default()), &d512);
    // any other algorithm, or a malformed digest, is an error even when the blob is there
    let md5 = "d41d8cd98f00b204e9800998ecf8427e";
    std::fs::create_dir_all(dir.join("blobs/md5")).unwrap();
    std::fs::write(dir.join("blobs/md5").join(md5), &m).unwrap();
    std::fs::write(dir.join("blobs/sha256").join(hex(md).to_uppercase()), &m).unwrap();
    for bad in [
        format!("md5:{md5}"),
        format!("sha256:{}", hex(md).to_uppercase()),
        format!("sha256:{}", &hex(md)[..60]),
        "sha256:../../index.json".to_string(),
    ] {
        point_index(&bad);
        let e = must_fail(catalog_source(&dir, &CatalogOptions::default()), &bad);
        let msg = e.to_string();
        assert!(
            msg.contains("unsupported digest algorithm") || msg.contains("malformed digest"),
            "{bad}: {msg}"
        );
    }
}

// ---------------------------------------------------------------- the realistic image

/// Runs on the image `make_test_image.py` builds when `KUBEWARD_TEST_IMAGE` names its `out/`
/// folder (skipped otherwise: building it needs the package registries).
#[test]
fn realistic_image_matches_expected() {
    let Ok(out) = std::env::var("KUBEWARD_TEST_IMAGE") else {
        eprintln!("KUBEWARD_TEST_IMAGE not set: skipped");
        return;
    };
    let out = PathBuf::from(out);
    let exp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("EXPECTED.json")).unwrap()).unwrap();
    let diff_ids: Vec<String> = exp["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].as_str().unwrap().to_string())
        .collect();
    if let Some(alpine) = exp["alpine"].as_array() {
        let c = catalog_source(&out.join("alpine-oci"), &CatalogOptions::default()).unwrap();
        let got: Vec<(String, String, String)> = c
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.source_name.clone().unwrap_or_default(),
                )
            })
            .collect();
        let mut want: Vec<(String, String, String)> = alpine
            .iter()
            .map(|a| {
                (
                    a["name"].as_str().unwrap().into(),
                    a["version"].as_str().unwrap().into(),
                    a["origin"].as_str().unwrap().into(),
                )
            })
            .collect();
        want.sort();
        assert_eq!(got, want);
        assert!(c
            .packages
            .iter()
            .all(|p| p.purl.contains("distro=alpine-3.18.0")));
    }
    for src in [out.join("oci"), out.join("docker-save.tar")] {
        let start = Instant::now();
        let c = catalog_source(&src, &CatalogOptions::default()).unwrap();
        eprintln!(
            "{}: {} packages in {:?}",
            src.display(),
            c.packages.len(),
            start.elapsed()
        );
        eprintln!("  per ecosystem: {:?}", kubeward_image::catalog::counts(&c));
        let of = |eco: Ecosystem| -> Vec<&kubeward_image::package::Package> {
            c.packages.iter().filter(|p| p.ecosystem == eco).collect()
        };
        if let Some(debs) = exp["deb"].as_array() {
            let got: Vec<(String, String)> = of(Ecosystem::Dpkg)
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect();
            let want: Vec<(String, String)> = debs
                .iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().into(),
                        d["version"].as_str().unwrap().into(),
                    )
                })
                .collect();
            assert_eq!(got, want);
            for (p, d) in of(Ecosystem::Dpkg).iter().zip(debs) {
                assert_eq!(p.source_name.as_deref(), d["source"].as_str());
                assert_eq!(p.layer.as_deref(), Some(diff_ids[0].as_str()));
            }
        }
        let mut py: Vec<String> = of(Ecosystem::Pypi)
            .iter()
            .filter(|p| !p.owned_by_os_package)
            .map(|p| p.name.to_lowercase())
            .collect();
        py.sort();
        let want_py: Vec<String> = exp["python_squashed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(py, want_py);
        if let Some(npm) = exp["npm_layer3"].as_array() {
            let mut got: Vec<(String, String)> = of(Ecosystem::Npm)
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect();
            got.sort();
            let want: Vec<(String, String)> = npm
                .iter()
                .map(|d| {
                    (
                        d["name"].as_str().unwrap().into(),
                        d["version"].as_str().unwrap().into(),
                    )
                })
                .filter(|(n, _): &(String, String)| n != "minimist")
                .collect();
            assert_eq!(got, want);
        }
        let go = of(Ecosystem::Golang);
        if out.join("../go/goapp").exists() || !go.is_empty() {
            assert!(go.iter().any(|p| p.name == "example.com/goapp"), "{go:?}");
            assert!(go.iter().any(|p| p.name == "stdlib"), "{go:?}");
        }
        let cargo = of(Ecosystem::Cargo);
        if !cargo.is_empty() {
            assert!(cargo
                .iter()
                .any(|p| p.name == "smallvec" && p.version == "1.6.0"));
        }
    }
}
