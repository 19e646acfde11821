//! The inventory: a local SQLite store of images, their SBOMs and their last match results.
//!
//! An image is catalogued once ([`Store::add`]); its CycloneDX SBOM is kept, so that
//! [`Store::rescan`] can match every stored image again against a newer vulnerability
//! database without reading any image, and report what changed since the previous match.
//! [`Store::find`] looks an image up by digest or reference (the link from `kubeward scan` to
//! the workloads that run it).
//!
//! Tables (see [`schema`] for the exact DDL and the migrations):
//! - `images`: reference, digest (of the image manifest, else of the SBOM), the digest of
//!   the index it was pulled through, when added;
//! - `sboms`: the CycloneDX JSON document, keyed by digest;
//! - `packages`: the packages of each SBOM, denormalised for queries and counts;
//! - `matches` / `match_runs`: the last match result per image, with the time and the
//!   fingerprint of the database it was matched against.
//!
//! Every write is one short immediate transaction (a rescan commits image by image, and
//! matches outside any transaction); the journal is WAL with a busy timeout, so several
//! kubeward processes can share a store. Readers ([`Store::open_read_only`]) never take the
//! write lock: under WAL they read while a writer writes.
//!
//! A store carries SQLite's `application_id` [`APPLICATION_ID`]. A SQLite file without it
//! that is not an empty database nor a store written before the marker existed (the kubeward
//! tables at a known schema version) is another program's: it is refused and left untouched
//! ([`StoreError::NotAStore`]), never migrated. A file that is not a (sound) SQLite database,
//! or a store written by a newer kubeward, is a clear [`StoreError`], never a panic.

pub mod schema;

use kubeward_image::catalog::Catalog;
use kubeward_image::package::Package;
use kubeward_image::sbom::{self, SbomOptions};
use kubeward_vuln::osv::{CvssLevel, Database, FixState, Match};
use rusqlite::{params, Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Errors from the inventory store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store file could not be opened or created.
    #[error("{path}: cannot open inventory store: {message}")]
    Open {
        /// The store file.
        path: String,
        /// Why.
        message: String,
    },
    /// The file is not a SQLite database, or its content is damaged.
    #[error("{path}: inventory store is corrupt or not a kubeward store: {message}")]
    Corrupt {
        /// The store file.
        path: String,
        /// What SQLite or kubeward found.
        message: String,
    },
    /// A SQLite database of another program; it was not changed.
    #[error("{path}: not a kubeward store ({message}); it was left untouched")]
    NotAStore {
        /// The file.
        path: String,
        /// What it holds instead.
        message: String,
    },
    /// The store was written by a newer kubeward (schema version above this build's).
    #[error("{path}: inventory store has schema version {found}; this kubeward reads up to {supported}: upgrade kubeward")]
    TooNew {
        /// The store file.
        path: String,
        /// Its `user_version`.
        found: u32,
        /// [`schema::CURRENT`].
        supported: u32,
    },
    /// Another process held the store locked for longer than the busy timeout.
    #[error("{path}: inventory store is locked by another process: {message}")]
    Busy {
        /// The store file.
        path: String,
        /// SQLite's message.
        message: String,
    },
    /// Any other SQLite failure.
    #[error("{path}: inventory store: {message}")]
    Sql {
        /// The store file.
        path: String,
        /// SQLite's message.
        message: String,
    },
}

/// An image to add: its catalogue plus how it is named.
#[derive(Debug, Clone)]
pub struct NewImage<'a> {
    /// The reference the image is known by (`registry.example/app:1.2`, a file name...). It
    /// is stored normalised ([`normalize_reference`]).
    pub reference: &'a str,
    /// The image's digest (manifest digest); `None` derives one: the catalogue's manifest
    /// digest, else the SHA-256 of the stored SBOM.
    pub digest: Option<&'a str>,
    /// The digest of the image index (manifest list) the image was resolved through, when
    /// pulled by a multi-platform reference; pods may name that digest.
    pub index_digest: Option<&'a str>,
    /// The packages.
    pub catalog: &'a Catalog,
}

/// What [`Store::add`] did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Added {
    /// The normalised reference.
    pub reference: String,
    /// The digest the SBOM is stored under.
    pub digest: String,
    /// Packages stored.
    pub packages: usize,
    /// True when this reference and digest were already in the store (the SBOM was refreshed).
    pub already_present: bool,
}

/// Counts of matches by severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// None, or no severity in the records.
    pub unknown: usize,
}

