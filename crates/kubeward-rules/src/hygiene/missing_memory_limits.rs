use super::resources::{check, Bound};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A container declares no memory limit.
    ///
    /// ## What it does
    /// Reports every init and regular container of a workload without `resources.limits.memory`. It
    /// is satisfied by pod-level `spec.resources.limits.memory` and by a `LimitRange` of type
    /// `Container` in the workload's namespace with a `default` (or `max`) for `memory`, when that
    /// LimitRange is part of the scanned input.
    ///
    /// ## Why it matters
    /// Memory is not compressible: a container without a limit that leaks or is made to allocate
    /// (a decompression bomb, a huge request body) exhausts the node's memory, and the kernel OOM
    /// killer and kubelet evictions then take down neighbouring pods. It is a cheap denial of service
    /// against everything scheduled on the same node.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: StatefulSet
    /// metadata: {name: db}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: db
    ///         image: postgres:16
    ///         resources: {requests: {memory: 1Gi}}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.memory` (e.g. `256Mi`, usually equal to the request), or add a LimitRange
    /// with a `default.memory` to the namespace.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7 "General Policies"
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK for containers: T1499 (Endpoint Denial of Service)
    /// - kube-linter: `unset-memory-requirements`; Checkov: `CKV_K8S_13`
    pub struct MissingMemoryLimits {
        name: "missing-memory-limits",
        domain: Hygiene,
        severity: Low,
        summary: "Container has no memory limit",
    }
}

impl Rule for MissingMemoryLimits {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            &Self::META,
            cx,
            out,
            Bound::Limits,
            "memory",
            "memory",
            "256Mi",
        );
    }
}
