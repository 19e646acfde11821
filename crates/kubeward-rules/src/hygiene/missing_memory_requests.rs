use super::resources::{check, Bound};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A container declares no memory request.
    ///
    /// ## What it does
    /// Reports every init and regular container of a workload that sets neither
    /// `resources.requests.memory` nor `resources.limits.memory` (the API server defaults a missing
    /// request to the limit). It is satisfied by pod-level `spec.resources` and by a `LimitRange` of
    /// type `Container` in the workload's namespace that gives a `defaultRequest` (or `default`, `max`,
    /// `min`) for `memory`, when that LimitRange is part of the scanned input.
    ///
    /// ## Why it matters
    /// Without a memory request the scheduler may place the pod on a node that cannot hold it, and
    /// under memory pressure the kubelet evicts pods that use more than they requested first. A
    /// neighbour that allocates memory aggressively can get this pod evicted or OOM-killed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: CronJob
    /// metadata: {name: report}
    /// spec:
    ///   schedule: "0 * * * *"
    ///   jobTemplate:
    ///     spec:
    ///       template:
    ///         spec:
    ///           restartPolicy: OnFailure
    ///           containers:
    ///           - name: report
    ///             image: reporter:2.1
    ///             resources: {requests: {cpu: 100m}}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.requests.memory` (e.g. `128Mi`) on every container, or add a LimitRange with a
    /// `defaultRequest.memory` to the namespace.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7 "General Policies"
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK for containers: T1499 (Endpoint Denial of Service)
    /// - kube-linter: `unset-memory-requirements`; Checkov: `CKV_K8S_12`
    pub struct MissingMemoryRequests {
        name: "missing-memory-requests",
        domain: Hygiene,
        severity: Low,
        summary: "Container has no memory request",
    }
}

impl Rule for MissingMemoryRequests {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            &Self::META,
            cx,
            out,
            Bound::Requests,
            "memory",
            "memory",
            "128Mi",
        );
    }
}
