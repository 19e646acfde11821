use super::grants::{self, Probe, RBAC_GROUP};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that holds one of the verbs Kubernetes RBAC treats as
    /// privilege escalation:
    /// - `escalate` on `roles` / `clusterroles`: edit a role to grant permissions the editor
    ///   does not hold;
    /// - `bind` on `roles` / `clusterroles`: bind any role (e.g. `cluster-admin`) to anyone;
    /// - `impersonate` on `users`, `groups`, `serviceaccounts` (core group) or `uids` /
    ///   `userextras` (`authentication.k8s.io`): act as another identity, e.g. the
    ///   `system:masters` group.
    ///
    /// Severity is critical, and high for `create` on `serviceaccounts/token` (mint a token
    /// for any service account the role can see), which is reported by this rule as well;
    /// one step lower when `resourceNames` limits every matching rule. Cluster-scoped
    /// targets (`clusterroles`, `users`, `groups`) listed in a namespaced Role grant nothing
    /// and are ignored.
    /// Wildcards count (`verbs: ["*"]` includes all of these). The rule judges the role alone;
    /// bindings and aggregated ClusterRoles are not resolved.
    ///
    /// ## Why it matters
    /// RBAC prevents a user from granting more than they hold, except through exactly these
    /// verbs. Each one turns a limited identity into an arbitrary one: bind `cluster-admin`
    /// to yourself, add `*` to your own role, or send `Impersonate-Group: system:masters`.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: role-manager}
    /// rules:
    /// - apiGroups: [rbac.authorization.k8s.io]
    ///   resources: [clusterroles]
    ///   verbs: [bind, escalate]
    /// ```
    ///
    /// ## Fix
    /// Remove these verbs; grant `bind` only with `resourceNames` listing the roles a
    /// delegated administrator may hand out, and `impersonate` only to audited
    /// break-glass identities.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 5.1.8 "Limit use of the Bind, Impersonate and Escalate
    ///   permissions in the Kubernetes cluster"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1098.006 Account Manipulation: Additional Container
    ///   Cluster Roles; T1078 Valid Accounts
    /// - KubeHound: `ROLE_BIND`, `IMPERSONATE` edges
    /// - Checkov CKV_K8S_157 (bind) and CKV_K8S_158 (escalate)
    pub struct RbacEscalateBindImpersonate {
        name: "rbac-escalate-bind-impersonate",
        domain: Rbac,
        severity: Critical,
        summary: "Role holds escalate, bind or impersonate (RBAC privilege escalation verbs)",
    }
}

const CRITICAL: &[Probe] = &[
    Probe {
        groups: &[RBAC_GROUP],
        resource: "roles",
        verbs: &["escalate", "bind"],
    },
    Probe {
        groups: &[RBAC_GROUP],
        resource: "clusterroles",
        verbs: &["escalate", "bind"],
    },
    Probe {
        groups: &[""],
        resource: "users",
        verbs: &["impersonate"],
    },
    Probe {
        groups: &[""],
        resource: "groups",
        verbs: &["impersonate"],
    },
    Probe {
        groups: &[""],
        resource: "serviceaccounts",
        verbs: &["impersonate"],
    },
    Probe {
        groups: &["authentication.k8s.io"],
        resource: "uids",
        verbs: &["impersonate"],
    },
    Probe {
        groups: &["authentication.k8s.io"],
        resource: "userextras",
        verbs: &["impersonate"],
    },
];

const HIGH: &[Probe] = &[Probe {
    groups: &[""],
    resource: "serviceaccounts/token",
    verbs: &["create"],
}];

impl Rule for RbacEscalateBindImpersonate {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for role in grants::roles(cx) {
            let entries = grants::rule_entries(role);
            let mut hits = grants::find(role, &entries, CRITICAL);
            let mut severity = Self::META.severity;
            let mut what = "can escalate its privileges";
            if hits.is_empty() {
                hits = grants::find(role, &entries, HIGH);
                severity = Severity::High;
                what = "can mint tokens for service accounts";
            }
            let Some(first) = hits.first() else { continue };
            let named = hits.iter().all(|h| h.entry.restricted_by_name());
            let limit = if named {
                " (limited by resourceNames)"
            } else {
                ""
            };
            if named {
                severity = if severity == Severity::Critical {
                    Severity::High
                } else {
                    Severity::Medium
                };
            }
            let message = format!(
                "{} {what} {}: {}{}{limit}",
                grants::describe(role),
                grants::scope(role),
                grants::summarize(&hits),
                grants::wildcard_note(&hits)
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                role,
                &first.entry.path(),
                message,
                "Remove escalate/bind/impersonate (and serviceaccounts/token create); if delegation is needed, restrict `bind` with resourceNames.",
            ));
        }
    }
}
