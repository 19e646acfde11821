use super::util::service_type;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports a Service of `type: NodePort`: its ports are opened on every node of the
    /// cluster (30000-32767 by default).
    ///
    /// LoadBalancer Services also allocate node ports (unless
    /// `allocateLoadBalancerNodePorts: false`), explicit or not; that exposure is part of
    /// the load balancer and is reported by `service-load-balancer`, not here, so that one
    /// Service gives one exposure finding.
    ///
    /// ## Why it matters
    /// Node ports listen on every node's addresses, including public ones when nodes have
    /// them, and bypass ingress controllers, their TLS and authentication. NetworkPolicies
    /// still apply, but source addresses are often rewritten by kube-proxy (SNAT) unless
    /// `externalTrafficPolicy: Local`, which makes them hard to restrict.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: admin, namespace: shop}
    /// spec:
    ///   type: NodePort
    ///   selector: {app: admin}
    ///   ports: [{port: 80, nodePort: 30080}]
    /// ```
    ///
    /// ## Fix
    /// Use `type: ClusterIP` and expose HTTP services through an Ingress or Gateway; use a
    /// (preferably internal) LoadBalancer for other protocols. Firewall node ports at the
    /// node or cloud network level if they must stay.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening"
    /// - MITRE ATT&CK for Containers: T1133 External Remote Services
    /// - kube-linter `exposed-services`
    pub struct ServiceNodePort {
        name: "service-node-port",
        domain: Network,
        severity: Medium,
        summary: "Service of type NodePort (ports opened on every node)",
    }
}

impl Rule for ServiceNodePort {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for svc in cx.index.of_kind("Service") {
            if service_type(svc) != "NodePort" {
                continue;
            }
            let ports: Vec<String> = svc
                .spec()
                .get("ports")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .map(|p| {
                    match (
                        p.i64_at("nodePort"),
                        p.get("port").and_then(Node::scalar_text),
                    ) {
                        (Some(np), _) => np.to_string(),
                        (None, Some(port)) => format!("a random node port for {port}"),
                        (None, None) => "a random node port".to_string(),
                    }
                })
                .collect();
            let on = if ports.is_empty() {
                String::new()
            } else {
                format!(" ({})", ports.join(", "))
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                svc,
                &FieldPath::root().key("spec").key("type"),
                format!(
                    "Service \"{}\" opens node ports on every node{on}",
                    svc.name()
                ),
                "Use type ClusterIP behind an Ingress/Gateway, or an internal LoadBalancer.",
            ));
        }
    }
}
