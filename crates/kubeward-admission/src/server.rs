//! The HTTPS server of `kubeward serve`: hyper (HTTP/1.1) on tokio, TLS 1.2 and 1.3 by rustls
//! on ring. Routes: `POST /validate` (AdmissionReview), `GET /healthz`, `GET /readyz`,
//! `GET /metrics`.
//!
//! Bounded everywhere an input could hold it: the TLS handshake and the request head each have
//! a timeout (slow clients are dropped), the body has a size limit and a deadline of its own,
//! the decision a deadline well under the API server's timeout (past it the webhook answers
//! by its `failurePolicy`), connections a maximum. Decisions run on the rayon pool (the
//! evaluator's), never on the reactor threads. Certificates and the configuration are
//! re-read when their files change (polled) or on SIGHUP; a file that does not load keeps the
//! previous one. SIGTERM and SIGINT stop readiness, drain, and wait for answers in flight.

use crate::config::Config;
use crate::date::Date;
use crate::decide::{Decision, NamespaceLabels, NamespaceUpdate, Webhook};
use crate::metrics::Metrics;
use crate::review::{salvage_uid, Response as AdmissionResponse, ReviewOut};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rustls::ServerConfig;
use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::TcpListener;

/// Largest certificate, key or configuration file read.
pub const MAX_FILE_BYTES: u64 = 4 << 20;
/// Most bytes of an oversized body read away before answering 413.
pub const DISCARD_LIMIT: usize = 64 << 20;
/// Most namespaces whose labels are remembered.
pub const MAX_NAMESPACES: usize = 100_000;

/// Certificate and key files (PEM).
#[derive(Clone, Debug)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// How the server runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub listen: SocketAddr,
    /// `None`: plain HTTP (`--insecure-http`, local development only).
    pub tls: Option<TlsFiles>,
    pub config: Option<PathBuf>,
    /// Largest request body.
    pub max_body: usize,
    /// Answer within this time of a complete body.
    pub deadline: Duration,
    /// Time to send the request head (and to finish the TLS handshake).
    pub header_timeout: Duration,
    /// Time to send the body once the head is in.
    pub body_timeout: Duration,
    /// After SIGTERM: not ready at once, keep serving this long (endpoints to update), then
    /// stop accepting.
    pub drain_delay: Duration,
    /// Then wait this long for answers in flight.
    pub grace: Duration,
    /// How often the certificate and configuration files are checked for changes.
    pub reload_interval: Duration,
    pub max_connections: usize,
    /// Log every request (`info`), or only denials, errors and events (`warn`).
    pub log_requests: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: SocketAddr::from(([0, 0, 0, 0], 8443)),
            tls: None,
            config: None,
            max_body: 7 << 20,
            deadline: Duration::from_millis(2500),
            header_timeout: Duration::from_secs(5),
            body_timeout: Duration::from_secs(5),
            drain_delay: Duration::ZERO,
            grace: Duration::from_secs(15),
            reload_interval: Duration::from_secs(10),
            max_connections: 4096,
            log_requests: true,
        }
    }
}

