use super::namespaces_with_workloads;
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reports a Namespace of the input that holds workloads (pod templates with containers,
    /// in the input) but has no `LimitRange` in the input.
    ///
    /// As for `namespace-without-resource-quota`, only namespaces whose `Namespace` object is
    /// in the input are judged. Any LimitRange counts; `container-without-resource-limits`
    /// reports the containers a missing default leaves unbounded.
    ///
    /// ## Why it matters
    /// A LimitRange gives every container that sets no requests or limits a default, and can
    /// cap what one container may ask for. Without it a container with no memory limit can
    /// take a node's memory and get its neighbours OOM-killed, and a ResourceQuota on
    /// `limits.*` or `requests.*` makes the API server reject pods that forgot them instead
    /// of defaulting them.
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
    /// Add a LimitRange with Container defaults (and maxima if tenants must not exceed them):
    /// ```yaml
    /// apiVersion: v1
    /// kind: LimitRange
    /// metadata: {name: defaults, namespace: shop}
    /// spec:
    ///   limits:
    ///   - type: Container
    ///     default: {cpu: 500m, memory: 512Mi}
    ///     defaultRequest: {cpu: 100m, memory: 256Mi}
    ///     max: {cpu: "2", memory: 2Gi}
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation: "Limit Ranges"
    /// - NSA/CISA Kubernetes Hardening Guide: "Resource policies"
    /// - MITRE ATT&CK: T1499 Endpoint Denial of Service
    pub struct NamespaceWithoutLimitRange {
        name: "namespace-without-limit-range",
        domain: Resources,
        severity: Low,
        summary: "Namespace with workloads has no LimitRange",
    }
}

impl Rule for NamespaceWithoutLimitRange {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (ns, workloads) in namespaces_with_workloads(cx.index) {
            if cx
                .index
                .of_kind_in("LimitRange", Some(ns.name()))
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
                    "namespace \"{}\" runs {} ({}) and has no LimitRange in the input: \
                     containers that set no limits get no default and are bounded only by their node",
                    ns.name(),
                    if workloads.len() == 1 { "1 workload".to_string() } else { format!("{} workloads", workloads.len()) },
                    bounded_list(workloads.iter().map(|w| w.oref.display())),
                ),
                format!(
                    "Add a LimitRange to namespace \"{}\" with Container default and defaultRequest for cpu and memory.",
                    ns.name()
                ),
            );
            f.set_related(workloads.iter().map(|w| &w.oref));
            out.push(f);
        }
    }
}
