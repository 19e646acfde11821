//! Fuzzes the manifest loader: any bytes must load without panicking, within the limits, and
//! every error must carry a position inside the input.
#![no_main]

use kubeward_model::{Input, Limits, Loader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits { max_depth: 50, max_alias_nodes: 10_000, ..Limits::default() };
    let snap = Loader::new(limits).load(vec![Input::Bytes { name: "fuzz".into(), bytes: data.to_vec() }]);
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
    for e in &snap.errors {
        assert!(e.line >= 1 && e.line <= lines, "error line {} outside 1..={lines}: {e}", e.line);
    }
    for o in &snap.objects {
        let _ = kubeward_model::PodTemplate::of(o).map(|t| (t.containers().len(), t.volumes().len()));
    }
});
