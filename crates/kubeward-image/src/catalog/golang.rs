//! Go binaries: the build info blob the Go linker embeds.
//!
//! Layout (written from the format description): a 32-byte header starting with the 14-byte
//! magic `\xff Go buildinf:`, then one byte of pointer size and one byte of flags (bit 0: big
//! endian, bit 1: strings inline). With inline strings (Go 1.18+) two varint-length-prefixed
//! strings follow the header: the toolchain version and the module info. Before that, the
//! header holds at offset 16 two pointers to Go string headers (data pointer, length) that are
//! read through the ELF load segments. The module info is framed by 16 sentinel bytes at each
//! end and holds tab-separated lines: `path`, `mod`, `dep`, `=>` (replaces the line before)
//! and `build`.

use super::elf::Elf;
use super::Context;
use crate::image::Want;
use crate::package::{Ecosystem, Package};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const MAX_STRING: u64 = 4 << 20;

/// Build information of one Go binary.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoBuildInfo {
    /// Toolchain version (`go1.22.3`).
    pub go_version: String,
    /// Main package path (`path` line).
    pub path: Option<String>,
    /// Main module (path, version).
    pub main: Option<(String, String)>,
    /// Dependencies (path, version), after replacements.
    pub deps: Vec<(String, String)>,
}

/// Reads the build info from an ELF binary; `None` when it is not a Go binary.
pub fn read_build_info(data: &[u8]) -> Option<GoBuildInfo> {
    let elf = Elf::parse(data)?;
    let blob = match elf.section(".go.buildinfo") {
        Some(s) if s.starts_with(MAGIC) => s,
        _ => {
            // stripped section headers: search the file (the blob is 16-byte aligned)
            let mut from = 0;
            loop {
                let i = memchr::memmem::find(&data[from..], MAGIC)? + from;
                if i % 16 == 0 {
                    break &data[i..];
                }
                from = i + 1;
            }
        }
    };
    if blob.len() < 32 {
        return None;
    }
    let ptr_size = blob[14] as u64;
    let flags = blob[15];
    let (version, modinfo) = if flags & 2 != 0 {
        let (v, rest) = varint_string(&blob[32..])?;
        let (m, _) = varint_string(rest).unwrap_or((&[], &[]));
        (v.to_vec(), m.to_vec())
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return None;
        }
        let read_str = |at: usize| -> Option<Vec<u8>> {
            let p = elf.read_ptr(blob.get(at..)?)?;
            let hdr = elf.read_vaddr(p, ptr_size * 2)?;
            let data_ptr = elf.read_ptr(hdr)?;
            let len = elf.read_ptr(hdr.get(ptr_size as usize..)?)?;
            if len > MAX_STRING {
                return None;
            }
            Some(elf.read_vaddr(data_ptr, len)?.to_vec())
        };
        let _ = elf.is64();
        let _ = elf.little_endian();
        (
            read_str(16)?,
            read_str(16 + ptr_size as usize).unwrap_or_default(),
        )
    };
    let mut info = GoBuildInfo {
        go_version: String::from_utf8_lossy(&version).into_owned(),
        ..GoBuildInfo::default()
    };
    let modinfo = if modinfo.len() >= 33 && modinfo[modinfo.len() - 17] == b'\n' {
        &modinfo[16..modinfo.len() - 16]
    } else {
        &modinfo[..]
    };
    let text = String::from_utf8_lossy(modinfo);
    for line in text.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        match f.as_slice() {
            ["path", p, ..] => info.path = Some(p.to_string()),
            ["mod", p, v, ..] => info.main = Some((p.to_string(), v.to_string())),
            ["dep", p, v, ..] => info.deps.push((p.to_string(), v.to_string())),
            ["=>", p, v, ..] => {
                if let Some(last) = info.deps.last_mut() {
                    *last = (p.to_string(), v.to_string());
                } else if let Some(m) = info.main.as_mut() {
                    *m = (p.to_string(), v.to_string());
                }
            }
            _ => {}
        }
    }
    Some(info)
}