impl SeverityCounts {
    fn add(&mut self, severity: Option<&str>) {
        match severity {
            Some("critical") => self.critical += 1,
            Some("high") => self.high += 1,
            Some("medium") => self.medium += 1,
            Some("low") => self.low += 1,
            _ => self.unknown += 1,
        }
    }

    /// Total of every level.
    pub fn total(&self) -> usize {
        self.critical + self.high + self.medium + self.low + self.unknown
    }
}

/// One row of [`Store::images`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageSummary {
    /// Normalised reference.
    pub reference: String,
    /// Digest.
    pub digest: String,
    /// Index digest, when pulled through one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<String>,
    /// When added (RFC 3339, UTC).
    pub added_at: String,
    /// Packages in its SBOM.
    pub packages: usize,
    /// When last matched, if ever.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_at: Option<String>,
    /// Fingerprint of the database it was last matched against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub db_fingerprint: Option<String>,
    /// Last match result by severity.
    pub matches: SeverityCounts,
}

/// A stored match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredMatch {
    /// Vulnerability id.
    pub id: String,
    /// Other ids.
    pub aliases: Vec<String>,
    /// Package name.
    pub package: String,
    /// Installed version.
    pub version: String,
    /// Ecosystem (`dpkg`, `pypi`...; as the matcher was queried).
    pub ecosystem: String,
    /// Package URL.
    pub purl: String,
    /// Whether a fix is known (stored as the text `fixed` or `unfixed`).
    pub state: FixState,
    /// First fixed version, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fixed_in: Option<String>,
    /// The severity (stored as the text `critical`, `high`, `medium`, `low`, `none`); absent
    /// when the records give none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<CvssLevel>,
    /// Summary of the record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// An image found by [`Store::find`], with its last match result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImageRecord {
    /// Normalised reference.
    pub reference: String,
    /// Digest.
    pub digest: String,
    /// When last matched, if ever.
    pub matched_at: Option<String>,
    /// Fingerprint of the database of the last match.
    pub db_fingerprint: Option<String>,
    /// The matches.
    pub matches: Vec<StoredMatch>,
}

/// One change reported by [`Store::rescan`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// References of the image.
    pub images: Vec<String>,
    /// Image digest.
    pub digest: String,
    /// The match.
    #[serde(flatten)]
    pub vulnerability: StoredMatch,
    /// True when the image had never been matched before (every match of it is new).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub first_match: bool,
}

/// What [`Store::rescan`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RescanReport {
    /// Fingerprint of the database matched against.
    pub db_fingerprint: String,
    /// When (RFC 3339, UTC).
    pub matched_at: String,
    /// Images (distinct digests) matched.
    pub images: usize,
    /// Packages matched (language packages owned by an OS package are skipped).
    pub packages: usize,
    /// Matches now.
    pub total: usize,
    /// Matches that did not exist at the previous match.
    pub newly_vulnerable: Vec<Change>,
    /// Matches of the previous match that no longer match (fixed, withdrawn, rejected).
    pub newly_fixed: Vec<Change>,
    /// Matches present both times.
    pub unchanged: usize,
    /// Versions that could not be compared (the package may be affected), by image.
    pub errors: Vec<String>,
    /// Images that could not be rescanned (a stored SBOM that no longer reads); their previous
    /// match results are kept. The other images were rescanned and committed.
    pub failed: Vec<FailedImage>,
}

/// An image [`Store::rescan`] could not match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedImage {
    /// Its digest.
    pub digest: String,
    /// Its references.
    pub images: Vec<String>,
    /// Why.
    pub message: String,
}

/// SQLite `application_id` of a kubeward store ("KWRD").
pub const APPLICATION_ID: i32 = 0x4B57_5244;

/// What [`identify`] found in a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Marked as a kubeward store.
    Marked,
    /// A store written before the marker: kubeward's tables at a known version.
    Unmarked,
    /// An empty database (a new file).
    Empty,
}

