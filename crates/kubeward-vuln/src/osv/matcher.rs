//! Matching packages against an OSV [`Database`].

use super::cvss::{severity_of, Severity};
use super::db::{normalize_name, range_scheme, Database, OsvName};
use super::model::{Affected, EventKind, Range, RangeType, Record};
use crate::version::{self, Scheme};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A package to look up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PackageQuery<'a> {
    /// Package name as its ecosystem spells it (binary package name for distros).
    pub name: &'a str,
    /// Installed version.
    pub version: &'a str,
    /// OSV ecosystem (`PyPI`, `npm`, `crates.io`, `Go`, `Maven`, `Debian:12`,
    /// `Alpine:v3.19`...). A distro without release (`Debian`) matches records of any release.
    pub ecosystem: &'a str,
    /// Package URL, carried into the match.
    pub purl: Option<&'a str>,
    /// Source package name (dpkg `Source`, apk origin, source rpm); distro packages are
    /// matched through it when given.
    pub source_name: Option<&'a str>,
    /// Source package version (used with `source_name`).
    pub source_version: Option<&'a str>,
}

/// Whether a fix exists for a matched vulnerability.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FixState {
    /// A fixed version exists (see [`Match::fixed_in`]).
    Fixed,
    /// No fix is known.
    Unfixed,
}

/// The package side of a [`Match`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedPackage {
    /// Package name as queried.
    pub name: String,
    /// Installed version as queried.
    pub version: String,
    /// Ecosystem as queried.
    pub ecosystem: String,
    /// Package URL, when given.
    pub purl: Option<String>,
}

/// One vulnerability affecting one package. Records that are aliases of each other (a CVE,
/// its GHSA, a DSA naming the CVE) are merged into one match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The vulnerability id shown (the first record id in sorted order, preferring non-CVE
    /// ids).
    pub id: String,
    /// Every other id of the same vulnerability (record ids and their aliases), sorted.
    pub aliases: Vec<String>,
    /// The package.
    pub package: MatchedPackage,
    /// Whether a fix is known.
    pub state: FixState,
    /// The first fixed version above the installed one, when known.
    pub fixed_in: Option<String>,
    /// The highest severity among the merged records.
    pub severity: Option<Severity>,
    /// Summary of the shown record.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Ids of the records merged into this match.
    pub records: Vec<String>,
    /// The name and version compared with the records (the source package for distro
    /// packages when given).
    pub matched_name: String,
    /// See `matched_name`.
    pub matched_version: String,
}

/// A package or record version that could not be compared: the package may be affected.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchError {
    /// Package name.
    pub package: String,
    /// Package version.
    pub version: String,
    /// Ecosystem of the package.
    pub ecosystem: String,
    /// The record that could not be evaluated, if the problem is tied to one.
    pub record: Option<String>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for MatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} ({})", self.package, self.version, self.ecosystem)?;
        if let Some(r) = &self.record {
            write!(f, " against {r}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The result of matching: matches, and what could not be decided.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct MatchReport {
    /// Vulnerabilities found.
    pub matches: Vec<Match>,
    /// Versions that could not be compared (never silently "not affected").
    pub errors: Vec<MatchError>,
}

impl MatchReport {
    /// Appends another report.
    pub fn extend(&mut self, other: MatchReport) {
        self.matches.extend(other.matches);
        self.errors.extend(other.errors);
    }
}

/// Outcome of evaluating one affected entry.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    NotAffected,
    Affected { fixed_in: Option<String> },
}

/// Compares `v` with an event version; `introduced: "0"` is below everything.
fn cmp_event(scheme: Scheme, v: &str, kind: EventKind, ev: &str) -> Result<Ordering, String> {
    if kind == EventKind::Introduced && ev == "0" {
        return Ok(Ordering::Greater);
    }
    version::compare(scheme, v, ev).map_err(|e| e.to_string())
}

