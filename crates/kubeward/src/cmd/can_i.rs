//! `kubeward can-i VERB RESOURCE[/SUB] --as SUBJECT [-n NS] [PATH|-]...`: may one identity
//! make a request, through which binding, role and rule; and, when it may not, how it could
//! give itself the right (`bind`, `escalate`). The answer is the engine's (`kubeward-rbac`).

use super::error::{Error, Exit, Result};
use super::who_can::{write_out, QueryArgs, QueryFormat};
use clap::Args;
use kubeward_rbac::Subject;

/// Exit codes of `can-i`.
pub const AFTER_HELP: &str = "Exit codes:\n  0  yes\n  1  no (even if it can obtain the right through bind or escalate: that is printed)\n  2  usage or input errors (the answer is printed but may be incomplete)";

/// Arguments of `kubeward can-i`.
#[derive(Args, Debug)]
pub struct CanIArgs {
    /// Who asks: system:serviceaccount:NAMESPACE:NAME, user:NAME or group:NAME (a member of
    /// the group). Service accounts are in system:serviceaccounts, system:serviceaccounts:NS
    /// and system:authenticated; users in system:authenticated.
    #[arg(long = "as", value_name = "SUBJECT")]
    pub subject: String,
    #[command(flatten)]
    pub query: QueryArgs,
}

/// Runs `kubeward can-i`.
pub fn run(args: CanIArgs) -> Result {
    let who = Subject::parse(&args.subject).map_err(Error::Usage)?;
    let q = &args.query;
    let req = q.request()?;
    let (engine, load_errors) = q.engine()?;
    let answer = engine.can(&who, &req);
    let text = match q.format {
        QueryFormat::Json => {
            kubeward_report::rbac::json(&answer).map_err(|e| Error::Output(e.to_string()))?
        }
        QueryFormat::Text => kubeward_report::rbac::can_i_text(&who, &req, &answer),
    };
    write_out(&text)?;
    Ok(if load_errors {
        Exit::Incomplete
    } else if answer.allowed {
        Exit::Clean
    } else {
        Exit::Findings
    })
}
