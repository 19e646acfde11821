//! `kubeward netpol suggest`: per namespace of the input, a default-deny NetworkPolicy
//! (ingress and egress) and the allowances its Services, Ingresses and DNS need, written as
//! YAML with comments for a person to review before applying.
//!
//! What is suggested, per namespace that has pod templates in the input (`kube-system`,
//! `kube-public` and `kube-node-lease` excepted, as are `hostNetwork` pods, which policies
//! cannot isolate):
//!
//! - `default-deny`: `podSelector: {}`, `policyTypes: [Ingress, Egress]`;
//! - `allow-dns`: egress from every pod to kube-dns (`kube-system`, `k8s-app: kube-dns`) on
//!   53/UDP and 53/TCP;
//! - `allow-same-namespace`: ingress from and egress to the namespace's own pods, so the
//!   default deny does not cut the calls inside the namespace (review: narrow it);
//! - `allow-<service>`: for each Service with a selector, ingress to the pods it selects on
//!   its target ports, from the namespace's pods, from the Ingress controllers' namespaces
//!   when an Ingress routes to it, and from `loadBalancerSourceRanges` (or every address,
//!   with a warning) when it is a LoadBalancer or NodePort.
//!
//! Every string taken from the input is written as a double-quoted YAML scalar (JSON string
//! syntax), so a hostile name cannot change the structure of the output.

use kubeward_model::{effective_namespace, Index, Node, Object, Snapshot};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

/// Namespaces left to the cluster's operators.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Words in an image name that mark an Ingress controller.
const CONTROLLER_IMAGES: &[&str] = &[
    "ingress-nginx",
    "nginx-ingress",
    "traefik",
    "haproxy-ingress",
    "kubernetes-ingress",
    "contour",
    "kong",
    "skipper",
];

/// The namespace assumed for the Ingress controller when the input shows none.
const DEFAULT_CONTROLLER_NAMESPACE: &str = "ingress-nginx";

/// One port a Service sends traffic to on its pods.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct TargetPort {
    /// A number or a container port name.
    pub port: String,
    pub protocol: String,
    pub numeric: bool,
}

/// The allowance one Service needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceAllowance {
    pub service: String,
    pub service_type: String,
    pub selector: BTreeMap<String, String>,
    pub ports: Vec<TargetPort>,
    /// Ingresses (`namespace/name`) that route to the Service.
    pub ingresses: Vec<String>,
    /// Source CIDRs of a LoadBalancer / NodePort (empty when not exposed that way).
    pub external_sources: Vec<String>,
    /// Whether the external sources are the whole internet because none are set.
    pub open_to_internet: bool,
}

/// What is suggested for one namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceSuggestion {
    pub namespace: String,
    pub workloads: Vec<String>,
    pub services: Vec<ServiceAllowance>,
    /// Policies of the input already in the namespace (`NetworkPolicy` names).
    pub existing_policies: Vec<String>,
}

/// The suggestion for the whole input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub namespaces: Vec<NamespaceSuggestion>,
    /// Namespaces the Ingress controllers run in (found in the input, or the default).
    pub controller_namespaces: Vec<String>,
    /// Whether the controller namespaces were found in the input.
    pub controllers_found: bool,
}

fn service_type(svc: &Object) -> &str {
    svc.spec().str_at("type").unwrap_or("ClusterIP")
}

/// The Services an Ingress routes to (default backend and rule backends).
fn ingress_backends(ing: &Object) -> BTreeSet<String> {
    let spec = ing.spec();
    let mut out = BTreeSet::new();
    let mut add = |b: &Node| {
        let name = b
            .get("service")
            .and_then(|s| s.str_at("name"))
            .or_else(|| b.str_at("serviceName"));
        if let Some(n) = name.filter(|n| !n.is_empty()) {
            out.insert(n.to_string());
        }
    };
    if let Some(b) = spec.get("defaultBackend").or_else(|| spec.get("backend")) {
        add(b);
    }
    for r in spec.get("rules").map(Node::items).unwrap_or(&[]) {
        let paths = r.get("http").and_then(|h| h.get("paths"));
        for p in paths.map(Node::items).unwrap_or(&[]) {
            if let Some(b) = p.get("backend") {
                add(b);
            }
        }
    }
    out
}

