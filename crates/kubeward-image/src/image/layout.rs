//! Source detection, OCI index/manifest/config and docker-save `manifest.json` handling.

use super::archive::Files;
use super::digest::{size_error, Digest, Expect};
use super::layer::{apply, read_layer, Budget, FileSelector, LayerChecks, LayerOps};
use super::tree::FileTree;
use super::{Error, ReadImage, ReadLimits};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Read;
use std::path::Path;

/// The kind of a source, as [`detect`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SourceKind {
    /// A folder holding an OCI image layout (`oci-layout`, `index.json`, `blobs/`).
    #[default]
    OciLayout,
    /// A tar of an OCI image layout.
    OciArchive,
    /// A `docker save` tarball (`manifest.json`; classic or OCI-in-docker form).
    DockerArchive,
    /// A plain root filesystem folder.
    Directory,
}

/// One layer of an image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    /// Digest of the blob as stored (compressed), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Digest of the uncompressed tar (the config's `rootfs.diff_ids` entry), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff_id: Option<String>,
    /// Media type from the manifest, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    /// Size of the stored blob in bytes.
    pub size: u64,
}

impl LayerInfo {
    /// The digest used to attribute packages: the diff id (as Syft and Trivy do), else the
    /// blob digest.
    pub fn id(&self) -> Option<&str> {
        self.diff_id.as_deref().or(self.digest.as_deref())
    }
}

/// What was read: the source kind, digests, tags and layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    /// Kind of source.
    pub kind: SourceKind,
    /// Digest of the image manifest, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest_digest: Option<String>,
    /// Digest of the image config (the image id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_digest: Option<String>,
    /// Names the source gives the image (`RepoTags`, `org.opencontainers.image.ref.name`,
    /// `io.containerd.image.name`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// `os` from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// `architecture` from the config.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub architecture: Option<String>,
    /// Layers, lowest first.
    pub layers: Vec<LayerInfo>,
}

/// Detects the kind of a source path.
pub fn detect(path: &Path) -> Result<SourceKind, Error> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.is_dir() {
        if path.join("index.json").is_file() && path.join("oci-layout").is_file() {
            return Ok(SourceKind::OciLayout);
        }
        return Ok(SourceKind::Directory);
    }
    let mut head = [0u8; 512];
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let n = f.read(&mut head).map_err(|e| Error::io(path, e))?;
    if head[..n].starts_with(&[0x1f, 0x8b]) || head[..n].starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err(Error::Format(format!(
            "{}: compressed archive: decompress it first (docker save output is an uncompressed tar)",
            path.display()
        )));
    }
    if n < 512 || &head[257..262] != b"ustar" {
        return Err(Error::UnknownSource {
            path: path.display().to_string(),
        });
    }
    let files = Files::index_tar(path, &ReadLimits::default())?;
    if files.exists("manifest.json") {
        Ok(SourceKind::DockerArchive)
    } else if files.exists("index.json") {
        Ok(SourceKind::OciArchive)
    } else {
        Err(Error::UnknownSource {
            path: path.display().to_string(),
        })
    }
}

