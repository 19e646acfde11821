use super::resources::{check, Bound};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A container declares no CPU request.
    ///
    /// ## What it does
    /// Reports every init and regular container of a workload (Pod, Deployment, StatefulSet,
    /// DaemonSet, Job, CronJob, custom resources with a pod template...) that sets neither
    /// `resources.requests.cpu` nor `resources.limits.cpu` (the API server defaults a missing request
    /// to the limit). It is satisfied by pod-level `spec.resources` and by a `LimitRange` of type
    /// `Container` in the workload's namespace that gives a `defaultRequest` (or `default`, `max`,
    /// `min`) for `cpu`, when that LimitRange is part of the scanned input.
    ///
    /// ## Why it matters
    /// A pod without requests is `BestEffort` (or `Burstable` with no CPU share): the scheduler packs
    /// it anywhere and it is starved first under contention. A compromised or noisy neighbour can then
    /// degrade it at will, and capacity planning and ResourceQuotas that count requests lose track of it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// Set `resources.requests.cpu` (e.g. `100m`) on every container, or add a LimitRange with a
    /// `defaultRequest.cpu` to the namespace.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7 "General Policies"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security" and "Resource policies"
    /// - MITRE ATT&CK for containers: T1496 (Resource Hijacking), T1499 (Endpoint Denial of Service)
    /// - kube-linter: `unset-cpu-requirements`; Checkov: `CKV_K8S_10`
    pub struct MissingCpuRequests {
        name: "missing-cpu-requests",
        domain: Hygiene,
        severity: Low,
        summary: "Container has no CPU request",
    }
}

impl Rule for MissingCpuRequests {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(&Self::META, cx, out, Bound::Requests, "cpu", "CPU", "100m");
    }
}