fn source_ranges(svc: &Object) -> Vec<String> {
    let field: Vec<String> = svc
        .spec()
        .get("loadBalancerSourceRanges")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::scalar_text)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !field.is_empty() {
        return field;
    }
    svc.annotation("service.beta.kubernetes.io/load-balancer-source-ranges")
        .map(|a| {
            a.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Computes the suggestion for an input.
pub fn suggest(snapshot: &Snapshot) -> Suggestion {
    let index = Index::new(snapshot);
    let mut workloads: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut controllers: BTreeSet<String> = BTreeSet::new();
    for t in index.pod_templates() {
        let ns = effective_namespace(t.object).unwrap_or("default");
        if t.containers().iter().any(|c| {
            c.image().is_some_and(|i| {
                let i = i.to_ascii_lowercase();
                CONTROLLER_IMAGES.iter().any(|w| i.contains(w))
            })
        }) {
            controllers.insert(ns.to_string());
        }
        if t.host_network() || t.spec.is_null() || SYSTEM_NAMESPACES.contains(&ns) {
            continue;
        }
        workloads.entry(ns.to_string()).or_default().insert(format!(
            "{} {}",
            t.object.kind(),
            t.object.name()
        ));
    }
    let mut routed: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for ing in index.of_kind("Ingress") {
        let ns = effective_namespace(ing).unwrap_or("default");
        for svc in ingress_backends(ing) {
            routed
                .entry((ns.to_string(), svc))
                .or_default()
                .push(format!("{ns}/{}", ing.name()));
        }
    }
    let mut namespaces = Vec::new();
    for (ns, w) in workloads {
        let mut services = Vec::new();
        let mut svcs: Vec<&Object> = index.of_kind_in("Service", Some(&ns)).collect();
        svcs.sort_by(|a, b| a.name().cmp(b.name()));
        for svc in svcs {
            let ty = service_type(svc);
            let selector: BTreeMap<String, String> = svc
                .spec()
                .get("selector")
                .map(Node::entries)
                .unwrap_or(&[])
                .iter()
                .filter_map(|e| Some((e.key.to_string(), e.value.scalar_text()?)))
                .collect();
            if ty == "ExternalName" || selector.is_empty() {
                continue;
            }
            let mut ports: Vec<TargetPort> = svc
                .spec()
                .get("ports")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(|p| {
                    let target = p
                        .get("targetPort")
                        .filter(|t| !t.is_null())
                        .or_else(|| p.get("port"))?;
                    Some(TargetPort {
                        port: target.scalar_text()?,
                        protocol: p.str_at("protocol").unwrap_or("TCP").to_string(),
                        numeric: target.as_i64().is_some(),
                    })
                })
                .collect();
            ports.sort();
            ports.dedup();
            let exposed = matches!(ty, "LoadBalancer" | "NodePort");
            let ranges = if ty == "LoadBalancer" {
                source_ranges(svc)
            } else {
                Vec::new()
            };
            let open = exposed && ranges.is_empty();
            services.push(ServiceAllowance {
                service: svc.name().to_string(),
                service_type: ty.to_string(),
                selector,
                ports,
                ingresses: routed
                    .get(&(ns.clone(), svc.name().to_string()))
                    .cloned()
                    .unwrap_or_default(),
                external_sources: if open {
                    vec!["0.0.0.0/0".into(), "::/0".into()]
                } else {
                    ranges
                },
                open_to_internet: open,
            });
        }
        let mut existing: Vec<String> = index
            .of_kind_in("NetworkPolicy", Some(&ns))
            .filter(|o| o.oref.group() == "networking.k8s.io")
            .map(|o| o.name().to_string())
            .collect();
        existing.sort();
        namespaces.push(NamespaceSuggestion {
            namespace: ns,
            workloads: w.into_iter().collect(),
            services,
            existing_policies: existing,
        });
    }
    let controllers_found = !controllers.is_empty();
    if !controllers_found {
        controllers.insert(DEFAULT_CONTROLLER_NAMESPACE.into());
    }
    Suggestion {
        namespaces,
        controller_namespaces: controllers.into_iter().collect(),
        controllers_found,
    }
}

/// A double-quoted YAML scalar (JSON string syntax is valid YAML); characters unsafe on a
/// terminal (controls, bidirectional overrides) are written as `\uXXXX` escapes, which keep
/// the value.
fn q(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
    let mut out = String::with_capacity(json.len());
    for ch in json.chars() {
        if kubeward_io::terminal::is_unsafe(ch) {
            let mut buf = [0u16; 2];
            for unit in ch.encode_utf16(&mut buf) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        } else {
            out.push(ch);
        }
    }
    out
}

/// A comment line safe to print: input text with line breaks and other unsafe characters
/// escaped (`kubeward_io::terminal::escape`).
fn c(s: &str) -> String {
    kubeward_io::terminal::escape(s).into_owned()
}

/// A NetworkPolicy name made from a Service name (a DNS-1123 subdomain of at most 253
/// characters).
fn policy_name(prefix: &str, name: &str) -> String {
    let mut n: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '.' {
                ch
            } else {
                '-'
            }
        })
        .collect();
    n.truncate(253 - prefix.len());
    format!("{prefix}{}", n.trim_end_matches(['-', '.']))
}

