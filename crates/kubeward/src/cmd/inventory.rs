//! `kubeward inventory add|rescan|list`: the local image inventory, and the step of `kubeward
//! scan --inventory` that turns its matches into `vulnerable-image` findings on the workloads
//! that run the images.
//!
//! The store is `--store PATH`, else `$KUBEWARD_DATA_DIR/inventory.db`, else the user's data
//! folder (`$XDG_DATA_HOME`, `~/.local/share`) + `kubeward/inventory.db`.

use clap::{Args, Subcommand, ValueEnum};
use kubeward_image::catalog::{catalog_source, CatalogOptions};
use kubeward_inventory::store::{
    normalize_reference, sbom_subject_digest, Change, ImageRecord, NewImage, RescanReport, Store,
    StoredMatch,
};
use kubeward_model::{
    effective_namespace, FieldPath, Index, Object, PodTemplate, Selector, Snapshot,
};
use kubeward_rules::finding::fingerprint;
use kubeward_rules::{Finding, Severity};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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
pub(crate) use super::common::{pull_and_catalog, RegistryArgs};

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
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            let _ = writeln!(
                std::io::stderr(),
                "kubeward: {}",
                kubeward_io::terminal::escape(&msg)
            );
            ExitCode::from(2)
        }
    }
}

/// Whether SOURCE names a registry image (and not an existing local path).
pub(crate) fn is_registry_source(source: &str) -> bool {
    if !source.starts_with("registry://") && Path::new(source).exists() {
        return false;
    }
    #[cfg(feature = "registry")]
    {
        kubeward_image::image::registry::is_registry_reference(source)
    }
    #[cfg(not(feature = "registry"))]
    {
        source.starts_with("registry://")
    }
}

fn add(a: AddArgs) -> Result<(), String> {
    let mut store = open_store(a.store.store.as_deref(), true)?;
    let src = a.source.as_str();
    let (catalog, reference, digest, index_digest, what) = if is_registry_source(src) {
        let p = pull_and_catalog(src, &a.registry)?;
        let reference = a.name.clone().unwrap_or_else(|| p.reference.clone());
        (
            p.catalog,
            reference,
            Some(p.manifest_digest),
            p.index_digest,
            "image",
        )
    } else {
        let path = Path::new(src);
        let meta = std::fs::metadata(path).map_err(|e| format!("{src}: {e}"))?;
        if meta.is_file() && starts_with_json_object(path) {
            let data = std::fs::read(path).map_err(|e| format!("{src}: {e}"))?;
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
        } else {
            let catalog = catalog_source(path, &CatalogOptions::default())
                .map_err(|e| format!("{src}: {e}"))?;
            for w in &catalog.warnings {
                eprintln!(
                    "kubeward: warning: {}",
                    kubeward_io::terminal::escape(&w.to_string())
                );
            }
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

/// True when the first non-blank byte of the file is `{`.
fn starts_with_json_object(path: &Path) -> bool {
    use std::io::Read;
    let mut buf = [0u8; 256];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut buf).unwrap_or(0);
    let text = buf[..n].strip_prefix(b"\xef\xbb\xbf").unwrap_or(&buf[..n]);
    text.iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
}

fn rescan(a: RescanArgs) -> Result<(), String> {
    // an empty database is an error (it would clear every stored match); load warnings go to
    // standard error
    let db = super::db::load_for_matching(a.db.as_deref())?;
    let mut store = open_store(a.store.store.as_deref(), false)?;
    let report = store.rescan(&db).map_err(|e| e.to_string())?;
    let out = match a.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&report).map_err(|e| e.to_string())? + "\n"
        }
        // text for people: through the one escaping function
        OutputFormat::Text => {
            kubeward_io::terminal::escape_multiline(&rescan_text(&report)).into_owned()
        }
    };
    print_out(&out)?;
    if !report.failed.is_empty() {
        return Err(format!(
            "{} stored images could not be rescanned (listed in the report); the others were",
            report.failed.len()
        ));
    }
    Ok(())
}

