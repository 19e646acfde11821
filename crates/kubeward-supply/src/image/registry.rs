//! Pulling images from OCI registries (cargo feature `registry`).
//!
//! [`pull_to_layout`] resolves a reference (an image index is resolved to one platform,
//! `linux/amd64` unless told otherwise), downloads the manifest, the config and the layers
//! into a temporary OCI image layout folder, and returns it; [`crate::catalog_source`] then
//! reads it like any other layout. The folder is removed when the [`TempLayout`] is dropped.
//!
//! The transport is `oci-client` on rustls with the `ring` provider (no aws-lc-rs). Anonymous,
//! basic and bearer authentication are supported (a basic login is exchanged for a token when
//! the registry asks for one). Plain HTTP is allowed only to loopback registries
//! ([`PullOptions::insecure`]). Digests named by the registry are validated before they become
//! file names, every blob is checked against its digest, and blob sizes are bounded.

use oci_client::client::{ClientConfig, ClientProtocol};
use oci_client::manifest::{
    IMAGE_MANIFEST_LIST_MEDIA_TYPE, IMAGE_MANIFEST_MEDIA_TYPE, OCI_IMAGE_INDEX_MEDIA_TYPE,
    OCI_IMAGE_MEDIA_TYPE,
};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Credentials for a registry.
#[derive(Clone, Default)]
pub enum Auth {
    /// No credentials (public images, or a registry without authentication).
    #[default]
    Anonymous,
    /// A user name and password (or access token used as password).
    Basic {
        /// User name.
        username: String,
        /// Password.
        password: String,
    },
    /// A bearer token sent as is.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Anonymous => f.write_str("Anonymous"),
            Auth::Basic { username, .. } => write!(f, "Basic({username:?}, ***)"),
            Auth::Bearer(_) => f.write_str("Bearer(***)"),
        }
    }
}

/// Options for [`pull_to_layout`].
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Credentials.
    pub auth: Auth,
    /// Use plain HTTP. Allowed only for loopback registries (`localhost`, `127.0.0.0/8`, `::1`).
    pub insecure: bool,
    /// Platform to pick from an image index: `os/arch[/variant]`; `None` is `linux/amd64`.
    pub platform: Option<String>,
    /// Largest manifest or config document accepted, in bytes.
    pub max_manifest_bytes: u64,
    /// Largest single blob (layer) accepted, in bytes.
    pub max_blob_bytes: u64,
    /// Largest total of all blobs of the image, in bytes.
    pub max_total_bytes: u64,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Timeout of one read on a connection.
    pub read_timeout: Duration,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            auth: Auth::Anonymous,
            insecure: false,
            platform: None,
            max_manifest_bytes: 4 << 20,
            max_blob_bytes: 8 << 30,
            max_total_bytes: 32 << 30,
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(120),
        }
    }
}

/// Errors from a registry pull.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The reference cannot be parsed.
    #[error("{reference:?}: not an image reference: {message}")]
    Reference {
        /// As given.
        reference: String,
        /// Why.
        message: String,
    },
    /// `--insecure` was asked for a registry that is not on loopback.
    #[error("{registry}: plain HTTP is allowed only for loopback registries (localhost, 127.0.0.1, ::1)")]
    InsecureNotLoopback {
        /// The registry host.
        registry: String,
    },
    /// The platform string is not `os/arch[/variant]`.
    #[error("{0:?}: platform must be os/arch[/variant], for example linux/arm64")]
    Platform(String),
    /// The index has no manifest for the wanted platform.
    #[error("{reference}: no image for platform {wanted} (available: {available})")]
    NoPlatform {
        /// The reference.
        reference: String,
        /// Wanted platform.
        wanted: String,
        /// Platforms the index offers.
        available: String,
    },
    /// The registry answered with an error or could not be reached.
    #[error("{reference}: {message}")]
    Registry {
        /// The reference.
        reference: String,
        /// The transport's or the registry's message.
        message: String,
    },
    /// The registry's documents are malformed or not an image.
    #[error("{reference}: {message}")]
    Format {
        /// The reference.
        reference: String,
        /// What is wrong.
        message: String,
    },
    /// A bound from [`PullOptions`] was exceeded.
    #[error("{reference}: {what} is {size} bytes, above the limit of {limit}")]
    TooLarge {
        /// The reference.
        reference: String,
        /// Which document or blob.
        what: String,
        /// Its size.
        size: u64,
        /// The bound.
        limit: u64,
    },
    /// Writing the temporary layout failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A pulled image as a temporary OCI image layout folder; removed on drop.
