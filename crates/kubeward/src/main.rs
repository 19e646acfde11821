//! The `kubeward` command line: parses the arguments and hands each subcommand to its module
//! in `cmd/`. Exit codes are decided in `cmd::error`.

mod cmd;
mod config;

use clap::{CommandFactory, Parser, Subcommand};
use cmd::error::finish;
use std::process::ExitCode;

#[derive(Parser)]
#[command(name = "kubeward", version, about = "Kubernetes security scanner: Pod Security Standards, hardening, exposure, RBAC", after_help = cmd::scan::AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Scan manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    #[command(after_help = cmd::scan::AFTER_HELP)]
    Scan(Box<cmd::settings::ScanArgs>),
    /// List the rule catalogue.
    Rules(cmd::rules::RulesArgs),
    /// Print the documentation of one rule.
    Explain(cmd::explain::ExplainArgs),
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
    /// Who may make a request: subjects, with the binding, role and rule that grant it.
    #[command(name = "who-can", after_help = cmd::who_can::AFTER_HELP)]
    WhoCan(cmd::who_can::WhoCanArgs),
    /// May one subject make a request (`--as system:serviceaccount:NS:NAME`), and why.
    #[command(name = "can-i", after_help = cmd::can_i::AFTER_HELP)]
    CanI(cmd::can_i::CanIArgs),
    /// Attack paths: from the internet to node root and cluster-admin, every hop with its
    /// evidence, and the choke points that cut them.
    #[command(after_help = cmd::paths::AFTER_HELP)]
    Paths(Box<cmd::paths::PathsArgs>),
    /// The admission webhook: AdmissionReview v1 over HTTPS, Pod Security admission's
    /// verdicts and messages plus the rest of the catalogue.
    #[command(after_help = cmd::serve::AFTER_HELP)]
    Serve(Box<cmd::serve::ServeArgs>),
    /// Pod Security tools: `pss preview` lists what a namespace level would reject.
    Pss {
        #[command(subcommand)]
        command: cmd::pss::PssCommand,
    },
    /// NetworkPolicy reachability: `netpol matrix` (who can reach whom, per port) and
    /// `netpol can-reach FROM TO --port N/PROTO` (and the policies and rules that decide it).
    Netpol {
        #[command(subcommand)]
        command: cmd::netpol::NetpolCommand,
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

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Scan(args) => finish(cmd::scan::run(*args)),
        Command::Rules(args) => finish(cmd::rules::run(args)),
        Command::Explain(args) => finish(cmd::explain::run(args)),
        Command::Sbom(args) => finish(cmd::sbom::run(args)),
        Command::Vuln(args) => cmd::vuln::run(args),
        Command::Db { command } => finish(cmd::db::run(command)),
        Command::Inventory { command } => cmd::inventory::run(command),
        Command::WhoCan(args) => finish(cmd::who_can::run(args)),
        Command::CanI(args) => finish(cmd::can_i::run(args)),
        Command::Paths(args) => finish(cmd::paths::run(*args)),
        Command::Serve(args) => finish(cmd::serve::run(*args)),
        Command::Pss { command } => finish(cmd::pss::run(command)),
        Command::Netpol { command } => finish(cmd::netpol::run(command)),
        Command::Completions { shell } => finish(cmd::completions::completions(
            shell,
            Cli::command(),
            &mut std::io::stdout(),
        )),
        Command::Man => finish(cmd::completions::man(
            Cli::command(),
            &mut std::io::stdout(),
        )),
    }
}
