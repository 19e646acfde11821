//! The outputs of `kubeward inventory rescan` and `inventory list`.
//!
//! The report crate does not depend on the inventory crate (it would bring SQLite and the
//! downloader with it): the CLI fills the plain views below from the store's types, and the
//! JSON outputs serialize the store's own types through [`to_json`] and [`list_json`].

use crate::table::columns;
use kubeward_vuln::osv::CvssLevel;
use serde::Serialize;

/// A match that appeared or went away since the last rescan.
#[derive(Clone, Debug)]
pub struct ChangeView<'a> {
    /// Severity, when the records give one.
    pub severity: Option<CvssLevel>,
    /// Vulnerability id.
    pub id: &'a str,
    /// Package name.
    pub package: &'a str,
    /// Installed version.
    pub version: &'a str,
    /// Ecosystem as the matcher was queried (`dpkg`, `pypi`...).
    pub ecosystem: &'a str,
    /// First fixed version, only when the match is known to be fixed.
    pub fixed_in: Option<&'a str>,
    /// References of the image (may be empty).
    pub images: &'a [String],
    /// Image digest (shown when there is no reference).
    pub digest: &'a str,
}

/// An image a rescan could not match.
#[derive(Clone, Debug)]
pub struct FailedView<'a> {
    /// Its references (may be empty).
    pub images: &'a [String],
    /// Its digest (shown when there is no reference).
    pub digest: &'a str,
    /// Why.
    pub message: &'a str,
}

/// What a rescan found.
#[derive(Clone, Debug)]
pub struct RescanView<'a> {
    /// Fingerprint of the database matched against.
    pub db_fingerprint: &'a str,
    /// Images (distinct digests) matched.
    pub images: usize,
    /// Packages matched.
    pub packages: usize,
    /// Matches now.
    pub total: usize,
    /// Matches that did not exist at the previous match.
    pub newly_vulnerable: Vec<ChangeView<'a>>,
    /// Matches of the previous match that no longer match.
    pub newly_fixed: Vec<ChangeView<'a>>,
    /// Matches present both times.
    pub unchanged: usize,
    /// Images that could not be rescanned.
    pub failed: Vec<FailedView<'a>>,
    /// Versions that could not be compared.
    pub errors: &'a [String],
}

/// The last match counts of an image, by severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub critical: usize,
    pub high: usize,
    pub medium: usize,
    pub low: usize,
    /// None, or no severity in the records.
    pub unknown: usize,
}

/// One stored image, a row of `inventory list`.
#[derive(Clone, Debug)]
pub struct ImageRow<'a> {
    /// Normalised reference.
    pub reference: &'a str,
    /// Digest (`alg:hex`; shown shortened).
    pub digest: &'a str,
    /// Packages in its SBOM.
    pub packages: usize,
    /// When last matched (RFC 3339), if ever.
    pub matched_at: Option<&'a str>,
    /// Last match counts (shown as `-` when never matched).
    pub matches: Counts,
}

/// The references of an image, else its digest.
fn who(images: &[String], digest: &str) -> String {
    if images.is_empty() {
        digest.to_string()
    } else {
        images.join(", ")
    }
}

fn change_line(c: &ChangeView<'_>) -> String {
    let fix = match c.fixed_in {
        Some(f) => format!("fixed in {f}"),
        None => "no fix".to_string(),
    };
    format!(
        "  {:<8} {:<22} {} {} ({}; {fix})  {}\n",
        c.severity.map_or("unknown", CvssLevel::as_str),
        c.id,
        c.package,
        c.version,
        c.ecosystem,
        who(c.images, c.digest)
    )
}

