//! `kubeward serve`: the admission webhook. Flags become `kubeward_admission::server::Options`;
//! the server, the decision and the certificates are the admission crate's.

use super::error::{Error, Exit, Result};
use clap::Args;
use kubeward_admission::server::{self, Options, TlsFiles};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub const AFTER_HELP: &str = "Routes: POST /validate (AdmissionReview admission.k8s.io/v1), GET /healthz, GET /readyz, GET /metrics (Prometheus).\nLogs: one JSON object per line on standard error.\nSignals: SIGTERM/SIGINT drain and stop, SIGHUP reloads the certificate and the configuration (also reloaded when their files change).\nExit codes:\n  0  stopped by a signal, or certificates written (--gen-certs)\n  2  usage, configuration or certificate errors, address in use";

/// Arguments of `kubeward serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// Serving certificate chain (PEM).
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,
    /// Private key of the certificate (PEM: PKCS#8, PKCS#1 or SEC1).
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,
    /// Serve plain HTTP, for local development only (the API server calls webhooks over HTTPS).
    #[arg(long, conflicts_with_all = ["cert", "key"])]
    pub insecure_http: bool,
    /// Webhook configuration: Pod Security defaults and exemptions, namespace labels, rule
    /// actions, exceptions, failurePolicy (see README).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Answer within this many milliseconds of a complete request; past it the answer follows
    /// the configuration's failurePolicy. Keep it well under the webhook's timeoutSeconds.
    #[arg(long, default_value_t = 2500, value_name = "MS")]
    pub deadline_ms: u64,
    /// Largest request body.
    #[arg(long, default_value_t = 7 << 20, value_name = "BYTES")]
    pub max_request_bytes: usize,
    /// Time for the TLS handshake and for the request head (slow clients are dropped).
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub header_timeout_ms: u64,
    /// Time for the request body once the head is in.
    #[arg(long, default_value_t = 5000, value_name = "MS")]
    pub body_timeout_ms: u64,
    /// After SIGTERM: not ready at once, keep serving this long (for the Service's endpoints
    /// to update), then drain.
    #[arg(long, default_value_t = 0, value_name = "SECS")]
    pub drain_delay_secs: u64,
    /// Then wait this long for answers in flight.
    #[arg(long, default_value_t = 15, value_name = "SECS")]
    pub grace_secs: u64,
    /// How often the certificate and configuration files are checked for changes.
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    pub reload_interval_secs: u64,
    /// Most connections at once.
    #[arg(long, default_value_t = 4096, value_name = "N")]
    pub max_connections: usize,
    /// `info`: log every request; `warn`: denials, errors and events only.
    #[arg(long, default_value = "info", value_parser = ["info", "warn"])]
    pub log_level: String,
    /// Threads of the network runtime (decisions run on the evaluator's pool).
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub threads: usize,
    /// Write a development CA and a serving certificate into DIR (ca.crt, ca.key, tls.crt,
    /// tls.key) and exit.
    #[arg(long, value_name = "DIR")]
    pub gen_certs: Option<PathBuf>,
    /// Names (DNS or IP) of the serving certificate made by --gen-certs; default:
    /// kubeward.kubeward-system.svc, its .cluster.local form, localhost, 127.0.0.1.
    #[arg(long = "san", value_name = "NAME", requires = "gen_certs")]
    pub sans: Vec<String>,
}

/// Runs `kubeward serve`.
pub fn run(args: ServeArgs) -> Result {
    if let Some(dir) = &args.gen_certs {
        let names = if args.sans.is_empty() {
            [
                "kubeward.kubeward-system.svc",
                "kubeward.kubeward-system.svc.cluster.local",
                "localhost",
                "127.0.0.1",
            ]
            .map(String::from)
            .to_vec()
        } else {
            args.sans.clone()
        };
        let written = server::gen_certs(dir, &names).map_err(Error::Input)?;
        for p in written {
            eprintln!(
                "kubeward: wrote {}",
                kubeward_io::terminal::escape(&p.display().to_string())
            );
        }
        return Ok(Exit::Clean);
    }
    let tls = match (args.cert, args.key) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        _ if args.insecure_http => None,
        _ => {
            return Err(Error::Usage(
                "serve needs --cert FILE --key FILE (make development ones with --gen-certs DIR), or --insecure-http for local development".into(),
            ))
        }
    };
    let ms = Duration::from_millis;
    let opts = Options {
        listen: args.listen,
        tls,
        config: args.config,
        max_body: args.max_request_bytes,
        deadline: ms(args.deadline_ms.max(1)),
        header_timeout: ms(args.header_timeout_ms.max(1)),
        body_timeout: ms(args.body_timeout_ms.max(1)),
        drain_delay: Duration::from_secs(args.drain_delay_secs),
        grace: Duration::from_secs(args.grace_secs),
        reload_interval: Duration::from_secs(args.reload_interval_secs.max(1)),
        max_connections: args.max_connections.max(1),
        log_requests: args.log_level == "info",
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(args.threads.max(1))
        .enable_all()
        .build()
        .map_err(|e| Error::Input(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(server::run(opts)).map_err(Error::Input)?;
    Ok(Exit::Clean)
}