fn print_out(s: &str) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write output: {e}"))
        }
        _ => Ok(()),
    }
}

fn change_line(c: &Change) -> String {
    let v = &c.vulnerability;
    let fix = match (&v.state[..], &v.fixed_in) {
        ("fixed", Some(f)) => format!("fixed in {f}"),
        _ => "no fix".to_string(),
    };
    format!(
        "  {:<8} {:<22} {} {} ({}; {fix})  {}\n",
        v.severity.as_deref().unwrap_or("unknown"),
        v.id,
        v.package,
        v.version,
        v.ecosystem,
        if c.images.is_empty() {
            c.digest.clone()
        } else {
            c.images.join(", ")
        }
    )
}

fn rescan_text(r: &RescanReport) -> String {
    let mut s = format!(
        "Matched {} images ({} packages) against database {}: {} vulnerabilities.\n",
        r.images, r.packages, r.db_fingerprint, r.total
    );
    s.push_str(&format!(
        "Since the last match: {} newly vulnerable, {} no longer matching, {} unchanged.\n",
        r.newly_vulnerable.len(),
        r.newly_fixed.len(),
        r.unchanged
    ));
    if !r.newly_vulnerable.is_empty() {
        s.push_str("\nNewly vulnerable:\n");
        for c in &r.newly_vulnerable {
            s.push_str(&change_line(c));
        }
    }
    if !r.newly_fixed.is_empty() {
        s.push_str("\nNo longer matching (fixed or withdrawn):\n");
        for c in &r.newly_fixed {
            s.push_str(&change_line(c));
        }
    }
    if !r.failed.is_empty() {
        s.push_str(&format!(
            "\n{} images could not be rescanned (their previous results are kept):\n",
            r.failed.len()
        ));
        for f in &r.failed {
            s.push_str(&format!(
                "  {}: {}\n",
                if f.images.is_empty() {
                    f.digest.clone()
                } else {
                    f.images.join(", ")
                },
                f.message
            ));
        }
    }
    if !r.errors.is_empty() {
        s.push_str(&format!(
            "\n{} versions could not be compared (may be affected):\n",
            r.errors.len()
        ));
        for e in r.errors.iter().take(20) {
            s.push_str(&format!("  {e}\n"));
        }
    }
    s
}

fn list(a: ListArgs) -> Result<(), String> {
    let store = open_store_read_only(a.store.store.as_deref())?;
    let images = store.images().map_err(|e| e.to_string())?;
    let out = match a.format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&serde_json::json!({ "images": images }))
                .map_err(|e| e.to_string())?
                + "\n"
        }
        OutputFormat::Text => {
            if images.is_empty() {
                "no images in the inventory\n".to_string()
            } else {
                let header = [
                    "REFERENCE",
                    "DIGEST",
                    "PACKAGES",
                    "CRITICAL",
                    "HIGH",
                    "MEDIUM",
                    "LOW",
                    "UNKNOWN",
                    "MATCHED",
                ];
                let rows: Vec<Vec<String>> = images
                    .iter()
                    .map(|i| {
                        let m = &i.matches;
                        let matched = i.matched_at.is_some();
                        let n = |x: usize| {
                            if matched {
                                x.to_string()
                            } else {
                                "-".into()
                            }
                        };
                        vec![
                            i.reference.clone(),
                            short_digest(&i.digest),
                            i.packages.to_string(),
                            n(m.critical),
                            n(m.high),
                            n(m.medium),
                            n(m.low),
                            n(m.unknown),
                            i.matched_at.clone().unwrap_or_else(|| "never".into()),
                        ]
                    })
                    .collect();
                kubeward_io::terminal::escape_multiline(&columns(&header, &rows)).into_owned()
            }
        }
    };
    print_out(&out)
}

fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 => format!("{alg}:{}", &hex[..12]),
        _ => d.to_string(),
    }
}

