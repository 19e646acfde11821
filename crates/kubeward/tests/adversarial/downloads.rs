//! Class 6: downloads and archives. `kubeward db update` against hostile servers on loopback
//! (a stall after the headers, a one-byte drip, a redirect away from loopback), hostile zips
//! (65,000 central-directory entries over one deflated blob, a decompression bomb, entries
//! that are not OSV records), and the classes that already held: an interrupted download
//! resumes, a corrupt download never replaces the good database.

use super::common::texts;
use crate::support::{assert_database_unchanged, http};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What the test server answers to one request: the head of the request (request line and
/// headers) in, the behaviour out.
pub(crate) enum Reply {
    /// `200 OK` with this body (or `206` from the `Range` start when the request has one).
    Body(Vec<u8>),
    /// `200 OK`, this body, but close the connection after `n` body bytes.
    Cut(Vec<u8>, usize),
    /// Headers announcing `len` bytes, then nothing (the connection stays open).
    Stall(usize),
    /// Headers announcing `len` bytes, then one byte every `every`.
    Drip(usize, Duration),
    /// A redirect to this location.
    Redirect(String),
}

/// A loopback HTTP/1.1 server whose answers `reply` decides; returns its base URL and the
/// request heads it saw.
pub(crate) fn server(
    reply: impl Fn(&str) -> Reply + Send + Sync + 'static,
) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = Arc::clone(&seen);
    let reply = Arc::new(reply);
    // one thread per connection: a stalled answer must not hold up the next request
    let url = http::loopback(move |conn| {
        let reply = Arc::clone(&reply);
        let seen = Arc::clone(&seen2);
        std::thread::spawn(move || {
            let _ = serve_one(conn, &*reply, &seen);
        });
    });
    (url, seen)
}

