//! Loading OSV records (folders of JSON files, osv.dev `all.zip` exports) into an indexed
//! [`Database`].

use super::model::{EventKind, Range, RangeType, Record};
use crate::version::{self, Scheme};
use std::collections::HashMap;
use std::fmt;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// Largest JSON file or zip entry read (a guard against decompression bombs).
pub const MAX_RECORD_BYTES: u64 = 64 * 1024 * 1024;

/// The decompression budget of a zip archive of OSV records, checked on the central
/// directory before anything is inflated (see [`check_zip`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZipBudget {
    /// Most entries (osv.dev's largest export, npm, has a few hundred thousand).
    pub max_entries: usize,
    /// Most bytes all entries together may inflate to.
    pub max_total_bytes: u64,
    /// Most bytes inflated per byte of archive, once the total is above
    /// [`ZipBudget::ratio_floor`] (OSV JSON deflates about 5 to 10 times).
    pub max_ratio: u64,
    /// Totals up to this size are not held to `max_ratio`.
    pub ratio_floor: u64,
}

impl Default for ZipBudget {
    /// 2 million entries, 16 GiB, ratio 100 above 64 MiB.
    fn default() -> Self {
        ZipBudget {
            max_entries: 2_000_000,
            max_total_bytes: 16 << 30,
            max_ratio: 100,
            ratio_floor: 64 << 20,
        }
    }
}

/// Checks an archive's layout against `budget` before any entry is inflated: the entry count,
/// the uncompressed sizes the central directory declares (total and ratio to `archive_len`),
/// and that no two entries (local header and compressed data) share a byte, nor an entry the
/// central directory. Returns the declared total. Reading an entry must then stop at its
/// declared size ([`read_entry`]), so the budget also bounds the work actually done.
pub fn check_zip<R: Read + Seek>(
    zip: &mut zip::ZipArchive<R>,
    archive_len: u64,
    budget: &ZipBudget,
) -> Result<u64, String> {
    if zip.len() > budget.max_entries {
        return Err(format!(
            "decompression budget: {} entries, above the limit of {}",
            zip.len(),
            budget.max_entries
        ));
    }
    let cd_start = zip.central_directory_start();
    let mut total: u64 = 0;
    // (start of local header, end of compressed data, index)
    let mut spans: Vec<(u64, u64, usize)> = Vec::with_capacity(zip.len());
    for i in 0..zip.len() {
        let e = zip
            .by_index_raw(i)
            .map_err(|e| format!("entry #{i}: {e}"))?;
        total = total.saturating_add(e.size());
        let end = e.data_start().saturating_add(e.compressed_size());
        if end > archive_len.min(cd_start) {
            return Err(format!(
                "entry {:?} extends past its data (to offset {end}, the central directory starts at {cd_start})",
                e.name()
            ));
        }
        spans.push((e.header_start(), end, i));
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        let ((_, a_end, a), (b_start, _, b)) = (w[0], w[1]);
        if a_end > b_start {
            let name = |i: usize| {
                zip.name_for_index(i)
                    .map(|n| format!("{n:?}"))
                    .unwrap_or_else(|| format!("#{i}"))
            };
            return Err(format!(
                "zip entries overlap: {} and {} share bytes from offset {b_start} (a central directory pointing several entries at the same data)",
                name(a),
                name(b)
            ));
        }
    }
    if total > budget.max_total_bytes {
        return Err(format!(
            "decompression budget: the entries inflate to {total} bytes, above the limit of {}",
            budget.max_total_bytes
        ));
    }
    if total > budget.ratio_floor && total / archive_len.max(1) > budget.max_ratio {
        return Err(format!(
            "decompression budget: the entries inflate to {total} bytes, {} times the archive's {archive_len} bytes (limit {})",
            total / archive_len.max(1),
            budget.max_ratio
        ));
    }
    Ok(total)
}

/// Reads one entry whole, refusing more than `limit` bytes and more than the size the central
/// directory declares (which [`check_zip`] budgeted). The zip reader checks the CRC-32 at the
/// end.
pub fn read_entry<R: Read>(
    entry: &mut zip::read::ZipFile<'_, R>,
    limit: u64,
) -> Result<Vec<u8>, String> {
    let declared = entry.size();
    if declared > limit {
        return Err(format!(
            "declares {declared} bytes, above the limit of {limit} per record"
        ));
    }
    let mut buf = Vec::with_capacity(declared as usize);
    entry
        .take(declared + 1)
        .read_to_end(&mut buf)
        .map_err(|e| e.to_string())?;
    if buf.len() as u64 > declared {
        return Err(format!(
            "inflates to more than the {declared} bytes it declares"
        ));
    }
    Ok(buf)
}