/// One JSON log line on standard error. Strings from requests are escaped for the terminal
/// before JSON encoding (JSON leaves C1 and bidirectional controls as they are).
pub fn log(level: &str, msg: &str, fields: &[(&str, serde_json::Value)]) {
    let mut m = serde_json::Map::new();
    let ts = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    m.insert(
        "ts".into(),
        serde_json::json!((ts * 1000.0).round() / 1000.0),
    );
    m.insert("level".into(), level.into());
    m.insert("msg".into(), msg.into());
    for (k, v) in fields {
        let v = match v {
            serde_json::Value::String(s) => {
                serde_json::Value::String(kubeward_io::terminal::escape(s).into_owned())
            }
            other => other.clone(),
        };
        m.insert((*k).into(), v);
    }
    let line = serde_json::Value::Object(m).to_string();
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// The namespace labels learnt from Namespace requests.
#[derive(Default)]
struct Namespaces(RwLock<HashMap<String, BTreeMap<String, String>>>);

impl NamespaceLabels for Namespaces {
    fn labels(&self, namespace: &str) -> Option<BTreeMap<String, String>> {
        self.0
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(namespace)
            .cloned()
    }
}

impl Namespaces {
    fn apply(&self, update: NamespaceUpdate) {
        let mut m = self.0.write().unwrap_or_else(|e| e.into_inner());
        match update {
            NamespaceUpdate::Set(name, labels) => {
                if m.len() < MAX_NAMESPACES || m.contains_key(&name) {
                    m.insert(name, labels);
                }
            }
            NamespaceUpdate::Remove(name) => {
                m.remove(&name);
            }
        }
    }
}

struct State {
    opts: Options,
    webhook: RwLock<Arc<Webhook>>,
    namespaces: Namespaces,
    metrics: Metrics,
    ready: AtomicBool,
    tls: RwLock<Option<Arc<ServerConfig>>>,
}

/// Reads and parses the configuration file.
pub fn load_config(path: &Path) -> Result<Config, String> {
    let text =
        kubeward_io::read_to_string_capped(path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    Config::parse(&path.display().to_string(), &text).map_err(|e| e.join("\n"))
}

/// Builds the TLS configuration from PEM files: TLS 1.2 and 1.3, HTTP/1.1.
pub fn load_tls(files: &TlsFiles) -> Result<Arc<ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let read = |p: &Path| kubeward_io::read_capped(p, MAX_FILE_BYTES).map_err(|e| e.to_string());
    let cert_pem = read(&files.cert)?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no PEM certificate", files.cert.display()));
    }
    let key = PrivateKeyDer::from_pem_slice(&read(&files.key)?)
        .map_err(|e| format!("{}: {e}", files.key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| format!("{}: {e}", files.cert.display()))?;
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(cfg))
}

/// Modification stamp of the files to watch.
fn stamp(paths: &[&Path]) -> Vec<Option<(SystemTime, u64)>> {
    paths
        .iter()
        .map(|p| {
            std::fs::metadata(p)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()))
        })
        .collect()
}

