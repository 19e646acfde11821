//! The `kubeward` command line: a thin layer over the model, rules and report crates.

mod cmd;
mod config;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use config::{Config, FailOn};
use kubeward_model::{Input, Limits, Loader};
use kubeward_report::{Format, ScanResult, Suppressed};
use kubeward_rules::filter::{self, Baseline, Filters, Selection};
use kubeward_rules::{engine, registry, Settings};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

const AFTER_HELP: &str = "Exit codes:\n  0  no finding at or above --fail-on, no input error\n  1  findings at or above --fail-on\n  2  usage, configuration or input errors (unreadable or malformed files, wrong types); findings are still reported";

#[derive(Parser)]
#[command(name = "kubeward", version, about = "Kubernetes security scanner: Pod Security Standards, hardening, exposure, RBAC", after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    #[command(after_help = AFTER_HELP)]
    Scan(Box<ScanArgs>),
    /// List the rule catalogue.
    Rules {
        /// Output format.
        #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
        format: RulesFormat,
    },
    /// Print the documentation of one rule.
    Explain {
        /// Rule name (see `kubeward rules`).
        rule: String,
    },
    /// Write the SBOM of an image or root filesystem (CycloneDX 1.6, SPDX 2.3, JSON, table).
    Sbom(cmd::sbom::SbomArgs),
    /// Match an image, root filesystem or SBOM against OSV vulnerability data.
    #[command(after_help = cmd::vuln::AFTER_HELP)]
    Vuln(cmd::vuln::VulnArgs),
    /// Manage the local vulnerability database (osv.dev exports).
    Db {
        #[command(subcommand)]
        command: cmd::db::DbCommand,
    },
    /// The local image inventory: add images or SBOMs, re-match them as advisories change, list.
    Inventory {
        #[command(subcommand)]
        command: cmd::inventory::InventoryCommand,
    },
    /// Print a shell completion script: `kubeward completions bash > ~/.local/share/bash-completion/completions/kubeward`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: cmd::completions::Shell,
    },
    /// Print the man page (roff): `kubeward man > kubeward.1`.
    Man,
}

#[derive(Clone, Copy, ValueEnum)]
enum RulesFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum GroupByArg {
    Object,
    Rule,
    File,
}

fn parse_severity(s: &str) -> Result<kubeward_rules::Severity, String> {
    kubeward_rules::Severity::parse(s)
        .ok_or_else(|| format!("{s:?}: expected critical, high, medium, low or info"))
}

#[derive(Clone, Copy, ValueEnum, PartialEq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Args)]
struct ScanArgs {
    /// Files or folders to scan; `-` reads standard input (the default when it is piped).
    paths: Vec<PathBuf>,
    /// Report format: text, json, sarif, junit.
    #[arg(long, short = 'f', default_value = "text")]
    format: String,
    /// Write the report to a file instead of standard output.
    #[arg(long, short = 'o')]
    output: Option<PathBuf>,
    /// Run only these rules or domains (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    select: Vec<String>,
    /// Skip these rules or domains (comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Lowest severity that makes the exit code 1: critical, high, medium, low, info, never.
    #[arg(long)]
    fail_on: Option<String>,
    /// Lowest severity shown in the report: critical, high, medium, low, info (display only;
    /// `--fail-on` still decides the exit code from every finding).
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    severity: Option<kubeward_rules::Severity>,
    /// How the text report groups findings: object (most severe objects first), rule, file
    /// (input order).
    #[arg(long, value_enum, default_value_t = GroupByArg::Object)]
    group_by: GroupByArg,
    /// Pod Security level (and version) where a namespace has no labels: LEVEL[:VERSION].
    #[arg(long, value_name = "LEVEL[:VERSION]")]
    pod_security: Option<String>,
    /// Kubernetes version of the target cluster (1.N); `latest` policies resolve to it.
    #[arg(long, value_name = "1.N")]
    kubernetes_version: Option<String>,
    /// Configuration file (default: ./kubeward.yaml when present).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Suppress the findings recorded in this baseline file.
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Record the current findings as the accepted baseline and exit 0.
    #[arg(long)]
    write_baseline: Option<PathBuf>,
    /// List suppressed findings too.
    #[arg(long)]
    show_suppressed: bool,
    /// Colour: auto (terminal, honouring NO_COLOR), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    color: ColorChoice,
    /// Largest input file read, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    max_file_size: u64,
    /// Print how long each phase took (load, analyse, filter, report) to standard error.
    #[arg(long)]
    timings: bool,
    /// Attach the vulnerabilities the image inventory holds for each container image
    /// (rule `vulnerable-image`); PATH defaults to the inventory store of `kubeward inventory`.
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    inventory: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Scan(args) => match scan(*args) {
            Ok(code) => ExitCode::from(code),
            Err(msg) => {
                // errors quote paths and input: through the one escaping function
                let _ = writeln!(
                    std::io::stderr(),
                    "kubeward: {}",
                    kubeward_io::terminal::escape(&msg)
                );
                ExitCode::from(2)
            }
        },
        Command::Rules { format } => {
            print_rules(format);
            ExitCode::SUCCESS
        }
        Command::Sbom(args) => cmd::sbom::run(args),
        Command::Vuln(args) => cmd::vuln::run(args),
        Command::Db { command } => cmd::db::run(command),
        Command::Inventory { command } => cmd::inventory::run(command),
        Command::Completions { shell } => {
            cmd::completions::completions(shell, Cli::command(), &mut std::io::stdout())
        }
        Command::Man => cmd::completions::man(Cli::command(), &mut std::io::stdout()),
        Command::Explain { rule } => match registry::find(&rule) {
            Some(r) => {
                let m = r.meta();
                println!(
                    "{} ({}, default severity {})\n\n{}\n\n{}",
                    m.name,
                    m.domain,
                    m.severity,
                    m.summary,
                    m.doc.trim_end()
                );
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("kubeward: no rule named {rule:?}; `kubeward rules` lists them");
                ExitCode::from(2)
            }
        },
    }
}