/// Cells are terminal-escaped here, before widths are measured.
fn columns(header: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| kubeward_io::terminal::escape(c).into_owned())
                .collect()
        })
        .collect();
    let rows = rows.as_slice();
    let mut w: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(x) = w.get_mut(i) {
                *x = (*x).max(c.chars().count());
            }
        }
    }
    let line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                s.push_str(c);
            } else {
                s.push_str(&format!("{c:<width$}  ", width = w[i]));
            }
        }
        s.trim_end().to_string() + "\n"
    };
    let mut s = line(header.to_vec());
    for r in rows {
        s.push_str(&line(r.iter().map(String::as_str).collect()));
    }
    s
}

// ---- kubeward scan --inventory ----

/// Why a workload's vulnerabilities rank higher.
struct Exposure {
    reasons: Vec<String>,
    related: Vec<kubeward_model::ObjectRef>,
}

fn service_selects(svc: &Object, t: &PodTemplate<'_>) -> bool {
    let Some(sel) = svc.spec().get("selector") else {
        return false;
    };
    let sel = Selector::from_map(sel);
    if sel.is_empty() {
        return false;
    }
    let labels: Vec<(&str, &str)> = t.labels().collect();
    sel.matches(|k| labels.iter().find(|(lk, _)| *lk == k).map(|(_, v)| *v))
}

/// The Service names an Ingress routes to (`networking.k8s.io/v1` and the older
/// `serviceName` form).
fn ingress_backends(ing: &Object) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |b: Option<&kubeward_model::Node>| {
        if let Some(b) = b {
            if let Some(n) = b
                .get("service")
                .and_then(|s| s.str_at("name"))
                .or_else(|| b.str_at("serviceName"))
            {
                out.push(n.to_string());
            }
        }
    };
    let spec = ing.spec();
    add(spec.get("defaultBackend").or_else(|| spec.get("backend")));
    for rule in spec.get("rules").map(|r| r.items()).unwrap_or(&[]) {
        let paths = rule
            .get("http")
            .and_then(|h| h.get("paths"))
            .map(|p| p.items())
            .unwrap_or(&[]);
        for p in paths {
            add(p.get("backend"));
        }
    }
    out
}

fn exposure(index: &Index<'_>, t: &PodTemplate<'_>) -> Exposure {
    let ns = effective_namespace(t.object);
    let mut e = Exposure {
        reasons: Vec::new(),
        related: Vec::new(),
    };
    let services: Vec<&Object> = index
        .of_kind_in("Service", ns)
        .filter(|s| service_selects(s, t))
        .collect();
    for s in &services {
        let ty = s.spec().str_at("type").unwrap_or("ClusterIP");
        if ty == "LoadBalancer" || ty == "NodePort" {
            e.reasons.push(format!(
                "exposed to the internet by {ty} Service {}",
                s.oref.display()
            ));
            e.related.push(s.oref.clone());
        }
    }
    for ing in index.of_kind_in("Ingress", ns) {
        let backends = ingress_backends(ing);
        if let Some(s) = services
            .iter()
            .find(|s| backends.iter().any(|b| b == s.name()))
        {
            e.reasons.push(format!(
                "exposed to the internet by Ingress {} (Service {})",
                ing.oref.display(),
                s.name()
            ));
            e.related.push(ing.oref.clone());
        }
    }
    let privileged = t
        .containers()
        .iter()
        .any(|c| c.security_context().bool_at("privileged") == Some(true));
    if privileged {
        e.reasons.push("a container runs privileged".into());
    }
    if let Some(v) = t.volumes().iter().find(|v| v.source_type == "hostPath") {
        e.reasons.push(format!(
            "mounts the node's filesystem (hostPath volume {:?})",
            v.name
        ));
    }
    e
}

fn severity_of(m: &StoredMatch) -> Severity {
    match m.severity.as_deref() {
        Some("critical") => Severity::Critical,
        Some("high") => Severity::High,
        Some("medium") => Severity::Medium,
        _ => Severity::Low,
    }
}

fn bump(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

/// The error of `scan --inventory` when the store cannot be used, as an input error of the
/// scan (at the store file, 1:1), so that the report is still written and exits 2.
pub(crate) fn store_load_error(store: Option<&Path>, message: String) -> kubeward_model::LoadError {
    let file = store_path(store)
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "inventory".into());
    let message = message
        .strip_prefix(&format!("{file}: "))
        .map(str::to_string)
        .unwrap_or(message);
    kubeward_model::LoadError {
        file,
        line: 1,
        column: 1,
        message,
    }
}

