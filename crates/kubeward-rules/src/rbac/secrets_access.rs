use super::grants::{self, Probe};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can read Secrets: `get`, `list` or `watch` (or `*`)
    /// on `secrets` in the core API group, named explicitly or through a wildcard in
    /// `verbs`, `resources` or `apiGroups`.
    ///
    /// Severity is high; it is medium when `resourceNames` restricts the rule to named
    /// Secrets. The rule judges the role's effective rules (an aggregated ClusterRole gets
    /// the rules of the ClusterRoles it selects; the finding is then at its `aggregationRule`),
    /// as the API server matches them; it reports the role whether or not it is bound.
    ///
    /// ## Why it matters
    /// Secrets hold database passwords, API keys, TLS keys and (before Kubernetes 1.24, or
    /// whenever a `kubernetes.io/service-account-token` Secret is created) service account
    /// tokens. Reading them is the most common step from a foothold to more privilege: a
    /// token of a more powerful service account (a controller in `kube-system`, an operator)
    /// turns read access into that account's rights. `list` and `watch` return the content of
    /// every Secret, not just names.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: secret-reader}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [secrets]
    ///   verbs: [get, list, watch]
    /// ```
    ///
    /// ## Fix
    /// Mount the Secrets a workload needs as volumes instead of reading them through the API.
    /// If API access is needed, use a namespaced Role (not a ClusterRole bound cluster-wide)
    /// with `get` and `resourceNames` listing the exact Secrets; avoid `list` and `watch`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.2 "Minimize access to secrets"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization" (least privilege)
    /// - MITRE ATT&CK for Containers: T1552.007 Unsecured Credentials: Container API
    /// - kube-linter `access-to-secrets`
    pub struct RbacSecretsAccess {
        name: "rbac-secrets-access",
        domain: Rbac,
        severity: High,
        summary: "Role can read Secrets (get, list or watch on secrets)",
    }
}

const PROBES: &[Probe] = &[Probe {
    groups: &[""],
    resource: "secrets",
    verbs: &["get", "list", "watch"],
}];

impl Rule for RbacSecretsAccess {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let hits = grants::find(engine, role, PROBES);
            let Some(first) = hits.first() else { continue };
            let named = hits.iter().all(|h| h.restricted_by_name());
            let severity = if named {
                Severity::Medium
            } else {
                Self::META.severity
            };
            let which = if named {
                format!("the Secrets named {:?}", first.rule.resource_names)
            } else {
                "every Secret".to_string()
            };
            let message = format!(
                "{} can read {which} {}: {}{}{}",
                grants::describe(role),
                grants::scope(engine, role),
                grants::summarize(&hits),
                grants::wildcard_note(&hits),
                super::risky::holders(engine, role)
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                role,
                &first.path(),
                message,
                "Mount needed Secrets as volumes instead; if API access is required, grant `get` on specific `resourceNames` in a namespaced Role.",
            ));
        }
    }
}