/// Parses one JSON document of OSV records: a record, an array of records, or an object with
/// a `vulns` array (the osv.dev API's answer). Every record must deserialize and have an id;
/// the first that does not fails the whole document.
pub fn parse_records(bytes: &[u8], origin: &str) -> Result<Vec<Record>, LoadError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| load_err(origin, format!("invalid JSON: {e}")))?;
    let items = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(mut o) if !o.contains_key("id") && o.contains_key("vulns") => {
            match o.remove("vulns") {
                Some(serde_json::Value::Array(a)) => a,
                _ => return Err(load_err(origin, "`vulns` is not an array")),
            }
        }
        v @ serde_json::Value::Object(_) => vec![v],
        _ => {
            return Err(load_err(
                origin,
                "not an OSV record (expected a JSON object)",
            ))
        }
    };
    let mut out = Vec::with_capacity(items.len());
    for (k, item) in items.into_iter().enumerate() {
        let rec: Record = serde_json::from_value(item).map_err(|e| {
            load_err(
                origin,
                format!("record #{k} is not a valid OSV record: {e}"),
            )
        })?;
        if rec.id.trim().is_empty() {
            return Err(load_err(origin, format!("record #{k} has no id")));
        }
        out.push(rec);
    }
    Ok(out)
}

/// A file or zip entry that could not be loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadError {
    /// The file (for a zip entry: `archive.zip!entry.json`).
    pub path: String,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for LoadError {}

fn load_err(path: impl fmt::Display, message: impl fmt::Display) -> LoadError {
    LoadError {
        path: path.to_string(),
        message: message.to_string(),
    }
}

/// An OSV ecosystem name (`Debian:12`, `PyPI`, `Red Hat:enterprise_linux:9::appstream`), as
/// records carry it and [`Ecosystem::osv_name`] builds it for a package, split into its parts:
/// `Debian:12` is base `debian`, release `12`, ordered by [`Scheme::Dpkg`].
///
/// [`Ecosystem::osv_name`]: kubeward_image::package::Ecosystem::osv_name
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OsvName {
    /// The ecosystem name before the first `:`, lowercased (`debian`, `pypi`, `red hat`).
    pub base: String,
    /// What follows the first `:` (`12`, `v3.19`, `enterprise_linux:9::appstream`), if any.
    pub release: Option<String>,
    /// The version ordering of this ecosystem.
    pub scheme: Scheme,
}

impl OsvName {
    /// Parses an OSV ecosystem string (`PyPI`, `Debian:12`, `Alpine:v3.19`, `Go`...); also
    /// accepts purl types (`pypi`, `cargo`, `golang`, `npm`, `maven`). `None` for ecosystems
    /// without a version ordering here, and for `deb`/`apk`/`rpm` without a distro (use
    /// [`Ecosystem::osv_name`](kubeward_image::package::Ecosystem::osv_name) to build
    /// `Debian:12` from a distro).
    pub fn parse(s: &str) -> Option<OsvName> {
        let s = s.trim();
        let (base, release) = match s.split_once(':') {
            Some((b, r)) => (b, Some(r.trim()).filter(|r| !r.is_empty())),
            None => (s, None),
        };
        let mut base = base.trim().to_ascii_lowercase();
        match base.as_str() {
            "cargo" => base = "crates.io".into(),
            "golang" => base = "go".into(),
            "deb" | "dpkg" | "apk" | "rpm" | "semver" | "pep440" => return None,
            _ => {}
        }
        let scheme = Scheme::from_name(&base)?;
        Some(OsvName {
            base,
            release: release.map(str::to_string),
            scheme,
        })
    }

    /// True when a record for ecosystem `self` applies to a package of ecosystem `pkg`:
    /// same base, and the same release when both name one.
    pub fn covers(&self, pkg: &OsvName) -> bool {
        self.base == pkg.base && release_matches(self.release.as_deref(), pkg.release.as_deref())
    }
}

