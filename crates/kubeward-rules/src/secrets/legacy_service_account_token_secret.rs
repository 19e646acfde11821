use super::detect;
use super::readers::{from_cluster, Readers};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reports a `Secret` of type `kubernetes.io/service-account-token`: a legacy,
    /// long-lived service-account token. The token controller fills it with a token for the
    /// ServiceAccount named in its `kubernetes.io/service-account.name` annotation that never
    /// expires and is not bound to a pod. High when the manifest itself carries a token in
    /// `data.token` (the credential is committed), medium otherwise. The message names the
    /// service account and who can read the Secret through the input's RBAC bindings.
    ///
    /// ## Why it matters
    /// Since Kubernetes 1.22 pods get short-lived, audience-bound tokens from the TokenRequest
    /// API, rotated by the kubelet. A token Secret is the old kind: valid until the Secret is
    /// deleted, usable from anywhere, readable by everyone with `get` on Secrets in the
    /// namespace. A leaked one is a permanent credential with the service account's rights;
    /// Kubernetes 1.29 and later label unused ones invalid and clean them up for that reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata:
    ///   name: ci-token
    ///   namespace: shop
    ///   annotations: {kubernetes.io/service-account.name: ci}
    /// type: kubernetes.io/service-account-token
    /// ```
    ///
    /// ## Fix
    /// Delete the Secret and request short-lived tokens: `kubectl create token ci --duration
    /// 1h`, a projected `serviceAccountToken` volume, or workload identity federation for
    /// CI systems outside the cluster. Rotate (delete) any token that was committed.
    ///
    /// ## References
    /// - Kubernetes documentation: "Service Accounts", section "Manually create a long-lived
    ///   API token for a ServiceAccount" (and its warning), and "Legacy service account token
    ///   cleaner"
    /// - KEP-2799 "Reduction of Secret-based Service Account Tokens"
    /// - MITRE ATT&CK: T1528 Steal Application Access Token
    pub struct LegacyServiceAccountTokenSecret {
        name: "legacy-service-account-token-secret",
        domain: Secrets,
        severity: Medium,
        summary: "Long-lived service-account token Secret",
    }
}

impl Rule for LegacyServiceAccountTokenSecret {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let readers = Readers::default();
        for s in cx.index.of_kind("Secret") {
            if s.root.str_at("type") != Some("kubernetes.io/service-account-token") {
                continue;
            }
            let account = s
                .annotation("kubernetes.io/service-account.name")
                .unwrap_or("(unnamed)");
            let ns = kubeward_model::effective_namespace(s).unwrap_or("default");
            let committed = !from_cluster(s)
                && s.root
                    .at(&["data", "token"])
                    .and_then(|n| n.scalar_text())
                    .is_some_and(|t| !detect::template_placeholder(&t));
            let (severity, what) = if committed {
                (
                    Severity::High,
                    "the manifest carries the token itself in data.token, a committed credential that never expires",
                )
            } else {
                (
                    Severity::Medium,
                    "the token controller fills it with a token that never expires and is bound to no pod",
                )
            };
            let path = existing(
                s,
                &if committed {
                    FieldPath::root().key("data").key("token")
                } else {
                    FieldPath::root().key("type")
                },
            );
            let r = readers.of(cx, s);
            let mut f = Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                s,
                &path,
                format!(
                    "Secret \"{}\" is a legacy token of ServiceAccount {ns}/{account}: {what}{}",
                    s.name(),
                    r.sentence()
                ),
                format!(
                    "Delete the Secret and use short-lived tokens (kubectl create token {account}, a projected serviceAccountToken volume, or workload identity for external CI); rotate a committed token."
                ),
            );
            f.set_related(r.bindings(cx.snapshot));
            out.push(f);
        }
    }
}
