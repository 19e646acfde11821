//! `kubeward inventory add|rescan|list`: the local image inventory, and its adapter to the
//! rules' image facts for `kubeward scan --inventory` (rule `vulnerable-image` makes the
//! findings in the engine).
//!
//! The store is `--store PATH`, else `$KUBEWARD_DATA_DIR/inventory.db`, else the user's data
//! folder (`$XDG_DATA_HOME`, `~/.local/share`) + `kubeward/inventory.db`.

use clap::{Args, Subcommand, ValueEnum};
use kubeward_image::catalog::{catalog_source, CatalogOptions};
use kubeward_image::image::Source;
use kubeward_inventory::store::{
    normalize_reference, sbom_subject_digest, Change, ImageSummary, NewImage, RescanReport, Store,
    StoredMatch,
};
use kubeward_model::{LoadError, Snapshot};
use kubeward_report::inventory as report;
use kubeward_rules::engine;
use kubeward_rules::facts::{
    ImageFacts, ImageVulnerabilities, ImageVulnerability, VulnerabilityLevel,
};
use kubeward_rules::{Finding, RuleMeta, Settings};
use kubeward_vuln::osv::{CvssLevel, FixState};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

/// `kubeward inventory` subcommands.
#[derive(Subcommand, Debug)]
pub enum InventoryCommand {
    /// Catalog an image (registry reference, OCI layout or archive, docker-save tarball, root
    /// filesystem) or import an SBOM (CycloneDX or SPDX JSON), and store it.
    Add(AddArgs),
    /// Match every stored SBOM again (no image is read) and report what changed since the
    /// last match: newly vulnerable, no longer matching, unchanged.
    Rescan(RescanArgs),
    /// List the stored images with their package counts and last match counts by severity.
    List(ListArgs),
}

/// Output format of `rescan` and `list`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// For people.
    Text,
    /// JSON.
    Json,
}

/// The store option every subcommand takes.
#[derive(Args, Debug)]
pub struct StoreArg {
    /// Inventory store (default: $KUBEWARD_DATA_DIR/inventory.db, else the user's data folder
    /// + kubeward/inventory.db).
    #[arg(long, value_name = "PATH")]
    pub store: Option<PathBuf>,
}

// Registry pulls live in `common` (sbom and vuln use them too); the old paths still work.
use super::common::{load_for_matching, print, print_warnings, pull_and_catalog, RegistryArgs};
use super::error::{finish, Error, Exit};

/// Arguments of `inventory add`.
#[derive(Args, Debug)]
pub struct AddArgs {
    /// `registry://host[:port]/repo:tag`, a reference with a registry host
    /// (`ghcr.io/org/app:1`), an OCI layout folder or archive, a docker-save tarball, a root
    /// filesystem folder, or an SBOM file.
    pub source: String,
    /// The reference to record (default: the registry reference, else the image's own name,
    /// else the path).
    #[arg(long, value_name = "REF")]
    pub name: Option<String>,
    #[command(flatten)]
    pub store: StoreArg,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// Arguments of `inventory rescan`.
#[derive(Args, Debug)]
pub struct RescanArgs {
    /// OSV database: a folder of OSV JSON files, an osv.dev `all.zip`, or the folder written
    /// by `kubeward db update` (the default).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArg,
}

/// Arguments of `inventory list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub store: StoreArg,
}

/// The store file: `explicit`, else `$KUBEWARD_DATA_DIR/inventory.db`, else the user's data
/// folder + `kubeward/inventory.db`.
pub(crate) fn store_path(explicit: Option<&Path>) -> Result<PathBuf, String> {
    if let Some(p) = explicit {
        return Ok(p.to_path_buf());
    }
    if let Some(d) = std::env::var_os("KUBEWARD_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(d).join("inventory.db"));
    }
    dirs::data_dir()
        .map(|d| d.join("kubeward").join("inventory.db"))
        .ok_or_else(|| {
            "no data folder for this user: pass --store (or set KUBEWARD_DATA_DIR)".into()
        })
}

/// Opens the store, creating its folder when needed.
fn open_store(explicit: Option<&Path>, create: bool) -> Result<Store, String> {
    let path = store_path(explicit)?;
    if !create && !path.exists() {
        return Err(format!(
            "{}: no inventory store yet; add an image with `kubeward inventory add`",
            path.display()
        ));
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("{}: cannot create folder: {e}", parent.display()))?;
    }
    Store::open(&path).map_err(|e| e.to_string())
}

/// Opens an existing store for reading (`list`, `scan --inventory`): read-only, so it neither
/// waits for nor blocks a running `add` or `rescan`.
fn open_store_read_only(explicit: Option<&Path>) -> Result<Store, String> {
    let path = store_path(explicit)?;
    if !path.exists() {
        return Err(format!(
            "{}: no inventory store yet; add an image with `kubeward inventory add`",
            path.display()
        ));
    }
    Store::open_read_only(&path).map_err(|e| e.to_string())
}

