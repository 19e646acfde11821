use super::policy::{self, is_network_policy, Direction};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use std::net::IpAddr;

declare_rule! {
    /// ## What it does
    /// Reports an egress peer `ipBlock` of a `networking.k8s.io/v1` NetworkPolicy (in a
    /// policy that applies to egress) whose `cidr` contains a cloud instance metadata
    /// address — `169.254.169.254` (AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean) or
    /// `fd00:ec2::254` (AWS IPv6) — when no `except` entry contains it, and the rule may
    /// admit port 80/TCP (no `ports`, a number or range covering 80, or a named port).
    /// `0.0.0.0/0` without `except: [169.254.169.254/32]` is the common case;
    /// `169.254.0.0/16` (link-local) is another.
    ///
    /// Rules without `to` (every destination) are `network-policy-allow-all`'s when they
    /// admit every port. Pods that no egress policy isolates can reach the metadata address
    /// too: `missing-egress-network-policy` and `namespace-without-network-policy` report
    /// those.
    ///
    /// ## Why it matters
    /// The metadata service hands out the node's cloud credentials (the instance role) to
    /// whoever asks from the node's network. A pod that reaches it can act in the cloud
    /// account as the node: read registries and buckets, describe the cluster, often much
    /// more. A policy that allows "the internet" usually means to keep this address out and
    /// forgets to.
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
    /// Add `169.254.169.254/32` (and `fd00:ec2::254/128` for IPv6) to the block's
    /// `except`, or allow narrower CIDRs. On the cloud side, require IMDSv2 with a hop limit
    /// of 1 (AWS) or use workload identity so pods need no node credentials.
    ///
    /// ## References
    /// - Kubernetes documentation: "Network Policies" (`ipBlock.except`)
    /// - AWS EKS Best Practices: "Restrict access to the instance profile assigned to the
    ///   worker node"
    /// - GKE documentation: "Protect cluster metadata"
    /// - MITRE ATT&CK for Containers: T1552.005 Unsecured Credentials: Cloud Instance
    ///   Metadata API
    pub struct NetworkPolicyEgressMetadata {
        name: "network-policy-egress-metadata",
        domain: Network,
        severity: High,
        summary: "NetworkPolicy allows egress to the cloud metadata address",
    }
}

/// The cloud instance metadata addresses.
pub(crate) const METADATA: &[&str] = &["169.254.169.254", "fd00:ec2::254"];

impl Rule for NetworkPolicyEgressMetadata {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let addresses: Vec<IpAddr> = METADATA.iter().filter_map(|a| a.parse().ok()).collect();
        for np in cx
            .index
            .of_kind("NetworkPolicy")
            .filter(|o| is_network_policy(o))
        {
            for (i, path, rule) in policy::rules(np, Direction::Egress) {
                if !policy::may_admit_port(rule, 80, "TCP", |_| true) {
                    continue;
                }
                let Some(peers) = policy::peers(rule, Direction::Egress) else {
                    continue;
                };
                for (j, peer) in peers.iter().enumerate() {
                    let Some((cidr, except)) = policy::ip_block(peer) else {
                        continue;
                    };
                    let Some(addr) = addresses
                        .iter()
                        .find(|a| cidr.contains(*a) && !except.iter().any(|e| e.contains(*a)))
                    else {
                        continue;
                    };
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        np,
                        &path.key("to").index(j).key("ipBlock").key("cidr"),
                        format!(
                            "NetworkPolicy \"{}\" allows egress to {cidr}, which contains the cloud metadata address {addr} (not in `except`), on {} (egress rule {i})",
                            np.name(),
                            policy::describe_ports(rule),
                        ),
                        "Add the metadata address (169.254.169.254/32, fd00:ec2::254/128) to the ipBlock's except, or allow narrower CIDRs.",
                    ));
                }
            }
        }
    }
}
