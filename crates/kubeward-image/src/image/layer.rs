//! Reading one layer (a possibly compressed tar) or a folder into whiteout-aware operations,
//! and applying them to a [`FileTree`].

use super::digest::{from_io, Expect, Verified};
use super::tree::{FileTree, Node, NodeKind};
use super::{normalize_path, Error, ImageInfo, ReadImage, ReadLimits, SourceKind};
use crate::package::Package;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a [`FileSelector`] wants done with a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not needed: skipped without reading.
    Skip,
    /// A small metadata file: its content is kept in the tree.
    Content,
    /// A binary or archive: inspected while its layer is read (ELF and zip only), and only
    /// the packages found are kept.
    Inspect,
}

/// Chooses the files kept from an image, and inspects binaries and archives.
#[derive(Clone, Copy)]
pub struct FileSelector {
    /// Called with the normalised path and the Unix mode of every regular file.
    pub want: fn(path: &str, mode: u32) -> Want,
    /// Called with the full content of a file `want` marked [`Want::Inspect`] that starts with
    /// an ELF or zip magic; returns the packages found, or a warning.
    pub inspect: fn(path: &str, data: &[u8]) -> Result<Vec<Package>, String>,
}

impl std::fmt::Debug for FileSelector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileSelector")
    }
}

/// Shared counters, so layers can be read in parallel under one set of limits.
#[derive(Default)]
pub(crate) struct Budget {
    bytes: AtomicU64,
    entries: AtomicU64,
    kept_bytes: AtomicU64,
    kept_files: AtomicU64,
}

/// One change a layer makes to the layers below it.
#[derive(Debug)]
pub(crate) enum Op {
    /// Remove the path and everything below (`.wh.<name>`, or a skipped file replacing a kept one).
    Remove(String),
    /// Remove everything below the folder (`.wh..wh..opq`).
    Opaque(String),
    /// Add or replace an entry.
    Put(String, NodeKind, u32),
    /// A hard link to an earlier entry.
    Link(String, String),
}

/// Operations and warnings from one layer.
#[derive(Debug, Default)]
pub(crate) struct LayerOps {
    pub ops: Vec<Op>,
    pub warnings: Vec<String>,
}

struct Counting<'a, R> {
    inner: R,
    budget: &'a Budget,
    limit: u64,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let total = self.budget.bytes.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        if total > self.limit {
            return Err(io::Error::other("decompressed size limit exceeded"));
        }
        Ok(n)
    }
}

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// How a layer blob is verified (see [`super::digest`]).
#[derive(Default)]
pub(crate) struct LayerChecks {
    /// The raw blob is a [`super::digest::Verified`] reader: after an error, the rest of it is
    /// read so that a digest mismatch, which explains the error, is the one reported.
    pub blob_verified: bool,
    /// The digest the uncompressed tar must have (a docker-save classic layer, named by path:
    /// the config's `rootfs.diff_ids` entry vouches for it).
    pub uncompressed: Option<Expect>,
}

/// Reads one layer blob (gzip, zstd or plain tar, detected from its first bytes).
///
/// The blob is read to its very end (past the tar's end and the compressed stream's trailer)
/// so that a verifying reader under it sees every byte; the operations are returned only when
/// every check passed.
pub(crate) fn read_layer<R: Read>(
    raw: R,
    layer_name: &str,
    selector: &FileSelector,
    limits: &ReadLimits,
    budget: &Budget,
    checks: LayerChecks,
) -> Result<LayerOps, Error> {
    let mut buffered = BufReader::with_capacity(256 << 10, raw);
    let res = decode_layer(
        &mut buffered,
        layer_name,
        selector,
        limits,
        budget,
        checks.uncompressed,
    );
    if res.is_err() && !checks.blob_verified {
        return res;
    }
    // the rest of the blob: a trailer after the compressed stream, or, after an error, what
    // was not read (bounded by the blob's size on disk)
    match io::copy(&mut buffered, &mut io::sink()) {
        Ok(_) => res,
        Err(e) => match from_io(e) {
            Ok(mismatch) => Err(mismatch),
            Err(e) => res.and(Err(Error::Layer {
                layer: layer_name.to_string(),
                message: e.to_string(),
            })),
        },
    }
}

