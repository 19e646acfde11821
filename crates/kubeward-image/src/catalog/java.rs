//! Java archives (jar/war/ear): `META-INF/maven/**/pom.properties`, else `MANIFEST.MF`, and
//! nested archives (Spring Boot `BOOT-INF/lib/*.jar`, war `WEB-INF/lib/*.jar`), with bounds.
//!
//! A small zip reader of our own: the central directory, stored and deflated entries; ZIP64
//! entries are skipped.

use super::Context;
use crate::image::Want;
use crate::package::{Ecosystem, Package};
use std::io::Read;

const MAX_DEPTH: usize = 3;
const MAX_ENTRIES: usize = 200_000;
const MAX_META_BYTES: u64 = 1 << 20;
const MAX_NESTED_BYTES: u64 = 256 << 20;

struct Entry<'a> {
    name: String,
    method: u16,
    comp_size: u64,
    size: u64,
    data: &'a [u8],
}

fn u16le(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}
fn u32le(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn entries(zip: &[u8]) -> Result<Vec<Entry<'_>>, String> {
    let tail_start = zip.len().saturating_sub(65_557);
    let eocd = (tail_start..zip.len().saturating_sub(21))
        .rev()
        .find(|&i| zip[i..].starts_with(b"PK\x05\x06"))
        .ok_or("zip: no end of central directory")?;
    let count = u16le(zip, eocd + 10).ok_or("zip: short EOCD")? as usize;
    let cd_off = u32le(zip, eocd + 16).ok_or("zip: short EOCD")? as usize;
    if count > MAX_ENTRIES {
        return Err(format!(
            "zip: {count} entries, over the limit of {MAX_ENTRIES}"
        ));
    }
    let mut out = Vec::with_capacity(count);
    let mut at = cd_off;
    for _ in 0..count {
        let bad = || "zip: corrupt central directory".to_string();
        if !zip.get(at..).is_some_and(|s| s.starts_with(b"PK\x01\x02")) {
            return Err(bad());
        }
        let method = u16le(zip, at + 10).ok_or_else(bad)?;
        let comp_size = u32le(zip, at + 20).ok_or_else(bad)? as u64;
        let size = u32le(zip, at + 24).ok_or_else(bad)? as u64;
        let nlen = u16le(zip, at + 28).ok_or_else(bad)? as usize;
        let elen = u16le(zip, at + 30).ok_or_else(bad)? as usize;
        let clen = u16le(zip, at + 32).ok_or_else(bad)? as usize;
        let local = u32le(zip, at + 42).ok_or_else(bad)? as usize;
        let name = zip.get(at + 46..at + 46 + nlen).ok_or_else(bad)?;
        let name = String::from_utf8_lossy(name).into_owned();
        at += 46 + nlen + elen + clen;
        if comp_size == 0xFFFF_FFFF || size == 0xFFFF_FFFF || local == 0xFFFF_FFFF {
            continue; // ZIP64
        }
        let Some(lh) = zip.get(local..) else { continue };
        if !lh.starts_with(b"PK\x03\x04") {
            continue;
        }
        let (Some(ln), Some(le)) = (u16le(lh, 26), u16le(lh, 28)) else {
            continue;
        };
        let start = local + 30 + ln as usize + le as usize;
        let Some(data) = zip.get(start..start.saturating_add(comp_size as usize)) else {
            continue;
        };
        out.push(Entry {
            name,
            method,
            comp_size,
            size,
            data,
        });
    }
    Ok(out)
}

fn read_entry(e: &Entry<'_>, max: u64) -> Option<Vec<u8>> {
    if e.size > max {
        return None;
    }
    match e.method {
        0 => Some(e.data.to_vec()),
        8 => {
            let mut out = Vec::with_capacity(e.size as usize);
            flate2::read::DeflateDecoder::new(e.data)
                .take(max)
                .read_to_end(&mut out)
                .ok()?;
            Some(out)
        }
        _ => None,
    }
}

fn props(text: &str) -> std::collections::HashMap<String, String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('=').or_else(|| l.split_once(':')))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn manifest(text: &str) -> std::collections::HashMap<String, String> {
    // MANIFEST.MF: "Key: value", continuation lines start with one space
    let mut m = std::collections::HashMap::new();
    let mut last: Option<String> = None;
    for line in text.lines() {
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(k) = &last {
                if let Some(v) = m.get_mut(k) {
                    let v: &mut String = v;
                    v.push_str(cont);
                }
            }
            continue;
        }
        if line.is_empty() {
            break; // main section only
        }
        if let Some((k, v)) = line.split_once(':') {
            m.insert(k.trim().to_string(), v.trim().to_string());
            last = Some(k.trim().to_string());
        }
    }
    m
}

/// Name and version from a file name like `commons-io-2.11.0.jar`.
fn from_file_name(path: &str) -> Option<(String, String)> {
    let file = path.rsplit(['/', ':']).next()?;
    let stem = file.rsplit_once('.')?.0;
    let i = stem
        .match_indices('-')
        .find(|(i, _)| stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()))?
        .0;
    Some((stem[..i].to_string(), stem[i + 1..].to_string()))
}

/// Packages of one Java archive (and the archives nested in it).
pub fn inspect_archive(path: &str, data: &[u8]) -> Result<Vec<Package>, String> {
    let mut out = Vec::new();
    let mut budget = MAX_NESTED_BYTES;
    walk(path, data, 0, &mut budget, &mut out)?;
    Ok(out)
}

