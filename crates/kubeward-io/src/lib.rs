//! The two helpers every other kubeward crate uses where input crosses a trust boundary:
//!
//! - [`read_capped`] / [`read_to_string_capped`]: the one way kubeward reads a whole file. The
//!   size is checked while reading (not from metadata), so a symlink to `/dev/zero`, a FIFO or a
//!   file that grows while it is read costs at most the cap.
//! - [`terminal::escape`]: the one way text that came from input reaches a terminal. Control
//!   characters (C0, DEL, C1) and Unicode bidirectional controls are written as `\u{..}`.
//!
//! This crate depends on nothing and prints nothing.

pub mod terminal;
pub mod transfer;

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// Why a capped read failed.
#[derive(Debug)]
pub enum ReadError {
    /// The file could not be opened or read.
    Io { path: PathBuf, source: io::Error },
    /// The file holds more than `limit` bytes (only the first `limit + 1` were read).
    TooLarge { path: PathBuf, limit: u64 },
    /// The file is not UTF-8 text ([`read_to_string_capped`] only); `offset` is the first bad byte.
    NotUtf8 { path: PathBuf, offset: usize },
}

impl ReadError {
    /// The path that failed.
    pub fn path(&self) -> &Path {
        match self {
            ReadError::Io { path, .. }
            | ReadError::TooLarge { path, .. }
            | ReadError::NotUtf8 { path, .. } => path,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            ReadError::TooLarge { path, limit } => write!(
                f,
                "{}: larger than the {} limit",
                path.display(),
                human_size(*limit)
            ),
            ReadError::NotUtf8 { path, offset } => write!(
                f,
                "{}: not UTF-8 text (invalid byte at offset {offset})",
                path.display()
            ),
        }
    }
}

impl std::error::Error for ReadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ReadError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `1 MiB`, `512 KiB`, `100 B`: a limit as a person reads it.
pub fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * KIB;
    const GIB: u64 = 1024 * MIB;
    if bytes >= GIB && bytes.is_multiple_of(GIB) {
        format!("{} GiB", bytes / GIB)
    } else if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB && bytes.is_multiple_of(KIB) {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} B")
    }
}

/// Reads at most `limit` bytes from any reader; more is [`ReadError::TooLarge`] (named `path`).
pub fn read_all_capped(reader: impl Read, path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_into(reader, Vec::new(), path, limit)
}

/// Appends at most `limit + 1` bytes of `reader` to `buf`; more than `limit` in all is
/// [`ReadError::TooLarge`]. The one capped read body of [`read_all_capped`] and [`read_capped`].
fn read_into(
    reader: impl Read,
    mut buf: Vec<u8>,
    path: &Path,
    limit: u64,
) -> Result<Vec<u8>, ReadError> {
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut buf)
        .map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            path: path.to_path_buf(),
            limit,
        });
    }
    Ok(buf)
}

/// Reads a whole file, failing once it holds more than `limit` bytes. Works on anything that
/// opens (regular files, devices, FIFOs, symlinks to them) and never reads past `limit + 1`.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    // A regular file's size is known: refuse a large one without reading it, and read a small
    // one into a buffer of its size (the cap still holds if it grows meanwhile).
    let mut buf = Vec::new();
    if let Ok(m) = file.metadata() {
        if m.is_file() {
            if m.len() > limit {
                return Err(ReadError::TooLarge {
                    path: path.to_path_buf(),
                    limit,
                });
            }
            buf.reserve_exact(m.len() as usize + 1);
        }
    }
    read_into(file, buf, path, limit)
}

/// [`read_capped`], then UTF-8 (a leading BOM is kept; callers strip it where they parse).
pub fn read_to_string_capped(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_capped(path, limit)?;
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}

/// Caps for the small files kubeward reads besides manifests and images.
pub mod limits {
    /// `kubeward.yaml` and other configuration files.
    pub const CONFIG: u64 = 4 * 1024 * 1024;
    /// Baselines (`--baseline`), VEX documents.
    pub const BASELINE: u64 = 64 * 1024 * 1024;
    /// An SBOM given as input to `vuln`.
    pub const SBOM: u64 = 256 * 1024 * 1024;
    /// One OSV record (a JSON file of a feed or folder).
    pub const OSV_RECORD: u64 = 16 * 1024 * 1024;
    /// Metadata files kubeward writes beside its own data (the vulnerability database's
    /// manifest, a download's part record).
    pub const METADATA: u64 = 4 * 1024 * 1024;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_a_device_that_never_ends() {
        let zero = Path::new("/dev/zero");
        if !zero.exists() {
            return;
        }
        match read_capped(zero, 1024) {
            Err(ReadError::TooLarge { limit: 1024, .. }) => {}
            other => panic!("expected TooLarge, got {other:?}"),
        }
    }

    #[test]
    fn reads_a_file_at_the_limit_exactly() {
        let dir = std::env::temp_dir().join(format!("kubeward-io-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("f");
        std::fs::write(&p, b"12345").unwrap();
        assert_eq!(read_capped(&p, 5).unwrap(), b"12345");
        assert!(matches!(
            read_capped(&p, 4),
            Err(ReadError::TooLarge { limit: 4, .. })
        ));
        std::fs::write(&p, b"ok\xffno").unwrap();
        assert!(matches!(
            read_to_string_capped(&p, 100),
            Err(ReadError::NotUtf8 { offset: 2, .. })
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_size(4 * 1024 * 1024), "4 MiB");
        assert_eq!(human_size(1536), "1536 B");
        assert_eq!(human_size(2048), "2 KiB");
    }
}
