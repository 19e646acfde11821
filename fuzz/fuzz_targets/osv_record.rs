//! Fuzzes the OSV record parser and the matcher behind it: any bytes parse or fail cleanly;
//! parsed records are indexed, and every affected package is matched at the versions the
//! record itself names (and a few others), under every version scheme the record picks.
#![no_main]

use kubeward_vuln::osv::db::parse_records;
use kubeward_vuln::osv::{Database, PackageQuery};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(records) = parse_records(data, "fuzz.json") else {
        return;
    };
    let mut db = Database::new();
    let mut queries: Vec<(String, String, String)> = Vec::new();
    for r in &records {
        for a in &r.affected {
            let Some(p) = &a.package else { continue };
            let mut versions: Vec<String> = vec!["0".into(), "1.0.0".into()];
            versions.extend(a.versions.iter().cloned());
            for range in &a.ranges {
                for e in &range.events {
                    versions.extend(
                        [&e.introduced, &e.fixed, &e.last_affected, &e.limit]
                            .into_iter()
                            .flatten()
                            .cloned(),
                    );
                }
            }
            for v in versions {
                queries.push((p.ecosystem.clone(), p.name.clone(), v));
            }
        }
        db.add_record(r.clone());
    }
    for (eco, name, version) in queries.iter().take(256) {
        let q = PackageQuery {
            name,
            version,
            ecosystem: eco,
            purl: None,
            source_name: Some(name),
            source_version: Some(version),
        };
        let report = db.matches(&q);
        for m in &report.matches {
            let _ = serde_json::to_string(m);
        }
    }
});