/// Tells a kubeward store from another program's database, reading only.
fn identify(conn: &Connection, p: &str) -> Result<(Kind, u32), StoreError> {
    let err = |e| classify(p, e);
    // the first read of the file: a non-database fails here
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let version = schema::version(conn).map_err(err)?;
    let tables: Vec<String> = (|| {
        let mut st = conn.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?;
        let rows = st.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<rusqlite::Result<Vec<_>>>()
    })()
    .map_err(err)?;
    if app != 0 && app != APPLICATION_ID {
        return Err(StoreError::NotAStore {
            path: p.to_string(),
            message: format!("SQLite application_id {app:#x}"),
        });
    }
    if version > schema::CURRENT {
        return Err(StoreError::TooNew {
            path: p.to_string(),
            found: version,
            supported: schema::CURRENT,
        });
    }
    if app == APPLICATION_ID {
        return Ok((Kind::Marked, version));
    }
    if tables.is_empty() && version == 0 {
        return Ok((Kind::Empty, 0));
    }
    let ours = ["images", "match_runs", "matches", "packages", "sboms"];
    let expected: &[&str] = match version {
        1 => &["images", "packages", "sboms"],
        v if v == schema::CURRENT => &ours,
        _ => &[],
    };
    if !expected.is_empty()
        && expected.iter().all(|t| tables.iter().any(|x| x == t))
        && tables.iter().all(|t| ours.contains(&t.as_str()))
    {
        return Ok((Kind::Unmarked, version));
    }
    let mut names = tables.join(", ");
    if names.len() > 120 {
        names.truncate(120);
        names.push_str("...");
    }
    Err(StoreError::NotAStore {
        path: p.to_string(),
        message: if tables.is_empty() {
            format!("schema version {version} without kubeward's tables")
        } else {
            format!("no kubeward marker; tables {names}")
        },
    })
}

/// The inventory store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// How long a writer waits for another process's transaction.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a reader waits for a lock (under WAL a reader waits only for a writer that holds
/// the file exclusively, or for a recovery).
const READ_BUSY_TIMEOUT: Duration = Duration::from_secs(3);

