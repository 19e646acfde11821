//! OS package databases: dpkg (`var/lib/dpkg/status`, distroless `status.d/`) and apk
//! (`lib/apk/db/installed`), with the file lists used to mark language packages as owned.

use super::{text, Context};
use crate::image::{Node, NodeKind, Want};
use crate::package::{Ecosystem, Package};
use std::collections::HashSet;

/// Splits an RFC 822-style control file into paragraphs of (field, value) pairs; continuation
/// lines are appended to the previous value.
pub(crate) fn control_paragraphs(text: &str) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut cur: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if line.starts_with(' ') || line.starts_with('\t') {
            if let Some((_, v)) = cur.last_mut() {
                v.push('\n');
                v.push_str(line.trim());
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            cur.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn field<'a>(p: &'a [(String, String)], name: &str) -> Option<&'a str> {
    p.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Parses a dpkg status file (or one `status.d/` entry). Only installed packages are returned
/// (`Status: ... installed`; entries without `Status`, as distroless writes them, count as
/// installed).
pub fn parse_dpkg_status(text: &str) -> Vec<Package> {
    let mut out = Vec::new();
    for para in control_paragraphs(text) {
        let Some(name) = field(&para, "Package") else {
            continue;
        };
        if let Some(status) = field(&para, "Status") {
            if status.split_whitespace().nth(2) != Some("installed") {
                continue;
            }
        }
        let version = field(&para, "Version").unwrap_or("").to_string();
        let mut p = Package::new(Ecosystem::Dpkg, name, version.clone());
        p.arch = field(&para, "Architecture").map(str::to_string);
        let (src, src_ver) = match field(&para, "Source") {
            Some(s) => match s.split_once('(') {
                Some((n, v)) => (
                    n.trim().to_string(),
                    v.trim_end_matches(')').trim().to_string(),
                ),
                None => (s.trim().to_string(), version.clone()),
            },
            None => (name.to_string(), version),
        };
        p.source_name = Some(src);
        p.source_version = Some(src_ver);
        out.push(p);
    }
    out
}

/// The package name (and architecture) a `var/lib/dpkg/info/<name>[:arch].list` path belongs to.
pub(crate) fn dpkg_list_owner(path: &str) -> Option<(&str, Option<&str>)> {
    let file = path
        .strip_prefix("var/lib/dpkg/info/")?
        .strip_suffix(".list")?;
    Some(match file.split_once(':') {
        Some((n, a)) => (n, Some(a)),
        None => (file, None),
    })
}

/// Adds the paths of a dpkg `.list` file (absolute paths, one a line) to `owned`, normalised
/// to the tree's relative form.
pub(crate) fn add_dpkg_list(text: &str, owned: &mut HashSet<String>) {
    for line in text.lines() {
        let p = line.trim().trim_start_matches('/');
        if !p.is_empty() && p != "." {
            owned.insert(p.to_string());
        }
    }
}

/// Parses an apk `installed` database; file ownership (`F:` folder / `R:` file lines) is
/// added to `owned`.
pub fn parse_apk_installed(text: &str, owned: &mut HashSet<String>) -> Vec<Package> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let mut name = None;
        let mut version = None;
        let mut arch = None;
        let mut origin = None;
        let mut license = None;
        let mut dir = String::new();
        for line in block.lines() {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            match k {
                "P" => name = Some(v.to_string()),
                "V" => version = Some(v.to_string()),
                "A" => arch = Some(v.to_string()),
                "o" => origin = Some(v.to_string()),
                "L" => license = Some(v.to_string()),
                "F" => {
                    dir = v.trim_start_matches('/').to_string();
                    owned.insert(dir.clone());
                }
                "R" => {
                    owned.insert(if dir.is_empty() {
                        v.to_string()
                    } else {
                        format!("{dir}/{v}")
                    });
                }
                _ => {}
            }
        }
        let (Some(name), Some(version)) = (name, version) else {
            continue;
        };
        let mut p = Package::new(Ecosystem::Apk, name.clone(), version.clone());
        p.arch = arch;
        p.source_name = Some(origin.unwrap_or(name));
        p.source_version = Some(version);
        if let Some(l) = license.filter(|l| !l.is_empty()) {
            p.licenses.push(l);
        }
        out.push(p);
    }
    out
}

