//! `kubeward serve` end to end: the real binary on loopback with certificates it generated,
//! every AdmissionReview of the admission corpus (`testdata/admission/`) posted over HTTPS
//! with the outcome its SOURCES.md states, hostile inputs (malformed JSON, wrong apiVersion,
//! missing object, a 10 MB body, slow clients), the deadline, reloads and graceful shutdown.
//! Deadlines in this file are safety nets against hangs, never measurements.

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn corpus(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/admission")
        .join(rel)
}

const CONFIG: &str = "namespaces:\n  team-a: {pod-security.kubernetes.io/enforce: baseline}\n  default: {pod-security.kubernetes.io/enforce: baseline}\n  ns-baseline: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.37}\n  ns-restricted: {pod-security.kubernetes.io/enforce: restricted, pod-security.kubernetes.io/enforce-version: v1.37}\nrules: {default: audit}\n";

struct Server {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
    logs: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(config: &str, extra: &[&str]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let certs = dir.path().join("certs");
        let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
            .args(["serve", "--gen-certs"])
            .arg(&certs)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(dir.path().join("config.yaml"), config).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_kubeward"))
            .args(["serve", "--listen", "127.0.0.1:0", "--log-level", "warn"])
            .arg("--cert")
            .arg(certs.join("tls.crt"))
            .arg("--key")
            .arg(certs.join("tls.key"))
            .arg("--config")
            .arg(dir.path().join("config.yaml"))
            .args(extra)
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let logs = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().unwrap();
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if v["msg"] == "listening" {
                        let _ = tx.send(v["address"].as_str().unwrap_or("").to_string());
                    }
                }
                sink.lock().unwrap().push(line);
            }
        });
        let addr = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server did not start")
            .parse()
            .unwrap();
        Server {
            child,
            addr,
            dir,
            logs,
        }
    }

    fn certs(&self) -> PathBuf {
        self.dir.path().join("certs")
    }

    fn connect(&self) -> Conn {
        Conn::new(self.addr, &self.certs().join("ca.crt"))
    }

    fn post(&self, body: &[u8]) -> (u16, Value) {
        let mut c = self.connect();
        c.post("/validate", body)
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.child.id().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok);
    }

    fn logs(&self) -> String {
        self.logs.lock().unwrap().join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

type Tls = rustls::StreamOwned<rustls::ClientConnection, TcpStream>;

/// A keep-alive HTTPS connection that trusts the test CA only.
struct Conn {
    tls: Tls,
}

fn client_config(ca: &Path) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(ca).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

impl Conn {
    fn new(addr: SocketAddr, ca: &Path) -> Conn {
        let tcp = TcpStream::connect(addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let conn = rustls::ClientConnection::new(
            client_config(ca),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        Conn {
            tls: rustls::StreamOwned::new(conn, tcp),
        }
    }

    fn request(&mut self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        self.tls.write_all(head.as_bytes()).unwrap();
        self.tls.write_all(body).unwrap();
        self.tls.flush().unwrap();
        read_response(&mut self.tls)
    }

    fn post(&mut self, path: &str, body: &[u8]) -> (u16, Value) {
        let (status, body) = self.request("POST", path, body);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    fn get(&mut self, path: &str) -> (u16, String) {
        let (status, body) = self.request("GET", path, b"");
        (status, String::from_utf8_lossy(&body).into_owned())
    }
}

fn read_response(r: &mut impl Read) -> (u16, Vec<u8>) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        let n = r.read(&mut byte).unwrap();
        assert_eq!(n, 1, "connection closed in the response head");
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let len: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    (status, body)
}

fn review(uid: &str, ns: &str, object: Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": uid, "kind": {"group": "", "version": "v1", "kind": "Pod"},
                    "resource": {"group": "", "version": "v1", "resource": "pods"},
                    "name": object.pointer("/metadata/name").cloned().unwrap_or(json!("")),
                    "namespace": ns, "operation": "CREATE",
                    "userInfo": {"username": "jane"}, "object": object}
    }))
    .unwrap()
}

fn allowed(v: &Value) -> bool {
    v["response"]["allowed"].as_bool().unwrap()
}