/// `inventory rescan --format text`, not yet escaped (the caller escapes it for the terminal
/// with `kubeward_io::terminal::escape_multiline`).
pub fn rescan_text(r: &RescanView<'_>) -> String {
    let mut s = format!(
        "Matched {} images ({} packages) against database {}: {} vulnerabilities.\n",
        r.images, r.packages, r.db_fingerprint, r.total
    );
    s.push_str(&format!(
        "Since the last match: {} newly vulnerable, {} no longer matching, {} unchanged.\n",
        r.newly_vulnerable.len(),
        r.newly_fixed.len(),
        r.unchanged
    ));
    if !r.newly_vulnerable.is_empty() {
        s.push_str("\nNewly vulnerable:\n");
        for c in &r.newly_vulnerable {
            s.push_str(&change_line(c));
        }
    }
    if !r.newly_fixed.is_empty() {
        s.push_str("\nNo longer matching (fixed or withdrawn):\n");
        for c in &r.newly_fixed {
            s.push_str(&change_line(c));
        }
    }
    if !r.failed.is_empty() {
        s.push_str(&format!(
            "\n{} images could not be rescanned (their previous results are kept):\n",
            r.failed.len()
        ));
        for f in &r.failed {
            s.push_str(&format!("  {}: {}\n", who(f.images, f.digest), f.message));
        }
    }
    if !r.errors.is_empty() {
        s.push_str(&format!(
            "\n{} versions could not be compared (may be affected):\n",
            r.errors.len()
        ));
        for e in r.errors.iter().take(20) {
            s.push_str(&format!("  {e}\n"));
        }
    }
    s
}

/// `alg:` and the first 12 hex digits of a digest.
fn short_digest(d: &str) -> String {
    match d.split_once(':') {
        Some((alg, hex)) if hex.len() > 12 && hex.is_char_boundary(12) => {
            format!("{alg}:{}", &hex[..12])
        }
        _ => d.to_string(),
    }
}

/// `inventory list --format text`: a table (cells terminal-escaped), or a sentence when the
/// inventory is empty.
pub fn list_text(images: &[ImageRow<'_>]) -> String {
    if images.is_empty() {
        return "no images in the inventory\n".to_string();
    }
    let header = [
        "REFERENCE",
        "DIGEST",
        "PACKAGES",
        "CRITICAL",
        "HIGH",
        "MEDIUM",
        "LOW",
        "UNKNOWN",
        "MATCHED",
    ];
    let rows: Vec<Vec<String>> = images
        .iter()
        .map(|i| {
            let m = &i.matches;
            let n = |x: usize| {
                if i.matched_at.is_some() {
                    x.to_string()
                } else {
                    "-".into()
                }
            };
            vec![
                i.reference.to_string(),
                short_digest(i.digest),
                i.packages.to_string(),
                n(m.critical),
                n(m.high),
                n(m.medium),
                n(m.low),
                n(m.unknown),
                i.matched_at.unwrap_or("never").to_string(),
            ]
        })
        .collect();
    columns(&header, &rows)
}

/// Pretty JSON of a report value, with a final newline (`inventory rescan --format json`).
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

/// `inventory list --format json`: `{"images": [...]}` with every object's keys in
/// alphabetical order (through a `serde_json::Value`), as this output always had them.
pub fn list_json<T: Serialize>(images: &[T]) -> serde_json::Result<String> {
    #[derive(Serialize)]
    struct ImageList<'a, T> {
        images: &'a [T],
    }
    let v = serde_json::to_value(ImageList { images })?;
    Ok(serde_json::to_string_pretty(&v)? + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_digests_keep_the_algorithm_and_twelve_digits() {
        assert_eq!(
            short_digest("sha256:0123456789abcdef"),
            "sha256:0123456789ab"
        );
        assert_eq!(short_digest("sha256:0123"), "sha256:0123");
        assert_eq!(short_digest("nodigest"), "nodigest");
    }

    #[test]
    fn a_change_without_references_names_the_digest() {
        let c = ChangeView {
            severity: Some(CvssLevel::High),
            id: "CVE-1",
            package: "zlib",
            version: "1.0",
            ecosystem: "dpkg",
            fixed_in: Some("1.1"),
            images: &[],
            digest: "sha256:ab",
        };
        assert_eq!(
            change_line(&c),
            "  high     CVE-1                  zlib 1.0 (dpkg; fixed in 1.1)  sha256:ab\n"
        );
    }

    #[test]
    fn never_matched_images_show_dashes() {
        let rows = [ImageRow {
            reference: "docker.io/library/a:1",
            digest: "sha256:0123456789abcdef",
            packages: 3,
            matched_at: None,
            matches: Counts::default(),
        }];
        let t = list_text(&rows);
        let row: Vec<&str> = t.lines().nth(1).unwrap().split_whitespace().collect();
        assert_eq!(
            row,
            [
                "docker.io/library/a:1",
                "sha256:0123456789ab",
                "3",
                "-",
                "-",
                "-",
                "-",
                "-",
                "never"
            ]
        );
    }
}
