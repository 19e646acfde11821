//! Runs a selection of the catalogue over a snapshot.

use crate::facts::ImageFacts;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta, Settings};
use kubeward_model::{Index, Snapshot};
use rayon::prelude::*;

/// Runs every selected rule (in parallel) and returns findings sorted by file, position, rule.
pub fn analyze(
    snapshot: &Snapshot,
    settings: &Settings,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
) -> Vec<Finding> {
    let index = Index::new(snapshot);
    analyze_with(snapshot, &index, settings, select)
}

/// As [`analyze`], with facts about the container images (the image inventory of `kubeward
/// scan --inventory`) that rules such as `vulnerable-image` read.
pub fn analyze_with_facts(
    snapshot: &Snapshot,
    settings: &Settings,
    facts: Option<&dyn ImageFacts>,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
) -> Vec<Finding> {
    let index = Index::new(snapshot);
    run(snapshot, &index, settings, facts, select)
}

/// As [`analyze`], with an index built by the caller.
pub fn analyze_with(
    snapshot: &Snapshot,
    index: &Index<'_>,
    settings: &Settings,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
) -> Vec<Finding> {
    run(snapshot, index, settings, None, select)
}

fn run(
    snapshot: &Snapshot,
    index: &Index<'_>,
    settings: &Settings,
    image_facts: Option<&dyn ImageFacts>,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
) -> Vec<Finding> {
    let cx = Context::new(snapshot, index, settings, image_facts);
    let rules: Vec<&'static dyn Rule> = crate::registry::all()
        .into_iter()
        .filter(|r| select(r.meta()))
        .collect();
    let findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|r| {
            let mut out = Vec::new();
            r.check(&cx, &mut out);
            out
        })
        .collect();
    sort_findings(findings)
}

/// Sorts findings by object, position, rule and path. Findings are large: sorting small keys
/// and moving each finding once is several times faster than sorting the findings themselves.
pub fn sort_findings(findings: Vec<Finding>) -> Vec<Finding> {
    let mut order: Vec<u32> = (0..findings.len() as u32).collect();
    order.sort_unstable_by(|&a, &b| {
        let (a, b) = (&findings[a as usize], &findings[b as usize]);
        (
            a.object_id,
            a.location.line,
            a.location.column,
            a.rule,
            &a.path,
            &a.message,
        )
            .cmp(&(
                b.object_id,
                b.location.line,
                b.location.column,
                b.rule,
                &b.path,
                &b.message,
            ))
    });
    let mut slots: Vec<Option<Finding>> = findings.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots[i as usize].take())
        .collect()
}
