use super::grants;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, Object};
use kubeward_rbac::{Binding, BindingKind, RoleKind, Subject};

declare_rule! {
    /// ## What it does
    /// Reports a ClusterRoleBinding or RoleBinding whose subjects include the anonymous user
    /// (`User system:anonymous`), every unauthenticated request (`Group
    /// system:unauthenticated`) or every authenticated identity (`Group system:authenticated`).
    /// The low-risk roles Kubernetes itself binds to these groups (`system:public-info-viewer`,
    /// `system:discovery`, `system:basic-user`) are not reported.
    ///
    /// Severity: critical for anonymous or unauthenticated subjects of a ClusterRoleBinding,
    /// high for them in a RoleBinding and for `system:authenticated` in a ClusterRoleBinding,
    /// medium for `system:authenticated` in a RoleBinding.
    ///
    /// ## Why it matters
    /// With anonymous authentication on (the API server default), anyone who can reach the API
    /// server gets the rights of `system:anonymous` and `system:unauthenticated` without any
    /// credential: a binding to them publishes the role to the network. `system:authenticated`
    /// is every user and every service account of every namespace, so one stolen pod token (or,
    /// on some managed clusters, any account of the cloud provider) holds the role. Automated
    /// campaigns look for exactly this (the "RBAC Buster" campaign reported in 2023 took over
    /// clusters whose API servers admitted anonymous requests).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRoleBinding
    /// metadata: {name: public-view}
    /// roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
    /// subjects:
    /// - {kind: Group, apiGroup: rbac.authorization.k8s.io, name: system:unauthenticated}
    /// ```
    ///
    /// ## Fix
    /// Bind the role to the users, groups or service accounts that need it. Turn anonymous
    /// authentication off (`--anonymous-auth=false`, or an `AuthenticationConfiguration` that
    /// allows it only for the health endpoints) where nothing needs it.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.1 "Ensure that the --anonymous-auth argument is set to false"
    /// - CIS Kubernetes Benchmark v1.10 5.1 "RBAC and Service Accounts"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1078.001 Valid Accounts: Default Accounts
    /// - kube-bench check 1.2.1 (the API server flag)
    pub struct RbacAnonymousBinding {
        name: "rbac-anonymous-binding",
        domain: Rbac,
        severity: Critical,
        summary: "Binding grants a role to anonymous, unauthenticated or all authenticated users",
    }
}

/// ClusterRoles that Kubernetes binds to these groups by default and that grant only public
/// information (health, version, discovery, self reviews).
const DEFAULT_PUBLIC_ROLES: &[&str] = &[
    "system:public-info-viewer",
    "system:discovery",
    "system:basic-user",
];

/// Who a subject is, when it is one of the everyone-subjects: (label, is it unauthenticated).
fn everyone(subject: &Subject) -> Option<(&'static str, bool)> {
    let (kind, name) = match subject {
        Subject::User { name } => ("User", name.as_str()),
        Subject::Group { name } => ("Group", name.as_str()),
        Subject::ServiceAccount { .. } => return None,
    };
    match (kind, name) {
        ("User", "system:anonymous") => Some((
            "User system:anonymous (any request without credentials)",
            true,
        )),
        ("Group", "system:unauthenticated") => Some((
            "Group system:unauthenticated (any request without credentials)",
            true,
        )),
        ("Group", "system:authenticated") => Some((
            "Group system:authenticated (every user and service account)",
            false,
        )),
        _ => None,
    }
}

impl RbacAnonymousBinding {
    fn check_binding(
        &self,
        cx: &Context<'_>,
        binding: &Binding,
        b: &Object,
        out: &mut Vec<Finding>,
    ) {
        let role_kind = binding.role.kind.as_str();
        let role_name = binding.role.name.as_str();
        if binding.role.kind == RoleKind::ClusterRole && DEFAULT_PUBLIC_ROLES.contains(&role_name) {
            return;
        }
        let cluster = binding.kind == BindingKind::ClusterRoleBinding;
        let scope = if cluster {
            "on the whole cluster".to_string()
        } else {
            format!(
                "in namespace {}",
                effective_namespace(b).unwrap_or("default")
            )
        };
        for (i, s) in &binding.subjects {
            let Some((who, unauthenticated)) = everyone(s) else {
                continue;
            };
            let severity = match (unauthenticated, cluster) {
                (true, true) => Severity::Critical,
                (true, false) | (false, true) => Severity::High,
                (false, false) => Severity::Medium,
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                b,
                &FieldPath::root().key("subjects").index(*i),
                format!(
                    "{} grants {role_kind} \"{role_name}\" {scope} to {who}",
                    b.kind()
                ),
                "Bind the role to the specific users, groups or service accounts that need it, and turn anonymous authentication off where nothing needs it.",
            ));
        }
    }
}

impl Rule for RbacAnonymousBinding {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        // the bindings as the engine reads them (roleRef and subjects resolved)
        let engine = grants::engine(cx);
        for binding in engine.bindings() {
            let Some(id) = binding.object else { continue };
            self.check_binding(cx, binding, cx.snapshot.object(id), out);
        }
    }
}
