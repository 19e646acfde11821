//! Time of one decision in-process (no HTTP, no TLS): the handler's share of a request.
//! `cargo run --release -p kubeward-admission --example decide_time [REVIEW.json] [N]`
//! (default: the Kubewarden pod of testdata/admission, 20,000 decisions). With `PARTS=1`,
//! also the loader alone (outside and inside a rayon pool) and each rule over 2 µs.

use kubeward_admission::{Config, Date, Webhook};
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/admission/kubewarden-policy-server/pod_without_privileged_containers.json"
        )
        .to_string()
    });
    let n: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(20_000);
    let body = std::fs::read(&path).expect("review");
    let config = Config::parse(
        "c",
        "namespaces:\n  default: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/warn: restricted, pod-security.kubernetes.io/audit: restricted}\nrules: {default: audit}\n",
    )
    .expect("config");
    let w = Webhook::new(config);
    let labels: HashMap<String, BTreeMap<String, String>> = HashMap::new();
    let today = Date::today();
    for _ in 0..n / 10 {
        std::hint::black_box(w.decide(&body, &labels, today));
    }
    let mut times: Vec<f64> = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(w.decide(&body, &labels, today));
        times.push(t.elapsed().as_secs_f64() * 1e6);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    if std::env::var_os("PARTS").is_some() {
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let obj = v["request"]["object"].to_string();
        let t = Instant::now();
        for _ in 0..2000 {
            std::hint::black_box(kubeward_model::load_str("o", &obj));
        }
        println!(
            "load_str {:.1} µs",
            t.elapsed().as_secs_f64() * 1e6 / 2000.0
        );
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .unwrap();
        pool.install(|| {
            let t = Instant::now();
            for _ in 0..2000 {
                std::hint::black_box(kubeward_model::load_str("o", &obj));
            }
            println!(
                "load_str in pool {:.1} µs",
                t.elapsed().as_secs_f64() * 1e6 / 2000.0
            );
            let t = Instant::now();
            for _ in 0..2000 {
                std::hint::black_box(w.decide(&body, &labels, today));
            }
            println!(
                "decide in pool {:.1} µs",
                t.elapsed().as_secs_f64() * 1e6 / 2000.0
            );
        });
        let snap = kubeward_model::load_str("o", &obj);
        let t = Instant::now();
        for _ in 0..2000 {
            std::hint::black_box(kubeward_model::Index::new(&snap));
        }
        println!("index {:.1} µs", t.elapsed().as_secs_f64() * 1e6 / 2000.0);
        let idx = kubeward_model::Index::new(&snap);
        let settings = kubeward_rules::Settings::default();
        for r in kubeward_rules::registry::all() {
            let cx = kubeward_rules::Context::new(&snap, &idx, &settings, None);
            let t = Instant::now();
            let mut out = Vec::new();
            for _ in 0..200 {
                out.clear();
                r.check(&cx, &mut out);
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / 200.0;
            if us > 2.0 {
                println!("rule {} {:.1} µs", r.meta().name, us);
            }
        }
    }
    let q = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)];
    println!(
        "{n} decisions of {} ({} bytes): p50 {:.1} µs, p99 {:.1} µs, p99.9 {:.1} µs, mean {:.1} µs",
        path.rsplit('/').next().unwrap_or(&path),
        body.len(),
        q(0.5),
        q(0.99),
        q(0.999),
        times.iter().sum::<f64>() / n as f64
    );
}