#[derive(Debug)]
pub struct TempLayout {
    dir: tempfile::TempDir,
    /// The reference as resolved (`registry/repository:tag`, registry made explicit).
    pub reference: String,
    /// Digest of the image manifest.
    pub manifest_digest: String,
    /// Digest of the image index the manifest was picked from, when the reference named one.
    pub index_digest: Option<String>,
    /// Bytes downloaded (manifests and blobs).
    pub bytes: u64,
}

impl TempLayout {
    /// The layout folder (give it to [`crate::catalog_source`]).
    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

/// True when `s` names an image in a registry rather than a local file: it starts with
/// `registry://`, or its first path component is a registry host (has a `.` or a `:`, or is
/// `localhost`). Callers should check for an existing local path first.
pub fn is_registry_reference(s: &str) -> bool {
    if s.starts_with("registry://") {
        return true;
    }
    if s.contains(char::is_whitespace) || s.contains('\\') {
        return false;
    }
    match s.split_once('/') {
        Some((host, rest)) => {
            !rest.is_empty()
                && !host.is_empty()
                && (host.contains('.') || host.contains(':') || host == "localhost")
                && host != "."
                && host != ".."
        }
        None => false,
    }
}

/// True for `localhost`, `127.0.0.0/8` and `::1` (with or without a port).
pub fn is_loopback_host(registry: &str) -> bool {
    let host = if let Some(rest) = registry.strip_prefix('[') {
        rest.split_once(']').map(|(h, _)| h).unwrap_or(rest)
    } else {
        match registry.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !h.contains(':') => h,
            _ => registry,
        }
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// Parses a reference, accepting an optional `registry://` prefix.
pub fn parse_reference(reference: &str) -> Result<Reference, Error> {
    let r = reference.trim();
    let r = r.strip_prefix("registry://").unwrap_or(r);
    Reference::from_str(r).map_err(|e| Error::Reference {
        reference: reference.to_string(),
        message: e.to_string(),
    })
}

/// The rustls provider of the whole binary: `ring`. Installing fails harmlessly when a
/// provider is already installed.
fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client configured from `opts` for `reference`'s registry.
pub fn client_for(reference: &Reference, opts: &PullOptions) -> Result<Client, Error> {
    install_crypto_provider();
    let registry = reference.resolve_registry().to_string();
    let protocol = if opts.insecure {
        if !is_loopback_host(&registry) {
            return Err(Error::InsecureNotLoopback { registry });
        }
        ClientProtocol::HttpsExcept(vec![registry])
    } else {
        ClientProtocol::Https
    };
    let config = ClientConfig {
        protocol,
        platform_resolver: None,
        connect_timeout: Some(opts.connect_timeout),
        read_timeout: Some(opts.read_timeout),
        user_agent: concat!("kubeward/", env!("CARGO_PKG_VERSION")),
        ..ClientConfig::default()
    };
    Client::try_from(config).map_err(|e| Error::Registry {
        reference: reference.whole(),
        message: format!("cannot set up the HTTP client: {e}"),
    })
}

/// The `oci-client` form of [`Auth`].
pub fn registry_auth(auth: &Auth) -> RegistryAuth {
    match auth {
        Auth::Anonymous => RegistryAuth::Anonymous,
        Auth::Basic { username, password } => {
            RegistryAuth::Basic(username.clone(), password.clone())
        }
        Auth::Bearer(t) => RegistryAuth::Bearer(t.clone()),
    }
}

/// A single-threaded runtime for the async client.
fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Io {
            path: "tokio runtime".into(),
            source: e,
        })
}