/// The name of a suggested policy: `suggested-<base>`, with `-2`, `-3`... when the input
/// already has a policy of that name in the namespace (applying must not replace it).
fn free_name(base: &str, existing: &[String]) -> String {
    let name = policy_name("suggested-", base);
    if !existing.contains(&name) {
        return name;
    }
    (2..)
        .map(|i| format!("{name}-{i}"))
        .find(|n| !existing.contains(n))
        .unwrap_or(name)
}

fn header(out: &mut String, kind_comment: &str, name: &str, ns: &str) {
    let _ = writeln!(out, "---");
    for line in kind_comment.lines() {
        let _ = writeln!(out, "# {}", c(line));
    }
    let _ = writeln!(out, "apiVersion: networking.k8s.io/v1");
    let _ = writeln!(out, "kind: NetworkPolicy");
    let _ = writeln!(out, "metadata:");
    let _ = writeln!(out, "  name: {}", q(name));
    let _ = writeln!(out, "  namespace: {}", q(ns));
    let _ = writeln!(out, "  labels:");
    let _ = writeln!(
        out,
        "    app.kubernetes.io/managed-by: kubeward-netpol-suggest"
    );
}

/// The suggestion as YAML documents with comments, namespaces in name order.
pub fn to_yaml(s: &Suggestion) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# NetworkPolicies suggested by `kubeward netpol suggest`: a default deny per namespace\n\
         # and the allowances its Services, Ingresses and DNS need. Review every policy before\n\
         # applying: calls the manifests do not show (to other namespaces, to external APIs,\n\
         # to the API server) are denied by the default deny until you allow them."
    );
    let controllers = s
        .controller_namespaces
        .iter()
        .map(|n| c(n))
        .collect::<Vec<_>>()
        .join(", ");
    if s.namespaces.is_empty() {
        let _ = writeln!(
            out,
            "# The input has no workloads outside the system namespaces: nothing to suggest."
        );
    }
    for ns in &s.namespaces {
        let name = ns.namespace.as_str();
        let _ = writeln!(out, "\n# ===== namespace {} =====", c(name));
        let _ = writeln!(out, "# workloads: {}", c(&bounded(&ns.workloads)));
        if !ns.existing_policies.is_empty() {
            let _ = writeln!(
                out,
                "# existing NetworkPolicies (kept; policies add up): {}",
                c(&bounded(&ns.existing_policies))
            );
        }
        header(
            &mut out,
            "Deny every connection to and from the namespace's pods that another policy does not allow.",
            &free_name("default-deny", &ns.existing_policies),
            name,
        );
        let _ = writeln!(
            out,
            "spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]"
        );

        header(
            &mut out,
            "DNS: every pod may query kube-dns (CoreDNS) in kube-system.\nAdjust if the cluster resolves elsewhere (node-local DNS cache: an ipBlock of its address).",
            &free_name("allow-dns", &ns.existing_policies),
            name,
        );
        let _ = writeln!(
            out,
            "spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: kube-system\n      podSelector:\n        matchLabels:\n          k8s-app: kube-dns\n    ports:\n    - {{port: 53, protocol: UDP}}\n    - {{port: 53, protocol: TCP}}"
        );

        header(
            &mut out,
            "Calls inside the namespace stay allowed (ingress from and egress to its own pods).\nReview: narrow to the pairs that talk, and add egress to other namespaces and external APIs the workloads call.",
            &free_name("allow-same-namespace", &ns.existing_policies),
            name,
        );
        let _ = writeln!(
            out,
            "spec:\n  podSelector: {{}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from:\n    - podSelector: {{}}\n  egress:\n  - to:\n    - podSelector: {{}}"
        );

        if s.controllers_found && s.controller_namespaces.iter().any(|c| c == name) {
            write_controller_egress(&mut out, s, name, &ns.existing_policies);
        }

        for svc in &ns.services {
            let mut why = format!(
                "Service {}/{} ({}): its pods accept their clients on the Service's target ports.",
                name, svc.service, svc.service_type
            );
            if !svc.ingresses.is_empty() {
                let _ = write!(
                    why,
                    "\nRouted by Ingress {}: allowed from the Ingress controller namespace(s) {}{}.",
                    bounded(&svc.ingresses),
                    controllers,
                    if s.controllers_found {
                        ""
                    } else {
                        " (no controller in the input: adjust to your controller's namespace)"
                    }
                );
            }
            if svc.open_to_internet {
                let _ = write!(
                    why,
                    "\nWARNING: {} without loadBalancerSourceRanges is reachable from every address; replace 0.0.0.0/0 and ::/0 with the client networks.\nWith externalTrafficPolicy: Cluster the source is a node address after SNAT: allow the nodes' CIDR instead.",
                    svc.service_type
                );
            } else if !svc.external_sources.is_empty() {
                let _ = write!(why, "\nLoadBalancer source ranges are allowed as ipBlocks.");
            }
            header(
                &mut out,
                &why,
                &free_name(&format!("allow-{}", svc.service), &ns.existing_policies),
                name,
            );
            let _ = writeln!(out, "spec:\n  podSelector:\n    matchLabels:");
            for (k, v) in &svc.selector {
                let _ = writeln!(out, "      {}: {}", q(k), q(v));
            }
            let _ = writeln!(out, "  policyTypes: [Ingress]\n  ingress:\n  - from:");
            let _ = writeln!(out, "    - podSelector: {{}}");
            if !svc.ingresses.is_empty() {
                for cn in &s.controller_namespaces {
                    let _ = writeln!(
                        out,
                        "    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {}",
                        q(cn)
                    );
                }
            }
            for cidr in &svc.external_sources {
                let _ = writeln!(out, "    - ipBlock:\n        cidr: {}", q(cidr));
            }
            write_ports(&mut out, &svc.ports, "    ");
        }
    }
    out
}

