//! Shared by the image fuzz targets: writing blobs under their real digests, and the invariant
//! every successful read must hold. `KUBEWARD_FUZZ_DEBUG=1` prints each read's outcome (to
//! check that the seeds are read to the end).
#![allow(dead_code)]

use kubeward_image::catalog::{catalog_source, CatalogOptions};
use kubeward_image::image::ReadLimits;
use sha2::{Digest, Sha256};
use std::path::Path;

pub fn sha256(data: &[u8]) -> String {
    let mut s = String::from("sha256:");
    for b in Sha256::digest(data) {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// Writes `data` to `dir/blobs/sha256/<its digest>`; returns the digest.
pub fn put_blob(dir: &Path, data: &[u8]) -> String {
    let d = sha256(data);
    let blobs = dir.join("blobs/sha256");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::write(blobs.join(&d["sha256:".len()..]), data).unwrap();
    d
}

/// Small limits: the fuzzer must not spend its time on big expansions.
pub fn options() -> CatalogOptions {
    CatalogOptions {
        limits: ReadLimits {
            max_total_bytes: 8 << 20,
            max_entries: 10_000,
            max_file_bytes: 1 << 20,
            max_binary_bytes: 1 << 20,
            max_kept_bytes: 4 << 20,
            max_kept_files: 1_000,
            max_layers: 16,
            max_json_bytes: 1 << 20,
        },
    }
}

/// Reads `source`; on success, every path kept is normalised and inside the root, and every
/// digest the read reports of a layout names a blob whose content hashes to it.
pub fn read_and_check(source: &Path, layout: Option<&Path>) {
    let r = catalog_source(source, &options());
    if std::env::var_os("KUBEWARD_FUZZ_DEBUG").is_some() {
        match &r {
            Ok(c) => eprintln!(
                "read: {} packages, {} layers",
                c.packages.len(),
                c.source.layers.len()
            ),
            Err(e) => eprintln!("error: {e}"),
        }
    }
    let Ok(c) = r else {
        return;
    };
    let info = &c.source;
    let Some(dir) = layout else { return };
    let mut digests: Vec<&str> = Vec::new();
    digests.extend(info.manifest_digest.as_deref());
    digests.extend(info.config_digest.as_deref());
    digests.extend(info.layers.iter().filter_map(|l| l.digest.as_deref()));
    for d in digests {
        let (alg, hex) = d.split_once(':').expect("digest");
        let data = std::fs::read(dir.join("blobs").join(alg).join(hex))
            .unwrap_or_else(|e| panic!("{d}: reported but unreadable: {e}"));
        if alg == "sha256" {
            assert_eq!(
                sha256(&data),
                d,
                "a blob that does not match its digest was used"
            );
        }
    }
}