const MANIFEST_TYPES: [&str; 4] = [
    OCI_IMAGE_MEDIA_TYPE,
    IMAGE_MANIFEST_MEDIA_TYPE,
    OCI_IMAGE_INDEX_MEDIA_TYPE,
    IMAGE_MANIFEST_LIST_MEDIA_TYPE,
];

#[derive(Deserialize)]
struct Descriptor {
    digest: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    platform: Option<Platform>,
}

#[derive(Deserialize, Default)]
struct Platform {
    #[serde(default)]
    os: String,
    #[serde(default)]
    architecture: String,
    #[serde(default)]
    variant: Option<String>,
}

#[derive(Deserialize)]
struct ManifestDoc {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    #[serde(default)]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

impl ManifestDoc {
    fn is_index(&self) -> bool {
        self.media_type == OCI_IMAGE_INDEX_MEDIA_TYPE
            || self.media_type == IMAGE_MANIFEST_LIST_MEDIA_TYPE
            || (self.manifests.is_some() && self.config.is_none())
    }
}

/// `sha256:<64 hex>` only: the digest becomes a file name.
fn blob_path(root: &Path, digest: &str) -> Option<PathBuf> {
    let hex = digest.strip_prefix("sha256:")?;
    (hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
        .then(|| root.join("blobs").join("sha256").join(hex))
}

/// The manifest's digest, by the same hashing as every other blob (`super::digest`); the
/// pulled layout is read back through the verifying reader like any other layout.
fn sha256_digest(data: &[u8]) -> String {
    super::digest::Digest::of(super::digest::Algorithm::Sha256, data)
}

/// Splits `os/arch[/variant]`.
fn parse_platform(s: &str) -> Result<(String, String, Option<String>), Error> {
    let parts: Vec<&str> = s.split('/').collect();
    match parts.as_slice() {
        [os, arch] if !os.is_empty() && !arch.is_empty() => {
            Ok((os.to_string(), arch.to_string(), None))
        }
        [os, arch, v] if !os.is_empty() && !arch.is_empty() && !v.is_empty() => {
            Ok((os.to_string(), arch.to_string(), Some(v.to_string())))
        }
        _ => Err(Error::Platform(s.to_string())),
    }
}

/// Pulls `reference` (`registry://host[:port]/repo[:tag|@digest]`, or any reference with a
/// registry host) into a temporary OCI image layout.
pub fn pull_to_layout(reference: &str, opts: &PullOptions) -> Result<TempLayout, Error> {
    let wanted = opts.platform.as_deref().unwrap_or("linux/amd64");
    let platform = parse_platform(wanted)?;
    let image = parse_reference(reference)?;
    let client = client_for(&image, opts)?;
    let dir = tempfile::Builder::new()
        .prefix("kubeward-pull-")
        .tempdir()
        .map_err(|e| Error::Io {
            path: std::env::temp_dir().display().to_string(),
            source: e,
        })?;
    let rt = runtime()?;
    let (manifest_digest, index_digest, bytes) = rt.block_on(pull(
        &client,
        &image,
        &registry_auth(&opts.auth),
        opts,
        (&platform, wanted),
        dir.path(),
    ))?;
    Ok(TempLayout {
        dir,
        reference: image.whole(),
        manifest_digest,
        index_digest,
        bytes,
    })
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.display().to_string(),
        source,
    }
}

type WantedPlatform<'a> = (&'a (String, String, Option<String>), &'a str);

async fn pull(
    client: &Client,
    image: &Reference,
    auth: &RegistryAuth,
    opts: &PullOptions,
    (platform, wanted): WantedPlatform<'_>,
    root: &Path,
) -> Result<(String, Option<String>, u64), Error> {
    let whole = image.whole();
    let reg_err = |e: oci_client::errors::OciDistributionError| Error::Registry {
        reference: whole.clone(),
        message: e.to_string(),
    };
    let fmt_err = |m: String| Error::Format {
        reference: whole.clone(),
        message: m,
    };
    std::fs::create_dir_all(root.join("blobs").join("sha256")).map_err(io(root))?;
    let mut total: u64 = 0;

    // the manifest, or an index to resolve
    let (raw, digest) = client
        .pull_manifest_raw(image, auth, &MANIFEST_TYPES)
        .await
        .map_err(reg_err)?;
    let check_size = |what: &str, size: u64, limit: u64| {
        if size > limit {
            Err(Error::TooLarge {
                reference: whole.clone(),
                what: what.to_string(),
                size,
                limit,
            })
        } else {
            Ok(())
        }
    };
    check_size("manifest", raw.len() as u64, opts.max_manifest_bytes)?;
    let mut doc: ManifestDoc = serde_json::from_slice(&raw)
        .map_err(|e| fmt_err(format!("manifest is not valid JSON: {e}")))?;
    let mut raw = raw;
    let mut digest = digest;
    let mut index_digest = None;
    // a nested index is followed once more at most
    for _ in 0..2 {
        if !doc.is_index() {
            break;
        }
        if sha256_digest(&raw) != digest {
            return Err(fmt_err(format!("index does not match its digest {digest}")));
        }
        total += raw.len() as u64;
        index_digest.get_or_insert_with(|| digest.clone());
        let entries = doc.manifests.take().unwrap_or_default();
        let (os, arch, variant) = platform;
        let pick = entries.iter().find(|d| {
            d.platform.as_ref().is_some_and(|p| {
                p.os == *os
                    && p.architecture == *arch
                    && (variant.is_none() || p.variant.as_deref() == variant.as_deref())
            })
        });
        let Some(pick) = pick else {
            let available: Vec<String> = entries
                .iter()
                .filter_map(|d| d.platform.as_ref())
                .filter(|p| p.os != "unknown")
                .map(|p| match &p.variant {
                    Some(v) => format!("{}/{}/{v}", p.os, p.architecture),
                    None => format!("{}/{}", p.os, p.architecture),
                })
                .collect();
            return Err(Error::NoPlatform {
                reference: whole.clone(),
                wanted: wanted.to_string(),
                available: if available.is_empty() {
                    "none".into()
                } else {
                    available.join(", ")
                },
            });
        };
        if blob_path(root, &pick.digest).is_none() {
            return Err(fmt_err(format!("unsupported digest {:?}", pick.digest)));
        }
        check_size("manifest", pick.size, opts.max_manifest_bytes)?;
        let by_digest = Reference::with_digest(
            image.registry().to_string(),
            image.repository().to_string(),
            pick.digest.clone(),
        );
        let (r, d) = client
            .pull_manifest_raw(&by_digest, auth, &MANIFEST_TYPES)
            .await
            .map_err(reg_err)?;
        check_size("manifest", r.len() as u64, opts.max_manifest_bytes)?;
        doc = serde_json::from_slice(&r)
            .map_err(|e| fmt_err(format!("manifest is not valid JSON: {e}")))?;
        raw = r;
        digest = d;
    }
    if doc.is_index() {
        return Err(fmt_err("image index nesting too deep".into()));
    }
    if sha256_digest(&raw) != digest {
        return Err(fmt_err(format!(
            "manifest does not match its digest {digest}"
        )));
    }
    if let Some(pinned) = image.digest() {
        if index_digest.is_none() && pinned != digest {
            return Err(fmt_err(format!(
                "registry returned manifest {digest} for pinned digest {pinned}"
            )));
        }
    }
    let manifest_path = blob_path(root, &digest)
        .ok_or_else(|| fmt_err(format!("unsupported digest {digest:?}")))?;
    std::fs::write(&manifest_path, &raw).map_err(io(&manifest_path))?;
    total += raw.len() as u64;

    let config = doc
        .config
        .as_ref()
        .ok_or_else(|| fmt_err("image manifest has no config".into()))?;
    check_size("config", config.size, opts.max_manifest_bytes)?;
    let mut blobs: Vec<(&Descriptor, String)> = vec![(config, "config".to_string())];
    for (i, l) in doc.layers.iter().enumerate() {
        check_size(&format!("layer {}", l.digest), l.size, opts.max_blob_bytes)?;
        blobs.push((l, format!("layer {i}")));
    }
    let sum: u64 = blobs.iter().map(|(d, _)| d.size).sum();
    check_size("image", sum.saturating_add(total), opts.max_total_bytes)?;
    for (d, what) in blobs {
        let path = blob_path(root, &d.digest)
            .ok_or_else(|| fmt_err(format!("{what}: unsupported digest {:?}", d.digest)))?;
        if path.exists() {
            continue; // the same blob twice (an empty layer repeated)
        }
        let tmp = path.with_extension("partial");
        let file = tokio::fs::File::create(&tmp).await.map_err(io(&tmp))?;
        // `pull_blob` checks the content against the digest
        client
            .pull_blob(image, d.digest.as_str(), file)
            .await
            .map_err(|e| Error::Registry {
                reference: whole.clone(),
                message: format!("{what} {}: {e}", d.digest),
            })?;
        let size = std::fs::metadata(&tmp).map_err(io(&tmp))?.len();
        if d.size != 0 && size != d.size {
            return Err(fmt_err(format!(
                "{what} {}: {size} bytes, the manifest says {}",
                d.digest, d.size
            )));
        }
        std::fs::rename(&tmp, &path).map_err(io(&path))?;
        total += size;
    }

    // the layout: oci-layout and an index naming the manifest and the reference
    let layout = root.join("oci-layout");
    std::fs::write(&layout, br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(io(&layout))?;
    let media_type = if doc.media_type.is_empty() {
        OCI_IMAGE_MEDIA_TYPE.to_string()
    } else {
        doc.media_type.clone()
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_IMAGE_INDEX_MEDIA_TYPE,
        "manifests": [{
            "mediaType": media_type,
            "digest": digest,
            "size": raw.len(),
            "annotations": { "org.opencontainers.image.ref.name": whole },
        }],
    });
    let index_path = root.join("index.json");
    std::fs::write(&index_path, index.to_string()).map_err(io(&index_path))?;
    Ok((digest, index_digest, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_registry_references_from_paths() {
        assert!(is_registry_reference("registry://localhost:5000/a:1"));
        assert!(is_registry_reference("ghcr.io/org/app:1.2"));
        assert!(is_registry_reference("127.0.0.1:5000/app"));
        assert!(is_registry_reference("localhost/app"));
        assert!(!is_registry_reference("images/app.tar"));
        assert!(!is_registry_reference("./app.tar"));
        assert!(!is_registry_reference("../x/y"));
        assert!(!is_registry_reference("nginx:1.25"));
    }

    #[test]
    fn loopback_hosts() {
        assert!(is_loopback_host("localhost:5000"));
        assert!(is_loopback_host("127.0.0.1:41234"));
        assert!(is_loopback_host("127.1.2.3"));
        assert!(is_loopback_host("[::1]:5000"));
        assert!(!is_loopback_host("registry.example:5000"));
        assert!(!is_loopback_host("10.0.0.1:5000"));
    }

    #[test]
    fn insecure_refused_off_loopback() {
        let r = parse_reference("registry://registry.example:5000/a:1").unwrap();
        let opts = PullOptions {
            insecure: true,
            ..PullOptions::default()
        };
        let Err(e) = client_for(&r, &opts) else {
            panic!("plain HTTP to a remote registry was accepted");
        };
        assert!(matches!(e, Error::InsecureNotLoopback { .. }), "{e}");
    }

    #[test]
    fn blob_paths_are_validated() {
        let root = Path::new("/x");
        assert!(blob_path(root, &format!("sha256:{}", "a".repeat(64))).is_some());
        assert!(blob_path(root, "sha256:../../etc/passwd").is_none());
        assert!(blob_path(root, &format!("sha512:{}", "a".repeat(128))).is_none());
        assert!(blob_path(root, &format!("sha256:{}", "A".repeat(64))).is_none());
    }

    #[test]
    fn platforms() {
        assert!(parse_platform("linux/arm64/v8").is_ok());
        assert!(parse_platform("linux").is_err());
        assert!(parse_platform("linux//").is_err());
    }
}
