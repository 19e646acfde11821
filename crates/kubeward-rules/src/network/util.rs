//! Small helpers shared by the network rules.

use kubeward_model::index::BUILTIN_API_GROUPS as BUILTIN_GROUPS;
use kubeward_model::{effective_namespace, Index, Node, Object, PodTemplate, Selector};
use std::collections::{HashMap, HashSet};

/// `spec.type` of a Service (`ClusterIP` when unset).
pub fn service_type(svc: &Object) -> &str {
    svc.spec().str_at("type").unwrap_or("ClusterIP")
}

/// Whether a Service makes the pods it selects reachable from outside the cluster, as the
/// exposure rules judge it: a `LoadBalancer` reachable from any address
/// (`service-load-balancer` at its base severity) or a `NodePort` (`service-node-port`).
pub fn exposes_publicly(svc: &Object) -> bool {
    match service_type(svc) {
        "LoadBalancer" => super::service_load_balancer::reachable_from_anywhere(svc),
        "NodePort" => true,
        _ => false,
    }
}

/// The Services an Ingress routes to, default backend first (`service.name` of
/// `networking.k8s.io/v1`, `serviceName` of the older versions), each once.
pub fn ingress_backends(ing: &Object) -> Vec<&str> {
    let spec = ing.spec();
    let rules = spec.get("rules").map(Node::items).unwrap_or(&[]);
    let backends = spec
        .get("defaultBackend")
        .or_else(|| spec.get("backend"))
        .into_iter()
        .chain(rules.iter().flat_map(|r| {
            r.get("http")
                .and_then(|h| h.get("paths"))
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(|p| p.get("backend"))
        }));
    let mut out: Vec<&str> = Vec::new();
    for b in backends {
        let name = b
            .get("service")
            .and_then(|s| s.str_at("name"))
            .or_else(|| b.str_at("serviceName"));
        if let Some(n) = name.filter(|n| !n.is_empty() && !out.contains(n)) {
            out.push(n);
        }
    }
    out
}

/// The selector of a Service, when it has a non-empty one (a Service without selector
/// selects no pod: its endpoints are managed by hand).
pub fn service_selector(svc: &Object) -> Option<Selector> {
    if service_type(svc) == "ExternalName" {
        return None;
    }
    let sel = Selector::from_map(svc.spec().get("selector")?);
    (!sel.is_empty()).then_some(sel)
}

/// Labels that controllers add to the pods they create, by controller kind: a selector may
/// use them although the pod template does not carry them.
fn controller_labels(kind: &str) -> &'static [&'static str] {
    match kind {
        "StatefulSet" => &[
            "statefulset.kubernetes.io/pod-name",
            "apps.kubernetes.io/pod-index",
            "controller-revision-hash",
        ],
        "Deployment" => &["pod-template-hash"],
        "DaemonSet" => &["controller-revision-hash", "pod-template-generation"],
        "Job" | "CronJob" => &[
            "job-name",
            "batch.kubernetes.io/job-name",
            "controller-uid",
            "batch.kubernetes.io/controller-uid",
            "batch.kubernetes.io/job-completion-index",
        ],
        _ => &[],
    }
}

/// Whether a selector matches the pods a template stamps out, counting the labels their
/// controller adds (for which any value is accepted).
pub fn matches_template(sel: &Selector, t: &PodTemplate<'_>) -> bool {
    let added = controller_labels(t.object.kind());
    let labels = t.meta.get("labels");
    let label = |k: &str| labels.and_then(|l| l.str_at(k));
    // labels the controller adds match any value: skip them instead of copying the selector
    if added.is_empty() {
        return sel.matches(label);
    }
    sel.labels
        .iter()
        .filter(|(k, _)| !added.contains(&k.as_str()))
        .all(|(k, v)| label(k) == Some(v.as_str()))
        && sel
            .expressions
            .iter()
            .filter(|r| !added.contains(&r.key.as_str()))
            .all(|r| r.matches(label(&r.key)))
}

