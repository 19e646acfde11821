//! `kubeward netpol`: NetworkPolicy reachability. `matrix` prints who can reach whom on some
//! ports (text, JSON, CSV, DOT, or counts for large clusters); `can-reach` answers one
//! question with the policies and rules that decide each side. The answers are the engine's
//! (`kubeward-netpol`), rendered by its `render` module; this module reads the inputs, parses
//! the flags and prints.

use super::error::{Error, Exit, Result};
use super::who_can::{load, write_out};
use clap::{Args, Subcommand, ValueEnum};
use kubeward_io::terminal::escape;
use kubeward_netpol::{render, Endpoint, Matrix, Network, PortProto};
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Exit codes of `netpol matrix`.
pub const MATRIX_AFTER_HELP: &str = "Endpoints are <namespace>/<pod or workload name> (<namespace>/<kind>/<name> where two kinds share a name) and ip:<address>. Without --ports, every containerPort the input declares (80/TCP when none).\n\nExit codes:\n  0  the matrix was printed\n  2  usage or input errors (the matrix is printed but may be incomplete)";

/// Exit codes of `netpol can-reach`.
pub const CAN_REACH_AFTER_HELP: &str = "Endpoints are <namespace>/<pod or workload name> (<namespace>/<kind>/<name> where two kinds share a name) and ip:<address> (a pod's status.podIP names that pod).\n\nExit codes:\n  0  allowed\n  1  denied\n  2  usage or input errors (the answer is printed but may be incomplete)";

/// Input errors and model warnings printed before the count of the others.
const SHOWN: usize = 5;

/// Pairs the per-pair formats print at most; beyond, `--format summary`.
const MAX_ROWS: u128 = 2_000_000;

/// The `netpol` subcommands.
#[derive(Subcommand, Debug)]
pub enum NetpolCommand {
    /// Who can reach whom: every ordered pair of endpoints, per port.
    #[command(after_help = MATRIX_AFTER_HELP)]
    Matrix(MatrixArgs),
    /// Can one endpoint reach another on a port, and which policies and rules decide it.
    #[command(name = "can-reach", after_help = CAN_REACH_AFTER_HELP)]
    CanReach(CanReachArgs),
    /// Suggested NetworkPolicies per namespace (default deny plus what Services, Ingresses
    /// and DNS need), as YAML to review before applying.
    #[command(after_help = SUGGEST_AFTER_HELP)]
    Suggest(SuggestArgs),
}

/// Output format of `netpol matrix`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum MatrixFormat {
    /// A grid per port (rows: from, columns: to).
    #[default]
    Text,
    /// `{"rows": [{"from", "to", "port", "protocol", "allowed"}]}`.
    Json,
    /// `from,to,port,protocol,allowed`.
    Csv,
    /// Graphviz: an edge per allowed pair, labelled with its ports.
    Dot,
    /// Allowed and denied pair counts per namespace pair and per equivalence class.
    Summary,
}

/// Arguments of `kubeward netpol matrix`.
#[derive(Args, Debug)]
pub struct MatrixArgs {
    /// Manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// Destination ports, comma-separated: 80/TCP,53/UDP (the protocol defaults to TCP).
    #[arg(long, value_delimiter = ',')]
    pub ports: Vec<String>,
    /// An external address to include as an endpoint (repeatable).
    #[arg(long = "external", value_name = "IP")]
    pub externals: Vec<String>,
    /// Output format (`summary` for large clusters; `--format json` with summary counts:
    /// `summary` then pipe).
    #[arg(short, long, value_enum, default_value_t = MatrixFormat::Text)]
    pub format: MatrixFormat,
    /// With `--format summary`: write the counts as JSON.
    #[arg(long)]
    pub json: bool,
    /// Print how long loading, the model, each matrix phase and the output took (standard
    /// error).
    #[arg(long)]
    pub timings: bool,
}

/// Output format of `netpol can-reach`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum VerdictFormat {
    #[default]
    Text,
    Json,
}

/// Arguments of `kubeward netpol can-reach`.
#[derive(Args, Debug)]
pub struct CanReachArgs {
    /// The source: namespace/name or ip:ADDRESS.
    pub from: String,
    /// The destination: namespace/name or ip:ADDRESS.
    pub to: String,
    /// Manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    pub paths: Vec<PathBuf>,
    /// The destination port: N/PROTO (80/TCP, 53/UDP; the protocol defaults to TCP).
    #[arg(long, value_name = "N/PROTO")]
    pub port: String,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = VerdictFormat::Text)]
    pub format: VerdictFormat,
}