fn serve_one(
    mut s: TcpStream,
    reply: &dyn Fn(&str) -> Reply,
    seen: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let head = http::read_head(&s)?;
    seen.lock().expect("lock").push(head.clone());
    let range_from = http::header(&head, "range").and_then(|v| http::range_start(&v));
    let ok = |len: usize| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {len}\r\nETag: \"t1\"\r\nConnection: close\r\n\r\n"
        )
    };
    match reply(&head) {
        Reply::Body(body) => match range_from.filter(|&f| f > 0 && f < body.len()) {
            Some(from) => {
                s.write_all(
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nETag: \"t1\"\r\nConnection: close\r\n\r\n",
                        body.len() - from,
                        body.len() - 1,
                        body.len()
                    )
                    .as_bytes(),
                )?;
                s.write_all(&body[from..])?;
            }
            None => {
                s.write_all(ok(body.len()).as_bytes())?;
                s.write_all(&body)?;
            }
        },
        Reply::Cut(body, n) => {
            s.write_all(ok(body.len()).as_bytes())?;
            s.write_all(&body[..n.min(body.len())])?;
            s.flush()?;
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
        Reply::Stall(len) => {
            s.write_all(ok(len).as_bytes())?;
            s.flush()?;
            // hold the connection until the client gives up
            let mut sink = [0u8; 64];
            let _ = s.read(&mut sink);
        }
        Reply::Drip(len, every) => {
            s.write_all(ok(len).as_bytes())?;
            for _ in 0..len {
                s.write_all(b" ")?;
                s.flush()?;
                std::thread::sleep(every);
            }
        }
        Reply::Redirect(to) => {
            s.write_all(
                format!("HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )?;
        }
    }
    Ok(())
}

/// Runs `kubeward` with `args`; a safety net kills it after 60 s and fails the test (the
/// bounds under test are seconds; this only keeps a regression from hanging the suite).
pub(crate) fn run_bounded(args: &[&std::ffi::OsStr]) -> Output {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("kubeward"));
    cmd.args(args)
        .env_remove("KUBEWARD_CACHE_DIR")
        .env_remove("NO_COLOR")
        .env("CLICOLOR", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for v in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    let mut child = cmd.spawn().expect("spawn kubeward");
    let start = Instant::now();
    loop {
        if child.try_wait().expect("wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!(
                "kubeward {args:?} still running after 60 s (killed); stderr: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn update(url: &str, dir: &Path, extra: &[&str]) -> (i32, String) {
    let mut args: Vec<&std::ffi::OsStr> = [
        "db",
        "update",
        "--ecosystem",
        "PyPI",
        "--base-url",
        url,
        "--db-dir",
    ]
    .into_iter()
    .map(std::ffi::OsStr::new)
    .collect();
    args.push(dir.as_os_str());
    args.extend(extra.iter().map(|s| std::ffi::OsStr::new(*s)));
    let out = run_bounded(&args);
    let (_, err) = texts(&out);
    (out.status.code().unwrap_or(-1), err)
}

/// One small OSV record for flask < 2.2.5.
pub(crate) fn record(id: &str) -> String {
    format!(
        r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"PyPI","name":"flask"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2.2.5"}}]}}]}}]}}"#
    )
}

/// A zip of `(name, content)` entries, deflated.
pub(crate) fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in entries {
        w.start_file(*name, opts).expect("entry");
        w.write_all(data).expect("write");
    }
    w.finish().expect("zip").into_inner()
}

fn good_feed(n: usize, tag: &str) -> Vec<u8> {
    let entries: Vec<(String, Vec<u8>)> = (0..n)
        .map(|i| {
            let id = format!("KW-{tag}-{i}");
            (format!("{id}.json"), record(&id).into_bytes())
        })
        .collect();
    let refs: Vec<(&str, Vec<u8>)> = entries
        .iter()
        .map(|(n, d)| (n.as_str(), d.clone()))
        .collect();
    zip_of(&refs)
}

/// A zip whose central directory lists `count` entries that all point at the same local
/// header and deflated blob of `size` zero bytes: each entry alone is a valid, CRC-checked
/// file, together they decompress `count * size` bytes out of a few kilobytes.
fn overlapping_zip(count: usize, size: usize) -> Vec<u8> {
    use flate2::write::DeflateEncoder;
    let mut enc = DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(&vec![0u8; size]).expect("deflate");
    let data = enc.finish().expect("deflate");
    let crc = {
        let mut c = flate2::Crc::new();
        c.update(&vec![0u8; size]);
        c.sum()
    };
    let name = b"a.json";
    let mut out = Vec::new();
    // local file header
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&20u16.to_le_bytes()); // version needed
    out.extend_from_slice(&0u16.to_le_bytes()); // flags
    out.extend_from_slice(&8u16.to_le_bytes()); // deflate
    out.extend_from_slice(&0u32.to_le_bytes()); // time, date
    out.extend_from_slice(&crc.to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&(size as u32).to_le_bytes());
    out.extend_from_slice(&(name.len() as u16).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(name);
    out.extend_from_slice(&data);
    let cd_start = out.len();
    for i in 0..count {
        let n = format!("e{i:05}.json");
        out.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        out.extend_from_slice(&20u16.to_le_bytes()); // made by
        out.extend_from_slice(&20u16.to_le_bytes()); // needed
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&8u16.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&crc.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(size as u32).to_le_bytes());
        out.extend_from_slice(&(n.len() as u16).to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes()); // extra
        out.extend_from_slice(&0u16.to_le_bytes()); // comment
        out.extend_from_slice(&0u16.to_le_bytes()); // disk
        out.extend_from_slice(&0u16.to_le_bytes()); // internal attrs
        out.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        out.extend_from_slice(&0u32.to_le_bytes()); // local header offset: all the same
        out.extend_from_slice(n.as_bytes());
    }
    let cd_len = out.len() - cd_start;
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&(count as u16).to_le_bytes());
    out.extend_from_slice(&(cd_len as u32).to_le_bytes());
    out.extend_from_slice(&(cd_start as u32).to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn a_server_that_stalls_after_the_headers_fails_within_the_deadline() {
    let (url, _) = server(|_| Reply::Stall(1_000_000));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &["--timeout", "3"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("deadline of 3 s"), "{err}");
    assert!(!dir.join("manifest.json").exists());
}

#[test]
fn a_one_byte_drip_fails_by_the_minimum_rate() {
    let (url, _) = server(|_| Reply::Drip(100_000, Duration::from_millis(200)));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(
        &url,
        &dir,
        &[
            "--timeout",
            "50",
            "--min-rate",
            "1000",
            "--rate-window",
            "2",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("too slow"), "{err}");
    assert!(err.contains("--min-rate"), "{err}");
}

#[test]
fn a_redirect_away_from_loopback_is_refused_before_any_lookup() {
    let (url, seen) = server(|_| Reply::Redirect("http://kubeward-test.invalid/x".into()));
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, err) = update(&url, &tmp.path().join("db"), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refused redirect"), "{err}");
    assert!(err.contains("http://kubeward-test.invalid/x"), "{err}");
    let lower = err.to_ascii_lowercase();
    assert!(
        !lower.contains("dns") && !lower.contains("resolve") && !lower.contains("lookup"),
        "{err}"
    );
    assert_eq!(seen.lock().expect("lock").len(), 1);
}

#[test]
fn a_redirect_within_loopback_is_followed() {
    let body = good_feed(2, "r");
    let (url, _) = server(move |head| {
        if head.starts_with("GET /moved/") {
            Reply::Body(body.clone())
        } else {
            Reply::Redirect("/moved/all.zip".into())
        }
    });
    let tmp = tempfile::tempdir().expect("tmp");
    let (code, err) = update(&url, &tmp.path().join("db"), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("updated, 2 records"), "{err}");
}

#[test]
fn overlapping_zip_entries_are_refused_at_once() {
    // 65,000 entries over one 10 MB blob: 650 GB to inflate without the overlap check
    let bomb = overlapping_zip(65_000, 10 << 20);
    assert!(bomb.len() < 4 << 20);
    let good = good_feed(3, "g");
    let serve = Arc::new(Mutex::new(good.clone()));
    let s2 = Arc::clone(&serve);
    let (url, _) = server(move |_| Reply::Body(s2.lock().expect("lock").clone()));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 0, "{err}");
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    *serve.lock().expect("lock") = bomb.clone();
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rejected"), "{err}");
    assert!(err.contains("overlap"), "{err}");
    assert_database_unchanged(&dir, &good, &manifest, "bomb");
    // the same archive given to `vuln --db` is refused too, not inflated
    let zip = tmp.path().join("bomb.zip");
    std::fs::write(&zip, &bomb).expect("write");
    let sbom = tmp.path().join("app.cdx.json");
    std::fs::write(&sbom, SBOM).expect("write");
    let out = run_bounded(&[
        "vuln".as_ref(),
        "--db".as_ref(),
        zip.as_os_str(),
        sbom.as_os_str(),
    ]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("overlap"), "{err}");
}

#[test]
fn a_decompression_bomb_entry_is_refused_by_the_budget() {
    // one entry of 200 MB of spaces, about 200 KB deflated
    let bomb = zip_of(&[
        ("KW-1.json", record("KW-1").into_bytes()),
        ("big.json", vec![b' '; 200 << 20]),
    ]);
    assert!(bomb.len() < 1 << 20);
    let (url, _) = server(move |_| Reply::Body(bomb.clone()));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("rejected"), "{err}");
    assert!(err.contains("decompression budget"), "{err}");
    assert!(!dir.join("manifest.json").exists());
}

#[test]
fn a_feed_of_entries_that_are_not_osv_records_keeps_the_previous_database() {
    let good = good_feed(3, "g");
    let serve = Arc::new(Mutex::new(good.clone()));
    let s2 = Arc::clone(&serve);
    let (url, _) = server(move |_| Reply::Body(s2.lock().expect("lock").clone()));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 0, "{err}");
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    for (what, feed) in [
        (
            "not JSON",
            zip_of(&[
                ("A.json", b"<html>maintenance</html>".to_vec()),
                ("B.json", record("KW-B").into_bytes()),
            ]),
        ),
        (
            "no id",
            zip_of(&[("A.json", br#"{"summary": "no id here"}"#.to_vec())]),
        ),
        ("empty", zip_of(&[("README.txt", b"nothing".to_vec())])),
    ] {
        *serve.lock().expect("lock") = feed;
        let (code, err) = update(&url, &dir, &[]);
        assert_eq!(code, 2, "{what}: {err}");
        assert!(err.contains("rejected"), "{what}: {err}");
        assert!(
            err.contains("previous database is unchanged"),
            "{what}: {err}"
        );
        assert!(!err.contains("updated"), "{what}: {err}");
        assert_database_unchanged(&dir, &good, &manifest, what);
    }
}

/// Held before issue 6: an interrupted transfer keeps its part and the next run resumes it
/// with a `Range` request.
#[test]
fn an_interrupted_download_resumes() {
    let body = good_feed(400, "i");
    assert!(body.len() > 40_000, "{}", body.len());
    let first = Arc::new(Mutex::new(true));
    let b2 = body.clone();
    let (url, seen) = server(move |_| {
        let mut f = first.lock().expect("lock");
        if std::mem::replace(&mut *f, false) {
            Reply::Cut(b2.clone(), 20_000)
        } else {
            Reply::Body(b2.clone())
        }
    });
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("run again to resume"), "{err}");
    assert_eq!(
        std::fs::metadata(dir.join("PyPI/all.zip.part"))
            .expect("part")
            .len(),
        20_000
    );
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("updated, 400 records"), "{err}");
    assert!(seen
        .lock()
        .expect("lock")
        .last()
        .expect("request")
        .to_ascii_lowercase()
        .contains("range: bytes=20000-"));
    assert_eq!(std::fs::read(dir.join("PyPI/all.zip")).expect("zip"), body);
}

/// Held before issue 6: a download that fails its checksum is discarded and the previous
/// database stays as it was (atomic swap).
#[test]
fn a_download_with_a_bad_checksum_keeps_the_old_database() {
    let good = good_feed(2, "c");
    let serve = Arc::new(Mutex::new(None::<Vec<u8>>));
    let s2 = Arc::clone(&serve);
    let g2 = good.clone();
    // the second answer is the good feed with one byte flipped inside a stored record
    let (url, _) =
        server(move |_| Reply::Body(s2.lock().expect("lock").clone().unwrap_or(g2.clone())));
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path().join("db");
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 0, "{err}");
    let manifest = std::fs::read(dir.join("manifest.json")).expect("manifest");
    let mut bad = good_feed(2, "d");
    let mid = bad.len() / 4;
    bad[mid] ^= 0x40;
    *serve.lock().expect("lock") = Some(bad);
    let (code, err) = update(&url, &dir, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("previous database is unchanged"), "{err}");
    assert_database_unchanged(&dir, &good, &manifest, "bad checksum");
    assert!(!dir.join("PyPI/all.zip.part").exists());
}