/// Runs the server until SIGTERM or SIGINT. Errors are startup errors (a certificate or
/// configuration that does not load, an address in use).
pub async fn run(opts: Options) -> Result<(), String> {
    let config = match &opts.config {
        Some(p) => load_config(p)?,
        None => Config::default(),
    };
    report_expired(&config);
    let tls = match &opts.tls {
        Some(files) => Some(load_tls(files)?),
        None => {
            log(
                "warn",
                "INSECURE: serving plain HTTP (--insecure-http): for local development only; the API server requires HTTPS",
                &[],
            );
            None
        }
    };
    let listener = TcpListener::bind(opts.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", opts.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let state = Arc::new(State {
        webhook: RwLock::new(Arc::new(Webhook::new(config))),
        namespaces: Namespaces::default(),
        metrics: Metrics::new(),
        ready: AtomicBool::new(true),
        tls: RwLock::new(tls),
        opts,
    });
    log(
        "info",
        "listening",
        &[
            ("address", addr.to_string().into()),
            ("tls", state.opts.tls.is_some().into()),
        ],
    );
    tokio::spawn(reloader(state.clone()));

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(state.opts.max_connections));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    log("error", "accept failed", &[("error", e.to_string().into())]);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let tls = state.tls.read().unwrap_or_else(|e| e.into_inner()).clone();
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn({
                let state = state.clone();
                move |req| handle(state.clone(), req)
            });
            let mut http = hyper::server::conn::http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(state.opts.header_timeout)
                .keep_alive(true);
            match tls {
                Some(cfg) => {
                    let acceptor = tokio_rustls::TlsAcceptor::from(cfg);
                    let stream = match tokio::time::timeout(
                        state.opts.header_timeout,
                        acceptor.accept(stream),
                    )
                    .await
                    {
                        Ok(Ok(s)) => s,
                        Ok(Err(e)) => {
                            state.metrics.error("tls");
                            log(
                                "warn",
                                "TLS handshake failed",
                                &[
                                    ("peer", peer.to_string().into()),
                                    ("error", e.to_string().into()),
                                ],
                            );
                            return;
                        }
                        Err(_) => {
                            state.metrics.error("slow_client");
                            return;
                        }
                    };
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
                None => {
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    // shutting down: not ready, serve a while longer for endpoints to update, then drain
    state.ready.store(false, Ordering::SeqCst);
    log(
        "info",
        "shutting down",
        &[(
            "drain_delay_ms",
            (state.opts.drain_delay.as_millis() as u64).into(),
        )],
    );
    if !state.opts.drain_delay.is_zero() {
        let until = tokio::time::Instant::now() + state.opts.drain_delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                r = listener.accept() => if let Ok((stream, _)) = r {
                    // answer on this connection once, then close it
                    let state = state.clone();
                    let tls = state.tls.read().unwrap_or_else(|e| e.into_inner()).clone();
                    let watcher = graceful.watcher();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn({
                            let state = state.clone();
                            move |req| handle(state.clone(), req)
                        });
                        let mut http = hyper::server::conn::http1::Builder::new();
                        http.timer(TokioTimer::new()).header_read_timeout(state.opts.header_timeout).keep_alive(false);
                        if let Some(cfg) = tls {
                            if let Ok(Ok(s)) = tokio::time::timeout(state.opts.header_timeout, tokio_rustls::TlsAcceptor::from(cfg).accept(stream)).await {
                                let _ = watcher.watch(http.serve_connection(TokioIo::new(s), service)).await;
                            }
                        } else {
                            let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                        }
                    });
                },
            }
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => log("info", "stopped", &[]),
        _ = tokio::time::sleep(state.opts.grace) => log("warn", "stopped with connections still open (grace period over)", &[]),
    }
    Ok(())
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        match (term, int) {
            (Ok(mut t), Ok(mut i)) => {
                tokio::select! { _ = t.recv() => {}, _ = i.recv() => {} }
            }
            _ => std::future::pending::<()>().await,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn report_expired(config: &Config) {
    for e in config.expired(Date::today()) {
        log(
            "warn",
            "exception expired: the rule applies again",
            &[("exception", e.describe().into())],
        );
    }
}

/// Re-reads certificate and configuration files when they change or on SIGHUP.
async fn reloader(state: Arc<State>) {
    let mut paths: Vec<PathBuf> = Vec::new();
    if let Some(t) = &state.opts.tls {
        paths.push(t.cert.clone());
        paths.push(t.key.clone());
    }
    if let Some(c) = &state.opts.config {
        paths.push(c.clone());
    }
    fn refs(p: &[PathBuf]) -> Vec<&Path> {
        p.iter().map(PathBuf::as_path).collect()
    }
    let mut last = stamp(&refs(&paths));
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    loop {
        let forced;
        #[cfg(unix)]
        {
            forced = tokio::select! {
                _ = tokio::time::sleep(state.opts.reload_interval) => false,
                _ = async { match hup.as_mut() { Some(h) => { h.recv().await; } None => std::future::pending::<()>().await } } => true,
            };
        }
        #[cfg(not(unix))]
        {
            tokio::time::sleep(state.opts.reload_interval).await;
            forced = false;
        }
        let now = stamp(&refs(&paths));
        if !forced && now == last {
            continue;
        }
        last = now;
        if let Some(files) = &state.opts.tls {
            match load_tls(files) {
                Ok(cfg) => {
                    *state.tls.write().unwrap_or_else(|e| e.into_inner()) = Some(cfg);
                    state.metrics.reload("certificate", true);
                    log(
                        "info",
                        "certificate loaded",
                        &[("cert", files.cert.display().to_string().into())],
                    );
                }
                Err(e) => {
                    state.metrics.reload("certificate", false);
                    log(
                        "error",
                        "certificate reload failed, keeping the previous one",
                        &[("error", e.into())],
                    );
                }
            }
        }
        if let Some(path) = &state.opts.config {
            match load_config(path) {
                Ok(cfg) => {
                    report_expired(&cfg);
                    *state.webhook.write().unwrap_or_else(|e| e.into_inner()) =
                        Arc::new(Webhook::new(cfg));
                    state.metrics.reload("config", true);
                    log(
                        "info",
                        "configuration loaded",
                        &[("config", path.display().to_string().into())],
                    );
                }
                Err(e) => {
                    state.metrics.reload("config", false);
                    log(
                        "error",
                        "configuration reload failed, keeping the previous one",
                        &[("error", e.into())],
                    );
                }
            }
        }
    }
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(body.into()));
    *r.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn review_reply(status: StatusCode, response: AdmissionResponse) -> Response<Full<Bytes>> {
    reply(
        status,
        "application/json",
        ReviewOut::new(response).to_json(),
    )
}

async fn handle(
    state: Arc<State>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    Ok(match (&method, path.as_str()) {
        (&Method::GET, "/healthz") => reply(StatusCode::OK, "text/plain", "ok\n"),
        (&Method::GET, "/readyz") => {
            if state.ready.load(Ordering::SeqCst) {
                reply(StatusCode::OK, "text/plain", "ok\n")
            } else {
                reply(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "text/plain",
                    "shutting down\n",
                )
            }
        }
        (&Method::GET, "/metrics") => reply(
            StatusCode::OK,
            "text/plain; version=0.0.4",
            state.metrics.render(),
        ),
        (&Method::POST, "/validate") | (&Method::POST, "/") => {
            state.metrics.in_flight(1);
            let r = validate(&state, req).await;
            state.metrics.in_flight(-1);
            r
        }
        (_, "/validate") | (_, "/") => reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain",
            "POST an AdmissionReview\n",
        ),
        _ => reply(StatusCode::NOT_FOUND, "text/plain", "not found\n"),
    })
}

