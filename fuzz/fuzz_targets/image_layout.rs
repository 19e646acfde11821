//! Fuzzes the OCI image layout reader. The input is parts separated by lines `--8<--`:
//! index.json, the manifest, the config, then layers. Before the parts are written, the
//! placeholders `@M@`, `@C@`, `@L0@`…`@L7@` (digests) and `@SM@`, `@SC@`, `@SL0@`…`@SL7@`
//! (sizes) are replaced by those of the manifest, config and layer parts (a layer part may
//! name the layer parts before it, the config those, the manifest all), so the fuzzer keeps
//! valid digests while it mutates the structure; every part is stored under its real digest.
//! A first byte `!` then flips one byte of one stored blob (chosen by the second byte), after
//! the digests were taken: a successful read must never report a blob that does not match.
#![no_main]

#[path = "common_image.rs"]
mod common_image;

use common_image::{put_blob, read_and_check};
use libfuzzer_sys::fuzz_target;

fn replace(part: &[u8], pairs: &[(String, String)]) -> Vec<u8> {
    let mut out = part.to_vec();
    for (k, v) in pairs {
        if k.is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(k.as_bytes()) {
                next.extend_from_slice(v.as_bytes());
                i += k.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

fn split(data: &[u8]) -> Vec<&[u8]> {
    const SEP: &[u8] = b"\n--8<--\n";
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(i) = rest.windows(SEP.len()).position(|w| w == SEP) {
        parts.push(&rest[..i]);
        rest = &rest[i + SEP.len()..];
    }
    parts.push(rest);
    parts
}

fuzz_target!(|data: &[u8]| {
    let (corrupt, data) = match data {
        [b'!', which, rest @ ..] => (Some(*which as usize), rest),
        _ => (None, data),
    };
    let parts = split(data);
    if parts.len() > 12 {
        return;
    }
    let t = tempfile::tempdir().unwrap();
    let dir = t.path();
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut stored: Vec<String> = Vec::new();
    // layers, then the config, then the manifest (each may name the ones before)
    for (i, l) in parts.iter().enumerate().skip(3).take(8) {
        let l = replace(l, &pairs);
        let d = put_blob(dir, &l);
        pairs.push((format!("@L{}@", i - 3), d.clone()));
        pairs.push((format!("@SL{}@", i - 3), l.len().to_string()));
        stored.push(d);
    }
    for (i, key) in [(2, "C"), (1, "M")] {
        if let Some(p) = parts.get(i) {
            let p = replace(p, &pairs);
            let d = put_blob(dir, &p);
            pairs.push((format!("@{key}@"), d.clone()));
            pairs.push((format!("@S{key}@"), p.len().to_string()));
            stored.push(d);
        }
    }
    let index = replace(parts[0], &pairs);
    std::fs::write(dir.join("index.json"), index).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    if let (Some(which), false) = (corrupt, stored.is_empty()) {
        let d = &stored[which % stored.len()];
        let p = dir.join("blobs/sha256").join(&d["sha256:".len()..]);
        let mut b = std::fs::read(&p).unwrap();
        let at = which % b.len().max(1);
        if let Some(x) = b.get_mut(at) {
            *x ^= 0x20;
            std::fs::write(&p, b).unwrap();
        }
    }
    read_and_check(dir, Some(dir));
});
