//! OS package databases: dpkg (`var/lib/dpkg/status`, distroless `status.d/`) and apk
//! (`lib/apk/db/installed`), with the file lists used to mark language packages as owned.

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