/// Runs an inventory subcommand; exit code 0 on success, 2 on errors.
pub fn run(cmd: InventoryCommand) -> ExitCode {
    let res = match cmd {
        InventoryCommand::Add(a) => add(a),
        InventoryCommand::Rescan(a) => rescan(a),
        InventoryCommand::List(a) => list(a),
    };
    finish(res.map(|()| Exit::Clean).map_err(Error::Input))
}

fn add(a: AddArgs) -> Result<(), String> {
    let mut store = open_store(a.store.store.as_deref(), true)?;
    let src = a.source.as_str();
    let source = Source::parse(src).map_err(|e| e.to_string())?;
    let (catalog, reference, digest, index_digest, what) = match &source {
        Source::Registry(r) => {
            let p = pull_and_catalog(r, &a.registry)?;
            let reference = a.name.clone().unwrap_or_else(|| p.reference.clone());
            (
                p.catalog,
                reference,
                Some(p.manifest_digest),
                p.index_digest,
                "image",
            )
        }
        Source::Sbom(path) => {
            let data = kubeward_io::read_capped(path, kubeward_io::limits::SBOM)
                .map_err(|e| e.to_string())?;
            let catalog =
                kubeward_image::sbom::read_sbom(&data).map_err(|e| format!("{src}: {e}"))?;
            let doc: serde_json::Value =
                serde_json::from_slice(&data).map_err(|e| format!("{src}: {e}"))?;
            let reference = a
                .name
                .clone()
                .or_else(|| catalog.source_name.clone().filter(|n| !n.is_empty()))
                .unwrap_or_else(|| src.to_string());
            (catalog, reference, sbom_subject_digest(&doc), None, "SBOM")
        }
        Source::Path(path) => {
            let catalog = catalog_source(path, &CatalogOptions::default())
                .map_err(|e| format!("{src}: {e}"))?;
            print_warnings(&catalog);
            let reference = a
                .name
                .clone()
                .or_else(|| catalog.source.names.first().cloned())
                .unwrap_or_else(|| src.to_string());
            (catalog, reference, None, None, "image")
        }
    };
    let added = store
        .add(&NewImage {
            reference: &reference,
            digest: digest.as_deref(),
            index_digest: index_digest.as_deref(),
            catalog: &catalog,
        })
        .map_err(|e| e.to_string())?;
    let line = format!(
        "{} {what} {} ({}, {} packages) to {}",
        if added.already_present {
            "refreshed"
        } else {
            "added"
        },
        added.reference,
        added.digest,
        added.packages,
        store.path().display()
    );
    println!("{}", kubeward_io::terminal::escape(&line));
    Ok(())
}

fn rescan(a: RescanArgs) -> Result<(), String> {
    // an empty database is an error (it would clear every stored match); load warnings go to
    // standard error
    let db = load_for_matching(a.db.as_deref())?;
    let mut store = open_store(a.store.store.as_deref(), false)?;
    let found = store.rescan(&db).map_err(|e| e.to_string())?;
    let out = match a.format {
        OutputFormat::Json => report::to_json(&found).map_err(|e| e.to_string())?,
        // text for people: through the one escaping function
        OutputFormat::Text => {
            kubeward_io::terminal::escape_multiline(&report::rescan_text(&rescan_view(&found)))
                .into_owned()
        }
    };
    print(&out)?;
    if !found.failed.is_empty() {
        return Err(format!(
            "{} stored images could not be rescanned (listed in the report); the others were",
            found.failed.len()
        ));
    }
    Ok(())
}

/// A change of the store's rescan report as the report crate's view of it.
fn change_view(c: &Change) -> report::ChangeView<'_> {
    let v = &c.vulnerability;
    report::ChangeView {
        severity: v.severity,
        id: &v.id,
        package: &v.package,
        version: &v.version,
        ecosystem: &v.ecosystem,
        fixed_in: v.fixed_in.as_deref().filter(|_| v.state == FixState::Fixed),
        images: &c.images,
        digest: &c.digest,
    }
}

/// The store's rescan report as the report crate's view of it.
fn rescan_view(r: &RescanReport) -> report::RescanView<'_> {
    report::RescanView {
        db_fingerprint: &r.db_fingerprint,
        images: r.images,
        packages: r.packages,
        total: r.total,
        newly_vulnerable: r.newly_vulnerable.iter().map(change_view).collect(),
        newly_fixed: r.newly_fixed.iter().map(change_view).collect(),
        unchanged: r.unchanged,
        failed: (r.failed.iter())
            .map(|f| report::FailedView {
                images: &f.images,
                digest: &f.digest,
                message: &f.message,
            })
            .collect(),
        errors: &r.errors,
    }
}

/// A stored image as a row of the report crate's list.
fn image_row(i: &ImageSummary) -> report::ImageRow<'_> {
    let m = &i.matches;
    report::ImageRow {
        reference: &i.reference,
        digest: &i.digest,
        packages: i.packages,
        matched_at: i.matched_at.as_deref(),
        matches: report::Counts {
            critical: m.critical,
            high: m.high,
            medium: m.medium,
            low: m.low,
            unknown: m.unknown,
        },
    }
}