/// Compares distro releases. A record release applies to a package release when its dotted
/// numbers are a prefix of the package's (`12` covers `12.5`, `v3.19` covers `3.19.1`).
/// `LTS` markers are ignored; Ubuntu `Pro` records need a `Pro` package release; Red Hat's
/// product releases compare by the version after the product (`enterprise_linux:9::appstream`
/// covers `9.4`, not `8.10`); a release with no version matches any.
fn release_matches(record: Option<&str>, pkg: Option<&str>) -> bool {
    let (Some(r), Some(p)) = (record, pkg) else {
        return true;
    };
    let parts = |s: &str| -> Vec<String> {
        s.split(':')
            .filter(|x| !x.is_empty() && !x.eq_ignore_ascii_case("lts"))
            .map(|x| x.trim_start_matches(['v', 'V']).to_ascii_lowercase())
            .collect()
    };
    let (r, p) = (parts(r), parts(p));
    let (Some(r0), Some(p0)) = (r.first(), p.first()) else {
        return true;
    };
    if r0 == "pro" || p0 == "pro" {
        return r0 == p0
            && release_matches(r.get(1).map(String::as_str), p.get(1).map(String::as_str));
    }
    let numeric = |s: &str| {
        !s.is_empty()
            && s.split('.')
                .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_digit()))
    };
    // Red Hat names a product and its version, as in its CPEs: `enterprise_linux:9::appstream`
    // (RHEL 9), `rhel_eus:8.6::baseos` (RHEL 8.6 EUS): the version is what is compared.
    let version_of = |parts: &[String]| -> Option<String> {
        match parts {
            [first, ..] if numeric(first) => Some(first.clone()),
            [_, second, ..] if numeric(second) => Some(second.clone()),
            _ => None,
        }
    };
    let (Some(r0), Some(p0)) = (version_of(&r), version_of(&p)) else {
        return true;
    };
    let (r0, p0) = (r0.as_str(), p0.as_str());
    r0.split('.')
        .zip(p0.split('.'))
        .all(|(a, b)| version::cmp_digits(a, b).is_eq())
}

/// Normalises a package name for lookups: PEP 503 for PyPI (lowercase, runs of `-_.` become
/// `-`), lowercase with `_` as `-` for crates.io, lowercase for npm; Go module paths, Maven
/// coordinates and distro package names are kept as written.
pub fn normalize_name(scheme: Scheme, name: &str) -> String {
    let name = name.trim();
    match scheme {
        Scheme::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        Scheme::CratesIo => name.to_ascii_lowercase().replace('_', "-"),
        Scheme::Npm => name.to_ascii_lowercase(),
        Scheme::Go => name.trim_end_matches('/').to_string(),
        _ => name.to_string(),
    }
}

/// An indexed collection of OSV records.
#[derive(Debug, Default)]
pub struct Database {
    pub(super) records: Vec<Record>,
    /// Parsed ecosystem of each `affected[]` entry, parallel to `records[i].affected`.
    pub(super) ecosystems: Vec<Vec<Option<OsvName>>>,
    /// (base, normalised name) → (record, affected entry).
    pub(super) index: HashMap<(String, String), Vec<(u32, u32)>>,
    by_id: HashMap<String, u32>,
    errors: Vec<LoadError>,
}

impl Database {
    /// An empty database.
    pub fn new() -> Database {
        Database::default()
    }

    /// Loads a folder (recursively), an osv.dev `all.zip` export or a single JSON file.
    /// Malformed records do not stop the load: they are listed in [`Database::load_errors`].
    /// Fails only when `path` itself cannot be read.
    pub fn load(path: &Path) -> Result<Database, LoadError> {
        let mut db = Database::new();
        db.add_path(path)?;
        Ok(db)
    }

    /// Adds a folder, a zip export or a JSON file (see [`Database::load`]).
    pub fn add_path(&mut self, path: &Path) -> Result<(), LoadError> {
        let meta = std::fs::metadata(path).map_err(|e| load_err(path.display(), e))?;
        if meta.is_dir() {
            self.add_dir(path)
        } else if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
        {
            let f = std::fs::File::open(path).map_err(|e| load_err(path.display(), e))?;
            self.add_zip(std::io::BufReader::new(f), &path.display().to_string())
        } else {
            let bytes = read_limited(path)?;
            if let Err(e) = self.add_json(&bytes, &path.display().to_string()) {
                self.errors.push(e);
            }
            Ok(())
        }
    }

