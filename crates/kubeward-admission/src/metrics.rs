//! Prometheus metrics in the text exposition format (written here: a few counters and one
//! histogram do not need a metrics library). Every label value comes from a fixed set (request
//! class, verdict, rule names of the catalogue, Pod Security modes, error kinds), so an input
//! cannot grow the number of series.

use crate::decide::Decision;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds of the latency histogram, in seconds.
pub const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Counters {
    requests: BTreeMap<(&'static str, &'static str), u64>,
    rules: BTreeMap<(&'static str, &'static str), u64>,
    pod_security: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
    reloads: BTreeMap<(&'static str, &'static str), u64>,
}

/// The webhook's metrics.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<Counters>,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
    in_flight: AtomicI64,
}

impl Metrics {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records one answered request and how long it took.
    pub fn record(&self, d: &Decision, took: Duration) {
        let verdict = if d.response.allowed { "allow" } else { "deny" };
        {
            let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
            *c.requests.entry((d.class.as_str(), verdict)).or_default() += 1;
            for (rule, action) in &d.rules {
                *c.rules.entry((rule, action.as_str())).or_default() += 1;
            }
            for mode in &d.pod_security {
                *c.pod_security.entry(mode).or_default() += 1;
            }
            if let Some(e) = d.error {
                *c.errors.entry(e).or_default() += 1;
            }
        }
        self.observe(took);
    }

    /// Records a failure outside the decision (`timeout`, `too_large`, `slow_body`, `tls`).
    pub fn error(&self, kind: &'static str) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.errors.entry(kind).or_default() += 1;
    }

    /// Records a reload of `what` (`config`, `certificate`): `ok` or `error`.
    pub fn reload(&self, what: &'static str, ok: bool) {
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        *c.reloads
            .entry((what, if ok { "ok" } else { "error" }))
            .or_default() += 1;
    }

    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(
            took.as_nanos().min(u64::MAX as u128) as u64,
            Ordering::Relaxed,
        );
    }

    pub fn in_flight(&self, delta: i64) {
        self.in_flight.fetch_add(delta, Ordering::Relaxed);
    }

    /// The text exposition.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(4096);
        let c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        s.push_str("# HELP kubeward_admission_requests_total Admission requests answered, by kind of object and verdict.\n# TYPE kubeward_admission_requests_total counter\n");
        for ((class, verdict), n) in &c.requests {
            let _ = writeln!(
                s,
                "kubeward_admission_requests_total{{class=\"{class}\",verdict=\"{verdict}\"}} {n}"
            );
        }
        s.push_str("# HELP kubeward_admission_rule_verdicts_total Findings of kubeward rules in admitted requests, by rule and action taken.\n# TYPE kubeward_admission_rule_verdicts_total counter\n");
        for ((rule, action), n) in &c.rules {
            let _ = writeln!(
                s,
                "kubeward_admission_rule_verdicts_total{{rule=\"{rule}\",action=\"{action}\"}} {n}"
            );
        }
        s.push_str("# HELP kubeward_admission_pod_security_violations_total Pod Security violations, by mode (enforce: denied).\n# TYPE kubeward_admission_pod_security_violations_total counter\n");
        for (mode, n) in &c.pod_security {
            let _ = writeln!(
                s,
                "kubeward_admission_pod_security_violations_total{{mode=\"{mode}\"}} {n}"
            );
        }
        s.push_str("# HELP kubeward_admission_errors_total Requests that could not be judged normally, by cause.\n# TYPE kubeward_admission_errors_total counter\n");
        for (kind, n) in &c.errors {
            let _ = writeln!(s, "kubeward_admission_errors_total{{kind=\"{kind}\"}} {n}");
        }
        s.push_str("# HELP kubeward_admission_reloads_total Configuration and certificate reloads.\n# TYPE kubeward_admission_reloads_total counter\n");
        for ((what, result), n) in &c.reloads {
            let _ = writeln!(
                s,
                "kubeward_admission_reloads_total{{what=\"{what}\",result=\"{result}\"}} {n}"
            );
        }
        drop(c);
        s.push_str("# HELP kubeward_admission_in_flight Requests being answered.\n# TYPE kubeward_admission_in_flight gauge\n");
        let _ = writeln!(
            s,
            "kubeward_admission_in_flight {}",
            self.in_flight.load(Ordering::Relaxed)
        );
        s.push_str("# HELP kubeward_admission_duration_seconds Time from a complete request body to the answer.\n# TYPE kubeward_admission_duration_seconds histogram\n");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(
                s,
                "kubeward_admission_duration_seconds_bucket{{le=\"{b}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(
            s,
            "kubeward_admission_duration_seconds_bucket{{le=\"+Inf\"}} {count}"
        );
        let _ = writeln!(
            s,
            "kubeward_admission_duration_seconds_sum {}",
            self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9
        );
        let _ = writeln!(s, "kubeward_admission_duration_seconds_count {count}");
        s
    }
}
