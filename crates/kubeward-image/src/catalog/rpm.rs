//! RPM packages from the SQLite rpmdb (`var/lib/rpm/rpmdb.sqlite`, or
//! `usr/lib/sysimage/rpm/rpmdb.sqlite` where `/var/lib/rpm` is a link to it: Fedora 36+,
//! RHEL 9, Rocky, AlmaLinux).
//!
//! The database has a table `Packages (hnum INTEGER PRIMARY KEY, blob BLOB)`; each blob is an
//! rpm header in its exported ("unloaded") form:
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   size of the data store
//! il × { tag: u32, type: u32, offset: u32, count: u32 }   (all big-endian)
//! dl bytes of data store
//! ```
//!
//! An entry's value lives at `offset` in the data store; strings are NUL-terminated, a string
//! array is `count` NUL-terminated strings in a row, integers are big-endian. The first entry
//! is usually a region tag (`HEADERIMMUTABLE`, 63) which is skipped like any tag we do not
//! read. Every offset and count is bounds-checked: a malformed header is a warning for that
//! package, never a panic.
//!
//! The Berkeley DB database of CentOS 7, RHEL 8 and its rebuilds and Amazon Linux 2
//! (`var/lib/rpm/Packages`, a hash database whose values are the same header blobs) is read
//! with [`super::bdb`] when no SQLite database is found. The NDB (`Packages.db`) databases of
//! SUSE systems are not read.

use crate::package::{Ecosystem, Package};
use std::borrow::Cow;
use std::collections::HashSet;

/// Where the SQLite rpmdb lives, in lookup order.
pub const DB_PATHS: [&str; 2] = [
    "var/lib/rpm/rpmdb.sqlite",
    "usr/lib/sysimage/rpm/rpmdb.sqlite",
];

/// Where the Berkeley DB rpmdb lives.
pub const BDB_PATH: &str = "var/lib/rpm/Packages";

/// Files the cataloger reads (the databases and their write-ahead logs).
pub(crate) fn wanted(path: &str) -> bool {
    path == BDB_PATH
        || DB_PATHS
            .iter()
            .any(|p| path == *p || path.strip_prefix(*p) == Some("-wal"))
}

const TAG_NAME: u32 = 1000;
const TAG_VERSION: u32 = 1001;
const TAG_RELEASE: u32 = 1002;
const TAG_EPOCH: u32 = 1003;
const TAG_LICENSE: u32 = 1014;
const TAG_ARCH: u32 = 1022;
const TAG_OLDFILENAMES: u32 = 1027;
const TAG_SOURCERPM: u32 = 1044;
const TAG_DIRINDEXES: u32 = 1116;
const TAG_BASENAMES: u32 = 1117;
const TAG_DIRNAMES: u32 = 1118;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// rpm's own bounds (`hdrchkTags`, `hdrchkData`).
const MAX_ENTRIES: usize = 0xffff;
const MAX_DATA: usize = 256 << 20;

