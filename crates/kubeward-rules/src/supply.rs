//! The `supply-chain` domain: findings about what runs inside the images.
//!
//! Manifests alone do not say what is inside an image: these rules read the
//! [`ImageFacts`](crate::facts::ImageFacts) the engine is given (`kubeward scan --inventory`
//! adapts the image inventory to it) and are silent without them. Their findings are
//! suppressed, baselined and reported like every other rule's.

use crate::declare_rule;
use crate::facts::{ImageVulnerabilities, ImageVulnerability, VulnerabilityLevel};
use crate::finding::{bounded_list, fingerprint, Finding, Severity};
use crate::network::util::{
    exposes_publicly, ingress_backends, service_selector, service_type, template_id, Namespaces,
};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, ObjectRef, PodTemplate};
use std::collections::HashMap;

declare_rule! {
    /// ## What it does
    /// Reports a container whose image is in the kubeward inventory with known
    /// vulnerabilities: one finding per vulnerability and container, from the image's last
    /// match (`kubeward inventory rescan`). The image is looked up by digest when the
    /// manifest pins one (`image: repo@sha256:...`), else by its reference.
    ///
    /// The finding's severity is the vulnerability's (unknown counts as `low`), raised one
    /// level when the workload is exposed to the internet or runs privileged or with a
    /// `hostPath` volume: there a vulnerability is reachable, or its exploitation reaches the
    /// node. Exposure is judged as the network rules judge it: the workload's pods are
    /// selected (controller-added labels counted) by a `LoadBalancer` Service reachable from
    /// any address (not internal, no restricting source ranges: what `service-load-balancer`
    /// reports at medium), by a `NodePort` Service, or by a Service an Ingress routes to. The
    /// message says why a finding was raised.
    ///
    /// Only `kubeward scan --inventory [PATH]` gives the engine the inventory's facts;
    /// without `--inventory` the rule is silent.
    ///
    /// ## Why it matters
    /// A manifest can be perfectly hardened and still run a library with a remote code
    /// execution bug. Advisories keep arriving after an image is built, so an image that was
    /// clean at release becomes vulnerable while it runs; tying the inventory's matches to
    /// the workloads that run the image says which deployments to rebuild first.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: registry.example/shop/web:1.0   # inventory: lodash 4.17.15, GHSA-p6mc-m468-83gw
    /// ```
    /// With `kubeward inventory add registry.example/shop/web:1.0` and
    /// `kubeward inventory rescan --db osv/`, `kubeward scan --inventory manifests/` reports
    /// the lodash vulnerability on `Deployment shop/web`.
    ///
    /// ## Fix
    /// Rebuild the image with the fixed package version the finding names (or a newer base
    /// image), push it, and deploy it pinned by digest; then `kubeward inventory add` the new
    /// image. Where no fix exists, reduce the exposure (ClusterIP, NetworkPolicy, no
    /// privileges) or record an OpenVEX statement if the vulnerable code is not reachable.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Threat model" and "Audit logging and threat
    ///   detection" (scan images for vulnerabilities, continuously)
    /// - CIS Kubernetes Benchmark v1.10 5.5.1 "Configure Image Provenance using ImagePolicyWebhook admission controller"
    /// - MITRE ATT&CK T1190: Exploit Public-Facing Application
    /// - OSV schema: <https://ossf.github.io/osv-schema/>
    pub struct VulnerableImage {
        name: "vulnerable-image",
        domain: SupplyChain,
        severity: High,
        summary: "Container image has known vulnerabilities (from the image inventory)",
    }
}

/// Why a workload's vulnerabilities rank higher, with the objects that make it so.
#[derive(Default)]
struct Exposure {
    reasons: Vec<String>,
    related: Vec<ObjectRef>,
}

/// The internet exposure of every pod template selected by an exposing Service or by a
/// Service an Ingress routes to, by [`template_id`].
fn exposures(cx: &Context<'_>) -> HashMap<usize, Exposure> {
    let namespaces = Namespaces::new(cx.index);
    let mut out: HashMap<usize, Exposure> = HashMap::new();
    for svc in cx.index.of_kind("Service") {
        if !exposes_publicly(svc) {
            continue;
        }
        let Some(sel) = service_selector(svc) else {
            continue;
        };
        for t in namespaces.selected(effective_namespace(svc), &sel) {
            let e = out.entry(template_id(t)).or_default();
            e.reasons.push(format!(
                "exposed to the internet by {} Service {}",
                service_type(svc),
                svc.oref.display()
            ));
            e.related.push(svc.oref.clone());
        }
    }
    for ing in cx.index.of_kind("Ingress") {
        let ns = effective_namespace(ing);
        // one reason per Ingress and workload, naming the first backend that selects it
        let mut reached: HashMap<usize, &str> = HashMap::new();
        for name in ingress_backends(ing) {
            let Some(sel) = cx.index.get("Service", ns, name).and_then(service_selector) else {
                continue;
            };
            for t in namespaces.selected(ns, &sel) {
                let id = template_id(t);
                if reached.contains_key(&id) {
                    continue;
                }
                reached.insert(id, name);
                let e = out.entry(id).or_default();
                e.reasons.push(format!(
                    "exposed to the internet by Ingress {} (Service {name})",
                    ing.oref.display()
                ));
                e.related.push(ing.oref.clone());
            }
        }
    }
    out
}

