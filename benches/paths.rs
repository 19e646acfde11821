//! The attack graph, phase by phase: loading (for reference), the index, the RBAC engine,
//! building the graph, the shortest paths, and the choke points (median of 3 runs each).
//!
//! `cargo bench -p kubeward-benches --bench paths [-- PATH...]`; without paths it measures
//! the real corpus (`testdata/real`), the `examples/` folder and `bench-data/c40k.yaml`, the
//! 40,000-object dump that `benches/paths.sh` generates (`gen_cluster.py --namespaces 100
//! --objects 40000 --seed 1`).

use kubeward_benches::{inputs, load, median};
use kubeward_model::Index;
use kubeward_paths::{build, choke_points, shortest_paths};
use kubeward_rbac::{Engine, Options};
use std::path::PathBuf;
use std::time::Duration;

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

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
            root.join("examples"),
            root.join("bench-data/c40k.yaml"),
        ];
    }
    println!(
        "{:<28} {:>7} {:>7} {:>7} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "input (ms)",
        "objects",
        "verts",
        "edges",
        "paths",
        "load",
        "index",
        "rbac",
        "build",
        "paths",
        "choke",
        "analysis"
    );
    for t in targets {
        if !t.exists() {
            println!(
                "{:<28} missing (run benches/paths.sh to generate it)",
                t.display()
            );
            continue;
        }
        let files = inputs(std::slice::from_ref(&t));
        let load_t = median(3, || load(&files));
        let snap = load(&files);
        let index_t = median(3, || Index::new(&snap));
        let index = Index::new(&snap);
        let rbac_t = median(3, || Engine::new(&snap, Options::default()));
        let rbac = Engine::new(&snap, Options::default());
        let build_t = median(3, || build(&snap, &index, &rbac));
        let graph = build(&snap, &index, &rbac);
        let paths_t = median(3, || shortest_paths(&graph));
        let paths = shortest_paths(&graph);
        let choke_t = median(3, || choke_points(&graph, &paths));
        let name = t
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<28} {:>7} {:>7} {:>7} {:>6} {:>8} {:>7} {:>8} {:>8} {:>8} {:>8} {:>9}",
            name,
            snap.objects.len(),
            graph.vertices.len(),
            graph.edges.len(),
            paths.len(),
            ms(load_t),
            ms(index_t),
            ms(rbac_t),
            ms(build_t),
            ms(paths_t),
            ms(choke_t),
            ms(index_t + rbac_t + build_t + paths_t + choke_t),
        );
    }
}
