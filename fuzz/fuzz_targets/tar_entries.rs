//! Fuzzes the layer reader: the input is one layer of a single-layer OCI layout (stored under
//! its real digest). A first byte `g` gzips the rest first, so the fuzzer mutates the tar
//! inside a valid gzip stream; otherwise the bytes are the layer as is (plain tar, or gzip
//! and zstd streams the fuzzer writes itself). A successful read keeps only normalised paths.
#![no_main]

#[path = "common_image.rs"]
mod common_image;

use common_image::{put_blob, read_and_check};
use libfuzzer_sys::fuzz_target;
use std::io::Write;

fuzz_target!(|data: &[u8]| {
    let layer = match data {
        [b'g', rest @ ..] => {
            let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            g.write_all(rest).unwrap();
            g.finish().unwrap()
        }
        _ => data.to_vec(),
    };
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let ld = put_blob(dir, &layer);
    let config = br#"{"os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let cd = put_blob(dir, config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"digest":"{cd}","size":{}}},"layers":[{{"digest":"{ld}","size":{}}}]}}"#,
        config.len(),
        layer.len()
    );
    let md = put_blob(dir, manifest.as_bytes());
    let index = format!(
        r#"{{"schemaVersion":2,"manifests":[{{"digest":"{md}","size":{}}}]}}"#,
        manifest.len()
    );
    std::fs::write(dir.join("index.json"), index).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    read_and_check(dir, Some(dir));
    // the squashed view directly: paths are relative, normalised, never `..`
    let sel = kubeward_image::catalog::selector();
    if let Ok(r) = kubeward_image::image::read_source(dir, &sel, &common_image::options().limits) {
        for (p, _) in r.tree.iter() {
            assert!(
                !p.starts_with('/') && !p.split('/').any(|c| c == ".." || c == "." || c.is_empty()),
                "{p:?}"
            );
        }
    }
});
