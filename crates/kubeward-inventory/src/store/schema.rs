//! The inventory schema and its forward-only migrations.
//!
//! The schema version is SQLite's `PRAGMA user_version`. Each step in [`MIGRATIONS`] moves the
//! store from version `i` to `i + 1` inside one transaction; steps are never edited once
//! released, only appended. A store whose version is above [`CURRENT`] was written by a newer
//! kubeward and is refused rather than guessed at.

use rusqlite::{Connection, TransactionBehavior};

/// Migration steps; `MIGRATIONS[i]` upgrades version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 0 -> 1: images, their SBOMs and the packages read from them
    "CREATE TABLE images (
        id         INTEGER PRIMARY KEY,
        reference  TEXT NOT NULL,
        digest     TEXT NOT NULL,
        added_at   TEXT NOT NULL,
        UNIQUE (reference, digest)
    );
    CREATE INDEX images_digest ON images (digest);
    CREATE TABLE sboms (
        digest     TEXT PRIMARY KEY,
        document   TEXT NOT NULL
    );
    CREATE TABLE packages (
        digest          TEXT NOT NULL REFERENCES sboms (digest) ON DELETE CASCADE,
        ecosystem       TEXT NOT NULL,
        name            TEXT NOT NULL,
        version         TEXT NOT NULL,
        purl            TEXT NOT NULL
    );
    CREATE INDEX packages_digest ON packages (digest);
    CREATE INDEX packages_name ON packages (ecosystem, name);",
    // 1 -> 2: match results, the digest of an index an image was pulled through, source
    // packages (distro advisories name them)
    "CREATE TABLE matches (
        digest          TEXT NOT NULL REFERENCES sboms (digest) ON DELETE CASCADE,
        vuln_id         TEXT NOT NULL,
        aliases         TEXT NOT NULL DEFAULT '[]',
        package         TEXT NOT NULL,
        version         TEXT NOT NULL,
        ecosystem       TEXT NOT NULL,
        purl            TEXT NOT NULL DEFAULT '',
        state           TEXT NOT NULL,
        fixed_in        TEXT,
        severity        TEXT,
        summary         TEXT,
        matched_at      TEXT NOT NULL,
        db_fingerprint  TEXT NOT NULL,
        PRIMARY KEY (digest, vuln_id, package, version, purl)
    );
    CREATE TABLE match_runs (
        digest          TEXT PRIMARY KEY REFERENCES sboms (digest) ON DELETE CASCADE,
        matched_at      TEXT NOT NULL,
        db_fingerprint  TEXT NOT NULL,
        errors          INTEGER NOT NULL DEFAULT 0
    );
    ALTER TABLE images ADD COLUMN index_digest TEXT;
    CREATE INDEX images_index_digest ON images (index_digest);
    ALTER TABLE packages ADD COLUMN source_name TEXT;
    ALTER TABLE packages ADD COLUMN source_version TEXT;",
];

/// The schema version this build writes.
pub const CURRENT: u32 = MIGRATIONS.len() as u32;

/// Reads `PRAGMA user_version`.
pub(crate) fn version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map(|v| u32::try_from(v).unwrap_or(u32::MAX))
}

/// Applies the steps from the store's version up to `target` (at most [`CURRENT`]), each in its
/// own immediate transaction so that two processes opening an old store at once do not both
/// migrate it. A store already at `target` is only read (no write lock).
pub(crate) fn migrate(conn: &mut Connection, target: u32) -> Result<u32, MigrateError> {
    // an up-to-date store is the common case: check without taking the write lock
    let v = version(conn)?;
    if v > CURRENT {
        return Err(MigrateError::TooNew(v));
    }
    if v >= target {
        return Ok(v);
    }
    loop {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let v = version(&tx)?;
        if v > CURRENT {
            return Err(MigrateError::TooNew(v));
        }
        if v >= target {
            return Ok(v);
        }
        tx.execute_batch(MIGRATIONS[v as usize])?;
        tx.pragma_update(None, "user_version", v + 1)?;
        tx.commit()?;
    }
}

/// Why a migration failed.
#[derive(Debug)]
pub(crate) enum MigrateError {
    /// The store is newer than this build.
    TooNew(u32),
    /// SQLite refused.
    Sql(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sql(e)
    }
}