impl Store {
    /// Opens (creating when absent) the store at `path` and migrates it to the current schema.
    /// The parent folder must exist.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Self::open_at(path, schema::CURRENT)
    }

    /// Opens the store migrating only up to `version` (for migration tests).
    #[doc(hidden)]
    pub fn open_at_version(path: &Path, version: u32) -> Result<Store, StoreError> {
        Self::open_at(path, version.min(schema::CURRENT))
    }

    fn open_at(path: &Path, target: u32) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        if path.is_dir() {
            return Err(StoreError::Open {
                path: p,
                message: "is a folder".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open {
            path: p.clone(),
            message: e.to_string(),
        })?;
        let store_err = |e: rusqlite::Error| classify(&p, e);
        conn.busy_timeout(BUSY_TIMEOUT).map_err(store_err)?;
        // nothing is written before the file is known to be a store (or empty)
        let (kind, _) = identify(&conn, &p)?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(store_err)?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::Sql {
                path: p,
                message: format!("cannot switch to WAL journal (got {mode:?})"),
            });
        }
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(store_err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(store_err)?;
        match schema::migrate(&mut conn, target) {
            Ok(_) => {}
            Err(schema::MigrateError::TooNew(found)) => {
                return Err(StoreError::TooNew {
                    path: p,
                    found,
                    supported: schema::CURRENT,
                })
            }
            Err(schema::MigrateError::Sql(e)) => return Err(classify(&p, e)),
        }
        if kind != Kind::Marked {
            conn.pragma_update(None, "application_id", APPLICATION_ID)
                .map_err(store_err)?;
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.check_tables()?;
        Ok(store)
    }

    /// Opens an existing store for reading only: no lock is taken beyond what reading needs
    /// (under WAL, readers proceed while another process writes), nothing is written. A store
    /// at an older schema version is migrated first (through [`Store::open`]).
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        let p = path.display().to_string();
        if path.is_dir() {
            return Err(StoreError::Open {
                path: p,
                message: "is a folder".into(),
            });
        }
        if !path.exists() {
            return Err(StoreError::Open {
                path: p,
                message: "no such file".into(),
            });
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).map_err(|e| StoreError::Open {
            path: p.clone(),
            message: e.to_string(),
        })?;
        conn.busy_timeout(READ_BUSY_TIMEOUT)
            .map_err(|e| classify(&p, e))?;
        let (kind, version) = identify(&conn, &p)?;
        if kind == Kind::Empty || version < schema::CURRENT {
            drop(conn);
            return Store::open(path);
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.check_tables()?;
        Ok(store)
    }

    /// A store whose `user_version` says current but whose tables are missing (another
    /// program's database) is refused.
    fn check_tables(&self) -> Result<(), StoreError> {
        let v = self.schema_version()?;
        let want: &[&str] = match v {
            0 => &[],
            1 => &["images", "sboms", "packages"],
            _ => &["images", "sboms", "packages", "matches", "match_runs"],
        };
        for t in want {
            let n: i64 = self
                .conn
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                    [t],
                    |r| r.get(0),
                )
                .map_err(|e| self.err(e))?;
            if n == 0 {
                return Err(StoreError::Corrupt {
                    path: self.path.display().to_string(),
                    message: format!("schema version {v} but table {t:?} is missing"),
                });
            }
        }
        Ok(())
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version (`PRAGMA user_version`).
    pub fn schema_version(&self) -> Result<u32, StoreError> {
        schema::version(&self.conn).map_err(|e| self.err(e))
    }

    fn err(&self, e: rusqlite::Error) -> StoreError {
        classify(&self.path.display().to_string(), e)
    }

    /// Adds an image: stores its CycloneDX SBOM and packages under its digest and records the
    /// reference. Adding the same image again refreshes its SBOM and keeps its last matches.
    pub fn add(&mut self, img: &NewImage<'_>) -> Result<Added, StoreError> {
        let document = sbom::to_cyclonedx(
            img.catalog,
            &SbomOptions {
                name: Some(img.reference.to_string()),
                ..SbomOptions::default()
            },
        );
        let digest = img
            .digest
            .map(str::to_string)
            .or_else(|| img.catalog.source.manifest_digest.clone())
            .unwrap_or_else(|| format!("sha256:{}", hex(&Sha256::digest(document.as_bytes()))));
        let reference = normalize_reference(img.reference);
        let now = now_rfc3339();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| classify(&self.path.display().to_string(), e))?;
        let res = (|| -> rusqlite::Result<Added> {
            tx.execute(
                "INSERT INTO sboms (digest, document) VALUES (?1, ?2)
                 ON CONFLICT (digest) DO UPDATE SET document = excluded.document",
                params![digest, document],
            )?;
            tx.execute("DELETE FROM packages WHERE digest = ?1", [&digest])?;
            {
                let mut st = tx.prepare(
                    "INSERT INTO packages (digest, ecosystem, name, version, purl, source_name, source_version)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )?;
                for p in &img.catalog.packages {
                    st.execute(params![
                        digest,
                        p.ecosystem.as_str(),
                        p.name,
                        p.version,
                        p.purl,
                        p.source_name,
                        p.source_version
                    ])?;
                }
            }
            let existing: Option<i64> = tx
                .query_row(
                    "SELECT id FROM images WHERE reference = ?1 AND digest = ?2",
                    params![reference, digest],
                    |r| r.get(0),
                )
                .optional()?;
            match existing {
                Some(id) => {
                    if let Some(ix) = img.index_digest {
                        tx.execute(
                            "UPDATE images SET index_digest = ?1 WHERE id = ?2",
                            params![ix, id],
                        )?;
                    }
                }
                None => {
                    tx.execute(
                        "INSERT INTO images (reference, digest, added_at, index_digest) VALUES (?1, ?2, ?3, ?4)",
                        params![reference, digest, now, img.index_digest],
                    )?;
                }
            }
            Ok(Added {
                reference: reference.clone(),
                digest: digest.clone(),
                packages: img.catalog.packages.len(),
                already_present: existing.is_some(),
            })
        })();
        let added = res.map_err(|e| classify(&self.path.display().to_string(), e))?;
        tx.commit()
            .map_err(|e| classify(&self.path.display().to_string(), e))?;
        Ok(added)
    }

    /// Every image with its package count and last match counts, ordered by reference.
    pub fn images(&self) -> Result<Vec<ImageSummary>, StoreError> {
        let q = || -> rusqlite::Result<Vec<ImageSummary>> {
            let mut st = self.conn.prepare(
                "SELECT i.reference, i.digest, i.index_digest, i.added_at,
                        (SELECT count(*) FROM packages p WHERE p.digest = i.digest),
                        r.matched_at, r.db_fingerprint
                 FROM images i LEFT JOIN match_runs r ON r.digest = i.digest
                 ORDER BY i.reference, i.added_at, i.id",
            )?;
            let rows = st.query_map([], |r| {
                Ok(ImageSummary {
                    reference: r.get(0)?,
                    digest: r.get(1)?,
                    index_digest: r.get(2)?,
                    added_at: r.get(3)?,
                    packages: r.get::<_, i64>(4)?.max(0) as usize,
                    matched_at: r.get(5)?,
                    db_fingerprint: r.get(6)?,
                    matches: SeverityCounts::default(),
                })
            })?;
            let mut v = rows.collect::<rusqlite::Result<Vec<_>>>()?;
            let mut counts: BTreeMap<String, SeverityCounts> = BTreeMap::new();
            let mut st = self.conn.prepare("SELECT digest, severity FROM matches")?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let d: String = r.get(0)?;
                let s: Option<String> = r.get(1)?;
                counts.entry(d).or_default().add(s.as_deref());
            }
            for i in &mut v {
                if let Some(c) = counts.get(&i.digest) {
                    i.matches = c.clone();
                }
            }
            Ok(v)
        };
        q().map_err(|e| self.err(e))
    }

    /// Looks an image up: by digest when `image` names one (`...@sha256:...`, or a bare
    /// `sha256:...`), else by its normalised reference (the most recently added when several
    /// digests carry it). Returns its last match result.
    pub fn find(&self, image: &str) -> Result<Option<ImageRecord>, StoreError> {
        let q = || -> rusqlite::Result<Option<ImageRecord>> {
            let row = match digest_of_reference(image) {
                Some(d) => self
                    .conn
                    .query_row(
                        "SELECT reference, digest FROM images WHERE digest = ?1 OR index_digest = ?1
                         ORDER BY added_at DESC, id DESC LIMIT 1",
                        [d],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                    )
                    .optional()?,
                None => self
                    .conn
                    .query_row(
                        "SELECT reference, digest FROM images WHERE reference = ?1
                         ORDER BY added_at DESC, id DESC LIMIT 1",
                        [normalize_reference(image)],
                        |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
                    )
                    .optional()?,
            };
            let Some((reference, digest)) = row else {
                return Ok(None);
            };
            let run: Option<(String, String)> = self
                .conn
                .query_row(
                    "SELECT matched_at, db_fingerprint FROM match_runs WHERE digest = ?1",
                    [&digest],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let matches = self.stored_matches(&digest)?;
            Ok(Some(ImageRecord {
                reference,
                digest,
                matched_at: run.as_ref().map(|r| r.0.clone()),
                db_fingerprint: run.map(|r| r.1),
                matches,
            }))
        };
        q().map_err(|e| self.err(e))
    }

    fn stored_matches(&self, digest: &str) -> rusqlite::Result<Vec<StoredMatch>> {
        let mut st = self.conn.prepare_cached(
            "SELECT vuln_id, aliases, package, version, ecosystem, purl, state, fixed_in, severity, summary
             FROM matches WHERE digest = ?1 ORDER BY vuln_id, package, version, purl",
        )?;
        let rows = st.query_map([digest], match_from_row)?;
        rows.collect()
    }

    /// Matches every stored SBOM against `db` (no image is read), replaces the stored match
    /// results, and reports the difference from the previous results. Language packages owned
    /// by an OS package are not matched (the OS advisory covers them).
    ///
    /// Matching happens outside any transaction; each image's results are then written in one
    /// short transaction of their own, so readers and other writers wait at most for one
    /// image. An image whose stored SBOM no longer reads is listed in
    /// [`RescanReport::failed`] and keeps its previous results; the others are rescanned.
    pub fn rescan(&mut self, db: &Database) -> Result<RescanReport, StoreError> {
        let path = self.path.display().to_string();
        let fingerprint = db_fingerprint(db);
        let now = now_rfc3339();
        let mut report = RescanReport {
            db_fingerprint: fingerprint.clone(),
            matched_at: now.clone(),
            ..RescanReport::default()
        };
        // what to rescan, read in one snapshot without the write lock
        let (digests, names, previously_matched) = {
            let tx = self.conn.transaction().map_err(|e| classify(&path, e))?;
            let digests: Vec<String> = (|| {
                let mut st = tx.prepare("SELECT digest FROM sboms ORDER BY digest")?;
                let rows = st.query_map([], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })()
            .map_err(|e| classify(&path, e))?;
            let names: BTreeMap<String, Vec<String>> = (|| {
                let mut m: BTreeMap<String, Vec<String>> = BTreeMap::new();
                let mut st =
                    tx.prepare("SELECT digest, reference FROM images ORDER BY reference")?;
                let mut rows = st.query([])?;
                while let Some(r) = rows.next()? {
                    m.entry(r.get(0)?).or_default().push(r.get(1)?);
                }
                Ok::<_, rusqlite::Error>(m)
            })()
            .map_err(|e| classify(&path, e))?;
            let previously_matched: BTreeSet<String> = (|| {
                let mut st = tx.prepare("SELECT digest FROM match_runs")?;
                let rows = st.query_map([], |r| r.get::<_, String>(0))?;
                rows.collect::<rusqlite::Result<BTreeSet<_>>>()
            })()
            .map_err(|e| classify(&path, e))?;
            (digests, names, previously_matched)
        };

        for digest in &digests {
            let imgs = names.get(digest).cloned().unwrap_or_default();
            let document: Option<String> = match self
                .conn
                .query_row(
                    "SELECT document FROM sboms WHERE digest = ?1",
                    [digest],
                    |r| r.get(0),
                )
                .optional()
            {
                Ok(d) => d,
                Err(e @ rusqlite::Error::InvalidColumnType(..))
                | Err(e @ rusqlite::Error::FromSqlConversionFailure(..)) => {
                    report.failed.push(FailedImage {
                        digest: digest.clone(),
                        images: imgs,
                        message: format!("stored SBOM cannot be read: {e}"),
                    });
                    continue;
                }
                Err(e) => return Err(classify(&path, e)),
            };
            // removed by another process meanwhile
            let Some(document) = document else { continue };
            let catalog = match sbom::read_sbom(document.as_bytes()) {
                Ok(c) => c,
                Err(e) => {
                    report.failed.push(FailedImage {
                        digest: digest.clone(),
                        images: imgs,
                        message: format!("stored SBOM cannot be read: {e}"),
                    });
                    continue;
                }
            };
            let mut now_matches: BTreeMap<MatchKey, StoredMatch> = BTreeMap::new();
            let mut errors = 0i64;
            let mut image_errors = Vec::new();
            let mut packages = 0;
            for p in catalog.packages.iter().filter(|p| !p.owned_by_os_package) {
                packages += 1;
                let r = db.match_package(p);
                for e in &r.errors {
                    errors += 1;
                    image_errors.push(format!("{digest}: {e}"));
                }
                for m in r.matches {
                    let sm = stored_match(&m, p);
                    now_matches.insert(MatchKey::of(&sm), sm);
                }
            }
            // one short write transaction for this image
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| classify(&path, e))?;
            let before: BTreeMap<MatchKey, StoredMatch> = (|| {
                let mut st = tx.prepare_cached(
                    "SELECT vuln_id, aliases, package, version, ecosystem, purl, state, fixed_in, severity, summary
                     FROM matches WHERE digest = ?1",
                )?;
                let rows = st.query_map([digest], match_from_row)?;
                rows.map(|m| m.map(|m| (MatchKey::of(&m), m)))
                    .collect::<rusqlite::Result<BTreeMap<_, _>>>()
            })()
            .map_err(|e| classify(&path, e))?;
            (|| -> rusqlite::Result<()> {
                tx.execute("DELETE FROM matches WHERE digest = ?1", [digest])?;
                let mut st = tx.prepare_cached(
                    "INSERT OR REPLACE INTO matches (digest, vuln_id, aliases, package, version, ecosystem, purl,
                        state, fixed_in, severity, summary, matched_at, db_fingerprint)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )?;
                for m in now_matches.values() {
                    st.execute(params![
                        digest,
                        m.id,
                        serde_json::to_string(&m.aliases).unwrap_or_else(|_| "[]".into()),
                        m.package,
                        m.version,
                        m.ecosystem,
                        m.purl,
                        state_text(m.state),
                        m.fixed_in,
                        m.severity.map(CvssLevel::as_str),
                        m.summary,
                        now,
                        fingerprint
                    ])?;
                }
                tx.execute(
                    "INSERT INTO match_runs (digest, matched_at, db_fingerprint, errors) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (digest) DO UPDATE SET matched_at = excluded.matched_at,
                        db_fingerprint = excluded.db_fingerprint, errors = excluded.errors",
                    params![digest, now, fingerprint, errors],
                )?;
                Ok(())
            })()
            .map_err(|e| classify(&path, e))?;
            tx.commit().map_err(|e| classify(&path, e))?;

            report.images += 1;
            report.packages += packages;
            report.errors.extend(image_errors);
            let first = !previously_matched.contains(digest);
            let change = |m: &StoredMatch| Change {
                images: imgs.clone(),
                digest: digest.clone(),
                vulnerability: m.clone(),
                first_match: first,
            };
            for (k, m) in &now_matches {
                if before.contains_key(k) {
                    report.unchanged += 1;
                } else {
                    report.newly_vulnerable.push(change(m));
                }
            }
            for (k, m) in &before {
                if !now_matches.contains_key(k) {
                    report.newly_fixed.push(change(m));
                }
            }
            report.total += now_matches.len();
        }
        let order = |a: &Change, b: &Change| {
            // most severe first, unknown last
            b.vulnerability
                .severity
                .cmp(&a.vulnerability.severity)
                .then_with(|| a.digest.cmp(&b.digest))
                .then_with(|| a.vulnerability.id.cmp(&b.vulnerability.id))
                .then_with(|| a.vulnerability.package.cmp(&b.vulnerability.package))
        };
        report.newly_vulnerable.sort_by(order);
        report.newly_fixed.sort_by(order);
        Ok(report)
    }
}

