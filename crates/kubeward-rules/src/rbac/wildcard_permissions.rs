use super::grants;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole with a wildcard in a rule: `*` in `verbs`,
    /// `resources` or `apiGroups`, or a subresource wildcard (`pods/*`, `*/scale`). One
    /// finding per role, at its first such rule.
    ///
    /// Severity:
    /// - critical for a ClusterRole granting `*` verbs on `*` resources in `*` groups (the
    ///   definition of `cluster-admin`), high for such a Role (administrator of a namespace);
    /// - high for `*` in `verbs` or `resources` of a rule that reaches a built-in API group
    ///   (core, `apps`, `rbac.authorization.k8s.io`, ...) or every group; medium when the
    ///   rule is confined to the groups of custom resources (an operator managing its own
    ///   CRDs);
    /// - medium when the only wildcards are in `apiGroups` or on subresources.
    ///
    /// `nonResourceURLs` are not judged. Aggregated ClusterRoles (`aggregationRule`) are
    /// judged by the rules written in the manifest only.
    ///
    /// ## Why it matters
    /// A wildcard grants every current and future verb, resource or API group, including
    /// ones added later by CRDs and new Kubernetes versions: `*` verbs include `escalate`,
    /// `bind` and `impersonate`, `*` resources include `secrets`, `pods/exec` and
    /// `nodes/proxy`. Whoever obtains a token bound to such a role gets far more than its
    /// author meant to give.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: operator}
    /// rules:
    /// - apiGroups: ["*"]
    ///   resources: ["*"]
    ///   verbs: ["*"]
    /// ```
    ///
    /// ## Fix
    /// List the API groups, resources and verbs the subject needs. Operators that manage
    /// their own CRDs need their own group only.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.3 "Minimize wildcard use in Roles and ClusterRoles"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1078 Valid Accounts
    /// - Checkov CKV_K8S_49; kube-linter `wildcard-in-rules`
    pub struct RbacWildcardPermissions {
        name: "rbac-wildcard-permissions",
        domain: Rbac,
        severity: High,
        summary: "Role uses a wildcard in verbs, resources or apiGroups",
    }
}

impl Rule for RbacWildcardPermissions {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let entries = grants::rule_entries(role);
            // (severity, entry, field, description) of the worst wildcard.
            let mut worst: Option<(Severity, usize, &str, String)> = None;
            let mut count = 0;
            for e in &entries {
                let all_verbs = e.verbs.contains(&"*");
                let all_res = e.resources.contains(&"*");
                let all_groups = e.api_groups.contains(&"*");
                let sub_wild = e
                    .resources
                    .iter()
                    .any(|r| r.contains('/') && r.contains('*'));
                let groups = if all_groups {
                    "every API group".to_string()
                } else {
                    let names: Vec<&str> = e
                        .api_groups
                        .iter()
                        .map(|g| if g.is_empty() { "core" } else { g })
                        .collect();
                    format!("API group {}", names.join(", "))
                };
                // Wildcards confined to the groups of custom resources are medium.
                let high = if e.reaches_builtin_groups() {
                    Severity::High
                } else {
                    Severity::Medium
                };
                let found = if all_verbs && all_res && all_groups {
                    let sev = if role.kind() == "ClusterRole" {
                        Severity::Critical
                    } else {
                        Severity::High
                    };
                    Some((
                        sev,
                        "verbs",
                        "every verb on every resource of every API group (full administrator)"
                            .to_string(),
                    ))
                } else if all_verbs && all_res {
                    Some((
                        high,
                        "verbs",
                        format!("every verb on every resource of {groups}"),
                    ))
                } else if all_verbs {
                    Some((
                        high,
                        "verbs",
                        format!("every verb on {} in {groups}", e.resources.join(", ")),
                    ))
                } else if all_res {
                    Some((
                        high,
                        "resources",
                        format!("{} on every resource of {groups}", e.verbs.join(", ")),
                    ))
                } else if all_groups || sub_wild {
                    let field = if all_groups { "apiGroups" } else { "resources" };
                    Some((
                        Severity::Medium,
                        field,
                        format!(
                            "{} on {} in {groups}",
                            e.verbs.join(", "),
                            e.resources.join(", ")
                        ),
                    ))
                } else {
                    None
                };
                if let Some((sev, field, text)) = found {
                    count += 1;
                    if worst.as_ref().is_none_or(|w| sev > w.0) {
                        worst = Some((sev, e.index, field, text));
                    }
                }
            }
            let Some((severity, index, field, text)) = worst else {
                continue;
            };
            let more = if count > 1 {
                format!(" ({} rules use wildcards)", count)
            } else {
                String::new()
            };
            let message = format!(
                "{} grants {text} {}{more}{}",
                grants::describe(role),
                grants::scope(engine, role),
                super::risky::holders(engine, role)
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                role,
                &entries[index].field(field),
                message,
                "Replace wildcards with the explicit API groups, resources and verbs the subject needs.",
            ));
        }
    }
}
