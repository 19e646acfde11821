use super::grants::{self, Hit, Probe};
use super::risky;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can approve certificate signing requests for a
    /// signer the API server trusts for client authentication: `update` or `patch` on
    /// `certificatesigningrequests/approval` together with `approve` on `signers` (API group
    /// `certificates.k8s.io`), named explicitly or through a wildcard.
    ///
    /// The API server checks both rights, so one without the other is not reported. `approve`
    /// on `signers` counts when it is not limited by `resourceNames`, or when its names include
    /// `kubernetes.io/kube-apiserver-client`, `kubernetes.io/kube-apiserver-client-kubelet` or
    /// `kubernetes.io/*`; approving only for other signers is not reported (their certificates
    /// do not log into the API server unless its client CA is that signer's). Both resources
    /// are cluster-scoped: in a namespaced Role, or in a ClusterRole the input binds only
    /// through RoleBindings, they grant nothing. The finding names the role's holders. The rule
    /// judges the role's effective rules (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// A certificate from the `kube-apiserver-client` signer authenticates as the user and the
    /// groups written in its subject (CN and O). Whoever may approve such a request, and create
    /// one (any node bootstrap identity can), mints a long-lived client certificate for any
    /// user or group (a cluster administrator, a node identity), which no RBAC change and no
    /// token revocation undoes before it expires.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: csr-approver}
    /// rules:
    /// - apiGroups: [certificates.k8s.io]
    ///   resources: [certificatesigningrequests/approval]
    ///   verbs: [update]
    /// - apiGroups: [certificates.k8s.io]
    ///   resources: [signers]
    ///   resourceNames: [kubernetes.io/kube-apiserver-client]
    ///   verbs: [approve]
    /// ```
    ///
    /// ## Fix
    /// Leave approval of client certificates to the controller manager's built-in approvers
    /// and to cluster administrators. An automated approver (cert-manager's approver, a
    /// kubelet-serving approver) should name its own signer in `resourceNames`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.11 "Minimize access to the approval sub-resource of certificatesigningrequests objects"
    /// - MITRE ATT&CK for Containers: T1078 Valid Accounts; MITRE ATT&CK T1649 Steal or Forge
    ///   Authentication Certificates
    /// - Kubernetes documentation: "Certificates and Certificate Signing Requests"
    ///   (authorization of approval)
    pub struct RbacCsrApproval {
        name: "rbac-csr-approval",
        domain: Rbac,
        severity: Critical,
        summary: "Role can approve client certificates the API server trusts (CSR approval and signers)",
    }
}

const GROUP: &[&str] = &["certificates.k8s.io"];

const APPROVAL: &[Probe] = &[Probe {
    groups: GROUP,
    resource: "certificatesigningrequests/approval",
    verbs: &["update", "patch"],
}];

const SIGNERS: &[Probe] = &[Probe {
    groups: GROUP,
    resource: "signers",
    verbs: &["approve"],
}];

/// Signer names (as `resourceNames` write them) whose certificates log into the API server.
const CLIENT_SIGNERS: &[&str] = &[
    "kubernetes.io/kube-apiserver-client",
    "kubernetes.io/kube-apiserver-client-kubelet",
    "kubernetes.io/*",
];

fn reaches_client_signer(hit: &Hit<'_>) -> bool {
    let names = &hit.rule.resource_names;
    names.is_empty() || names.iter().any(|n| CLIENT_SIGNERS.contains(&n.as_str()))
}

impl Rule for RbacCsrApproval {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let mut hits = grants::find(engine, role, APPROVAL);
            if hits.is_empty() {
                continue;
            }
            let signers: Vec<_> = grants::find(engine, role, SIGNERS)
                .into_iter()
                .filter(reaches_client_signer)
                .collect();
            if signers.is_empty() {
                continue;
            }
            hits.extend(signers);
            risky::report(
                cx,
                &Self::META,
                Self::META.severity,
                role,
                &hits,
                (
                    "can approve client certificates for any user or group",
                    "Leave client-certificate approval to cluster administrators; name an automated approver's own signer in resourceNames.",
                ),
                out,
            );
        }
    }
}