/// Reads a `matches` row selected as `vuln_id, aliases, package, version, ecosystem, purl,
/// state, fixed_in, severity, summary`.
fn match_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredMatch> {
    let aliases: String = r.get(1)?;
    Ok(StoredMatch {
        id: r.get(0)?,
        aliases: serde_json::from_str(&aliases).unwrap_or_default(),
        package: r.get(2)?,
        version: r.get(3)?,
        ecosystem: r.get(4)?,
        purl: r.get(5)?,
        state: state_of_text(&r.get::<_, String>(6)?),
        fixed_in: r.get(7)?,
        severity: r
            .get::<_, Option<String>>(8)?
            .as_deref()
            .and_then(CvssLevel::from_label),
        summary: r.get(9)?,
    })
}

/// Identity of a match across runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct MatchKey(String, String, String, String);

impl MatchKey {
    fn of(m: &StoredMatch) -> MatchKey {
        MatchKey(
            m.id.clone(),
            m.package.clone(),
            m.version.clone(),
            m.purl.clone(),
        )
    }
}

/// The stored text of a fix state (the schema keeps text).
fn state_text(s: FixState) -> &'static str {
    match s {
        FixState::Fixed => "fixed",
        FixState::Unfixed => "unfixed",
    }
}

/// The fix state of its stored text; anything but `fixed` is unfixed.
fn state_of_text(s: &str) -> FixState {
    if s == "fixed" {
        FixState::Fixed
    } else {
        FixState::Unfixed
    }
}

