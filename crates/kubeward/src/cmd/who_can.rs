//! `kubeward who-can VERB RESOURCE[/SUB] [-n NS] [PATH|-]...`: the subjects the RBAC objects
//! of the input (and Kubernetes' default ones) allow a request, each with the binding, role
//! and rule that grant it, and those that can obtain it through `bind` or `escalate`. The
//! answer is the engine's (`kubeward-rbac`); this module reads the inputs and prints.

use super::error::{Error, Exit, Result};
use clap::{Args, ValueEnum};
use kubeward_io::terminal::escape;
use kubeward_model::{Input, LoadError, Loader, Snapshot};
use kubeward_rbac::{Engine, Options, Request};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes of `who-can`.
pub const AFTER_HELP: &str = "Exit codes:\n  0  the answer was printed (even when nobody can)\n  2  usage or input errors (the answer is printed but may be incomplete)";

/// Input errors printed before the count of the others.
const SHOWN_ERRORS: usize = 5;

/// Output format of the RBAC queries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum QueryFormat {
    #[default]
    Text,
    Json,
}

/// What `who-can` and `can-i` share: the request and the inputs.
#[derive(Args, Debug)]
pub struct QueryArgs {
    /// The verb: get, list, watch, create, update, patch, delete, bind, escalate, impersonate...
    pub verb: String,
    /// RESOURCE[.GROUP][/SUBRESOURCE] (pods, pods/exec, deployments.apps) or a non-resource
    /// URL (/metrics). Known built-in resources get their group.
    pub resource: String,
    /// Manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// The namespace of the request (without: cluster-wide).
    #[arg(short = 'n', long)]
    pub namespace: Option<String>,
    /// One object's name (matched against resourceNames).
    #[arg(long)]
    pub name: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = QueryFormat::Text)]
    pub format: QueryFormat,
    /// Do not add Kubernetes' default ClusterRoles and ClusterRoleBindings the input lacks
    /// (for a full dump of a cluster, which holds the real ones).
    #[arg(long)]
    pub no_defaults: bool,
}

/// Arguments of `kubeward who-can`.
#[derive(Args, Debug)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub query: QueryArgs,
}

impl QueryArgs {
    /// The request these arguments ask about.
    pub fn request(&self) -> Result<Request> {
        let mut req = Request::parse(&self.verb, &self.resource, self.namespace.as_deref())
            .map_err(Error::Usage)?;
        if let Some(n) = &self.name {
            if req.target_is_url() {
                return Err(Error::Usage("--name applies to resources, not URLs".into()));
            }
            req = req.named(n);
        }
        Ok(req)
    }

    /// Loads the inputs and builds the engine; load errors are printed to standard error
    /// (the second value: whether there were any).
    pub fn engine(&self) -> Result<(Engine, bool)> {
        let snapshot = load(&self.paths)?;
        // the first errors, then a count: the answer only needs the RBAC objects
        let mut err = std::io::stderr().lock();
        for e in snapshot.errors.iter().take(SHOWN_ERRORS) {
            let _ = writeln!(err, "kubeward: {}", escape(&e.to_string()));
        }
        if snapshot.errors.len() > SHOWN_ERRORS {
            let _ = writeln!(
                err,
                "kubeward: and {} more input errors (`kubeward scan` lists them); the answer may be incomplete",
                snapshot.errors.len() - SHOWN_ERRORS
            );
        }
        let engine = Engine::new(
            &snapshot,
            Options {
                defaults: !self.no_defaults,
            },
        );
        Ok((engine, !snapshot.errors.is_empty()))
    }
}

/// Reads standard input (`-`, or no path with a pipe) and the paths into a snapshot.
pub(crate) fn load(paths: &[PathBuf]) -> Result<Snapshot> {
    let limits = kubeward_model::Limits::default();
    let loader = Loader::new(limits.clone());
    let mut paths = paths.to_vec();
    if paths.is_empty() {
        if std::io::stdin().is_terminal() {
            return Err(Error::Usage(
                "no input: give files or folders, or `-` for standard input (see --help)".into(),
            ));
        }
        paths.push(PathBuf::from("-"));
    }
    let (stdin_args, path_args): (Vec<_>, Vec<_>) =
        paths.into_iter().partition(|p| p.as_os_str() == "-");
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    if !stdin_args.is_empty() {
        match kubeward_model::load::read_input(std::io::stdin().lock(), limits.max_file_bytes) {
            Ok(Ok(bytes)) => inputs.push(Input::Bytes {
                name: "-".into(),
                bytes,
            }),
            Ok(Err(limit)) => errors.push(LoadError {
                file: "-".into(),
                line: 1,
                column: 1,
                message: format!(
                    "input is larger than the limit of {} MiB; not read",
                    limit / (1024 * 1024)
                ),
            }),
            Err(e) => return Err(Error::Input(format!("cannot read standard input: {e}"))),
        }
    }
    let (files, walk_errors) = loader.expand(&path_args, &|_: &Path| false);
    errors.extend(walk_errors);
    inputs.extend(files.into_iter().map(Input::Path));
    let mut snapshot = loader.load(inputs);
    snapshot.errors.splice(0..0, errors);
    Ok(snapshot)
}

/// Writes text or JSON to standard output (a closed pipe is not an error).
pub(crate) fn write_out(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Output(format!("cannot write output: {e}")))
        }
        _ => Ok(()),
    }
}

/// Runs `kubeward who-can`.
pub fn run(args: WhoCanArgs) -> Result {
    let q = &args.query;
    let req = q.request()?;
    let (engine, load_errors) = q.engine()?;
    let answer = engine.who_can(&req);
    let text = match q.format {
        QueryFormat::Json => {
            kubeward_report::rbac::json(&answer).map_err(|e| Error::Output(e.to_string()))?
        }
        QueryFormat::Text => kubeward_report::rbac::who_can_text(&req, &answer),
    };
    write_out(&text)?;
    Ok(if load_errors {
        Exit::Incomplete
    } else {
        Exit::Clean
    })
}
