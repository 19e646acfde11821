//! `kubeward db update` against a tiny HTTP server on 127.0.0.1 (no internet): a fresh
//! download, "up to date" through ETag, an interrupted transfer resumed with a Range request,
//! a corrupt zip and a wrong CRC32C rejected without touching the previous database, and
//! `kubeward vuln` reading the cache by default.
#![cfg(feature = "download")]

use assert_cmd::Command;
use serde_json::{json, Value};
mod support;

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use support::http;

/// What the server serves and what it saw.
#[derive(Default)]
struct State {
    body: Vec<u8>,
    etag: String,
    /// `x-goog-hash` value to send (None: no header).
    goog_hash: Option<String>,
    /// Send only this many body bytes of the next full or partial response, then close.
    cut_next: Option<usize>,
    /// Request lines and headers seen, one string per request.
    requests: Vec<String>,
}

struct Server {
    url: String,
    state: Arc<Mutex<State>>,
}

fn serve_one(mut s: TcpStream, state: &Mutex<State>) -> std::io::Result<()> {
    let head = http::read_head(&s)?;
    let header = |name: &str| http::header(&head, name);
    let mut st = state.lock().expect("lock");
    st.requests.push(head.clone());
    let path = head.split_whitespace().nth(1).unwrap_or("").to_string();
    if path != "/PyPI/all.zip" && path != "/Red%20Hat/all.zip" {
        s.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")?;
        return Ok(());
    }
    let etag = st.etag.clone();
    let mut extra = format!("ETag: {etag}\r\nLast-Modified: Mon, 01 Jan 2024 00:00:00 GMT\r\n");
    if let Some(h) = &st.goog_hash {
        extra.push_str(&format!("x-goog-hash: {h}\r\n"));
    }
    if header("If-None-Match").as_deref() == Some(etag.as_str()) {
        s.write_all(
            format!("HTTP/1.1 304 Not Modified\r\n{extra}Connection: close\r\n\r\n").as_bytes(),
        )?;
        return Ok(());
    }
    let len = st.body.len();
    let mut start = 0;
    let mut status = "200 OK".to_string();
    if let Some(r) = header("Range") {
        let from = http::range_start(&r).unwrap_or(0);
        let if_range_ok = header("If-Range").is_none_or(|v| v == etag);
        if if_range_ok {
            if from >= len {
                s.write_all(format!("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{len}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").as_bytes())?;
                return Ok(());
            }
            start = from;
            status = "206 Partial Content".into();
            extra.push_str(&format!(
                "Content-Range: bytes {from}-{}/{len}\r\n",
                len - 1
            ));
        }
    }
    let body = st.body[start..].to_vec();
    let cut = st.cut_next.take();
    drop(st);
    s.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Type: application/zip\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    match cut {
        Some(n) => {
            s.write_all(&body[..n.min(body.len())])?;
            s.flush()?;
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        None => s.write_all(&body)?,
    }
    Ok(())
}

fn server() -> Server {
    let state = Arc::new(Mutex::new(State::default()));
    let st = Arc::clone(&state);
    let url = http::loopback(move |conn| {
        let _ = serve_one(conn, &st);
    });
    Server { url, state }
}

/// A zip of OSV records: `n` PyPI records, the first for flask < 2.2.5, padded so that the
/// transfer is large enough to interrupt.
fn export_zip(n: usize, tag: &str) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..n {
        let name = if i == 0 {
            "flask".to_string()
        } else {
            format!("pkg-{i}")
        };
        let rec = json!({
            "id": format!("KWDB-{tag}-{i}"),
            "modified": "2024-01-01T00:00:00Z",
            "details": "x".repeat(2000),
            "affected": [{"package": {"ecosystem": "PyPI", "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.2.5"}]}]}],
        });
        w.start_file(format!("KWDB-{tag}-{i}.json"), opts)
            .expect("entry");
        w.write_all(&serde_json::to_vec(&rec).expect("json"))
            .expect("write");
    }
    w.finish().expect("zip").into_inner()
}

/// CRC32C as in the `x-goog-hash` header (base64 of the big-endian value).
fn goog_crc32c(data: &[u8]) -> String {
    let mut c: u32 = !0;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0x82F6_3B78
            } else {
                c >> 1
            };
        }
    }
    let v = (!c).to_be_bytes();
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let n = (u32::from(v[0]) << 16) | (u32::from(v[1]) << 8) | u32::from(v[2]);
    let m = u32::from(v[3]) << 16;
    let mut s = String::new();
    for k in [18, 12, 6, 0] {
        s.push(A[((n >> k) & 63) as usize] as char);
    }
    s.push(A[((m >> 18) & 63) as usize] as char);
    s.push(A[((m >> 12) & 63) as usize] as char);
    s.push_str("==");
    format!("crc32c={s},md5=AAAAAAAAAAAAAAAAAAAAAA==")
}