#[derive(Debug, Clone, Copy)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: the index and the data store it points into.
#[derive(Debug)]
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parses an exported header blob (no lead, no magic).
    pub fn parse(blob: &'a [u8]) -> Result<Header<'a>, String> {
        let il = be32(blob, 0).ok_or("header shorter than 8 bytes")? as usize;
        let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")? as usize;
        if il == 0 || il > MAX_ENTRIES {
            return Err(format!("header has {il} index entries"));
        }
        if dl > MAX_DATA {
            return Err(format!("header data store of {dl} bytes"));
        }
        let start = 8 + il * 16;
        let end = start + dl;
        if blob.len() < end {
            return Err(format!(
                "header truncated: {} bytes, index and data need {end}",
                blob.len()
            ));
        }
        let mut entries = Vec::with_capacity(il);
        for i in 0..il {
            let at = 8 + i * 16;
            let field = |k: usize| be32(blob, at + 4 * k).unwrap_or(0);
            entries.push(Entry {
                tag: field(0),
                kind: field(1),
                offset: field(2) as usize,
                count: field(3) as usize,
            });
        }
        Ok(Header {
            entries,
            data: &blob[start..end],
        })
    }

    fn entry(&self, tag: u32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    /// The NUL-terminated string at `offset`, and the offset after its NUL.
    fn cstr_at(&self, offset: usize) -> Option<(Cow<'a, str>, usize)> {
        let rest = self.data.get(offset..)?;
        let len = memchr::memchr(0, rest)?;
        Some((String::from_utf8_lossy(&rest[..len]), offset + len + 1))
    }

    /// A STRING (or the first string of an I18NSTRING / STRING_ARRAY) tag.
    pub fn string(&self, tag: u32) -> Option<Cow<'a, str>> {
        let e = self.entry(tag)?;
        match e.kind {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY if e.count >= 1 => {
                self.cstr_at(e.offset).map(|(s, _)| s)
            }
            _ => None,
        }
    }

    /// A STRING_ARRAY tag (empty when absent or malformed).
    pub fn strings(&self, tag: u32) -> Vec<Cow<'a, str>> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if e.kind != TYPE_STRING_ARRAY || e.count > self.data.len() {
            return Vec::new();
        }
        let mut out = Vec::with_capacity(e.count);
        let mut at = e.offset;
        for _ in 0..e.count {
            match self.cstr_at(at) {
                Some((s, next)) => {
                    out.push(s);
                    at = next;
                }
                None => return Vec::new(),
            }
        }
        out
    }

    /// An INT32 tag (empty when absent or malformed).
    pub fn int32s(&self, tag: u32) -> Vec<u32> {
        let Some(e) = self.entry(tag) else {
            return Vec::new();
        };
        if e.kind != TYPE_INT32 || e.count > self.data.len() / 4 {
            return Vec::new();
        }
        (0..e.count)
            .map_while(|i| be32(self.data, e.offset + 4 * i))
            .collect()
    }
}

/// Splits a source rpm file name (`openssl-3.0.7-27.el9.src.rpm`) into name and
/// version-release (`openssl`, `3.0.7-27.el9`).
pub fn split_source_rpm(srpm: &str) -> Option<(&str, &str)> {
    let base = srpm
        .strip_suffix(".src.rpm")
        .or_else(|| srpm.strip_suffix(".nosrc.rpm"))
        .unwrap_or(srpm);
    let (rest, _release) = base.rsplit_once('-')?;
    let (name, _version) = rest.rsplit_once('-')?;
    if name.is_empty() {
        return None;
    }
    Some((name, &base[name.len() + 1..]))
}

/// Turns one header into a package, adding the files it owns to `owned`. `None` for the
/// `gpg-pubkey` pseudo-packages rpm keeps for imported keys.
pub fn package_from_header(h: &Header<'_>, owned: &mut HashSet<String>) -> Option<Package> {
    let name = h.string(TAG_NAME)?;
    if name.is_empty() || name == "gpg-pubkey" {
        return None;
    }
    let version = h.string(TAG_VERSION).unwrap_or_default();
    let release = h.string(TAG_RELEASE).unwrap_or_default();
    let epoch = h.int32s(TAG_EPOCH).first().copied();
    let epoch_prefix = epoch.map(|e| format!("{e}:")).unwrap_or_default();
    let vr = if release.is_empty() {
        version.to_string()
    } else {
        format!("{version}-{release}")
    };
    let mut p = Package::new(Ecosystem::Rpm, name.as_ref(), format!("{epoch_prefix}{vr}"));
    p.arch = h
        .string(TAG_ARCH)
        .filter(|a| !a.is_empty())
        .map(Cow::into_owned);
    match h
        .string(TAG_SOURCERPM)
        .as_deref()
        .and_then(split_source_rpm)
    {
        Some((sn, sv)) => {
            p.source_name = Some(sn.to_string());
            p.source_version = Some(format!("{epoch_prefix}{sv}"));
        }
        None => {
            p.source_name = Some(p.name.clone());
            p.source_version = Some(p.version.clone());
        }
    }
    if let Some(l) = h.string(TAG_LICENSE).filter(|l| !l.is_empty()) {
        p.licenses.push(l.into_owned());
    }
    // file ownership: dirnames[dirindexes[i]] + basenames[i], or the old flat list
    let base = h.strings(TAG_BASENAMES);
    let dirs = h.strings(TAG_DIRNAMES);
    let idx = h.int32s(TAG_DIRINDEXES);
    if !base.is_empty() && base.len() == idx.len() {
        for (b, &d) in base.iter().zip(&idx) {
            if let Some(dir) = dirs.get(d as usize) {
                let full = format!("{dir}{b}");
                let rel = full.trim_start_matches('/');
                if !rel.is_empty() {
                    owned.insert(rel.to_string());
                }
            }
        }
    } else {
        for f in h.strings(TAG_OLDFILENAMES) {
            let rel = f.trim_start_matches('/');
            if !rel.is_empty() {
                owned.insert(rel.to_string());
            }
        }
    }
    p.refresh_purl();
    Some(p)
}