/// In an Ingress controller's namespace: egress to the pods of every Service an Ingress
/// routes to, on its target ports (the default deny would cut the controller off).
fn write_controller_egress(
    out: &mut String,
    s: &Suggestion,
    controller_ns: &str,
    existing: &[String],
) {
    let backends: Vec<(&str, &ServiceAllowance)> = s
        .namespaces
        .iter()
        .flat_map(|n| {
            n.services
                .iter()
                .filter(|svc| !svc.ingresses.is_empty())
                .map(move |svc| (n.namespace.as_str(), svc))
        })
        .collect();
    if backends.is_empty() {
        return;
    }
    header(
        out,
        "The Ingress controller forwards to the Services its Ingresses route to.\nReview: narrow podSelector to the controller's pods; the controller also needs the API server (egress to the control plane's address on 443 or 6443).",
        &free_name("allow-to-ingress-backends", existing),
        controller_ns,
    );
    let _ = writeln!(
        out,
        "spec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress:"
    );
    for (ns, svc) in backends {
        let _ = writeln!(out, "  # Service {}/{}", c(ns), c(&svc.service));
        let _ = writeln!(
            out,
            "  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {}\n      podSelector:\n        matchLabels:",
            q(ns)
        );
        for (k, v) in &svc.selector {
            let _ = writeln!(out, "          {}: {}", q(k), q(v));
        }
        write_ports(out, &svc.ports, "    ");
    }
}

/// `ports:` of a rule at `indent` (nothing when the Service lists none: every port).
fn write_ports(out: &mut String, ports: &[TargetPort], indent: &str) {
    if ports.is_empty() {
        let _ = writeln!(
            out,
            "{indent}# the Service lists no ports: every port is allowed"
        );
        return;
    }
    let _ = writeln!(out, "{indent}ports:");
    for p in ports {
        let port = if p.numeric {
            p.port.clone()
        } else {
            q(&p.port)
        };
        let _ = writeln!(
            out,
            "{indent}- port: {port}\n{indent}  protocol: {}",
            q(&p.protocol)
        );
    }
}