/// Evaluates one range (events sorted by version at load when they all parse).
fn eval_range(scheme: Scheme, r: &Range, v: &str) -> Result<Verdict, String> {
    let mut affected = false;
    let mut positions = Vec::with_capacity(r.events.len());
    for e in &r.events {
        let Some((kind, ev)) = e.kind() else {
            continue;
        };
        let o = cmp_event(scheme, v, kind, ev)?;
        positions.push((kind, ev, o));
        match kind {
            EventKind::Introduced if o != Ordering::Less => affected = true,
            EventKind::Fixed | EventKind::Limit if o != Ordering::Less => affected = false,
            EventKind::LastAffected if o == Ordering::Greater => affected = false,
            _ => {}
        }
    }
    if !affected {
        return Ok(Verdict::NotAffected);
    }
    // The fix is the first event above the installed version that ends the range, unless
    // a `last_affected` or `limit` comes first.
    let mut fixed_in = None;
    for (kind, ev, o) in positions {
        if o != Ordering::Less {
            continue;
        }
        match kind {
            EventKind::Fixed => {
                fixed_in = Some(ev.to_string());
                break;
            }
            EventKind::LastAffected | EventKind::Limit => break,
            EventKind::Introduced => {}
        }
    }
    Ok(Verdict::Affected { fixed_in })
}

/// Evaluates one affected entry: its ranges (ECOSYSTEM and SEMVER; GIT ranges are ignored)
/// and its explicit versions list.
fn eval_affected(scheme: Scheme, a: &Affected, v: &str) -> Result<Verdict, String> {
    let listed = a
        .versions
        .iter()
        .any(|x| x == v || version::compare(scheme, x, v).is_ok_and(|o| o == Ordering::Equal));
    let mut errors = Vec::new();
    let mut best: Option<Verdict> = None;
    for r in &a.ranges {
        if matches!(r.kind, RangeType::Git | RangeType::Unknown) {
            continue;
        }
        match eval_range(range_scheme(scheme, r), r, v) {
            Ok(Verdict::NotAffected) => {}
            Ok(Verdict::Affected { fixed_in }) => {
                // Prefer a range that names a fix.
                if !matches!(best, Some(Verdict::Affected { fixed_in: Some(_) })) {
                    best = Some(Verdict::Affected { fixed_in });
                }
            }
            Err(e) => errors.push(e),
        }
    }
    if let Some(b) = best {
        return Ok(b);
    }
    if listed {
        // Listed explicitly: take a fix from the ranges if one lies above the version.
        let fixed_in = a
            .ranges
            .iter()
            .filter(|r| !matches!(r.kind, RangeType::Git | RangeType::Unknown))
            .flat_map(|r| r.events.iter().map(move |e| (r, e)))
            .filter_map(|(r, e)| match e.kind() {
                Some((EventKind::Fixed, f)) => {
                    let s = range_scheme(scheme, r);
                    version::compare(s, v, f)
                        .ok()
                        .filter(|o| *o == Ordering::Less)
                        .map(|_| f.to_string())
                }
                _ => None,
            })
            .next();
        return Ok(Verdict::Affected { fixed_in });
    }
    if let Some(e) = errors.into_iter().next() {
        return Err(e);
    }
    Ok(Verdict::NotAffected)
}

/// The lowest candidate fix that no entry of the record marks affected: with overlapping
/// entries (`[1.0, 3.1.1)` and `[0, 2.6.7)`), `2.6.7` is still inside the first one, so the
/// fix is `3.1.1`. `None` when every candidate is still affected.
fn lowest_clean_fix(entries: &[(&Affected, Scheme)], fixes: Vec<String>) -> Option<String> {
    let scheme = entries.first()?.1;
    let mut best: Option<String> = None;
    for f in fixes {
        let clean = entries
            .iter()
            .all(|(a, s)| matches!(eval_affected(*s, a, &f), Ok(Verdict::NotAffected)));
        if !clean {
            continue;
        }
        best = match best {
            Some(b) if version::compare(scheme, &b, &f).is_ok_and(|o| o != Ordering::Greater) => {
                Some(b)
            }
            _ => Some(f),
        };
    }
    best
}

