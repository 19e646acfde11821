//! Rules of the `resources` domain: caps against denial of service and runaway autoscaling.
//! Under a flood of requests an autoscaled frontend adds replicas until the cluster or the
//! bill breaks; the ResourceQuota of its namespace is the gatekeeper, LimitRanges give every
//! container a bound, PodDisruptionBudgets keep exposed services up while nodes drain, and
//! ingress rate limits stop the flood before it reaches the pods. Unlike the `hygiene`
//! domain's per-resource request/limit rules, these run by default.
//!
//! [`ceiling`] computes each HorizontalPodAutoscaler's worst case for the rule
//! `hpa-scale-ceiling-uncapped` and the text report's "scale ceiling" table.

pub mod ceiling;
pub mod quantity;

mod container_without_resource_limits;
mod hpa_scale_ceiling_uncapped;
mod hpa_target_missing;
mod ingress_without_rate_limit;
mod namespace_without_limit_range;
mod namespace_without_resource_quota;
mod pdb_missing;

pub use container_without_resource_limits::ContainerWithoutResourceLimits;
pub use hpa_scale_ceiling_uncapped::HpaScaleCeilingUncapped;
pub use hpa_target_missing::HpaTargetMissing;
pub use ingress_without_rate_limit::IngressWithoutRateLimit;
pub use namespace_without_limit_range::NamespaceWithoutLimitRange;
pub use namespace_without_resource_quota::NamespaceWithoutResourceQuota;
pub use pdb_missing::PdbMissingForExposedWorkload;

use crate::rule::Rule;
use kubeward_model::{effective_namespace, Index, Object};
use std::collections::BTreeMap;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &NamespaceWithoutResourceQuota,
        &NamespaceWithoutLimitRange,
        &ContainerWithoutResourceLimits,
        &HpaScaleCeilingUncapped,
        &HpaTargetMissing,
        &PdbMissingForExposedWorkload,
        &IngressWithoutRateLimit,
    ]
}

/// Namespaces whose Namespace object is in the input and that hold at least one workload
/// with containers in the input: (Namespace object, first workloads, how many).
pub(crate) fn namespaces_with_workloads<'s>(
    index: &Index<'s>,
) -> Vec<(&'s Object, Vec<&'s Object>)> {
    let mut by_ns: BTreeMap<&'s str, Vec<&'s Object>> = BTreeMap::new();
    for t in index.pod_templates() {
        if t.containers().is_empty() || t.object.kind() == "PodTemplate" {
            continue;
        }
        if let Some(ns) = effective_namespace(t.object) {
            let v = by_ns.entry(ns).or_default();
            if v.last().map(|o| o.id) != Some(t.object.id) {
                v.push(t.object);
            }
        }
    }
    let mut out: Vec<(&'s Object, Vec<&'s Object>)> = by_ns
        .into_iter()
        .filter_map(|(ns, w)| index.namespace(ns).map(|n| (n, w)))
        .collect();
    out.sort_by_key(|(n, _)| n.id);
    out
}