/// The exposure of one template: the Services and Ingresses that reach it, and the
/// privileges that let an exploit reach the node.
fn exposure_of(exposed: &HashMap<usize, Exposure>, t: &PodTemplate<'_>) -> Exposure {
    let mut e = Exposure::default();
    if let Some(x) = exposed.get(&template_id(t)) {
        e.reasons.clone_from(&x.reasons);
        e.related.clone_from(&x.related);
    }
    let privileged = t
        .containers()
        .iter()
        .any(|c| c.security_context().bool_at("privileged") == Some(true));
    if privileged {
        e.reasons.push("a container runs privileged".into());
    }
    if let Some(v) = t.volumes().iter().find(|v| v.source_type == "hostPath") {
        e.reasons.push(format!(
            "mounts the node's filesystem (hostPath volume {:?})",
            v.name
        ));
    }
    e
}

/// The finding severity of a vulnerability: its own (unknown, none and low are `low`).
fn base_severity(v: &ImageVulnerability) -> Severity {
    match v.severity {
        Some(VulnerabilityLevel::Critical) => Severity::Critical,
        Some(VulnerabilityLevel::High) => Severity::High,
        Some(VulnerabilityLevel::Medium) => Severity::Medium,
        _ => Severity::Low,
    }
}

/// One level up.
fn bump(s: Severity) -> Severity {
    match s {
        Severity::Info => Severity::Low,
        Severity::Low => Severity::Medium,
        Severity::Medium => Severity::High,
        Severity::High | Severity::Critical => Severity::Critical,
    }
}

impl Rule for VulnerableImage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// One finding per container and known vulnerability of its image; nothing without image
    /// facts.
    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let Some(facts) = cx.image_facts else {
            return;
        };
        let rule = Self::META.name;
        let mut known: HashMap<&str, Option<ImageVulnerabilities>> = HashMap::new();
        let mut exposed: Option<HashMap<usize, Exposure>> = None;
        for t in cx.index.pod_templates() {
            let mut exposure: Option<Exposure> = None;
            for c in t.containers() {
                let Some(image) = c.image().filter(|i| !i.trim().is_empty()) else {
                    continue;
                };
                let Some(rec) = known
                    .entry(image)
                    .or_insert_with(|| facts.vulnerabilities(image))
                else {
                    continue;
                };
                if rec.vulnerabilities.is_empty() {
                    continue;
                }
                let e = exposure.get_or_insert_with(|| {
                    exposure_of(exposed.get_or_insert_with(|| exposures(cx)), t)
                });
                let image_path: FieldPath = t.path(&c.rel_path().key("image"));
                for v in &rec.vulnerabilities {
                    let base = base_severity(v);
                    let (severity, why) = if e.reasons.is_empty() {
                        (base, String::new())
                    } else {
                        (
                            bump(base),
                            format!(
                                "; ranked {} instead of {base}: the workload {}",
                                bump(base),
                                bounded_list(&e.reasons)
                            ),
                        )
                    };
                    let fix = match &v.fixed_in {
                        Some(f) => format!("fixed in {f}"),
                        None => "no fix known".into(),
                    };
                    let message = format!(
                        "container {:?} runs {} with {} ({} severity) in {} {} ({fix}){why}",
                        c.name,
                        rec.reference,
                        v.id,
                        v.severity.map_or("unknown", VulnerabilityLevel::as_str),
                        v.package,
                        v.version,
                    );
                    let remediation = match &v.fixed_in {
                        Some(f) => format!(
                            "rebuild the image with {} {f} or later, deploy it pinned by digest, and add it to the inventory",
                            v.package
                        ),
                        None => format!(
                            "no fixed version of {} is known: reduce the workload's exposure and privileges, or record an OpenVEX statement if the code is not reachable",
                            v.package
                        ),
                    };
                    let mut f = Finding::new(
                        rule,
                        severity,
                        cx.snapshot,
                        t.object,
                        &image_path,
                        message,
                        remediation,
                    );
                    // one finding per vulnerability and package: the path alone is not unique
                    f.fingerprint = fingerprint(
                        rule,
                        &t.object.oref,
                        &format!("{}#{}@{}", image_path, v.id, v.package),
                    );
                    f.set_related(&e.related);
                    out.push(f);
                }
            }
        }
    }
}

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&VulnerableImage]
}