/// Custom resource kinds known not to create pods (monitoring, certificates, routing,
/// mesh and secret-sync configuration).
const INERT_CUSTOM_KINDS: &[&str] = &[
    "ServiceMonitor",
    "PodMonitor",
    "PrometheusRule",
    "Probe",
    "ScrapeConfig",
    "Certificate",
    "Issuer",
    "CertificateRequest",
    "HTTPRoute",
    "GRPCRoute",
    "TCPRoute",
    "TLSRoute",
    "UDPRoute",
    "ReferenceGrant",
    "VirtualService",
    "DestinationRule",
    "ServiceEntry",
    "PeerAuthentication",
    "RequestAuthentication",
    "AuthorizationPolicy",
    "Sidecar",
    "EnvoyFilter",
    "Telemetry",
    "WorkloadEntry",
    "ExternalSecret",
    "SecretStore",
    "SealedSecret",
    "IngressRoute",
    "Middleware",
    "BackendConfig",
    "FrontendConfig",
    "ManagedCertificate",
    "VerticalPodAutoscaler",
    "ScaledObject",
    "PodMonitoring",
    "HealthCheckPolicy",
    "GCPBackendPolicy",
];

/// The pod templates of one namespace, indexed by label so that a selector is matched
/// against the few templates carrying one of its labels rather than against all of them
/// (10,000 Services and pods in one namespace were 10⁸ matches).
#[derive(Default)]
struct NsTemplates<'a, 's> {
    all: Vec<&'a PodTemplate<'s>>,
    /// (key, value) → indices into `all`.
    by_label: HashMap<(&'s str, &'s str), Vec<u32>>,
    /// key → indices of templates that carry it (any value).
    by_key: HashMap<&'s str, Vec<u32>>,
    /// controller-added key → indices of templates whose controller adds it.
    added: HashMap<&'static str, Vec<u32>>,
}

impl<'a, 's> NsTemplates<'a, 's> {
    fn push(&mut self, t: &'a PodTemplate<'s>) {
        let i = self.all.len() as u32;
        self.all.push(t);
        for (k, v) in t.labels() {
            self.by_label.entry((k, v)).or_default().push(i);
            let keyed = self.by_key.entry(k).or_default();
            if keyed.last() != Some(&i) {
                keyed.push(i);
            }
        }
        for k in controller_labels(t.object.kind()) {
            self.added.entry(k).or_default().push(i);
        }
    }

    /// Templates that may match `sel` (a superset of the matching ones): through its most
    /// selective label, else its `In`/`Exists` expressions, else all.
    fn candidates(&self, sel: &Selector) -> Vec<u32> {
        let none: &[u32] = &[];
        let added = |k: &str| self.added.get(k).map_or(none, Vec::as_slice);
        let mut best: Option<Vec<u32>> = None;
        let mut consider = |c: Vec<u32>| {
            if best.as_ref().is_none_or(|b| c.len() < b.len()) {
                best = Some(c);
            }
        };
        for (k, v) in &sel.labels {
            let mut c = self
                .by_label
                .get(&(k.as_str(), v.as_str()))
                .map_or(none, Vec::as_slice)
                .to_vec();
            c.extend_from_slice(added(k));
            consider(c);
        }
        for r in &sel.expressions {
            let mut c: Vec<u32> = match r.operator.as_str() {
                "In" => r
                    .values
                    .iter()
                    .flat_map(|v| {
                        self.by_label
                            .get(&(r.key.as_str(), v.as_str()))
                            .map_or(none, Vec::as_slice)
                    })
                    .copied()
                    .collect(),
                "Exists" => self
                    .by_key
                    .get(r.key.as_str())
                    .map_or(none, Vec::as_slice)
                    .to_vec(),
                _ => continue,
            };
            c.extend_from_slice(added(&r.key));
            consider(c);
        }
        best.unwrap_or_else(|| (0..self.all.len() as u32).collect())
    }
}

/// The identity of a pod template of the index (an object may have several).
pub fn template_id(t: &PodTemplate<'_>) -> usize {
    t as *const PodTemplate<'_> as usize
}

/// Pod templates grouped and indexed by namespace, and the namespaces where an operator may
/// create pods the input does not show; built once per rule run.
pub struct Namespaces<'a, 's> {
    templates: HashMap<Option<&'s str>, NsTemplates<'a, 's>>,
    operated: HashSet<Option<&'s str>>,
}

