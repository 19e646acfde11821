use super::grants::{self, Hit, Match};
use super::risky;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can change Namespace objects: `update` or `patch` on
    /// `namespaces` in the core API group, named explicitly or through a wildcard.
    ///
    /// Namespaces are cluster-scoped, but the API server authorizes a request on one namespace
    /// (`/api/v1/namespaces/shop`) in that namespace: a Role, or a ClusterRole bound through a
    /// RoleBinding, that may update `namespaces` may update its own namespace. Such roles are
    /// reported too, for their namespace; a ClusterRole bound through a ClusterRoleBinding
    /// relabels every namespace. The subresources `namespaces/status` and `namespaces/finalize`
    /// do not change labels and are not reported. The finding names the role's holders. The
    /// rule judges the role's effective rules (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// Pod Security admission reads its levels from the namespace's labels
    /// (`pod-security.kubernetes.io/enforce`): whoever may relabel the namespace sets
    /// `enforce: privileged` and then runs privileged, host-mounting pods in it. The same
    /// labels select namespaces in NetworkPolicies (`namespaceSelector`), admission webhooks
    /// and policy engines, so relabelling also opens network paths and leaves policies'
    /// scope.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: namespace-owner, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [namespaces]
    ///   verbs: [get, patch]
    /// ```
    ///
    /// ## Fix
    /// Keep Namespace changes for cluster administrators and the GitOps identity that
    /// creates namespaces. Teams that need their own labels should get them through that
    /// pipeline; protect the `pod-security.kubernetes.io/*` labels with an admission policy.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1 "RBAC and Service Accounts" (least privilege)
    /// - CIS Kubernetes Benchmark v1.10 5.2 "Pod Security Standards"
    /// - MITRE ATT&CK for Containers: T1562.001 Impair Defenses: Disable or Modify Tools
    /// - Kubernetes documentation: "Enforce Pod Security Standards with Namespace Labels"
    pub struct RbacNamespaceRelabel {
        name: "rbac-namespace-relabel",
        domain: Rbac,
        severity: High,
        summary: "Role can update or patch namespaces (turn off Pod Security with a label)",
    }
}

const VERBS: &[&str] = &["update", "patch"];

impl Rule for RbacNamespaceRelabel {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            // not `grants::find`: a namespace is authorized in itself, so the right works
            // through RoleBindings too
            let mut hits = Vec::new();
            for er in engine.effective_rules_of_object(role.id) {
                for verb in VERBS {
                    if !er.rule.grants_resource(verb, "", "namespaces", None) {
                        continue;
                    }
                    let wildcard = er.rule.matched_by_wildcard(verb, "", "namespaces", None);
                    hits.push(Hit {
                        rule: er.rule,
                        source: er.source,
                        index: er.index,
                        aggregated: er.aggregated,
                        verb,
                        resource: "namespaces",
                        how: if wildcard {
                            Match::Wildcard
                        } else {
                            Match::Explicit
                        },
                    });
                }
            }
            if hits.is_empty() {
                continue;
            }
            risky::report(
                cx,
                &Self::META,
                Self::META.severity,
                role,
                &hits,
                (
                    "can relabel namespaces and turn off Pod Security",
                    "Remove update/patch on namespaces; keep namespace changes for administrators and protect the pod-security.kubernetes.io labels in admission.",
                ),
                out,
            );
        }
    }
}
