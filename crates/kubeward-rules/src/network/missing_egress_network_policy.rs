use super::policy::{Direction, Policies, Selecting};
use super::util::Namespaces;
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::effective_namespace;

declare_rule! {
    /// ## What it does
    /// Reports a workload (every pod template except `hostNetwork` pods, which
    /// NetworkPolicies cannot isolate; Jobs and CronJobs included, since their egress counts)
    /// whose namespace has `networking.k8s.io/v1` NetworkPolicies in the input, none of which
    /// applies to egress and selects the pod template. A policy applies to egress when its
    /// `policyTypes` lists `Egress`, or, without `policyTypes`, when it has an `egress` rule
    /// (the API server's defaulting): a policy with only `ingress` rules leaves egress open.
    ///
    /// Namespaces without any NetworkPolicy are `namespace-without-network-policy`'s;
    /// namespaces with Calico or Cilium policies, and every namespace when the input holds a
    /// cluster-scoped policy kind, are not judged. An allow-all egress rule still counts as
    /// isolating here (`network-policy-allow-all` reports it).
    ///
    /// ## Why it matters
    /// Without egress isolation a compromised pod can connect to every pod and node of the
    /// cluster, the cloud metadata service (node credentials) and the internet: it downloads
    /// tools, scans, moves laterally and exfiltrates. Teams that write ingress policies often
    /// believe the namespace is isolated while every pod's egress is open.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: web-ingress, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: web}}
    ///   ingress: [{from: [{podSelector: {matchLabels: {app: lb}}}]}]
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
    /// Add a default-deny egress policy to the namespace (`podSelector: {}`, `policyTypes:
    /// [Egress]`) and allow what each workload calls, DNS included.
    ///
    /// ## References
    /// - Kubernetes documentation: "Network Policies" (`policyTypes`, default deny all
    ///   egress traffic)
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies"
    /// - MITRE ATT&CK for Containers: T1041 Exfiltration Over C2 Channel; T1552.005 Cloud
    ///   Instance Metadata API
    pub struct MissingEgressNetworkPolicy {
        name: "missing-egress-network-policy",
        domain: Network,
        severity: Low,
        summary: "Workload is not isolated by any egress NetworkPolicy",
    }
}

impl Rule for MissingEgressNetworkPolicy {
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
            let in_ns = policies.of(ns);
            if in_ns.is_empty() || policies.foreign_in(ns) || !egress.of(t).is_empty() {
                continue;
            }
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.meta_path.key("labels"),
                format!(
                    "{} {} is not selected by any egress NetworkPolicy of namespace {} (policies there: {}); it can connect to every pod, the cloud metadata address and the internet",
                    t.object.kind(),
                    t.object.name(),
                    ns.unwrap_or("default"),
                    bounded_list(in_ns.iter().map(|p| p.name()))
                ),
                "Add a default-deny egress NetworkPolicy to the namespace and allow only what this workload calls (and DNS).",
            );
            f.set_related(in_ns.iter().map(|p| &p.oref));
            out.push(f);
        }
    }
}