#[test]
fn every_payload_of_the_admission_corpus_gets_its_stated_outcome() {
    let s = Server::start(CONFIG, &[]);
    let mut c = s.connect();
    let mut check = |file: &str, status: u16, want_allowed: bool| -> Value {
        let body = std::fs::read(corpus(file)).unwrap();
        let sent: Value = serde_json::from_slice(&body).unwrap();
        let (got, v) = c.post("/validate", &body);
        assert_eq!(got, status, "{file}: {v}");
        assert_eq!(allowed(&v), want_allowed, "{file}: {v}");
        if let Some(uid) = sent.pointer("/request/uid") {
            assert_eq!(&v["response"]["uid"], uid, "{file}");
        }
        v
    };
    // synthetic (namespace team-a labelled enforce=baseline)
    let v = check(
        "synthetic/request-create-pod-privileged-dryrun.json",
        200,
        false,
    );
    assert_eq!(v["response"]["status"]["code"], 403);
    assert!(v["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .contains("violates PodSecurity \"baseline:latest\": privileged (container "));
    check("synthetic/request-update-pod-image-change.json", 200, true);
    check("synthetic/request-connect-pod-exec.json", 200, true);
    let v = check(
        "synthetic/request-update-pod-ephemeralcontainers.json",
        200,
        false,
    );
    assert!(v["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .contains("container \"debugger\" must not set securityContext.privileged=true"));
    let v = check(
        "synthetic/request-create-deployment-hostnetwork.json",
        200,
        true,
    );
    assert_eq!(
        v["response"]["warnings"],
        json!([
            "would violate PodSecurity \"baseline:latest\": host namespaces (hostNetwork=true)"
        ])
    );
    check("synthetic/request-delete-pod.json", 200, true);
    // kubewarden policy-server requests (namespace default labelled enforce=baseline)
    check(
        "kubewarden-policy-server/pod_with_privileged_containers.json",
        200,
        false,
    );
    check(
        "kubewarden-policy-server/pod_without_privileged_containers.json",
        200,
        true,
    );
    check("kubewarden-policy-server/pod_sleep_100ms.json", 200, true);
    check("kubewarden-policy-server/pod_sleep_4s.json", 200, true);
    // format references: the Gatekeeper request is tolerated, the scale subresource ignored
    check(
        "gatekeeper-docs/request-create-deployment-with-oldobject.json",
        200,
        true,
    );
    check("k8s-docs/request-update-scale-subresource.json", 200, true);
    // the documentation's responses are not requests: a clear 400
    for f in std::fs::read_dir(corpus("k8s-docs")).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        if name.starts_with("response-") {
            let v = check(&format!("k8s-docs/{name}"), 400, false);
            assert_eq!(
                v["response"]["status"]["message"],
                "the AdmissionReview has no request"
            );
        }
    }
    // the Pod Security conformance fixtures, wrapped as the API server would send them
    let mut n = 0;
    for level in ["baseline", "restricted"] {
        for outcome in ["pass", "fail"] {
            for f in
                std::fs::read_dir(corpus(&format!("pss-fixtures/{level}/v1.37/{outcome}"))).unwrap()
            {
                let path = f.unwrap().path();
                let snap = kubeward_model::load_str("f", &std::fs::read_to_string(&path).unwrap());
                let uid = format!("uid-{n}");
                let (status, v) = c.post(
                    "/validate",
                    &review(&uid, &format!("ns-{level}"), snap.objects[0].root.to_json()),
                );
                assert_eq!(status, 200);
                assert_eq!(v["response"]["uid"], uid.as_str());
                assert_eq!(allowed(&v), outcome == "pass", "{}: {v}", path.display());
                n += 1;
            }
        }
    }
    assert!(n > 100);
    let (status, metrics) = c.get("/metrics");
    assert_eq!(status, 200);
    assert!(
        metrics.contains("kubeward_admission_requests_total{class=\"pod\",verdict=\"deny\"}"),
        "{metrics}"
    );
    assert!(metrics.contains("kubeward_admission_pod_security_violations_total{mode=\"enforce\"}"));
    assert!(metrics.contains("kubeward_admission_duration_seconds_count"));
    // denials are logged as JSON, one object per line
    let logs = s.logs();
    assert!(
        logs.lines().any(|l| l.contains("\"allowed\":false")
            && l.contains("11111111-1111-4111-8111-111111111111")),
        "{logs}"
    );
}

