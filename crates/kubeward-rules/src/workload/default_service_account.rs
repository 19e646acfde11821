use super::common::{automount, finding, has_containers};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// Pods run as the namespace's `default` service account with its token mounted.
    ///
    /// ## What it does
    /// Reports workloads whose pods use the `default` ServiceAccount (no `serviceAccountName`, or
    /// `serviceAccountName: default`) and receive its token (see `service-account-token-automount`:
    /// the pod's `automountServiceAccountToken` wins over the ServiceAccount's). Pods that do not
    /// mount a token carry no API credential, so they are not reported.
    ///
    /// ## Why it matters
    /// Every pod of the namespace that names no account shares `default`. Any permission granted to
    /// it, often added "temporarily" for one application, is granted to all of them, and a
    /// compromise of any one pod yields the credential of all. A dedicated account per workload keeps
    /// RBAC grants attributable and minimal.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: nginx:1.27
    /// ```
    ///
    /// ## Fix
    /// Create a ServiceAccount for the workload and set `serviceAccountName`; if the workload does
    /// not call the API, also set `automountServiceAccountToken: false`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.5 "Ensure that default service accounts are not actively used"
    /// - NSA/CISA Kubernetes Hardening Guide: "Pod security: service account tokens"
    /// - MITRE ATT&CK for containers: T1528 (Steal Application Access Token)
    /// - kube-linter: `default-service-account`; Checkov: `CKV_K8S_41`
    pub struct DefaultServiceAccount {
        name: "default-service-account",
        domain: Workload,
        severity: Low,
        summary: "Pod uses the default service account with a mounted token",
    }
}

impl Rule for DefaultServiceAccount {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if !has_containers(t)
                || t.service_account() != "default"
                || !automount(cx.index, t).mounted()
            {
                continue;
            }
            let field = if t.spec.get("serviceAccountName").is_some() {
                "serviceAccountName"
            } else {
                "serviceAccount"
            };
            let explicit = t.spec.get(field).is_some();
            out.push(finding(
                &Self::META,
                Self::META.severity,
                cx,
                t,
                &FieldPath::root().key(field),
                if explicit {
                    "pod runs as ServiceAccount \"default\" (serviceAccountName: default) with its token mounted".to_string()
                } else {
                    "pod names no serviceAccountName, so it runs as the namespace's \"default\" ServiceAccount with its token mounted".to_string()
                },
                "create a dedicated ServiceAccount and set serviceAccountName, or set automountServiceAccountToken: false if the pod does not call the API",
            ));
        }
    }
}
