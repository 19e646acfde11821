use super::ceiling::{LimitRangeDefaults, Resource};
use crate::declare_rule;
use crate::finding::{bounded_list, Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label, namespace_of};
use kubeward_model::{ContainerKind, FieldPath, Node};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports a workload whose init or regular containers have no CPU or no memory limit
    /// once the namespace's `LimitRange` defaults in the input are applied (a LimitRange of
    /// type `Container` with `default`, or `max`, for the resource): one finding per pod
    /// template, naming the containers, at the first one's `resources.limits`. Pod-level
    /// `spec.resources.limits` count too. Medium when the memory limit is missing, low when
    /// only the CPU limit is (CPU is throttled, not exhausted: many teams leave it unset on
    /// purpose and rely on requests).
    ///
    /// A request without a limit does not satisfy the rule; a limit without a request does
    /// (the API server defaults the request to the limit). Ephemeral containers cannot set
    /// resources and are skipped. The `hygiene` rules `missing-cpu-limits` and friends report
    /// each resource separately and are off by default; this rule is the security view and
    /// runs by default.
    ///
    /// ## Why it matters
    /// A container without a memory limit can take all of its node's memory: under load or
    /// under attack (a request that makes the application buffer without bound) the kernel
    /// OOM-kills neighbouring pods, and the kubelet evicts others. Without limits, the
    /// HorizontalPodAutoscaler's worst case (see `hpa-scale-ceiling-uncapped`) is unbounded
    /// and a ResourceQuota on `limits.*` rejects the pods outright.
    ///
    /// ## Example
    /// ```yaml
    /// containers:
    /// - name: web
    ///   image: example/web:1.0
    ///   resources:
    ///     requests: {cpu: 100m, memory: 128Mi}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.memory` (and `cpu` where throttling is acceptable) on the
    /// container, or give the namespace a LimitRange whose Container `default` supplies them.
    ///
    /// ## References
    /// - Kubernetes documentation: "Resource Management for Pods and Containers", "Limit
    ///   Ranges"
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK: T1499 Endpoint Denial of Service
    /// - kube-linter `unset-memory-requirements`
    pub struct ContainerWithoutResourceLimits {
        name: "container-without-resource-limits",
        domain: Resources,
        severity: Medium,
        summary: "Container has no memory or CPU limit and no LimitRange default",
    }
}

impl Rule for ContainerWithoutResourceLimits {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let mut defaults: HashMap<&str, LimitRangeDefaults> = HashMap::new();
        for t in cx.index.pod_templates() {
            if t.object.kind() == "PodTemplate" {
                continue;
            }
            let ns = namespace_of(t);
            let d = defaults
                .entry(ns)
                .or_insert_with(|| LimitRangeDefaults::of(cx.index, ns));
            let pod_limit = |r: Resource| {
                t.spec
                    .at(&["resources", "limits", r.key()])
                    .is_some_and(|n| !n.is_null())
            };
            // one finding per pod template: the containers without limits, the first one's
            // field as the location
            let mut unbounded: Vec<(String, Vec<&str>, FieldPath)> = Vec::new();
            for c in t.containers() {
                if c.kind == ContainerKind::Ephemeral {
                    continue;
                }
                let missing: Vec<&str> = Resource::BOTH
                    .into_iter()
                    .filter(|&r| {
                        let own = c
                            .node
                            .at(&["resources", "limits", r.key()])
                            .is_some_and(|n| !Node::is_null(n));
                        !own && !pod_limit(r) && d.limit[r as usize].is_none()
                    })
                    .map(Resource::key)
                    .collect();
                if !missing.is_empty() {
                    let rel = c.rel_path().key("resources").key("limits");
                    unbounded.push((label(&c), missing, rel));
                }
            }
            let Some((_, _, rel)) = unbounded.first() else {
                continue;
            };
            let memory = unbounded.iter().any(|(_, m, _)| m.contains(&"memory"));
            let severity = if memory {
                Severity::Medium
            } else {
                Severity::Low
            };
            let what: Vec<String> = unbounded
                .iter()
                .map(|(who, m, _)| format!("{who} ({})", m.join(", ")))
                .collect();
            out.push(finding(
                &Self::META,
                severity,
                cx,
                t,
                rel,
                format!(
                    "no limit on {}, and no LimitRange of namespace \"{ns}\" in the input gives a default: {}",
                    bounded_list(&what),
                    if memory {
                        "under load it can take the node's memory and get neighbouring pods OOM-killed"
                    } else {
                        "it can take every idle CPU of its node"
                    }
                ),
                format!(
                    "Set the missing limits (resources.limits.memory, and cpu where throttling is acceptable) on {}, or give namespace \"{ns}\" a LimitRange with a Container default.",
                    bounded_list(unbounded.iter().map(|(who, _, _)| who.as_str()))
                ),
            ));
        }
    }
}
