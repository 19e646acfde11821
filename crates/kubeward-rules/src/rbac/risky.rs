//! What the risky-permission rules share: who holds a role (its bindings and their
//! subjects, for messages) and one finding per role that grants a risky right.

use super::grants::{self, Hit};
use crate::finding::{Finding, Severity};
use crate::rule::{Context, RuleMeta};
use kubeward_model::Object;
use kubeward_rbac::Engine;

/// How many subjects a message names before `and N more`.
const SUBJECTS_SHOWN: usize = 3;

/// `; bound to ServiceAccount shop/ci through RoleBinding/shop/ci` (the input's bindings of
/// the role, and Kubernetes' default ones), or `; not bound in the input`.
pub(super) fn holders(engine: &Engine, role: &Object) -> String {
    let key = grants::key(role);
    let mut named: Vec<String> = Vec::new();
    let mut total = 0usize;
    for b in engine.bindings_of(&key) {
        for (_, subject) in &b.subjects {
            total += 1;
            if named.len() < SUBJECTS_SHOWN {
                named.push(format!("{} through {}", subject.display(), b.display()));
            }
        }
    }
    if total == 0 {
        return "; not bound in the input".to_string();
    }
    let more = if total > named.len() {
        format!(" and {} more", total - named.len())
    } else {
        String::new()
    };
    format!("; bound to {}{more}", named.join(", "))
}

/// The common shape of a risky-right rule: for every role granting one of `probes`, one
/// finding; `named` (severity, text) when every hit is limited by `resourceNames`, the rule's
/// own severity and `any` otherwise.
pub(super) fn check_roles(
    cx: &Context<'_>,
    meta: &'static RuleMeta,
    probes: &[grants::Probe],
    named: (Severity, &str),
    any: &str,
    fix: &str,
    out: &mut Vec<Finding>,
) {
    let engine = grants::engine(cx);
    for role in grants::roles(cx) {
        let hits = grants::find(engine, role, probes);
        if hits.is_empty() {
            continue;
        }
        let (severity, what) = if hits.iter().all(|h| h.restricted_by_name()) {
            named
        } else {
            (meta.severity, any)
        };
        report(cx, meta, severity, role, &hits, (what, fix), out);
    }
}

/// One finding on `role` at its first hit: `<role> <what> <scope>: <rights><notes>; bound to …`.
pub(super) fn report(
    cx: &Context<'_>,
    meta: &'static RuleMeta,
    severity: Severity,
    role: &Object,
    hits: &[Hit<'_>],
    (what, fix): (&str, &str),
    out: &mut Vec<Finding>,
) {
    let Some(first) = hits.first() else { return };
    let engine = grants::engine(cx);
    let message = format!(
        "{} {what} {}: {}{}{}",
        grants::describe(role),
        grants::scope(engine, role),
        summarize(hits),
        grants::wildcard_note(hits),
        holders(engine, role)
    );
    out.push(Finding::new(
        meta.name,
        severity,
        cx.snapshot,
        role,
        &first.path(),
        message,
        fix,
    ));
}

/// `create, update, delete mutatingwebhookconfigurations; get pods`: the verbs that share the
/// same resources, together.
pub(super) fn summarize(hits: &[Hit<'_>]) -> String {
    let mut by_verb: Vec<(&str, Vec<&str>)> = Vec::new();
    for h in hits {
        match by_verb.iter_mut().find(|(v, _)| *v == h.verb) {
            Some((_, res)) => {
                if !res.contains(&h.resource) {
                    res.push(h.resource)
                }
            }
            None => by_verb.push((h.verb, vec![h.resource])),
        }
    }
    let mut groups: Vec<(Vec<&str>, &Vec<&str>)> = Vec::new();
    for (verb, res) in &by_verb {
        match groups.iter_mut().find(|(_, r)| *r == res) {
            Some((verbs, _)) => verbs.push(verb),
            None => groups.push((vec![verb], res)),
        }
    }
    groups
        .iter()
        .map(|(verbs, res)| format!("{} {}", verbs.join(", "), res.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}