impl<'a, 's> Namespaces<'a, 's> {
    pub fn new(index: &'a Index<'s>) -> Self {
        let mut templates: HashMap<Option<&'s str>, NsTemplates<'a, 's>> = HashMap::new();
        for t in index.pod_templates() {
            templates
                .entry(effective_namespace(t.object))
                .or_default()
                .push(t);
        }
        let operated = index
            .snapshot
            .objects
            .iter()
            .filter(|o| {
                !BUILTIN_GROUPS.contains(&o.oref.group())
                    && !INERT_CUSTOM_KINDS.contains(&o.kind())
                    && PodTemplate::of(o).is_none()
            })
            .map(effective_namespace)
            .collect();
        Namespaces {
            templates,
            operated,
        }
    }

    /// Whether a selector that matches no pod template of the namespace cannot be judged:
    /// the input has no pod template there at all, the namespace holds custom resources an
    /// operator may turn into pods (a Prometheus, a database Cluster...), or none of the
    /// selector's keys is used by the namespace's templates (the pods come from elsewhere,
    /// rather than a mistyped value).
    pub fn cannot_judge(&self, namespace: Option<&'s str>, sel: &Selector) -> bool {
        let Some(ns) = self.templates.get(&namespace).filter(|t| !t.all.is_empty()) else {
            return true;
        };
        if self.operated.contains(&namespace) {
            return true;
        }
        let mut keys = sel
            .labels
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(sel.expressions.iter().map(|r| r.key.as_str()));
        !keys.any(|k| ns.by_key.contains_key(k) || ns.added.contains_key(k))
    }

    /// The pod templates of the namespace that a selector matches (each once).
    pub fn selected<'x>(
        &'x self,
        namespace: Option<&'s str>,
        sel: &'x Selector,
    ) -> impl Iterator<Item = &'a PodTemplate<'s>> + 'x {
        let ns = self.templates.get(&namespace);
        let mut c = ns.map(|ns| ns.candidates(sel)).unwrap_or_default();
        c.sort_unstable();
        c.dedup();
        c.into_iter().filter_map(move |i| {
            let t = *ns?.all.get(i as usize)?;
            matches_template(sel, t).then_some(t)
        })
    }

    /// Whether a selector matches some pod template of the namespace.
    pub fn selects_any(&self, namespace: Option<&'s str>, sel: &Selector) -> bool {
        self.selected(namespace, sel).next().is_some()
    }
}

/// `app=web, tier in (a,b)` for messages.
pub fn describe_selector(sel: &Selector) -> String {
    let mut parts: Vec<String> = sel.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    for r in &sel.expressions {
        parts.push(match r.operator.as_str() {
            "Exists" => r.key.clone(),
            "DoesNotExist" => format!("!{}", r.key),
            op => format!("{} {} ({})", r.key, op.to_lowercase(), r.values.join(",")),
        });
    }
    parts.join(", ")
}

/// The finding for `obj` when its selector at `spec.<field>` matches no pod template of its
/// namespace and the namespace can be judged (see [`Namespaces::cannot_judge`]).
pub fn selects_nothing(
    cx: &crate::rule::Context<'_>,
    namespaces: &Namespaces<'_, '_>,
    meta: &'static crate::rule::RuleMeta,
    obj: &Object,
    field: &str,
    sel: &Selector,
    remediation: &str,
) -> Option<crate::finding::Finding> {
    if sel.is_empty() {
        return None;
    }
    let ns = effective_namespace(obj);
    if namespaces.selects_any(ns, sel) || namespaces.cannot_judge(ns, sel) {
        return None;
    }
    Some(crate::finding::Finding::new(
        meta.name,
        meta.severity,
        cx.snapshot,
        obj,
        &kubeward_model::FieldPath::root().key("spec").key(field),
        format!(
            "{} \"{}\" selects {} but no pod template in namespace {} has these labels",
            obj.kind(),
            obj.name(),
            describe_selector(sel),
            ns.unwrap_or("default")
        ),
        remediation,
    ))
}