fn print_rules(format: RulesFormat) {
    let rules = registry::all();
    match format {
        RulesFormat::Text => {
            let width = rules.iter().map(|r| r.meta().name.len()).max().unwrap_or(0);
            for r in &rules {
                let m = r.meta();
                println!(
                    "{:width$}  {:12}  {:8}  {}",
                    m.name,
                    m.domain,
                    m.severity.as_str(),
                    m.summary
                );
            }
        }
        RulesFormat::Json => {
            let v: Vec<_> = rules
                .iter()
                .map(|r| {
                    let m = r.meta();
                    serde_json::json!({"name": m.name, "domain": m.domain, "severity": m.severity, "summary": m.summary, "doc": m.doc})
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        RulesFormat::Markdown => print!("{}", rules_markdown()),
    }
}

/// The rule reference (docs/rules.md), generated from the rules' doc comments.
fn rules_markdown() -> String {
    let mut s = String::from("# Rule reference\n\nGenerated by `kubeward rules --format markdown` from the rules' doc comments; do not edit.\n\n| rule | domain | severity | summary |\n|---|---|---|---|\n");
    for r in registry::all() {
        let m = r.meta();
        s.push_str(&format!(
            "| [`{0}`](#{0}) | {1} | {2} | {3} |\n",
            m.name, m.domain, m.severity, m.summary
        ));
    }
    for r in registry::all() {
        let m = r.meta();
        let doc = m.doc.replace("\n## ", "\n#### ");
        let doc = doc
            .strip_prefix("## ")
            .map(|d| format!("#### {d}"))
            .unwrap_or(doc);
        s.push_str(&format!(
            "\n## {}\n\nDomain `{}`, default severity **{}**. {}\n\n{}\n",
            m.name,
            m.domain,
            m.severity,
            m.summary,
            doc.trim()
        ));
    }
    s
}

fn scan(args: ScanArgs) -> Result<u8, String> {
    let format = Format::parse(&args.format).ok_or_else(|| {
        format!(
            "unknown format {:?} (text, json, sarif, junit)",
            args.format
        )
    })?;
    // configuration: file, then flags over it
    let cfg = load_config(args.config.as_deref())?;
    let mut select = cfg.select.clone();
    if !args.select.is_empty() {
        select = args.select.clone();
    }
    let mut ignore = cfg.ignore.clone();
    ignore.extend(args.ignore.iter().cloned());
    let selection = Selection::parse(&select, &ignore).map_err(|unknown| {
        format!(
            "unknown rule or domain: {} (see `kubeward rules`)",
            unknown.join(", ")
        )
    })?;
    let mut settings = Settings::default();
    if let Some(p) = cfg.pod_security {
        settings.pod_security = p;
    }
    if let Some(p) = &args.pod_security {
        settings.pod_security = config::parse_pod_security(p)?;
    }
    settings.kubernetes_minor = cfg.kubernetes_version;
    if let Some(v) = &args.kubernetes_version {
        settings.kubernetes_minor = Some(config::parse_kubernetes_version(v)?);
    }
    let fail_on = match &args.fail_on {
        Some(s) => FailOn::parse(s)?,
        None => cfg
            .fail_on
            .unwrap_or(FailOn::Severity(kubeward_rules::Severity::Low)),
    };
    let mut filters = Filters {
        severity: cfg.severity.clone(),
        exclude_namespaces: cfg.exclude_namespaces.clone(),
        ..Default::default()
    };
    if let Some(b) = &args.baseline {
        let text = kubeward_io::read_to_string_capped(b, kubeward_io::limits::BASELINE)
            .map_err(|e| format!("cannot read baseline: {e}"))?;
        let baseline: Baseline = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}:{}:{}: invalid baseline: {e}",
                b.display(),
                e.line(),
                e.column()
            )
        })?;
        filters.baseline = baseline.fingerprints();
    }
    let exclude = build_excludes(&cfg.exclude_paths)?;

    // inputs
    let limits = Limits {
        max_file_bytes: args.max_file_size.saturating_mul(1024 * 1024),
        ..Limits::default()
    };
    let loader = Loader::new(limits.clone());
    let mut paths = args.paths.clone();
    let stdin_piped = !std::io::stdin().is_terminal();
    if paths.is_empty() {
        if stdin_piped {
            paths.push(PathBuf::from("-"));
        } else {
            return Err(
                "nothing to scan: give files or folders, or `-` for standard input (see --help)"
                    .into(),
            );
        }
    }
    let mut inputs = Vec::new();
    let mut input_errors = Vec::new();
    let (stdin_args, path_args): (Vec<_>, Vec<_>) =
        paths.into_iter().partition(|p| p.as_os_str() == "-");
    if !stdin_args.is_empty() {
        match kubeward_model::load::read_input(std::io::stdin().lock(), limits.max_file_bytes) {
            Ok(Ok(bytes)) => inputs.push(Input::Bytes {
                name: "-".into(),
                bytes,
            }),
            Ok(Err(limit)) => input_errors.push(kubeward_model::LoadError {
                file: "-".into(),
                line: 1,
                column: 1,
                message: format!(
                    "input is larger than the limit of {} MiB; not read",
                    limit / (1024 * 1024)
                ),
            }),
            Err(e) => return Err(format!("cannot read standard input: {e}")),
        }
    }
    let (files, walk_errors) = loader.expand(&path_args, &|p: &Path| exclude.is_match(p));
    input_errors.extend(walk_errors);
    let file_count = files.len() + inputs.len();
    inputs.extend(files.into_iter().map(Input::Path));
    let mut clock = Timings::new(args.timings);
    let mut snapshot = loader.load(inputs);
    snapshot.errors.splice(0..0, input_errors);
    clock.lap("load", format!("{} objects", snapshot.objects.len()));

    // analysis and filters
    let mut findings = engine::analyze(&snapshot, &settings, &|m| selection.includes(m));
    clock.lap("analyse", format!("{} findings", findings.len()));
    if let Some(store) = &args.inventory {
        if selection.includes(&kubeward_rules::supply::VulnerableImage::META) {
            let store = Some(store.as_path()).filter(|p| !p.as_os_str().is_empty());
            // a store that cannot be read is an error in the report (exit 2), not the end of it
            match cmd::inventory::vulnerability_findings(&snapshot, store) {
                Ok((vulns, notes)) => {
                    for n in notes {
                        eprintln!(
                            "kubeward: note: {}",
                            kubeward_io::terminal::escape(&n.to_string())
                        );
                    }
                    findings.extend(vulns);
                    findings = engine::sort_findings(findings);
                }
                Err(e) => snapshot
                    .errors
                    .push(cmd::inventory::store_load_error(store, e)),
            }
        }
    }
    if let Some(path) = &args.write_baseline {
        let filtered = filter::apply(
            &snapshot,
            findings,
            &Filters {
                baseline: Default::default(),
                ..filters
            },
        );
        let b = Baseline::from_findings(&filtered.findings);
        let text = serde_json::to_string_pretty(&b).map_err(|e| e.to_string())? + "\n";
        std::fs::write(path, text)
            .map_err(|e| format!("{}: cannot write baseline: {e}", path.display()))?;
        eprintln!(
            "kubeward: wrote {} findings to baseline {}",
            b.findings.len(),
            path.display()
        );
        return Ok(if snapshot.errors.is_empty() { 0 } else { 2 });
    }
    let filtered = filter::apply(&snapshot, findings, &filters);
    clock.lap(
        "filter",
        format!("{} suppressed", filtered.suppressed.len()),
    );
    let suppressed: Vec<Suppressed> = filtered
        .suppressed
        .into_iter()
        .map(|(finding, reason)| Suppressed {
            finding,
            reason: reason.to_string(),
        })
        .collect();
    // the display threshold hides findings from the report, not from the exit code
    let threshold = args.severity.unwrap_or(kubeward_rules::Severity::Info);
    let hidden = filtered
        .findings
        .iter()
        .filter(|f| f.severity < threshold)
        .count();
    let shown: std::borrow::Cow<'_, [kubeward_rules::Finding]> = if hidden == 0 {
        std::borrow::Cow::Borrowed(&filtered.findings)
    } else {
        std::borrow::Cow::Owned(
            filtered
                .findings
                .iter()
                .filter(|f| f.severity >= threshold)
                .cloned()
                .collect(),
        )
    };
    let layout = kubeward_report::text::Layout {
        group_by: match args.group_by {
            GroupByArg::Object => kubeward_report::text::GroupBy::Object,
            GroupByArg::Rule => kubeward_report::text::GroupBy::Rule,
            GroupByArg::File => kubeward_report::text::GroupBy::File,
        },
        hidden_below: args.severity.map(|t| (t, hidden)),
    };
    let emit = |w: &mut dyn std::io::Write, result: &ScanResult<'_>, color: bool| {
        if format == Format::Text {
            kubeward_report::text::write_with(result, w, color, &layout)
        } else {
            kubeward_report::write(format, result, w, color)
        }
    };
    let result = ScanResult {
        snapshot: &snapshot,
        findings: &shown,
        suppressed: &suppressed,
        show_suppressed: args.show_suppressed,
        files: file_count,
        tool_version: env!("CARGO_PKG_VERSION"),
    };

    // report
    match &args.output {
        Some(path) => {
            let cannot =
                |e: std::io::Error| format!("{}: cannot write report: {e}", path.display());
            let file = std::fs::File::create(path).map_err(cannot)?;
            let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
            emit(&mut w, &result, false)
                .and_then(|_| w.flush())
                .map_err(cannot)?;
        }
        None => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => {
                    format == Format::Text
                        && anstream::AutoStream::choice(&std::io::stdout())
                            != anstream::ColorChoice::Never
                }
            };
            let stdout = std::io::stdout();
            let mut lock = std::io::BufWriter::new(stdout.lock());
            let res = emit(&mut lock, &result, color).and_then(|_| lock.flush());
            if let Err(e) = res {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("cannot write report: {e}"));
                }
            }
        }
    }
    clock.lap("report", String::new());
    let code = if !snapshot.errors.is_empty() {
        2
    } else {
        let failing = match fail_on {
            FailOn::Never => false,
            FailOn::Severity(min) => filtered.findings.iter().any(|f| f.severity >= min),
        };
        u8::from(failing)
    };
    // The process ends here: freeing the snapshot's millions of nodes would only cost time.
    std::mem::forget(filtered.findings);
    std::mem::forget(suppressed);
    std::mem::forget(snapshot);
    Ok(code)
}

/// `--timings`: wall-clock time of each phase, on standard error.
struct Timings {
    on: bool,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl Timings {
    fn new(on: bool) -> Self {
        let now = std::time::Instant::now();
        Timings {
            on,
            start: now,
            last: now,
        }
    }

    fn lap(&mut self, phase: &str, what: String) {
        if self.on {
            let now = std::time::Instant::now();
            eprintln!(
                "kubeward: {phase:<8} {:>8.3}s  (total {:.3}s) {what}",
                (now - self.last).as_secs_f64(),
                (now - self.start).as_secs_f64()
            );
            self.last = now;
        }
    }
}

fn load_config(path: Option<&Path>) -> Result<Config, String> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("kubeward.yaml"), false),
    };
    let cannot = |what: String| format!("cannot read configuration: {what}");
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
    config::parse(&path.display().to_string(), &text).map_err(|errs| errs.join("\n"))
}

fn build_excludes(patterns: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        let g = globset::Glob::new(p).map_err(|e| format!("exclude path {p:?}: {e}"))?;
        b.add(g);
    }
    b.build().map_err(|e| e.to_string())
}