    /// Adds every `*.json` file under `dir` (recursively, in name order; symlinked folders
    /// are not followed).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), LoadError> {
        let mut stack = vec![dir.to_path_buf()];
        let mut first = true;
        while let Some(d) = stack.pop() {
            let rd = match std::fs::read_dir(&d) {
                Ok(rd) => rd,
                Err(e) if first => return Err(load_err(d.display(), e)),
                Err(e) => {
                    self.errors.push(load_err(d.display(), e));
                    continue;
                }
            };
            first = false;
            let mut entries: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
            entries.sort();
            let mut subdirs = Vec::new();
            for p in entries {
                let Ok(meta) = std::fs::symlink_metadata(&p) else {
                    continue;
                };
                if meta.is_dir() {
                    subdirs.push(p);
                } else if p
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("json"))
                {
                    match read_limited(&p) {
                        Ok(bytes) => {
                            if let Err(e) = self.add_json(&bytes, &p.display().to_string()) {
                                self.errors.push(e);
                            }
                        }
                        Err(e) => self.errors.push(e),
                    }
                }
            }
            // Reverse so that popping visits folders in name order.
            stack.extend(subdirs.into_iter().rev());
        }
        Ok(())
    }

    /// Adds the `*.json` entries of an osv.dev export zip (`<ecosystem>/all.zip`). Only
    /// stored and deflated entries are supported. The archive is checked against the default
    /// [`ZipBudget`] first (an archive over budget, or with overlapping entries, is refused
    /// whole); each entry is read up to its declared size and [`MAX_RECORD_BYTES`].
    pub fn add_zip<R: Read + Seek>(&mut self, mut reader: R, name: &str) -> Result<(), LoadError> {
        let len = reader
            .seek(std::io::SeekFrom::End(0))
            .and_then(|l| reader.rewind().map(|_| l))
            .map_err(|e| load_err(name, e))?;
        let mut zip = zip::ZipArchive::new(reader).map_err(|e| load_err(name, e))?;
        check_zip(&mut zip, len, &ZipBudget::default()).map_err(|e| load_err(name, e))?;
        for i in 0..zip.len() {
            let mut entry = match zip.by_index(i) {
                Ok(e) => e,
                Err(e) => {
                    self.errors.push(load_err(format!("{name}!#{i}"), e));
                    continue;
                }
            };
            let ename = format!("{name}!{}", entry.name());
            if entry.is_dir() || !entry.name().to_ascii_lowercase().ends_with(".json") {
                continue;
            }
            match read_entry(&mut entry, MAX_RECORD_BYTES) {
                Ok(buf) => {
                    if let Err(e) = self.add_json(&buf, &ename) {
                        self.errors.push(e);
                    }
                }
                Err(e) => self.errors.push(load_err(ename, e)),
            }
        }
        Ok(())
    }

    /// Adds the records of one JSON document (see [`parse_records`]); a document with an
    /// invalid record adds nothing. Returns how many were added.
    pub fn add_json(&mut self, bytes: &[u8], origin: &str) -> Result<usize, LoadError> {
        let records = parse_records(bytes, origin)?;
        let n = records.len();
        for rec in records {
            self.add_record(rec);
        }
        Ok(n)
    }

    /// Adds one record, replacing a record with the same id unless that one is newer
    /// (by `modified`). Range events are sorted by version when all of them parse.
    pub fn add_record(&mut self, mut rec: Record) {
        if let Some(&i) = self.by_id.get(&rec.id) {
            let old = &self.records[i as usize];
            if old.modified.as_deref().unwrap_or("") > rec.modified.as_deref().unwrap_or("") {
                return;
            }
            self.unindex(i);
        }
        let ecos: Vec<Option<OsvName>> = rec
            .affected
            .iter()
            .map(|a| {
                a.package
                    .as_ref()
                    .and_then(|p| OsvName::parse(&p.ecosystem))
            })
            .collect();
        for (a, eco) in rec.affected.iter_mut().zip(&ecos) {
            if let Some(eco) = eco {
                for r in &mut a.ranges {
                    sort_events(range_scheme(eco.scheme, r), r);
                }
            }
        }
        let idx = match self.by_id.get(&rec.id) {
            Some(&i) => {
                self.records[i as usize] = rec;
                self.ecosystems[i as usize] = ecos;
                i
            }
            None => {
                let i = self.records.len() as u32;
                self.by_id.insert(rec.id.clone(), i);
                self.records.push(rec);
                self.ecosystems.push(ecos);
                i
            }
        };
        self.index_record(idx);
    }

    fn keys(&self, i: u32) -> Vec<((String, String), u32)> {
        let rec = &self.records[i as usize];
        let mut out = Vec::new();
        for (k, (a, eco)) in rec
            .affected
            .iter()
            .zip(&self.ecosystems[i as usize])
            .enumerate()
        {
            if let (Some(p), Some(eco)) = (&a.package, eco) {
                out.push((
                    (eco.base.clone(), normalize_name(eco.scheme, &p.name)),
                    k as u32,
                ));
            }
        }
        out
    }

    fn index_record(&mut self, i: u32) {
        for (key, k) in self.keys(i) {
            self.index.entry(key).or_default().push((i, k));
        }
    }

    fn unindex(&mut self, i: u32) {
        for (key, _) in self.keys(i) {
            if let Some(v) = self.index.get_mut(&key) {
                v.retain(|(r, _)| *r != i);
            }
        }
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// True when no record is loaded.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// All records, in load order.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// The record with this id.
    pub fn get(&self, id: &str) -> Option<&Record> {
        self.by_id.get(id).map(|&i| &self.records[i as usize])
    }

    /// Files and zip entries that could not be loaded.
    pub fn load_errors(&self) -> &[LoadError] {
        &self.errors
    }
}

