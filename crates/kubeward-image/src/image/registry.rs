//! Pulling images from OCI registries (cargo feature `registry`).
//!
//! [`pull_to_layout`] resolves a reference (an image index is resolved to one platform,
//! `linux/amd64` unless told otherwise), downloads the manifest, the config and the layers
//! into a temporary OCI image layout folder, and returns it; [`crate::catalog_source`] then
//! reads it like any other layout. The folder is removed when the [`TempLayout`] is dropped.
//!
//! The transport is `ureq` on rustls with the `ring` provider (no aws-lc-rs), so that every
//! request is bounded and every redirect is checked here: each manifest and blob download has
//! the deadline and minimum rate of [`PullOptions::limits`], and a redirect is followed only
//! by the rule of [`kubeward_io::transfer::check_redirect`] (from a loopback registry only to
//! loopback, never from HTTPS to HTTP); credentials go only to the registry's own origin and
//! to the token realm it names (which the same rule bounds). Anonymous, basic and bearer
//! authentication are supported (a basic login is exchanged for a token when the registry asks
//! for one). Plain HTTP is allowed only to loopback registries ([`PullOptions::insecure`]).
//! Digests named by the registry are validated before they become file names, every blob is
//! checked against its digest, and blob sizes are bounded. `oci-client` parses references and
//! remains the client of [`client_for`] (pushes in tests).

use kubeward_io::transfer::{self, Limits, Meter};
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
    /// Timeout for the response headers of one request.
    pub read_timeout: Duration,
    /// Deadline and minimum transfer rate of each manifest and blob download.
    pub limits: Limits,
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
            limits: Limits::default(),
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
    let mut session = Session::new(&image, opts)?;
    let dir = tempfile::Builder::new()
        .prefix("kubeward-pull-")
        .tempdir()
        .map_err(|e| Error::Io {
            path: std::env::temp_dir().display().to_string(),
            source: e,
        })?;
    let (manifest_digest, index_digest, bytes) =
        pull(&mut session, &image, opts, (&platform, wanted), dir.path())?;
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

fn pull(
    session: &mut Session<'_>,
    image: &Reference,
    opts: &PullOptions,
    (platform, wanted): WantedPlatform<'_>,
    root: &Path,
) -> Result<(String, Option<String>, u64), Error> {
    let whole = image.whole();
    let fmt_err = |m: String| Error::Format {
        reference: whole.clone(),
        message: m,
    };
    std::fs::create_dir_all(root.join("blobs").join("sha256")).map_err(io(root))?;
    let mut total: u64 = 0;

    // the manifest, or an index to resolve
    let tag_or_digest = match image.digest() {
        Some(d) => d.to_string(),
        None => image.tag().unwrap_or("latest").to_string(),
    };
    let (raw, digest) = session.manifest(&tag_or_digest, opts.max_manifest_bytes)?;
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
        let (r, d) = session.manifest(&pick.digest, opts.max_manifest_bytes)?;
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
        let limit = if d.size != 0 {
            d.size.min(opts.max_blob_bytes)
        } else {
            opts.max_blob_bytes
        };
        // checked against the digest while it is written
        let size = session.blob(&d.digest, &what, limit, &tmp)?;
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

/// A session with one registry over `ureq`: authentication when the registry asks, redirects
/// by the rule of [`transfer::check_redirect`], the deadline and minimum rate of
/// [`PullOptions::limits`] on every manifest and blob.
struct Session<'a> {
    agent: ureq::Agent,
    /// `http[s]://host[:port]`.
    base: String,
    repository: String,
    whole: String,
    auth: &'a Auth,
    /// The `Authorization` value for the registry's origin, once known.
    authorization: Option<String>,
    /// A challenge was answered already (a second 401 is final).
    authenticated: bool,
    limits: Limits,
}

/// Most bytes of a token response or an error body read.
const SMALL_BODY: u64 = 1 << 20;