/// Runs `kubeward netpol ...`.
pub fn run(command: NetpolCommand) -> Result {
    match command {
        NetpolCommand::Matrix(args) => matrix(args),
        NetpolCommand::CanReach(args) => can_reach(args),
        NetpolCommand::Suggest(args) => suggest(args),
    }
}

/// Loads the inputs into the engine; prints the first input errors and model warnings.
/// The second value: whether there were input errors.
fn network(paths: &[PathBuf]) -> Result<(Network, bool, Duration, Duration)> {
    let t0 = Instant::now();
    let snapshot = load(paths)?;
    let loaded = t0.elapsed();
    let t1 = Instant::now();
    let net = Network::new(&snapshot);
    let built = t1.elapsed();
    let mut err = std::io::stderr().lock();
    for e in snapshot.errors.iter().take(SHOWN) {
        let _ = writeln!(err, "kubeward: {}", escape(&e.to_string()));
    }
    if snapshot.errors.len() > SHOWN {
        let _ = writeln!(
            err,
            "kubeward: and {} more input errors (`kubeward scan` lists them); the answer may be incomplete",
            snapshot.errors.len() - SHOWN
        );
    }
    let warnings = &net.model.warnings;
    for w in warnings.iter().take(SHOWN) {
        let _ = writeln!(
            err,
            "kubeward: {}: {}",
            escape(&w.location),
            escape(&w.message)
        );
    }
    if warnings.len() > SHOWN {
        let _ = writeln!(
            err,
            "kubeward: and {} more policy fields that were read as failing closed",
            warnings.len() - SHOWN
        );
    }
    Ok((net, !snapshot.errors.is_empty(), loaded, built))
}

fn parse_ports(ports: &[String]) -> Result<Vec<PortProto>> {
    let mut out = Vec::new();
    for p in ports.iter().filter(|p| !p.trim().is_empty()) {
        let q = PortProto::parse(p.trim()).map_err(Error::Usage)?;
        if !out.contains(&q) {
            out.push(q);
        }
    }
    Ok(out)
}

fn matrix(args: MatrixArgs) -> Result {
    let mut ports = parse_ports(&args.ports)?;
    let mut externals: Vec<IpAddr> = Vec::new();
    for e in &args.externals {
        let ip: IpAddr = e
            .strip_prefix("ip:")
            .unwrap_or(e)
            .parse()
            .map_err(|_| Error::Usage(format!("--external {e:?} is not an IP address")))?;
        if !externals.contains(&ip) {
            externals.push(ip);
        }
    }
    if args.json && args.format != MatrixFormat::Summary {
        return Err(Error::Usage("--json goes with --format summary".into()));
    }
    let (net, load_errors, loaded, built) = network(&args.paths)?;
    if ports.is_empty() {
        ports = declared_ports(&net);
    }
    // an address of a pod is that pod
    externals.retain(|ip| {
        let pod = matches!(net.endpoint(&format!("ip:{ip}")), Ok(Endpoint::Pod(_)));
        if pod {
            let _ = writeln!(
                std::io::stderr(),
                "kubeward: --external {ip} is the address of a pod: it is that pod's row"
            );
        }
        !pod
    });
    let need = Matrix::estimate_bytes(net.class_count() + externals.len(), ports.len());
    if need > kubeward_netpol::matrix::MAX_BYTES {
        return Err(Error::Usage(format!(
            "the matrix of {} ports over {} equivalence classes would take {} MiB (limit {} MiB): give fewer --ports, or ask can-reach",
            ports.len(),
            net.class_count() + externals.len(),
            need >> 20,
            kubeward_netpol::matrix::MAX_BYTES >> 20
        )));
    }
    let t = Instant::now();
    let m = Matrix::new(&net, &ports, &externals);
    let computed = t.elapsed();
    if args.format != MatrixFormat::Summary {
        let rows = render::pair_count(&net, &m);
        if rows > MAX_ROWS {
            return Err(Error::Usage(format!(
                "{rows} rows ({} endpoints, {} ports): use --format summary (counts per namespace pair and class)",
                net.pods().len() + externals.len(),
                ports.len()
            )));
        }
    }
    let t = Instant::now();
    let text = match args.format {
        MatrixFormat::Text => render::text(&net, &m),
        MatrixFormat::Json => render::json(&net, &m),
        MatrixFormat::Csv => render::csv(&net, &m),
        MatrixFormat::Dot => render::dot(&net, &m),
        MatrixFormat::Summary => {
            let s = m.summary(&net);
            if args.json {
                render::summary_json(&s)
            } else {
                render::summary_text(&s)
            }
        }
    };
    let rendered = t.elapsed();
    let t = Instant::now();
    write_out(&text)?;
    let written = t.elapsed();
    if args.timings {
        let mut err = std::io::stderr().lock();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let _ = writeln!(
            err,
            "timings: load {:.1} ms; model and classes {:.1} ms ({} pods, {} classes, {} policies)",
            ms(loaded),
            ms(built),
            net.pods().len(),
            net.class_count(),
            net.policies().len()
        );
        let phases: Vec<String> = m
            .timings
            .iter()
            .map(|(name, d)| format!("{name} {:.1} ms", ms(*d)))
            .collect();
        let _ = writeln!(
            err,
            "timings: matrix {:.1} ms ({}); {} {:.1} ms; output {:.1} ms",
            ms(computed),
            phases.join(", "),
            if args.format == MatrixFormat::Summary {
                "summary"
            } else {
                "render"
            },
            ms(rendered),
            ms(written)
        );
    }
    Ok(if load_errors {
        Exit::Incomplete
    } else {
        Exit::Clean
    })
}

