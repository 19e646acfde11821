//! The scale ceiling: what each HorizontalPodAutoscaler may cost at `maxReplicas`, and whether
//! its namespace's ResourceQuota caps it. Shared by the `hpa-scale-ceiling-uncapped` rule and
//! the text report's "scale ceiling" table (rendered by `kubeward-report::ceiling`).
//!
//! Per pod, as the API server and the quota controller count it:
//! - each container's value comes from its `resources`; a limit without a request makes the
//!   request equal to the limit (API defaulting); a value still missing comes from the
//!   namespace's `LimitRange` of type `Container` in the input (`default` for limits, falling
//!   back to `max`; `defaultRequest` for requests, falling back to `default`, `max`, `min`);
//! - the pod's value is the larger of the regular containers' sum (plus restartable init
//!   containers, the sidecars) and the largest init container (plus the sidecars started
//!   before it): Kubernetes' effective request rule; pod-level `spec.resources` wins;
//! - a limit missing on any container after defaulting makes the pod's limit unbounded.
//!
//! ResourceQuotas of the namespace apply when their scopes match the pods (`Terminating`,
//! `NotTerminating`, `BestEffort`, `NotBestEffort`, `PriorityClass` in `scopeSelector`);
//! a scope kubeward cannot judge (`CrossNamespacePodAffinity`, unknown names) makes the quota
//! not count. Hard limits read: `requests.cpu` (`cpu`), `requests.memory` (`memory`),
//! `limits.cpu`, `limits.memory`, `pods`. Several quotas: the smallest bound wins.

use super::quantity::{node_milli, show_cpu, show_memory, Milli};
use kubeward_model::{effective_namespace, ContainerKind, Index, Node, Object, PodTemplate};
use std::collections::BTreeMap;

/// CPU or memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    Cpu,
    Memory,
}

impl Resource {
    pub const BOTH: [Resource; 2] = [Resource::Cpu, Resource::Memory];

    pub fn key(self) -> &'static str {
        match self {
            Resource::Cpu => "cpu",
            Resource::Memory => "memory",
        }
    }

    /// A quantity of this resource for people (`2.5`, `512Mi`).
    pub fn show(self, m: Milli) -> String {
        match self {
            Resource::Cpu => show_cpu(m),
            Resource::Memory => show_memory(m),
        }
    }

    fn i(self) -> usize {
        self as usize
    }
}

/// What one pod of a template asks for and may use, after defaulting.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodResources {
    /// Requests (cpu, memory); a missing request counts as 0.
    pub requests: [Milli; 2],
    /// Limits (cpu, memory); `None` when some container has none (unbounded).
    pub limits: [Option<Milli>; 2],
    /// Containers (as `container "web"`) without a limit, per resource.
    pub unlimited: [Vec<String>; 2],
    /// Containers without a request, per resource.
    pub unrequested: [Vec<String>; 2],
    /// Whether a LimitRange default filled a missing value.
    pub defaulted: bool,
}

impl PodResources {
    /// Whether no container has any request or limit (a BestEffort pod).
    pub fn best_effort(&self) -> bool {
        self.requests == [0, 0] && self.limits.iter().all(|l| l.is_none())
    }
}

/// The `Container` defaults of the namespace's LimitRanges in the input, with the API
/// server's fallbacks: (default limit, default request) per resource.
#[derive(Clone, Debug, Default)]
pub struct LimitRangeDefaults {
    pub limit: [Option<Milli>; 2],
    pub request: [Option<Milli>; 2],
}

impl LimitRangeDefaults {
    /// The first LimitRange item of type `Container` that gives each default wins.
    pub fn of(index: &Index<'_>, namespace: &str) -> Self {
        let mut d = LimitRangeDefaults::default();
        for lr in index.of_kind_in("LimitRange", Some(namespace)) {
            for item in lr.spec().get("limits").map(Node::items).unwrap_or(&[]) {
                if item.str_at("type") != Some("Container") {
                    continue;
                }
                for r in Resource::BOTH {
                    let q = |k: &str| item.at(&[k, r.key()]).and_then(node_milli);
                    if d.limit[r.i()].is_none() {
                        d.limit[r.i()] = q("default").or_else(|| q("max"));
                    }
                    if d.request[r.i()].is_none() {
                        d.request[r.i()] = q("defaultRequest")
                            .or_else(|| q("default"))
                            .or_else(|| q("max"))
                            .or_else(|| q("min"));
                    }
                }
            }
        }
        d
    }

