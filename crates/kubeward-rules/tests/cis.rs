//! Every CIS Kubernetes Benchmark item a rule's documentation names exists in the benchmark
//! with the title the documentation quotes. The item list is `testdata/cis/items.tsv`: the
//! ids and titles of kube-bench's check definitions (`cfg/cis-1.10`, `cfg/cis-1.24`), which
//! follow the published benchmarks (see `testdata/SOURCES.md`).
//!
//! A reference is written `CIS Kubernetes Benchmark v1.10 1.2.1 "Ensure that ..."` (for the
//! V1.24 benchmark: `CIS Kubernetes V1.24 Benchmark 4.2.6 "..."`), one item per reference,
//! the title without kube-bench's `(Automated)`/`(Manual)` suffix. An item number without a
//! benchmark version is refused: numbers move between versions.

use kubeward_rules::registry;
use std::collections::HashMap;
use std::path::PathBuf;

/// (benchmark, item) -> title.
fn items() -> HashMap<(String, String), String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/cis/items.tsv");
    let text = std::fs::read_to_string(&path).expect("testdata/cis/items.tsv");
    let mut out = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let cells: Vec<&str> = line.split('\t').collect();
        assert_eq!(cells.len(), 4, "row {line:?}");
        out.insert(
            (cells[0].to_string(), cells[1].to_string()),
            cells[2].to_string(),
        );
    }
    out
}

/// One reference found in a document: benchmark, item, quoted title (or a problem).
fn references(doc: &str) -> Vec<Result<(String, String, String), String>> {
    let text = doc.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("CIS Kubernetes ") {
        rest = &rest[at + "CIS Kubernetes ".len()..];
        let (benchmark, after) = if let Some(r) = rest.strip_prefix("Benchmark v") {
            let (v, r) = r.split_once(' ').unwrap_or((r, ""));
            (format!("cis-{v}"), r)
        } else if let Some(r) = rest.strip_prefix('V') {
            let (v, r) = r.split_once(' ').unwrap_or((r, ""));
            match r.strip_prefix("Benchmark ") {
                Some(r) => (format!("cis-{v}"), r),
                None => {
                    out.push(Err(format!(
                        "unreadable reference: CIS Kubernetes {}",
                        head(rest)
                    )));
                    continue;
                }
            }
        } else if let Some(r) = rest.strip_prefix("Benchmark") {
            // no version: allowed only without an item number
            if r.trim_start().starts_with(|c: char| c.is_ascii_digit()) {
                out.push(Err(format!(
                    "item without a benchmark version: CIS Kubernetes {}",
                    head(rest)
                )));
            }
            continue;
        } else {
            out.push(Err(format!(
                "unreadable reference: CIS Kubernetes {}",
                head(rest)
            )));
            continue;
        };
        let (item, after) = after.split_once(' ').unwrap_or((after, ""));
        let title = after
            .strip_prefix('"')
            .and_then(|t| t.split_once('"'))
            .map(|(t, _)| t.to_string());
        match title {
            Some(t) if item.chars().all(|c| c.is_ascii_digit() || c == '.') => {
                out.push(Ok((benchmark, item.to_string(), t)))
            }
            _ => out.push(Err(format!(
                "expected ITEM \"TITLE\" after the version: CIS Kubernetes {}",
                head(rest)
            ))),
        }
    }
    out
}

fn head(s: &str) -> &str {
    let end = s.char_indices().nth(80).map_or(s.len(), |(i, _)| i);
    &s[..end]
}

#[test]
fn every_cis_reference_names_an_item_of_the_benchmark_with_its_title() {
    let items = items();
    let mut problems = Vec::new();
    let mut checked = 0;
    for rule in registry::all() {
        let m = rule.meta();
        for r in references(m.doc) {
            match r {
                Err(e) => problems.push(format!("{}: {e}", m.name)),
                Ok((benchmark, item, title)) => {
                    checked += 1;
                    match items.get(&(benchmark.clone(), item.clone())) {
                        None => {
                            problems.push(format!("{}: {benchmark} has no item {item}", m.name))
                        }
                        Some(t) if *t != title => problems.push(format!(
                            "{}: {benchmark} {item} is \"{t}\", the doc says \"{title}\"",
                            m.name
                        )),
                        Some(_) => {}
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    // the control-plane rules alone name more than 40 items
    assert!(checked > 40, "only {checked} references checked");
}

#[test]
fn the_reference_reader_refuses_what_it_cannot_check() {
    let ok = references("- CIS Kubernetes Benchmark v1.10 1.2.1 \"Ensure that\n  x\"");
    assert_eq!(
        ok,
        [Ok((
            "cis-1.10".into(),
            "1.2.1".into(),
            "Ensure that x".into()
        ))]
    );
    let v124 = references("CIS Kubernetes V1.24 Benchmark 4.2.6 \"T\"");
    assert_eq!(v124, [Ok(("cis-1.24".into(), "4.2.6".into(), "T".into()))]);
    assert!(references("CIS Kubernetes Benchmark 5.1.1 \"T\"")[0].is_err());
    assert!(references("CIS Kubernetes Benchmark v1.10 5.1.1 (no title)")[0].is_err());
    assert!(references("CIS Kubernetes Benchmark: none (operational)").is_empty());
}