/// A hit of one record before alias merging.
struct Hit<'a> {
    record: &'a Record,
    affected: &'a Affected,
    fixed_in: Option<String>,
}

impl Database {
    /// Finds the vulnerabilities affecting `q`.
    ///
    /// Withdrawn records are ignored; distro records apply when their release covers the
    /// package's (see [`OsvName::covers`]); records that are aliases of each other are
    /// merged. A version that cannot be compared with a candidate record is reported in
    /// [`MatchReport::errors`], never treated as "not affected".
    pub fn matches(&self, q: &PackageQuery<'_>) -> MatchReport {
        let mut report = MatchReport::default();
        let err = |record: Option<&str>, message: String| MatchError {
            package: q.name.to_string(),
            version: q.version.to_string(),
            ecosystem: q.ecosystem.to_string(),
            record: record.map(str::to_string),
            message,
        };
        let Some(eco) = OsvName::parse(q.ecosystem) else {
            if Scheme::from_osv(q.ecosystem).is_none()
                && !matches!(
                    q.ecosystem.to_ascii_lowercase().as_str(),
                    "deb" | "dpkg" | "apk" | "rpm"
                )
            {
                // An ecosystem with no advisories here: nothing to compare.
                return report;
            }
            report.errors.push(err(
                None,
                "ecosystem needs a distro and release (e.g. Debian:12, Alpine:v3.19)".into(),
            ));
            return report;
        };
        let distro = matches!(eco.scheme, Scheme::Dpkg | Scheme::Apk | Scheme::Rpm);
        let source = q
            .source_name
            .filter(|sn| distro && !sn.is_empty())
            .map(|sn| {
                (
                    sn,
                    q.source_version
                        .filter(|s| !s.is_empty())
                        .unwrap_or(q.version),
                )
            });
        // Debian, Ubuntu and Alpine advisories name source packages; rpm advisories (Red Hat,
        // AlmaLinux, Rocky Linux...) name binary packages, so rpm packages are looked up
        // under both names.
        let lookups: Vec<(&str, &str)> = match source {
            Some(s) if eco.scheme == Scheme::Rpm && s.0 != q.name => vec![(q.name, q.version), s],
            Some(s) => vec![s],
            None => vec![(q.name, q.version)],
        };
        let mut seen: BTreeSet<u32> = BTreeSet::new();
        for (name, ver) in lookups {
            let found = self.match_name(q, &eco, name, ver, &mut seen, &mut report.errors);
            report.matches.extend(found);
        }
        report.matches.sort_by(|a, b| a.id.cmp(&b.id));
        report
    }

