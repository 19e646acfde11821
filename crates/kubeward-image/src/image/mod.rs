//! Image and filesystem readers.
//!
//! Reads OCI image layout folders, OCI archives (a tar of a layout), docker-save tarballs
//! (the classic `manifest.json` form and the OCI-in-docker form Docker 25+ writes) and plain
//! root filesystems. Layers are applied in order with whiteouts (`.wh.<name>` and
//! `.wh..wh..opq`) into a squashed, in-memory [`FileTree`] that holds *only* the files the
//! caller's [`FileSelector`] asks for, each attributed to the layer that added it.
//!
//! Reading is safe against hostile input: entry paths are normalised and a `..` component is
//! an error, symlinks are never followed on the host and are resolved only inside the image
//! root, and decompressed bytes, entry counts, per-file sizes and retained bytes are bounded
//! by [`ReadLimits`]. A corrupt or truncated layer is an error naming the layer.
//!
//! Every blob addressed by a digest (manifests, configs, layers; docker-save configs by their
//! `<sha256>.json` name and classic layers by the config's `rootfs.diff_ids`) is hashed while
//! it is read, through the one reader of [`digest`]; a blob that does not match its digest or
//! its descriptor's size is an error and nothing read from it is used. `index.json` of a
//! layout and `manifest.json` of a docker-save tarball are the roots of trust: they are not
//! addressed by a digest, and no signature is checked.

mod archive;
pub mod digest;
mod layer;
mod layout;
#[cfg(feature = "registry")]
pub mod registry;
mod source;
mod tree;

pub use layer::{FileSelector, Want};
pub use layout::{detect, ImageInfo, LayerInfo, SourceKind};
pub use source::{Source, SourceError};
pub use tree::{FileTree, Node, NodeKind};

use std::path::Path;

/// Bounds that keep reading hostile input finite in time and memory.
#[derive(Debug, Clone)]
pub struct ReadLimits {
    /// Total decompressed bytes read over all layers.
    pub max_total_bytes: u64,
    /// Total tar entries (files, folders, links) over all layers.
    pub max_entries: u64,
    /// Largest single metadata file read into memory; larger ones are an error.
    pub max_file_bytes: u64,
    /// Largest binary or archive inspected; larger ones are skipped with a warning.
    pub max_binary_bytes: u64,
    /// Total bytes of file content kept in the squashed view.
    pub max_kept_bytes: u64,
    /// Number of files kept in the squashed view.
    pub max_kept_files: u64,
    /// Number of layers in one image.
    pub max_layers: usize,
    /// Largest JSON document (index, manifest, config) read.
    pub max_json_bytes: u64,
}

impl Default for ReadLimits {
    fn default() -> Self {
        ReadLimits {
            max_total_bytes: 32 << 30,
            max_entries: 2_000_000,
            max_file_bytes: 64 << 20,
            max_binary_bytes: 512 << 20,
            max_kept_bytes: 2 << 30,
            max_kept_files: 500_000,
            max_layers: 512,
            max_json_bytes: 16 << 20,
        }
    }
}

/// Errors from reading an image or filesystem.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a file of the source.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A layer could not be read: corrupt compression, truncated tar, bad header.
    #[error("layer {layer}: corrupt or truncated: {message}")]
    Layer {
        /// Layer digest or name.
        layer: String,
        /// What went wrong.
        message: String,
    },
    /// An entry path leaves the image root (`..`) or is otherwise unusable.
    #[error("layer {layer}: unsafe entry path {path:?}: {reason}")]
    UnsafePath {
        /// Layer digest or name.
        layer: String,
        /// The path as written in the archive.
        path: String,
        /// Why it was rejected.
        reason: &'static str,
    },
    /// A bound from [`ReadLimits`] was exceeded.
    #[error("{context}: limit exceeded: {what} (limit {limit})")]
    Limit {
        /// Where (layer digest, file path).
        context: String,
        /// Which bound.
        what: &'static str,
        /// Its value.
        limit: u64,
    },
    /// A blob's content does not hash to the digest that addresses it: altered or corrupt.
    /// Nothing read from it is used.
    #[error("{blob}: {what} does not match its digest {expected}: it hashes to {actual} (altered or corrupt; not used)")]
    Digest {
        /// The blob (role and file name in the source).
        blob: String,
        /// What was hashed: "content", or "uncompressed content" for a diff id.
        what: &'static str,
        /// The digest that addresses it.
        expected: String,
        /// The digest of what was read.
        actual: String,
    },
    /// A blob's size is not the one its descriptor gives: truncated or replaced.
    #[error("{blob}{digest}: {actual} bytes, its descriptor says {expected} (truncated or replaced; not used)")]
    Size {
        /// The blob (role and file name in the source).
        blob: String,
        /// ` (sha256:…)` when the blob has a digest, else empty.
        digest: String,
        /// The descriptor's size.
        expected: u64,
        /// The size found (`more than N` when reading stopped early).
        actual: String,
    },
    /// The source's structure is wrong (missing manifest, bad JSON, unknown blob).
    #[error("{0}")]
    Format(String),
    /// The source is neither a folder nor a recognised archive.
    #[error("{path}: not an OCI layout, docker-save tarball, OCI archive or folder")]
    UnknownSource {
        /// The path given.
        path: String,
    },
}

impl Error {
    pub(crate) fn io(path: impl AsRef<Path>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// Result of [`read_source`]: what the source is and its squashed view.
#[derive(Debug)]
pub struct ReadImage {
    /// Source kind, digests and layers.
    pub info: ImageInfo,
    /// The squashed view of the selected files.
    pub tree: FileTree,
    /// Non-fatal problems (skipped oversized binaries, unreadable archives, ...).
    pub warnings: Vec<String>,
}

/// Reads any supported source (detected with [`detect`]) into a squashed [`FileTree`]
/// holding only the files `selector` wants.
pub fn read_source(
    path: &Path,
    selector: &FileSelector,
    limits: &ReadLimits,
) -> Result<ReadImage, Error> {
    let kind = detect(path)?;
    match kind {
        SourceKind::Directory => layer::read_dir_source(path, selector, limits),
        _ => layout::read_image(path, kind, selector, limits),
    }
}

/// Normalises an archive entry path to the form used in a [`FileTree`]: relative to the root,
/// `/`-separated, with no empty, `.` or trailing components. A `..` component is rejected.
pub fn normalize_path(raw: &str) -> Result<String, &'static str> {
    let mut out = String::with_capacity(raw.len());
    for comp in raw.split('/') {
        match comp {
            "" | "." => {}
            ".." => return Err("path contains a `..` component"),
            c => {
                if c.contains('\0') {
                    return Err("path contains a NUL byte");
                }
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(c);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::normalize_path;

    #[test]
    fn normalizes() {
        assert_eq!(normalize_path("./a//b/./c/").unwrap(), "a/b/c");
        assert_eq!(normalize_path("/etc/os-release").unwrap(), "etc/os-release");
        assert!(normalize_path("a/../../etc").is_err());
        assert_eq!(normalize_path("./").unwrap(), "");
    }
}