/// The ordering a range's versions use: SEMVER ranges use SemVer (Go's variant for Go, so
/// that `go1.21rc2`-style versions still compare), ECOSYSTEM ranges the ecosystem's own.
pub(super) fn range_scheme(eco: Scheme, r: &Range) -> Scheme {
    match (&r.kind, eco) {
        (RangeType::Semver, Scheme::Go) => Scheme::Go,
        (RangeType::Semver, Scheme::Npm) => Scheme::Npm,
        (RangeType::Semver, _) => Scheme::SemVer,
        _ => eco,
    }
}

/// Sorts a range's events by version (`introduced: "0"` first) when every version parses;
/// otherwise keeps the record's order (the matcher then reports what it cannot compare).
fn sort_events(scheme: Scheme, r: &mut Range) {
    if r.kind == RangeType::Git || r.kind == RangeType::Unknown {
        return;
    }
    let all_valid = r.events.iter().all(|e| match e.kind() {
        Some((EventKind::Introduced, "0")) => true,
        Some((_, v)) => version::validate(scheme, v).is_ok(),
        None => false,
    });
    if !all_valid {
        return;
    }
    r.events.sort_by(|a, b| {
        let (ka, va) = a.kind().expect("checked above");
        let (kb, vb) = b.kind().expect("checked above");
        let zero_a = ka == EventKind::Introduced && va == "0";
        let zero_b = kb == EventKind::Introduced && vb == "0";
        match (zero_a, zero_b) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Less,
            (false, true) => std::cmp::Ordering::Greater,
            (false, false) => version::compare(scheme, va, vb).unwrap_or(std::cmp::Ordering::Equal),
        }
    });
}

