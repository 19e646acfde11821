//! Hostile layer tars that already held (issue 6): entries that climb out of the image root
//! (`..`, absolute paths, symlinks and hard links pointing outside), and decompression bombs
//! (gzip and zstd layers a few hundred KB small that expand to gigabytes). Nothing is
//! extracted to disk; paths resolve inside the image; bombs stop at a limit with exit 2 under
//! a 512 MiB address-space cap. Generators: `image_blobs`.

use crate::common::texts;
use crate::image_blobs::{gzip, header, layer, package_names, sbom, tmp_layout, Entry};
use std::path::Path;
use std::process::Command;

/// The files below `dir`, relative, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("list") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p.clone());
            }
            out.push(p.strip_prefix(dir).expect("below").display().to_string());
        }
    }
    out.sort();
    out
}

#[test]
fn dotdot_entry_is_refused_and_nothing_is_written() {
    let t = tempfile::tempdir().expect("tempdir");
    let l = layer(&[
        Entry::File("etc/os-release", b"ID=inside\n"),
        Entry::File("../../kubeward-escaped", b"pwned\n"),
    ]);
    let dir = tmp_layout(t.path(), &[l]);
    let before = listing(t.path());
    let (code, catalog, err) = sbom(&dir);
    assert_eq!(code, Some(2), "{catalog:?} {err}");
    assert!(
        err.contains("unsafe entry path") && err.contains(".."),
        "{err}"
    );
    assert_eq!(listing(t.path()), before, "the reader wrote files");
    assert!(!t.path().join("../kubeward-escaped").exists());
}

#[test]
fn absolute_entry_paths_stay_inside_the_image() {
    let t = tempfile::tempdir().expect("tempdir");
    let l = layer(&[Entry::File(
        "/etc/os-release",
        b"ID=absolute-inside\nVERSION_ID=1\n",
    )]);
    let (code, catalog, err) = sbom(&tmp_layout(t.path(), &[l]));
    assert_eq!(code, Some(0), "{err}");
    let c = catalog.expect("catalog");
    assert_eq!(c["distro"]["id"], "absolute-inside", "{c}");
}

#[test]
fn symlinks_out_of_the_root_resolve_inside_it() {
    // the host has /etc/os-release and, on Debian, a dpkg database: neither may be read
    let t = tempfile::tempdir().expect("tempdir");
    let l = layer(&[
        Entry::Symlink("etc/os-release", "../../../../../../../etc/os-release"),
        Entry::Symlink("var/lib/dpkg/status", "/var/lib/dpkg/status"),
        Entry::Symlink(
            "lib/apk/db/installed",
            "../../../../../../lib/apk/db/installed",
        ),
        Entry::File("usr/lib/os-release", b"ID=symlink-inside\nVERSION_ID=1\n"),
    ]);
    let (code, catalog, err) = sbom(&tmp_layout(t.path(), &[l]));
    assert_eq!(code, Some(0), "{err}");
    let c = catalog.expect("catalog");
    assert_eq!(
        package_names(&c),
        Vec::<String>::new(),
        "host files read: {c}"
    );
    assert_eq!(c["distro"]["id"], "symlink-inside", "{c}");
}

#[test]
fn hardlinks_out_of_the_root_are_refused_or_stay_inside() {
    let t = tempfile::tempdir().expect("tempdir");
    // `..` in a hard link target: an error
    let l = layer(&[Entry::Hardlink(
        "var/lib/dpkg/status",
        "../../../../var/lib/dpkg/status",
    )]);
    let (code, catalog, err) = sbom(&tmp_layout(&t.path().join("a"), &[l]));
    assert_eq!(code, Some(2), "{catalog:?} {err}");
    assert!(err.contains("unsafe entry path"), "{err}");
    // an absolute target names the image's own file (absent here): nothing from the host
    let l = layer(&[
        Entry::Hardlink("var/lib/dpkg/status", "/var/lib/dpkg/status"),
        Entry::Hardlink("etc/os-release", "/etc/os-release"),
    ]);
    let (code, catalog, err) = sbom(&tmp_layout(&t.path().join("b"), &[l]));
    assert_eq!(code, Some(0), "{err}");
    let c = catalog.expect("catalog");
    assert_eq!(
        package_names(&c),
        Vec::<String>::new(),
        "host files read: {c}"
    );
    assert!(c.get("distro").is_none_or(|d| d.is_null()), "{c}");
}

