//! `kubeward explain RULE`: the documentation of one rule.

use super::common::print;
use super::error::{Error, Exit, Result};
use clap::Args;
use kubeward_rules::registry;

/// Arguments of `kubeward explain`.
#[derive(Args, Debug)]
pub struct ExplainArgs {
    /// Rule name (see `kubeward rules`).
    pub rule: String,
}

/// Runs `kubeward explain`.
pub fn run(args: ExplainArgs) -> Result {
    let rule = registry::find(&args.rule).ok_or_else(|| {
        Error::Usage(format!(
            "no rule named {:?}; `kubeward rules` lists them",
            args.rule
        ))
    })?;
    print(&kubeward_report::catalog::explain(rule.meta()))?;
    Ok(Exit::Clean)
}
