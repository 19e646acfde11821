//! Loads the given paths and prints counts and timing: `cargo run --release -p kubeward-model --example load -- PATH...`.
use kubeward_model::{Input, Loader};
use std::path::PathBuf;
fn main() {
    let paths: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let t = std::time::Instant::now();
    let loader = Loader::default();
    let (files, errs) = loader.expand(&paths, &|_| false);
    let snap = loader.load(files.into_iter().map(Input::Path).collect());
    println!(
        "{} objects, {} errors ({} walk), {} notes in {:?}",
        snap.objects.len(),
        snap.errors.len(),
        errs.len(),
        snap.notes.len(),
        t.elapsed()
    );
    for e in snap.errors.iter().take(20) {
        println!("  {e}");
    }
    for n in snap.notes.iter().take(5) {
        println!("  note {}:{}:{}: {}", n.file, n.line, n.column, n.message);
    }
}
