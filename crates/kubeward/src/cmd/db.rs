//! `kubeward db update|status`: the local vulnerability database (osv.dev exports).
//!
//! The folder is, in order: `--db-dir`, `$KUBEWARD_CACHE_DIR/osv`, the user's cache folder
//! (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
//! `%LOCALAPPDATA%` on Windows) + `kubeward/osv`.

use super::common::db_dir;
use super::error::{Error, Exit, Result};
#[cfg(feature = "download")]
use clap::Args;
use clap::Subcommand;
use kubeward_inventory::db;
#[cfg(feature = "download")]
use kubeward_inventory::db::{Event, Outcome, UpdateOptions};
use kubeward_report::table::columns;
#[cfg(feature = "download")]
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// `kubeward db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Download or refresh osv.dev exports (resumable, verified, swapped in atomically).
    #[command(
        after_help = "Exit codes:\n  0  every ecosystem is up to date\n  2  a download failed or was rejected (the previous data of that ecosystem is kept)"
    )]
    #[cfg(feature = "download")]
    Update(UpdateArgs),
    /// Show the database folder and what it holds.
    Status {
        /// Database folder (default: the user's cache, see `kubeward db update --help`).
        #[arg(long)]
        db_dir: Option<PathBuf>,
    },
}

/// Arguments of `kubeward db update`.
#[cfg(feature = "download")]
#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// osv.dev ecosystem to fetch (repeatable): PyPI, npm, crates.io, Go, Maven, Debian,
    /// Ubuntu, Alpine, "Red Hat", "Rocky Linux", AlmaLinux... Default: those already in the
    /// database, else all of these.
    #[arg(long = "ecosystem", value_name = "NAME")]
    pub ecosystems: Vec<String>,
    /// Database folder (default: $KUBEWARD_CACHE_DIR/osv, else the user's cache folder + kubeward/osv).
    #[arg(long)]
    pub db_dir: Option<PathBuf>,
    /// Where the exports are (`<URL>/<Ecosystem>/all.zip`).
    #[arg(long, value_name = "URL", default_value = db::DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Deadline of each ecosystem's download, in seconds (redirects included); a transfer
    /// still running then stops, and its part is resumed by the next run.
    #[arg(long, value_name = "SECS", default_value_t = 1800, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// Minimum transfer rate in bytes per second, averaged over --rate-window; a slower
    /// transfer (or one that stalls for a whole window) stops. 0 disables the minimum.
    #[arg(long, value_name = "BYTES", default_value_t = 1024)]
    pub min_rate: u64,
    /// Window of --min-rate, in seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_window: u64,
    /// How long to wait, in seconds, while another `db update` holds the folder's lock.
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub lock_timeout: u64,
}

/// The proxy for `url` from the usual variables, unless the host is loopback or in NO_PROXY.
#[cfg(feature = "download")]
fn proxy_for(url: &str) -> Option<String> {
    let var = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
    };
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(h) = authority.strip_prefix('[') {
        h.split(']').next().unwrap_or("")
    } else {
        authority
            .rsplit_once(':')
            .map(|(h, _)| h)
            .unwrap_or(authority)
    }
    .to_ascii_lowercase();
    if host == "localhost" || host == "::1" || host.starts_with("127.") {
        return None;
    }
    if let Some(no) = var(&["NO_PROXY", "no_proxy"]) {
        for pat in no.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let pat = pat.trim_start_matches('.').to_ascii_lowercase();
            if pat == "*" || host == pat || host.ends_with(&format!(".{pat}")) {
                return None;
            }
        }
    }
    if url.starts_with("https:") {
        var(&["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"])
    } else {
        var(&["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"])
    }
}

/// Runs `kubeward db ...`.
pub fn run(cmd: DbCommand) -> Result {
    match cmd {
        #[cfg(feature = "download")]
        DbCommand::Update(a) => update(a),
        DbCommand::Status { db_dir } => status(db_dir),
    }
}