    /// The matches of one name (a binary or a source package name) of `q`, skipping the
    /// records in `seen` and adding those it meets.
    fn match_name(
        &self,
        q: &PackageQuery<'_>,
        eco: &OsvName,
        name: &str,
        ver: &str,
        seen: &mut BTreeSet<u32>,
        errors: &mut Vec<MatchError>,
    ) -> Vec<Match> {
        let err = |record: Option<&str>, message: String| MatchError {
            package: q.name.to_string(),
            version: q.version.to_string(),
            ecosystem: q.ecosystem.to_string(),
            record: record.map(str::to_string),
            message,
        };
        let key = (eco.base.clone(), normalize_name(eco.scheme, name));
        let Some(cands) = self.index.get(&key) else {
            return Vec::new();
        };
        let version_ok = version::validate(eco.scheme, ver);
        let mut hits: Vec<Hit<'_>> = Vec::new();
        // Candidates in record order; a record can have several entries for the package.
        let mut by_record: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
        for &(ri, ai) in cands {
            if !seen.contains(&ri) {
                by_record.entry(ri).or_default().push(ai);
            }
        }
        seen.extend(by_record.keys().copied());
        for (ri, entries) in by_record {
            let rec = &self.records[ri as usize];
            if rec.withdrawn.is_some() {
                continue;
            }
            let mut first_error = None;
            let mut hit: Option<Hit<'_>> = None;
            let mut fixes: Vec<String> = Vec::new();
            let mut relevant: Vec<(&Affected, Scheme)> = Vec::new();
            for ai in entries {
                let Some(Some(rec_eco)) = self.ecosystems[ri as usize].get(ai as usize) else {
                    continue;
                };
                if !rec_eco.covers(eco) {
                    continue;
                }
                let a = &rec.affected[ai as usize];
                relevant.push((a, rec_eco.scheme));
                let verdict = match &version_ok {
                    Ok(()) => eval_affected(rec_eco.scheme, a, ver),
                    // An unparseable version can still be listed verbatim.
                    Err(_) if a.versions.iter().any(|x| x == ver) => {
                        Ok(Verdict::Affected { fixed_in: None })
                    }
                    Err(e) => Err(e.to_string()),
                };
                match verdict {
                    Ok(Verdict::Affected { fixed_in }) => {
                        fixes.extend(fixed_in);
                        hit.get_or_insert(Hit {
                            record: rec,
                            affected: a,
                            fixed_in: None,
                        });
                    }
                    Ok(Verdict::NotAffected) => {}
                    Err(m) => {
                        first_error.get_or_insert(m);
                    }
                }
            }
            match (hit, first_error) {
                (Some(mut h), _) => {
                    h.fixed_in = lowest_clean_fix(&relevant, fixes);
                    hits.push(h);
                }
                (None, Some(m)) => errors.push(err(Some(&rec.id), m)),
                (None, None) => {}
            }
        }
        merge(hits, q, name, ver)
    }

    /// Matches a catalogued [`Package`](kubeward_image::package::Package): its OSV ecosystem is built
    /// from its kind and distro (`Debian:12`, `Alpine:v3.19`, `PyPI`...), and distro packages
    /// go through their source package. Whether to skip language packages owned by an OS
    /// package (`owned_by_os_package`) is the caller's choice.
    /// An application package without a version (a Go binary built outside a module) has
    /// nothing to compare and is not matched.
    pub fn match_package(&self, p: &kubeward_image::package::Package) -> MatchReport {
        if p.application && p.version.is_empty() {
            return MatchReport::default();
        }
        let eco = p
            .ecosystem
            .osv_name(p.distro.as_ref())
            .unwrap_or_else(|| p.ecosystem.purl_type().to_string());
        self.matches(&PackageQuery {
            name: &p.name,
            version: &p.version,
            ecosystem: &eco,
            purl: Some(p.purl.as_str()).filter(|s| !s.is_empty()),
            source_name: p.source_name.as_deref(),
            source_version: p.source_version.as_deref(),
        })
    }

    /// Matches many packages; the results are concatenated in input order.
    pub fn match_all<'q>(&self, qs: impl IntoIterator<Item = PackageQuery<'q>>) -> MatchReport {
        let mut all = MatchReport::default();
        for q in qs {
            all.extend(self.matches(&q));
        }
        all
    }
}

