use super::policy::{self, is_network_policy, Direction};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports an egress peer `ipBlock` of a `networking.k8s.io/v1` NetworkPolicy whose
    /// `cidr` is `0.0.0.0/0` or `::/0` (every address, any prefix length 0 spelling), in a
    /// policy that applies to egress. Addresses listed in `except` are named in the message;
    /// an `except` that covers the whole block leaves nothing allowed and is not reported.
    ///
    /// Egress rules without `to` (any destination) are left to `network-policy-allow-all`
    /// when they admit every port, and otherwise not reported: a DNS allowance (`ports:
    /// [{port: 53, protocol: UDP}]` with no `to`) is the usual spelling. Whether the cloud
    /// metadata address is excepted is `network-policy-egress-metadata`'s question.
    ///
    /// ## Why it matters
    /// Egress to the whole internet lets an intruder in the pod download tools, reach a
    /// command-and-control server and exfiltrate data. Most workloads talk to a few known
    /// services; an egress allowance to every address undoes the egress isolation the
    /// policy was written for.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: web-egress, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   policyTypes: [Egress]
    ///   egress:
    ///   - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [10.0.0.0/8]}}]
    /// ```
    ///
    /// ## Fix
    /// List the CIDRs of the external services the workload calls (or send it through an
    /// egress proxy and allow only the proxy), and restrict `ports`.
    ///
    /// ## References
    /// - Kubernetes documentation: "Network Policies" (`ipBlock`, `except`)
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies" (restrict egress)
    /// - MITRE ATT&CK for Containers: T1041 Exfiltration Over C2 Channel; T1105 Ingress
    ///   Tool Transfer
    pub struct NetworkPolicyEgressInternet {
        name: "network-policy-egress-internet",
        domain: Network,
        severity: Low,
        summary: "NetworkPolicy allows egress to 0.0.0.0/0 or ::/0",
    }
}

impl Rule for NetworkPolicyEgressInternet {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for np in cx
            .index
            .of_kind("NetworkPolicy")
            .filter(|o| is_network_policy(o))
        {
            for (i, path, rule) in policy::rules(np, Direction::Egress) {
                let Some(peers) = policy::peers(rule, Direction::Egress) else {
                    continue;
                };
                for (j, peer) in peers.iter().enumerate() {
                    let Some((cidr, except)) = policy::ip_block(peer) else {
                        continue;
                    };
                    if cidr.prefix_len() != 0 || except.iter().any(|e| e.prefix_len() == 0) {
                        continue;
                    }
                    let but = if except.is_empty() {
                        String::new()
                    } else {
                        format!(
                            " except {}",
                            crate::finding::bounded_list(except.iter().map(|e| e.to_string()))
                        )
                    };
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        np,
                        &path.key("to").index(j).key("ipBlock").key("cidr"),
                        format!(
                            "NetworkPolicy \"{}\" allows egress to every address ({cidr}{but}) on {} (egress rule {i})",
                            np.name(),
                            policy::describe_ports(rule),
                        ),
                        "Allow only the CIDRs of the external services the workload calls, or an egress proxy.",
                    ));
                }
            }
        }
    }
}