fn walk(
    location: &str,
    data: &[u8],
    depth: usize,
    budget: &mut u64,
    out: &mut Vec<Package>,
) -> Result<(), String> {
    let es = entries(data)?;
    let mut found_pom = false;
    let mut mf = None;
    for e in &es {
        if e.name.starts_with("META-INF/maven/") && e.name.ends_with("/pom.properties") {
            let Some(d) = read_entry(e, MAX_META_BYTES) else {
                continue;
            };
            let p = props(&String::from_utf8_lossy(&d));
            if let (Some(g), Some(a), Some(v)) =
                (p.get("groupId"), p.get("artifactId"), p.get("version"))
            {
                let mut pkg = Package::new(Ecosystem::Maven, format!("{g}:{a}"), v.clone());
                pkg.locations.push(location.to_string());
                out.push(pkg);
                found_pom = true;
            }
        } else if e.name == "META-INF/MANIFEST.MF" {
            mf = read_entry(e, MAX_META_BYTES).map(|d| manifest(&String::from_utf8_lossy(&d)));
        }
    }
    if !found_pom {
        let m = mf.unwrap_or_default();
        let file = from_file_name(location);
        let name = m
            .get("Implementation-Title")
            .or_else(|| m.get("Bundle-SymbolicName"))
            .map(|s| s.split(';').next().unwrap_or(s).to_string())
            .or_else(|| file.as_ref().map(|f| f.0.clone()));
        let version = m
            .get("Implementation-Version")
            .or_else(|| m.get("Bundle-Version"))
            .cloned()
            .or_else(|| file.as_ref().map(|f| f.1.clone()));
        if let (Some(n), Some(v)) = (name, version) {
            let n = match m
                .get("Implementation-Vendor-Id")
                .or_else(|| m.get("Automatic-Module-Name"))
            {
                Some(g) if !n.contains(':') && m.contains_key("Implementation-Vendor-Id") => {
                    format!("{g}:{n}")
                }
                _ => n,
            };
            let mut pkg = Package::new(Ecosystem::Maven, n, v);
            pkg.locations.push(location.to_string());
            out.push(pkg);
        }
    }
    if depth + 1 >= MAX_DEPTH {
        return Ok(());
    }
    for e in &es {
        if !(e.name.ends_with(".jar") || e.name.ends_with(".war")) || e.comp_size == 0 {
            continue;
        }
        if e.size > *budget {
            continue;
        }
        let Some(d) = read_entry(e, *budget) else {
            continue;
        };
        *budget -= d.len() as u64;
        let loc = format!("{location}:{}", e.name);
        // a broken nested archive does not spoil the outer one
        let _ = walk(&loc, &d, depth + 1, budget, out);
    }
    Ok(())
}

/// Java archives (`.jar`, `.war`, `.ear`, `.jpi`, `.hpi`, and any zip inspected): Maven
/// coordinates from `pom.properties` and manifests, nested archives included.
pub struct Java;

impl super::Cataloger for Java {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<Want> {
        super::ARCHIVE_EXT
            .iter()
            .any(|e| path.ends_with(e))
            .then_some(Want::Inspect)
    }

    fn inspect(&self, path: &str, data: &[u8]) -> Option<Result<Vec<Package>, String>> {
        data.starts_with(b"PK\x03\x04")
            .then(|| inspect_archive(path, data))
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        cx.inspected(Ecosystem::Maven)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Writes a stored (uncompressed) zip.
    pub(crate) fn zip(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut cd = Vec::new();
        for (name, data) in files {
            let off = out.len() as u32;
            out.extend_from_slice(b"PK\x03\x04");
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            cd.extend_from_slice(b"PK\x01\x02");
            cd.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(data.len() as u32).to_le_bytes());
            cd.extend_from_slice(&(name.len() as u16).to_le_bytes());
            cd.extend_from_slice(&[0; 12]);
            cd.extend_from_slice(&off.to_le_bytes());
            cd.extend_from_slice(name.as_bytes());
        }
        let cd_off = out.len() as u32;
        out.extend_from_slice(&cd);
        out.extend_from_slice(b"PK\x05\x06\0\0\0\0");
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(files.len() as u16).to_le_bytes());
        out.extend_from_slice(&(cd.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_off.to_le_bytes());
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn pom_manifest_nested() {
        let inner = zip(&[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\nImplementation-Title: guava\nImplementation-Version: 31.0\nImplementation-Vendor-Id: com.google.guava\n")]);
        let outer = zip(&[
            (
                "META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties",
                b"#x\ngroupId=org.apache.logging.log4j\nartifactId=log4j-core\nversion=2.14.1\n",
            ),
            ("BOOT-INF/lib/guava.jar", &inner),
        ]);
        let p = inspect_archive("app/app.jar", &outer).unwrap();
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.locations[0].as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "org.apache.logging.log4j:log4j-core",
                    "2.14.1",
                    "app/app.jar"
                ),
                (
                    "com.google.guava:guava",
                    "31.0",
                    "app/app.jar:BOOT-INF/lib/guava.jar"
                ),
            ]
        );
        assert_eq!(
            p[0].purl,
            "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1"
        );
        assert!(inspect_archive("x.jar", b"PK\x03\x04junk").is_err());
        let bare = zip(&[("a.class", b"")]);
        let p = inspect_archive("lib/commons-io-2.11.0.jar", &bare).unwrap();
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str()),
            ("commons-io", "2.11.0")
        );
    }
}
