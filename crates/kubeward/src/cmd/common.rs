//! What several subcommands share: reading an image source into a catalog (registry pulls
//! included), the vulnerability database `vuln` and `inventory rescan` match against, and
//! writing output. This module imports no other subcommand module, so the
//! subcommands depend on it and never on each other.

use super::error::Error;
use clap::Args;
use kubeward_image::catalog::{catalog_source, Catalog, CatalogOptions};
use kubeward_image::image::Source;
use kubeward_io::terminal::escape;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Registry options, shared by every command that can pull an image.
#[derive(Args, Debug, Clone, Default)]
pub struct RegistryArgs {
    /// Registry user name (default: $KUBEWARD_REGISTRY_USERNAME).
    #[arg(long)]
    pub username: Option<String>,
    /// Registry password or access token (default: $KUBEWARD_REGISTRY_PASSWORD).
    #[arg(long)]
    pub password: Option<String>,
    /// Registry bearer token, sent as is (default: $KUBEWARD_REGISTRY_TOKEN).
    #[arg(long)]
    pub registry_token: Option<String>,
    /// Plain HTTP to the registry; only for registries on loopback (localhost, 127.0.0.1, ::1).
    #[arg(long)]
    pub insecure: bool,
    /// Platform to pick from a multi-platform image: os/arch[/variant] (default linux/amd64).
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
}

/// An image pulled from a registry and catalogued.
pub(crate) struct Pulled {
    /// The packages.
    pub catalog: Catalog,
    /// The reference as resolved (registry explicit).
    pub reference: String,
    /// The manifest digest.
    pub manifest_digest: String,
    /// The index digest, when the reference named a multi-platform image.
    pub index_digest: Option<String>,
}

/// Pulls `reference` from its registry and catalogs it (for `sbom`, `vuln` and
/// `inventory add`). Credentials come from the flags, else from `KUBEWARD_REGISTRY_USERNAME`,
/// `KUBEWARD_REGISTRY_PASSWORD`, `KUBEWARD_REGISTRY_TOKEN`.
#[cfg(feature = "registry")]
pub(crate) fn pull_and_catalog(reference: &str, args: &RegistryArgs) -> Result<Pulled, Error> {
    use kubeward_image::image::registry::{pull_to_layout, Auth, PullOptions};
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let username = args
        .username
        .clone()
        .or_else(|| env("KUBEWARD_REGISTRY_USERNAME"));
    let password = args
        .password
        .clone()
        .or_else(|| env("KUBEWARD_REGISTRY_PASSWORD"));
    let token = args
        .registry_token
        .clone()
        .or_else(|| env("KUBEWARD_REGISTRY_TOKEN"));
    let auth = match (username, password, token) {
        (_, _, Some(t)) => Auth::Bearer(t),
        (Some(username), Some(password), None) => Auth::Basic { username, password },
        (Some(_), None, None) => {
            return Err(Error::Usage(
                "--username needs a password (--password or KUBEWARD_REGISTRY_PASSWORD)".into(),
            ))
        }
        (None, Some(_), None) => {
            return Err(Error::Usage(
                "--password needs a user name (--username or KUBEWARD_REGISTRY_USERNAME)".into(),
            ))
        }
        (None, None, None) => Auth::Anonymous,
    };
    let opts = PullOptions {
        auth,
        insecure: args.insecure,
        platform: args.platform.clone(),
        ..PullOptions::default()
    };
    let layout = pull_to_layout(reference, &opts).map_err(|e| Error::Input(e.to_string()))?;
    let mut catalog = catalog_source(layout.path(), &CatalogOptions::default())
        .map_err(|e| Error::Input(format!("{}: {e}", layout.reference)))?;
    catalog.source_name = Some(layout.reference.clone());
    Ok(Pulled {
        catalog,
        reference: layout.reference.clone(),
        manifest_digest: layout.manifest_digest.clone(),
        index_digest: layout.index_digest.clone(),
    })
}

/// Without the `registry` feature: a clear error.
#[cfg(not(feature = "registry"))]
pub(crate) fn pull_and_catalog(reference: &str, _args: &RegistryArgs) -> Result<Pulled, Error> {
    Err(Error::Usage(format!(
        "{reference}: this kubeward was built without registry support (cargo feature `registry`)"
    )))
}

/// Where a catalog came from.
pub(crate) enum Input {
    /// Read from an image or filesystem.
    Image(Catalog),
    /// Read from an SBOM document (CycloneDX or SPDX JSON).
    Sbom(Catalog),
}