    pub fn any(&self) -> bool {
        self.limit.iter().chain(&self.request).any(Option::is_some)
    }
}

/// `container "web"` (or `init container "setup"`).
fn who(kind: ContainerKind, name: &str, i: usize) -> String {
    let what = if kind == ContainerKind::Init {
        "init container"
    } else {
        "container"
    };
    if name.is_empty() {
        format!("{what} #{i}")
    } else {
        format!("{what} \"{name}\"")
    }
}

/// One container's (request, limit) of a resource after defaulting; whether a default was used.
fn container_values(
    c: &Node,
    r: Resource,
    d: &LimitRangeDefaults,
) -> (Option<Milli>, Option<Milli>, bool) {
    let res = c.get("resources");
    let q = |b: &str| res.and_then(|x| x.at(&[b, r.key()])).and_then(node_milli);
    let own_limit = q("limits");
    let own_request = q("requests").or(own_limit);
    let limit = own_limit.or(d.limit[r.i()]);
    let request = own_request.or(d.request[r.i()]);
    let defaulted =
        (own_limit.is_none() && limit.is_some()) || (own_request.is_none() && request.is_some());
    (request, limit, defaulted)
}

/// The resources of one pod of `t` (see the module documentation).
pub fn pod_resources(t: &PodTemplate<'_>, d: &LimitRangeDefaults) -> PodResources {
    let mut out = PodResources::default();
    let containers: Vec<_> = t
        .containers()
        .into_iter()
        .filter(|c| c.kind != ContainerKind::Ephemeral)
        .collect();
    for r in Resource::BOTH {
        // (request, limit) with None = unbounded for limits
        let mut regular = (0 as Milli, Some(0 as Milli));
        let mut sidecars = (0 as Milli, Some(0 as Milli));
        let mut init_peak = (0 as Milli, Some(0 as Milli));
        for c in &containers {
            let (req, lim, defaulted) = container_values(c.node, r, d);
            out.defaulted |= defaulted;
            let label = who(c.kind, c.name, c.index);
            if lim.is_none() {
                out.unlimited[r.i()].push(label.clone());
            }
            if req.is_none() {
                out.unrequested[r.i()].push(label);
            }
            let req = req.unwrap_or(0);
            let add = |a: Option<Milli>, b: Option<Milli>| Some(a?.saturating_add(b?));
            let sidecar =
                c.kind == ContainerKind::Init && c.node.str_at("restartPolicy") == Some("Always");
            match c.kind {
                ContainerKind::Init if !sidecar => {
                    // this init container runs beside the sidecars started before it
                    let this = (req.saturating_add(sidecars.0), add(lim, sidecars.1));
                    init_peak.0 = init_peak.0.max(this.0);
                    init_peak.1 = match (init_peak.1, this.1) {
                        (Some(a), Some(b)) => Some(a.max(b)),
                        _ => None,
                    };
                }
                ContainerKind::Init => {
                    sidecars.0 = sidecars.0.saturating_add(req);
                    sidecars.1 = add(sidecars.1, lim);
                }
                _ => {
                    regular.0 = regular.0.saturating_add(req);
                    regular.1 = add(regular.1, lim);
                }
            }
        }
        let steady = (
            regular.0.saturating_add(sidecars.0),
            regular.1.zip(sidecars.1).map(|(a, b)| a.saturating_add(b)),
        );
        let mut req = steady.0.max(init_peak.0);
        let mut lim = match (steady.1, init_peak.1) {
            (Some(a), Some(b)) => Some(a.max(b)),
            _ => None,
        };
        // pod-level resources (spec.resources) replace the containers' sum
        let pod = t.spec.get("resources");
        let pq = |b: &str| pod.and_then(|x| x.at(&[b, r.key()])).and_then(node_milli);
        if let Some(l) = pq("limits") {
            lim = Some(l);
            out.unlimited[r.i()].clear();
            if pq("requests").is_none() {
                // pod-level requests default to the pod-level limits
                req = l;
                out.unrequested[r.i()].clear();
            }
        }
        if let Some(q) = pq("requests") {
            req = q;
            out.unrequested[r.i()].clear();
        }
        out.requests[r.i()] = req;
        out.limits[r.i()] = lim;
    }
    out
}