const SBOM: &str = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
  "metadata": {"component": {"type": "container", "name": "app:1"}},
  "components": [{"type": "library", "name": "flask", "version": "2.0.0", "purl": "pkg:pypi/flask@2.0.0"}]}"#;

/// A registry on loopback serving one image manifest whose config blob is answered by
/// `blob`; returns the `host:port`.
fn registry(blob: impl Fn() -> Reply + Send + Sync + 'static) -> String {
    use sha2::Digest as _;
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let hex: String = sha2::Sha256::digest(config)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{hex}","size":{}}},"layers":[]}}"#,
        config.len()
    );
    let (url, _) = server(move |head| {
        if head.starts_with("GET /v2/app/manifests/") {
            Reply::Body(manifest.clone().into_bytes())
        } else if head.starts_with("GET /v2/app/blobs/") {
            blob()
        } else {
            Reply::Body(Vec::new())
        }
    });
    url.trim_start_matches("http://").to_string()
}

#[test]
fn a_registry_blob_redirect_away_from_loopback_is_refused() {
    let host = registry(|| Reply::Redirect("http://kubeward-test.invalid/x".into()));
    let tmp = tempfile::tempdir().expect("tmp");
    let store = tmp.path().join("inv.db");
    let image = format!("registry://{host}/app:1");
    let out = run_bounded(&[
        "inventory".as_ref(),
        "add".as_ref(),
        image.as_ref(),
        "--insecure".as_ref(),
        "--store".as_ref(),
        store.as_os_str(),
    ]);
    let (_, err) = texts(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("refused redirect"), "{err}");
    assert!(err.contains("http://kubeward-test.invalid/x"), "{err}");
    let lower = err.to_ascii_lowercase();
    assert!(
        !lower.contains("dns") && !lower.contains("resolve") && !lower.contains("lookup"),
        "{err}"
    );
}

#[test]
fn a_registry_blob_that_stalls_fails_within_the_deadline() {
    use kubeward_image::image::registry::{pull_to_layout, PullOptions};
    use kubeward_inventory::db::transfer::Limits;
    for (reply, limits, expect) in [
        (
            Reply::Stall(1_000_000),
            Limits {
                deadline: Duration::from_secs(3),
                ..Limits::default()
            },
            "deadline of 3 s",
        ),
        (
            Reply::Drip(100_000, Duration::from_millis(200)),
            Limits {
                deadline: Duration::from_secs(50),
                min_rate: 1000,
                window: Duration::from_secs(2),
            },
            "too slow",
        ),
    ] {
        let reply = Mutex::new(Some(reply));
        let host = registry(move || {
            reply
                .lock()
                .expect("lock")
                .take()
                .unwrap_or(Reply::Body(Vec::new()))
        });
        let opts = PullOptions {
            insecure: true,
            limits,
            ..PullOptions::default()
        };
        let start = Instant::now();
        let e = pull_to_layout(&format!("registry://{host}/app:1"), &opts)
            .expect_err("a stalled blob must fail");
        assert!(start.elapsed() < Duration::from_secs(60), "safety net");
        assert!(e.to_string().contains(expect), "{e}");
    }
}
