use super::flags::{bool_at, existing, kubelet_configs};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reports a `KubeletConfiguration` that does not ask the API server about callers:
    /// - `authorization.mode: AlwaysAllow`: critical (every authenticated caller may exec into
    ///   every pod of the node);
    /// - `authentication.webhook.enabled: false`: medium (service-account and other bearer
    ///   tokens are not accepted, so clients fall back to broader credentials);
    /// - no `authentication.x509.clientCAFile`: medium (the API server's client certificate
    ///   cannot be verified).
    ///
    /// Unset `authorization.mode` is `Webhook` and unset `webhook.enabled` is `true` in the
    /// configuration file.
    ///
    /// ## Why it matters
    /// The kubelet API runs commands in containers. With `AlwaysAllow`, any credential that
    /// authenticates (a pod's service-account token with webhook authentication) gets
    /// `nodes/proxy`-equivalent rights on the node, which RBAC never granted.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// authorization: {mode: AlwaysAllow}
    /// ```
    ///
    /// ## Fix
    /// `authorization.mode: Webhook`, `authentication.webhook.enabled: true` and
    /// `authentication.x509.clientCAFile: /etc/kubernetes/pki/ca.crt` (kubeadm's defaults).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 4.2.2 "Ensure that the --authorization-mode argument is not set to AlwaysAllow"
    /// - CIS Kubernetes Benchmark v1.10 4.2.3 "Ensure that the --client-ca-file argument is set as appropriate"
    /// - Kubernetes documentation: "Kubelet authentication/authorization"
    pub struct KubeletWebhookAuth {
        name: "kubelet-webhook-auth",
        domain: ControlPlane,
        severity: High,
        summary: "Kubelet authorises every caller, or cannot authenticate callers through the API server",
    }
}

impl Rule for KubeletWebhookAuth {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubelet_configs(cx) {
            let root = &cfg.root;
            let mut problems: Vec<(Severity, FieldPath, &str)> = Vec::new();
            if root.at(&["authorization", "mode"]).and_then(|n| n.as_str()) == Some("AlwaysAllow") {
                problems.push((
                    Severity::Critical,
                    existing(root, &["authorization", "mode"]),
                    "authorises every request (authorization.mode: AlwaysAllow)",
                ));
            }
            let webhook = ["authentication", "webhook", "enabled"];
            if !bool_at(root, &webhook, true) {
                problems.push((
                    Severity::Medium,
                    existing(root, &webhook),
                    "does not verify bearer tokens with the API server (authentication.webhook.enabled: false)",
                ));
            }
            let ca = ["authentication", "x509", "clientCAFile"];
            if root
                .at(&ca)
                .and_then(|n| n.as_str())
                .is_none_or(|s| s.trim().is_empty())
            {
                problems.push((
                    Severity::Medium,
                    existing(root, &ca),
                    "has no authentication.x509.clientCAFile",
                ));
            }
            let Some(severity) = problems.iter().map(|p| p.0).max() else {
                continue;
            };
            let path = problems
                .iter()
                .find(|p| p.0 == severity)
                .map(|p| p.1.clone())
                .unwrap_or_default();
            let text: Vec<&str> = problems.iter().map(|p| p.2).collect();
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                cfg,
                &path,
                format!("kubelet {}", text.join("; ")),
                "Set authorization.mode: Webhook, authentication.webhook.enabled: true and authentication.x509.clientCAFile.",
            ));
        }
    }
}
