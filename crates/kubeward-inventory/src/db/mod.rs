//! The local vulnerability database: osv.dev's per-ecosystem exports
//! (`<base>/<Ecosystem>/all.zip`) downloaded into one folder, and loaded back as a
//! [`Database`].
//!
//! Layout of the folder:
//!
//! ```text
//! manifest.json            what is there: per ecosystem the URL, size, sha256, validators
//! <Ecosystem>/all.zip      the last export that downloaded completely and verified
//! <Ecosystem>/all.zip.part a download in progress (resumed with an HTTP Range request)
//! <Ecosystem>/all.zip.part.json   the validators (ETag, Last-Modified) the part belongs to
//! .lock                    held (an exclusive advisory lock) by the update running on the folder
//! ```
//!
//! Two updates on one folder never run at once: [`update`] takes an exclusive lock on
//! `.lock` ([`lock`]) before touching anything, and a second update waits for it up to
//! [`UpdateOptions::lock_timeout`], then fails with [`DbError::Locked`]. The lock is the
//! operating system's (`flock` / `LockFileEx`), so it is released when the process holding it
//! ends, however it ends.
//!
//! A download is bounded: a total deadline and a minimum transfer rate ([`transfer::Limits`]),
//! redirects only within the class of host it started on ([`transfer::check_redirect`]). It
//! is verified before it replaces anything: the length announced by the server, the CRC32C
//! of Google Cloud Storage's `x-goog-hash` header when present, and the zip itself: its
//! layout against a decompression budget (entry count, declared sizes, ratio, no overlapping
//! entries: [`kubeward_vuln::osv::db::check_zip`]), then every entry read (so each entry's CRC-32 is
//! checked) and every `*.json` entry parsed as OSV records; one invalid entry, or no record
//! at all, rejects the download. Only then is the part renamed over `all.zip` (an atomic
//! replace on one file system) and the manifest rewritten (written to a temporary file, then
//! renamed). A failed or rejected download never touches the previous database.
//!
//! Nothing here prints or reads the environment: the caller passes the folder, the base URL
//! and the proxy, and receives [`Event`]s to show progress.

mod checksum;
pub use kubeward_io::transfer;

use kubeward_vuln::osv::Database;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where osv.dev publishes its exports.
pub const DEFAULT_BASE_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems downloaded when none are named and the folder has none yet: those
/// kubeward catalogs and matches.
pub const DEFAULT_ECOSYSTEMS: [&str; 11] = [
    "AlmaLinux",
    "Alpine",
    "crates.io",
    "Debian",
    "Go",
    "Maven",
    "npm",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "Ubuntu",
];

/// Name of the manifest file in the database folder.
pub const MANIFEST: &str = "manifest.json";

const MANIFEST_FORMAT: u32 = 1;

/// What the database folder holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version (1).
    pub format: u32,
    /// Per ecosystem (osv.dev spelling), the export that is in place.
    pub ecosystems: BTreeMap<String, Entry>,
}

/// One downloaded export.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// Path of the zip, relative to the folder (`PyPI/all.zip`).
    pub file: String,
    /// Where it was downloaded from.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the zip, hex.
    pub sha256: String,
    /// Number of JSON records in the zip.
    pub records: usize,
    /// The server's `ETag`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The server's `Last-Modified`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
    /// CRC32C from `x-goog-hash` (base64, as sent), verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crc32c: Option<String>,
    /// MD5 from `x-goog-hash` (base64, as sent), recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
    /// When it was put in place (Unix seconds).
    pub updated_unix: u64,
}

