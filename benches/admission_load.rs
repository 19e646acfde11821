//! Load generator for `kubeward serve` (`benches/admission_load.sh` runs it): HTTPS keep-alive
//! connections, each on its own thread, POST one AdmissionReview over and over.
//!
//! With `--rate R` the requests are sent open-loop on a fixed schedule (R per second over all
//! connections) and latency is measured from each request's scheduled time, so a slow answer
//! that delays the next requests counts against them too (no coordinated omission). With
//! `--rate max` every connection sends as soon as it has its answer (saturation). Prints one
//! line of figures; `--pid` adds the server's resident memory at start and end, and every
//! `--sample-secs` seconds when given.

use rustls::pki_types::{pem::PemObject, CertificateDer, ServerName};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Args {
    addr: String,
    ca: String,
    body: String,
    rate: Option<f64>,
    duration: Duration,
    connections: usize,
    pid: Option<u32>,
    sample: Option<Duration>,
}

fn args() -> Args {
    let mut a = Args {
        addr: String::new(),
        ca: String::new(),
        body: String::new(),
        rate: None,
        duration: Duration::from_secs(10),
        connections: 16,
        pid: None,
        sample: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| panic!("{k} needs a value"));
        match k.as_str() {
            "--addr" => a.addr = v,
            "--ca" => a.ca = v,
            "--body" => a.body = v,
            "--rate" => {
                a.rate = if v == "max" {
                    None
                } else {
                    Some(v.parse().expect("rate"))
                }
            }
            "--duration" => a.duration = Duration::from_secs_f64(v.parse().expect("seconds")),
            "--connections" => a.connections = v.parse().expect("connections"),
            "--pid" => a.pid = Some(v.parse().expect("pid")),
            "--sample-secs" => a.sample = Some(Duration::from_secs_f64(v.parse().expect("secs"))),
            _ => panic!("unknown flag {k}"),
        }
    }
    a
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

fn read_response(r: &mut impl Read) -> std::io::Result<(u16, Vec<u8>)> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if r.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let len = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body)?;
    Ok((status, body))
}

fn main() {
    let a = args();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&a.ca).expect("--ca") {
        roots.add(c.expect("certificate")).expect("root");
    }
    let config = Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth(),
    );
    let body = std::fs::read(&a.body).expect("--body");
    let request: Arc<Vec<u8>> = Arc::new(
        [
            format!(
                "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes(),
            body,
        ]
        .concat(),
    );
    let rss_start = a.pid.map(rss_kib);
    let start = Instant::now() + Duration::from_millis(200);
    let end = start + a.duration;
    let sampler = a.pid.zip(a.sample).map(|(pid, every)| {
        std::thread::spawn(move || {
            let mut samples = Vec::new();
            while Instant::now() < end {
                std::thread::sleep(every);
                samples.push(rss_kib(pid));
            }
            samples
        })
    });
    let threads: Vec<_> = (0..a.connections)
        .map(|i| {
            let (config, request, addr) = (config.clone(), request.clone(), a.addr.clone());
            // each connection sends every `interval`, offset so the schedule is even
            let interval = a
                .rate
                .map(|r| Duration::from_secs_f64(a.connections as f64 / r));
            let offset = interval.map(|iv| iv.mul_f64(i as f64 / a.connections as f64));
            std::thread::spawn(move || {
                let tcp = TcpStream::connect(&addr).expect("connect");
                tcp.set_nodelay(true).unwrap();
                let conn = rustls::ClientConnection::new(
                    config,
                    ServerName::try_from("localhost").unwrap(),
                )
                .unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut lat = Vec::with_capacity(1 << 16);
                let mut errors = 0u64;
                let mut n = 0u64;
                while Instant::now() < start {
                    std::thread::sleep(Duration::from_millis(1));
                }
                loop {
                    let due = match (interval, offset) {
                        (Some(iv), Some(off)) => start + off + iv.mul_f64(n as f64),
                        _ => Instant::now(),
                    };
                    if due >= end {
                        break;
                    }
                    let now = Instant::now();
                    if due > now {
                        std::thread::sleep(due - now);
                    }
                    n += 1;
                    let ok = tls
                        .write_all(&request)
                        .and_then(|_| tls.flush())
                        .and_then(|_| read_response(&mut tls));
                    match ok {
                        Ok((200, b))
                            if b.starts_with(b"{\"apiVersion\":\"admission.k8s.io/v1\"") =>
                        {
                            lat.push(due.elapsed().as_micros() as u32)
                        }
                        _ => {
                            errors += 1;
                            break;
                        }
                    }
                }
                (lat, errors)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for t in threads {
        let (l, e) = t.join().expect("thread");
        all.extend(l);
        errors += e;
    }
    // throughput over the time the answers took to come (past the end when the server lags)
    let elapsed = start.elapsed().as_secs_f64().max(a.duration.as_secs_f64());
    all.sort_unstable();
    let q = |p: f64| -> f64 {
        if all.is_empty() {
            return f64::NAN;
        }
        all[((all.len() as f64 * p) as usize).min(all.len() - 1)] as f64 / 1000.0
    };
    let rate = a.rate.map_or("max".to_string(), |r| format!("{r}/s"));
    print!(
        "rate={rate} connections={} duration={}s wall={:.1}s requests={} achieved={:.0}/s errors={errors} p50={:.3}ms p99={:.3}ms p99.9={:.3}ms max={:.3}ms",
        a.connections,
        a.duration.as_secs_f64(),
        elapsed,
        all.len(),
        all.len() as f64 / elapsed,
        q(0.50),
        q(0.99),
        q(0.999),
        q(1.0),
    );
    if let (Some(pid), Some(s)) = (a.pid, rss_start) {
        print!(
            " rss_start={:.1}MiB rss_end={:.1}MiB",
            s as f64 / 1024.0,
            rss_kib(pid) as f64 / 1024.0
        );
    }
    if let Some(samples) = sampler.and_then(|h| h.join().ok()) {
        let mib: Vec<String> = samples
            .iter()
            .map(|k| format!("{:.1}", *k as f64 / 1024.0))
            .collect();
        print!(" rss_samples_mib=[{}]", mib.join(","));
    }
    println!();
}
