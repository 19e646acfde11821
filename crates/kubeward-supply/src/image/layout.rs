//! Source detection, OCI index/manifest/config and docker-save `manifest.json` handling.

use super::archive::Files;
use super::layer::{apply, read_layer, Budget, LayerOps, Selector};
use super::tree::FileTree;
use super::{Error, Limits, ReadImage};
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
    let files = Files::index_tar(path, &Limits::default())?;
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
    size: u64,
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

fn blob_name(digest: &str) -> Result<String, Error> {
    let (alg, hex) = digest
        .split_once(':')
        .ok_or_else(|| Error::Format(format!("bad digest {digest:?}")))?;
    if alg.is_empty()
        || hex.is_empty()
        || !alg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'.' || b == b'_' || b == b'-')
        || !hex.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return Err(Error::Format(format!("bad digest {digest:?}")));
    }
    Ok(format!("blobs/{alg}/{hex}"))
}

fn json<T: for<'de> Deserialize<'de>>(
    files: &Files,
    name: &str,
    limits: &Limits,
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
    limits: &Limits,
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
        let name = blob_name(&d.digest)?;
        if !files.exists(&name) {
            continue;
        }
        let m: Manifest = json(files, &name, limits)?;
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

/// Reads an OCI layout folder, OCI archive or docker-save tarball.
pub(crate) fn read_image(
    path: &Path,
    kind: SourceKind,
    selector: &Selector,
    limits: &Limits,
) -> Result<ReadImage, Error> {
    let files = match kind {
        SourceKind::OciLayout => Files::Dir(path.to_path_buf()),
        _ => Files::index_tar(path, limits)?,
    };
    let mut info = ImageInfo {
        kind,
        ..ImageInfo::default()
    };
    // (file name in the source, layer info)
    let mut layer_files: Vec<(String, LayerInfo)> = Vec::new();
    let config_name;
    if kind == SourceKind::DockerArchive {
        let mut ms: Vec<DockerManifest> = json(&files, "manifest.json", limits)?;
        if ms.is_empty() {
            return Err(Error::Format("manifest.json lists no image".into()));
        }
        let m = ms.swap_remove(0);
        info.names = m.repo_tags.unwrap_or_default();
        config_name = m.config.clone();
        if let Some(hex) = m
            .config
            .strip_prefix("blobs/sha256/")
            .or_else(|| m.config.strip_suffix(".json"))
        {
            info.config_digest = Some(format!("sha256:{hex}"));
        }
        for l in m.layers {
            let name = super::normalize_path(&l).map_err(|reason| Error::UnsafePath {
                layer: l.clone(),
                path: l.clone(),
                reason,
            })?;
            let size = files.size(&name)?;
            let digest = name
                .strip_prefix("blobs/sha256/")
                .map(|h| format!("sha256:{h}"));
            layer_files.push((
                name,
                LayerInfo {
                    digest,
                    size,
                    ..LayerInfo::default()
                },
            ));
        }
    } else {
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
        config_name = blob_name(&cfg.digest)?;
        info.config_digest = Some(cfg.digest);
        for l in manifest.layers {
            let name = blob_name(&l.digest)?;
            let actual = files.size(&name)?;
            if l.size != 0 && actual != l.size {
                return Err(Error::Layer {
                    layer: l.digest,
                    message: format!(
                        "blob is {actual} bytes, the manifest says {} (truncated or replaced)",
                        l.size
                    ),
                });
            }
            layer_files.push((
                name,
                LayerInfo {
                    digest: Some(l.digest),
                    diff_id: None,
                    media_type: Some(l.media_type),
                    size: actual,
                },
            ));
        }
    }
    if layer_files.len() > limits.max_layers {
        return Err(Error::Limit {
            context: path.display().to_string(),
            what: "number of layers",
            limit: limits.max_layers as u64,
        });
    }
    let config: Config = json(&files, &config_name, limits)?;
    info.os = config.os;
    info.architecture = config.architecture;
    if let Some(rootfs) = config.rootfs {
        if rootfs.diff_ids.len() == layer_files.len() {
            for ((_, l), d) in layer_files.iter_mut().zip(rootfs.diff_ids) {
                l.diff_id = Some(d);
            }
        }
    }
    let budget = Budget::default();
    let results: Vec<Result<LayerOps, Error>> = layer_files
        .par_iter()
        .map(|(name, l)| {
            let label = l.id().unwrap_or(name).to_string();
            let r = files.open(name)?;
            read_layer(r, &label, selector, limits, &budget)
        })
        .collect();
    let mut tree = FileTree::new();
    let mut warnings = Vec::new();
    for (i, r) in results.into_iter().enumerate() {
        let ops = r?;
        warnings.extend(ops.warnings);
        apply(&mut tree, i, ops.ops);
    }
    info.layers = layer_files.into_iter().map(|(_, l)| l).collect();
    Ok(ReadImage {
        info,
        tree,
        warnings,
    })
}