/// The hard limits of the ResourceQuotas that apply to a pod, smallest first.
#[derive(Clone, Debug, Default)]
pub struct QuotaBounds {
    /// requests.cpu, requests.memory
    pub requests: [Option<Milli>; 2],
    /// limits.cpu, limits.memory
    pub limits: [Option<Milli>; 2],
    /// Pods count.
    pub pods: Option<i128>,
    /// The quotas that apply.
    pub quotas: Vec<String>,
}

impl QuotaBounds {
    /// `limits.cpu 20, requests.memory 32Gi, pods 40`, or `none`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        for r in Resource::BOTH {
            if let Some(v) = self.requests[r.i()] {
                parts.push(format!("requests.{} {}", r.key(), r.show(v)));
            }
        }
        for r in Resource::BOTH {
            if let Some(v) = self.limits[r.i()] {
                parts.push(format!("limits.{} {}", r.key(), r.show(v)));
            }
        }
        if let Some(p) = self.pods {
            parts.push(format!("pods {p}"));
        }
        if parts.is_empty() {
            "none".into()
        } else {
            parts.join(", ")
        }
    }

    fn is_empty(&self) -> bool {
        self.quotas.is_empty()
    }
}

/// Whether a quota's scopes select the pods of `t`.
fn scopes_match(quota: &Object, t: &PodTemplate<'_>, pod: &PodResources) -> bool {
    let spec = quota.spec();
    let terminating = t
        .spec
        .get("activeDeadlineSeconds")
        .is_some_and(|n| !n.is_null());
    let priority = t.spec.str_at("priorityClassName");
    let scope = |name: &str, op: &str, values: &[Node]| -> bool {
        match name {
            "Terminating" => terminating,
            "NotTerminating" => !terminating,
            "BestEffort" => pod.best_effort(),
            "NotBestEffort" => !pod.best_effort(),
            "PriorityClass" => {
                let listed = |p: &str| values.iter().any(|v| v.as_str() == Some(p));
                match op {
                    "In" => priority.is_some_and(listed),
                    "NotIn" => !priority.is_some_and(listed),
                    "Exists" => priority.is_some(),
                    "DoesNotExist" => priority.is_none(),
                    _ => false,
                }
            }
            _ => false,
        }
    };
    let plain = spec.get("scopes").map(Node::items).unwrap_or(&[]);
    let exprs = spec
        .at(&["scopeSelector", "matchExpressions"])
        .map(Node::items)
        .unwrap_or(&[]);
    plain
        .iter()
        .all(|s| s.as_str().is_some_and(|s| scope(s, "Exists", &[])))
        && exprs.iter().all(|e| {
            let values = e.get("values").map(Node::items).unwrap_or(&[]);
            e.str_at("scopeName")
                .is_some_and(|n| scope(n, e.str_at("operator").unwrap_or(""), values))
        })
}

/// The quota bounds that apply to the pods of `t` in its namespace.
pub fn quota_bounds(index: &Index<'_>, t: &PodTemplate<'_>, pod: &PodResources) -> QuotaBounds {
    let ns = effective_namespace(t.object).unwrap_or("default");
    let mut b = QuotaBounds::default();
    let min = |a: &mut Option<Milli>, v: Option<Milli>| {
        if let Some(v) = v {
            *a = Some(a.map_or(v, |x| x.min(v)));
        }
    };
    for q in index.of_kind_in("ResourceQuota", Some(ns)) {
        if !scopes_match(q, t, pod) {
            continue;
        }
        let Some(hard) = q.spec().get("hard") else {
            continue;
        };
        let get = |k: &str| hard.get(k).and_then(node_milli);
        for r in Resource::BOTH {
            min(
                &mut b.requests[r.i()],
                get(&format!("requests.{}", r.key())),
            );
            min(&mut b.requests[r.i()], get(r.key()));
            min(&mut b.limits[r.i()], get(&format!("limits.{}", r.key())));
        }
        if let Some(p) = get("pods") {
            let p = p / 1000;
            b.pods = Some(b.pods.map_or(p, |x| x.min(p)));
        }
        b.quotas.push(q.name().to_string());
    }
    b
}