/// Reads an rpmdb.sqlite file image. Packages whose header is malformed are skipped and named
/// in the returned warnings; an unreadable database is an error.
pub fn parse_rpmdb_sqlite(
    data: &[u8],
    owned: &mut HashSet<String>,
) -> Result<(Vec<Package>, Vec<String>), String> {
    if !data.starts_with(b"SQLite format 3\0") || data.len() < 100 {
        return Err("not an SQLite 3 database".into());
    }
    // In-memory databases cannot use a write-ahead log: open a WAL-mode file image as a
    // rollback-journal one (file format bytes 18 and 19 set to 1). Content still in a -wal
    // file is not seen; the caller warns about it.
    let mut image = data.to_vec();
    image[18] = 1;
    image[19] = 1;
    let mut conn = rusqlite::Connection::open_in_memory().map_err(|e| e.to_string())?;
    let len = image.len();
    conn.deserialize_read_exact("main", std::io::Cursor::new(image), len, true)
        .map_err(|e| format!("cannot open the database: {e}"))?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(|e| format!("no readable Packages table: {e}"))?;
    let mut rows = stmt.query([]).map_err(|e| e.to_string())?;
    let mut pkgs = Vec::new();
    let mut warnings = Vec::new();
    loop {
        let row = match rows.next() {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(e) => {
                warnings.push(format!("reading Packages stopped: {e}"));
                break;
            }
        };
        let hnum: i64 = row.get(0).unwrap_or(-1);
        let blob: Vec<u8> = match row.get(1) {
            Ok(b) => b,
            Err(e) => {
                warnings.push(format!("package #{hnum}: {e}"));
                continue;
            }
        };
        match Header::parse(&blob) {
            Ok(h) => pkgs.extend(package_from_header(&h, owned)),
            Err(e) => warnings.push(format!("package #{hnum}: {e}")),
        }
    }
    Ok((pkgs, warnings))
}

/// Reads a Berkeley DB rpmdb (`var/lib/rpm/Packages`) file image. Values that are not
/// headers (rpm keeps its next package number under key 0) are skipped; malformed headers and
/// unreadable items are named in the returned warnings; a file that is not a hash database is
/// an error.
pub fn parse_rpmdb_bdb(
    data: &[u8],
    owned: &mut HashSet<String>,
) -> Result<(Vec<Package>, Vec<String>), String> {
    let (pairs, mut warnings) = super::bdb::read_pairs(data)?;
    let mut pkgs = Vec::new();
    for pair in pairs {
        let key = match <[u8; 4]>::try_from(pair.key.as_slice()) {
            Ok(k) => u32::from_le_bytes(k).min(u32::from_be_bytes(k)),
            Err(_) => {
                warnings.push(format!("a key of {} bytes skipped", pair.key.len()));
                continue;
            }
        };
        if key == 0 {
            continue;
        }
        match Header::parse(&pair.value) {
            Ok(h) => pkgs.extend(package_from_header(&h, owned)),
            Err(e) => warnings.push(format!("package #{key}: {e}")),
        }
    }
    Ok((pkgs, warnings))
}

/// RPM packages: the SQLite rpmdb ([`DB_PATHS`]), else the Berkeley DB one ([`BDB_PATH`]).
pub struct Rpm;

impl super::Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<crate::image::Want> {
        wanted(path).then_some(crate::image::Want::Content)
    }

    fn catalog(&self, cx: &mut super::Context<'_>) -> Vec<Package> {
        let mut pkgs = Vec::new();
        catalog(cx, &mut pkgs);
        pkgs
    }
}