fn list(a: ListArgs) -> Result<(), String> {
    let store = open_store_read_only(a.store.store.as_deref())?;
    let images = store.images().map_err(|e| e.to_string())?;
    let out = match a.format {
        OutputFormat::Json => report::list_json(&images).map_err(|e| e.to_string())?,
        OutputFormat::Text => report::list_text(&images.iter().map(image_row).collect::<Vec<_>>()),
    };
    Ok(print(&out)?)
}

// ---- kubeward scan --inventory ----

/// The image inventory as the rules' [`ImageFacts`]: each image a container names is looked
/// up once (by digest when the manifest pins one, else by reference). Images not in the
/// inventory and images never matched become notes; a store error stops the lookups and is
/// kept for the scan's report.
pub(crate) struct InventoryFacts {
    store: Mutex<Store>,
    state: Mutex<Lookups>,
}

#[derive(Default)]
struct Lookups {
    known: HashMap<String, Option<ImageVulnerabilities>>,
    notes: Vec<String>,
    error: Option<String>,
}

/// A stored match as a fact of the rules.
fn fact_of(m: &StoredMatch) -> ImageVulnerability {
    ImageVulnerability {
        id: m.id.clone(),
        package: m.package.clone(),
        version: m.version.clone(),
        fixed_in: m.fixed_in.clone().filter(|_| m.state == FixState::Fixed),
        severity: m.severity.map(|l| match l {
            CvssLevel::Critical => VulnerabilityLevel::Critical,
            CvssLevel::High => VulnerabilityLevel::High,
            CvssLevel::Medium => VulnerabilityLevel::Medium,
            CvssLevel::Low => VulnerabilityLevel::Low,
            CvssLevel::None => VulnerabilityLevel::None,
        }),
    }
}

impl InventoryFacts {
    /// Opens the store read-only: a running `rescan` or `add` neither blocks nor is blocked
    /// by a scan.
    pub(crate) fn open(store: Option<&Path>) -> Result<InventoryFacts, String> {
        let path = store_path(store)?;
        if !path.exists() {
            return Err(format!(
                "{}: no inventory store; add images with `kubeward inventory add` (or pass --inventory PATH)",
                path.display()
            ));
        }
        let store = Store::open_read_only(&path).map_err(|e| e.to_string())?;
        Ok(InventoryFacts {
            store: Mutex::new(store),
            state: Mutex::new(Lookups::default()),
        })
    }

    /// The notes of the lookups made, in order, and the store error that stopped them.
    pub(crate) fn finish(self) -> (Vec<String>, Option<String>) {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        (state.notes, state.error)
    }
}

impl ImageFacts for InventoryFacts {
    fn vulnerabilities(&self, image: &str) -> Option<ImageVulnerabilities> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(known) = st.known.get(image) {
            return known.clone();
        }
        if st.error.is_some() {
            return None;
        }
        let found = self
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .find(image);
        let rec = match found {
            Ok(r) => r,
            Err(e) => {
                st.error = Some(e.to_string());
                return None;
            }
        };
        match &rec {
            None => st.notes.push(format!(
                "image {image} is not in the inventory ({})",
                normalize_reference(image)
            )),
            Some(r) if r.matched_at.is_none() => st.notes.push(format!(
                "image {image} is in the inventory but was never matched: run `kubeward inventory rescan`"
            )),
            Some(_) => {}
        }
        let facts = rec.map(|r| ImageVulnerabilities {
            vulnerabilities: r.matches.iter().map(fact_of).collect(),
            reference: r.reference,
        });
        st.known.insert(image.to_string(), facts.clone());
        facts
    }
}

/// The error of `scan --inventory` when the store cannot be used, as an input error of the
/// scan (at the store file, 1:1), so that the report is still written and exits 2.
pub(crate) fn store_load_error(store: Option<&Path>, message: String) -> LoadError {
    let file = store_path(store)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "inventory".into());
    let message = message
        .strip_prefix(&format!("{file}: "))
        .map(str::to_string)
        .unwrap_or(message);
    LoadError {
        file,
        line: 1,
        column: 1,
        message,
    }
}

/// `scan --inventory`: the analysis with the inventory's facts, so that `vulnerable-image`
/// reports the stored vulnerabilities of every container image. A store that cannot be used
/// is an input error of the scan (the report is still written, exit 2); notes go to
/// standard error.
pub(crate) fn analyze_with_inventory(
    snapshot: &mut Snapshot,
    settings: &Settings,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
    store: Option<&Path>,
) -> Vec<Finding> {
    let facts = match InventoryFacts::open(store) {
        Ok(f) => Some(f),
        Err(e) => {
            snapshot.errors.push(store_load_error(store, e));
            None
        }
    };
    let findings = engine::analyze_with_facts(
        snapshot,
        settings,
        facts.as_ref().map(|f| f as &dyn ImageFacts),
        select,
    );
    if let Some(f) = facts {
        let (notes, error) = f.finish();
        for n in notes {
            eprintln!("kubeward: note: {}", kubeward_io::terminal::escape(&n));
        }
        if let Some(e) = error {
            snapshot.errors.push(store_load_error(store, e));
        }
    }
    findings
}
