//! Fuzzes the archive readers: the input is written as a file and read as an OCI archive or a
//! docker-save tarball (whichever `detect` finds), within small limits.
#![no_main]

#[path = "common_image.rs"]
mod common_image;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let t = tempfile::tempdir().unwrap();
    let p = t.path().join("image.tar");
    std::fs::write(&p, data).unwrap();
    common_image::read_and_check(&p, None);
});