/// Groups hits whose ids or aliases overlap into single matches.
fn merge(hits: Vec<Hit<'_>>, q: &PackageQuery<'_>, name: &str, ver: &str) -> Vec<Match> {
    // Union-find over hits by shared ids.
    let n = hits.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(p: &mut [usize], mut x: usize) -> usize {
        while p[x] != x {
            p[x] = p[p[x]];
            x = p[x];
        }
        x
    }
    let mut owner: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, h) in hits.iter().enumerate() {
        for id in std::iter::once(&h.record.id).chain(&h.record.aliases) {
            match owner.get(id.as_str()) {
                Some(&j) => {
                    let (a, b) = (find(&mut parent, i), find(&mut parent, j));
                    if a != b {
                        parent[a] = b;
                    }
                }
                None => {
                    owner.insert(id, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..n {
        let r = find(&mut parent, i);
        groups.entry(r).or_default().push(i);
    }
    let mut out: Vec<Match> = groups
        .into_values()
        .map(|members| {
            let mut ms: Vec<&Hit<'_>> = members.iter().map(|&i| &hits[i]).collect();
            ms.sort_by(|a, b| {
                let cve = |h: &Hit<'_>| h.record.id.starts_with("CVE-");
                cve(a)
                    .cmp(&cve(b))
                    .then_with(|| a.record.id.cmp(&b.record.id))
            });
            let lead = ms[0];
            let mut ids: BTreeSet<String> = BTreeSet::new();
            for h in &ms {
                ids.insert(h.record.id.clone());
                ids.extend(h.record.aliases.iter().cloned());
            }
            ids.remove(&lead.record.id);
            let fixed_in = lead
                .fixed_in
                .clone()
                .or_else(|| ms.iter().find_map(|h| h.fixed_in.clone()));
            let severity = ms
                .iter()
                .filter_map(|h| {
                    let scores = if h.affected.severity.is_empty() {
                        &h.record.severity
                    } else {
                        &h.affected.severity
                    };
                    severity_of(scores, h.record.database_specific.as_ref())
                })
                .max_by(|a, b| {
                    a.level
                        .cmp(&b.level)
                        .then_with(|| a.score.unwrap_or(0.0).total_cmp(&b.score.unwrap_or(0.0)))
                });
            Match {
                id: lead.record.id.clone(),
                aliases: ids.into_iter().collect(),
                package: MatchedPackage {
                    name: q.name.to_string(),
                    version: q.version.to_string(),
                    ecosystem: q.ecosystem.to_string(),
                    purl: q.purl.map(str::to_string),
                },
                state: if fixed_in.is_some() {
                    FixState::Fixed
                } else {
                    FixState::Unfixed
                },
                fixed_in,
                severity,
                summary: lead.record.summary.clone(),
                records: ms.iter().map(|h| h.record.id.clone()).collect(),
                matched_name: name.to_string(),
                matched_version: ver.to_string(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(json: &str) -> Database {
        let mut d = Database::new();
        d.add_json(json.as_bytes(), "test").unwrap();
        d
    }

    fn q<'a>(eco: &'a str, name: &'a str, version: &'a str) -> PackageQuery<'a> {
        PackageQuery {
            name,
            version,
            ecosystem: eco,
            ..Default::default()
        }
    }

    fn ids(r: &MatchReport) -> Vec<String> {
        r.matches.iter().map(|m| m.id.clone()).collect()
    }

    const RANGES: &str = r#"[
      {"id":"T-INTRO-FIXED","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Pkg"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"1.5"},{"introduced":"2.0"},{"fixed":"2.3"}]}]}]},
      {"id":"T-LAST","affected":[{"package":{"ecosystem":"PyPI","name":"some-pkg"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"last_affected":"1.2"}]}]}]},
      {"id":"T-LIMIT","affected":[{"package":{"ecosystem":"PyPI","name":"some.pkg"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.1"},{"limit":"2.2"}]}]}]},
      {"id":"T-LIST","affected":[{"package":{"ecosystem":"PyPI","name":"some-pkg"},
        "ranges":[{"type":"GIT","repo":"x","events":[{"introduced":"0"},{"fixed":"abc"}]}],
        "versions":["3.0","3.1"]}]},
      {"id":"T-WITHDRAWN","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"some-pkg"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}
    ]"#;

    #[test]
    fn introduced_and_fixed() {
        let d = db(RANGES);
        let r = d.matches(&q("PyPI", "some-pkg", "1.4"));
        assert_eq!(ids(&r), ["T-INTRO-FIXED"]);
        assert_eq!(r.matches[0].fixed_in.as_deref(), Some("1.5"));
        assert_eq!(r.matches[0].state, FixState::Fixed);
        assert!(ids(&d.matches(&q("PyPI", "some-pkg", "1.5"))).is_empty());
        assert!(ids(&d.matches(&q("PyPI", "some-pkg", "0.9"))).contains(&"T-LAST".to_string()));
        let r = d.matches(&q("PyPI", "SOME.PKG", "2.0.0"));
        assert_eq!(ids(&r), ["T-INTRO-FIXED"]);
        assert_eq!(r.matches[0].fixed_in.as_deref(), Some("2.3"));
    }

    #[test]
    fn last_affected_is_inclusive_and_unfixed() {
        let d = db(RANGES);
        let r = d.matches(&q("PyPI", "some-pkg", "1.2"));
        let m = r.matches.iter().find(|m| m.id == "T-LAST").unwrap();
        assert_eq!(m.state, FixState::Unfixed);
        assert_eq!(m.fixed_in, None);
        assert!(!ids(&d.matches(&q("PyPI", "some-pkg", "1.2.1"))).contains(&"T-LAST".to_string()));
    }

    #[test]
    fn limit_is_exclusive() {
        let d = db(RANGES);
        assert!(ids(&d.matches(&q("PyPI", "some-pkg", "2.1.5"))).contains(&"T-LIMIT".to_string()));
        assert!(!ids(&d.matches(&q("PyPI", "some-pkg", "2.2"))).contains(&"T-LIMIT".to_string()));
    }

    #[test]
    fn versions_list_and_git_ranges() {
        let d = db(RANGES);
        assert_eq!(ids(&d.matches(&q("PyPI", "some-pkg", "3.1"))), ["T-LIST"]);
        assert_eq!(ids(&d.matches(&q("PyPI", "some-pkg", "3.1.0"))), ["T-LIST"]);
        assert!(ids(&d.matches(&q("PyPI", "some-pkg", "3.2"))).is_empty());
    }

    #[test]
    fn withdrawn_is_ignored() {
        let d = db(RANGES);
        let r = d.matches(&q("PyPI", "some-pkg", "9.0"));
        assert!(r.matches.is_empty() && r.errors.is_empty(), "{r:?}");
    }

    #[test]
    fn unparseable_version_is_reported() {
        let d = db(RANGES);
        let r = d.matches(&q("PyPI", "some-pkg", "not a version"));
        assert!(r.matches.is_empty());
        assert!(!r.errors.is_empty());
        assert!(
            r.errors[0].message.contains("invalid pypi version"),
            "{:?}",
            r.errors
        );
        // Unknown package: nothing to compare, no error.
        assert!(d.matches(&q("PyPI", "other", "???")).errors.is_empty());
    }

    #[test]
    fn unparseable_record_version_is_reported() {
        let d = db(
            r#"{"id":"T-BAD","affected":[{"package":{"ecosystem":"npm","name":"x"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"one.two"}]}]}]}"#,
        );
        let r = d.matches(&q("npm", "x", "1.0.0"));
        assert_eq!(r.errors.len(), 1);
        assert_eq!(r.errors[0].record.as_deref(), Some("T-BAD"));
    }

    #[test]
    fn catalogued_packages() {
        use kubeward_image::package::{Distro, Ecosystem as Kind, Package};
        let d = db(
            r#"{"id":"ALPINE-CVE-2024-1","affected":[{"package":{"ecosystem":"Alpine:v3.19","name":"openssl"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.1.4-r5"}]}]}]}"#,
        );
        let mut p = Package::new(Kind::Apk, "libcrypto3", "3.1.4-r1");
        p.source_name = Some("openssl".into());
        p.distro = Some(Distro {
            id: "alpine".into(),
            version_id: "3.19.1".into(),
            ..Default::default()
        });
        let r = d.match_package(&p);
        assert_eq!(ids(&r), ["ALPINE-CVE-2024-1"]);
        assert_eq!(r.matches[0].package.ecosystem, "Alpine:v3.19");
        p.distro.as_mut().unwrap().version_id = "3.18.4".into();
        assert!(d.match_package(&p).matches.is_empty());
        p.distro = None;
        assert_eq!(d.match_package(&p).errors.len(), 1);
    }

    #[test]
    fn application_without_version_is_not_matched() {
        use kubeward_image::package::{Ecosystem as Kind, Package};
        let d = db(
            r#"{"id":"GO-1","affected":[{"package":{"ecosystem":"Go","name":"example.com/tool"},
            "ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]}]}"#,
        );
        let mut p = Package::new(Kind::Golang, "example.com/tool", "");
        p.application = true;
        let r = d.match_package(&p);
        assert!(r.matches.is_empty() && r.errors.is_empty(), "{r:?}");
        p.version = "v0.9.0".into();
        assert_eq!(ids(&d.match_package(&p)), ["GO-1"]);
    }

    #[test]
    fn red_hat_alma_and_rocky_packages() {
        use kubeward_image::package::{Distro, Ecosystem as Kind, Package};
        // Red Hat names binary packages, per product stream, with epochs in the fixes;
        // AlmaLinux and Rocky Linux name the major release.
        let d = db(r#"[
          {"id":"RHSA-2024:0001","aliases":["CVE-2024-100"],"affected":[
            {"package":{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssl-libs",
              "purl":"pkg:rpm/redhat/openssl-libs?arch=x86_64&distro=rhel-9"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]},
            {"package":{"ecosystem":"Red Hat:enterprise_linux:9::baseos","name":"openssl",
              "purl":"pkg:rpm/redhat/openssl?arch=x86_64&distro=rhel-9"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]},
          {"id":"RHSA-2023:0002","affected":[
            {"package":{"ecosystem":"Red Hat:enterprise_linux:8::baseos","name":"openssl-libs"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:1.1.1k-12.el8_9"}]}]}]},
          {"id":"ALSA-2024:0003","affected":[
            {"package":{"ecosystem":"AlmaLinux:9","name":"openssl-libs"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-27.el9"}]}]}]},
          {"id":"ALSA-2024:0004","affected":[
            {"package":{"ecosystem":"AlmaLinux:8","name":"openssl-libs"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:9.9.9-1.el8"}]}]}]},
          {"id":"RLSA-2024:0005","affected":[
            {"package":{"ecosystem":"Rocky Linux:9","name":"openssl"},
             "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1:3.0.7-28.el9"}]}]}]}
        ]"#);
        let pkg = |id: &str, version_id: &str, v: &str| {
            let mut p = Package::new(Kind::Rpm, "openssl-libs", v);
            p.source_name = Some("openssl".into());
            p.distro = Some(Distro {
                id: id.into(),
                version_id: version_id.into(),
                ..Default::default()
            });
            p.refresh_purl();
            p
        };
        // RHEL 9.3: the RHEL 9 advisory through the binary name (and not twice through the
        // source name it also lists), not the RHEL 8 one
        let r = d.match_package(&pkg("rhel", "9.3", "1:3.0.7-24.el9"));
        assert_eq!(ids(&r), ["RHSA-2024:0001"]);
        assert_eq!(r.matches[0].package.ecosystem, "Red Hat:9.3");
        assert_eq!(r.matches[0].fixed_in.as_deref(), Some("1:3.0.7-27.el9"));
        assert_eq!(r.matches[0].matched_name, "openssl-libs");
        assert!(d
            .match_package(&pkg("rhel", "9.4", "1:3.0.7-27.el9"))
            .matches
            .is_empty());
        let r = d.match_package(&pkg("rhel", "8.10", "1:1.1.1k-9.el8_7"));
        assert_eq!(ids(&r), ["RHSA-2023:0002"]);
        // AlmaLinux 9.4: AlmaLinux:9 only; rpm ordering (27.el9 < 27.el9_4)
        let r = d.match_package(&pkg("almalinux", "9.4", "1:3.0.7-24.el9"));
        assert_eq!(ids(&r), ["ALSA-2024:0003"]);
        assert_eq!(r.matches[0].package.ecosystem, "AlmaLinux:9");
        assert!(d
            .match_package(&pkg("almalinux", "9.4", "1:3.0.7-27.el9_4"))
            .matches
            .is_empty());
        // Rocky Linux 9.3: its advisory names the source package
        let r = d.match_package(&pkg("rocky", "9.3", "1:3.0.7-27.el9"));
        assert_eq!(ids(&r), ["RLSA-2024:0005"]);
        assert_eq!(r.matches[0].package.ecosystem, "Rocky Linux:9");
        assert_eq!(r.matches[0].matched_name, "openssl");
        assert!(d
            .match_package(&pkg("rocky", "8.9", "1:3.0.7-27.el9"))
            .matches
            .is_empty());
    }

    #[test]
    fn aliases_merge() {
        let d = db(r#"[
          {"id":"GHSA-aaaa-bbbb-cccc","aliases":["CVE-2024-1"],"database_specific":{"severity":"MODERATE"},
           "affected":[{"package":{"ecosystem":"PyPI","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]},
          {"id":"PYSEC-2024-1","aliases":["CVE-2024-1"],
           "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
           "affected":[{"package":{"ecosystem":"PyPI","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]},
          {"id":"PYSEC-2024-2","affected":[{"package":{"ecosystem":"PyPI","name":"p"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}
        ]"#);
        let r = d.matches(&q("PyPI", "p", "1.0"));
        assert_eq!(ids(&r), ["GHSA-aaaa-bbbb-cccc", "PYSEC-2024-2"]);
        let m = &r.matches[0];
        assert_eq!(m.aliases, ["CVE-2024-1", "PYSEC-2024-1"]);
        assert_eq!(m.records.len(), 2);
        let sev = m.severity.as_ref().unwrap();
        assert_eq!(
            (sev.level, sev.score),
            (super::super::cvss::CvssLevel::Critical, Some(9.8))
        );
        assert_eq!(r.matches[1].state, FixState::Unfixed);
    }

    #[test]
    fn distro_release_and_source_package() {
        let d = db(r#"[
          {"id":"DSA-1","aliases":["CVE-2024-9"],"affected":[{"package":{"ecosystem":"Debian:12","name":"openssl"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"3.0.11-1~deb12u2"}]}]}]},
          {"id":"DEBIAN-CVE-2024-9","upstream":["CVE-2024-9"],"affected":[{"package":{"ecosystem":"Debian:11","name":"openssl"},
            "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.1.1w-0+deb11u1"}]}]}]}
        ]"#);
        let bin = PackageQuery {
            name: "libssl3",
            version: "3.0.11-1~deb12u1",
            ecosystem: "Debian:12",
            purl: Some("pkg:deb/debian/libssl3@3.0.11-1~deb12u1"),
            source_name: Some("openssl"),
            source_version: Some("3.0.11-1~deb12u1"),
        };
        let r = d.matches(&bin);
        assert_eq!(ids(&r), ["DSA-1"]);
        assert_eq!(r.matches[0].package.name, "libssl3");
        assert_eq!(r.matches[0].matched_name, "openssl");
        assert_eq!(r.matches[0].fixed_in.as_deref(), Some("3.0.11-1~deb12u2"));
        // Release unknown: every release's records apply.
        let any = PackageQuery {
            ecosystem: "Debian",
            source_version: Some("1.1.1n-0+deb11u5"),
            ..bin
        };
        assert_eq!(ids(&d.matches(&any)).len(), 2);
        // Without a distro, an OS package cannot be matched: reported.
        let none = PackageQuery {
            ecosystem: "deb",
            ..bin
        };
        assert_eq!(d.matches(&none).errors.len(), 1);
    }
}
