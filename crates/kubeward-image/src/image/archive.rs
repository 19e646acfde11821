//! Access to the files of an image source: a folder, or an uncompressed tar read in place
//! (entries are indexed once, then each one is read by seeking, so layers can be read in
//! parallel without extracting anything).

use super::digest::{from_io, size_error, Expect, Verified};
use super::{normalize_path, Error, ReadLimits};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Where the files of a layout or docker-save image live.
pub(crate) enum Files {
    /// A folder on disk.
    Dir(PathBuf),
    /// An uncompressed tar: entry name → (data offset, size).
    Tar {
        path: PathBuf,
        entries: HashMap<String, (u64, u64)>,
    },
}

impl Files {
    /// Indexes an uncompressed tar archive.
    pub(crate) fn index_tar(path: &Path, limits: &ReadLimits) -> Result<Files, Error> {
        let f = File::open(path).map_err(|e| Error::io(path, e))?;
        let mut archive = tar::Archive::new(io::BufReader::new(f));
        let mut entries = HashMap::new();
        let fmt = |e: io::Error| Error::Layer {
            layer: path.display().to_string(),
            message: e.to_string(),
        };
        for entry in archive.entries_with_seek().map_err(fmt)? {
            let entry = entry.map_err(fmt)?;
            if entries.len() as u64 >= limits.max_entries {
                return Err(Error::Limit {
                    context: path.display().to_string(),
                    what: "number of archive entries",
                    limit: limits.max_entries,
                });
            }
            let et = entry.header().entry_type();
            if !(et.is_file() || et.is_contiguous()) {
                continue;
            }
            let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Ok(name) = normalize_path(&raw) else {
                return Err(Error::UnsafePath {
                    layer: path.display().to_string(),
                    path: raw,
                    reason: "path contains a `..` component",
                });
            };
            entries.insert(name, (entry.raw_file_position(), entry.size()));
        }
        Ok(Files::Tar {
            path: path.to_path_buf(),
            entries,
        })
    }

    /// True when `name` exists.
    pub(crate) fn exists(&self, name: &str) -> bool {
        match self {
            Files::Dir(root) => safe_join(root, name).is_some_and(|p| p.is_file()),
            Files::Tar { entries, .. } => entries.contains_key(name),
        }
    }

    /// Size of `name` in bytes.
    pub(crate) fn size(&self, name: &str) -> Result<u64, Error> {
        match self {
            Files::Dir(root) => {
                let p = safe_join(root, name).ok_or_else(|| missing(name))?;
                std::fs::symlink_metadata(&p)
                    .map(|m| m.len())
                    .map_err(|e| Error::io(&p, e))
            }
            Files::Tar { entries, .. } => {
                entries.get(name).map(|e| e.1).ok_or_else(|| missing(name))
            }
        }
    }

    /// Opens `name` for reading.
    pub(crate) fn open(&self, name: &str) -> Result<Box<dyn Read + Send>, Error> {
        match self {
            Files::Dir(root) => {
                let p = safe_join(root, name).ok_or_else(|| missing(name))?;
                let meta = std::fs::symlink_metadata(&p).map_err(|e| Error::io(&p, e))?;
                if !meta.is_file() {
                    return Err(Error::Format(format!(
                        "{}: not a regular file (symlinks are not followed)",
                        p.display()
                    )));
                }
                let f = File::open(&p).map_err(|e| Error::io(&p, e))?;
                Ok(Box::new(f))
            }
            Files::Tar { path, entries } => {
                let (off, len) = *entries.get(name).ok_or_else(|| missing(name))?;
                let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
                f.seek(SeekFrom::Start(off))
                    .map_err(|e| Error::io(path, e))?;
                Ok(Box::new(f.take(len)))
            }
        }
    }

    /// Opens a blob through the verifying reader: its size is checked against the
    /// descriptor's first (from the folder or the tar index), then its content is hashed as it
    /// is read and checked at its end.
    pub(crate) fn open_blob(
        &self,
        name: &str,
        expect: Expect,
    ) -> Result<Verified<Box<dyn Read + Send>>, Error> {
        if let Some(want) = expect.size {
            let actual = self.size(name)?;
            if actual != want {
                return Err(size_error(&expect, actual.to_string()));
            }
        }
        Ok(Verified::new(self.open(name)?, expect))
    }

    /// Reads a whole (small) blob, bounded by `max` bytes, through the verifying reader;
    /// returns it with its digest.
    pub(crate) fn read_blob(
        &self,
        name: &str,
        expect: Expect,
        max: u64,
    ) -> Result<(Vec<u8>, String), Error> {
        let size = self.size(name)?;
        if size > max {
            return Err(Error::Limit {
                context: name.to_string(),
                what: "size of a JSON document",
                limit: max,
            });
        }
        let mut r = self.open_blob(name, expect)?;
        let mut data = Vec::with_capacity(size as usize);
        (&mut r)
            .take(max + 1)
            .read_to_end(&mut data)
            .map_err(|e| from_io(e).unwrap_or_else(|e| Error::io(name, e)))?;
        if data.len() as u64 > max {
            return Err(Error::Limit {
                context: name.to_string(),
                what: "size of a JSON document",
                limit: max,
            });
        }
        let digest = r
            .digest()
            .map(str::to_string)
            .ok_or_else(|| Error::Format(format!("{name}: the end of the blob was not reached")))?;
        Ok((data, digest))
    }

    /// Reads a whole (small) file, bounded by `max` bytes.
    pub(crate) fn read_small(&self, name: &str, max: u64) -> Result<Vec<u8>, Error> {
        let size = self.size(name)?;
        if size > max {
            return Err(Error::Limit {
                context: name.to_string(),
                what: "size of a JSON document",
                limit: max,
            });
        }
        let mut data = Vec::with_capacity(size as usize);
        self.open(name)?
            .take(max)
            .read_to_end(&mut data)
            .map_err(|e| Error::io(name, e))?;
        Ok(data)
    }
}

fn missing(name: &str) -> Error {
    Error::Format(format!("{name}: missing from the image"))
}

/// Joins a normalised relative name under `root`, refusing anything that could escape it.
fn safe_join(root: &Path, name: &str) -> Option<PathBuf> {
    let n = normalize_path(name).ok()?;
    if n.is_empty() {
        return None;
    }
    Some(root.join(n))
}
