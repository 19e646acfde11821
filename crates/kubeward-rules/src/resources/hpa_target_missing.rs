use super::ceiling::{hpa_target, SCALABLE_KINDS};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::{effective_namespace, FieldPath};

declare_rule! {
    /// ## What it does
    /// Reports a HorizontalPodAutoscaler (`autoscaling/v1` or `v2`) whose `scaleTargetRef`
    /// names a Deployment, StatefulSet, ReplicaSet, ReplicationController or Argo Rollout
    /// that is not in the input, when the HPA's namespace holds other workloads in the input.
    ///
    /// A namespace without any workload in the input is not judged: the input is partial
    /// (the HPA's chart without the application's), and the target may well exist. Targets
    /// of other kinds (custom scalable resources) are not judged either.
    ///
    /// ## Why it matters
    /// An HPA whose target does not exist scales nothing: the workload it was meant to
    /// protect stays at its fixed replica count under a traffic spike or a flood of
    /// requests, and the HPA's `maxReplicas` gives reviewers a false sense of capacity. A
    /// renamed Deployment is the usual cause.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web-v1}
    ///   minReplicas: 2
    ///   maxReplicas: 10
    /// ```
    ///
    /// ## Fix
    /// Point `scaleTargetRef` at the workload's current kind and name, or delete the HPA.
    ///
    /// ## References
    /// - Kubernetes documentation: "Horizontal Pod Autoscaling"
    /// - MITRE ATT&CK: T1499 Endpoint Denial of Service
    pub struct HpaTargetMissing {
        name: "hpa-target-missing",
        domain: Resources,
        severity: Low,
        summary: "HorizontalPodAutoscaler targets a workload missing from the input",
    }
}

impl Rule for HpaTargetMissing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for hpa in cx.index.of_kind("HorizontalPodAutoscaler") {
            let (kind, name, target) = hpa_target(cx.index, hpa);
            if target.is_some() || name.is_empty() || !SCALABLE_KINDS.contains(&kind.as_str()) {
                continue;
            }
            let ns = effective_namespace(hpa);
            let has_workloads = cx
                .index
                .pod_templates_in(ns)
                .any(|t| t.object.kind() != "PodTemplate");
            if !has_workloads {
                continue;
            }
            let path = existing(
                hpa,
                &FieldPath::root()
                    .key("spec")
                    .key("scaleTargetRef")
                    .key("name"),
            );
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                hpa,
                &path,
                format!(
                    "scaleTargetRef names {kind}/{name}, which is not in namespace \"{}\" of the input (other workloads of the namespace are): the autoscaler scales nothing",
                    ns.unwrap_or("default")
                ),
                "Point scaleTargetRef at the workload's current kind and name, or delete the autoscaler.",
            ));
        }
    }
}