/// Errors of the database cache.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The folder has no manifest.
    #[error("no vulnerability database in {0}: run `kubeward db update` or pass --db PATH")]
    Missing(String),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The error.
        source: io::Error,
    },
    /// The manifest is not what this version writes.
    #[error("{path}: invalid manifest: {message}")]
    Manifest {
        /// The manifest.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A name that is not an osv.dev ecosystem name.
    #[error("invalid ecosystem name {0:?}")]
    BadEcosystem(String),
    /// The server could not be reached or answered with an error.
    #[error("{url}: {message}")]
    Http {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The transfer stopped before the end; the part is kept and the next run resumes it.
    #[error("{url}: download interrupted after {received} bytes ({message}); run again to resume")]
    Interrupted {
        /// The URL.
        url: String,
        /// Bytes in the part file.
        received: u64,
        /// The cause.
        message: String,
    },
    /// The download completed but failed verification; it was discarded and the previous
    /// database (if any) is unchanged.
    #[error("{url}: download rejected: {message}; the previous database is unchanged")]
    Corrupt {
        /// The URL.
        url: String,
        /// Why.
        message: String,
    },
    /// Another update holds the folder's lock and did not release it in time.
    #[error("{path} is locked by another `kubeward db update` (waited {waited_secs} s); try again when it has finished")]
    Locked {
        /// The lock file.
        path: String,
        /// How long this run waited, in seconds.
        waited_secs: u64,
    },
    /// A database file could not be loaded.
    #[error("{0}")]
    Load(#[from] kubeward_vuln::osv::LoadError),
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> DbError + '_ {
    move |source| DbError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Options of [`update`].
#[derive(Debug, Clone)]
pub struct UpdateOptions {
    /// The database folder (created when missing).
    pub dir: PathBuf,
    /// Base URL of the exports ([`DEFAULT_BASE_URL`]).
    pub base_url: String,
    /// Proxy URL (`http://host:port`), if any.
    pub proxy: Option<String>,
    /// Connect timeout.
    pub connect_timeout: Duration,
    /// Timeout for each read of the response.
    pub read_timeout: Duration,
    /// Largest export accepted, in bytes.
    pub max_bytes: u64,
    /// Deadline and minimum rate of each export's download.
    pub limits: transfer::Limits,
    /// How long to wait for another update of the same folder to finish ([`lock`]).
    pub lock_timeout: Duration,
}

impl UpdateOptions {
    /// Options for `dir` with the defaults: osv.dev, no proxy, 30 s connect and header
    /// timeouts, 4 GiB, [`transfer::Limits::default`] (30 minutes, 1 KiB/s over 60 s), a
    /// 5-minute wait for the folder's lock.
    pub fn new(dir: impl Into<PathBuf>) -> UpdateOptions {
        UpdateOptions {
            dir: dir.into(),
            base_url: DEFAULT_BASE_URL.to_string(),
            proxy: None,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(30),
            max_bytes: 4 << 30,
            limits: transfer::Limits::default(),
            lock_timeout: Duration::from_secs(300),
        }
    }
}

/// Name of the lock file in the database folder.
pub const LOCK_FILE: &str = ".lock";

/// The exclusive lock of a database folder, released when dropped (or when the process ends).
#[derive(Debug)]
pub struct CacheLock {
    _file: File,
}

/// Takes the exclusive lock of the database folder `dir` (which must exist), polling until
/// `timeout` has passed; [`DbError::Locked`] then. A zero timeout tries once.
pub fn lock(dir: &Path, timeout: Duration) -> Result<CacheLock, DbError> {
    let path = dir.join(LOCK_FILE);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(io_err(&path))?;
    let start = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(CacheLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => {}
            Err(fs::TryLockError::Error(e)) => return Err(io_err(&path)(e)),
        }
        let waited = start.elapsed();
        if waited >= timeout {
            return Err(DbError::Locked {
                path: path.display().to_string(),
                waited_secs: waited.as_secs(),
            });
        }
        std::thread::sleep((timeout - waited).min(Duration::from_millis(100)));
    }
}

/// Progress of an update, for the caller to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A transfer starts (`resumed_from` > 0 when a part is continued).
    Start {
        /// Ecosystem.
        ecosystem: &'a str,
        /// Bytes already present.
        resumed_from: u64,
        /// Full size, when the server says.
        total: Option<u64>,
    },
    /// Bytes received so far (including a resumed part).
    Progress {
        /// Ecosystem.
        ecosystem: &'a str,
        /// Bytes in the part file.
        done: u64,
    },
    /// The download is complete and being verified.
    Verifying {
        /// Ecosystem.
        ecosystem: &'a str,
    },
}

/// What [`update`] did for one ecosystem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new export is in place.
    Updated(Entry),
    /// The server says the export has not changed (ETag / Last-Modified).
    UpToDate(Entry),
}

