use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node, Object};

declare_rule! {
    /// ## What it does
    /// Lists, for review, the L7 HTTP rules of `CiliumNetworkPolicy` and
    /// `CiliumClusterwideNetworkPolicy` objects (`cilium.io`), one finding per `toPorts`
    /// entry that has `rules.http`: the direction, the endpoints the policy selects, the
    /// ports (`port`/`endPort`, protocol) and the HTTP requests allowed there (method,
    /// path, host and header matches; `{}` allows every request). Both the single `spec`
    /// and the `specs` list are read.
    ///
    /// Cilium enforces these rules in its Envoy proxy: on those ports only the listed
    /// requests pass, everything else gets 403. The L3/L4 part of Cilium policies belongs
    /// to the reachability matrix (`kubeward netpol matrix`), not to this rule; DNS and
    /// Kafka L7 rules are not listed.
    ///
    /// ## Why it matters
    /// L7 rules are the finest control a cluster has over who may call which endpoint of an
    /// API (`GET /public/.*` but not `POST /admin`). They are regular expressions that are
    /// easy to get wrong (an unanchored `/api` matches `/api/../admin` rewrites, a
    /// missing method allows every verb), and a reviewer needs to see them per port next to
    /// the L3/L4 matrix to know what is really exposed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: cilium.io/v2
    /// kind: CiliumNetworkPolicy
    /// metadata: {name: api-l7, namespace: shop}
    /// spec:
    ///   endpointSelector: {matchLabels: {app: api}}
    ///   ingress:
    ///   - fromEndpoints: [{matchLabels: {app: web}}]
    ///     toPorts:
    ///     - ports: [{port: "8080", protocol: TCP}]
    ///       rules:
    ///         http: [{method: GET, path: "/api/v1/.*"}]
    /// ```
    ///
    /// ## Fix
    /// Nothing to fix by itself (severity info): check that the methods and paths are
    /// anchored and as narrow as the clients need, and that every port of the workload that
    /// serves HTTP has such rules.
    ///
    /// ## References
    /// - Cilium documentation: "Layer 7 Examples" (HTTP), "Policy Language"
    /// - OWASP API Security Top 10: API5 Broken Function Level Authorization
    pub struct CiliumL7HttpPolicy {
        name: "cilium-l7-http-policy",
        domain: Network,
        severity: Info,
        summary: "CiliumNetworkPolicy L7 HTTP rules, per port",
    }
}

/// `8080/TCP`, `8000-8080/TCP`, `any port` for the `ports` of a `toPorts` entry.
fn describe_ports(entry: &Node) -> String {
    let ports: Vec<String> = entry
        .get("ports")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .map(|p| {
            let port = p
                .get("port")
                .and_then(Node::scalar_text)
                .unwrap_or_else(|| "0".into());
            let port = match p.get("endPort").and_then(Node::scalar_text) {
                Some(end) => format!("{port}-{end}"),
                None => port,
            };
            let port = if port == "0" { "any port".into() } else { port };
            format!("{port}/{}", p.str_at("protocol").unwrap_or("ANY"))
        })
        .collect();
    if ports.is_empty() {
        "every port".into()
    } else {
        bounded_list(ports)
    }
}

/// `GET /api/.* (host api.example.com, 1 header match)`; `any request` for `{}`.
fn describe_http(rule: &Node) -> String {
    let method = rule.str_at("method").filter(|m| !m.is_empty());
    let path = rule.str_at("path").filter(|p| !p.is_empty());
    let mut s = match (method, path) {
        (None, None) => "any request".to_string(),
        (m, p) => format!("{} {}", m.unwrap_or("any method"), p.unwrap_or("any path")),
    };
    let mut extra = Vec::new();
    if let Some(h) = rule.str_at("host").filter(|h| !h.is_empty()) {
        extra.push(format!("host {h}"));
    }
    let headers = rule.get("headers").map_or(0, |h| h.items().len())
        + rule.get("headerMatches").map_or(0, |h| h.items().len());
    if headers > 0 {
        extra.push(format!("{headers} header match(es)"));
    }
    if !extra.is_empty() {
        s.push_str(&format!(" ({})", extra.join(", ")));
    }
    s
}

fn describe_endpoints(rule: &Node) -> String {
    let sel = rule
        .get("endpointSelector")
        .map(kubeward_model::Selector::from_label_selector);
    match sel {
        Some(s) if !s.is_empty() => super::util::describe_selector(&s),
        Some(_) => "every endpoint".into(),
        None => match rule.get("nodeSelector") {
            Some(_) => "nodes".into(),
            None => "every endpoint".into(),
        },
    }
}

impl CiliumL7HttpPolicy {
    fn check_rule(
        &self,
        cx: &Context<'_>,
        obj: &Object,
        base: FieldPath,
        rule: &Node,
        out: &mut Vec<Finding>,
    ) {
        for dir in ["ingress", "egress"] {
            for (i, r) in rule
                .get(dir)
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .enumerate()
            {
                for (j, entry) in r
                    .get("toPorts")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    let Some(http) = entry.get("rules").and_then(|x| x.get("http")) else {
                        continue;
                    };
                    let reqs: Vec<String> = http.items().iter().map(describe_http).collect();
                    let allowed = if reqs.is_empty() {
                        "no request (an empty http list)".to_string()
                    } else {
                        bounded_list(&reqs)
                    };
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        obj,
                        &base.key(dir).index(i).key("toPorts").index(j).key("rules").key("http"),
                        format!(
                            "{} \"{}\" ({dir}, endpoints {}) on {} allows only HTTP {allowed}",
                            obj.kind(),
                            obj.name(),
                            describe_endpoints(rule),
                            describe_ports(entry),
                        ),
                        "Review the HTTP rules: anchored paths, explicit methods, as narrow as the clients need.",
                    ));
                }
            }
        }
    }
}

impl Rule for CiliumL7HttpPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for kind in ["CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy"] {
            for obj in cx
                .index
                .of_kind(kind)
                .filter(|o| o.oref.group() == "cilium.io")
            {
                if let Some(spec) = obj.root.get("spec") {
                    self.check_rule(cx, obj, FieldPath::root().key("spec"), spec, out);
                }
                for (k, spec) in obj
                    .root
                    .get("specs")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    self.check_rule(cx, obj, FieldPath::root().key("specs").index(k), spec, out);
                }
            }
        }
    }
}
