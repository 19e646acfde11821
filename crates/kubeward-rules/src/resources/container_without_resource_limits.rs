use super::ceiling::{LimitRangeDefaults, Resource};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label, namespace_of};
use kubeward_model::{ContainerKind, Node};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports an init or regular container of a workload that has no CPU or no memory limit
    /// once the namespace's `LimitRange` defaults in the input are applied (a LimitRange of
    /// type `Container` with `default`, or `max`, for the resource). Pod-level
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
            for c in t.containers() {
                if c.kind == ContainerKind::Ephemeral {
                    continue;
                }
                let missing: Vec<Resource> = Resource::BOTH
                    .into_iter()
                    .filter(|&r| {
                        let own = c
                            .node
                            .at(&["resources", "limits", r.key()])
                            .is_some_and(|n| !Node::is_null(n));
                        !own && !pod_limit(r) && d.limit[r as usize].is_none()
                    })
                    .collect();
                if missing.is_empty() {
                    continue;
                }
                let severity = if missing.contains(&Resource::Memory) {
                    Severity::Medium
                } else {
                    Severity::Low
                };
                let names: Vec<&str> = missing.iter().map(|r| r.key()).collect();
                let rel = c.rel_path().key("resources").key("limits");
                out.push(finding(
                    &Self::META,
                    severity,
                    cx,
                    t,
                    &rel,
                    format!(
                        "{} sets no {} limit and no LimitRange of namespace \"{ns}\" in the input gives a default: {}",
                        label(&c),
                        names.join(" or "),
                        if missing.contains(&Resource::Memory) {
                            "under load it can take the node's memory and get neighbouring pods OOM-killed"
                        } else {
                            "it can take every idle CPU of its node"
                        }
                    ),
                    format!(
                        "Set resources.limits.{} on {} (for example `memory: 512Mi`), or give namespace \"{ns}\" a LimitRange with a Container default.",
                        names.join(" and resources.limits."),
                        label(&c)
                    ),
                ));
            }
        }
    }
}
