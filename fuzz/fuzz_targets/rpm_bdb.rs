//! Fuzzes the Berkeley DB hash reader and the rpm header parser behind it (the rpm database of
//! CentOS 7, RHEL 8, Amazon Linux 2): any bytes are read or refused cleanly, never a panic, and
//! the values read never exceed the file's size.
#![no_main]

use kubeward_image::catalog::{bdb, rpm};
use libfuzzer_sys::fuzz_target;
use std::collections::HashSet;

fuzz_target!(|data: &[u8]| {
    if let Ok((pairs, _)) = bdb::read_pairs(data) {
        let total: usize = pairs.iter().map(|p| p.key.len() + p.value.len()).sum();
        assert!(total <= data.len(), "{total} bytes read from {}", data.len());
    }
    let mut owned = HashSet::new();
    if let Ok((pkgs, _)) = rpm::parse_rpmdb_bdb(data, &mut owned) {
        for p in &pkgs {
            let _ = serde_json::to_string(p);
        }
    }
});