fn kubeward() -> Command {
    let mut c = Command::cargo_bin("kubeward").expect("binary");
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        c.env_remove(v);
    }
    c.env_remove("KUBEWARD_CACHE_DIR");
    c
}

fn update(url: &str, dir: &Path, eco: &str) -> (i32, String) {
    let out = kubeward()
        .args([
            "db",
            "update",
            "--ecosystem",
            eco,
            "--base-url",
            url,
            "--db-dir",
        ])
        .arg(dir)
        .output()
        .expect("run");
    (
        out.status.code().expect("code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
        .expect("json")
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn root_with_flask(dir: &Path) -> PathBuf {
    let root = dir.join("root");
    let meta = root.join("usr/local/lib/python3.11/site-packages/Flask-2.0.0.dist-info/METADATA");
    std::fs::create_dir_all(meta.parent().expect("parent")).expect("mkdir");
    std::fs::write(meta, b"Name: Flask\nVersion: 2.0.0\n").expect("write");
    root
}

#[test]
fn download_up_to_date_and_default_for_vuln() {
    let srv = server();
    let body = export_zip(20, "a");
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body.clone();
        st.etag = "\"v1\"".into();
        st.goog_hash = Some(goog_crc32c(&body));
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let cache = tmp.path().join("cache");
    let dir = cache.join("osv");
    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("PyPI: updated, 20 records"), "{err}");
    let m = manifest(&dir);
    let e = &m["ecosystems"]["PyPI"];
    assert_eq!(e["file"], "PyPI/all.zip");
    assert_eq!(e["sha256"], sha256_hex(&body));
    assert_eq!(e["size"], body.len());
    assert_eq!(e["etag"], "\"v1\"");
    assert_eq!(e["last_modified"], "Mon, 01 Jan 2024 00:00:00 GMT");
    assert!(e["crc32c"].is_string());
    assert_eq!(e["md5"], "AAAAAAAAAAAAAAAAAAAAAA==");
    assert_eq!(std::fs::read(dir.join("PyPI/all.zip")).expect("zip"), body);
    assert!(!dir.join("PyPI/all.zip.part").exists());

    // second run: the server answers 304 to If-None-Match
    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("PyPI: up to date"), "{err}");
    let reqs = srv.state.lock().expect("lock").requests.clone();
    assert!(
        reqs.last()
            .expect("request")
            .to_ascii_lowercase()
            .contains("if-none-match: \"v1\""),
        "{reqs:?}"
    );

    // `vuln` without --db reads $KUBEWARD_CACHE_DIR/osv
    let root = root_with_flask(tmp.path());
    let out = kubeward()
        .env("KUBEWARD_CACHE_DIR", &cache)
        .args(["vuln", "--format", "json"])
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["matches"][0]["id"], "KWDB-a-0");
    // `db status` lists it
    let out = kubeward()
        .args(["db", "status", "--db-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains("PyPI"));
}

#[test]
fn interrupted_download_resumes_with_range() {
    let srv = server();
    let body = export_zip(60, "r");
    assert!(body.len() > 100_000);
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body.clone();
        st.etag = "\"r1\"".into();
        st.goog_hash = Some(goog_crc32c(&body));
        st.cut_next = Some(50_000);
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("interrupted"), "{err}");
    assert!(err.contains("run again to resume"), "{err}");
    let part = std::fs::read(dir.join("PyPI/all.zip.part")).expect("part kept");
    assert_eq!(part.len(), 50_000);
    assert!(!dir.join("PyPI/all.zip").exists());
    assert!(!dir.join("manifest.json").exists());

    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 0, "{err}");
    let reqs = srv.state.lock().expect("lock").requests.clone();
    let last = reqs.last().expect("request").to_ascii_lowercase();
    assert!(last.contains("range: bytes=50000-"), "{last}");
    assert!(last.contains("if-range: \"r1\""), "{last}");
    assert_eq!(std::fs::read(dir.join("PyPI/all.zip")).expect("zip"), body);
    assert_eq!(
        manifest(&dir)["ecosystems"]["PyPI"]["sha256"],
        sha256_hex(&body)
    );

    // a part whose object changed meanwhile (If-Range fails): the server sends it all again
    let body2 = export_zip(61, "s");
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body.clone();
        st.etag = "\"r2\"".into();
        st.goog_hash = Some(goog_crc32c(&body));
        st.cut_next = Some(30_000);
    }
    let (code, _) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 2);
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body2.clone();
        st.etag = "\"r3\"".into();
        st.goog_hash = Some(goog_crc32c(&body2));
    }
    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(dir.join("PyPI/all.zip")).expect("zip"), body2);
}