fn varint_string(b: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut n: u64 = 0;
    let mut shift = 0;
    let mut i = 0;
    loop {
        let byte = *b.get(i)?;
        i += 1;
        n |= ((byte & 0x7f) as u64) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    if n > MAX_STRING {
        return None;
    }
    let end = i.checked_add(n as usize)?;
    Some((b.get(i..end)?, &b[end..]))
}

/// Packages of a Go binary: the main module (the application), its dependencies and the
/// `stdlib` pseudo-package.
pub fn packages(info: &GoBuildInfo) -> Vec<Package> {
    let mut out = Vec::new();
    // the main module is the application (its `mod` line; a binary built outside a module
    // has only the main package's `path`)
    let main = match (&info.main, &info.path) {
        (Some((p, v)), _) => Some(Package::new(Ecosystem::Golang, p.clone(), v.clone())),
        (None, Some(path)) if !path.is_empty() && path != "command-line-arguments" => {
            Some(Package::new(Ecosystem::Golang, path.clone(), ""))
        }
        _ => None,
    };
    if let Some(mut m) = main {
        m.application = true;
        out.push(m);
    }
    for (p, v) in &info.deps {
        out.push(Package::new(Ecosystem::Golang, p.clone(), v.clone()));
    }
    let go = info
        .go_version
        .split_whitespace()
        .find(|w| w.starts_with("go1"))
        .unwrap_or("");
    if !go.is_empty() {
        out.push(Package::new(Ecosystem::Golang, "stdlib", go.to_string()));
    }
    out
}

/// Go binaries: the main module, its dependencies and the toolchain (`stdlib`) from the build
/// info of every executable.
pub struct GoBinary;

impl super::Cataloger for GoBinary {
    fn name(&self) -> &'static str {
        "go-binary"
    }

    fn want(&self, _path: &str, mode: u32) -> Option<Want> {
        (mode & 0o111 != 0).then_some(Want::Inspect)
    }

    fn inspect(&self, _path: &str, data: &[u8]) -> Option<Result<Vec<Package>, String>> {
        read_build_info(data).map(|info| Ok(packages(&info)))
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        cx.inspected(Ecosystem::Golang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::elf::testutil::build_elf;

    #[test]
    fn inline_format() {
        let mut blob = Vec::new();
        blob.extend_from_slice(MAGIC);
        blob.push(8);
        blob.push(2);
        blob.resize(32, 0);
        let v = b"go1.22.3";
        blob.push(v.len() as u8);
        blob.extend_from_slice(v);
        let mut m = vec![b'x'; 16];
        m.extend_from_slice(
            b"path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/text\tv0.3.0\th1:abc=\n=>\tgolang.org/x/text\tv0.3.8\th1:def=\nbuild\tGOOS=linux\n",
        );
        m.extend_from_slice(&[b'y'; 16]);
        blob.push((m.len() & 0x7f) as u8 | 0x80);
        blob.push((m.len() >> 7) as u8);
        blob.extend_from_slice(&m);
        let elf = build_elf(&[(".go.buildinfo", &blob)], 0x400000);
        let info = read_build_info(&elf).unwrap();
        assert_eq!(info.go_version, "go1.22.3");
        assert_eq!(
            info.main,
            Some(("example.com/app".into(), "(devel)".into()))
        );
        assert_eq!(
            info.deps,
            vec![("golang.org/x/text".into(), "v0.3.8".into())]
        );
        let p = packages(&info);
        assert_eq!(p.len(), 3);
        assert_eq!(p[2].purl, "pkg:golang/stdlib@go1.22.3");
        // the main module is the application
        assert!(p[0].application && !p[1].application && !p[2].application);
        // built outside a module: the main package's path, without a version
        let no_mod = GoBuildInfo {
            go_version: "go1.22.3".into(),
            path: Some("example.com/cmd/tool".into()),
            ..GoBuildInfo::default()
        };
        let p = packages(&no_mod);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("example.com/cmd/tool", "")
        );
        assert!(p[0].application);
    }

    #[test]
    fn garbage_is_none() {
        assert!(read_build_info(b"\x7fELF garbage").is_none());
        let mut blob = MAGIC.to_vec();
        blob.extend_from_slice(&[8, 2]);
        blob.resize(32, 0);
        blob.extend_from_slice(&[0xff; 12]);
        let elf = build_elf(&[(".go.buildinfo", &blob)], 0x400000);
        assert!(read_build_info(&elf).is_none());
    }
}
