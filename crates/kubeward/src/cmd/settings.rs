//! The flags of `kubeward scan` and `kubeward.yaml`, resolved into one [`ScanSettings`] value
//! here and nowhere else: the configuration file first, flags over it, every user string
//! parsed once (rule names and domains, severities, Pod Security level, formats).

use super::error::{Error, Result};
use crate::config::{self, parse_pod_security, Config, FailOn};
use clap::{Args, ValueEnum};
use kubeward_model::Limits;
use kubeward_report::Format;
use kubeward_rules::filter::{Baseline, Filters, Selection};
use kubeward_rules::{Level, PolicyVersion, Severity};
use std::path::{Path, PathBuf};

/// `scan --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Text,
    Json,
    Sarif,
    Junit,
}

impl From<ScanFormat> for Format {
    fn from(f: ScanFormat) -> Format {
        match f {
            ScanFormat::Text => Format::Text,
            ScanFormat::Json => Format::Json,
            ScanFormat::Sarif => Format::Sarif,
            ScanFormat::Junit => Format::Junit,
        }
    }
}

/// A severity written by the user (`--severity`), most severe first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SeverityArg {
    Critical,
    High,
    Medium,
    Low,
    Info,
}

impl From<SeverityArg> for Severity {
    fn from(s: SeverityArg) -> Severity {
        match s {
            SeverityArg::Critical => Severity::Critical,
            SeverityArg::High => Severity::High,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::Low => Severity::Low,
            SeverityArg::Info => Severity::Info,
        }
    }
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `--group-by`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Object,
    Rule,
    File,
}

impl From<GroupBy> for kubeward_report::text::GroupBy {
    fn from(g: GroupBy) -> Self {
        match g {
            GroupBy::Object => kubeward_report::text::GroupBy::Object,
            GroupBy::Rule => kubeward_report::text::GroupBy::Rule,
            GroupBy::File => kubeward_report::text::GroupBy::File,
        }
    }
}

/// The flags of `kubeward scan`.
#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or folders to scan; `-` reads standard input (the default when it is piped).
    pub paths: Vec<PathBuf>,
    /// Report format.
    #[arg(long, short = 'f', value_enum, default_value_t = ScanFormat::Text)]
    pub format: ScanFormat,
    /// Write the report to a file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Run only these rules or domains (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub select: Vec<String>,
    /// Skip these rules or domains (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Lowest severity that makes the exit code 1 (default: failOn of kubeward.yaml, else low).
    #[arg(long, value_enum, ignore_case = true, value_name = "SEVERITY")]
    pub fail_on: Option<FailOn>,
    /// Lowest severity shown in the report (display only; `--fail-on` still decides the exit
    /// code from every finding).
    #[arg(long, value_name = "LEVEL", value_enum, ignore_case = true)]
    pub severity: Option<SeverityArg>,
    /// How the text report groups findings: object (most severe objects first), rule, file
    /// (input order).
    #[arg(long, value_enum, default_value_t = GroupBy::Object)]
    pub group_by: GroupBy,
    /// Pod Security level (privileged, baseline, restricted) and version (latest, v1.N) where
    /// a namespace has no labels: LEVEL[:VERSION].
    #[arg(long, value_name = "LEVEL[:VERSION]", value_parser = parse_pod_security)]
    pub pod_security: Option<(Level, PolicyVersion)>,
    /// Kubernetes version of the target cluster (1.N); `latest` policies resolve to it.
    #[arg(long, value_name = "1.N", value_parser = config::parse_kubernetes_version)]
    pub kubernetes_version: Option<u32>,
    /// Configuration file (default: ./kubeward.yaml when present).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Suppress the findings recorded in this baseline file.
    #[arg(long)]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as the accepted baseline and exit 0.
    #[arg(long)]
    pub write_baseline: Option<PathBuf>,
    /// List suppressed findings too.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Colour: auto (terminal, honouring NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Largest input file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub max_file_size: u64,
    /// Print how long each phase took (load, analyse, filter, report) to standard error.
    #[arg(long)]
    pub timings: bool,
    /// Attach the vulnerabilities the image inventory holds for each container image
    /// (rule `vulnerable-image`); PATH defaults to the inventory store of `kubeward inventory`.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    pub inventory: Option<PathBuf>,
}

/// Which inventory store `scan --inventory` reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InventoryStore {
    /// The default store of `kubeward inventory`.
    Default,
    /// `--inventory PATH`.
    At(PathBuf),
}

impl InventoryStore {
    /// The explicit path, if any.
    pub fn path(&self) -> Option<&Path> {
        match self {
            InventoryStore::Default => None,
            InventoryStore::At(p) => Some(p),
        }
    }
}