/// One HorizontalPodAutoscaler's worst case.
#[derive(Clone, Debug)]
pub struct HpaCeiling<'s> {
    pub hpa: &'s Object,
    pub namespace: String,
    /// `Deployment/web` as the HPA names it.
    pub target: String,
    pub max_replicas: i64,
    /// The pod resources (None when the target is not in the input or has no pod template).
    pub pod: Option<PodResources>,
    /// maxReplicas × the pod's requests.
    pub requests: [Milli; 2],
    /// maxReplicas × the pod's limits (None: unbounded).
    pub limits: [Option<Milli>; 2],
    pub quota: QuotaBounds,
    /// The most replicas the quota admits (None: the quota does not bound the count).
    pub quota_replicas: Option<i128>,
    /// Per resource, the most the namespace quota lets these pods use (None: uncapped).
    pub capped_use: [Option<Milli>; 2],
}

impl HpaCeiling<'_> {
    /// Whether the quota caps both CPU and memory.
    pub fn capped(&self) -> bool {
        self.capped_use.iter().all(Option::is_some)
    }

    /// `requests 5 CPU / 10Gi, limits 10 CPU / unbounded`.
    pub fn describe(&self) -> String {
        let lim = |r: Resource| {
            self.limits[r.i()]
                .map(|v| r.show(v))
                .unwrap_or_else(|| "unbounded".into())
        };
        format!(
            "requests {} CPU / {} memory, limits {} CPU / {} memory",
            Resource::Cpu.show(self.requests[0]),
            Resource::Memory.show(self.requests[1]),
            lim(Resource::Cpu),
            lim(Resource::Memory),
        )
    }
}

/// The kinds an HPA's `scaleTargetRef` may name whose pod template kubeward reads.
pub const SCALABLE_KINDS: &[&str] = &[
    "Deployment",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Rollout",
];

/// The object an HPA scales, when it is in the input: (kind, name, object).
pub fn hpa_target<'s>(index: &Index<'s>, hpa: &'s Object) -> (String, String, Option<&'s Object>) {
    let r = hpa.spec().get("scaleTargetRef");
    let kind = r.and_then(|r| r.str_at("kind")).unwrap_or("").to_string();
    let name = r.and_then(|r| r.str_at("name")).unwrap_or("").to_string();
    let ns = effective_namespace(hpa);
    let obj = index.get(&kind, ns, &name);
    (kind, name, obj)
}

/// The pod template of an HPA's target: its own, or for an Argo Rollout with `workloadRef`,
/// the referenced Deployment's.
pub fn target_template<'s>(index: &Index<'s>, target: &'s Object) -> Option<PodTemplate<'s>> {
    if target.kind() == "Rollout" {
        if let Some(w) = target.spec().get("workloadRef") {
            let kind = w.str_at("kind").unwrap_or("Deployment");
            let name = w.str_at("name")?;
            let d = index.get(kind, effective_namespace(target), name)?;
            return PodTemplate::of(d);
        }
    }
    PodTemplate::of(target).filter(|t| !t.spec.is_null())
}

