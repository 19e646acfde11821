use super::policy::Policies;
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports a Namespace object of the input whose namespace has long-running workloads
    /// (pod templates other than Jobs, CronJobs and `hostNetwork` pods) in the input and no
    /// `networking.k8s.io/v1` NetworkPolicy at all: neither ingress nor egress of any of its
    /// pods is isolated. The message names the workloads.
    ///
    /// It leaves alone `kube-system`, `kube-public` and `kube-node-lease`; namespaces whose
    /// Namespace object is not in the input (the input is often one application's manifests,
    /// and the finding needs a place); namespaces holding Calico or Cilium policies; and
    /// every namespace when the input holds a cluster-scoped policy (Calico
    /// `GlobalNetworkPolicy`, `CiliumClusterwideNetworkPolicy`, `AdminNetworkPolicy`,
    /// `BaselineAdminNetworkPolicy`, `ClusterNetworkPolicy`), which may isolate them: the
    /// reachability matrix (`kubeward netpol matrix`) answers for those.
    /// `missing-network-policy` reports the data stores of such a namespace one by one, and
    /// the workloads that slipped through in namespaces that do have policies.
    ///
    /// ## Why it matters
    /// Without any NetworkPolicy every pod of the namespace accepts connections from every
    /// pod of the cluster and can connect to every pod, node, the cloud metadata service and
    /// the internet. One compromised pod anywhere reaches all of them, and a compromised pod
    /// here can exfiltrate freely.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata: {name: shop}
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
    /// Add a default-deny policy (`podSelector: {}`, `policyTypes: [Ingress, Egress]`) and
    /// the allowances the workloads need (their clients, DNS, the services they call).
    /// `kubeward netpol suggest` writes a starting point for review.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.3.2 "Ensure that all Namespaces have NetworkPolicies defined"
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies" (default deny)
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services
    /// - kube-linter `non-isolated-pod`
    pub struct NamespaceWithoutNetworkPolicy {
        name: "namespace-without-network-policy",
        domain: Network,
        severity: Medium,
        summary: "Namespace has workloads but no NetworkPolicy (no ingress or egress isolation)",
    }
}

/// Namespaces the rules that report missing isolation leave to the cluster's operators.
pub(crate) const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

impl Rule for NamespaceWithoutNetworkPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let policies = Policies::new(cx.index);
        if policies.cluster_wide {
            return;
        }
        let mut workloads: HashMap<&str, Vec<String>> = HashMap::new();
        for t in cx.index.pod_templates() {
            if matches!(t.object.kind(), "Job" | "CronJob") || t.host_network() || t.spec.is_null()
            {
                continue;
            }
            let ns = effective_namespace(t.object).unwrap_or("default");
            workloads.entry(ns).or_default().push(format!(
                "{} {}",
                t.object.kind(),
                t.object.name()
            ));
        }
        for ns in cx.index.of_kind("Namespace") {
            let name = ns.name();
            if SYSTEM_NAMESPACES.contains(&name)
                || !policies.of(Some(name)).is_empty()
                || policies.foreign_in(Some(name))
            {
                continue;
            }
            let Some(w) = workloads.get(name) else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                ns,
                &FieldPath::root().key("metadata").key("name"),
                format!(
                    "Namespace {name} has no NetworkPolicy: its {} workload(s) ({}) accept connections from every pod of the cluster and can connect anywhere",
                    w.len(),
                    bounded_list(w)
                ),
                "Add a default-deny NetworkPolicy (podSelector: {}, policyTypes: [Ingress, Egress]) and the allowances the workloads need.",
            ));
        }
    }
}
