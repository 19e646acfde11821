//! Registry pulls against a real registry: Debian's `docker-registry` (the distribution v2
//! `registry` binary) started on 127.0.0.1 with a temporary configuration. The test builds a
//! small image as an OCI layout, pushes it with oci-client, and pulls it back through
//! `kubeward inventory add registry://...` and `pull_to_layout`, asserting the catalogued
//! packages; a two-platform index checks platform resolution.
//!
//! Without the binary the test is skipped with a message, unless `CI` is set: then it fails
//! (`.ci/run` installs the package).
#![cfg(feature = "registry")]

use assert_cmd::Command;
use kubeward_image::image::registry::{client_for, parse_reference, pull_to_layout, PullOptions};
use oci_client::client::{Config, ImageLayer};
use oci_client::secrets::RegistryAuth;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

fn registry_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("docker-registry"))
        .find(|p| p.is_file())
}

/// A registry process, killed on drop.
struct Registry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port on loopback")
}

/// `GET /v2/` answers (200, or 401 with auth).
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /v2/ HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .is_err()
    {
        return false;
    }
    let mut buf = [0u8; 64];
    let n = s.read(&mut buf).unwrap_or(0);
    buf[..n].starts_with(b"HTTP/1.") && n >= 12 && (&buf[9..12] == b"200" || &buf[9..12] == b"401")
}

fn start_registry(bin: &Path) -> Registry {
    let mut last = String::new();
    for _attempt in 0..3 {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.path().join("registry.log")).unwrap();
        let child = std::process::Command::new(bin)
            .arg("serve")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{}: cannot start: {e}", bin.display()));
        let mut reg = Registry {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if answers(port) {
                return reg;
            }
            if let Ok(Some(status)) = reg.child.try_wait() {
                last = format!(
                    "exited with {status}: {}",
                    std::fs::read_to_string(reg._dir.path().join("registry.log"))
                        .unwrap_or_default()
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if last.is_empty() {
            last = "did not answer within 20 s".into();
        }
    }
    panic!("{}: registry did not start: {last}", bin.display());
}

fn sha256(data: &[u8]) -> String {
    let d = Sha256::digest(data);
    format!(
        "sha256:{}",
        d.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

/// A tar layer with the given files (path, content).
fn layer_tar(files: &[(&str, &str)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, content) in files {
        let mut h = tar::Header::new_ustar();
        h.set_size(content.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, content.as_bytes()).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// An image as an OCI layout folder: one gzip layer with the files; returns the layout.
fn build_layout(dir: &Path, arch: &str, files: &[(&str, &str)]) -> PathBuf {
    let root = dir.join(format!("layout-{arch}"));
    let blobs = root.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    let tar = layer_tar(files);
    let layer = gzip(&tar);
    let config = serde_json::to_vec(&json!({
        "architecture": arch, "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": [sha256(&tar)]},
        "config": {}
    }))
    .unwrap();
    let manifest = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256(&config), "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha256(&layer), "size": layer.len()}]
    }))
    .unwrap();
    for blob in [&layer, &config, &manifest] {
        let d = sha256(blob);
        std::fs::write(blobs.join(d.trim_start_matches("sha256:")), blob).unwrap();
    }
    std::fs::write(root.join("oci-layout"), r#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::fs::write(
        root.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": sha256(&manifest), "size": manifest.len()}]}))
        .unwrap(),
    )
    .unwrap();
    root
}

fn blob(layout: &Path, digest: &str) -> Vec<u8> {
    std::fs::read(
        layout
            .join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:")),
    )
    .unwrap()
}

/// Pushes the layout's image to `reference` with oci-client; returns (manifest digest, size).
fn push(layout: &Path, reference: &str) -> (String, usize) {
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let mdigest = index["manifests"][0]["digest"]
        .as_str()
        .unwrap()
        .to_string();
    let manifest: Value = serde_json::from_slice(&blob(layout, &mdigest)).unwrap();
    let layers: Vec<ImageLayer> = manifest["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            ImageLayer::new(
                blob(layout, l["digest"].as_str().unwrap()),
                l["mediaType"].as_str().unwrap().to_string(),
                None,
            )
        })
        .collect();
    let config = Config::oci_v1(
        blob(layout, manifest["config"]["digest"].as_str().unwrap()),
        None,
    );
    let r = parse_reference(reference).unwrap();
    let opts = PullOptions {
        insecure: true,
        ..PullOptions::default()
    };
    let client = client_for(&r, &opts).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        client
            .push(&r, &layers, config, &RegistryAuth::Anonymous, None)
            .await
            .expect("push");
        let d = client
            .fetch_manifest_digest(&r, &RegistryAuth::Anonymous)
            .await
            .expect("digest");
        let (raw, _) = client
            .pull_manifest_raw(
                &r,
                &RegistryAuth::Anonymous,
                &["application/vnd.oci.image.manifest.v1+json"],
            )
            .await
            .unwrap();
        (d, raw.len())
    })
}

fn push_index(reference: &str, entries: &[(String, usize, &str)]) -> String {
    let manifests: Vec<Value> = entries
        .iter()
        .map(|(d, size, arch)| {
            json!({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": d,
                   "size": size, "platform": {"os": "linux", "architecture": arch}})
        })
        .collect();
    let body = serde_json::to_vec(&json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": manifests
    }))
    .unwrap();
    let digest = sha256(&body);
    let r = parse_reference(reference).unwrap();
    let client = client_for(
        &r,
        &PullOptions {
            insecure: true,
            ..PullOptions::default()
        },
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // an anonymous token dance is not needed: the registry has no auth
        client
            .push_manifest_raw(
                &r,
                body,
                http::HeaderValue::from_static("application/vnd.oci.image.index.v1+json"),
            )
            .await
            .expect("push index")
    });
    digest
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    c.env_remove("KUBEWARD_DATA_DIR")
        .env_remove("KUBEWARD_REGISTRY_USERNAME")
        .env_remove("KUBEWARD_REGISTRY_PASSWORD")
        .env_remove("KUBEWARD_REGISTRY_TOKEN");
    c
}

