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

#[cfg(feature = "download")]
mod checksum;
pub use kubeward_io::transfer;

use kubeward_vuln::osv::Database;
use serde::{Deserialize, Serialize};
#[cfg(feature = "download")]
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
#[cfg(feature = "download")]
use std::io::{Read, Seek};
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
#[cfg_attr(not(feature = "download"), allow(dead_code))]
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
#[cfg_attr(not(feature = "download"), allow(dead_code))]
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

#[cfg(feature = "download")]
mod download;
#[cfg(feature = "download")]
pub use download::update;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(feature = "download")]
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