fn stored_match(m: &Match, p: &Package) -> StoredMatch {
    StoredMatch {
        id: m.id.clone(),
        aliases: m.aliases.clone(),
        package: m.package.name.clone(),
        version: m.package.version.clone(),
        ecosystem: p.ecosystem.as_str().to_string(),
        purl: m.package.purl.clone().unwrap_or_else(|| p.purl.clone()),
        state: m.state,
        fixed_in: m.fixed_in.clone(),
        severity: m.severity.as_ref().map(|s| s.level),
        summary: m.summary.clone(),
    }
}

/// Maps SQLite errors to [`StoreError`]s that say what the user can do.
fn classify(path: &str, e: rusqlite::Error) -> StoreError {
    let path = path.to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
            path,
            message: e.to_string(),
        },
        Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy {
            path,
            message: e.to_string(),
        },
        Some(ErrorCode::CannotOpen) | Some(ErrorCode::PermissionDenied) => StoreError::Open {
            path,
            message: e.to_string(),
        },
        _ => match &e {
            // a kubeward table with an unexpected shape (another program's database)
            rusqlite::Error::SqliteFailure(_, Some(msg))
                if msg.starts_with("no such table") || msg.starts_with("no such column") =>
            {
                StoreError::Corrupt {
                    path,
                    message: msg.clone(),
                }
            }
            rusqlite::Error::InvalidColumnType(..)
            | rusqlite::Error::FromSqlConversionFailure(..) => StoreError::Corrupt {
                path,
                message: e.to_string(),
            },
            _ => StoreError::Sql {
                path,
                message: e.to_string(),
            },
        },
    }
}

