//! Runs a selection of the catalogue over a snapshot.

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

/// As [`analyze`], with an index built by the caller.
pub fn analyze_with(
    snapshot: &Snapshot,
    index: &Index<'_>,
    settings: &Settings,
    select: &(dyn Fn(&RuleMeta) -> bool + Sync),
) -> Vec<Finding> {
    let cx = Context {
        snapshot,
        index,
        settings,
    };
    let rules: Vec<&'static dyn Rule> = crate::registry::all()
        .into_iter()
        .filter(|r| select(r.meta()))
        .collect();
    let mut findings: Vec<Finding> = rules
        .par_iter()
        .flat_map_iter(|r| {
            let mut out = Vec::new();
            r.check(&cx, &mut out);
            out
        })
        .collect();
    findings.sort_by(|a, b| {
        (
            a.object_id,
            a.location.line,
            a.location.column,
            a.rule,
            &a.path,
        )
            .cmp(&(
                b.object_id,
                b.location.line,
                b.location.column,
                b.rule,
                &b.path,
            ))
    });
    findings
}