/// The worst case of every HPA of the input, in input order.
pub fn hpa_ceilings<'s>(index: &Index<'s>) -> Vec<HpaCeiling<'s>> {
    let mut out = Vec::new();
    let mut defaults: BTreeMap<String, LimitRangeDefaults> = BTreeMap::new();
    for hpa in index.of_kind("HorizontalPodAutoscaler") {
        let ns = effective_namespace(hpa).unwrap_or("default").to_string();
        let (kind, name, target) = hpa_target(index, hpa);
        let max_replicas = hpa.spec().i64_at("maxReplicas").unwrap_or(0).max(0);
        let d = defaults
            .entry(ns.clone())
            .or_insert_with(|| LimitRangeDefaults::of(index, &ns));
        // other scalable kinds (a LeaderWorkerSet scales groups of pods) are not judged
        let template = target
            .filter(|t| SCALABLE_KINDS.contains(&t.kind()))
            .and_then(|t| target_template(index, t));
        let pod = template.as_ref().map(|t| pod_resources(t, d));
        let quota = match (&template, &pod) {
            (Some(t), Some(p)) => quota_bounds(index, t, p),
            _ => QuotaBounds::default(),
        };
        let n = i128::from(max_replicas);
        let (requests, limits) = match &pod {
            Some(p) => (
                [
                    p.requests[0].saturating_mul(n),
                    p.requests[1].saturating_mul(n),
                ],
                [
                    p.limits[0].map(|v| v.saturating_mul(n)),
                    p.limits[1].map(|v| v.saturating_mul(n)),
                ],
            ),
            None => ([0, 0], [None, None]),
        };
        // the most replicas the quota admits
        let mut quota_replicas = quota.pods;
        if let Some(p) = &pod {
            let mut cap = |bound: Option<Milli>, per_pod: Option<Milli>| {
                if let (Some(b), Some(per)) = (bound, per_pod) {
                    if per > 0 {
                        let k = b / per;
                        quota_replicas = Some(quota_replicas.map_or(k, |x| x.min(k)));
                    }
                }
            };
            for r in Resource::BOTH {
                cap(quota.requests[r.i()], Some(p.requests[r.i()]));
                cap(quota.limits[r.i()], p.limits[r.i()]);
            }
        }
        let mut capped_use = [None, None];
        if let Some(p) = &pod {
            for r in Resource::BOTH {
                capped_use[r.i()] = quota.limits[r.i()]
                    .or_else(|| Some(quota_replicas?.min(n).saturating_mul(p.limits[r.i()]?)));
            }
        }
        if quota.is_empty() {
            capped_use = [None, None];
        }
        out.push(HpaCeiling {
            hpa,
            namespace: ns,
            target: format!("{kind}/{name}"),
            max_replicas,
            pod,
            requests,
            limits,
            quota,
            quota_replicas,
            capped_use,
        });
    }
    out
}

/// One row of the report's "scale ceiling" table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceCeiling {
    pub namespace: String,
    pub hpas: usize,
    /// Sum of maxReplicas.
    pub max_replicas: i64,
    /// Sum of the HPAs' worst-case requests (cpu, memory).
    pub requests: [Milli; 2],
    /// Sum of the worst-case limits (None when one is unbounded).
    pub limits: [Option<Milli>; 2],
    /// The quota, as [`QuotaBounds::describe`] writes it (of the first HPA with a judged
    /// target; `none` when no quota applies).
    pub quota: String,
    /// Whether the quota caps every HPA of the namespace.
    pub capped: bool,
    /// HPAs whose target is not in the input or of a kind not judged (not counted in the
    /// sums).
    pub unknown_targets: usize,
}

/// The per-namespace table, namespaces in name order.
pub fn by_namespace(ceilings: &[HpaCeiling<'_>]) -> Vec<NamespaceCeiling> {
    let mut rows: BTreeMap<&str, NamespaceCeiling> = BTreeMap::new();
    for c in ceilings {
        let row = rows
            .entry(c.namespace.as_str())
            .or_insert_with(|| NamespaceCeiling {
                namespace: c.namespace.clone(),
                hpas: 0,
                max_replicas: 0,
                requests: [0, 0],
                limits: [Some(0), Some(0)],
                quota: "none".into(),
                capped: true,
                unknown_targets: 0,
            });
        row.hpas += 1;
        row.max_replicas = row.max_replicas.saturating_add(c.max_replicas);
        if c.pod.is_none() {
            row.unknown_targets += 1;
            continue;
        }
        for r in Resource::BOTH {
            row.requests[r.i()] = row.requests[r.i()].saturating_add(c.requests[r.i()]);
            row.limits[r.i()] = row.limits[r.i()]
                .zip(c.limits[r.i()])
                .map(|(a, b)| a.saturating_add(b));
        }
        if row.quota == "none" {
            row.quota = c.quota.describe();
        }
        row.capped &= c.capped();
    }
    rows.into_values()
        .map(|mut r| {
            if r.unknown_targets == r.hpas {
                r.capped = false;
            }
            r
        })
        .collect()
}

/// The table rows of an index: empty when the input has no HPA.
pub fn scale_ceiling(index: &Index<'_>) -> Vec<NamespaceCeiling> {
    by_namespace(&hpa_ceilings(index))
}

/// The table rows of a snapshot; the index is built only when the input has an HPA.
pub fn scale_ceiling_of(snapshot: &kubeward_model::Snapshot) -> Vec<NamespaceCeiling> {
    if !snapshot
        .objects
        .iter()
        .any(|o| o.kind() == "HorizontalPodAutoscaler")
    {
        return Vec::new();
    }
    scale_ceiling(&Index::new(snapshot))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::load_str;

    const GI: Milli = (1 << 30) * 1000;
    const MI: Milli = (1 << 20) * 1000;

    /// (target, requests, limits, capped, replicas the quota admits) of each HPA.
    type Row = (String, [Milli; 2], [Option<Milli>; 2], bool, Option<i128>);

    fn ceilings(yaml: &str) -> Vec<Row> {
        let snap = load_str("t.yaml", yaml);
        assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        let index = Index::new(&snap);
        hpa_ceilings(&index)
            .into_iter()
            .map(|c| {
                let capped = c.capped();
                (c.target, c.requests, c.limits, capped, c.quota_replicas)
            })
            .collect()
    }

    const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    spec:
      initContainers:
      - name: migrate
        image: m
        resources: {requests: {cpu: "2", memory: 64Mi}, limits: {cpu: "2", memory: 64Mi}}
      - name: proxy
        image: p
        restartPolicy: Always
        resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: 200m, memory: 128Mi}}
      containers:
      - name: web
        image: w
        resources: {requests: {cpu: 250m, memory: 256Mi}, limits: {cpu: "1", memory: 512Mi}}
      - name: log
        image: l
        resources: {limits: {cpu: 100m, memory: 64Mi}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: web, namespace: shop}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}
  minReplicas: 2
  maxReplicas: 10
  behavior:
    scaleUp: {stabilizationWindowSeconds: 0, policies: [{type: Percent, value: 100, periodSeconds: 15}]}