fn too_large(state: &State, prefix: &[u8]) -> Response<Full<Bytes>> {
    state.metrics.error("too_large");
    let mut r = AdmissionResponse::deny(
        413,
        "RequestEntityTooLarge",
        format!(
            "the AdmissionReview is larger than {} bytes (kubeward serve --max-request-bytes)",
            state.opts.max_body
        ),
    );
    r.uid = salvage_uid(prefix).unwrap_or_default();
    log(
        "warn",
        "request too large",
        &[("uid", r.uid.clone().into())],
    );
    review_reply(StatusCode::PAYLOAD_TOO_LARGE, r)
}

async fn validate(state: &Arc<State>, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let max = state.opts.max_body;
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max as u64) {
        return too_large(state, &[]);
    }
    // the body, within its size limit and its time
    let mut body = req.into_body();
    let mut buf: Vec<u8> = Vec::with_capacity(declared.unwrap_or(4096).min(max as u64) as usize);
    let deadline = tokio::time::Instant::now() + state.opts.body_timeout;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Err(_) => {
                state.metrics.error("slow_body");
                let mut r = AdmissionResponse::deny(
                    408,
                    "Timeout",
                    format!(
                        "the request body did not arrive within {} ms",
                        state.opts.body_timeout.as_millis()
                    ),
                );
                r.uid = salvage_uid(&buf).unwrap_or_default();
                return review_reply(StatusCode::REQUEST_TIMEOUT, r);
            }
            Ok(None) => break,
            Ok(Some(Err(e))) => {
                state.metrics.error("body");
                let mut r = AdmissionResponse::deny(
                    400,
                    "BadRequest",
                    format!("cannot read the request body: {e}"),
                );
                r.uid = salvage_uid(&buf).unwrap_or_default();
                return review_reply(StatusCode::BAD_REQUEST, r);
            }
            Ok(Some(Ok(f))) => f,
        };
        if let Ok(data) = frame.into_data() {
            if buf.len() + data.len() > max {
                buf.extend_from_slice(&data[..max.saturating_sub(buf.len())]);
                // Read the rest away (within the body's deadline and a bound) so that the
                // client, still sending, gets the answer rather than a reset connection.
                let mut discarded = 0usize;
                while discarded < DISCARD_LIMIT {
                    match tokio::time::timeout_at(deadline, body.frame()).await {
                        Ok(Some(Ok(f))) => {
                            discarded += f.data_ref().map_or(0, |d| d.len());
                        }
                        _ => break,
                    }
                }
                return too_large(state, &buf);
            }
            buf.extend_from_slice(&data);
        }
    }
    let started = Instant::now();
    let webhook = state
        .webhook
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let body = Arc::new(buf);
    let (tx, rx) = tokio::sync::oneshot::channel();
    {
        let (state, webhook, body) = (state.clone(), webhook.clone(), body.clone());
        rayon::spawn(move || {
            let d = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                webhook.decide(&body, &state.namespaces, Date::today())
            }));
            let _ = tx.send(d.ok());
        });
    }
    let decision: Option<Decision> = match tokio::time::timeout(state.opts.deadline, rx).await {
        Ok(Ok(Some(d))) => Some(d),
        Ok(_) => {
            state.metrics.error("internal");
            let r = webhook.failure(&body, "internal error");
            log("error", "decision failed", &[("uid", r.uid.clone().into())]);
            state.metrics.observe(started.elapsed());
            return review_reply(StatusCode::OK, r);
        }
        Err(_) => None,
    };
    let Some(mut d) = decision else {
        state.metrics.error("timeout");
        let why = format!(
            "no decision within the deadline of {} ms",
            state.opts.deadline.as_millis()
        );
        let r = webhook.failure(&body, &why);
        log(
            "error",
            "deadline passed",
            &[("uid", r.uid.clone().into()), ("allowed", r.allowed.into())],
        );
        state.metrics.observe(started.elapsed());
        return review_reply(StatusCode::OK, r);
    };
    if let Some(update) = d.namespace_update.take() {
        state.namespaces.apply(update);
    }
    let took = started.elapsed();
    state.metrics.record(&d, took);
    let interesting = !d.response.allowed || d.error.is_some();
    if state.opts.log_requests || interesting {
        let r = &d.response;
        let rules: Vec<serde_json::Value> = d
            .rules
            .iter()
            .map(|(r, a)| format!("{r}:{}", a.as_str()).into())
            .collect();
        log(
            if interesting { "warn" } else { "info" },
            "admission",
            &[
                ("uid", r.uid.clone().into()),
                ("operation", d.operation.clone().into()),
                ("class", d.class.as_str().into()),
                ("namespace", d.namespace.clone().into()),
                ("name", d.name.clone().into()),
                ("dry_run", d.dry_run.into()),
                ("allowed", r.allowed.into()),
                ("code", r.status.as_ref().map_or(200, |s| s.code).into()),
                (
                    "message",
                    r.status
                        .as_ref()
                        .map(|s| s.message.clone())
                        .unwrap_or_default()
                        .into(),
                ),
                ("warnings", r.warnings.len().into()),
                (
                    "pod_security",
                    serde_json::Value::from(d.pod_security.clone()),
                ),
                ("rules", rules.into()),
                ("duration_us", (took.as_micros() as u64).into()),
            ],
        );
    }
    let status = StatusCode::from_u16(d.http_status).unwrap_or(StatusCode::OK);
    review_reply(status, d.response)
}