/// A record file, through the one capped reader ([`MAX_RECORD_BYTES`]).
fn read_limited(path: &Path) -> Result<Vec<u8>, LoadError> {
    kubeward_io::read_capped(path, MAX_RECORD_BYTES).map_err(|e| match e {
        kubeward_io::ReadError::TooLarge { .. } => load_err(path.display(), "file too large"),
        kubeward_io::ReadError::Io { source, .. } => load_err(path.display(), source),
        other => load_err(path.display(), other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecosystems() {
        let d = OsvName::parse("Debian:12").unwrap();
        assert_eq!(
            (d.base.as_str(), d.release.as_deref(), d.scheme),
            ("debian", Some("12"), Scheme::Dpkg)
        );
        let any = OsvName::parse("Debian").unwrap();
        let d11 = OsvName::parse("Debian:11").unwrap();
        let d12_5 = OsvName::parse("Debian:12.5").unwrap();
        assert!(d.covers(&any) && any.covers(&d) && d.covers(&d12_5));
        assert!(!d11.covers(&d));
        let a = OsvName::parse("Alpine:v3.19").unwrap();
        assert!(a.covers(&OsvName::parse("Alpine:3.19.1").unwrap()));
        assert!(!a.covers(&OsvName::parse("Alpine:v3.1").unwrap()));
        let u = OsvName::parse("Ubuntu:22.04:LTS").unwrap();
        assert!(u.covers(&OsvName::parse("Ubuntu:22.04").unwrap()));
        assert!(!OsvName::parse("Ubuntu:Pro:18.04:LTS")
            .unwrap()
            .covers(&OsvName::parse("Ubuntu:18.04").unwrap()));
        assert!(!d.covers(&OsvName::parse("Ubuntu:12").unwrap()));
        assert_eq!(OsvName::parse("cargo").unwrap().base, "crates.io");
        assert!(OsvName::parse("deb").is_none());
        assert!(OsvName::parse("RubyGems").is_none());
    }

    #[test]
    fn names() {
        assert_eq!(normalize_name(Scheme::PyPI, "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalize_name(Scheme::CratesIo, "Serde_JSON"), "serde-json");
        assert_eq!(normalize_name(Scheme::Npm, "@Scope/Pkg"), "@scope/pkg");
        assert_eq!(
            normalize_name(Scheme::Go, "github.com/Foo/bar/"),
            "github.com/Foo/bar"
        );
    }

    #[test]
    fn malformed_json_names_the_file() {
        let mut db = Database::new();
        let e = db.add_json(b"{not json", "x/BAD-1.json").unwrap_err();
        assert_eq!(e.path, "x/BAD-1.json");
        let e = db
            .add_json(br#"{"id": "X-1", "affected": "nope"}"#, "x/BAD-2.json")
            .unwrap_err();
        assert!(e.message.contains("not a valid OSV record"), "{e}");
        let e = db
            .add_json(br#"{"summary": "no id"}"#, "x/BAD-3.json")
            .unwrap_err();
        assert!(e.to_string().starts_with("x/BAD-3.json"), "{e}");
        assert!(db.is_empty());
    }

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        use std::io::Write;
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    #[test]
    fn zip_budget() {
        let rec = br#"{"id":"Z-1"}"#;
        let bytes = zip_of(&[("a.json", rec), ("b.json", rec), ("c.json", &[b' '; 4096])]);
        let len = bytes.len() as u64;
        let open = || zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
        let budget = ZipBudget::default();
        assert_eq!(check_zip(&mut open(), len, &budget), Ok(4096 + 24));
        let few = ZipBudget {
            max_entries: 2,
            ..budget
        };
        assert!(check_zip(&mut open(), len, &few)
            .unwrap_err()
            .contains("3 entries"));
        let small = ZipBudget {
            max_total_bytes: 1000,
            ..budget
        };
        assert!(check_zip(&mut open(), len, &small)
            .unwrap_err()
            .contains("decompression budget"));
        let ratio = ZipBudget {
            max_ratio: 2,
            ratio_floor: 0,
            ..budget
        };
        assert!(check_zip(&mut open(), len, &ratio)
            .unwrap_err()
            .contains("times the archive"));
        // an entry may not inflate past its declared size, nor past the limit
        let mut z = open();
        let mut e = z.by_index(2).unwrap();
        assert!(read_entry(&mut e, 100)
            .unwrap_err()
            .contains("above the limit"));
        drop(e);
        let mut e = z.by_index(0).unwrap();
        assert_eq!(read_entry(&mut e, 100).unwrap(), rec);
        // loading a zip goes through the same check
        let mut db = Database::new();
        db.add_zip(std::io::Cursor::new(bytes.clone()), "t.zip")
            .unwrap();
        assert_eq!(db.len(), 1, "{:?}", db.load_errors());
    }

    #[test]
    fn events_sorted_at_load() {
        let mut db = Database::new();
        db.add_json(
            br#"{"id":"T-1","affected":[{"package":{"ecosystem":"PyPI","name":"x"},
              "ranges":[{"type":"ECOSYSTEM","events":[{"fixed":"2.0"},{"introduced":"1.5"},{"introduced":"0"},{"fixed":"1.0"}]}]}]}"#,
            "t",
        )
        .unwrap();
        let ev: Vec<_> = db.records()[0].affected[0].ranges[0]
            .events
            .iter()
            .map(|e| e.kind().unwrap().1.to_string())
            .collect();
        assert_eq!(ev, ["0", "1.0", "1.5", "2.0"]);
    }
}