/// A fingerprint of a vulnerability database's content: SHA-256 over the sorted record ids and
/// their `modified` times (16 hex digits). Two loads of the same data give the same value.
pub fn db_fingerprint(db: &Database) -> String {
    let mut ids: Vec<(&str, &str)> = db
        .records()
        .iter()
        .map(|r| (r.id.as_str(), r.modified.as_deref().unwrap_or("")))
        .collect();
    ids.sort_unstable();
    let mut h = Sha256::new();
    for (id, m) in ids {
        h.update(id.as_bytes());
        h.update([0]);
        h.update(m.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize()[..8])
}

/// The digest an image reference pins (`repo@sha256:...` or a bare `sha256:...`), if any.
pub fn digest_of_reference(image: &str) -> Option<&str> {
    let d = match image.rsplit_once('@') {
        Some((_, d)) => d,
        None => image,
    };
    let (alg, hexpart) = d.split_once(':')?;
    (alg == "sha256" && hexpart.len() == 64 && hexpart.bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(d)
}

/// Normalises an image reference the way container runtimes resolve it: a missing registry is
/// `docker.io`, a single-component Docker Hub name is under `library/`, a missing tag is
/// `latest` (unless a digest pins it). `registry://` is stripped. Strings that are not image
/// references (file names) are returned trimmed and otherwise unchanged.
pub fn normalize_reference(reference: &str) -> String {
    let r = reference.trim();
    let r = r.strip_prefix("registry://").unwrap_or(r);
    if r.is_empty()
        || r.contains(char::is_whitespace)
        || r.starts_with('/')
        || r.starts_with('.')
        || r.contains('\\')
    {
        return r.to_string();
    }
    let (name, digest) = match r.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (r, None),
    };
    // a tag is a ':' after the last '/'
    let (repo, tag) = match name.rfind(':') {
        Some(i) if !name[i..].contains('/') => (&name[..i], Some(&name[i + 1..])),
        _ => (name, None),
    };
    let (host, path) = match repo.split_once('/') {
        Some((h, p)) if h.contains('.') || h.contains(':') || h == "localhost" => {
            (h, p.to_string())
        }
        _ => ("docker.io", repo.to_string()),
    };
    let host = if host == "index.docker.io" || host == "registry-1.docker.io" {
        "docker.io"
    } else {
        host
    };
    let path = if host == "docker.io" && !path.contains('/') {
        format!("library/{path}")
    } else {
        path
    };
    let mut out = format!("{host}/{path}");
    match (tag, digest) {
        (Some(t), _) => {
            out.push(':');
            out.push_str(t);
        }
        (None, None) => out.push_str(":latest"),
        (None, Some(_)) => {}
    }
    if let Some(d) = digest {
        out.push('@');
        out.push_str(d);
    }
    out
}

/// The digest an SBOM document records for its subject: kubeward's own
/// `kubeward:image:manifest-digest` property, else a `sha256:` version of the CycloneDX
/// subject (as Syft writes it).
pub fn sbom_subject_digest(document: &serde_json::Value) -> Option<String> {
    let subject = document.pointer("/metadata/component")?;
    if let Some(props) = subject.get("properties").and_then(|p| p.as_array()) {
        for p in props {
            if p.get("name").and_then(|n| n.as_str()) == Some("kubeward:image:manifest-digest") {
                if let Some(v) = p.get("value").and_then(|v| v.as_str()) {
                    if digest_of_reference(v).is_some() {
                        return Some(v.to_string());
                    }
                }
            }
        }
    }
    subject
        .get("version")
        .and_then(|v| v.as_str())
        .filter(|v| digest_of_reference(v) == Some(v))
        .map(str::to_string)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The current time as RFC 3339 UTC with second precision.
pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs)
}

