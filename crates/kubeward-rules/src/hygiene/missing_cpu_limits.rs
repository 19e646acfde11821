use super::resources::{check, Bound};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A container declares no CPU limit.
    ///
    /// ## What it does
    /// Reports every init and regular container of a workload without `resources.limits.cpu`. It is
    /// satisfied by pod-level `spec.resources.limits.cpu` and by a `LimitRange` of type `Container` in
    /// the workload's namespace with a `default` (or `max`, which the API server copies into
    /// `default`) for `cpu`, when that LimitRange is part of the scanned input.
    ///
    /// ## Why it matters
    /// An unbounded container can use every idle CPU of its node. A compromised container that runs a
    /// cryptominer, or a request flood, then slows down every other pod on the node, including
    /// system agents. Some teams deliberately leave CPU limits out to avoid throttling; this rule is
    /// low severity so that choice can be recorded with a suppression.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: miner}
    /// spec:
    ///   containers:
    ///   - name: app
    ///     image: app:1.0
    ///     resources: {requests: {cpu: 100m, memory: 64Mi}}
    /// ```
    ///
    /// ## Fix
    /// Set `resources.limits.cpu` (e.g. `500m`), or add a LimitRange with a `default.cpu` to the
    /// namespace.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7 "General Policies"
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK for containers: T1496 (Resource Hijacking)
    /// - kube-linter: `unset-cpu-requirements`; Checkov: `CKV_K8S_11`
    pub struct MissingCpuLimits {
        name: "missing-cpu-limits",
        domain: Hygiene,
        severity: Low,
        summary: "Container has no CPU limit",
    }
}

impl Rule for MissingCpuLimits {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(&Self::META, cx, out, Bound::Limits, "cpu", "CPU", "500m");
    }
}
