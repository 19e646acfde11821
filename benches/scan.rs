//! Parsing alone versus the whole scan (load, analyse with every rule, filter, JSON report).
//!
//! `cargo bench -p kubeward-benches [-- PATH...]`; without paths it measures the real corpus
//! (`testdata/real`) and the dumps that `benches/run.sh` generates under `bench-data/`.

use kubeward_benches::{inputs, load, median};
use kubeward_report::{Format, ScanResult};
use kubeward_rules::{engine, filter, Settings};
use std::path::PathBuf;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut targets: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .map(PathBuf::from)
        .collect();
    if targets.is_empty() {
        targets = vec![
            root.join("testdata/real"),
            root.join("bench-data/c10k.yaml"),
            root.join("bench-data/c100k.yaml"),
        ];
    }
    println!(
        "{:<40} {:>8} {:>10} {:>10} {:>10} {:>7}",
        "input", "objects", "MB", "parse", "scan", "ratio"
    );
    for t in targets {
        if !t.exists() {
            println!(
                "{:<40} missing (run benches/run.sh to generate it)",
                t.display()
            );
            continue;
        }
        let files = inputs(std::slice::from_ref(&t));
        let bytes: u64 = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        let big = bytes > 100 * 1024 * 1024;
        let runs = if big { 3 } else { 7 };
        let mut objects = 0;
        let parse = median(runs, || {
            let s = load(&files);
            objects = s.objects.len();
            s
        });
        let mut findings = 0;
        let scan = median(runs, || {
            let snap = load(&files);
            let all = engine::analyze(&snap, &Settings::default(), &|_| true);
            let filtered = filter::apply(&snap, all, &Default::default());
            findings = filtered.findings.len();
            {
                let result = ScanResult {
                    snapshot: &snap,
                    findings: &filtered.findings,
                    suppressed: &[],
                    show_suppressed: false,
                    files: files.len(),
                    tool_version: "bench",
                };
                let mut sink = std::io::sink();
                kubeward_report::write(Format::Json, &result, &mut sink, false).expect("report");
            }
            (snap, filtered.findings)
        });
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<40} {:>8} {:>10.1} {:>9.3}s {:>9.3}s {:>6.2}x   ({} findings)",
            name,
            objects,
            bytes as f64 / 1e6,
            parse.as_secs_f64(),
            scan.as_secs_f64(),
            scan.as_secs_f64() / parse.as_secs_f64(),
            findings
        );
    }
}
