use super::policy::{self, is_network_policy, Direction};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{Node, Selector};

declare_rule! {
    /// ## What it does
    /// Reports a rule of a `networking.k8s.io/v1` NetworkPolicy that admits every port
    /// (no `ports`) from or to everybody:
    ///
    /// - an ingress rule without `from` or with `from: []`, an egress rule without `to` or
    ///   with `to: []`: every pod of every namespace **and** every address outside the
    ///   cluster (`ingress: [{}]` is the "allow all" policy);
    /// - a peer `namespaceSelector: {}` without a `podSelector` (or with `podSelector: {}`):
    ///   every pod of every namespace;
    /// - an ingress peer `ipBlock` of `0.0.0.0/0` or `::/0` with no `except`: every address.
    ///
    /// Rules of a direction the policy does not apply to are ignored, as the API server
    /// ignores them (`egress: [{}]` in a policy with `policyTypes: [Ingress]`). It leaves
    /// alone the spellings that deny: `ingress: []` or no `ingress` with `policyTypes:
    /// [Ingress]` isolate the pods and allow nothing. A rule with `ports` (allow everybody
    /// to port 443) is a deliberate exposure and not reported; `podSelector: {}` alone is
    /// the namespace's own pods; a peer with both selectors is their intersection (AND).
    /// Egress to `0.0.0.0/0` is `network-policy-egress-internet`'s.
    ///
    /// ## Why it matters
    /// Policies are additive: one allow-all rule in any policy that selects a pod cancels
    /// every other policy's isolation of that pod, in that direction, on every port. A
    /// compromised pod anywhere in the cluster can then reach it (ingress), or it can reach
    /// any address, the cloud metadata service and the internet included (egress).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: allow-all, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   ingress:
    ///   - {}            # every source, every port
    /// ```
    ///
    /// ## Fix
    /// Name the clients (`from:` a `podSelector`, a `namespaceSelector` with the client
    /// namespace's `kubernetes.io/metadata.name`, or an `ipBlock`) and the `ports` they use.
    ///
    /// ## References
    /// - Kubernetes documentation: "Network Policies", "Default policies" (allow all
    ///   ingress / egress traffic)
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies"
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services
    pub struct NetworkPolicyAllowAll {
        name: "network-policy-allow-all",
        domain: Network,
        severity: Medium,
        summary: "NetworkPolicy rule allows every source or destination on every port",
    }
}

/// Whether a label selector node is present and empty (`{}`: selects everything).
fn empty_selector(n: Option<&Node>) -> bool {
    n.is_some_and(|n| Selector::from_label_selector(n).is_empty())
}

impl Rule for NetworkPolicyAllowAll {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for np in cx
            .index
            .of_kind("NetworkPolicy")
            .filter(|o| is_network_policy(o))
        {
            for dir in [Direction::Ingress, Direction::Egress] {
                let (whom, verb) = match dir {
                    Direction::Ingress => ("source", "from"),
                    Direction::Egress => ("destination", "to"),
                };
                for (i, path, rule) in policy::rules(np, dir) {
                    if !policy::every_port(rule) {
                        continue;
                    }
                    let Some(peers) = policy::peers(rule, dir) else {
                        out.push(Finding::new(
                            Self::META.name,
                            Self::META.severity,
                            cx.snapshot,
                            np,
                            &path,
                            format!(
                                "NetworkPolicy \"{}\" {} rule {} has no `{}` peers (absent or empty): it allows every {whom} (every pod of every namespace and every address) on every port",
                                np.name(),
                                dir.field(),
                                i,
                                dir.peers()
                            ),
                            "Name the peers (podSelector, namespaceSelector, ipBlock) and the ports this traffic needs.",
                        ));
                        continue;
                    };
                    for (j, peer) in peers.iter().enumerate() {
                        let ns_sel = peer.get("namespaceSelector");
                        let pod_sel = peer.get("podSelector");
                        let what = if empty_selector(ns_sel)
                            && (pod_sel.is_none() || empty_selector(pod_sel))
                        {
                            "every pod of every namespace"
                        } else if dir == Direction::Ingress
                            && policy::ip_block(peer)
                                .is_some_and(|(c, ex)| c.prefix_len() == 0 && ex.is_empty())
                        {
                            "every address"
                        } else {
                            continue;
                        };
                        out.push(Finding::new(
                            Self::META.name,
                            Self::META.severity,
                            cx.snapshot,
                            np,
                            &path.key(dir.peers()).index(j),
                            format!(
                                "NetworkPolicy \"{}\" allows {verb} {what} on every port ({} rule {i}, peer {j})",
                                np.name(),
                                dir.field(),
                            ),
                            "Name the peers (podSelector, namespaceSelector, ipBlock) and the ports this traffic needs.",
                        ));
                    }
                }
            }
        }
    }
}