/// Reads a parsed source into a catalog: pulls a registry image, reads an image or root
/// filesystem; with `allow_sbom`, reads an SBOM document (else an SBOM file is handed to the
/// image readers, which say what they found).
pub(crate) fn read_catalog(
    source: &Source,
    allow_sbom: bool,
    registry: &RegistryArgs,
) -> Result<Input, Error> {
    match source {
        Source::Registry(reference) => {
            Ok(Input::Image(pull_and_catalog(reference, registry)?.catalog))
        }
        Source::Sbom(path) if allow_sbom => {
            let data = kubeward_io::read_capped(path, kubeward_io::limits::SBOM)
                .map_err(|e| Error::Input(e.to_string()))?;
            let mut c = kubeward_image::sbom::read_sbom(&data)
                .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
            if c.source_name.is_none() {
                c.source_name = Some(path.display().to_string());
            }
            Ok(Input::Sbom(c))
        }
        Source::Path(path) | Source::Sbom(path) => {
            let c = catalog_source(path, &CatalogOptions::default())
                .map_err(|e| Error::Input(format!("{}: {e}", path.display())))?;
            Ok(Input::Image(c))
        }
    }
}

/// [`read_catalog`] of the source named by `path` (parsed with [`Source::parse`]).
pub(crate) fn read_input(
    path: &Path,
    allow_sbom: bool,
    registry: &RegistryArgs,
) -> Result<Input, Error> {
    let source = Source::parse(path).map_err(|e| Error::Input(e.to_string()))?;
    read_catalog(&source, allow_sbom, registry)
}

/// Prints the reader's warnings to standard error.
pub(crate) fn print_warnings(c: &Catalog) {
    let mut err = std::io::stderr().lock();
    for w in &c.warnings {
        let _ = writeln!(err, "kubeward: warning: {}", escape(&w.to_string()));
    }
}

/// Writes `bytes` to the file or to standard output (a closed pipe is not an error).
pub(crate) fn emit(output: Option<&Path>, bytes: &[u8]) -> Result<(), Error> {
    match output {
        Some(p) => std::fs::write(p, bytes)
            .map_err(|e| Error::Output(format!("{}: cannot write: {e}", p.display()))),
        None => {
            let mut out = std::io::stdout().lock();
            match out.write_all(bytes).and_then(|_| out.flush()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    Err(Error::Output(format!("cannot write output: {e}")))
                }
                _ => Ok(()),
            }
        }
    }
}

/// The database folder: `explicit`, else `$KUBEWARD_CACHE_DIR/osv`, else the user's cache.
pub(crate) fn db_dir(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(c) = std::env::var_os("KUBEWARD_CACHE_DIR").filter(|c| !c.is_empty()) {
        return Ok(PathBuf::from(c).join("osv"));
    }
    dirs::cache_dir()
        .map(|c| c.join("kubeward").join("osv"))
        .ok_or_else(|| {
            Error::Usage(
                "no cache folder for this user: pass --db-dir (or set KUBEWARD_CACHE_DIR)".into(),
            )
        })
}

/// Loads the vulnerability database that `vuln` and `inventory rescan` match against:
/// `explicit` (a folder of OSV JSON records, an osv.dev `all.zip`, one JSON file, or a folder
/// written by `kubeward db update`), else the `db update` folder ([`db_dir`]).
///
/// A database from which no record loads (empty, or every record broken) is an error: matching
/// against it would report "no vulnerability" for everything. Records that could not be loaded
/// are a warning on standard error.
pub(crate) fn load_for_matching(
    explicit: Option<&Path>,
) -> Result<kubeward_vuln::osv::Database, Error> {
    use kubeward_inventory::db;
    let path = match explicit {
        Some(p) => p.to_path_buf(),
        None => db_dir(None)?,
    };
    let input = |e: &dyn std::fmt::Display| Error::Input(e.to_string());
    let database = if db::is_database_dir(&path) {
        db::open(&path).map_err(|e| input(&e))?
    } else if explicit.is_none() {
        return Err(Error::Input(format!(
            "no vulnerability database in {}: run `kubeward db update` or pass --db PATH",
            path.display()
        )));
    } else {
        kubeward_vuln::osv::Database::load(&path).map_err(|e| input(&e))?
    };
    let errors = database.load_errors();
    let first = errors
        .first()
        .map(|e| format!("; first: {}: {}", e.path, e.message))
        .unwrap_or_default();
    if database.is_empty() {
        return Err(Error::Input(format!(
            "{}: no loadable OSV record ({} files or entries could not be loaded{first}); refusing to match against an empty database",
            path.display(),
            errors.len()
        )));
    }
    if let Some(e) = errors.first() {
        eprintln!(
            "kubeward: warning: {} OSV records could not be loaded (first: {})",
            errors.len(),
            escape(&format!("{}: {}", e.path, e.message)),
        );
    }
    Ok(database)
}

/// Writes text for people to standard output (a closed pipe is not an error).
pub(crate) fn print(text: &str) -> Result<(), Error> {
    emit(None, text.as_bytes())
}
