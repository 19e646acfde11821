//! `kubeward vuln SOURCE|SBOM`: match the packages of an image, a root filesystem or an SBOM
//! against OSV records and apply OpenVEX statements ([`kubeward_vuln::assess`]), then write
//! the report ([`kubeward_report::vuln`]: text, JSON, CycloneDX VDR, SARIF, OpenVEX).

use super::common::{emit, load_for_matching, print_warnings, read_input, Input, RegistryArgs};
use super::error::{finish, Error, Exit, Result};
use clap::{Args, ValueEnum};
use kubeward_report::vuln::{self, VulnResult};
use kubeward_vuln::osv::{CvssLevel, Match, VexDocument};
use kubeward_vuln::VulnOptions;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Exit codes and defaults, shown by `kubeward vuln --help`.
pub const AFTER_HELP: &str = "Exit codes:\n  0  no vulnerability at or above --fail-on, no error\n  1  vulnerabilities at or above --fail-on\n  2  usage or input errors, or versions that could not be compared (the package may be affected); matches are still reported\n\n--fail-on: critical, high, medium, low, any (every match, also those of unknown severity; the default), never.\nA match of unknown severity counts only for `any`.\n--db defaults to the folder `kubeward db update` fills.";

/// Output formats of `kubeward vuln`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum VulnFormat {
    /// Aligned columns for people.
    Text,
    /// `{"matches": [...], "errors": [...], "suppressed": [...], "summary": {...}}`.
    Json,
    /// The CycloneDX 1.6 SBOM with a `vulnerabilities` array (VDR; VEX-suppressed ones carry
    /// their analysis).
    Cyclonedx,
    /// SARIF 2.1.0: one result per match, ruleId = vulnerability id.
    Sarif,
    /// OpenVEX 0.2.0: one statement per match (`affected`) and per VEX-suppressed match.
    Openvex,
}

impl From<VulnFormat> for vuln::VulnFormat {
    fn from(f: VulnFormat) -> Self {
        match f {
            VulnFormat::Text => vuln::VulnFormat::Text,
            VulnFormat::Json => vuln::VulnFormat::Json,
            VulnFormat::Cyclonedx => vuln::VulnFormat::Cyclonedx,
            VulnFormat::Sarif => vuln::VulnFormat::Sarif,
            VulnFormat::Openvex => vuln::VulnFormat::Openvex,
        }
    }
}

/// Arguments of `kubeward vuln`.
#[derive(Args, Debug)]
pub struct VulnArgs {
    /// OCI layout folder, OCI archive, docker-save tarball, root filesystem folder, an SBOM
    /// (CycloneDX or SPDX JSON), or a registry image (`registry://host/repo:tag`,
    /// `ghcr.io/org/app:1`).
    pub source: PathBuf,
    /// OSV data: a folder of JSON records, an osv.dev all.zip export, one JSON file, or a
    /// folder written by `kubeward db update` (the default).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// OpenVEX document whose not_affected / fixed statements suppress matches (repeatable;
    /// for one match, a later document overrides an earlier one).
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Lowest severity that makes the exit code 1 (any: every match, also those of unknown
    /// severity).
    #[arg(long, value_name = "SEVERITY", value_enum, ignore_case = true, default_value_t = VulnFailOn::Any)]
    pub fail_on: VulnFailOn,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = VulnFormat::Text)]
    pub format: VulnFormat,
    /// Write the report to this file instead of standard output.
    #[arg(long, short = 'o')]
    pub output: Option<PathBuf>,
    /// Also match language packages whose files an OS package owns (by default the OS
    /// advisory covers them, and matching them upstream double-counts).
    #[arg(long)]
    pub include_os_owned: bool,
    /// List VEX-suppressed matches in the text report too.
    #[arg(long)]
    pub show_suppressed: bool,
    /// `timestamp` of the OpenVEX document (RFC 3339; default 1970-01-01T00:00:00Z, so that
    /// the output is deterministic).
    #[arg(long, value_name = "RFC3339")]
    pub timestamp: Option<String>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

/// `--fail-on`: the lowest severity that makes the exit code 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
#[value(rename_all = "lowercase")]
pub enum VulnFailOn {
    /// Critical matches.
    Critical,
    /// High or critical.
    High,
    /// Medium or above.
    #[value(alias = "moderate")]
    Medium,
    /// Low or above.
    Low,
    /// Every match, also those of unknown severity.
    #[value(aliases = ["unknown", "none", "negligible"])]
    Any,
    /// Never (exit 0 unless an error).
    Never,
}

impl VulnFailOn {
    fn fails(self, m: &Match) -> bool {
        let min = match self {
            VulnFailOn::Never => return false,
            VulnFailOn::Any => return true,
            VulnFailOn::Critical => CvssLevel::Critical,
            VulnFailOn::High => CvssLevel::High,
            VulnFailOn::Medium => CvssLevel::Medium,
            VulnFailOn::Low => CvssLevel::Low,
        };
        m.severity.as_ref().is_some_and(|s| s.level >= min)
    }
}

/// Runs `kubeward vuln`.
pub fn run(args: VulnArgs) -> ExitCode {
    finish(vuln_main(&args))
}

fn vuln_main(args: &VulnArgs) -> Result {
    let mut vex_docs = Vec::new();
    for v in &args.vex {
        let bytes = kubeward_io::read_capped(v, kubeward_io::limits::BASELINE)
            .map_err(|e| Error::Input(e.to_string()))?;
        let doc = VexDocument::parse(&bytes)
            .map_err(|e| Error::Input(format!("{}: {e}", v.display())))?;
        vex_docs.push(doc);
    }
    let (catalog, from_sbom) = match read_input(&args.source, true, &args.registry)? {
        Input::Image(c) => (c, false),
        Input::Sbom(c) => (c, true),
    };
    print_warnings(&catalog);
    // an empty database is an error; load warnings go to standard error
    let db = load_for_matching(args.db.as_deref())?;
    let opts = VulnOptions {
        include_os_owned: args.include_os_owned,
    };
    let report = kubeward_vuln::assess(&catalog, &db, &vex_docs, opts);
    let result = VulnResult {
        catalog: &catalog,
        report: &report,
        from_sbom,
        show_suppressed: args.show_suppressed,
        tool_version: env!("CARGO_PKG_VERSION"),
        timestamp: args.timestamp.as_deref(),
    };
    let mut bytes = Vec::new();
    vuln::write(args.format.into(), &result, &mut bytes)
        .map_err(|e| Error::Output(format!("cannot write the report: {e}")))?;
    emit(args.output.as_deref(), &bytes)?;
    if args.format != VulnFormat::Text {
        let mut err = std::io::stderr().lock();
        for e in &report.errors {
            let _ = writeln!(
                err,
                "kubeward: {}",
                kubeward_io::terminal::escape(&e.error.to_string())
            );
        }
    }
    Ok(if !report.errors.is_empty() {
        Exit::Incomplete
    } else if report
        .matches
        .iter()
        .any(|h| args.fail_on.fails(&h.matched))
    {
        Exit::Findings
    } else {
        Exit::Clean
    })
}
