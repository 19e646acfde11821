use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads `--authorization-mode` of the `kube-apiserver` command line (every occurrence,
    /// comma lists) and reports:
    /// - `AlwaysAllow` among the modes, or the flag missing (its default is `AlwaysAllow`):
    ///   critical;
    /// - `RBAC` missing: high;
    /// - `Node` missing: medium (kubelets are then authorised by RBAC alone and can read every
    ///   Secret their role allows, not only those of their own pods).
    ///
    /// An API server that reads its authorizers from `--authorization-config` (a structured
    /// `AuthorizationConfiguration`) is left alone.
    ///
    /// ## Why it matters
    /// `AlwaysAllow` authorises every authenticated (and, with anonymous authentication,
    /// every unauthenticated) request: any service-account token of any pod is then
    /// cluster-admin. Without the Node authorizer a stolen kubelet credential reads every
    /// Secret and ConfigMap in the cluster.
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
    ///     command: [kube-apiserver, --authorization-mode=AlwaysAllow]
    /// ```
    ///
    /// ## Fix
    /// Set `--authorization-mode=Node,RBAC` (add `Webhook` after them if an external
    /// authorizer is used).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.6 "Ensure that the --authorization-mode argument is not set to AlwaysAllow"
    /// - CIS Kubernetes Benchmark v1.10 1.2.7 "Ensure that the --authorization-mode argument includes Node"
    /// - CIS Kubernetes Benchmark v1.10 1.2.8 "Ensure that the --authorization-mode argument includes RBAC"
    /// - Kubernetes documentation: "Authorization" and "Using Node Authorization"
    pub struct ApiserverAuthorizationMode {
        name: "apiserver-authorization-mode",
        domain: ControlPlane,
        severity: High,
        summary: "API server authorises with AlwaysAllow, or without Node and RBAC",
    }
}

impl Rule for ApiserverAuthorizationMode {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            if inv.is_set("authorization-config") {
                continue;
            }
            let modes = inv.list("authorization-mode");
            let (severity, problem) = if modes.is_empty() {
                (
                    Severity::Critical,
                    "has no --authorization-mode: the default AlwaysAllow authorises every request"
                        .to_string(),
                )
            } else if modes.contains(&"AlwaysAllow") {
                (
                    Severity::Critical,
                    format!(
                        "authorises with {}: AlwaysAllow grants every request",
                        crate::finding::bounded_list(&modes)
                    ),
                )
            } else if !modes.contains(&"RBAC") {
                (
                    Severity::High,
                    format!(
                        "authorises with {} without RBAC",
                        crate::finding::bounded_list(&modes)
                    ),
                )
            } else if !modes.contains(&"Node") {
                (
                    Severity::Medium,
                    format!(
                        "authorises with {} without Node: kubelets are not limited to their own pods' objects",
                        crate::finding::bounded_list(&modes)
                    ),
                )
            } else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                inv.object,
                &inv.path_of("authorization-mode"),
                format!("{} {problem}", inv.describe()),
                "Set --authorization-mode=Node,RBAC on the kube-apiserver command.",
            ));
        }
    }
}
