use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-apiserver` command line with `--service-account-lookup=false`
    /// (medium) or without `--service-account-key-file` (low).
    ///
    /// ## Why it matters
    /// Without the lookup, the API server accepts a service-account token after its
    /// ServiceAccount (or, for legacy tokens, its Secret) was deleted: revoking a stolen token
    /// by deleting its account no longer works. Without an explicit key file the API server
    /// verifies tokens with the key of `--tls-private-key-file`, which then cannot be rotated
    /// without invalidating every token.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command: [kube-apiserver, --service-account-lookup=false]
    /// ```
    ///
    /// ## Fix
    /// Remove `--service-account-lookup=false` (the default is `true`) and set
    /// `--service-account-key-file=/etc/kubernetes/pki/sa.pub` (kubeadm's default).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.21 "Ensure that the --service-account-lookup argument is set to true"
    /// - CIS Kubernetes Benchmark v1.10 1.2.22 "Ensure that the --service-account-key-file argument is set as appropriate"
    /// - MITRE ATT&CK for Containers: T1528 Steal Application Access Token
    pub struct ApiserverServiceAccountTokens {
        name: "apiserver-service-account-tokens",
        domain: ControlPlane,
        severity: Medium,
        summary: "API server accepts tokens of deleted service accounts, or has no token key file",
    }
}

impl Rule for ApiserverServiceAccountTokens {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            let (severity, flag, text) = if !inv.bool("service-account-lookup", true) {
                (
                    Severity::Medium,
                    "service-account-lookup",
                    "sets --service-account-lookup=false: tokens of deleted service accounts stay valid",
                )
            } else if !inv.is_set("service-account-key-file") {
                (
                    Severity::Low,
                    "service-account-key-file",
                    "has no --service-account-key-file: tokens are verified with the serving key",
                )
            } else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                inv.object,
                &inv.path_of(flag),
                format!("{} {text}", inv.describe()),
                "Keep --service-account-lookup=true (the default) and set --service-account-key-file.",
            ));
        }
    }
}
