//! `kubeward paths [PATH|-]...`: the attack paths of a snapshot, from the internet (or
//! `--from` an object) to a node or cluster-admin (or `--to` a sink), each hop with its
//! evidence, and the choke points that cut them. The graph is `kubeward-paths`'; the
//! renderings are `kubeward_report::paths`'; this module reads the inputs, applies the
//! options and decides the exit code.

use super::error::{Error, Exit, Result};
use super::who_can::load;
use clap::{Args, ValueEnum};
use kubeward_io::terminal::escape;
use kubeward_model::{Index, Snapshot};
use kubeward_paths::{Assume, Graph, Query};
use kubeward_rbac::{Engine, Options};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Instant;

/// Exit codes of `paths`.
pub const AFTER_HELP: &str = "Exit codes:
  0  no path from the internet reaches a node or cluster-admin (with --diff: the change opens none)
  1  the internet reaches a node (root) or cluster-admin (with --diff: the change opens such a path;
     with --from or --to: a path of the query exists)
  2  usage or input errors (the paths are printed but may be incomplete)

Examples:
  kubeward paths examples/shop
  kubeward paths cluster-dump.yaml --format html -o paths.html
  kubeward paths --from workload:shop/Deployment/frontend k8s/     # assume that pod is breached
  kubeward paths --to cluster-admin k8s/
  kubeward paths --diff base/ k8s/                                  # pull-request mode
  kubeward paths --assume psa-bypassed k8s/                         # ignore Pod Security labels";

/// Input errors printed before the count of the others.
const SHOWN_ERRORS: usize = 5;

/// Output formats of `paths`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum PathsFormat {
    #[default]
    Text,
    Json,
    Sarif,
    Dot,
    Mermaid,
    Html,
}

/// Conditions `--assume` can set (edges carry them as attributes; none is dropped silently).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum AssumeArg {
    /// Pod Security `enforce` labels are not effective (admission bypassed, plugin off, label
    /// changed): privileged pods can be created everywhere.
    PsaBypassed,
    /// Every service-account token is mounted (ignore `automountServiceAccountToken: false`).
    TokensMounted,
    /// The Linux security modules (AppArmor, seccomp) do not stop escapes that need them off.
    NoLsm,
}

/// Arguments of `kubeward paths`.
#[derive(Args, Debug)]
pub struct PathsArgs {
    /// Manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PathsFormat::Text)]
    pub format: PathsFormat,
    /// Write the report to this file instead of standard output.
    #[arg(short = 'o', long)]
    pub output: Option<PathBuf>,
    /// Start from this vertex instead of the internet (an assumed breach): a vertex id
    /// (`workload:shop/Deployment/frontend`, `serviceaccount:shop/web`) or a unique suffix of one
    /// (`shop/Deployment/frontend`).
    #[arg(long, value_name = "OBJECT")]
    pub from: Option<String>,
    /// Only the paths to this sink: `node`, `cluster-admin`, `namespace-admin`, or a vertex id
    /// (`secret:shop/db`), which becomes a sink.
    #[arg(long, value_name = "SINK")]
    pub to: Option<String>,
    /// Report only the paths that the inputs open compared with this base (a file or folder of
    /// the same manifests before the change): pull-request mode.
    #[arg(long, value_name = "BASE_PATH")]
    pub diff: Option<PathBuf>,
    /// Take a condition as given (repeatable).
    #[arg(long, value_enum)]
    pub assume: Vec<AssumeArg>,
    /// Judge exposure and lateral movement with the NetworkPolicy engine: a route the policies
    /// close to outside addresses gets a condition and a weight; a container reaches, over the
    /// pod network, the workloads worth taking that every pod may reach. Slower on large
    /// clusters (see BENCHMARKS.md).
    #[arg(long)]
    pub network: bool,
    /// Print the time of each phase on standard error.
    #[arg(long)]
    pub timings: bool,
    /// Do not add Kubernetes' default ClusterRoles and ClusterRoleBindings the input lacks
    /// (for a full dump of a cluster, which holds the real ones).
    #[arg(long)]
    pub no_defaults: bool,
    /// Colour of the text report.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    pub color: Color,
}

/// When to colour the text report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Color {
    Auto,
    Always,
    Never,
}

/// Phase timings, printed with `--timings`.
struct Timings {
    on: bool,
    start: Instant,
    last: Instant,
}

impl Timings {
    fn new(on: bool) -> Timings {
        let now = Instant::now();
        Timings {
            on,
            start: now,
            last: now,
        }
    }

