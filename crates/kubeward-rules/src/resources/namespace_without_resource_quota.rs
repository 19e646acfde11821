use super::namespaces_with_workloads;
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reports a Namespace of the input that holds workloads (pod templates with containers,
    /// in the input) but has no `ResourceQuota` in the input.
    ///
    /// Only namespaces whose `Namespace` object is in the input are judged: a chart or a
    /// folder of Deployments rarely carries the quotas a platform team manages elsewhere,
    /// and reporting every namespace a partial input mentions would be noise. Any
    /// ResourceQuota counts, whatever it limits (`hpa-scale-ceiling-uncapped` judges whether
    /// it caps the autoscalers).
    ///
    /// ## Why it matters
    /// A ResourceQuota is the only bound on what one namespace may take from the cluster:
    /// without it, an autoscaler chasing a flood of requests, a compromised CI token that
    /// scales a Deployment to 1,000 replicas, or a crash-looping Job can starve every other
    /// tenant of CPU, memory and pod slots (and, with cluster autoscaling, run up the bill).
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
    ///   template:
    ///     spec:
    ///       containers: [{name: web, image: example/web:1.0}]
    /// ```
    ///
    /// ## Fix
    /// Add a ResourceQuota to the namespace that bounds `requests.cpu`, `requests.memory`,
    /// `limits.cpu`, `limits.memory` and `pods` at what the namespace may use at its peak:
    /// ```yaml
    /// apiVersion: v1
    /// kind: ResourceQuota
    /// metadata: {name: compute, namespace: shop}
    /// spec:
    ///   hard: {requests.cpu: "20", requests.memory: 40Gi, limits.cpu: "40", limits.memory: 80Gi, pods: "100"}
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation: "Resource Quotas"
    /// - CIS Kubernetes Benchmark v1.10 5.7.1 "Create administrative boundaries between resources using namespaces" (quotas are the resource side of that boundary)
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK: T1496 Resource Hijacking, T1499 Endpoint Denial of Service
    pub struct NamespaceWithoutResourceQuota {
        name: "namespace-without-resource-quota",
        domain: Resources,
        severity: Medium,
        summary: "Namespace with workloads has no ResourceQuota",
    }
}

impl Rule for NamespaceWithoutResourceQuota {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (ns, workloads) in namespaces_with_workloads(cx.index) {
            if cx
                .index
                .of_kind_in("ResourceQuota", Some(ns.name()))
                .next()
                .is_some()
            {
                continue;
            }
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                ns,
                &FieldPath::root().key("metadata").key("name"),
                format!(
                    "namespace \"{}\" runs {} ({}) and no ResourceQuota in the input bounds what they may take: \
                     an autoscaler or a scaled-up Deployment can starve the cluster",
                    ns.name(),
                    if workloads.len() == 1 { "1 workload".to_string() } else { format!("{} workloads", workloads.len()) },
                    bounded_list(workloads.iter().map(|w| w.oref.display())),
                ),
                format!(
                    "Add a ResourceQuota to namespace \"{}\" bounding requests.cpu, requests.memory, limits.cpu, limits.memory and pods.",
                    ns.name()
                ),
            );
            f.set_related(workloads.iter().map(|w| &w.oref));
            out.push(f);
        }
    }
}
