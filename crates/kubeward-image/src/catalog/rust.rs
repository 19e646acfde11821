//! Rust binaries built with `cargo auditable`: the `.dep-v0` ELF section holds the
//! zlib-compressed JSON dependency list (`{"packages": [{"name", "version", "source", "kind",
//! "dependencies", "root"}]}`).

use super::elf::Elf;
use super::Context;
use crate::image::Want;
use crate::package::{Ecosystem, Package};
use serde::Deserialize;
use std::io::Read;

const MAX_JSON: u64 = 16 << 20;

#[derive(Deserialize)]
struct VersionInfo {
    packages: Vec<AuditPackage>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    kind: Option<String>,
    /// The root of the dependency graph: the crate the binary was built from.
    #[serde(default)]
    root: bool,
}

/// Reads the crates recorded by `cargo auditable`; `Ok(None)` when the binary has no such
/// section, `Err` when the section is there but unreadable.
pub fn read_auditable(data: &[u8]) -> Result<Option<Vec<Package>>, String> {
    let Some(elf) = Elf::parse(data) else {
        return Ok(None);
    };
    let Some(section) = elf.section(".dep-v0") else {
        return Ok(None);
    };
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(section)
        .take(MAX_JSON + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("cargo-auditable data: zlib: {e}"))?;
    if json.len() as u64 > MAX_JSON {
        return Err("cargo-auditable data: over 16 MiB decompressed".into());
    }
    let info: VersionInfo =
        serde_json::from_slice(&json).map_err(|e| format!("cargo-auditable data: {e}"))?;
    let mut out = Vec::new();
    for p in info.packages {
        // build-only dependencies (proc macros, build scripts) are not in the binary
        if p.kind.as_deref() == Some("build") {
            continue;
        }
        // local, git and other-registry crates are kept too: the root crate is usually local
        let _ = p.source;
        let mut pkg = Package::new(Ecosystem::Cargo, p.name, p.version);
        pkg.application = p.root;
        out.push(pkg);
    }
    Ok(Some(out))
}

/// Rust binaries built with `cargo auditable`: the crates of the `.dep-v0` section.
pub struct RustBinary;

impl super::Cataloger for RustBinary {
    fn name(&self) -> &'static str {
        "rust-binary"
    }

    fn want(&self, _path: &str, mode: u32) -> Option<Want> {
        (mode & 0o111 != 0).then_some(Want::Inspect)
    }

    fn inspect(&self, _path: &str, data: &[u8]) -> Option<Result<Vec<Package>, String>> {
        read_auditable(data).transpose()
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        cx.inspected(Ecosystem::Cargo)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::elf::testutil::build_elf;
    use std::io::Write;

    #[test]
    fn reads_dep_v0() {
        let json = br#"{"packages":[{"name":"vulnapp","version":"0.1.0","source":"local","dependencies":[1],"root":true},{"name":"smallvec","version":"1.6.0","source":"crates.io"},{"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"}]}"#;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(json).unwrap();
        let z = z.finish().unwrap();
        let elf = build_elf(&[(".dep-v0", &z)], 0x10000);
        let pkgs = read_auditable(&elf).unwrap().unwrap();
        let names: Vec<_> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, vec![("vulnapp", "0.1.0"), ("smallvec", "1.6.0")]);
        assert_eq!(pkgs[1].purl, "pkg:cargo/smallvec@1.6.0");
        assert!(pkgs[0].application && !pkgs[1].application);
        let bad = build_elf(&[(".dep-v0", b"not zlib")], 0x10000);
        assert!(read_auditable(&bad).is_err());
    }
}