/// Everything `kubeward scan` does, decided from the flags and `kubeward.yaml`.
pub struct ScanSettings {
    /// Files and folders; `-` is standard input. Empty: standard input if it is piped.
    pub paths: Vec<PathBuf>,
    pub format: Format,
    /// The report file; `None` is standard output.
    pub output: Option<PathBuf>,
    /// Which rules run.
    pub selection: Selection,
    /// What the rules assume (Pod Security level and version, Kubernetes version).
    pub analysis: kubeward_rules::Settings,
    /// Severity overrides, excluded namespaces, the baseline's fingerprints.
    pub filters: Filters,
    /// Paths left out of folder walks (`exclude.paths`).
    pub exclude: globset::GlobSet,
    /// Input size limits.
    pub limits: Limits,
    pub fail_on: FailOn,
    /// The display threshold (`--severity`).
    pub show_from: Option<Severity>,
    pub group_by: kubeward_report::text::GroupBy,
    /// ANSI colours in the text report on standard output.
    pub color: bool,
    pub show_suppressed: bool,
    pub timings: bool,
    pub write_baseline: Option<PathBuf>,
    /// `--inventory`: add `vulnerable-image` findings from this store.
    pub inventory: Option<InventoryStore>,
}

impl ScanSettings {
    /// Reads the configuration (`--config`, else `./kubeward.yaml` when present) and the
    /// baseline, and puts the flags over them.
    pub fn resolve(args: ScanArgs) -> Result<ScanSettings> {
        let cfg = load_config(args.config.as_deref())?;
        let select = if args.select.is_empty() {
            cfg.select.clone()
        } else {
            args.select.clone()
        };
        let mut ignore = cfg.ignore.clone();
        ignore.extend(args.ignore.iter().cloned());
        let selection = Selection::parse(&select, &ignore).map_err(|unknown| {
            Error::Usage(format!(
                "unknown rule or domain: {} (see `kubeward rules`)",
                unknown.join(", ")
            ))
        })?;
        let mut analysis = kubeward_rules::Settings::default();
        if let Some(p) = args.pod_security.or(cfg.pod_security) {
            analysis.pod_security = p;
        }
        analysis.kubernetes_minor = args.kubernetes_version.or(cfg.kubernetes_version);
        let fail_on = args.fail_on.or(cfg.fail_on).unwrap_or(FailOn::Low);
        let mut filters = Filters {
            severity: cfg.severity.clone(),
            exclude_namespaces: cfg.exclude_namespaces.clone(),
            ..Default::default()
        };
        if let Some(b) = &args.baseline {
            filters.baseline = read_baseline(b)?.fingerprints();
        }
        let exclude = build_excludes(&cfg.exclude_paths)?;
        let format = Format::from(args.format);
        let color = args.output.is_none()
            && match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    format == Format::Text
                        && anstream::AutoStream::choice(&std::io::stdout())
                            != anstream::ColorChoice::Never
                }
            };
        Ok(ScanSettings {
            paths: args.paths,
            format,
            output: args.output,
            selection,
            analysis,
            filters,
            exclude,
            limits: Limits {
                max_file_bytes: args.max_file_size.saturating_mul(1024 * 1024),
                ..Limits::default()
            },
            fail_on,
            show_from: args.severity.map(Severity::from),
            group_by: args.group_by.into(),
            color,
            show_suppressed: args.show_suppressed,
            timings: args.timings,
            write_baseline: args.write_baseline,
            inventory: args.inventory.map(|p| {
                if p.as_os_str().is_empty() {
                    InventoryStore::Default
                } else {
                    InventoryStore::At(p)
                }
            }),
        })
    }
}

fn read_baseline(path: &Path) -> Result<Baseline> {
    let text = kubeward_io::read_to_string_capped(path, kubeward_io::limits::BASELINE)
        .map_err(|e| Error::Input(format!("cannot read baseline: {e}")))?;
    serde_json::from_str(&text).map_err(|e| {
        Error::Input(format!(
            "{}:{}:{}: invalid baseline: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

fn load_config(path: Option<&Path>) -> Result<Config> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("kubeward.yaml"), false),
    };
    let cannot = |what: String| Error::Config(vec![format!("cannot read configuration: {what}")]);
    if !required {
        // read without being asked (CI checkouts): only a regular file (a symlink to one is
        // fine), not a device, FIFO or folder a symlink in the repository may point at
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(cannot(format!("{}: {e}", path.display()))),
            Ok(m) if !m.is_file() => {
                return Err(cannot(format!(
                    "{}: not a regular file (pass --config to read it anyway)",
                    path.display()
                )))
            }
            Ok(_) => {}
        }
    }
    let text = kubeward_io::read_to_string_capped(&path, kubeward_io::limits::CONFIG)
        .map_err(|e| cannot(e.to_string()))?;
    config::parse(&path.display().to_string(), &text).map_err(Error::Config)
}

fn build_excludes(patterns: &[String]) -> Result<globset::GlobSet> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let g = globset::Glob::new(p)
            .map_err(|e| Error::Config(vec![format!("exclude path {p:?}: {e}")]))?;
        b.add(g);
    }
    b.build().map_err(|e| Error::Config(vec![e.to_string()]))
}