impl<'a> Session<'a> {
    fn new(image: &Reference, opts: &'a PullOptions) -> Result<Session<'a>, Error> {
        let registry = image.resolve_registry().to_string();
        let scheme = if opts.insecure {
            if !is_loopback_host(&registry) {
                return Err(Error::InsecureNotLoopback { registry });
            }
            "http"
        } else {
            "https"
        };
        let mut config = ureq::Agent::config_builder();
        if is_loopback_host(&registry) {
            // proxies from the environment are for elsewhere
            config = config.proxy(None);
        }
        let agent: ureq::Agent = config
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_recv_response(Some(opts.read_timeout))
            .timeout_per_read(Some(opts.limits.window).filter(|_| opts.limits.min_rate > 0))
            .user_agent(concat!("kubeward/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Session {
            agent,
            base: format!("{scheme}://{registry}"),
            repository: image.repository().to_string(),
            whole: image.whole(),
            auth: &opts.auth,
            authorization: match &opts.auth {
                Auth::Bearer(t) => Some(format!("Bearer {t}")),
                _ => None,
            },
            authenticated: matches!(opts.auth, Auth::Bearer(_)),
            limits: opts.limits,
        })
    }

    fn err(&self, message: String) -> Error {
        Error::Registry {
            reference: self.whole.clone(),
            message,
        }
    }

    /// GET `url`, following redirects the rule allows; `authorization` is sent only to
    /// `url`'s own origin.
    fn fetch(
        &self,
        url: &str,
        accept: Option<&str>,
        authorization: Option<&str>,
        meter: &Meter,
    ) -> Result<ureq::http::Response<ureq::Body>, Error> {
        let mut at = url.to_string();
        for _ in 0..=transfer::MAX_REDIRECTS {
            let remaining = meter
                .remaining()
                .map_err(|s| self.err(format!("{url}: {s}")))?;
            let mut req = self
                .agent
                .get(&at)
                .config()
                .timeout_global(Some(remaining))
                .build();
            if let Some(a) = accept {
                req = req.header("Accept", a);
            }
            if let Some(a) = authorization.filter(|_| transfer::same_origin(&at, url)) {
                req = req.header("Authorization", a);
            }
            let resp = req.call().map_err(|e| match e {
                ureq::Error::Timeout(_) if meter.near_deadline() => self.err(format!(
                    "{at}: {}",
                    transfer::Stopped::Deadline(meter.limits().deadline)
                )),
                e => self.err(format!("{at}: {e}")),
            })?;
            if !matches!(resp.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
                return Ok(resp);
            }
            let location = header(&resp, "location").unwrap_or_default();
            if location.is_empty() {
                return Err(self.err(format!(
                    "{at}: HTTP {} without a Location",
                    resp.status().as_u16()
                )));
            }
            let next = transfer::resolve_location(&at, &location);
            transfer::check_redirect(&self.base, &at, &next)
                .map_err(|why| self.err(format!("refused redirect to {next}: {why}")))?;
            at = next;
        }
        Err(self.err(format!(
            "{url}: more than {} redirects",
            transfer::MAX_REDIRECTS
        )))
    }

    /// GET a path under `/v2/<repository>/`, answering one authentication challenge.
    fn get(
        &mut self,
        path: &str,
        accept: Option<&str>,
        meter: &Meter,
    ) -> Result<ureq::http::Response<ureq::Body>, Error> {
        let url = format!("{}/v2/{}/{path}", self.base, self.repository);
        let resp = self.fetch(&url, accept, self.authorization.as_deref(), meter)?;
        if resp.status().as_u16() != 401 || self.authenticated {
            return Ok(resp);
        }
        self.authenticated = true;
        let challenge = header(&resp, "www-authenticate").unwrap_or_default();
        if !self.authenticate(&challenge, meter)? {
            return Ok(resp);
        }
        self.fetch(&url, accept, self.authorization.as_deref(), meter)
    }

    /// Answers a `WWW-Authenticate` challenge: basic credentials as they are, a bearer
    /// challenge with a token from its realm. False when there is nothing to answer with.
    fn authenticate(&mut self, challenge: &str, meter: &Meter) -> Result<bool, Error> {
        let (scheme, params) = parse_challenge(challenge);
        let basic = match self.auth {
            Auth::Basic { username, password } => {
                use base64::Engine as _;
                Some(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD
                        .encode(format!("{username}:{password}"))
                ))
            }
            _ => None,
        };
        if scheme.eq_ignore_ascii_case("basic") {
            self.authorization = basic;
            return Ok(self.authorization.is_some());
        }
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Ok(false);
        }
        let Some(realm) = params
            .iter()
            .find(|(k, _)| k == "realm")
            .map(|p| p.1.clone())
        else {
            return Err(self.err("bearer challenge without a realm".into()));
        };
        // the token realm is bounded like a redirect: credentials go there
        transfer::check_redirect(&self.base, &self.base, &realm)
            .map_err(|why| self.err(format!("refused token realm {realm}: {why}")))?;
        let mut url = format!(
            "{realm}{}scope={}",
            if realm.contains('?') { '&' } else { '?' },
            query_encode(&format!("repository:{}:pull", self.repository))
        );
        if let Some((_, service)) = params.iter().find(|(k, _)| k == "service") {
            url.push_str(&format!("&service={}", query_encode(service)));
        }
        let mut resp = self.fetch(&url, None, basic.as_deref(), meter)?;
        let status = resp.status().as_u16();
        let body = read_small(&mut resp);
        if status != 200 {
            return Err(self.err(format!(
                "token request to {realm}: HTTP {status}{}",
                registry_message(&body)
            )));
        }
        #[derive(Deserialize)]
        struct Token {
            #[serde(default)]
            token: Option<String>,
            #[serde(default)]
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&body)
            .map_err(|e| self.err(format!("token response from {realm}: {e}")))?;
        let Some(token) = t.token.or(t.access_token).filter(|t| !t.is_empty()) else {
            return Err(self.err(format!("token response from {realm} holds no token")));
        };
        self.authorization = Some(format!("Bearer {token}"));
        Ok(true)
    }

    /// The error for a response that is not 200.
    fn status_error(&self, what: &str, mut resp: ureq::http::Response<ureq::Body>) -> Error {
        let status = resp.status().as_u16();
        let body = read_small(&mut resp);
        let hint = match status {
            401 | 403 => ": check --username/--password or --registry-token",
            404 => ": not found",
            _ => "",
        };
        self.err(format!(
            "{what}: HTTP {status}{hint}{}",
            registry_message(&body)
        ))
    }

    /// A manifest (by tag or digest): its bytes (at most `limit`) and its digest (the
    /// registry's `Docker-Content-Digest`, else the SHA-256 of the bytes).
    fn manifest(&mut self, reference: &str, limit: u64) -> Result<(Vec<u8>, String), Error> {
        let mut meter = Meter::new(self.limits);
        let resp = self.get(
            &format!("manifests/{reference}"),
            Some(&MANIFEST_TYPES.join(", ")),
            &meter,
        )?;
        if resp.status().as_u16() != 200 {
            return Err(self.status_error(&format!("manifest {reference}"), resp));
        }
        let announced = header(&resp, "docker-content-digest").filter(|d| {
            d.strip_prefix("sha256:")
                .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
        });
        let mut raw = Vec::new();
        let (_, computed) = self.body(resp, "manifest", limit, &mut meter, &mut raw)?;
        Ok((raw, announced.unwrap_or(computed)))
    }

    /// Downloads a blob into `path`, at most `limit` bytes, and checks it against `digest`.
    /// Returns its size.
    fn blob(&mut self, digest: &str, what: &str, limit: u64, path: &Path) -> Result<u64, Error> {
        let mut meter = Meter::new(self.limits);
        let resp = self.get(&format!("blobs/{digest}"), None, &meter)?;
        if resp.status().as_u16() != 200 {
            return Err(self.status_error(&format!("{what} {digest}"), resp));
        }
        let file = std::fs::File::create(path).map_err(io(path))?;
        let mut w = std::io::BufWriter::new(file);
        let (size, computed) =
            self.body(resp, &format!("{what} {digest}"), limit, &mut meter, &mut w)?;
        use std::io::Write as _;
        w.flush().map_err(io(path))?;
        if computed != digest {
            return Err(Error::Format {
                reference: self.whole.clone(),
                message: format!("{what}: content has digest {computed}, not {digest}"),
            });
        }
        Ok(size)
    }

    /// Reads a response body into `sink` within the meter and `limit`; returns its size and
    /// `sha256:` digest.
    fn body(
        &self,
        mut resp: ureq::http::Response<ureq::Body>,
        what: &str,
        limit: u64,
        meter: &mut Meter,
        sink: &mut dyn std::io::Write,
    ) -> Result<(u64, String), Error> {
        use sha2::{Digest as _, Sha256};
        use std::io::Read as _;
        let mut reader = resp.body_mut().with_config().limit(u64::MAX).reader();
        let mut sha = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size: u64 = 0;
        meter.body_started();
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    let timed_out = e.kind() == std::io::ErrorKind::TimedOut
                        || e.get_ref()
                            .and_then(|x| x.downcast_ref::<ureq::Error>())
                            .is_some_and(|u| matches!(u, ureq::Error::Timeout(_)));
                    let why = meter
                        .explain(timed_out)
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| e.to_string());
                    return Err(self.err(format!("{what}: {why}")));
                }
            };
            meter.add(n).map_err(|s| self.err(format!("{what}: {s}")))?;
            size += n as u64;
            if size > limit {
                return Err(Error::TooLarge {
                    reference: self.whole.clone(),
                    what: what.to_string(),
                    size,
                    limit,
                });
            }
            sha.update(&buf[..n]);
            sink.write_all(&buf[..n]).map_err(|e| Error::Io {
                path: what.to_string(),
                source: e,
            })?;
        }
        let hex: String = sha.finalize().iter().map(|b| format!("{b:02x}")).collect();
        Ok((size, format!("sha256:{hex}")))
    }
}