/// Every containerPort the input declares (80/TCP when none).
fn declared_ports(net: &Network) -> Vec<PortProto> {
    let mut ports: Vec<PortProto> = net
        .pods()
        .iter()
        .flat_map(|p| p.container_ports.iter().copied())
        .collect();
    ports.sort();
    ports.dedup();
    if ports.is_empty() {
        ports.push(PortProto {
            port: 80,
            protocol: kubeward_netpol::Protocol::Tcp,
        });
    }
    ports
}

fn can_reach(args: CanReachArgs) -> Result {
    let q = PortProto::parse(&args.port).map_err(|e| Error::Usage(format!("--port: {e}")))?;
    let (net, load_errors, _, _) = network(&args.paths)?;
    let from = net.endpoint(&args.from).map_err(Error::Usage)?;
    let to = net.endpoint(&args.to).map_err(Error::Usage)?;
    if matches!((&from, &to), (Endpoint::External(_), Endpoint::External(_))) {
        return Err(Error::Usage(
            "both endpoints are external addresses: no policy of the input applies".into(),
        ));
    }
    let v = net.can_reach(&from, &to, q.port, q.protocol);
    let text = match args.format {
        VerdictFormat::Text => render::verdict_text(&net, &from, &to, q, &v),
        VerdictFormat::Json => render::verdict_json(&net, &from, &to, q, &v),
    };
    write_out(&text)?;
    Ok(if load_errors {
        Exit::Incomplete
    } else if v.allowed {
        Exit::Clean
    } else {
        Exit::Findings
    })
}

/// Exit codes and use of `netpol suggest`.
pub const SUGGEST_AFTER_HELP: &str = "Writes YAML to standard output: per namespace with workloads (system namespaces excepted) a default-deny policy, DNS to kube-dns, calls inside the namespace, and per Service the ingress its clients, Ingress controllers and LoadBalancer source ranges need. Review it, then check the result: kubeward netpol matrix INPUT suggestion.yaml\n\nExit codes:\n  0  the suggestion was written\n  2  usage or input errors (the suggestion is written but may be incomplete)";

/// Arguments of `kubeward netpol suggest`.
#[derive(Args, Debug)]
pub struct SuggestArgs {
    /// Manifests: files, folders (recursive *.yaml, *.yml, *.json), `-` for standard input.
    pub paths: Vec<PathBuf>,
}

fn suggest(args: SuggestArgs) -> Result {
    let snapshot = load(&args.paths)?;
    let mut err = std::io::stderr().lock();
    for e in snapshot.errors.iter().take(SHOWN) {
        let _ = writeln!(err, "kubeward: {}", escape(&e.to_string()));
    }
    if snapshot.errors.len() > SHOWN {
        let _ = writeln!(
            err,
            "kubeward: and {} more input errors (`kubeward scan` lists them); the suggestion may be incomplete",
            snapshot.errors.len() - SHOWN
        );
    }
    let yaml = kubeward_netpol::suggest::to_yaml(&kubeward_netpol::suggest::suggest(&snapshot));
    write_out(&yaml)?;
    Ok(if snapshot.errors.is_empty() {
        Exit::Clean
    } else {
        Exit::Incomplete
    })
}
