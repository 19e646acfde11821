//! Shared helpers of the benchmark harness (`cargo bench -p kubeward-benches`).

use kubeward_model::{Input, Loader, Snapshot};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Lists manifest files under the given roots.
pub fn inputs(roots: &[PathBuf]) -> Vec<PathBuf> {
    Loader::default().expand(roots, &|_| false).0
}

/// Loads (reads and parses) the files.
pub fn load(files: &[PathBuf]) -> Snapshot {
    Loader::default().load(files.iter().cloned().map(Input::Path).collect())
}

/// Median of `runs` timings of `f`; what `f` returns is dropped after the clock stops (the CLI
/// does not free its snapshot either).
pub fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            let out = f();
            let elapsed = t.elapsed();
            drop(out);
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}
