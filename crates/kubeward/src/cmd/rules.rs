//! `kubeward rules`: the rule catalogue as a table, JSON, or the Markdown of `docs/rules.md`.

use super::common::print;
use super::error::{Exit, Result};
use clap::{Args, ValueEnum};
use kubeward_report::catalog;
use kubeward_rules::{registry, RuleMeta};

/// `rules --format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Text,
    Json,
    Markdown,
}

/// Arguments of `kubeward rules`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value_t = RulesFormat::Text)]
    pub format: RulesFormat,
}

/// Runs `kubeward rules`.
pub fn run(args: RulesArgs) -> Result {
    let rules = registry::all();
    let metas: Vec<&RuleMeta> = rules.iter().map(|r| r.meta()).collect();
    let out = match args.format {
        RulesFormat::Text => catalog::text(&metas),
        RulesFormat::Json => catalog::json(&metas),
        RulesFormat::Markdown => catalog::markdown(&metas),
    };
    print(&out)?;
    Ok(Exit::Clean)
}
