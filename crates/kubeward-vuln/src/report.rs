//! The vulnerability report of one catalog: every package matched against a [`Database`],
//! OpenVEX statements applied, the result typed (matches, suppressed matches with their VEX
//! reason, versions that could not be compared, warnings, counts). Reporters (text, JSON,
//! SARIF, CycloneDX VDR, OpenVEX) live in `kubeward-report`; nothing here prints.

use crate::osv::{CvssLevel, Database, Match, MatchError, Suppression, VexDocument, VexStatus};
use kubeward_image::catalog::Catalog;
use kubeward_image::package::Package;
use std::collections::BTreeSet;

/// What to match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VulnOptions {
    /// Also match language packages whose files an OS package owns (by default the OS
    /// advisory covers them, and matching them upstream double-counts).
    pub include_os_owned: bool,
}

/// One match and the package of the catalog it was found in.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageMatch {
    /// The match.
    pub matched: Match,
    /// Index of the package in [`Catalog::packages`].
    pub package: usize,
}

/// A match that a VEX statement suppressed, with the statement's reason.
#[derive(Clone, Debug, PartialEq)]
pub struct SuppressedMatch {
    /// The match.
    pub matched: Match,
    /// Index of the package in [`Catalog::packages`].
    pub package: usize,
    /// The VEX status, justification, note and document.
    pub reason: Suppression,
}

/// A version that could not be compared with a record (the package may be affected).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackageError {
    /// What could not be compared.
    pub error: MatchError,
    /// Index of the package in [`Catalog::packages`].
    pub package: usize,
}

/// Counts of a [`VulnReport`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VulnSummary {
    /// Packages in the catalog.
    pub packages: usize,
    /// Packages with at least one (unsuppressed) match.
    pub matched_packages: usize,
    /// Language packages owned by OS packages that were not matched.
    pub skipped_os_owned: usize,
    /// Records in the database.
    pub db_records: usize,
    /// Files or entries of the database that could not be loaded.
    pub db_load_errors: usize,
}

/// Matches per severity; `unknown` counts matches whose records give none.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeverityCounts {
    /// Critical.
    pub critical: usize,
    /// High.
    pub high: usize,
    /// Medium.
    pub medium: usize,
    /// Low.
    pub low: usize,
    /// None (score 0, negligible).
    pub none: usize,
    /// No severity known.
    pub unknown: usize,
}

impl SeverityCounts {
    /// `(label, count)` from most to least severe, `none` and `unknown` last.
    pub fn labelled(&self) -> [(&'static str, usize); 6] {
        [
            ("critical", self.critical),
            ("high", self.high),
            ("medium", self.medium),
            ("low", self.low),
            ("none", self.none),
            ("unknown", self.unknown),
        ]
    }

    fn add(&mut self, level: Option<CvssLevel>) {
        let slot = match level {
            Some(CvssLevel::Critical) => &mut self.critical,
            Some(CvssLevel::High) => &mut self.high,
            Some(CvssLevel::Medium) => &mut self.medium,
            Some(CvssLevel::Low) => &mut self.low,
            Some(CvssLevel::None) => &mut self.none,
            None => &mut self.unknown,
        };
        *slot += 1;
    }
}

/// The vulnerability report of one catalog.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct VulnReport {
    /// Matches, sorted by package (name, version, purl, first location) and id.
    pub matches: Vec<PackageMatch>,
    /// Matches suppressed by VEX statements, in the same order.
    pub suppressed: Vec<SuppressedMatch>,
    /// Versions that could not be compared, sorted and without repeats.
    pub errors: Vec<PackageError>,
    /// Warnings of the catalog (image or SBOM reader).
    pub warnings: Vec<String>,
    /// Counts.
    pub summary: VulnSummary,
}

impl VulnReport {
    /// Matches per severity (suppressed ones not counted).
    pub fn by_severity(&self) -> SeverityCounts {
        let mut c = SeverityCounts::default();
        for m in &self.matches {
            c.add(m.matched.severity.as_ref().map(|s| s.level));
        }
        c
    }
}

/// The purl of a scanned image (`pkg:oci/name@sha256%3A...`), so that VEX statements about
/// the image cover its packages; `None` without a manifest digest.
pub fn image_purl(c: &Catalog) -> Option<String> {
    let digest = c.source.manifest_digest.as_deref()?;
    let name = c
        .source
        .names
        .first()
        .map(String::as_str)
        .unwrap_or("image");
    let repo = name.split('@').next().unwrap_or(name);
    let last = repo.rsplit('/').next().unwrap_or(repo);
    let last = last.split(':').next().unwrap_or(last);
    Some(format!(
        "pkg:oci/{}@{}",
        last.to_ascii_lowercase(),
        digest.replace(':', "%3A")
    ))
}

/// The statement of `docs` that decides `m`: the last document with a statement about it
/// wins. A `not_affected` or `fixed` decision suppresses the match.
pub fn vex_decision(docs: &[VexDocument], m: &Match, image: Option<&str>) -> Option<Suppression> {
    let (d, s) = docs
        .iter()
        .rev()
        .find_map(|d| d.decide(m, image).map(|s| (d, s)))?;
    matches!(s.status, VexStatus::NotAffected | VexStatus::Fixed).then(|| Suppression {
        status: s.status,
        justification: s.justification.clone(),
        note: s.note.clone(),
        document: d.id.clone(),
    })
}

