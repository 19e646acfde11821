use super::common::finding;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// Containers of a pod share one process namespace.
    ///
    /// ## What it does
    /// Reports pod templates with `shareProcessNamespace: true` (YAML 1.1 `yes`/`on` included).
    ///
    /// ## Why it matters
    /// With a shared PID namespace every container sees every other container's processes. A
    /// compromised sidecar can signal the application, read its environment and command line through
    /// `/proc/<pid>/environ` and `cmdline`, and, running as the same user, open its memory and file
    /// descriptors through `/proc/<pid>/root` and `/proc/<pid>/mem`: the isolation between the
    /// containers of the pod is gone.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app}
    /// spec:
    ///   shareProcessNamespace: yes
    ///   containers:
    ///   - {name: app, image: app:1.0}
    ///   - {name: proxy, image: envoy:1.30}
    /// ```
    ///
    /// ## Fix
    /// Remove `shareProcessNamespace` (or set it to `false`). For one-off debugging use
    /// `kubectl debug --target=<container>`, which shares only with the debug container.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7.3 "Apply SecurityContext to your Pods and Containers"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security"
    /// - MITRE ATT&CK for containers: T1055 (Process Injection), T1552 (Unsecured Credentials)
    /// - kube-linter: none; Checkov: none (Datree and Polaris have comparable checks)
    pub struct SharedProcessNamespace {
        name: "shared-process-namespace",
        domain: Workload,
        severity: Medium,
        summary: "Pod shares one process namespace between its containers",
    }
}

impl Rule for SharedProcessNamespace {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if t.spec.bool_at("shareProcessNamespace") != Some(true) {
                continue;
            }
            let names: Vec<String> = t
                .containers()
                .iter()
                .map(|c| format!("\"{}\"", c.name))
                .collect();
            out.push(finding(
                &Self::META,
                Self::META.severity,
                cx,
                t,
                &FieldPath::root().key("shareProcessNamespace"),
                format!(
                    "pod sets shareProcessNamespace: true, so its containers ({}) see and can signal or inspect each other's processes",
                    names.join(", ")
                ),
                "remove shareProcessNamespace (use kubectl debug --target for debugging)",
            ));
        }
    }
}