#[test]
fn hostile_requests_get_clear_answers_and_the_server_keeps_serving() {
    let s = Server::start(
        CONFIG,
        &["--header-timeout-ms", "500", "--body-timeout-ms", "500"],
    );
    // malformed JSON, with the uid read from what there is
    let (status, v) =
        s.post(br#"{"apiVersion": "admission.k8s.io/v1", "request": {"uid": "u-malformed", "#);
    assert_eq!(status, 400);
    assert_eq!(v["response"]["uid"], "u-malformed");
    assert!(v["response"]["status"]["message"]
        .as_str()
        .unwrap()
        .starts_with("the body is not an AdmissionReview"));
    // wrong apiVersion
    let (status, v) = s.post(br#"{"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "u-v1beta1"}}"#);
    assert_eq!(
        (status, v["response"]["uid"].as_str()),
        (400, Some("u-v1beta1"))
    );
    // missing object
    let (status, v) = s.post(br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-noobj", "operation": "CREATE", "resource": {"group": "", "resource": "pods"}, "namespace": "team-a"}}"#);
    assert_eq!(status, 200);
    assert_eq!(v["response"]["uid"], "u-noobj");
    assert_eq!(v["response"]["status"]["code"], 400);
    assert!(!allowed(&v));
    // a 10 MB body: refused with its uid, without reading it all
    let mut big = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-big", "object": {"x": ""#.to_vec();
    big.extend(std::iter::repeat_n(b'a', 10 << 20));
    big.extend_from_slice(br#""}}}"#);
    let mut c = s.connect();
    let head = "POST /validate HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        .to_string();
    c.tls.write_all(head.as_bytes()).unwrap();
    // chunked, so the size is found while reading (a Content-Length over the limit is refused at once)
    let mut sent_all = true;
    for chunk in big.chunks(64 << 10) {
        let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), chunk, b"\r\n"].concat();
        if c.tls.write_all(&frame).is_err() {
            sent_all = false;
            break;
        }
    }
    if sent_all {
        let _ = c.tls.write_all(b"0\r\n\r\n");
    }
    let (status, body) = read_response(&mut c.tls);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 413);
    assert_eq!(v["response"]["uid"], "u-big");
    assert_eq!(v["response"]["status"]["reason"], "RequestEntityTooLarge");
    let mut c = s.connect();
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        10 << 20
    );
    c.tls.write_all(head.as_bytes()).unwrap();
    let (status, _) = read_response(&mut c.tls);
    assert_eq!(status, 413);
    // slowloris: a request head that never ends is cut off
    let mut c = s.connect();
    c.tls
        .write_all(b"POST /validate HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        .unwrap();
    c.tls.flush().unwrap();
    let started = Instant::now();
    let mut buf = [0u8; 512];
    let n = loop {
        match c.tls.read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break 0,
        }
    };
    let answer = String::from_utf8_lossy(&buf[..n]).to_string();
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(20), "safety net");
    // a body that stalls after its head: 408 with the uid sent so far
    let mut c = s.connect();
    let part = br#"{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {"uid": "u-slow", "#;
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        part.len() + 100
    );
    c.tls.write_all(head.as_bytes()).unwrap();
    c.tls.write_all(part).unwrap();
    c.tls.flush().unwrap();
    let (status, body) = read_response(&mut c.tls);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(
        (status, v["response"]["uid"].as_str()),
        (408, Some("u-slow"))
    );
    // a client that does not speak TLS
    let mut raw = TcpStream::connect(s.addr).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let _ = raw.write_all(b"GET /healthz HTTP/1.1\r\n\r\n");
    let mut sink = Vec::new();
    let _ = raw.read_to_end(&mut sink);
    // still serving
    let mut c = s.connect();
    assert_eq!(c.get("/healthz"), (200, "ok\n".to_string()));
    let body = std::fs::read(corpus(
        "kubewarden-policy-server/pod_with_privileged_containers.json",
    ))
    .unwrap();
    let (status, v) = c.post("/validate", &body);
    assert_eq!(status, 200);
    assert!(!allowed(&v));
    let (_, metrics) = c.get("/metrics");
    for kind in ["too_large", "slow_body", "malformed", "version"] {
        assert!(
            metrics.contains(&format!(
                "kubeward_admission_errors_total{{kind=\"{kind}\"}}"
            )),
            "{kind}: {metrics}"
        );
    }
    assert_eq!(c.get("/nope").0, 404);
    assert_eq!(c.get("/validate").0, 405);
}

