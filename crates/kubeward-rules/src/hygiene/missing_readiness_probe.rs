use super::probes::check;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A long-running container has no readiness probe.
    ///
    /// ## What it does
    /// Reports regular containers of Deployments, StatefulSets, DaemonSets, ReplicaSets,
    /// ReplicationControllers, Argo Rollouts and OpenShift DeploymentConfigs without a
    /// `readinessProbe`. Bare Pods, Jobs and CronJobs, init containers and ephemeral containers are
    /// not judged.
    ///
    /// ## Why it matters
    /// Without a readiness probe a pod receives Service traffic as soon as its process starts, and
    /// keeps receiving it while it is overloaded or broken; rolling updates cannot tell a bad release
    /// from a good one and replace every healthy replica with it.
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
    /// ```
    ///
    /// ## Fix
    /// Add a `readinessProbe` that reports whether the container can serve requests now.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark: none (operational best practice)
    /// - NSA/CISA Kubernetes Hardening Guide: none (availability)
    /// - MITRE ATT&CK for containers: T1499 (Endpoint Denial of Service)
    /// - kube-linter: `no-readiness-probe`; Checkov: `CKV_K8S_9`
    pub struct MissingReadinessProbe {
        name: "missing-readiness-probe",
        domain: Hygiene,
        severity: Low,
        summary: "Long-running container has no readiness probe",
    }
}

impl Rule for MissingReadinessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            &Self::META,
            cx,
            out,
            "readinessProbe",
            "it receives traffic before it can serve and while it is failing",
        );
    }
}
