//! Times every rule on the given paths: `cargo run --release -p kubeward-rules --example rule_times -- PATH...`.
use kubeward_model::{Index, Input, Loader};
use kubeward_rules::{registry, Context, Settings};
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let loader = Loader::default();
    let t = Instant::now();
    let (files, _) = loader.expand(&paths, &|_| false);
    let snap = loader.load(files.into_iter().map(Input::Path).collect());
    println!("load {:?} ({} objects)", t.elapsed(), snap.objects.len());
    let t = Instant::now();
    let index = Index::new(&snap);
    println!("index {:?}", t.elapsed());
    let settings = Settings::default();
    let cx = Context::new(&snap, &index, &settings, None);
    let mut rows = Vec::new();
    for r in registry::all() {
        let t = Instant::now();
        let mut out = Vec::new();
        r.check(&cx, &mut out);
        rows.push((t.elapsed(), r.meta().name, out.len()));
    }
    rows.sort_by_key(|r| std::cmp::Reverse(r.0));
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("pool");
        let t = Instant::now();
        let n = pool.install(|| {
            kubeward_rules::engine::analyze_with(&snap, &index, &settings, &|_| true).len()
        });
        println!(
            "engine::analyze_with on {threads} thread(s): {:?} ({n} findings)",
            t.elapsed()
        );
    }
    let total: std::time::Duration = rows.iter().map(|r| r.0).sum();
    println!("rules total {total:?} (one thread)");
    for (d, name, n) in rows.iter().take(25) {
        println!("{:>10.1?} {:>8} {}", d, n, name);
    }
}
