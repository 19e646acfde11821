use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::network::util::{
    exposes_publicly, ingress_backends, matches_template, service_selector,
};
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::{effective_namespace, FieldPath, ObjectRef, Selector};
use std::collections::HashMap;

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
        // built once: the largest maxReplicas of the HPAs of each (namespace, kind, name), and
        // per namespace the Services that expose their pods (with what exposes them)
        let mut hpa_max: HashMap<(Option<&str>, &str, &str), i64> = HashMap::new();
        for h in cx.index.of_kind("HorizontalPodAutoscaler") {
            let r = h.spec().get("scaleTargetRef");
            let (Some(kind), Some(name), Some(max)) = (
                r.and_then(|r| r.str_at("kind")),
                r.and_then(|r| r.str_at("name")),
                h.spec().i64_at("maxReplicas"),
            ) else {
                continue;
            };
            let slot = hpa_max
                .entry((effective_namespace(h), kind, name))
                .or_insert(max);
            *slot = (*slot).max(max);
        }
        let mut exposing: HashMap<Option<&str>, Vec<(Selector, Vec<ObjectRef>)>> = HashMap::new();
        for t in cx.index.pod_templates() {
            let o = t.object;
            if !KINDS.contains(&o.kind()) || t.containers().is_empty() {
                continue;
            }
            let ns = effective_namespace(o);
            let replicas = o.spec().i64_at("replicas").unwrap_or(1);
            let hpa = hpa_max.get(&(ns, o.kind(), o.name())).copied();
            if replicas <= 1 && hpa.is_none_or(|m| m <= 1) {
                continue;
            }
            let services = exposing
                .entry(ns)
                .or_insert_with(|| exposing_services(cx, ns));
            let mut exposers: Vec<ObjectRef> = Vec::new();
            for (sel, by) in services.iter() {
                if matches_template(sel, t) {
                    for r in by {
                        if !exposers.contains(r) {
                            exposers.push(r.clone());
                        }
                    }
                }
            }
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
            let how = match hpa {
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

/// The Services of a namespace that expose their pods (a public LoadBalancer, a NodePort, or
/// an Ingress backend), each with its selector and what exposes it (itself, the Ingresses).
fn exposing_services(cx: &Context<'_>, ns: Option<&str>) -> Vec<(Selector, Vec<ObjectRef>)> {
    let mut routed: HashMap<&str, Vec<ObjectRef>> = HashMap::new();
    for ing in cx.index.of_kind_in("Ingress", ns) {
        for b in ingress_backends(ing) {
            let v = routed.entry(b).or_default();
            if !v.contains(&ing.oref) {
                v.push(ing.oref.clone());
            }
        }
    }
    let mut out = Vec::new();
    for svc in cx.index.of_kind_in("Service", ns) {
        let Some(sel) = service_selector(svc) else {
            continue;
        };
        let mut by = Vec::new();
        if exposes_publicly(svc) {
            by.push(svc.oref.clone());
        }
        if let Some(ings) = routed.get(svc.name()) {
            by.extend(ings.iter().cloned());
        }
        if !by.is_empty() {
            out.push((sel, by));
        }
    }
    out
}