"#;

    #[test]
    fn deployment_with_init_and_sidecar_containers_without_quota() {
        let c = ceilings(DEPLOYMENT);
        // cpu requests: steady = 250m + 100m (log: request = limit) + 100m (sidecar) = 450m;
        // the init container "migrate" runs alone (2) before the sidecar: the pod asks 2
        // memory requests: steady 256 + 64 + 64 = 384Mi > init 64Mi
        // cpu limits: steady 1 + 0.1 + 0.2 = 1.3 < init 2; memory limits 512+64+128 = 704Mi
        assert_eq!(
            c,
            [(
                "Deployment/web".to_string(),
                [2000 * 10, 384 * MI * 10],
                [Some(2000 * 10), Some(704 * MI * 10)],
                false,
                None
            )]
        );
    }

    #[test]
    fn quota_on_limits_caps_and_bounds_the_replicas() {
        let yaml = format!(
            "{DEPLOYMENT}---\napiVersion: v1\nkind: ResourceQuota\nmetadata: {{name: q, namespace: shop}}\nspec:\n  hard: {{limits.cpu: \"8\", limits.memory: 100Gi, requests.cpu: \"6\"}}\n"
        );
        let c = ceilings(&yaml);
        // 8 CPU of limits / 2 per pod = 4 pods; 6 CPU of requests / 2 = 3 pods; memory 100Gi / 704Mi = 145
        assert!(c[0].3);
        assert_eq!(c[0].4, Some(3));
    }

    #[test]
    fn statefulset_with_limit_range_defaults_and_pods_quota() {
        let yaml = r#"
apiVersion: v1
kind: LimitRange
metadata: {name: d, namespace: data}
spec:
  limits:
  - type: Container
    default: {cpu: 500m, memory: 1Gi}
    defaultRequest: {cpu: 100m}
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: count, namespace: data}
spec:
  hard: {pods: "8"}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: cache, namespace: data}
spec:
  template:
    spec:
      containers:
      - {name: cache, image: c}
      - {name: exporter, image: e, resources: {limits: {cpu: 100m, memory: 128Mi}}}
---
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: cache, namespace: data}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: StatefulSet, name: cache}
  maxReplicas: 20