fn decode_layer<B: BufRead>(
    mut buffered: B,
    layer_name: &str,
    selector: &FileSelector,
    limits: &ReadLimits,
    budget: &Budget,
    uncompressed: Option<Expect>,
) -> Result<LayerOps, Error> {
    let layer_err = |e: io::Error| -> Error {
        let e = match from_io(e) {
            Ok(mismatch) => return mismatch,
            Err(e) => e,
        };
        if budget.bytes.load(Ordering::Relaxed) > limits.max_total_bytes {
            Error::Limit {
                context: format!("layer {layer_name}"),
                what: "total decompressed bytes",
                limit: limits.max_total_bytes,
            }
        } else {
            Error::Layer {
                layer: layer_name.to_string(),
                message: e.to_string(),
            }
        }
    };
    let head = buffered.fill_buf().map_err(layer_err)?;
    let decoded: Box<dyn Read + '_> = if head.starts_with(GZIP_MAGIC) {
        Box::new(flate2::bufread::MultiGzDecoder::new(buffered))
    } else if head.starts_with(ZSTD_MAGIC) {
        Box::new(
            ruzstd::decoding::StreamingDecoder::new(buffered).map_err(|e| Error::Layer {
                layer: layer_name.to_string(),
                message: format!("zstd: {e}"),
            })?,
        )
    } else {
        Box::new(buffered)
    };
    let check_uncompressed = uncompressed.is_some();
    let decoded: Box<dyn Read + '_> = match uncompressed {
        Some(expect) => Box::new(Verified::new(decoded, expect)),
        None => decoded,
    };
    let counting = Counting {
        inner: decoded,
        budget,
        limit: limits.max_total_bytes,
    };
    let mut archive = tar::Archive::new(counting);
    let res = read_entries(
        &mut archive,
        layer_name,
        selector,
        limits,
        budget,
        &layer_err,
    );
    // Read to the end so that compressed streams check their trailer (CRC, length) and the
    // uncompressed digest is checked: a truncated or corrupt gzip stream fails here even when
    // the tar ended early. After an error, the uncompressed digest explains it when it does
    // not match (not after a limit: a bomb is not expanded further).
    let mut rest = archive.into_inner();
    match res {
        Ok(out) => {
            io::copy(&mut rest, &mut io::sink()).map_err(layer_err)?;
            Ok(out)
        }
        Err(e) => {
            if check_uncompressed && !matches!(e, Error::Limit { .. }) {
                if let Err(io) = io::copy(&mut rest, &mut io::sink()) {
                    if let Ok(mismatch) = from_io(io) {
                        return Err(mismatch);
                    }
                }
            }
            Err(e)
        }
    }
}

