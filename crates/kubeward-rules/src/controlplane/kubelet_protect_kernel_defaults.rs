use super::flags::{bool_at, existing, kubelet_configs};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `KubeletConfiguration` without `protectKernelDefaults: true` (unset is
    /// `false`).
    ///
    /// ## Why it matters
    /// With the protection off the kubelet silently changes kernel settings it wants
    /// (`vm.overcommit_memory`, `kernel.panic`, ...) instead of refusing to start on a node
    /// whose hardening differs: the node's tuning is overridden without anyone noticing.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// protectKernelDefaults: false
    /// ```
    ///
    /// ## Fix
    /// Set the kernel parameters the kubelet expects in `/etc/sysctl.d/` and
    /// `protectKernelDefaults: true`.
    ///
    /// ## References
    /// - CIS Kubernetes V1.24 Benchmark 4.2.6 "Ensure that the --protect-kernel-defaults argument is set to true"
    /// - Kubernetes documentation: "Kubelet Configuration (v1beta1)" (protectKernelDefaults)
    pub struct KubeletProtectKernelDefaults {
        name: "kubelet-protect-kernel-defaults",
        domain: ControlPlane,
        severity: Low,
        summary: "Kubelet may change the node's kernel settings",
    }
}

impl Rule for KubeletProtectKernelDefaults {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubelet_configs(cx) {
            if bool_at(&cfg.root, &["protectKernelDefaults"], false) {
                continue;
            }
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                cfg,
                &existing(&cfg.root, &["protectKernelDefaults"]),
                "kubelet does not set protectKernelDefaults: true: it overrides kernel settings that differ from its expectations",
                "Set protectKernelDefaults: true (after setting the expected sysctls on the node).",
            ));
        }
    }
}
