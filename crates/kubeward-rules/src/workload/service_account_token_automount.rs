use super::common::{
    account_is_bound, automount, finding, has_containers, namespace_of, Automount,
};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// Pods get a service-account token mounted automatically.
    ///
    /// ## What it does
    /// Reports workloads whose pods receive an API token: the pod template does not set
    /// `automountServiceAccountToken: false`, and its ServiceAccount (looked up in the input, in the
    /// workload's namespace) does not set it either. The pod's own field wins over the
    /// ServiceAccount's, as in the API server: `true` on the pod mounts the token even when the
    /// ServiceAccount opts out. A ServiceAccount that is not in the input is assumed to leave the
    /// default (mount). Templates without containers (patch fragments) are skipped, and so are
    /// workloads whose ServiceAccount is a subject of a RoleBinding or ClusterRoleBinding in the
    /// input: they were granted API access, so they presumably need the token (RBAC rules judge
    /// what the grant allows). The `default` ServiceAccount gets no such exemption: a grant to it
    /// reaches every pod of the namespace, which makes its automounted token worse, not needed.
    ///
    /// ## Why it matters
    /// Most applications never call the Kubernetes API, yet by default every pod carries a bearer
    /// token at `/var/run/secrets/kubernetes.io/serviceaccount/token`. Any file read or code
    /// execution vulnerability turns into authenticated API access with whatever RBAC the account has
    /// been granted (often more than intended, through aggregated or wildcard roles).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   template:
    ///     spec:
    ///       serviceAccountName: web
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// Set `automountServiceAccountToken: false` on the pod template (or on the ServiceAccount) for
    /// workloads that do not talk to the API; those that do should use a dedicated ServiceAccount
    /// with minimal RBAC, or a projected token volume with a short expiry and a specific audience.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.6 "Ensure that Service Account Tokens are only mounted where necessary"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security: service account tokens"
    /// - MITRE ATT&CK for containers: T1528 (Steal Application Access Token)
    /// - Checkov: `CKV_K8S_38`
    pub struct ServiceAccountTokenAutomount {
        name: "service-account-token-automount",
        domain: Workload,
        severity: Medium,
        summary: "Service-account token is mounted automatically",
    }
}

impl Rule for ServiceAccountTokenAutomount {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if !has_containers(t) {
                continue;
            }
            let sa = t.service_account();
            if sa != "default" && account_is_bound(cx.index, namespace_of(t), sa) {
                continue;
            }
            let (message, related) = match automount(cx.index, t) {
                Automount::PodFalse | Automount::AccountFalse => continue,
                Automount::PodTrue => (
                    format!("pod sets automountServiceAccountToken: true, so a token of ServiceAccount \"{sa}\" is mounted into every container"),
                    None,
                ),
                Automount::Default(Some(account)) => (
                    format!(
                        "neither the pod nor ServiceAccount \"{sa}\" sets automountServiceAccountToken: false, so its token is mounted into every container"
                    ),
                    Some(account),
                ),
                Automount::Default(None) => (
                    format!(
                        "pod does not set automountServiceAccountToken: false, so a token of ServiceAccount \"{sa}\" is mounted into every container (the ServiceAccount is not in the input)"
                    ),
                    None,
                ),
            };
            let rel = FieldPath::root().key("automountServiceAccountToken");
            let mut f = finding(
                &Self::META,
                Self::META.severity,
                cx,
                t,
                &rel,
                message,
                format!(
                    "set automountServiceAccountToken: false on the pod template (or on ServiceAccount \"{sa}\") unless the pod calls the Kubernetes API"
                ),
            );
            if let Some(account) = related {
                f.related.push(account.oref.clone());
            }
            out.push(f);
        }
    }
}