fn read_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    layer_name: &str,
    selector: &FileSelector,
    limits: &ReadLimits,
    budget: &Budget,
    layer_err: &dyn Fn(io::Error) -> Error,
) -> Result<LayerOps, Error> {
    let mut out = LayerOps::default();
    for entry in archive.entries().map_err(layer_err)? {
        let mut entry = entry.map_err(layer_err)?;
        let n = budget.entries.fetch_add(1, Ordering::Relaxed) + 1;
        if n > limits.max_entries {
            return Err(Error::Limit {
                context: format!("layer {layer_name}"),
                what: "number of archive entries",
                limit: limits.max_entries,
            });
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalize_path(&raw_path).map_err(|reason| Error::UnsafePath {
            layer: layer_name.to_string(),
            path: raw_path.clone(),
            reason,
        })?;
        if path.is_empty() {
            continue;
        }
        let (parent, base) = match path.rsplit_once('/') {
            Some((p, b)) => (p, b),
            None => ("", path.as_str()),
        };
        if base == ".wh..wh..opq" {
            out.ops.push(Op::Opaque(parent.to_string()));
            continue;
        }
        if let Some(hidden) = base.strip_prefix(".wh.") {
            if hidden.starts_with(".wh.") {
                continue; // other AUFS metadata (.wh..wh.plnk, ...)
            }
            let target = if parent.is_empty() {
                hidden.to_string()
            } else {
                format!("{parent}/{hidden}")
            };
            out.ops.push(Op::Remove(target));
            continue;
        }
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644);
        let etype = header.entry_type();
        if etype.is_symlink() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            out.ops.push(Op::Put(path, NodeKind::Symlink(target), mode));
            continue;
        }
        if etype.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_default();
            let target = normalize_path(&target).map_err(|reason| Error::UnsafePath {
                layer: layer_name.to_string(),
                path: target.clone(),
                reason,
            })?;
            out.ops.push(Op::Link(path, target));
            continue;
        }
        if etype.is_dir() {
            continue;
        }
        if !(etype.is_file() || etype.is_contiguous() || etype.is_gnu_sparse()) {
            continue;
        }
        let size = entry.size();
        match (selector.want)(&path, mode) {
            Want::Skip => {
                if (selector.want)(&path, 0o755) != Want::Skip {
                    // this file would have been kept with another mode: it hides a kept one
                    out.ops.push(Op::Remove(path));
                }
            }
            Want::Content => {
                if size > limits.max_file_bytes {
                    return Err(Error::Limit {
                        context: format!("layer {layer_name}: {path}"),
                        what: "size of one metadata file",
                        limit: limits.max_file_bytes,
                    });
                }
                reserve_kept(budget, limits, size, layer_name)?;
                let data = read_exact_entry(&mut entry, size).map_err(layer_err)?;
                out.ops
                    .push(Op::Put(path, NodeKind::File(Arc::from(data)), mode));
            }
            Want::Inspect => {
                if size > limits.max_binary_bytes {
                    out.warnings.push(format!(
                        "layer {layer_name}: {path}: {size} bytes, over the binary limit of {}: not inspected",
                        limits.max_binary_bytes
                    ));
                    out.ops.push(Op::Remove(path));
                    continue;
                }
                let mut magic = [0u8; 4];
                let got = read_up_to(&mut entry, &mut magic).map_err(layer_err)?;
                let magic = &magic[..got];
                if magic != b"\x7fELF" && magic != b"PK\x03\x04" {
                    out.ops.push(Op::Remove(path));
                    continue;
                }
                let mut data = Vec::with_capacity(size as usize);
                data.extend_from_slice(magic);
                entry.read_to_end(&mut data).map_err(layer_err)?;
                if data.len() as u64 != size {
                    return Err(truncated(layer_name, &path));
                }
                let pkgs = match (selector.inspect)(&path, &data) {
                    Ok(p) => p,
                    Err(w) => {
                        out.warnings
                            .push(format!("layer {layer_name}: {path}: {w}"));
                        Vec::new()
                    }
                };
                out.ops
                    .push(Op::Put(path, NodeKind::Inspected(Arc::from(pkgs)), mode));
            }
        }
    }
    Ok(out)
}

fn truncated(layer: &str, path: &str) -> Error {
    Error::Layer {
        layer: layer.to_string(),
        message: format!("{path}: file content is shorter than its header says (truncated tar)"),
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_exact_entry<R: Read>(r: &mut R, size: u64) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(size as usize);
    r.read_to_end(&mut data)?;
    if data.len() as u64 != size {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "file content is shorter than its header says (truncated tar)",
        ));
    }
    Ok(data)
}

fn reserve_kept(budget: &Budget, limits: &ReadLimits, size: u64, ctx: &str) -> Result<(), Error> {
    let files = budget.kept_files.fetch_add(1, Ordering::Relaxed) + 1;
    if files > limits.max_kept_files {
        return Err(Error::Limit {
            context: format!("layer {ctx}"),
            what: "number of metadata files kept",
            limit: limits.max_kept_files,
        });
    }
    let bytes = budget.kept_bytes.fetch_add(size, Ordering::Relaxed) + size;
    if bytes > limits.max_kept_bytes {
        return Err(Error::Limit {
            context: format!("layer {ctx}"),
            what: "bytes of metadata files kept",
            limit: limits.max_kept_bytes,
        });
    }
    Ok(())
}

/// Applies one layer's operations on top of the tree (whiteouts first: they hide only lower
/// layers' content).
pub(crate) fn apply(tree: &mut FileTree, layer: usize, ops: Vec<Op>) {
    for op in &ops {
        match op {
            Op::Opaque(dir) => tree.remove_below(dir),
            Op::Remove(p) => tree.remove(p),
            _ => {}
        }
    }
    for op in ops {
        match op {
            Op::Opaque(_) | Op::Remove(_) => {}
            Op::Put(p, kind, mode) => tree.insert(p, Node { kind, layer, mode }),
            Op::Link(p, target) => {
                if let Some(n) = tree.get(&target).cloned() {
                    tree.insert(p, Node { layer, ..n });
                }
            }
        }
    }
}

