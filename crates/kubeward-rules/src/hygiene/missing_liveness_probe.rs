use super::probes::check;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A long-running container has no liveness probe.
    ///
    /// ## What it does
    /// Reports regular containers of Deployments, StatefulSets, DaemonSets, ReplicaSets,
    /// ReplicationControllers, Argo Rollouts and OpenShift DeploymentConfigs without a
    /// `livenessProbe`. Bare Pods, Jobs and CronJobs (which run to completion), init containers and
    /// ephemeral containers are not judged.
    ///
    /// ## Why it matters
    /// Without a liveness probe a deadlocked or wedged process (for example after an attacker-induced
    /// resource exhaustion or a hung dependency) keeps its pod "Running" forever: the service stays
    /// degraded until a human notices. It is an availability control rather than a confidentiality
    /// one, hence the informational severity.
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
    /// Add a `livenessProbe` that checks the process itself (not its dependencies), with a
    /// generous `failureThreshold` or a `startupProbe` for slow starts.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark: none (operational best practice)
    /// - NSA/CISA Kubernetes Hardening Guide: none (availability)
    /// - MITRE ATT&CK for containers: T1499 (Endpoint Denial of Service)
    /// - kube-linter: `no-liveness-probe`; Checkov: `CKV_K8S_8`
    pub struct MissingLivenessProbe {
        name: "missing-liveness-probe",
        domain: Hygiene,
        severity: Info,
        summary: "Long-running container has no liveness probe",
    }
}

impl Rule for MissingLivenessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        check(
            &Self::META,
            cx,
            out,
            "livenessProbe",
            "a hung process is never restarted",
        );
    }
}