/// `kubeward serve --gen-certs DIR`: a self-signed CA (`ca.crt`, `ca.key`) and a serving
/// certificate for `names` signed by it (`tls.crt`, `tls.key`), ECDSA P-256. For development;
/// the key files are written readable by the owner only.
pub fn gen_certs(dir: &Path, names: &[String]) -> Result<Vec<PathBuf>, String> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let e = |e: rcgen::Error| e.to_string();
    std::fs::create_dir_all(dir).map_err(|err| format!("{}: {err}", dir.display()))?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(e)?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "kubeward development CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().map_err(e)?;
    let ca_cert = ca.self_signed(&ca_key).map_err(e)?;
    let mut leaf = CertificateParams::new(names.to_vec()).map_err(e)?;
    leaf.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_else(|| "kubeward".into()),
    );
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let key = KeyPair::generate().map_err(e)?;
    let cert = leaf.signed_by(&key, &ca_cert, &ca_key).map_err(e)?;
    let mut written = Vec::new();
    for (name, text, secret) in [
        ("ca.crt", ca_cert.pem(), false),
        ("ca.key", ca_key.serialize_pem(), true),
        ("tls.crt", cert.pem(), false),
        ("tls.key", key.serialize_pem(), true),
    ] {
        let path = dir.join(name);
        write_file(&path, text.as_bytes(), secret)?;
        written.push(path);
    }
    Ok(written)
}

fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let _ = secret;
    let mut f = o
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    f.write_all(bytes)
        .map_err(|e| format!("{}: {e}", path.display()))
}