/// Checks that `name` can be an osv.dev ecosystem name and a folder name: letters, digits,
/// space, `.`, `_`, `-`, `:`; not `.` or `..`.
pub fn check_ecosystem(name: &str) -> Result<(), DbError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name != "."
        && name != ".."
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-' | ':'));
    if ok {
        Ok(())
    } else {
        Err(DbError::BadEcosystem(name.to_string()))
    }
}

/// Folder name of an ecosystem inside the database folder (`:` is not portable).
fn folder_of(ecosystem: &str) -> String {
    ecosystem.replace(':', "_")
}

/// The export URL of an ecosystem under `base` (the name percent-encoded).
pub fn export_url(base: &str, ecosystem: &str) -> String {
    let mut enc = String::new();
    for b in ecosystem.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'~') {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    format!("{}/{enc}/all.zip", base.trim_end_matches('/'))
}

/// Reads the manifest of `dir`; `Ok(None)` when there is none.
pub fn read_manifest(dir: &Path) -> Result<Option<Manifest>, DbError> {
    let path = dir.join(MANIFEST);
    let text = match kubeward_io::read_capped(&path, kubeward_io::limits::METADATA) {
        Ok(t) => t,
        Err(kubeward_io::ReadError::Io { source, .. })
            if source.kind() == io::ErrorKind::NotFound =>
        {
            return Ok(None)
        }
        Err(kubeward_io::ReadError::Io { source, .. }) => return Err(io_err(&path)(source)),
        Err(kubeward_io::ReadError::TooLarge { limit, .. }) => {
            return Err(DbError::Manifest {
                path: path.display().to_string(),
                message: format!("larger than the {} limit", kubeward_io::human_size(limit)),
            })
        }
        Err(e) => {
            return Err(DbError::Manifest {
                path: path.display().to_string(),
                message: e.to_string(),
            })
        }
    };
    let m: Manifest = serde_json::from_slice(&text).map_err(|e| DbError::Manifest {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    if m.format != MANIFEST_FORMAT {
        return Err(DbError::Manifest {
            path: path.display().to_string(),
            message: format!("format {} (this version reads {MANIFEST_FORMAT})", m.format),
        });
    }
    Ok(Some(m))
}

/// Writes the manifest atomically (temporary file, then rename).
fn write_manifest(dir: &Path, m: &Manifest) -> Result<(), DbError> {
    let path = dir.join(MANIFEST);
    let tmp = dir.join(format!("{MANIFEST}.tmp"));
    let mut text = serde_json::to_vec_pretty(m).map_err(|e| DbError::Manifest {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    text.push(b'\n');
    {
        let mut f = File::create(&tmp).map_err(io_err(&tmp))?;
        f.write_all(&text).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    fs::rename(&tmp, &path).map_err(io_err(&path))
}

/// True when `dir` is a database folder written by [`update`].
pub fn is_database_dir(dir: &Path) -> bool {
    dir.join(MANIFEST).is_file()
}

/// Loads every export listed in the manifest of `dir`.
pub fn open(dir: &Path) -> Result<Database, DbError> {
    let m = read_manifest(dir)?.ok_or_else(|| DbError::Missing(dir.display().to_string()))?;
    if m.ecosystems.is_empty() {
        return Err(DbError::Missing(dir.display().to_string()));
    }
    let mut db = Database::new();
    for e in m.ecosystems.values() {
        let rel = Path::new(&e.file);
        if rel.is_absolute()
            || rel
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(DbError::Manifest {
                path: dir.join(MANIFEST).display().to_string(),
                message: format!("file {:?} is outside the folder", e.file),
            });
        }
        db.add_path(&dir.join(rel))?;
    }
    Ok(db)
}

/// Validators a part file belongs to.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
struct PartMeta {
    url: String,
    #[serde(default)]
    etag: Option<String>,
    #[serde(default)]
    last_modified: Option<String>,
    #[serde(default)]
    goog_hash: Option<String>,
    #[serde(default)]
    total: Option<u64>,
}

/// Downloads (or resumes, or confirms up to date) the export of each ecosystem. Each
/// ecosystem succeeds or fails on its own; the manifest is updated after every success.
/// The folder is locked for the whole run ([`lock`]): when another update holds it past
/// [`UpdateOptions::lock_timeout`], every ecosystem fails with [`DbError::Locked`].
pub fn update(
    opts: &UpdateOptions,
    ecosystems: &[String],
    on_event: &mut dyn FnMut(Event<'_>),
) -> Vec<(String, Result<Outcome, DbError>)> {
    let mut results = Vec::new();
    if let Err(e) = fs::create_dir_all(&opts.dir) {
        let msg = e.to_string();
        return ecosystems
            .iter()
            .map(|eco| {
                let source = io::Error::new(e.kind(), msg.clone());
                (eco.clone(), Err(io_err(&opts.dir)(source)))
            })
            .collect();
    }
    let _lock = match lock(&opts.dir, opts.lock_timeout) {
        Ok(l) => l,
        Err(e) => {
            return ecosystems
                .iter()
                .map(|eco| {
                    let e = match &e {
                        DbError::Locked { path, waited_secs } => DbError::Locked {
                            path: path.clone(),
                            waited_secs: *waited_secs,
                        },
                        DbError::Io { path, source } => DbError::Io {
                            path: path.clone(),
                            source: io::Error::new(source.kind(), source.to_string()),
                        },
                        other => DbError::Manifest {
                            path: opts.dir.join(LOCK_FILE).display().to_string(),
                            message: other.to_string(),
                        },
                    };
                    (eco.clone(), Err(e))
                })
                .collect();
        }
    };
    let mut manifest = match read_manifest(&opts.dir) {
        Ok(m) => m.unwrap_or(Manifest {
            format: MANIFEST_FORMAT,
            ecosystems: BTreeMap::new(),
        }),
        Err(e) => {
            let msg = e.to_string();
            return ecosystems
                .iter()
                .map(|eco| {
                    (
                        eco.clone(),
                        Err(DbError::Manifest {
                            path: opts.dir.join(MANIFEST).display().to_string(),
                            message: msg.clone(),
                        }),
                    )
                })
                .collect();
        }
    };
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(opts.connect_timeout))
        .timeout_recv_response(Some(opts.read_timeout))
        .timeout_recv_body(None)
        // a read that waits a whole rate window has received nothing in it
        .timeout_per_read(Some(opts.limits.window).filter(|_| opts.limits.min_rate > 0))
        // redirects are followed by `get` after `transfer::check_redirect`
        .max_redirects(0)
        .user_agent(concat!("kubeward/", env!("CARGO_PKG_VERSION")))
        .proxy(None);
    if let Some(p) = &opts.proxy {
        match ureq::Proxy::new(p) {
            Ok(p) => config = config.proxy(Some(p)),
            Err(e) => {
                return ecosystems
                    .iter()
                    .map(|eco| {
                        (
                            eco.clone(),
                            Err(DbError::Http {
                                url: p.clone(),
                                message: format!("invalid proxy: {e}"),
                            }),
                        )
                    })
                    .collect()
            }
        }
    }
    let agent: ureq::Agent = config.build().into();
    for eco in ecosystems {
        let r = check_ecosystem(eco)
            .and_then(|_| update_one(&agent, opts, eco, manifest.ecosystems.get(eco), on_event));
        let r = r.and_then(|outcome| {
            if let Outcome::Updated(entry) = &outcome {
                manifest.ecosystems.insert(eco.clone(), entry.clone());
                write_manifest(&opts.dir, &manifest)?;
            }
            Ok(outcome)
        });
        results.push((eco.clone(), r));
    }
    results
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(",")
        .into()
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.is_empty())
}

/// `x-goog-hash: crc32c=...,md5=...` → (crc32c, md5), base64 values as sent.
fn goog_hashes(h: Option<&str>) -> (Option<String>, Option<String>) {
    let (mut crc, mut md5) = (None, None);
    for part in h.unwrap_or("").split(',') {
        if let Some((k, v)) = part.trim().split_once('=') {
            match k.trim() {
                "crc32c" => crc = Some(v.trim().to_string()),
                "md5" => md5 = Some(v.trim().to_string()),
                _ => {}
            }
        }
    }
    (crc, md5)
}

fn update_one(
    agent: &ureq::Agent,
    opts: &UpdateOptions,
    eco: &str,
    current: Option<&Entry>,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Result<Outcome, DbError> {
    let url = export_url(&opts.base_url, eco);
    let folder = folder_of(eco);
    let eco_dir = opts.dir.join(&folder);
    fs::create_dir_all(&eco_dir).map_err(io_err(&eco_dir))?;
    let final_path = eco_dir.join("all.zip");
    let part_path = eco_dir.join("all.zip.part");
    let meta_path = eco_dir.join("all.zip.part.json");
    let current = current.filter(|c| c.url == url && final_path.is_file());

    // a part from an earlier run, with the validators it belongs to
    let mut meta: Option<PartMeta> =
        kubeward_io::read_capped(&meta_path, kubeward_io::limits::METADATA)
            .ok()
            .and_then(|b| serde_json::from_slice::<PartMeta>(&b).ok())
            .filter(|m| m.url == url && (m.etag.is_some() || m.last_modified.is_some()));
    let mut offset = match (&meta, fs::metadata(&part_path)) {
        (Some(_), Ok(md)) if md.is_file() => md.len(),
        _ => 0,
    };
    if offset == 0 {
        meta = None;
        let _ = fs::remove_file(&part_path);
        let _ = fs::remove_file(&meta_path);
    }

    let mut meter = transfer::Meter::new(opts.limits);
    let mut attempts = 0;
    let (mut resp, status) = loop {
        attempts += 1;
        let mut headers: Vec<(&str, String)> = Vec::new();
        if let (Some(m), true) = (&meta, offset > 0) {
            headers.push(("Range", format!("bytes={offset}-")));
            if let Some(v) = m.etag.as_ref().or(m.last_modified.as_ref()) {
                headers.push(("If-Range", v.clone()));
            }
        } else if let Some(c) = current {
            if let Some(e) = &c.etag {
                headers.push(("If-None-Match", e.clone()));
            } else if let Some(lm) = &c.last_modified {
                headers.push(("If-Modified-Since", lm.clone()));
            }
        }
        let resp = get(agent, &url, &headers, &meter)?;
        let status = resp.status().as_u16();
        if status == 416 && attempts == 1 {
            // the part does not fit the object any more: start over
            offset = 0;
            meta = None;
            let _ = fs::remove_file(&part_path);
            let _ = fs::remove_file(&meta_path);
            continue;
        }
        break (resp, status);
    };
    if status == 304 {
        if let Some(c) = current {
            return Ok(Outcome::UpToDate(c.clone()));
        }
    }
    let etag = nonempty(header(&resp, "etag"));
    let last_modified = nonempty(header(&resp, "last-modified"));
    let goog_hash = nonempty(header(&resp, "x-goog-hash"));
    let length: Option<u64> = header(&resp, "content-length").and_then(|v| v.parse().ok());
    let mut file = match status {
        200 => {
            offset = 0;
            let m = PartMeta {
                url: url.clone(),
                etag: etag.clone(),
                last_modified: last_modified.clone(),
                goog_hash: goog_hash.clone(),
                total: length,
            };
            let bytes = serde_json::to_vec(&m).unwrap_or_default();
            fs::write(&meta_path, bytes).map_err(io_err(&meta_path))?;
            meta = Some(m);
            File::create(&part_path).map_err(io_err(&part_path))?
        }
        206 => {
            let range = header(&resp, "content-range").unwrap_or_default();
            let expect = format!("bytes {offset}-");
            if !range.starts_with(&expect) {
                let _ = fs::remove_file(&part_path);
                let _ = fs::remove_file(&meta_path);
                return Err(DbError::Interrupted {
                    url,
                    received: 0,
                    message: format!("server sent range {range:?} for a request from {offset}"),
                });
            }
            if let Some(m) = meta.as_mut() {
                if goog_hash.is_some() {
                    m.goog_hash = goog_hash.clone();
                }
                if let Some(total) = range.rsplit('/').next().and_then(|t| t.parse().ok()) {
                    m.total = Some(total);
                }
            }
            let mut f = OpenOptions::new()
                .append(true)
                .open(&part_path)
                .map_err(io_err(&part_path))?;
            f.seek(io::SeekFrom::End(0)).map_err(io_err(&part_path))?;
            f
        }
        _ => {
            return Err(DbError::Http {
                url,
                message: format!("HTTP {status}"),
            })
        }
    };
    let meta = meta.unwrap_or_default();
    let total = meta.total.or(length.map(|l| l + offset));
    if total.is_some_and(|t| t > opts.max_bytes) {
        return Err(DbError::Corrupt {
            url,
            message: format!(
                "export is {} bytes, above the limit of {}",
                total.unwrap_or(0),
                opts.max_bytes
            ),
        });
    }
    on_event(Event::Start {
        ecosystem: eco,
        resumed_from: offset,
        total,
    });

    // transfer, within the deadline and above the minimum rate
    let mut done = offset;
    let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
    let mut buf = vec![0u8; 64 * 1024];
    let mut last_report = done;
    meter.body_started();
    loop {
        let read = match reader.read(&mut buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Ok(n) => meter.add(n).map(|_| n).map_err(|s| s.to_string()),
            Err(e) => Err(meter
                .explain(is_timeout(&e))
                .map(|s| s.to_string())
                .unwrap_or_else(|| e.to_string())),
        };
        let n = match read {
            Ok(0) => break,
            Ok(n) => n,
            Err(message) => {
                let _ = file.sync_all();
                return Err(DbError::Interrupted {
                    url,
                    received: done,
                    message,
                });
            }
        };
        file.write_all(&buf[..n]).map_err(io_err(&part_path))?;
        done += n as u64;
        if done > opts.max_bytes {
            drop(file);
            let _ = fs::remove_file(&part_path);
            let _ = fs::remove_file(&meta_path);
            return Err(DbError::Corrupt {
                url,
                message: format!("export exceeds the limit of {} bytes", opts.max_bytes),
            });
        }
        if done - last_report >= 256 * 1024 {
            on_event(Event::Progress {
                ecosystem: eco,
                done,
            });
            last_report = done;
        }
    }
    file.sync_all().map_err(io_err(&part_path))?;
    drop(file);
    on_event(Event::Progress {
        ecosystem: eco,
        done,
    });
    if let Some(t) = total {
        if done < t {
            return Err(DbError::Interrupted {
                url,
                received: done,
                message: format!("connection closed at {done} of {t} bytes"),
            });
        }
    }

    // verify, then swap
    on_event(Event::Verifying { ecosystem: eco });
    let reject = |message: String| {
        let _ = fs::remove_file(&part_path);
        let _ = fs::remove_file(&meta_path);
        DbError::Corrupt {
            url: url.clone(),
            message,
        }
    };
    if let Some(t) = total {
        if done != t {
            return Err(reject(format!("received {done} bytes, expected {t}")));
        }
    }
    let (sha256, crc) = hash_file(&part_path).map_err(io_err(&part_path))?;
    let (want_crc, md5) = goog_hashes(meta.goog_hash.as_deref());
    if let Some(w) = &want_crc {
        match checksum::base64_decode(w) {
            Some(b) if b.len() == 4 => {
                let expect = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
                if expect != crc {
                    return Err(reject(format!(
                        "CRC32C {crc:08x} does not match the server's {expect:08x}"
                    )));
                }
            }
            _ => return Err(reject(format!("unreadable x-goog-hash crc32c {w:?}"))),
        }
    }
    let records = match verify_zip(&part_path) {
        Ok(0) => return Err(reject("the zip holds no OSV JSON records".into())),
        Ok(n) => n,
        Err(e) => return Err(reject(e)),
    };
    fs::rename(&part_path, &final_path).map_err(io_err(&final_path))?;
    let _ = fs::remove_file(&meta_path);
    let updated_unix = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Ok(Outcome::Updated(Entry {
        file: format!("{folder}/all.zip"),
        url,
        size: done,
        sha256,
        records,
        etag: meta.etag,
        last_modified: meta.last_modified,
        crc32c: want_crc,
        md5,
        updated_unix,
    }))
}

/// SHA-256 (hex) and CRC32C of a file.
fn hash_file(path: &Path) -> io::Result<(String, u32)> {
    let mut f = File::open(path)?;
    let mut sha = Sha256::new();
    let mut crc = checksum::Crc32c::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        crc.update(&buf[..n]);
    }
    let hex: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok((hex, crc.finish()))
}

/// Checks the zip against the decompression budget, reads every entry to its end (the zip
/// reader checks each entry's CRC-32 there) and parses every `*.json` entry as OSV records.
/// Returns the number of records; `Err` (with the reason, ready to show) when the layout is
/// over budget, an entry is damaged, or any JSON entry is not OSV records.
fn verify_zip(path: &Path) -> Result<usize, String> {
    use kubeward_vuln::osv::db::{
        check_zip, parse_records, read_entry, ZipBudget, MAX_RECORD_BYTES,
    };
    let invalid = |e: &dyn std::fmt::Display| format!("not a valid zip: {e}");
    let f = File::open(path).map_err(|e| invalid(&e))?;
    let len = f.metadata().map_err(|e| invalid(&e))?.len();
    let mut zip = zip::ZipArchive::new(io::BufReader::new(f)).map_err(|e| invalid(&e))?;
    check_zip(&mut zip, len, &ZipBudget::default())?;
    let mut records = 0;
    let (mut json_entries, mut bad) = (0usize, Vec::new());
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| invalid(&e))?;
        let name = entry.name().to_string();
        let is_json = !entry.is_dir() && name.to_ascii_lowercase().ends_with(".json");
        let limit = if is_json { MAX_RECORD_BYTES } else { u64::MAX };
        let data = read_entry(&mut entry, limit).map_err(|e| invalid(&format!("{name}: {e}")))?;
        if !is_json {
            continue;
        }
        json_entries += 1;
        match parse_records(&data, &name) {
            Ok(r) if r.is_empty() => bad.push(format!("{name}: holds no record")),
            Ok(r) => records += r.len(),
            Err(e) => bad.push(e.to_string()),
        }
    }
    if let Some(first) = bad.first() {
        return Err(format!(
            "{} of {json_entries} JSON entries are not OSV records (first: {first})",
            bad.len()
        ));
    }
    Ok(records)
}

/// True when a read failed by a timeout (ureq wraps its own timeouts in `io::Error`).
fn is_timeout(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::TimedOut
        || e.get_ref()
            .and_then(|x| x.downcast_ref::<ureq::Error>())
            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)))
}