#[test]
fn corrupt_downloads_never_replace_the_good_database() {
    let srv = server();
    let good = export_zip(5, "g");
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = good.clone();
        st.etag = "\"g1\"".into();
        st.goog_hash = None;
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&srv.url, &dir, "PyPI");
    assert_eq!(code, 0, "{err}");
    let manifest_before = std::fs::read(dir.join("manifest.json")).expect("manifest");

    // not a zip
    let mut bad = good.clone();
    let mid = bad.len() / 2;
    for b in &mut bad[mid - 200..mid + 200] {
        *b ^= 0x5a;
    }
    for (etag, body, hash, what) in [
        (
            "\"b1\"",
            b"<html>oops</html>".to_vec(),
            None,
            "not a valid zip",
        ),
        ("\"b2\"", bad.clone(), None, "not a valid zip"),
        (
            "\"b3\"",
            good.clone(),
            Some("crc32c=AAAAAA==".to_string()),
            "CRC32C",
        ),
        ("\"b4\"", export_zip(0, "e"), None, "no OSV JSON records"),
    ] {
        {
            let mut st = srv.state.lock().expect("lock");
            st.body = body;
            st.etag = etag.into();
            st.goog_hash = hash;
        }
        let (code, err) = update(&srv.url, &dir, "PyPI");
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("rejected"), "{what}: {err}");
        assert!(err.contains(what), "{what}: {err}");
        assert!(err.contains("previous database is unchanged"), "{err}");
        support::assert_database_unchanged(&dir, &good, &manifest_before, what);
        assert!(!dir.join("PyPI/all.zip.part").exists(), "{what}");
    }
    // the old database still works
    let root = root_with_flask(tmp.path());
    let out = kubeward()
        .args(["vuln", "--format", "json", "--db"])
        .arg(&dir)
        .arg(&root)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn names_are_encoded_and_checked() {
    let srv = server();
    let body = export_zip(2, "h");
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body;
        st.etag = "\"h\"".into();
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&srv.url, &dir, "Red Hat");
    assert_eq!(code, 0, "{err}");
    assert!(dir.join("Red Hat/all.zip").is_file());
    let (code, err) = update(&srv.url, &dir, "../../etc");
    assert_eq!(code, 2);
    assert!(err.contains("invalid ecosystem name"), "{err}");
    let (code, err) = update(&srv.url, &dir, "npm");
    assert_eq!(code, 2);
    assert!(err.contains("HTTP 404"), "{err}");
    // a server that is not there
    let (code, err) = update("http://127.0.0.1:9", &dir, "PyPI");
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        manifest(&dir)["ecosystems"].as_object().expect("map").len(),
        1
    );
}

#[test]
fn concurrent_updates_of_one_folder_are_locked() {
    let srv = server();
    let body = export_zip(3, "l");
    {
        let mut st = srv.state.lock().expect("lock");
        st.body = body.clone();
        st.etag = "\"l1\"".into();
        st.goog_hash = Some(goog_crc32c(&body));
    }
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("osv");
    std::fs::create_dir_all(&dir).expect("mkdir");
    // this test process holds the folder's lock as a running update would
    let held = kubeward_inventory::db::lock(&dir, std::time::Duration::ZERO).expect("first lock");
    let run = |timeout: &str| {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("kubeward"));
        for v in [
            "KUBEWARD_CACHE_DIR",
            "HTTP_PROXY",
            "http_proxy",
            "ALL_PROXY",
            "all_proxy",
        ] {
            c.env_remove(v);
        }
        c.args([
            "db",
            "update",
            "--ecosystem",
            "PyPI",
            "--base-url",
            &srv.url,
            "--lock-timeout",
            timeout,
            "--db-dir",
        ])
        .arg(&dir);
        c
    };
    let out = run("1").output().expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("is locked by another `kubeward db update` (waited 1 s)"),
        "{err}"
    );
    assert!(!dir.join("manifest.json").exists());
    // a second process waits for the lock and runs once it is released
    let child = run("60")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(!dir.join("manifest.json").exists(), "ran while locked");
    drop(held);
    let out = child.wait_with_output().expect("wait");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("PyPI: updated, 3 records"), "{err}");
    // and the lock is free again once it has finished
    kubeward_inventory::db::lock(&dir, std::time::Duration::ZERO).expect("free after the run");
}
