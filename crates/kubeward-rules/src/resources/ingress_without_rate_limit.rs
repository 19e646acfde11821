use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::existing;
use kubeward_model::{effective_namespace, FieldPath, Node, Object, Value};

declare_rule! {
    /// ## What it does
    /// Reports an internet-facing route without a rate limit:
    /// - an `Ingress` served by ingress-nginx (class `nginx`, a class name containing `nginx`,
    ///   or no class: the default controller is usually ingress-nginx) with rules or a default
    ///   backend and none of the annotations `nginx.ingress.kubernetes.io/limit-rps`,
    ///   `limit-rpm`, `limit-connections` or `global-rate-limit` set to a positive number;
    /// - an Istio `Gateway` (`networking.istio.io`), or an `Ingress` of class `istio`, when no
    ///   `EnvoyFilter` of its namespace or of the mesh's root namespace `istio-system` in the
    ///   input configures a rate-limit HTTP filter (`envoy.filters.http.local_ratelimit` or
    ///   `envoy.filters.http.ratelimit`).
    ///
    /// Ingresses of other controllers (Traefik middlewares, Kong plugins, cloud load
    /// balancers with their own WAF) are not judged: their rate limits live in objects this
    /// rule does not read.
    ///
    /// ## Why it matters
    /// Every request that reaches a pod costs CPU and memory, and an autoscaled service turns
    /// a flood into replicas (see `hpa-scale-ceiling-uncapped`). A per-client rate limit at
    /// the edge drops the flood before it reaches the pods, slows credential stuffing on
    /// login routes, and keeps one client from starving the others.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   ingressClassName: nginx
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
    /// ```
    ///
    /// ## Fix
    /// For ingress-nginx, annotate the Ingress:
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     nginx.ingress.kubernetes.io/limit-rps: "20"
    ///     nginx.ingress.kubernetes.io/limit-connections: "10"
    /// ```
    /// For Istio, add an EnvoyFilter with the `envoy.filters.http.local_ratelimit` filter on
    /// the gateway (or a global rate-limit service).
    ///
    /// ## References
    /// - ingress-nginx documentation: "Annotations", section "Rate Limiting"
    /// - Istio documentation: "Enabling Rate Limits using Envoy"
    /// - OWASP API Security Top 10 (2023) API4: "Unrestricted Resource Consumption"
    /// - MITRE ATT&CK: T1498 Network Denial of Service, T1110 Brute Force
    pub struct IngressWithoutRateLimit {
        name: "ingress-without-rate-limit",
        domain: Resources,
        severity: Medium,
        summary: "Internet-facing route has no rate limit",
    }
}

const NGINX_LIMITS: &[&str] = &[
    "nginx.ingress.kubernetes.io/limit-rps",
    "nginx.ingress.kubernetes.io/limit-rpm",
    "nginx.ingress.kubernetes.io/limit-connections",
    "nginx.ingress.kubernetes.io/global-rate-limit",
];

impl Rule for IngressWithoutRateLimit {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let istio_limited = |ns: Option<&str>| {
            [ns, Some("istio-system")].into_iter().flatten().any(|n| {
                cx.index
                    .of_kind_in("EnvoyFilter", Some(n))
                    .any(|f| mentions_rate_limit(&f.root, 0))
            })
        };
        for ing in cx.index.of_kind("Ingress") {
            let spec = ing.spec();
            let routes = spec.get("rules").is_some_and(|r| !r.items().is_empty())
                || spec.get("defaultBackend").is_some()
                || spec.get("backend").is_some();
            if !routes {
                continue;
            }
            let class = spec
                .str_at("ingressClassName")
                .or_else(|| ing.annotation("kubernetes.io/ingress.class"));
            let ns = effective_namespace(ing);
            let (message, fix) = match class {
                None => nginx(
                    ing,
                    "no ingress class (the default controller, usually ingress-nginx)",
                ),
                Some(c) if c.contains("nginx") => nginx(ing, &format!("class \"{c}\"")),
                Some(c) if c.contains("istio") => {
                    if istio_limited(ns) {
                        continue;
                    }
                    (
                        Some(format!("Ingress of class \"{c}\" and no EnvoyFilter of namespace \"{}\" or istio-system in the input configures a rate-limit filter: a flood of requests reaches the pods unthrottled", ns.unwrap_or("default"))),
                        "Add an EnvoyFilter with the envoy.filters.http.local_ratelimit filter on the ingress gateway.",
                    )
                }
                Some(_) => continue,
            };
            let Some(message) = message else { continue };
            push(self, cx, ing, message, fix, out);
        }
        for gw in cx.index.of_kind("Gateway") {
            if !gw.oref.group().ends_with("istio.io") {
                continue;
            }
            let ns = effective_namespace(gw);
            if istio_limited(ns) {
                continue;
            }
            push(
                self,
                cx,
                gw,
                format!(
                    "Istio Gateway and no EnvoyFilter of namespace \"{}\" or istio-system in the input configures a rate-limit filter (envoy.filters.http.local_ratelimit): a flood of requests reaches the pods unthrottled",
                    ns.unwrap_or("default")
                ),
                "Add an EnvoyFilter with the envoy.filters.http.local_ratelimit filter for this gateway's workload.",
                out,
            );
        }
    }
}

/// The finding text for an ingress-nginx Ingress, `None` when it has a positive limit.
fn nginx(ing: &Object, class: &str) -> (Option<String>, &'static str) {
    let limited = NGINX_LIMITS.iter().any(|k| {
        ing.annotation(k).is_some_and(|v| {
            let v = v.trim();
            // global-rate-limit takes a count; the others a number
            v.parse::<f64>().is_ok_and(|n| n > 0.0)
        })
    });
    if limited {
        return (None, "");
    }
    (
        Some(format!(
            "Ingress with {class} sets none of nginx.ingress.kubernetes.io/limit-rps, limit-rpm, limit-connections or global-rate-limit: \
             every client may send as many requests as the pods can take"
        )),
        "Annotate the Ingress with nginx.ingress.kubernetes.io/limit-rps (and limit-connections), for example \"20\".",
    )
}

fn push(
    rule: &IngressWithoutRateLimit,
    cx: &Context<'_>,
    o: &Object,
    message: String,
    fix: &str,
    out: &mut Vec<Finding>,
) {
    let _ = rule;
    let path = existing(o, &FieldPath::root().key("metadata").key("annotations"));
    out.push(Finding::new(
        IngressWithoutRateLimit::META.name,
        IngressWithoutRateLimit::META.severity,
        cx.snapshot,
        o,
        &path,
        message,
        fix,
    ));
}

/// Whether a string of the tree (an EnvoyFilter's patch) names Envoy's rate-limit filters.
fn mentions_rate_limit(n: &Node, depth: usize) -> bool {
    if depth > 40 {
        return false;
    }
    match &n.value {
        Value::Str(s) => s.contains("local_ratelimit") || s.contains("filters.http.ratelimit"),
        Value::Seq(items) => items.iter().any(|i| mentions_rate_limit(i, depth + 1)),
        Value::Map(entries) => entries
            .iter()
            .any(|e| e.key.contains("local_ratelimit") || mentions_rate_limit(&e.value, depth + 1)),
        _ => false,
    }
}
