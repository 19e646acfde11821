//! The shared check behind the four `missing-*-requests` / `missing-*-limits` rules.

use crate::finding::Finding;
use crate::rule::{Context, RuleMeta};
use crate::workload::common::{finding, label, namespace_of};
use kubeward_model::{ContainerKind, FieldPath, Index, Node};

/// `requests` or `limits`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Bound {
    Requests,
    Limits,
}

impl Bound {
    fn field(self) -> &'static str {
        match self {
            Bound::Requests => "requests",
            Bound::Limits => "limits",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Bound::Requests => "request",
            Bound::Limits => "limit",
        }
    }
}

/// Whether `resources` (of a container or a pod) sets `bound.resource`. A limit without a request
/// counts as a request too: the API server defaults the request to the limit.
fn sets(resources: Option<&Node>, bound: Bound, resource: &str) -> bool {
    let has = |b: Bound| {
        resources
            .and_then(|r| r.at(&[b.field(), resource]))
            .is_some_and(|n| !n.is_null())
    };
    has(bound) || (bound == Bound::Requests && has(Bound::Limits))
}

/// Whether a `LimitRange` of `namespace` in the input gives containers a default for `bound`.
/// Mirrors the API server's LimitRange defaulting: a default limit falls back to `max`, a default
/// request to `default`, then `max`, then `min`.
fn limit_range_default(index: &Index<'_>, namespace: &str, bound: Bound, resource: &str) -> bool {
    let sources: &[&str] = match bound {
        Bound::Limits => &["default", "max"],
        Bound::Requests => &["defaultRequest", "default", "max", "min"],
    };
    index.of_kind("LimitRange").any(|lr| {
        kubeward_model::effective_namespace(lr) == Some(namespace)
            && lr
                .spec()
                .get("limits")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .any(|item| {
                    item.str_at("type") == Some("Container")
                        && sources
                            .iter()
                            .any(|s| item.at(&[s, resource]).is_some_and(|n| !n.is_null()))
                })
    })
}

/// Reports every init and regular container of every workload without `resources.<bound>.<resource>`
/// (ephemeral containers cannot have resources). Pod-level resources and namespace LimitRange
/// defaults in the input satisfy the check.
pub(crate) fn check(
    meta: &'static RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
    bound: Bound,
    resource: &str,
    display: &str,
    example: &str,
) {
    for t in cx.index.pod_templates() {
        if sets(t.spec.get("resources"), bound, resource) {
            continue;
        }
        let containers: Vec<_> = t
            .containers()
            .into_iter()
            .filter(|c| c.kind != ContainerKind::Ephemeral)
            .collect();
        if containers.is_empty() {
            continue;
        }
        let ns = namespace_of(t);
        if limit_range_default(cx.index, ns, bound, resource) {
            continue;
        }
        for c in containers {
            if sets(c.node.get("resources"), bound, resource) {
                continue;
            }
            let rel: FieldPath = c
                .rel_path()
                .key("resources")
                .key(bound.field())
                .key(resource);
            out.push(finding(
                meta,
                meta.severity,
                cx,
                t,
                &rel,
                message(&label(&c), bound, resource, display, ns),
                format!(
                    "set resources.{}.{resource} on {} (for example `{resource}: {example}`), or give namespace \"{ns}\" a \
                     LimitRange with a Container {} for {resource}",
                    bound.field(),
                    label(&c),
                    if bound == Bound::Limits { "default" } else { "defaultRequest" },
                ),
            ));
        }
    }
}

fn message(who: &str, bound: Bound, resource: &str, display: &str, ns: &str) -> String {
    let why = match (bound, resource) {
        (Bound::Requests, _) => {
            "the scheduler places it as if it needed none and it is the first to starve under contention"
        }
        (Bound::Limits, "memory") => "it can use all the node's memory and get neighbouring pods OOM-killed",
        (Bound::Limits, _) => "it can take every idle CPU of the node",
    };
    format!(
        "{who} sets no {display} {} (resources.{}.{resource}) and no LimitRange for namespace \"{ns}\" in the input gives a default: {why}",
        bound.noun(),
        bound.field(),
    )
}