#[derive(Deserialize)]
struct Descriptor {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: String,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    platform: Option<Platform>,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Platform {
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    os: String,
}

#[derive(Deserialize)]
struct Index {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

#[derive(Deserialize)]
struct Config {
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    architecture: Option<String>,
    #[serde(default)]
    rootfs: Option<RootFs>,
}

#[derive(Deserialize)]
struct RootFs {
    #[serde(default)]
    diff_ids: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifest {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// What the blob `digest` (with the descriptor's `size`) must be; `role` names it in errors.
fn expect(role: &str, digest: &Digest, size: Option<u64>) -> Expect {
    Expect {
        label: format!("{role} {}", digest.blob_path()),
        digest: Some(digest.clone()),
        size,
        what: "content",
    }
}

/// The digest a docker-save file name claims: `blobs/<alg>/<hex>` (the OCI form) or
/// `<64 hex>.json` (a classic config). A `blobs/` name with a bad digest is an error.
fn docker_name_digest(name: &str) -> Result<Option<Digest>, Error> {
    if let Some(rest) = name.strip_prefix("blobs/") {
        return match rest.split_once('/') {
            Some((alg, hex)) => Digest::parse(&format!("{alg}:{hex}")).map(Some),
            None => Err(Error::Format(format!(
                "manifest.json: {name:?} is not a blobs/<algorithm>/<hex> name"
            ))),
        };
    }
    Ok(name.strip_suffix(".json").and_then(Digest::sha256_hex))
}

/// Reads a JSON blob through the verifying reader; returns it with its digest.
fn json_blob<T: for<'de> Deserialize<'de>>(
    files: &Files,
    name: &str,
    expect: Expect,
    limits: &ReadLimits,
) -> Result<(T, String), Error> {
    let (data, digest) = files.read_blob(name, expect, limits.max_json_bytes)?;
    let v = serde_json::from_slice(&data).map_err(|e| Error::Format(format!("{name}: {e}")))?;
    Ok((v, digest))
}

fn json<T: for<'de> Deserialize<'de>>(
    files: &Files,
    name: &str,
    limits: &ReadLimits,
) -> Result<T, Error> {
    let data = files.read_small(name, limits.max_json_bytes)?;
    serde_json::from_slice(&data).map_err(|e| Error::Format(format!("{name}: {e}")))
}

const INDEX_TYPES: [&str; 2] = [
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// Picks the image manifest from an index: linux/amd64 first, else the first image manifest;
/// nested indexes are followed (bounded).
fn pick_manifest(
    files: &Files,
    index: Index,
    limits: &ReadLimits,
    depth: usize,
) -> Result<(Descriptor, Manifest), Error> {
    if depth > 4 {
        return Err(Error::Format("image index nesting too deep".into()));
    }
    let mut cands: Vec<Descriptor> = index
        .manifests
        .into_iter()
        .filter(|d| {
            d.annotations
                .get("vnd.docker.reference.type")
                .map(String::as_str)
                != Some("attestation-manifest")
        })
        .collect();
    cands.sort_by_key(|d| match &d.platform {
        Some(p) if p.os == "linux" && p.architecture == "amd64" => 0,
        Some(p) if p.os == "unknown" => 3,
        Some(_) => 1,
        None => 2,
    });
    for d in cands {
        let digest = Digest::parse(&d.digest)?;
        let name = digest.blob_path();
        if !files.exists(&name) {
            continue;
        }
        let role = if INDEX_TYPES.contains(&d.media_type.as_str()) {
            "image index"
        } else {
            "manifest"
        };
        let (m, _): (Manifest, _) = json_blob(files, &name, expect(role, &digest, d.size), limits)?;
        if INDEX_TYPES.contains(&d.media_type.as_str())
            || INDEX_TYPES.contains(&m.media_type.as_str())
            || (m.manifests.is_some() && m.config.is_none())
        {
            let sub = Index {
                manifests: m.manifests.unwrap_or_default(),
            };
            return pick_manifest(files, sub, limits, depth + 1);
        }
        return Ok((d, m));
    }
    Err(Error::Format(
        "no image manifest found in index.json".into(),
    ))
}

/// A layer to read: its file in the source and how it is verified.
struct LayerFile {
    name: String,
    /// The blob's digest and size (OCI layouts and archives, docker-save `blobs/` names).
    blob: Option<Expect>,
    /// The uncompressed tar's digest (docker-save classic `<id>/layer.tar`).
    uncompressed: Option<Expect>,
    info: LayerInfo,
}

fn too_many_layers(path: &Path, limits: &ReadLimits) -> Error {
    Error::Limit {
        context: path.display().to_string(),
        what: "number of layers",
        limit: limits.max_layers as u64,
    }
}

/// A file name from manifest.json, normalised; `..` is refused.
fn safe_name(raw: &str) -> Result<String, Error> {
    super::normalize_path(raw).map_err(|reason| Error::UnsafePath {
        layer: "manifest.json".into(),
        path: raw.to_string(),
        reason,
    })
}

/// Reads an OCI layout folder, OCI archive or docker-save tarball.
pub(crate) fn read_image(
    path: &Path,
    kind: SourceKind,
    selector: &FileSelector,
    limits: &ReadLimits,
) -> Result<ReadImage, Error> {
    let files = match kind {
        SourceKind::OciLayout => Files::Dir(path.to_path_buf()),
        _ => Files::index_tar(path, limits)?,
    };
    let mut info = ImageInfo {
        kind,
        ..ImageInfo::default()
    };
    let mut layer_files: Vec<LayerFile> = Vec::new();
    let config: Config;
    if kind == SourceKind::DockerArchive {
        // manifest.json is the root of trust: it names the config and the layers by path
        let mut ms: Vec<DockerManifest> = json(&files, "manifest.json", limits)?;
        if ms.is_empty() {
            return Err(Error::Format("manifest.json lists no image".into()));
        }
        let m = ms.swap_remove(0);
        info.names = m.repo_tags.unwrap_or_default();
        if m.layers.len() > limits.max_layers {
            return Err(too_many_layers(path, limits));
        }
        let config_name = safe_name(&m.config)?;
        // `<sha256>.json` or `blobs/sha256/<hex>`: the name is the config's digest
        let (c, digest) = json_blob(
            &files,
            &config_name,
            Expect {
                label: format!("config {config_name}"),
                digest: docker_name_digest(&config_name)?,
                size: None,
                what: "content",
            },
            limits,
        )?;
        config = c;
        info.config_digest = Some(digest);
        let diff_ids: Vec<String> = config
            .rootfs
            .as_ref()
            .map(|r| r.diff_ids.clone())
            .unwrap_or_default();
        for (i, l) in m.layers.iter().enumerate() {
            let name = safe_name(l)?;
            let size = files.size(&name)?;
            let blob = docker_name_digest(&name)?;
            let diff_id = diff_ids.get(i).filter(|_| diff_ids.len() == m.layers.len());
            // a layer named by path: only its diff id can vouch for it
            let uncompressed = match (&blob, diff_id) {
                (Some(_), _) => None,
                (None, Some(d)) => Some(Expect {
                    label: format!("layer {} {name}", i + 1),
                    digest: Some(Digest::parse(d)?),
                    size: None,
                    what: "uncompressed content",
                }),
                (None, None) => {
                    return Err(Error::Format(format!(
                        "config {config_name}: rootfs.diff_ids lists {} layers, manifest.json {}: \
                         layer {name} cannot be verified",
                        diff_ids.len(),
                        m.layers.len()
                    )))
                }
            };
            layer_files.push(LayerFile {
                blob: blob.as_ref().map(|d| Expect {
                    label: format!("layer {} {name}", i + 1),
                    digest: Some(d.clone()),
                    size: None,
                    what: "content",
                }),
                uncompressed,
                info: LayerInfo {
                    digest: blob.map(|d| d.to_string()),
                    size,
                    ..LayerInfo::default()
                },
                name,
            });
        }
    } else {
        // index.json is the root of trust: every other document is addressed by a digest
        let index: Index = json(&files, "index.json", limits)?;
        let (desc, manifest) = pick_manifest(&files, index, limits, 0)?;
        info.manifest_digest = Some(desc.digest.clone());
        for key in [
            "io.containerd.image.name",
            "org.opencontainers.image.ref.name",
        ] {
            if let Some(v) = desc.annotations.get(key) {
                if !info.names.contains(v) {
                    info.names.push(v.clone());
                }
            }
        }
        let cfg = manifest
            .config
            .ok_or_else(|| Error::Format("image manifest has no config".into()))?;
        if manifest.layers.len() > limits.max_layers {
            return Err(too_many_layers(path, limits));
        }
        let cfg_digest = Digest::parse(&cfg.digest)?;
        let (c, _) = json_blob(
            &files,
            &cfg_digest.blob_path(),
            expect("config", &cfg_digest, cfg.size),
            limits,
        )?;
        config = c;
        info.config_digest = Some(cfg.digest);
        for (i, l) in manifest.layers.into_iter().enumerate() {
            let digest = Digest::parse(&l.digest)?;
            let name = digest.blob_path();
            let blob = expect(&format!("layer {}", i + 1), &digest, l.size);
            let actual = files.size(&name)?;
            if l.size.is_some_and(|s| s != actual) {
                return Err(size_error(&blob, actual.to_string()));
            }
            layer_files.push(LayerFile {
                name,
                blob: Some(blob),
                uncompressed: None,
                info: LayerInfo {
                    digest: Some(l.digest),
                    diff_id: None,
                    media_type: Some(l.media_type),
                    size: actual,
                },
            });
        }
    }
    info.os = config.os;
    info.architecture = config.architecture;
    if let Some(rootfs) = config.rootfs {
        if rootfs.diff_ids.len() == layer_files.len() {
            for (l, d) in layer_files.iter_mut().zip(rootfs.diff_ids) {
                l.info.diff_id = Some(d);
            }
        }
    }
    let budget = Budget::default();
    let results: Vec<Result<LayerOps, Error>> = layer_files
        .par_iter()
        .map(|l| {
            let label = l.info.id().unwrap_or(&l.name).to_string();
            let checks = LayerChecks {
                blob_verified: l.blob.is_some(),
                uncompressed: l.uncompressed.clone(),
            };
            let r: Box<dyn Read + Send> = match &l.blob {
                Some(expect) => Box::new(files.open_blob(&l.name, expect.clone())?),
                None => files.open(&l.name)?,
            };
            read_layer(r, &label, selector, limits, &budget, checks)
        })
        .collect();
    let mut tree = FileTree::new();
    let mut warnings = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let ops = r?;
        warnings.extend(ops.warnings);
        apply(&mut tree, i, ops.ops);
    }
    info.layers = layer_files.into_iter().map(|l| l.info).collect();
    Ok(ReadImage {
        info,
        tree,
        warnings,
    })
}
