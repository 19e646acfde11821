use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::network::util::{
    exposes_publicly, ingress_backends, matches_template, service_selector,
};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::{effective_namespace, FieldPath, PodTemplate, Selector};

declare_rule! {
    /// ## What it does
    /// Reports a Deployment, StatefulSet, ReplicaSet or Argo Rollout that is replicated
    /// (`spec.replicas` above 1, or the target of a HorizontalPodAutoscaler of the input with
    /// `maxReplicas` above 1) and exposed (selected by a `LoadBalancer` Service reachable from
    /// anywhere, a `NodePort` Service, or a Service an Ingress routes to), when no
    /// PodDisruptionBudget of its namespace in the input selects its pods.
    ///
    /// A workload with one replica is left alone: a budget cannot keep a single pod up
    /// through a drain, it only blocks the drain.
    ///
    /// ## Why it matters
    /// Node drains (upgrades, autoscaler scale-down, spot reclaims) evict pods without
    /// regard for the service: without a budget, every replica of an internet-facing
    /// service may be evicted at once, which an attacker who floods the service during a
    /// maintenance window (or who can trigger scale-down) turns into an outage.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   replicas: 3
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec: {containers: [{name: web, image: example/web:1.0}]}
    /// ---
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web, namespace: shop}
    /// spec: {type: LoadBalancer, selector: {app: web}, ports: [{port: 80}]}
    /// ```
    ///
    /// ## Fix
    /// Add a PodDisruptionBudget that selects the pods:
    /// ```yaml
    /// apiVersion: policy/v1
    /// kind: PodDisruptionBudget
    /// metadata: {name: web, namespace: shop}
    /// spec: {minAvailable: 2, selector: {matchLabels: {app: web}}}
    /// ```
    ///
    /// ## References
    /// - Kubernetes documentation: "Specifying a Disruption Budget for your Application"
    /// - MITRE ATT&CK: T1499 Endpoint Denial of Service
    pub struct PdbMissingForExposedWorkload {
        name: "pdb-missing-for-exposed-workload",
        domain: Resources,
        severity: Low,
        summary: "Replicated, exposed workload has no PodDisruptionBudget",
    }
}

const KINDS: &[&str] = &["Deployment", "StatefulSet", "ReplicaSet", "Rollout"];

impl Rule for PdbMissingForExposedWorkload {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            let o = t.object;
            if !KINDS.contains(&o.kind()) || t.containers().is_empty() {
                continue;
            }
            let ns = effective_namespace(o);
            let replicas = o.spec().i64_at("replicas").unwrap_or(1);
            let hpa_max = cx
                .index
                .of_kind_in("HorizontalPodAutoscaler", ns)
                .filter(|h| {
                    let r = h.spec().get("scaleTargetRef");
                    r.and_then(|r| r.str_at("kind")) == Some(o.kind())
                        && r.and_then(|r| r.str_at("name")) == Some(o.name())
                })
                .filter_map(|h| h.spec().i64_at("maxReplicas"))
                .max();
            if replicas <= 1 && hpa_max.is_none_or(|m| m <= 1) {
                continue;
            }
            let exposers = exposers(cx, t);
            if exposers.is_empty() {
                continue;
            }
            let covered = cx.index.of_kind_in("PodDisruptionBudget", ns).any(|p| {
                let Some(sel) = p.spec().get("selector") else {
                    return false;
                };
                let sel = Selector::from_label_selector(sel);
                // an empty selector selects every pod of the namespace (policy/v1)
                sel.is_empty() || matches_template(&sel, t)
            });
            if covered {
                continue;
            }
            let how = match hpa_max {
                Some(m) if m > replicas => format!("scales to {m} replicas"),
                _ => format!("runs {replicas} replicas"),
            };
            let path = existing(o, &FieldPath::root().key("spec").key("replicas"));
            let names: Vec<String> = exposers.iter().map(|e| e.display()).collect();
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                o,
                &path,
                format!(
                    "{} {how} exposed through {} and no PodDisruptionBudget of namespace \"{}\" in the input selects its pods: a node drain may evict every replica at once",
                    o.oref.display(),
                    bounded_list(&names),
                    ns.unwrap_or("default"),
                ),
                "Add a PodDisruptionBudget (policy/v1) with minAvailable or maxUnavailable whose selector matches the pods.",
            );
            f.set_related(exposers.iter());
            out.push(f);
        }
    }
}

/// The Services (LoadBalancer, NodePort) and Ingresses that expose the pods of `t`.
fn exposers(cx: &Context<'_>, t: &PodTemplate<'_>) -> Vec<kubeward_model::ObjectRef> {
    let ns = effective_namespace(t.object);
    let mut out = Vec::new();
    let routed: Vec<(&str, &kubeward_model::Object)> = cx
        .index
        .of_kind_in("Ingress", ns)
        .flat_map(|i| ingress_backends(i).into_iter().map(move |b| (b, i)))
        .collect();
    for svc in cx.index.of_kind_in("Service", ns) {
        let Some(sel) = service_selector(svc) else {
            continue;
        };
        if !matches_template(&sel, t) {
            continue;
        }
        if exposes_publicly(svc) {
            out.push(svc.oref.clone());
        }
        for (b, ing) in &routed {
            if *b == svc.name() && !out.contains(&ing.oref) {
                out.push(ing.oref.clone());
            }
        }
    }
    out
}