#[cfg(feature = "download")]
fn update(a: UpdateArgs) -> Result {
    let dir = db_dir(a.db_dir.as_deref())?;
    let mut ecosystems = a.ecosystems.clone();
    if ecosystems.is_empty() {
        ecosystems = match db::read_manifest(&dir).map_err(|e| Error::Input(e.to_string()))? {
            Some(m) if !m.ecosystems.is_empty() => m.ecosystems.keys().cloned().collect(),
            _ => db::DEFAULT_ECOSYSTEMS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
    }
    let mut seen = std::collections::HashSet::new();
    ecosystems.retain(|e| seen.insert(e.clone()));
    for e in &ecosystems {
        db::check_ecosystem(e).map_err(|e| Error::Usage(e.to_string()))?;
    }
    let mut opts = UpdateOptions::new(&dir);
    opts.base_url = a.base_url.clone();
    opts.proxy = proxy_for(&a.base_url);
    opts.limits = db::transfer::Limits {
        deadline: std::time::Duration::from_secs(a.timeout),
        min_rate: a.min_rate,
        window: std::time::Duration::from_secs(a.rate_window),
    };
    opts.lock_timeout = std::time::Duration::from_secs(a.lock_timeout);

    let interactive = std::io::stderr().is_terminal();
    let mut bar: Option<indicatif::ProgressBar> = None;
    let mut on_event = |ev: Event<'_>| {
        if !interactive {
            return;
        }
        match ev {
            Event::Start {
                ecosystem,
                resumed_from,
                total,
            } => {
                let b = match total {
                    Some(t) => indicatif::ProgressBar::new(t),
                    None => indicatif::ProgressBar::new_spinner(),
                };
                let style = indicatif::ProgressStyle::with_template(
                    "{prefix:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {eta}",
                )
                .map(|s| s.progress_chars("=> "));
                if let (Ok(s), Some(_)) = (style, total) {
                    b.set_style(s);
                }
                b.set_prefix(ecosystem.to_string());
                b.set_position(resumed_from);
                bar = Some(b);
            }
            Event::Progress { done, .. } => {
                if let Some(b) = &bar {
                    b.set_position(done);
                }
            }
            Event::Verifying { .. } => {
                if let Some(b) = bar.take() {
                    b.finish_and_clear();
                }
            }
        }
    };
    let results = db::update(&opts, &ecosystems, &mut on_event);
    let mut failed = 0;
    let mut err = std::io::stderr().lock();
    for (eco, r) in results {
        match r {
            Ok(Outcome::Updated(e)) => {
                let _ = writeln!(
                    err,
                    "{eco}: updated, {} records, {} bytes, sha256 {}",
                    e.records, e.size, e.sha256
                );
            }
            Ok(Outcome::UpToDate(e)) => {
                let _ = writeln!(err, "{eco}: up to date ({} records)", e.records);
            }
            Err(e) => {
                failed += 1;
                let line = format!("{eco}: {e}");
                let _ = writeln!(err, "kubeward: {}", kubeward_io::terminal::escape(&line));
            }
        }
    }
    let dir_text = dir.display().to_string();
    let _ = writeln!(
        err,
        "database: {}",
        kubeward_io::terminal::escape(&dir_text)
    );
    Ok(if failed > 0 {
        Exit::Incomplete
    } else {
        Exit::Clean
    })
}

fn status(dir: Option<PathBuf>) -> Result {
    let dir = db_dir(dir.as_deref())?;
    let m = db::read_manifest(&dir).map_err(|e| Error::Input(e.to_string()))?;
    let dir_text = dir.display().to_string();
    println!("database: {}", kubeward_io::terminal::escape(&dir_text));
    match m {
        None => {
            println!("empty: run `kubeward db update`");
            Ok(Exit::Incomplete)
        }
        Some(m) => {
            let rows: Vec<Vec<String>> = m
                .ecosystems
                .iter()
                .map(|(k, e)| {
                    vec![
                        k.clone(),
                        e.records.to_string(),
                        e.size.to_string(),
                        e.last_modified.clone().unwrap_or_default(),
                        e.sha256.chars().take(16).collect(),
                    ]
                })
                .collect();
            print!(
                "{}",
                columns(
                    &["ECOSYSTEM", "RECORDS", "BYTES", "LAST-MODIFIED", "SHA256"],
                    &rows
                )
            );
            Ok(Exit::Clean)
        }
    }
}