/// A pod the evaluator cannot judge within a 1 ms deadline: thousands of containers.
fn huge_pod() -> Value {
    let containers: Vec<Value> = (0..3000)
        .map(|i| json!({"name": format!("c{i}"), "image": "nginx", "securityContext": {"privileged": true}}))
        .collect();
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "huge"}, "spec": {"containers": containers}})
}

#[test]
fn past_the_deadline_the_answer_follows_the_failure_policy() {
    let open = Server::start(CONFIG, &["--deadline-ms", "1"]);
    let (status, v) = open.post(&review("u-late", "team-a", huge_pod()));
    assert_eq!(status, 200);
    assert_eq!(v["response"]["uid"], "u-late");
    assert!(allowed(&v), "failurePolicy Ignore allows: {v}");
    assert!(v["response"]["warnings"][0]
        .as_str()
        .unwrap()
        .contains("no decision within the deadline of 1 ms"));
    assert!(v["response"]["auditAnnotations"]["error"]
        .as_str()
        .unwrap()
        .contains("failurePolicy Ignore"));
    let closed = Server::start(
        &format!("{CONFIG}failurePolicy: Fail\n"),
        &["--deadline-ms", "1"],
    );
    let (_, v) = closed.post(&review("u-late2", "team-a", huge_pod()));
    assert!(!allowed(&v));
    assert_eq!(v["response"]["status"]["code"], 500);
    assert_eq!(v["response"]["uid"], "u-late2");
}

