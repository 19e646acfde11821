use super::ceiling::{hpa_ceilings, Resource};
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Computes each HorizontalPodAutoscaler's worst case (`autoscaling/v2` and `v1`; any
    /// `behavior`): `maxReplicas` × the requests and limits of one pod of its target
    /// (Deployment, StatefulSet, ReplicaSet, ReplicationController, or Argo Rollout with its
    /// `template` or `workloadRef`), and reports the HPA when the ResourceQuotas of its
    /// namespace in the input do not cap both CPU and memory.
    ///
    /// Per pod, values are those the API server and the quota controller count: a limit
    /// without a request sets the request; missing values come from the namespace's
    /// LimitRange defaults; the pod's value is the larger of its containers' sum (with
    /// sidecar init containers) and its largest init container; pod-level `resources` win.
    /// A container without a limit makes the worst case unbounded.
    ///
    /// The quota caps a resource when it has `limits.cpu` / `limits.memory`, or when it bounds
    /// the number of such pods (`pods`, `requests.*`, `limits.*` divided by one pod's value)
    /// and every container has a limit. Quotas count when their `scopes` and `scopeSelector`
    /// (`NotTerminating`, `NotBestEffort`, `PriorityClass`, ...) select the HPA's pods;
    /// `CrossNamespacePodAffinity` and unknown scopes make a quota not count. HPAs whose target
    /// is not in the input are left to `hpa-target-missing`.
    ///
    /// `kubeward scan` prints the same computation per namespace in the text report's "scale
    /// ceiling" table when the input has HPAs.
    ///
    /// ## Why it matters
    /// Under a flood of requests the autoscaler does what it is told: it adds replicas up to
    /// `maxReplicas`, and a cluster autoscaler adds nodes for them. Without a quota, that
    /// ceiling (or a `maxReplicas: 1000` typo, or an attacker with `patch` on the HPA) decides
    /// how much of the cluster and of the bill the namespace takes: other tenants are starved
    /// and the attack becomes a denial of wallet. The quota is the gatekeeper that bounds it.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: autoscaling/v2
    /// kind: HorizontalPodAutoscaler
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
    ///   minReplicas: 2
    ///   maxReplicas: 100
    /// # and no ResourceQuota in namespace shop
    /// ```
    ///
    /// ## Fix
    /// Add a ResourceQuota to the namespace with `limits.cpu` and `limits.memory` (or `pods`)
    /// at the peak the namespace may reach, set limits on every container (or LimitRange
    /// defaults), and keep `maxReplicas` at what the quota admits.
    ///
    /// ## References
    /// - Kubernetes documentation: "Horizontal Pod Autoscaling", "Resource Quotas",
    ///   "Resource Management for Pods and Containers" (effective requests of init containers)
    /// - MITRE ATT&CK: T1496 Resource Hijacking, T1499 Endpoint Denial of Service
    pub struct HpaScaleCeilingUncapped {
        name: "hpa-scale-ceiling-uncapped",
        domain: Resources,
        severity: Medium,
        summary: "HorizontalPodAutoscaler's worst case is not capped by a ResourceQuota",
    }
}

impl Rule for HpaScaleCeilingUncapped {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for c in hpa_ceilings(cx.index) {
            let Some(pod) = &c.pod else { continue };
            if c.capped() {
                continue;
            }
            let uncapped: Vec<&str> = Resource::BOTH
                .into_iter()
                .filter(|r| c.capped_use[*r as usize].is_none())
                .map(Resource::key)
                .collect();
            let quota = if c.quota.quotas.is_empty() {
                format!(
                    "namespace \"{}\" has no ResourceQuota in the input that applies to these pods",
                    c.namespace
                )
            } else {
                format!(
                    "ResourceQuota {} ({}) does not cap {}",
                    bounded_list(&c.quota.quotas),
                    c.quota.describe(),
                    uncapped.join(" or ")
                )
            };
            // per container, the limits it lacks: `container "web" without a cpu or memory limit`
            let mut lacking: Vec<(&str, Vec<&str>)> = Vec::new();
            for r in Resource::BOTH {
                for who in &pod.unlimited[r as usize] {
                    match lacking.iter_mut().find(|(w, _)| w == who) {
                        Some((_, v)) => v.push(r.key()),
                        None => lacking.push((who, vec![r.key()])),
                    }
                }
            }
            let unbounded: Vec<String> = lacking
                .iter()
                .map(|(who, r)| format!("{who} without a {} limit", r.join(" or ")))
                .collect();
            let unbounded = if unbounded.is_empty() {
                String::new()
            } else {
                format!(" ({})", bounded_list(&unbounded))
            };
            let path = existing(c.hpa, &FieldPath::root().key("spec").key("maxReplicas"));
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                c.hpa,
                &path,
                format!(
                    "at maxReplicas {} {} may take {}{unbounded}; {quota}",
                    c.max_replicas,
                    c.target,
                    c.describe(),
                ),
                format!(
                    "Give namespace \"{}\" a ResourceQuota with limits.cpu and limits.memory (or pods) at the peak it may reach, and limits on every container (or LimitRange defaults).",
                    c.namespace
                ),
            );
            let (kind, name) = c.target.split_once('/').unwrap_or(("", ""));
            let target = cx.index.get(kind, Some(&c.namespace), name);
            f.set_related(target.iter().map(|o| &o.oref));
            out.push(f);
        }
    }
}
