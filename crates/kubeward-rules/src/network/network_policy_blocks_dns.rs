use super::policy::{self, Direction, Policies, Selecting};
use super::util::Namespaces;
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, Node, Object};

declare_rule! {
    /// ## What it does
    /// Reports a workload (pod template, `hostNetwork` pods excepted) that `networking.k8s.io/v1`
    /// NetworkPolicies isolate for egress, when none of the egress rules of the policies that
    /// select it may allow DNS. Policies add up: an allowance in any policy selecting the pod
    /// counts, and the rules of a policy that does not apply to egress (`policyTypes:
    /// [Ingress]`) do not. A rule may allow DNS when
    ///
    /// - its ports admit port 53 over UDP or TCP: no `ports`, a `port: 53` (or a range with
    ///   `endPort` covering 53), or a named port whose name contains `dns` (CoreDNS names
    ///   its ports `dns` and `dns-tcp`); and
    /// - its destinations may include the cluster's DNS server: no `to` (every
    ///   destination), an `ipBlock` (the DNS Service address or a node-local cache), a
    ///   `namespaceSelector` (kube-dns in `kube-system`, or a resolver elsewhere), or a
    ///   same-namespace `podSelector` in a policy of `kube-system`.
    ///
    /// A same-namespace `podSelector` outside `kube-system` cannot reach the cluster's DNS
    /// server. Namespaces with Calico or Cilium policies, and every namespace when the input
    /// holds a cluster-scoped policy kind, are not judged.
    ///
    /// ## Why it matters
    /// An egress default-deny without a DNS allowance breaks name resolution: every
    /// connection by name fails, usually with a timeout. Under pressure the "fix" is to
    /// delete the policy or allow all egress, which removes the isolation altogether; the
    /// finding catches it before the rollout.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: default-deny-egress, namespace: shop}
    /// spec:
    ///   podSelector: {}
    ///   policyTypes: [Egress]
    /// ---
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers: [{name: web, image: "nginx:1.27"}]
    /// ```
    ///
    /// ## Fix
    /// Allow DNS to the cluster's resolver, e.g. an egress rule `to: [{namespaceSelector:
    /// {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels:
    /// {k8s-app: kube-dns}}}]` with `ports: [{port: 53, protocol: UDP}, {port: 53, protocol:
    /// TCP}]`.
    ///
    /// ## References
    /// - Kubernetes documentation: "Network Policies" (`policyTypes`, default deny all
    ///   egress traffic)
    /// - Kubernetes documentation: "DNS for Services and Pods"
    /// - ahmetb/kubernetes-network-policy-recipes: "11. Deny egress traffic from an
    ///   application" (allowing DNS)
    pub struct NetworkPolicyBlocksDns {
        name: "network-policy-blocks-dns",
        domain: Network,
        severity: Low,
        summary: "Egress-isolated workload has no DNS allowance",
    }
}

/// Whether an egress rule of `np` may allow DNS (see the rule's documentation).
fn allows_dns(np: &Object, rule: &Node) -> bool {
    let dns_name = |n: &str| n.to_ascii_lowercase().contains("dns");
    let port = policy::may_admit_port(rule, 53, "UDP", dns_name)
        || policy::may_admit_port(rule, 53, "TCP", dns_name);
    if !port {
        return false;
    }
    let Some(peers) = policy::peers(rule, Direction::Egress) else {
        return true;
    };
    peers.iter().any(|p| {
        p.get("ipBlock").is_some()
            || p.get("namespaceSelector").is_some()
            || (p.get("podSelector").is_some() && effective_namespace(np) == Some("kube-system"))
    })
}

impl Rule for NetworkPolicyBlocksDns {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policies = Policies::new(cx.index);
        if policies.cluster_wide || policies.by_namespace.is_empty() {
            return;
        }
        let namespaces = Namespaces::new(cx.index);
        let egress = Selecting::new(&policies, &namespaces, Direction::Egress);
        for t in cx.index.pod_templates() {
            if t.host_network() || t.spec.is_null() {
                continue;
            }
            let ns = effective_namespace(t.object);
            if policies.foreign_in(ns) {
                continue;
            }
            let selecting = egress.of(t);
            if selecting.is_empty()
                || selecting.iter().any(|np| {
                    policy::rules(np, Direction::Egress)
                        .iter()
                        .any(|(_, _, r)| allows_dns(np, r))
                })
            {
                continue;
            }
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.meta_path.key("labels"),
                format!(
                    "{} {} is isolated for egress by NetworkPolicy {} but no egress rule allows DNS (port 53 UDP/TCP to the cluster's resolver): name resolution fails",
                    t.object.kind(),
                    t.object.name(),
                    bounded_list(selecting.iter().map(|p| p.name()))
                ),
                "Add an egress rule allowing port 53 UDP and TCP to kube-dns (namespace kube-system, k8s-app: kube-dns).",
            );
            f.set_related(selecting.iter().map(|p| &p.oref));
            out.push(f);
        }
    }
}