/// Catalogs the first SQLite rpmdb found in the view (see [`DB_PATHS`]) into `pkgs`, else the
/// Berkeley DB one ([`BDB_PATH`]).
fn catalog(cx: &mut super::Context<'_>, pkgs: &mut Vec<Package>) {
    use crate::image::NodeKind;
    let tree = cx.tree;
    for path in DB_PATHS {
        let Some(node) = tree.get(path) else {
            continue;
        };
        let NodeKind::File(data) = &node.kind else {
            continue; // a link: `/var/lib/rpm` pointing at the other place
        };
        match parse_rpmdb_sqlite(data, &mut cx.owned) {
            Ok((found, w)) => {
                cx.warnings
                    .extend(w.into_iter().map(|w| format!("{path}: {w}")));
                for mut p in found {
                    p.layer = cx.layer_id(node.layer);
                    p.locations.push(path.to_string());
                    pkgs.push(p);
                }
            }
            Err(e) => cx.warnings.push(format!("{path}: {e}")),
        }
        let wal = format!("{path}-wal");
        if tree.read(&wal).is_some_and(|d| !d.is_empty()) {
            cx.warnings.push(format!(
                "{wal}: write-ahead log not applied; packages changed since the last checkpoint may be missing"
            ));
        }
        return;
    }
    let Some(node) = tree.get(BDB_PATH) else {
        return;
    };
    let NodeKind::File(data) = &node.kind else {
        return;
    };
    match parse_rpmdb_bdb(data, &mut cx.owned) {
        Ok((found, w)) => {
            cx.warnings
                .extend(w.into_iter().map(|w| format!("{BDB_PATH}: {w}")));
            for mut p in found {
                p.layer = cx.layer_id(node.layer);
                p.locations.push(BDB_PATH.to_string());
                pkgs.push(p);
            }
        }
        Err(e) => cx.warnings.push(format!("{BDB_PATH}: {e}")),
    }
}