/// Reads a plain root filesystem folder. Symlinks are recorded, never followed; only regular
/// files are read.
pub(crate) fn read_dir_source(
    root: &Path,
    selector: &FileSelector,
    limits: &ReadLimits,
) -> Result<ReadImage, Error> {
    let budget = Budget::default();
    let mut out = LayerOps::default();
    let mut stack: Vec<(std::path::PathBuf, String)> = vec![(root.to_path_buf(), String::new())];
    let ctx = root.display().to_string();
    while let Some((dir, rel)) = stack.pop() {
        let rd = match std::fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) if rel.is_empty() => return Err(Error::io(&dir, e)),
            Err(e) => {
                out.warnings
                    .push(format!("{}: cannot list: {e}", dir.display()));
                continue;
            }
        };
        for ent in rd {
            let ent = ent.map_err(|e| Error::io(&dir, e))?;
            let n = budget.entries.fetch_add(1, Ordering::Relaxed) + 1;
            if n > limits.max_entries {
                return Err(Error::Limit {
                    context: ctx.clone(),
                    what: "number of files and folders",
                    limit: limits.max_entries,
                });
            }
            let name = ent.file_name().to_string_lossy().into_owned();
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            if rel.is_empty() && matches!(name.as_str(), "proc" | "sys" | "dev") {
                continue;
            }
            let meta = match std::fs::symlink_metadata(ent.path()) {
                Ok(m) => m,
                Err(e) => {
                    out.warnings.push(format!("{path}: {e}"));
                    continue;
                }
            };
            let ft = meta.file_type();
            if ft.is_symlink() {
                if let Ok(t) = std::fs::read_link(ent.path()) {
                    let t = t.to_string_lossy().into_owned();
                    out.ops.push(Op::Put(path, NodeKind::Symlink(t), 0o777));
                }
                continue;
            }
            if ft.is_dir() {
                stack.push((ent.path(), path));
                continue;
            }
            if !ft.is_file() {
                continue;
            }
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode();
            let size = meta.len();
            let want = (selector.want)(&path, mode);
            if want == Want::Skip {
                continue;
            }
            if want == Want::Content {
                if size > limits.max_file_bytes {
                    return Err(Error::Limit {
                        context: format!("{ctx}: {path}"),
                        what: "size of one metadata file",
                        limit: limits.max_file_bytes,
                    });
                }
                reserve_kept(&budget, limits, size, &ctx)?;
            } else if size > limits.max_binary_bytes {
                out.warnings.push(format!(
                    "{path}: {size} bytes, over the binary limit: not inspected"
                ));
                continue;
            }
            let data = match read_bounded(
                &ent.path(),
                if want == Want::Content {
                    limits.max_file_bytes
                } else {
                    limits.max_binary_bytes
                },
            ) {
                Ok(d) => d,
                Err(e) => {
                    out.warnings.push(format!("{path}: {e}"));
                    continue;
                }
            };
            let kind = if want == Want::Content {
                NodeKind::File(Arc::from(data))
            } else {
                if !(data.starts_with(b"\x7fELF") || data.starts_with(b"PK\x03\x04")) {
                    continue;
                }
                match (selector.inspect)(&path, &data) {
                    Ok(p) => NodeKind::Inspected(Arc::from(p)),
                    Err(w) => {
                        out.warnings.push(format!("{path}: {w}"));
                        continue;
                    }
                }
            };
            out.ops.push(Op::Put(path, kind, mode));
        }
    }
    let mut tree = FileTree::new();
    apply(&mut tree, 0, out.ops);
    Ok(ReadImage {
        info: ImageInfo {
            kind: SourceKind::Directory,
            layers: Vec::new(),
            ..ImageInfo::default()
        },
        tree,
        warnings: out.warnings,
    })
}

fn read_bounded(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    let f = std::fs::File::open(path)?;
    let mut data = Vec::new();
    f.take(max + 1).read_to_end(&mut data)?;
    if data.len() as u64 > max {
        return Err(io::Error::other("file grew past its size limit while read"));
    }
    Ok(data)
}