/// Formats Unix seconds as RFC 3339 UTC (`1970-01-01T00:00:00Z`).
fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // days since 1970-01-01 to a civil date (proleptic Gregorian calendar)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_time() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn normalizes_references() {
        assert_eq!(
            normalize_reference("nginx"),
            "docker.io/library/nginx:latest"
        );
        assert_eq!(
            normalize_reference("nginx:1.25"),
            "docker.io/library/nginx:1.25"
        );
        assert_eq!(
            normalize_reference("index.docker.io/bitnami/redis:7"),
            "docker.io/bitnami/redis:7"
        );
        assert_eq!(
            normalize_reference("registry://127.0.0.1:5000/app/web:1"),
            "127.0.0.1:5000/app/web:1"
        );
        assert_eq!(
            normalize_reference("localhost:5000/web"),
            "localhost:5000/web:latest"
        );
        let d = format!("sha256:{}", "a".repeat(64));
        assert_eq!(
            normalize_reference(&format!("ghcr.io/o/r@{d}")),
            format!("ghcr.io/o/r@{d}")
        );
        assert_eq!(normalize_reference("./image.tar"), "./image.tar");
        assert_eq!(normalize_reference("/tmp/rootfs"), "/tmp/rootfs");
    }

    #[test]
    fn digests_of_references() {
        let d = format!("sha256:{}", "0f".repeat(32));
        assert_eq!(digest_of_reference(&format!("a/b:1@{d}")), Some(d.as_str()));
        assert_eq!(digest_of_reference(&d), Some(d.as_str()));
        assert_eq!(digest_of_reference("a/b:1"), None);
        assert_eq!(digest_of_reference("a/b@sha256:abc"), None);
    }
}