    fn phase(&mut self, name: &str) {
        let now = Instant::now();
        if self.on {
            eprintln!(
                "kubeward: timing {name:<14} {:>9.1} ms",
                (now - self.last).as_secs_f64() * 1e3
            );
        }
        self.last = now;
    }

    fn total(&self) {
        if self.on {
            eprintln!(
                "kubeward: timing {:<14} {:>9.1} ms",
                "total",
                self.start.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}

/// Loads inputs, printing the first load errors; whether there were any.
fn load_inputs(paths: &[PathBuf]) -> Result<(Snapshot, bool)> {
    let snapshot = load(paths)?;
    let mut err = std::io::stderr().lock();
    for e in snapshot.errors.iter().take(SHOWN_ERRORS) {
        let _ = writeln!(err, "kubeward: {}", escape(&e.to_string()));
    }
    if snapshot.errors.len() > SHOWN_ERRORS {
        let _ = writeln!(
            err,
            "kubeward: and {} more input errors (`kubeward scan` lists them); the paths may be incomplete",
            snapshot.errors.len() - SHOWN_ERRORS
        );
    }
    let errors = !snapshot.errors.is_empty();
    Ok((snapshot, errors))
}

/// The graph of one snapshot, with the query's paths and choke points.
fn graph_of(
    snapshot: &Snapshot,
    args: &PathsArgs,
    query: &Query,
    t: &mut Timings,
) -> Result<Graph> {
    let index = Index::new(snapshot);
    t.phase("index");
    let rbac = Engine::new(
        snapshot,
        Options {
            defaults: !args.no_defaults,
        },
    );
    t.phase("rbac");
    let graph = kubeward_paths::build_with(snapshot, &index, &rbac, &query.assume);
    t.phase("graph");
    let graph = graph.analyse_query(query).map_err(Error::Usage)?;
    t.phase("paths+choke");
    Ok(graph)
}

/// Runs `kubeward paths`.
pub fn run(args: PathsArgs) -> Result {
    let mut t = Timings::new(args.timings);
    let mut assume = Assume {
        network: args.network,
        ..Assume::default()
    };
    for a in &args.assume {
        match a {
            AssumeArg::PsaBypassed => assume.psa_bypassed = true,
            AssumeArg::TokensMounted => assume.tokens_mounted = true,
            AssumeArg::NoLsm => assume.no_lsm = true,
        }
    }
    let query = Query {
        from: args.from.clone(),
        to: args.to.clone(),
        assume,
    };
    let (snapshot, mut errors) = load_inputs(&args.paths)?;
    t.phase("load");
    let mut graph = graph_of(&snapshot, &args, &query, &mut t)?;
    drop(snapshot);
    if let Some(base) = &args.diff {
        let (base_snap, base_errors) = load_inputs(std::slice::from_ref(base))?;
        errors |= base_errors;
        t.phase("load base");
        let base_graph = graph_of(&base_snap, &args, &query, &mut t)?;
        graph = graph
            .opened_since(&base_graph, &query)
            .map_err(Error::Usage)?;
        t.phase("diff");
    }
    let reached = graph.paths.iter().any(|p| {
        query.from.is_some()
            || query.to.is_some()
            || graph.vertex(&p.to).is_some_and(|v| v.kind.is_breach())
    });
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => {
            args.output.is_none()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let mut buf: Vec<u8> = Vec::new();
    let rendered = render(&graph, args.format, color, &mut buf);
    rendered.map_err(|e| Error::Output(format!("cannot render the paths: {e}")))?;
    match &args.output {
        Some(file) => std::fs::write(file, &buf).map_err(|e| {
            Error::Output(format!(
                "cannot write {}: {e}",
                escape(&file.display().to_string())
            ))
        })?,
        None => super::who_can::write_out(&String::from_utf8_lossy(&buf))?,
    }
    t.phase("render");
    t.total();
    Ok(if errors {
        Exit::Incomplete
    } else if reached {
        Exit::Findings
    } else {
        Exit::Clean
    })
}

/// Writes the graph in the chosen format.
fn render(
    graph: &Graph,
    format: PathsFormat,
    color: bool,
    buf: &mut Vec<u8>,
) -> std::io::Result<()> {
    use kubeward_report::paths;
    match format {
        PathsFormat::Text => paths::text(
            graph,
            &paths::Options {
                color,
                max_paths: None,
            },
            buf,
        ),
        PathsFormat::Json => paths::json(graph, buf),
        PathsFormat::Sarif => paths::sarif(graph, buf),
        PathsFormat::Dot => paths::dot(graph, buf),
        PathsFormat::Mermaid => paths::mermaid(graph, buf),
        PathsFormat::Html => paths::html(graph, buf),
    }
}