#[test]
fn namespaces_shown_configuration_and_certificates_are_picked_up_without_restart() {
    let s = Server::start(
        "rules: {default: off}\n",
        &["--reload-interval-secs", "3600"],
    );
    let privileged = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "a", "image": "a", "securityContext": {"privileged": true}}]}});
    assert!(
        allowed(&s.post(&review("u1", "shop", privileged.clone())).1),
        "stock defaults: privileged"
    );
    // a Namespace shown to the webhook teaches it its labels
    let ns = json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
        "request": {"uid": "u-ns", "kind": {"group": "", "version": "v1", "kind": "Namespace"},
                    "resource": {"group": "", "version": "v1", "resource": "namespaces"},
                    "name": "shop", "operation": "CREATE",
                    "object": {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}}}});
    assert!(allowed(&s.post(&serde_json::to_vec(&ns).unwrap()).1));
    assert!(!allowed(
        &s.post(&review("u2", "shop", privileged.clone())).1
    ));
    // configuration reload (SIGHUP): namespace `dev` becomes baseline
    assert!(allowed(&s.post(&review("u3", "dev", privileged.clone())).1));
    std::fs::write(s.dir.path().join("config.yaml"), "namespaces:\n  dev: {pod-security.kubernetes.io/enforce: baseline}\nrules: {default: off}\n").unwrap();
    s.signal("-HUP");
    let until = Instant::now() + Duration::from_secs(20);
    while allowed(&s.post(&review("u4", "dev", privileged.clone())).1) {
        assert!(Instant::now() < until, "the configuration was not reloaded");
        std::thread::sleep(Duration::from_millis(50));
    }
    // a configuration that does not load keeps the previous one
    std::fs::write(
        s.dir.path().join("config.yaml"),
        "rules: {default: sometimes}\n",
    )
    .unwrap();
    s.signal("-HUP");
    let until = Instant::now() + Duration::from_secs(20);
    while !s.logs().contains("configuration reload failed") {
        assert!(Instant::now() < until, "no reload error logged");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(!allowed(
        &s.post(&review("u5", "dev", privileged.clone())).1
    ));
    // certificate reload: a new CA signs a new serving certificate; new connections get it
    let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(["serve", "--gen-certs"])
        .arg(s.certs())
        .output()
        .unwrap();
    assert!(out.status.success());
    s.signal("-HUP");
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        let tcp = TcpStream::connect(s.addr).unwrap();
        let conn = rustls::ClientConnection::new(
            client_config(&s.certs().join("ca.crt")),
            ServerName::try_from("localhost").unwrap(),
        )
        .unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        if tls
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .and_then(|_| tls.flush())
            .is_ok()
        {
            let mut buf = [0u8; 12];
            if tls.read_exact(&mut buf).is_ok() && &buf == b"HTTP/1.1 200" {
                break;
            }
        }
        assert!(Instant::now() < until, "the new certificate was not served");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn sigterm_stops_readiness_drains_and_exits_cleanly() {
    let mut s = Server::start(CONFIG, &["--drain-delay-secs", "2", "--grace-secs", "5"]);
    let mut c = s.connect();
    assert_eq!(c.get("/readyz").0, 200);
    s.signal("-TERM");
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = s.connect();
        let (status, _) = c.get("/readyz");
        if status == 503 {
            // still answering admission requests while draining (one per connection)
            let body = std::fs::read(corpus("synthetic/request-delete-pod.json")).unwrap();
            assert_eq!(s.post(&body).0, 200);
            break;
        }
        assert!(Instant::now() < until, "readiness did not drop");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(c);
    let until = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(Instant::now() < until, "the server did not stop");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    assert!(s.logs().contains("\"msg\":\"stopped\""), "{}", s.logs());
}

#[test]
fn serve_refuses_to_start_without_certificates_and_says_so() {
    let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--gen-certs DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "rules: {actions: {no-such-rule: deny}}\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
            "--config",
        ])
        .arg(dir.path().join("c.yaml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("c.yaml:1:19: unknown rule or domain \"no-such-rule\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn pss_preview_lists_what_a_level_would_reject() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("app.yaml");
    std::fs::write(&f, "apiVersion: v1\nkind: Pod\nmetadata: {name: web, namespace: shop}\nspec:\n  containers:\n  - {name: app, image: nginx, securityContext: {allowPrivilegeEscalation: true}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ok, namespace: shop}\nspec:\n  template:\n    spec:\n      containers: [{name: a, image: a}]\n").unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_kubeward"))
            .args(["pss", "preview"])
            .args(args)
            .arg(&f)
            .output()
            .unwrap()
    };
    let out = run(&["--level", "restricted:v1.30"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(":4:1: shop/Pod/web: pods \"web\" is forbidden: violates PodSecurity \"restricted:v1.30\": allowPrivilegeEscalation != false (container \"app\" must set securityContext.allowPrivilegeEscalation=false)"), "{text}");
    assert!(text.contains("shop/Deployment/ok: its pods would be rejected: violates PodSecurity \"restricted:v1.30\""), "{text}");
    assert!(text.ends_with(
        "2 of 2 pods and pod templates would be rejected by enforce restricted:v1.30\n"
    ));
    let out = run(&["--level", "baseline", "--format", "json"]);
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (
            v["checked"].as_u64(),
            v["rejected"].as_array().map(Vec::len)
        ),
        (Some(2), Some(0))
    );
    assert_eq!(run(&["--level", "strict"]).status.code(), Some(2));
}

#[test]
fn the_deploy_manifests_have_no_finding() {
    let deploy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../deploy");
    let out = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .arg("scan")
        .arg(&deploy)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("o findings in 12 objects"), "{text}");
    // and the configuration it ships is one `serve` accepts
    let cm = kubeward_model::load_str(
        "c",
        &std::fs::read_to_string(deploy.join("config.yaml")).unwrap(),
    );
    let yaml = cm.objects[0]
        .root
        .at(&["data", "kubeward.yaml"])
        .and_then(|n| n.as_str())
        .unwrap();
    kubeward_admission_config_ok(yaml);
}

fn kubeward_admission_config_ok(yaml: &str) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("k.yaml"), yaml).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeward"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--insecure-http",
            "--config",
        ])
        .arg(dir.path().join("k.yaml"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut r = BufReader::new(child.stderr.take().unwrap());
    r.read_line(&mut first).unwrap();
    let mut second = String::new();
    r.read_line(&mut second).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(first.contains("INSECURE"), "{first}");
    assert!(second.contains("\"msg\":\"listening\""), "{second}");
}