/// Debian and Ubuntu packages: `var/lib/dpkg/status` (or distroless `status.d/` entries), and
/// the files each installed (`info/*.list`).
pub struct Dpkg;

impl super::Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<Want> {
        let rest = path.strip_prefix("var/lib/dpkg/")?;
        if rest == "status" {
            return Some(Want::Content);
        }
        if let Some(f) = rest.strip_prefix("status.d/") {
            return Some(if f.contains('/') || f.ends_with(".md5sums") {
                Want::Skip
            } else {
                Want::Content
            });
        }
        if rest.starts_with("info/") && rest.ends_with(".list") {
            return Some(Want::Content);
        }
        Some(Want::Skip)
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        // the layer that wrote a package's .list file is the layer that installed it
        let mut list_layer: std::collections::HashMap<String, usize> = Default::default();
        for (path, node) in cx.tree.iter_prefix("var/lib/dpkg/info/") {
            if let (Some((name, _)), NodeKind::File(d)) = (dpkg_list_owner(path), &node.kind) {
                add_dpkg_list(&text(d), &mut cx.owned);
                list_layer.insert(name.to_string(), node.layer);
            }
        }
        let mut files: Vec<(&str, &Node)> = Vec::new();
        if let Some(n) = cx.tree.get("var/lib/dpkg/status") {
            files.push(("var/lib/dpkg/status", n));
        }
        files.extend(cx.tree.iter_prefix("var/lib/dpkg/status.d/"));
        let mut out = Vec::new();
        for (path, node) in files {
            let NodeKind::File(d) = &node.kind else {
                continue;
            };
            for mut p in parse_dpkg_status(&text(d)) {
                let layer = list_layer.get(&p.name).copied().unwrap_or(node.layer);
                p.layer = cx.layer_id(layer);
                p.locations.push(path.to_string());
                out.push(p);
            }
        }
        out
    }
}

/// Alpine packages: `lib/apk/db/installed`, with the files each installed.
pub struct Apk;

const APK_DB: &str = "lib/apk/db/installed";

impl super::Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn want(&self, path: &str, _mode: u32) -> Option<Want> {
        (path == APK_DB).then_some(Want::Content)
    }

    fn catalog(&self, cx: &mut Context<'_>) -> Vec<Package> {
        let Some(n) = cx.tree.get(APK_DB) else {
            return Vec::new();
        };
        let NodeKind::File(d) = &n.kind else {
            return Vec::new();
        };
        let mut out = parse_apk_installed(&text(d), &mut cx.owned);
        for p in &mut out {
            p.layer = cx.layer_id(n.layer);
            p.locations.push(APK_DB.into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg() {
        let text = "Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl (3.0.11-1~deb12u2)\nVersion: 3.0.11-1~deb12u2+b1\nDescription: x\n more\n\nPackage: gone\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: bash\nVersion: 5.2.15-2+b2\n";
        let p = parse_dpkg_status(text);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("openssl"));
        assert_eq!(p[0].source_version.as_deref(), Some("3.0.11-1~deb12u2"));
        assert_eq!(p[1].source_name.as_deref(), Some("bash"));
        assert_eq!(p[1].source_version.as_deref(), Some("5.2.15-2+b2"));
        assert_eq!(
            dpkg_list_owner("var/lib/dpkg/info/libc6:amd64.list"),
            Some(("libc6", Some("amd64")))
        );
    }

    #[test]
    fn apk() {
        let mut owned = HashSet::new();
        let text = "P:libcrypto3\nV:3.1.4-r0\nA:x86_64\nL:Apache-2.0\no:openssl\nF:usr/lib\nR:libcrypto.so.3\n\nP:musl\nV:1.2.4-r2\n";
        let p = parse_apk_installed(text, &mut owned);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].source_name.as_deref(), Some("openssl"));
        assert!(owned.contains("usr/lib/libcrypto.so.3"));
        assert_eq!(p[1].source_name.as_deref(), Some("musl"));
    }
}
