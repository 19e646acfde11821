use super::flags::{existing, kubelet_configs};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `KubeletConfiguration` with a `readOnlyPort` other than 0 (unset is 0 in the
    /// configuration file; the deprecated flag's default was 10255).
    ///
    /// ## Why it matters
    /// The read-only port serves the kubelet's pod list, specs (environment values included)
    /// and metrics over plain HTTP without authentication to anyone who reaches the node: a
    /// map of every workload and often credentials passed as env literals.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// readOnlyPort: 10255
    /// ```
    ///
    /// ## Fix
    /// `readOnlyPort: 0` (or remove the field); read metrics through the authenticated port
    /// 10250.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 4.2.4 "Verify that the --read-only-port argument is set to 0"
    /// - MITRE ATT&CK for Containers: T1613 Container and Resource Discovery
    pub struct KubeletReadOnlyPort {
        name: "kubelet-read-only-port",
        domain: ControlPlane,
        severity: High,
        summary: "Kubelet serves its unauthenticated read-only port",
    }
}

impl Rule for KubeletReadOnlyPort {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubelet_configs(cx) {
            let Some(port) = cfg.root.i64_at("readOnlyPort").filter(|p| *p != 0) else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                cfg,
                &existing(&cfg.root, &["readOnlyPort"]),
                format!(
                    "kubelet serves pods and metrics without authentication on port {port} (readOnlyPort)"
                ),
                "Set readOnlyPort: 0.",
            ));
        }
    }
}
