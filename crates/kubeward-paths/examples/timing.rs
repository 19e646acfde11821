//! Phase timings of the attack graph on a folder or files:
//! `cargo run --release -p kubeward-paths --example timing -- PATH...`

use kubeward_model::{Index, Input, Loader};
use kubeward_rbac::{Engine, Options};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let inputs: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let t = Instant::now();
    let loader = Loader::default();
    let (files, _) = loader.expand(&inputs, &|_| false);
    let snap = loader.load(files.into_iter().map(Input::Path).collect());
    let load = t.elapsed();
    let t = Instant::now();
    let index = Index::new(&snap);
    let rbac = Engine::new(&snap, Options::default());
    let setup = t.elapsed();
    let t = Instant::now();
    let graph = kubeward_paths::build(&snap, &index, &rbac);
    let build = t.elapsed();
    let t = Instant::now();
    let paths = kubeward_paths::shortest_paths(&graph);
    let shortest = t.elapsed();
    let t = Instant::now();
    let chokes = kubeward_paths::choke_points(&graph, &paths);
    let choke = t.elapsed();
    println!(
        "objects {} templates {} vertices {} edges {} paths {} choke points {}",
        snap.objects.len(),
        index.pod_templates().len(),
        graph.vertices.len(),
        graph.edges.len(),
        paths.len(),
        chokes.len()
    );
    println!(
        "load {load:?} index+rbac {setup:?} build {build:?} paths {shortest:?} choke points {choke:?}"
    );
}