#[test]
fn pull_from_a_local_registry() {
    let Some(bin) = registry_binary() else {
        if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            panic!("docker-registry is not installed, and CI is set: .ci/run must install the `docker-registry` package");
        }
        eprintln!("SKIPPED registry_pull: the `docker-registry` binary is not installed (apt-get install docker-registry); CI fails instead of skipping");
        return;
    };
    let reg = start_registry(&bin);
    let host = format!("127.0.0.1:{}", reg.port);
    let dir = tempfile::tempdir().unwrap();

    let amd64 = build_layout(
        dir.path(),
        "amd64",
        &[
            (
                "usr/lib/node_modules/lodash/package.json",
                r#"{"name":"lodash","version":"4.17.15"}"#,
            ),
            (
                "usr/lib/python3/site-packages/requests-2.25.1.dist-info/METADATA",
                "Metadata-Version: 2.1\nName: requests\nVersion: 2.25.1\n",
            ),
        ],
    );
    let arm64 = build_layout(
        dir.path(),
        "arm64",
        &[(
            "usr/lib/node_modules/semver/package.json",
            r#"{"name":"semver","version":"5.7.1"}"#,
        )],
    );
    let (d_amd, s_amd) = push(&amd64, &format!("{host}/test/app:1"));
    let (d_arm, s_arm) = push(&arm64, &format!("{host}/test/app:arm64"));
    let index_digest = push_index(
        &format!("{host}/test/app:multi"),
        &[
            (d_amd.clone(), s_amd, "amd64"),
            (d_arm.clone(), s_arm, "arm64"),
        ],
    );

    // the library: a single-platform tag
    let layout = pull_to_layout(
        &format!("registry://{host}/test/app:1"),
        &PullOptions {
            insecure: true,
            ..PullOptions::default()
        },
    )
    .expect("pull");
    assert_eq!(layout.manifest_digest, d_amd);
    assert_eq!(layout.index_digest, None);
    let c = kubeward_image::catalog_source(layout.path(), &Default::default()).unwrap();
    let mut pkgs: Vec<String> = c
        .packages
        .iter()
        .map(|p| format!("{} {} {}", p.ecosystem, p.name, p.version))
        .collect();
    pkgs.sort();
    assert_eq!(pkgs, ["npm lodash 4.17.15", "pypi requests 2.25.1"]);
    assert_eq!(c.source.manifest_digest.as_deref(), Some(d_amd.as_str()));
    assert_eq!(c.source.names, [format!("{host}/test/app:1")]);
    let kept = layout.path().to_path_buf();
    drop(layout);
    assert!(!kept.exists(), "the temporary layout is removed on drop");

    // the index: linux/amd64 by default, --platform picks another
    let opts = |platform: Option<&str>| PullOptions {
        insecure: true,
        platform: platform.map(str::to_string),
        ..PullOptions::default()
    };
    let l = pull_to_layout(&format!("{host}/test/app:multi"), &opts(None)).unwrap();
    assert_eq!(l.manifest_digest, d_amd);
    assert_eq!(l.index_digest.as_deref(), Some(index_digest.as_str()));
    let l = pull_to_layout(
        &format!("{host}/test/app:multi"),
        &opts(Some("linux/arm64")),
    )
    .unwrap();
    assert_eq!(l.manifest_digest, d_arm);
    let e = pull_to_layout(
        &format!("{host}/test/app:multi"),
        &opts(Some("linux/s390x")),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("available: linux/amd64, linux/arm64"),
        "{e}"
    );
    let e = pull_to_layout(&format!("{host}/test/missing:1"), &opts(None)).unwrap_err();
    assert!(e.to_string().contains("test/missing"), "{e}");

    // the CLI: inventory add from the registry, by tag and through the index
    let store = dir.path().join("inv.db");
    let out = kubeward()
        .args([
            "inventory",
            "add",
            &format!("registry://{host}/test/app:1"),
            "--insecure",
        ])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!(
            "added image {host}/test/app:1 ({d_amd}, 2 packages)"
        )),
        "{stdout}"
    );
    let out = kubeward()
        .args([
            "inventory",
            "add",
            &format!("{host}/test/app:multi"),
            "--insecure",
            "--platform",
            "linux/arm64",
        ])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = kubeward()
        .args(["inventory", "list", "--format", "json"])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let images = v["images"].as_array().unwrap();
    assert_eq!(images.len(), 2, "{v}");
    let multi = images
        .iter()
        .find(|i| i["reference"] == format!("{host}/test/app:multi"))
        .unwrap();
    assert_eq!(multi["digest"], d_arm.as_str());
    assert_eq!(multi["index_digest"], index_digest.as_str());
    assert_eq!(multi["packages"], 1);

    // plain HTTP only when asked, and only on loopback
    let out = kubeward()
        .args(["inventory", "add", &format!("registry://{host}/test/app:1")])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = kubeward()
        .args([
            "inventory",
            "add",
            "registry://registry.example:5000/a:1",
            "--insecure",
        ])
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("only for loopback"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