/// GET `url` with `headers`, following redirects that [`transfer::check_redirect`] accepts
/// (at most [`transfer::MAX_REDIRECTS`]), within the meter's deadline.
fn get(
    agent: &ureq::Agent,
    url: &str,
    headers: &[(&str, String)],
    meter: &transfer::Meter,
) -> Result<ureq::http::Response<ureq::Body>, DbError> {
    let http_err = |message: String| DbError::Http {
        url: url.to_string(),
        message,
    };
    let mut at = url.to_string();
    for _ in 0..=transfer::MAX_REDIRECTS {
        let remaining = meter.remaining().map_err(|s| http_err(s.to_string()))?;
        let mut req = agent
            .get(&at)
            .config()
            .timeout_global(Some(remaining))
            .build();
        for (k, v) in headers {
            req = req.header(*k, v.as_str());
        }
        let resp = req.call().map_err(|e| match e {
            ureq::Error::Timeout(_) if meter.near_deadline() => {
                http_err(transfer::Stopped::Deadline(meter.limits().deadline).to_string())
            }
            e => http_err(e.to_string()),
        })?;
        if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
            return Ok(resp);
        }
        let Some(location) = header(&resp, "location").filter(|l| !l.is_empty()) else {
            return Err(http_err(format!(
                "HTTP {} without a Location",
                resp.status().as_u16()
            )));
        };
        let next = transfer::resolve_location(&at, &location);
        transfer::check_redirect(url, &at, &next)
            .map_err(|why| http_err(format!("refused redirect to {next}: {why}")))?;
        at = next;
    }
    Err(http_err(format!(
        "more than {} redirects",
        transfer::MAX_REDIRECTS
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_lock_is_exclusive() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path(), Duration::ZERO).unwrap();
        let start = std::time::Instant::now();
        match lock(dir.path(), Duration::from_millis(300)) {
            Err(DbError::Locked { path, .. }) => assert!(path.ends_with(LOCK_FILE), "{path}"),
            other => panic!("{other:?}"),
        }
        assert!(start.elapsed() >= Duration::from_millis(300));
        // an update of a locked folder fails for every ecosystem, touching nothing
        let mut opts = UpdateOptions::new(dir.path());
        opts.lock_timeout = Duration::ZERO;
        opts.base_url = "http://127.0.0.1:9".into();
        let r = update(&opts, &["PyPI".into(), "npm".into()], &mut |_| {});
        assert_eq!(r.len(), 2);
        for (_, res) in &r {
            let e = res.as_ref().unwrap_err();
            assert!(e.to_string().contains("locked by another"), "{e}");
        }
        assert!(!dir.path().join(MANIFEST).exists());
        drop(first);
        let _again = lock(dir.path(), Duration::ZERO).unwrap();
    }

    #[test]
    fn names_and_urls() {
        assert_eq!(
            export_url("https://x.test/", "Red Hat"),
            "https://x.test/Red%20Hat/all.zip"
        );
        assert_eq!(
            export_url("https://x.test", "crates.io"),
            "https://x.test/crates.io/all.zip"
        );
        assert!(check_ecosystem("Debian:12").is_ok());
        assert!(check_ecosystem("../etc").is_err());
        assert!(check_ecosystem("..").is_err());
        assert!(check_ecosystem("").is_err());
        assert_eq!(folder_of("Debian:12"), "Debian_12");
        assert_eq!(
            goog_hashes(Some("crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==")),
            (
                Some("n03x6A==".to_string()),
                Some("Ojk9c3dhfxgoKVVHYwFbHQ==".to_string())
            )
        );
    }

    #[test]
    fn open_refuses_paths_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let mut m = Manifest {
            format: 1,
            ecosystems: BTreeMap::new(),
        };
        m.ecosystems.insert(
            "x".into(),
            Entry {
                file: "../x.zip".into(),
                ..Entry::default()
            },
        );
        write_manifest(dir.path(), &m).unwrap();
        assert!(matches!(open(dir.path()), Err(DbError::Manifest { .. })));
        assert!(matches!(
            open(&dir.path().join("none")),
            Err(DbError::Missing(_))
        ));
    }
}