fn bounded(items: &[String]) -> String {
    const MAX: usize = 8;
    let mut s = items
        .iter()
        .take(MAX)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > MAX {
        let _ = write!(s, " and {} more", items.len() - MAX);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeward_model::load_str;

    const INPUT: &str = r#"
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: db, namespace: shop}
spec:
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: "postgres:16", ports: [{containerPort: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec:
  selector: {app: db}
  ports: [{port: 5432}]
---
apiVersion: v1
kind: Service
metadata: {name: admin, namespace: shop}
spec:
  type: LoadBalancer
  loadBalancerSourceRanges: [203.0.113.0/24]
  selector: {app: web}
  ports: [{port: 9000, protocol: TCP}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: shop}
spec:
  rules:
  - http:
      paths:
      - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: ingress-nginx-controller, namespace: ingress-nginx}
spec:
  selector: {matchLabels: {app: ctl}}
  template:
    metadata: {labels: {app: ctl}}
    spec:
      containers: [{name: c, image: "registry.k8s.io/ingress-nginx/controller:v1.11.0"}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  selector: {matchLabels: {k8s-app: kube-dns}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      containers: [{name: coredns, image: "coredns/coredns:1.11.1"}]
"#;

    #[test]
    fn services_ingresses_and_load_balancers() {
        let snap = load_str("in.yaml", INPUT);
        let s = suggest(&snap);
        assert_eq!(s.controller_namespaces, vec!["ingress-nginx".to_string()]);
        assert!(s.controllers_found);
        let names: Vec<&str> = s.namespaces.iter().map(|n| n.namespace.as_str()).collect();
        assert_eq!(names, ["ingress-nginx", "shop"]);
        let shop = &s.namespaces[1];
        let svcs: Vec<&str> = shop.services.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(svcs, ["admin", "db", "web"]);
        let web = &shop.services[2];
        assert_eq!(web.ingresses, ["shop/web"]);
        assert_eq!(web.ports[0].port, "http");
        assert!(!web.ports[0].numeric);
        let admin = &shop.services[0];
        assert_eq!(admin.external_sources, ["203.0.113.0/24"]);
        assert!(!admin.open_to_internet);
    }

    #[test]
    fn output_loads_back_as_network_policies() {
        let snap = load_str("in.yaml", INPUT);
        let yaml = to_yaml(&suggest(&snap));
        let out = load_str("suggest.yaml", &yaml);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        let names: Vec<String> = out.objects.iter().map(|o| o.oref.display()).collect();
        for expected in [
            "suggested-default-deny",
            "suggested-allow-dns",
            "suggested-allow-same-namespace",
            "suggested-allow-web",
            "suggested-allow-db",
            "suggested-allow-admin",
        ] {
            assert!(
                names
                    .iter()
                    .any(|n| n.contains("shop") && n.ends_with(expected)),
                "{expected} missing from {names:?}"
            );
        }
        assert!(out.objects.iter().all(|o| o.kind() == "NetworkPolicy"));
        // the web policy admits the ingress controller's namespace on the named port
        let web = out
            .objects
            .iter()
            .find(|o| o.name() == "suggested-allow-web")
            .unwrap();
        let text = web.root.to_json().to_string();
        assert!(text.contains("ingress-nginx"), "{text}");
        assert!(text.contains("\"port\":\"http\""), "{text}");
        let admin = out
            .objects
            .iter()
            .find(|o| o.name() == "suggested-allow-admin")
            .unwrap();
        assert!(admin.root.to_json().to_string().contains("203.0.113.0/24"));
    }

    #[test]
    fn the_engine_on_input_plus_suggestion() {
        use crate::{Network, Protocol};
        let yaml = to_yaml(&suggest(&load_str("in.yaml", INPUT)));
        let both = load_str("both.yaml", &format!("{INPUT}\n{yaml}"));
        assert!(both.errors.is_empty(), "{:?}", both.errors);
        let net = Network::new(&both);
        let ep = |n: &str| net.endpoint(n).unwrap();
        let can = |from: &str, to: &str, port: u16, proto: Protocol| {
            net.can_reach(&ep(from), &ep(to), port, proto).allowed
        };
        let ctl = "ingress-nginx/ingress-nginx-controller";
        // inside the namespace
        assert!(can("shop/web", "shop/db", 5432, Protocol::Tcp));
        // the Ingress controller reaches the routed Service's named target port only
        assert!(can(ctl, "shop/web", 8080, Protocol::Tcp));
        assert!(!can(ctl, "shop/web", 22, Protocol::Tcp));
        assert!(!can(ctl, "shop/db", 5432, Protocol::Tcp));
        // the default deny cuts other namespaces and egress out of the namespace
        assert!(!can("shop/web", ctl, 80, Protocol::Tcp));
        // DNS to CoreDNS stays open
        assert!(can("shop/web", "kube-system/coredns", 53, Protocol::Udp));
        assert!(can("shop/db", "kube-system/coredns", 53, Protocol::Tcp));
        assert!(!can("shop/web", "kube-system/coredns", 80, Protocol::Tcp));
        // the LoadBalancer's source range reaches its port, other addresses do not
        assert!(can("ip:203.0.113.7", "shop/web", 9000, Protocol::Tcp));
        assert!(!can("ip:198.51.100.7", "shop/web", 9000, Protocol::Tcp));
        // before the suggestion everything was open
        let before = Network::new(&load_str("in.yaml", INPUT));
        let e = |n: &str| before.endpoint(n).unwrap();
        assert!(
            before
                .can_reach(&e(ctl), &e("shop/db"), 5432, Protocol::Tcp)
                .allowed
        );
    }

    #[test]
    fn hostile_names_stay_inside_their_scalars() {
        let snap = load_str(
            "in.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: \"evil\\n---\\nkind: X\\u001b[31m\"}\nspec:\n  containers: [{name: c, image: i}]\n",
        );
        let yaml = to_yaml(&suggest(&snap));
        assert!(!yaml.contains('\u{1b}'));
        assert!(!yaml
            .chars()
            .any(|ch| ch != '\n' && kubeward_io::terminal::is_unsafe(ch)));
        let out = load_str("suggest.yaml", &yaml);
        assert!(out.errors.is_empty(), "{:?}", out.errors);
        assert!(out.objects.iter().all(|o| o.kind() == "NetworkPolicy"));
        assert_eq!(out.objects.len(), 3);
    }

    #[test]
    fn existing_policy_names_are_not_reused() {
        let snap = load_str(
            "in.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec:\n  containers: [{name: c, image: i}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: suggested-default-deny, namespace: a}\nspec: {podSelector: {}}\n",
        );
        let yaml = to_yaml(&suggest(&snap));
        assert!(
            yaml.contains("name: \"suggested-default-deny-2\""),
            "{yaml}"
        );
        assert!(
            !yaml.contains("name: \"suggested-default-deny\"\n"),
            "{yaml}"
        );
        assert!(yaml
            .contains("existing NetworkPolicies (kept; policies add up): suggested-default-deny"));
    }

    #[test]
    fn bidi_controls_are_escaped_and_keep_their_value() {
        let snap = load_str(
            "in.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a, labels: {app: \"x\\u202Ey\"}}\nspec:\n  containers: [{name: c, image: i}]\n---\napiVersion: v1\nkind: Service\nmetadata: {name: s, namespace: a}\nspec: {selector: {app: \"x\\u202Ey\"}, ports: [{port: 80}]}\n",
        );
        assert!(snap.errors.is_empty(), "{:?}", snap.errors);
        let yaml = to_yaml(&suggest(&snap));
        assert!(!yaml.contains('\u{202e}'), "{yaml}");
        assert!(yaml.contains("x\\u202ey"), "{yaml}");
        let out = load_str("suggest.yaml", &yaml);
        let p = out
            .objects
            .iter()
            .find(|o| o.name() == "suggested-allow-s")
            .unwrap();
        let v = p.root.at(&["spec", "podSelector", "matchLabels", "app"]);
        assert_eq!(v.and_then(|n| n.as_str()), Some("x\u{202e}y"));
    }

    #[test]
    fn open_load_balancer_and_no_controller() {
        let snap = load_str(
            "in.yaml",
            r#"
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: a, labels: {app: p}}
spec:
  containers: [{name: c, image: i}]
---
apiVersion: v1
kind: Service
metadata: {name: p, namespace: a}
spec: {type: LoadBalancer, selector: {app: p}, ports: [{port: 443, targetPort: 8443}]}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: p, namespace: a}
spec: {defaultBackend: {service: {name: p, port: {number: 443}}}}
"#,
        );
        let s = suggest(&snap);
        assert!(!s.controllers_found);
        assert_eq!(s.controller_namespaces, ["ingress-nginx"]);
        let svc = &s.namespaces[0].services[0];
        assert!(svc.open_to_internet);
        assert_eq!(svc.external_sources, ["0.0.0.0/0", "::/0"]);
        let yaml = to_yaml(&s);
        assert!(yaml.contains("WARNING: LoadBalancer without loadBalancerSourceRanges"));
        assert!(yaml.contains("adjust to your controller's namespace"));
        assert!(yaml.contains("- port: 8443"));
    }
}