/// Matches every package of `catalog` against `db` and applies the VEX documents (a later
/// document overrides an earlier one for the same match).
pub fn assess(
    catalog: &Catalog,
    db: &Database,
    vex: &[VexDocument],
    opts: VulnOptions,
) -> VulnReport {
    let mut report = VulnReport {
        warnings: catalog.warnings.clone(),
        summary: VulnSummary {
            packages: catalog.packages.len(),
            db_records: db.len(),
            db_load_errors: db.load_errors().len(),
            ..VulnSummary::default()
        },
        ..VulnReport::default()
    };
    let image = image_purl(catalog);
    let mut matched: BTreeSet<usize> = BTreeSet::new();
    for (i, p) in catalog.packages.iter().enumerate() {
        if p.owned_by_os_package && !opts.include_os_owned {
            report.summary.skipped_os_owned += 1;
            continue;
        }
        let r = db.match_package(p);
        report.errors.extend(
            r.errors
                .into_iter()
                .map(|error| PackageError { error, package: i }),
        );
        for m in r.matches {
            match vex_decision(vex, &m, image.as_deref()) {
                Some(reason) => report.suppressed.push(SuppressedMatch {
                    matched: m,
                    package: i,
                    reason,
                }),
                None => {
                    matched.insert(i);
                    report.matches.push(PackageMatch {
                        matched: m,
                        package: i,
                    });
                }
            }
        }
    }
    report.summary.matched_packages = matched.len();
    let key = |m: &Match, p: &Package| {
        (
            p.name.clone(),
            p.version.clone(),
            p.purl.clone(),
            p.locations.first().cloned().unwrap_or_default(),
            m.id.clone(),
        )
    };
    let pk = &catalog.packages;
    report
        .matches
        .sort_by_cached_key(|h| key(&h.matched, &pk[h.package]));
    report
        .suppressed
        .sort_by_cached_key(|h| key(&h.matched, &pk[h.package]));
    report
        .errors
        .sort_by(|a, b| error_key(&a.error).cmp(&error_key(&b.error)));
    report.errors.dedup_by(|a, b| a.error == b.error);
    report
}

fn error_key(e: &MatchError) -> (&str, &str, Option<&str>, &str) {
    (&e.package, &e.version, e.record.as_deref(), &e.message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_image::package::{Ecosystem, Package};

    fn catalog() -> Catalog {
        let mut owned = Package::new(Ecosystem::Pypi, "six", "1.16.0");
        owned.owned_by_os_package = true;
        Catalog {
            packages: vec![
                Package::new(Ecosystem::Npm, "lodash", "4.17.15"),
                Package::new(Ecosystem::Pypi, "flask", "2.0.0"),
                owned,
                Package::new(Ecosystem::Pypi, "flask", "not a version"),
            ],
            ..Catalog::default()
        }
    }

    fn db() -> Database {
        let mut d = Database::new();
        d.add_json(
            br#"[
              {"id":"GHSA-p6mc-m468-83gw","aliases":["CVE-2020-8203"],
               "affected":[{"package":{"ecosystem":"npm","name":"lodash"},
                 "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"4.17.20"}]}]}]},
              {"id":"PYSEC-1","database_specific":{"severity":"HIGH"},
               "affected":[{"package":{"ecosystem":"PyPI","name":"flask"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.2.5"}]}]}]},
              {"id":"PYSEC-2","affected":[{"package":{"ecosystem":"PyPI","name":"six"},
                 "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}
            ]"#,
            "test",
        )
        .unwrap();
        d
    }

    #[test]
    fn matches_suppressions_errors_and_counts() {
        let vex = VexDocument::parse(
            br#"{"@id":"doc-1","statements":[{"vulnerability":{"name":"CVE-2020-8203"},
              "products":[{"@id":"pkg:npm/lodash"}],"status":"not_affected",
              "justification":"vulnerable_code_not_present"}]}"#,
        )
        .unwrap();
        let c = catalog();
        let r = assess(
            &c,
            &db(),
            std::slice::from_ref(&vex),
            VulnOptions::default(),
        );
        assert_eq!(r.matches.len(), 1);
        assert_eq!(r.matches[0].matched.id, "PYSEC-1");
        assert_eq!(c.packages[r.matches[0].package].version, "2.0.0");
        assert_eq!(r.suppressed.len(), 1);
        assert_eq!(r.suppressed[0].reason.status, VexStatus::NotAffected);
        assert_eq!(r.suppressed[0].reason.document.as_deref(), Some("doc-1"));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].package, 3);
        assert_eq!(r.summary.skipped_os_owned, 1);
        assert_eq!(r.summary.matched_packages, 1);
        assert_eq!(r.summary.packages, 4);
        assert_eq!(r.by_severity().high, 1);

        let all = assess(
            &c,
            &db(),
            &[],
            VulnOptions {
                include_os_owned: true,
            },
        );
        assert_eq!(all.matches.len(), 3);
        assert!(all.suppressed.is_empty());
        assert_eq!(all.by_severity().unknown, 2);
    }

    #[test]
    fn a_later_document_overrides_an_earlier_one() {
        let quiet = VexDocument::parse(
            br#"{"statements":[{"vulnerability":{"name":"PYSEC-1"},
              "products":[{"@id":"pkg:pypi/flask"}],"status":"fixed"}]}"#,
        )
        .unwrap();
        let loud = VexDocument::parse(
            br#"{"statements":[{"vulnerability":{"name":"PYSEC-1"},
              "products":[{"@id":"pkg:pypi/flask"}],"status":"affected"}]}"#,
        )
        .unwrap();
        let c = catalog();
        let r = assess(
            &c,
            &db(),
            &[quiet.clone(), loud.clone()],
            VulnOptions::default(),
        );
        assert!(r.suppressed.is_empty());
        let r = assess(&c, &db(), &[loud, quiet], VulnOptions::default());
        assert_eq!(r.suppressed.len(), 1);
        assert_eq!(r.suppressed[0].reason.status, VexStatus::Fixed);
    }
}