/// `kubeward sbom SOURCE` with its address space capped at 512 MiB: a reader that tried to
/// hold an expanded bomb in memory would abort instead of exiting 2.
fn sbom_capped(source: &Path) -> (Option<i32>, String, String) {
    let bin = assert_cmd::cargo::cargo_bin("kubeward");
    let out = Command::new("sh")
        .args(["-c", "ulimit -v 524288 && exec \"$0\" \"$@\""])
        .arg(bin)
        .args(["sbom", source.to_str().expect("utf-8"), "-f", "json"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run sh");
    let (o, e) = texts(&out);
    (out.status.code(), o, e)
}

/// A tar header for a `size`-byte file at a path the catalogers read into memory.
fn bomb_header(size: u64) -> [u8; 512] {
    header("var/lib/dpkg/status", b'0', "", size)
}

/// A zstd frame of `prefix` (raw blocks) and `zeros` zero bytes (RLE blocks: 4 bytes per
/// 128 KiB), written by hand: no encoder needed.
fn zstd_rle(prefix: &[u8], zeros: u64) -> Vec<u8> {
    const BLOCK: u64 = 128 << 10;
    let mut out = vec![0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]; // magic, no size/checksum, 128 KiB window
    let block = |out: &mut Vec<u8>, last: bool, kind: u32, size: u64| {
        let v = u32::from(last) | (kind << 1) | ((size as u32) << 3);
        out.extend_from_slice(&v.to_le_bytes()[..3]);
    };
    for chunk in prefix.chunks(BLOCK as usize) {
        block(&mut out, false, 0, chunk.len() as u64);
        out.extend_from_slice(chunk);
    }
    let mut left = zeros;
    while left > 0 {
        let n = left.min(BLOCK);
        left -= n;
        block(&mut out, left == 0, 1, n);
        out.push(0);
    }
    out
}

#[track_caller]
fn assert_bounded_error(source: &Path) {
    let (code, out, err) = sbom_capped(source);
    assert_eq!(code, Some(2), "stdout: {:.300} stderr: {err}", out);
    assert!(
        err.contains("limit exceeded") && err.contains("var/lib/dpkg/status"),
        "{err}"
    );
}

#[test]
fn gzip_bomb_layer_is_a_bounded_error() {
    // 256 gzip members of 1 MiB of zeros each (about 1 KB apiece): 256 MiB expanded
    let mut first = bomb_header(256 << 20).to_vec();
    first.resize(1 << 20, 0);
    let mut blob = gzip(&first);
    let member = {
        use std::io::Write;
        let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        g.write_all(&vec![0u8; 1 << 20]).expect("gzip");
        g.finish().expect("gzip")
    };
    for _ in 1..256 {
        blob.extend_from_slice(&member);
    }
    assert!(blob.len() < 1 << 20, "{}", blob.len());
    let t = tempfile::tempdir().expect("tempdir");
    let dir = tmp_layout(t.path(), &[blob]);
    assert_bounded_error(&dir);
    assert!(listing(t.path()).iter().all(|p| p.starts_with("oci")));
}

#[test]
fn zstd_bomb_layer_is_a_bounded_error() {
    // 4 GiB of zeros after the header in about 128 KB
    let blob = zstd_rle(&bomb_header(4 << 30), 4 << 30);
    assert!(blob.len() < 150_000, "{}", blob.len());
    let t = tempfile::tempdir().expect("tempdir");
    let dir = tmp_layout(t.path(), &[blob]);
    assert_bounded_error(&dir);
    assert!(listing(t.path()).iter().all(|p| p.starts_with("oci")));
}