/// Builds an exported header blob from `(tag, value)` pairs: the inverse of [`Header::parse`],
/// for tests and fixtures.
pub mod build {
    /// A tag value.
    pub enum Value<'a> {
        /// STRING
        Str(&'a str),
        /// STRING_ARRAY
        Strs(Vec<&'a str>),
        /// INT32 array
        Int32(Vec<u32>),
    }

    /// Encodes a header (a region tag first, as rpm writes it, then the given tags).
    pub fn header(tags: &[(u32, Value<'_>)]) -> Vec<u8> {
        let mut index: Vec<[u32; 4]> = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, v) in tags {
            match v {
                Value::Str(s) => {
                    index.push([*tag, super::TYPE_STRING, data.len() as u32, 1]);
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                }
                Value::Strs(list) => {
                    index.push([
                        *tag,
                        super::TYPE_STRING_ARRAY,
                        data.len() as u32,
                        list.len() as u32,
                    ]);
                    for s in list {
                        data.extend_from_slice(s.as_bytes());
                        data.push(0);
                    }
                }
                Value::Int32(list) => {
                    while !data.len().is_multiple_of(4) {
                        data.push(0);
                    }
                    index.push([
                        *tag,
                        super::TYPE_INT32,
                        data.len() as u32,
                        list.len() as u32,
                    ]);
                    for x in list {
                        data.extend_from_slice(&x.to_be_bytes());
                    }
                }
            }
        }
        // region trailer: a 16-byte entry (tag 63, BIN, negative offset, count 16)
        while !data.len().is_multiple_of(4) {
            data.push(0);
        }
        let trailer_at = data.len() as u32;
        let n = index.len() as u32 + 1;
        for x in [63u32, 7, (n * 16).wrapping_neg(), 16] {
            data.extend_from_slice(&x.to_be_bytes());
        }
        index.insert(0, [63, 7, trailer_at, 16]);
        let mut out = Vec::new();
        out.extend_from_slice(&(index.len() as u32).to_be_bytes());
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        for e in &index {
            for x in e {
                out.extend_from_slice(&x.to_be_bytes());
            }
        }
        out.extend_from_slice(&data);
        out
    }

    /// The tags of a typical package: name, version, release, optional epoch, arch, source
    /// rpm, license and its files.
    #[allow(clippy::too_many_arguments)]
    pub fn package(
        name: &str,
        version: &str,
        release: &str,
        epoch: Option<u32>,
        arch: &str,
        source_rpm: &str,
        license: &str,
        files: &[&str],
    ) -> Vec<u8> {
        let mut dirs: Vec<&str> = Vec::new();
        let mut bases: Vec<&str> = Vec::new();
        let mut idx: Vec<u32> = Vec::new();
        for f in files {
            let cut = f.rfind('/').map(|i| i + 1).unwrap_or(0);
            let (d, b) = f.split_at(cut);
            let i = match dirs.iter().position(|x| *x == d) {
                Some(i) => i,
                None => {
                    dirs.push(d);
                    dirs.len() - 1
                }
            };
            idx.push(i as u32);
            bases.push(b);
        }
        let mut tags = vec![
            (super::TAG_NAME, Value::Str(name)),
            (super::TAG_VERSION, Value::Str(version)),
            (super::TAG_RELEASE, Value::Str(release)),
        ];
        if let Some(e) = epoch {
            tags.push((super::TAG_EPOCH, Value::Int32(vec![e])));
        }
        tags.push((super::TAG_LICENSE, Value::Str(license)));
        tags.push((super::TAG_ARCH, Value::Str(arch)));
        tags.push((super::TAG_SOURCERPM, Value::Str(source_rpm)));
        if !files.is_empty() {
            tags.push((super::TAG_DIRINDEXES, Value::Int32(idx)));
            tags.push((super::TAG_BASENAMES, Value::Strs(bases)));
            tags.push((super::TAG_DIRNAMES, Value::Strs(dirs)));
        }
        header(&tags)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_with(blobs: &[Vec<u8>], wal: bool) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rpmdb.sqlite");
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            if wal {
                let _: String = conn
                    .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                    .unwrap();
            }
            conn.execute_batch(
                "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);",
            )
            .unwrap();
            for b in blobs {
                conn.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
                    .unwrap();
            }
        }
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn reads_headers_from_sqlite() {
        let ssl = build::package(
            "openssl-libs",
            "3.0.7",
            "27.el9",
            Some(1),
            "x86_64",
            "openssl-3.0.7-27.el9.src.rpm",
            "Apache-2.0",
            &[
                "/usr/lib64/libssl.so.3",
                "/usr/lib64/libcrypto.so.3",
                "/etc/pki/tls/openssl.cnf",
            ],
        );
        let six = build::package(
            "python3-six",
            "1.15.0",
            "9.el9",
            None,
            "noarch",
            "python-six-1.15.0-9.el9.src.rpm",
            "MIT",
            &["/usr/lib/python3.9/site-packages/six-1.15.0.dist-info/METADATA"],
        );
        let key = build::header(&[
            (TAG_NAME, build::Value::Str("gpg-pubkey")),
            (TAG_VERSION, build::Value::Str("fd431d51")),
        ]);
        for wal in [false, true] {
            let db = sqlite_with(
                &[ssl.clone(), six.clone(), key.clone(), vec![0, 0, 0, 9]],
                wal,
            );
            let mut owned = HashSet::new();
            let (pkgs, warnings) = parse_rpmdb_sqlite(&db, &mut owned).unwrap();
            assert_eq!(pkgs.len(), 2, "{pkgs:?}");
            assert_eq!(warnings.len(), 1, "{warnings:?}");
            let p = &pkgs[0];
            assert_eq!(p.name, "openssl-libs");
            assert_eq!(p.version, "1:3.0.7-27.el9");
            assert_eq!(p.arch.as_deref(), Some("x86_64"));
            assert_eq!(p.source_name.as_deref(), Some("openssl"));
            assert_eq!(p.source_version.as_deref(), Some("1:3.0.7-27.el9"));
            assert_eq!(p.licenses, vec!["Apache-2.0"]);
            assert_eq!(pkgs[1].version, "1.15.0-9.el9");
            assert_eq!(pkgs[1].source_name.as_deref(), Some("python-six"));
            assert!(owned.contains("usr/lib64/libcrypto.so.3"));
            assert!(owned.contains("etc/pki/tls/openssl.cnf"));
            assert!(owned.contains("usr/lib/python3.9/site-packages/six-1.15.0.dist-info/METADATA"));
        }
    }

    /// A CentOS 7 style Berkeley DB rpmdb: key 0 holds the next package number, packages are
    /// numbered from 1 (native byte order), big headers go to overflow pages.
    fn centos7_bdb(little: bool) -> Vec<u8> {
        let files: Vec<String> = (0..200)
            .map(|i| format!("/usr/share/zoneinfo/Zone{i}"))
            .collect();
        let files: Vec<&str> = files.iter().map(String::as_str).collect();
        let tz = build::package(
            "tzdata",
            "2024a",
            "1.el7",
            None,
            "noarch",
            "tzdata-2024a-1.el7.src.rpm",
            "Public Domain",
            &files,
        );
        let ssl = build::package(
            "openssl-libs",
            "1.0.2k",
            "26.el7_9",
            Some(1),
            "x86_64",
            "openssl-1.0.2k-26.el7_9.src.rpm",
            "OpenSSL",
            &["/usr/lib64/libssl.so.10"],
        );
        let key = |n: u32| {
            if little {
                n.to_le_bytes()
            } else {
                n.to_be_bytes()
            }
        };
        let (k0, k1, k2) = (key(0), key(1), key(2));
        let next = key(3);
        super::super::bdb::build::hash_db(
            &[
                (&k0[..], &next[..]),
                (&k1[..], &tz[..]),
                (&k2[..], &ssl[..]),
            ],
            4096,
            little,
        )
    }

    #[test]
    fn reads_headers_from_berkeley_db() {
        for little in [true, false] {
            let db = centos7_bdb(little);
            let mut owned = HashSet::new();
            let (pkgs, warnings) = parse_rpmdb_bdb(&db, &mut owned).unwrap();
            assert!(warnings.is_empty(), "{warnings:?}");
            let names: Vec<(&str, &str)> = pkgs
                .iter()
                .map(|p| (p.name.as_str(), p.version.as_str()))
                .collect();
            assert_eq!(
                names,
                [
                    ("tzdata", "2024a-1.el7"),
                    ("openssl-libs", "1:1.0.2k-26.el7_9")
                ]
            );
            assert_eq!(pkgs[1].source_name.as_deref(), Some("openssl"));
            assert!(owned.contains("usr/share/zoneinfo/Zone199"));
            assert!(owned.contains("usr/lib64/libssl.so.10"));
        }
        let mut owned = HashSet::new();
        assert!(parse_rpmdb_bdb(b"not a database", &mut owned).is_err());
    }

    #[test]
    fn berkeley_db_in_a_root_filesystem() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
        std::fs::write(
            root.join("etc/os-release"),
            "NAME=\"CentOS Linux\"\nID=\"centos\"\nVERSION_ID=\"7\"\n",
        )
        .unwrap();
        std::fs::write(root.join("var/lib/rpm/Packages"), centos7_bdb(true)).unwrap();
        let c = crate::catalog::catalog_source(root, &Default::default()).unwrap();
        assert!(c.warnings.is_empty(), "{:?}", c.warnings);
        let ssl = c
            .packages
            .iter()
            .find(|p| p.name == "openssl-libs")
            .unwrap();
        assert_eq!(ssl.locations, ["var/lib/rpm/Packages"]);
        assert_eq!(
            ssl.purl,
            "pkg:rpm/centos/openssl-libs@1:1.0.2k-26.el7_9?arch=x86_64&distro=centos-7&upstream=openssl"
        );
        assert_eq!(c.packages.len(), 2);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        let mut owned = HashSet::new();
        assert!(parse_rpmdb_sqlite(b"not sqlite", &mut owned).is_err());
        let mut junk = b"SQLite format 3\0".to_vec();
        junk.resize(4096, 0xff);
        assert!(parse_rpmdb_sqlite(&junk, &mut owned).is_err());
        // headers with offsets and counts pointing outside the data store
        let mut h = build::package("a", "1", "1", None, "x", "a-1-1.src.rpm", "", &["/x/y"]);
        for cut in 0..h.len() {
            if let Ok(hd) = Header::parse(&h[..cut]) {
                let _ = package_from_header(&hd, &mut owned);
            }
        }
        for i in 8..h.len().min(8 + 16 * 12) {
            h[i] = 0xff;
            if let Ok(hd) = Header::parse(&h) {
                let _ = package_from_header(&hd, &mut owned);
            }
        }
        assert_eq!(
            split_source_rpm("python-six-1.15.0-9.el9.src.rpm"),
            Some(("python-six", "1.15.0-9.el9"))
        );
        assert_eq!(split_source_rpm("bad.src.rpm"), None);
    }
}
