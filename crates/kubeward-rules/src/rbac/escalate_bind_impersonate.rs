use super::grants::{self, Probe, RBAC_GROUP};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_rbac::{BindingKind, Engine, RoleKey};

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
    /// for any service account the role can see), which is reported by this rule as well,
    /// and critical for that too in a ClusterRole a ClusterRoleBinding binds (every service
    /// account of the cluster, `kube-system`'s controllers included);
    /// one step lower when `resourceNames` limits every matching rule (unless `bind` is
    /// limited to a role that itself reads Secrets, starts pods or binds roles, such as
    /// `cluster-admin`, `admin` or `edit`). Cluster-scoped targets (`escalate` on
    /// `clusterroles`, impersonating `users`, `groups`) listed in a namespaced Role, or in a
    /// ClusterRole the input binds only through RoleBindings, grant nothing and are ignored; `bind` on `clusterroles` is not one of them: the API server
    /// checks it in the namespace of the RoleBinding being created, so a namespaced Role that
    /// may `bind` a ClusterRole and create RoleBindings lets its holder grant that
    /// ClusterRole's rights inside the namespace (the message says so).
    /// Wildcards count (`verbs: ["*"]` includes all of these). The rule judges the role's
    /// effective rules (aggregated ClusterRoles included).
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
    /// - CIS Kubernetes Benchmark v1.10 5.1.8 "Limit use of the Bind, Impersonate and Escalate permissions in the Kubernetes cluster"
    /// - CIS Kubernetes Benchmark v1.10 5.1.13 "Minimize access to the service account token creation"
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
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let mut hits = grants::find(engine, role, CRITICAL);
            let mut severity = Self::META.severity;
            let mut what = "can escalate its privileges";
            if hits.is_empty() {
                hits = grants::find(engine, role, HIGH);
                severity = Severity::High;
                what = "can mint tokens for service accounts";
                let cluster_wide = role.kind() == "ClusterRole"
                    && engine
                        .bindings_of(&grants::key(role))
                        .any(|b| b.kind == BindingKind::ClusterRoleBinding);
                if cluster_wide {
                    severity = Severity::Critical;
                    what = "can mint tokens for every service account of the cluster";
                }
            }
            let Some(first) = hits.first() else { continue };
            let named = hits.iter().all(|h| h.restricted_by_name());
            let limit = if named {
                " (limited by resourceNames)"
            } else {
                ""
            };
            // `bind` limited to roles that can reach Secrets or start pods is no limit
            let binds_powerful = hits.iter().any(|h| {
                h.verb == "bind"
                    && h.rule.resource_names.iter().any(|n| {
                        let key = if h.resource == "clusterroles" {
                            RoleKey::cluster(n)
                        } else {
                            RoleKey::namespaced(role.namespace().unwrap_or("default"), n)
                        };
                        powerful(engine, &key)
                    })
            });
            if named && !binds_powerful {
                severity = if severity == Severity::Critical {
                    Severity::High
                } else {
                    Severity::Medium
                };
            }
            let message = format!(
                "{} {what} {}: {}{}{limit}{}{}",
                grants::describe(role),
                grants::scope(engine, role),
                grants::summarize(&hits),
                grants::wildcard_note(&hits),
                binding_note(engine, role, &hits),
                super::risky::holders(engine, role)
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                role,
                &first.path(),
                message,
                "Remove escalate/bind/impersonate (and serviceaccounts/token create); if delegation is needed, restrict `bind` with resourceNames.",
            ));
        }
    }
}

/// `; with create on rolebindings it can grant ClusterRole "cluster-admin" in its namespace`:
/// what `bind` gives when the same role may also create the bindings.
fn binding_note(
    engine: &kubeward_rbac::Engine,
    role: &kubeward_model::Object,
    hits: &[grants::Hit<'_>],
) -> String {
    let binds: Vec<&grants::Hit<'_>> = hits.iter().filter(|h| h.verb == "bind").collect();
    if binds.is_empty() {
        return String::new();
    }
    const CREATE: &[Probe] = &[
        Probe {
            groups: &[RBAC_GROUP],
            resource: "rolebindings",
            verbs: &["create"],
        },
        Probe {
            groups: &[RBAC_GROUP],
            resource: "clusterrolebindings",
            verbs: &["create"],
        },
    ];
    let creates = grants::find(engine, role, CREATE);
    let Some(create) = creates.iter().find(|h| !h.restricted_by_name()) else {
        return String::new();
    };
    let mut what: Vec<String> = Vec::new();
    for h in &binds {
        let kind = if h.resource == "clusterroles" {
            "ClusterRole"
        } else {
            "Role"
        };
        if h.rule.resource_names.is_empty() {
            what.push(format!("any {kind}"));
        } else {
            what.extend(
                h.rule
                    .resource_names
                    .iter()
                    .map(|n| format!("{kind} \"{n}\"")),
            );
        }
    }
    what.dedup();
    let place = if create.resource == "clusterrolebindings" {
        "on the whole cluster"
    } else if role.kind() == "Role" {
        "in its namespace"
    } else {
        "in the namespaces where it is bound"
    };
    format!(
        "; with create on {} it can grant {} {place}",
        create.resource,
        crate::finding::bounded_list(&what)
    )
}

/// Whether a role's effective rules reach Secrets, start pods or bind roles.
fn powerful(engine: &Engine, key: &RoleKey) -> bool {
    engine.effective_rules(key).iter().any(|e| {
        e.rule.grants_resource("get", "", "secrets", None)
            || e.rule.grants_resource("create", "", "pods", None)
            || e.rule
                .grants_resource("bind", RBAC_GROUP, "clusterroles", None)
    })
}