"#;
        let c = ceilings(yaml);
        // cache: limits 500m / 1Gi from default; requests cpu 100m (defaultRequest), memory
        // 1Gi (defaultRequest falls back to default); exporter: requests = limits
        assert_eq!(c[0].1, [(100 + 100) * 20, (GI + 128 * MI) * 20]);
        assert_eq!(c[0].2, [Some(600 * 20), Some((GI + 128 * MI) * 20)]);
        // the pods quota admits 8 replicas with known limits: capped
        assert_eq!((c[0].3, c[0].4), (true, Some(8)));
        // without the LimitRange, the cache container has no limit: unbounded, not capped
        let without = yaml.replacen("kind: LimitRange", "kind: LimitRangeGone", 1);
        let c = ceilings(&without);
        assert_eq!(c[0].2, [None, None]);
        assert!(!c[0].3);
    }

    #[test]
    fn rollouts_by_template_and_by_workload_ref() {
        let yaml = r#"
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: a, namespace: edge}
spec:
  template:
    spec:
      containers: [{name: a, image: a, resources: {limits: {cpu: 250m, memory: 256Mi}}}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: base, namespace: edge}
spec:
  replicas: 0
  template:
    spec:
      containers: [{name: b, image: b, resources: {requests: {cpu: "1", memory: 1Gi}}}]
---
apiVersion: argoproj.io/v1alpha1
kind: Rollout
metadata: {name: b, namespace: edge}
spec:
  workloadRef: {apiVersion: apps/v1, kind: Deployment, name: base}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: a, namespace: edge}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: a}
  maxReplicas: 4
  behavior: {scaleDown: {selectPolicy: Disabled}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: b, namespace: edge}
spec:
  scaleTargetRef: {apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: b}
  maxReplicas: 3
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: edge}
spec:
  hard: {requests.memory: 2Gi}
"#;
        let snap = load_str("t.yaml", yaml);
        let index = Index::new(&snap);
        let c = hpa_ceilings(&index);
        assert_eq!(c[0].requests, [1000, 1024 * MI]);
        assert_eq!(c[0].limits, [Some(1000), Some(1024 * MI)]);
        // 2Gi of memory requests / 256Mi per pod = 8 replicas > 4: capped by count
        assert_eq!(c[0].quota_replicas, Some(8));
        assert!(c[0].capped());
        assert_eq!(c[1].requests, [3000, 3 * GI]);
        assert_eq!(c[1].limits, [None, None]);
        assert!(!c[1].capped());
        let rows = by_namespace(&c);
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.hpas, r.max_replicas, r.capped), (2, 7, false));
        assert_eq!(r.requests, [4000, 4 * GI]);
        assert_eq!(r.limits, [None, None]);
        assert_eq!(r.quota, "requests.memory 2Gi");
    }

    #[test]
    fn hostile_quantities_saturate_instead_of_overflowing() {
        let yaml = r#"
apiVersion: apps/v1
kind: Deployment
metadata: {name: big, namespace: x}
spec:
  template:
    spec:
      initContainers: [{name: i, image: i, resources: {limits: {cpu: 9E, memory: 9Ei}}}]
      containers:
      - {name: a, image: a, resources: {limits: {cpu: 9E, memory: 9Ei}}}
      - {name: b, image: b, resources: {limits: {cpu: 9E, memory: 9Ei}}}
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: big, namespace: x}
spec:
  scaleTargetRef: {kind: Deployment, name: big}
  maxReplicas: 9223372036854775807
---
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: big2, namespace: x}
spec:
  scaleTargetRef: {kind: Deployment, name: big}
  maxReplicas: 9223372036854775807
---
apiVersion: v1
kind: ResourceQuota
metadata: {name: q, namespace: x}
spec:
  hard: {pods: "9223372036854775807"}
"#;
        let c = ceilings(yaml);
        assert_eq!(c[0].1[0], Milli::MAX);
        assert_eq!(c[0].2[1], Some(Milli::MAX));
        let snap = load_str("t.yaml", yaml);
        let rows = scale_ceiling(&Index::new(&snap));
        assert_eq!(rows[0].max_replicas, i64::MAX);
        assert_eq!(rows[0].requests[0], Milli::MAX);
    }

    #[test]
    fn no_hpa_no_rows_and_missing_targets_are_counted() {
        assert!(scale_ceiling(&Index::new(&load_str(
            "t.yaml",
            DEPLOYMENT.split("---").next().unwrap()
        )))
        .is_empty());
        let snap = load_str(
            "t.yaml",
            "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: x, namespace: n}\nspec:\n  scaleTargetRef: {kind: Deployment, name: gone}\n  maxReplicas: 5\n",
        );
        let rows = scale_ceiling(&Index::new(&snap));
        assert_eq!(rows[0].unknown_targets, 1);
        assert!(!rows[0].capped);
    }
}