/// Looks every container image of every pod template up in the inventory and makes one
/// `vulnerable-image` finding per container and stored match, ranked one level higher for
/// internet-exposed or privileged workloads. Also returns notes (images not in the
/// inventory, images never matched).
pub(crate) fn vulnerability_findings(
    snapshot: &Snapshot,
    store: Option<&Path>,
) -> Result<(Vec<Finding>, Vec<String>), String> {
    let path = store_path(store)?;
    if !path.exists() {
        return Err(format!(
            "{}: no inventory store; add images with `kubeward inventory add` (or pass --inventory PATH)",
            path.display()
        ));
    }
    // read-only: a running rescan or add neither blocks nor is blocked by a scan
    let store = Store::open_read_only(&path).map_err(|e| e.to_string())?;
    let index = Index::new(snapshot);
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let mut cache: std::collections::HashMap<String, Option<ImageRecord>> = Default::default();
    let rule = kubeward_rules::supply::VulnerableImage::META.name;
    for t in index.pod_templates() {
        let mut exp: Option<Exposure> = None;
        for c in t.containers() {
            let Some(image) = c.image().filter(|i| !i.trim().is_empty()) else {
                continue;
            };
            let rec = match cache.get(image) {
                Some(r) => r.clone(),
                None => {
                    let r = store.find(image).map_err(|e| e.to_string())?;
                    if r.is_none() {
                        notes.push(format!(
                            "image {image} is not in the inventory ({})",
                            normalize_reference(image)
                        ));
                    } else if r.as_ref().is_some_and(|r| r.matched_at.is_none()) {
                        notes.push(format!(
                            "image {image} is in the inventory but was never matched: run `kubeward inventory rescan`"
                        ));
                    }
                    cache.insert(image.to_string(), r.clone());
                    r
                }
            };
            let Some(rec) = rec else { continue };
            if rec.matches.is_empty() {
                continue;
            }
            let e = exp.get_or_insert_with(|| exposure(&index, t));
            let image_path: FieldPath = t.path(&c.rel_path().key("image"));
            for m in &rec.matches {
                let base = severity_of(m);
                let (severity, why) = if e.reasons.is_empty() {
                    (base, String::new())
                } else {
                    (
                        bump(base),
                        format!(
                            "; ranked {} instead of {base}: the workload {}",
                            bump(base),
                            kubeward_rules::finding::bounded_list(&e.reasons)
                        ),
                    )
                };
                let fix = match (&m.state[..], &m.fixed_in) {
                    ("fixed", Some(f)) => format!("fixed in {f}"),
                    _ => "no fix known".into(),
                };
                let message = format!(
                    "container {:?} runs {} with {} ({} severity) in {} {} ({fix}){why}",
                    c.name,
                    rec.reference,
                    m.id,
                    m.severity.as_deref().unwrap_or("unknown"),
                    m.package,
                    m.version,
                );
                let remediation = match (&m.state[..], &m.fixed_in) {
                    ("fixed", Some(f)) => format!(
                        "rebuild the image with {} {f} or later, deploy it pinned by digest, and add it to the inventory",
                        m.package
                    ),
                    _ => format!(
                        "no fixed version of {} is known: reduce the workload's exposure and privileges, or record an OpenVEX statement if the code is not reachable",
                        m.package
                    ),
                };
                let mut f = Finding::new(
                    rule,
                    severity,
                    snapshot,
                    t.object,
                    &image_path,
                    message,
                    remediation,
                );
                // one finding per vulnerability and package: the path alone is not unique
                f.fingerprint = fingerprint(
                    rule,
                    &t.object.oref,
                    &format!("{}#{}@{}", image_path, m.id, m.package),
                );
                f.set_related(&e.related);
                findings.push(f);
            }
        }
    }
    Ok((findings, notes))
}