fn header(resp: &ureq::http::Response<ureq::Body>, name: &str) -> Option<String> {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
}

/// Up to [`SMALL_BODY`] bytes of a body (errors, tokens); empty when unreadable.
fn read_small(resp: &mut ureq::http::Response<ureq::Body>) -> Vec<u8> {
    resp.body_mut()
        .with_config()
        .limit(SMALL_BODY)
        .read_to_vec()
        .unwrap_or_default()
}

/// `: <message>` from a registry's JSON error body (`{"errors":[{"message":...}]}`), short.
fn registry_message(body: &[u8]) -> String {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
    let m = v
        .pointer("/errors/0/message")
        .and_then(|m| m.as_str())
        .unwrap_or("");
    let mut m: String = m.chars().filter(|c| !c.is_control()).take(200).collect();
    if !m.is_empty() {
        m.insert_str(0, " (");
        m.push(')');
    }
    m
}

/// Splits `Bearer realm="...",service="..."` into the scheme and its parameters.
fn parse_challenge(h: &str) -> (String, Vec<(String, String)>) {
    let h = h.trim();
    let (scheme, rest) = h.split_once(' ').unwrap_or((h, ""));
    let mut params = Vec::new();
    let mut rest = rest.trim();
    while !rest.is_empty() {
        let Some((k, after)) = rest.split_once('=') else {
            break;
        };
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, tail) = if let Some(q) = after.strip_prefix('"') {
            match q.find('"') {
                Some(i) => (&q[..i], &q[i + 1..]),
                None => (q, ""),
            }
        } else {
            match after.find(',') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            }
        };
        params.push((k, v.to_string()));
        rest = tail.trim_start().trim_start_matches(',').trim_start();
    }
    (scheme.to_string(), params)
}

/// Percent-encodes a query value (unreserved characters, `:` and `/` are kept).
fn query_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b':' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
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
    fn challenges() {
        let (scheme, p) = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        assert_eq!(scheme, "Bearer");
        assert_eq!(
            p,
            [
                (
                    "realm".to_string(),
                    "https://auth.example/token".to_string()
                ),
                ("service".to_string(), "registry.example".to_string()),
                ("scope".to_string(), "repository:a/b:pull".to_string()),
            ]
        );
        let (scheme, p) = parse_challenge("Basic realm=registry");
        assert_eq!((scheme.as_str(), p[0].1.as_str()), ("Basic", "registry"));
        assert_eq!(
            query_encode("repository:a b/c:pull"),
            "repository:a%20b/c:pull"
        );
    }

    #[test]
    fn platforms() {
        assert!(parse_platform("linux/arm64/v8").is_ok());
        assert!(parse_platform("linux").is_err());
        assert!(parse_platform("linux//").is_err());
    }
}
