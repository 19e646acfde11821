use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads the `kube-apiserver` command line of a static pod (or any pod template that runs
    /// the API server) and reports `--anonymous-auth` left at its default (`true`) or set to
    /// `true`. The message says which other authenticators the API server has: client
    /// certificates (`--client-ca-file`), OIDC (`--oidc-issuer-url` or
    /// `--authentication-config`), a static token file.
    ///
    /// ## Why it matters
    /// With anonymous authentication on, every request without credentials is served as
    /// `system:anonymous` in the group `system:unauthenticated`. One RoleBinding or
    /// ClusterRoleBinding to either (a common debugging shortcut) then opens the API to anyone
    /// who reaches the port; even without one, discovery and health endpoints answer and tell
    /// an attacker the exact version to exploit.
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
    ///     command: [kube-apiserver, --authorization-mode=Node,RBAC]
    /// ```
    ///
    /// ## Fix
    /// Add `--anonymous-auth=false` to the API server's command. From Kubernetes 1.32 an
    /// `AuthenticationConfiguration` (`--authentication-config`) can keep anonymous access for
    /// `/livez`, `/readyz` and `/healthz` only (`anonymous.conditions`).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.1 "Ensure that the --anonymous-auth argument is set to false"
    /// - Kubernetes documentation: "Authenticating" (anonymous requests)
    /// - MITRE ATT&CK for Containers: T1133 External Remote Services
    pub struct ApiserverAnonymousAuth {
        name: "apiserver-anonymous-auth",
        domain: ControlPlane,
        severity: Medium,
        summary: "API server accepts anonymous requests",
    }
}

/// How the API server authenticates callers, for messages: whether it has client
/// certificates or OIDC (without either, callers are authenticated by tokens alone).
pub(crate) fn authenticators(inv: &super::flags::Invocation<'_>) -> String {
    let certs = inv.is_set("client-ca-file");
    let oidc = inv.is_set("oidc-issuer-url") || inv.is_set("authentication-config");
    let tokens = inv.is_set("token-auth-file");
    let mut v = Vec::new();
    if certs {
        v.push("client certificates");
    }
    if oidc {
        v.push("OIDC");
    }
    if tokens {
        v.push("a static token file");
    }
    if certs || oidc {
        format!("other authenticators: {}", v.join(", "))
    } else if tokens {
        "neither client certificates nor OIDC are configured, only a static token file".into()
    } else {
        "neither client certificates nor OIDC are configured".into()
    }
}

impl Rule for ApiserverAnonymousAuth {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            if !inv.bool("anonymous-auth", true) {
                continue;
            }
            let how = if inv.flag("anonymous-auth").is_some() {
                "sets --anonymous-auth to true"
            } else {
                "leaves --anonymous-auth at its default (true)"
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                inv.object,
                &inv.path_of("anonymous-auth"),
                format!(
                    "{} {how}: requests without credentials are served as system:anonymous ({})",
                    inv.describe(),
                    authenticators(inv)
                ),
                "Set --anonymous-auth to false on the kube-apiserver command.",
            ));
        }
    }
}
