use super::flags::{bool_at, existing, kubelet_configs};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `KubeletConfiguration` (`kubelet.config.k8s.io/v1beta1`) with
    /// `authentication.anonymous.enabled: true`. Unset is `false` in the configuration file
    /// (unlike the deprecated `--anonymous-auth` flag, whose default is `true`).
    ///
    /// ## Why it matters
    /// The kubelet's API on port 10250 runs commands in every container of the node
    /// (`/exec`, `/run`), reads their logs and lists their pods. Anonymous requests reach it as
    /// `system:anonymous`; with `authorization.mode: AlwaysAllow` that is remote code
    /// execution on every pod of the node for anyone who reaches the port.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authentication:
    ///   anonymous: {enabled: true}
    /// ```
    ///
    /// ## Fix
    /// `authentication.anonymous.enabled: false` (kubeadm's default).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 4.2.1 "Ensure that the --anonymous-auth argument is set to false"
    /// - Kubernetes documentation: "Kubelet authentication/authorization"
    /// - MITRE ATT&CK for Containers: T1609 Container Administration Command
    pub struct KubeletAnonymousAuth {
        name: "kubelet-anonymous-auth",
        domain: ControlPlane,
        severity: High,
        summary: "Kubelet accepts anonymous requests",
    }
}

impl Rule for KubeletAnonymousAuth {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubelet_configs(cx) {
            let keys = ["authentication", "anonymous", "enabled"];
            if !bool_at(&cfg.root, &keys, false) {
                continue;
            }
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                cfg,
                &existing(&cfg.root, &keys),
                "kubelet accepts anonymous requests on its API (authentication.anonymous.enabled: true)",
                "Set authentication.anonymous.enabled: false.",
            ));
        }
    }
}
