use super::util::service_type;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node, Object};

declare_rule! {
    /// ## What it does
    /// Reports a Service of `type: LoadBalancer`, which asks the cloud provider for a load
    /// balancer that is reachable from the internet unless told otherwise.
    ///
    /// Severity is medium. It is info when the exposure is restricted:
    /// - `spec.loadBalancerSourceRanges` (or the legacy annotation
    ///   `service.beta.kubernetes.io/load-balancer-source-ranges`) lists source ranges, none
    ///   of which is `0.0.0.0/0` or `::/0`; or
    /// - an internal load balancer is requested: GKE `networking.gke.io/load-balancer-type:
    ///   Internal` (or the older `cloud.google.com/load-balancer-type`), AWS
    ///   `service.beta.kubernetes.io/aws-load-balancer-internal: "true"` or
    ///   `service.beta.kubernetes.io/aws-load-balancer-scheme: internal`, Azure
    ///   `service.beta.kubernetes.io/azure-load-balancer-internal: "true"`, Oracle
    ///   `service.beta.kubernetes.io/oci-load-balancer-internal: "true"`, OpenStack
    ///   `service.beta.kubernetes.io/openstack-internal-load-balancer: "true"`.
    ///
    /// ## Why it matters
    /// A public load balancer puts the selected pods on the internet, bypassing any
    /// ingress controller, WAF or authentication proxy. Internal admin panels, databases and
    /// metrics endpoints exposed this way are found by internet-wide scanners within hours.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: db, namespace: shop}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {app: postgres}
    ///   ports: [{port: 5432}]
    /// ```
    ///
    /// ## Fix
    /// Use `type: ClusterIP` behind an Ingress (with TLS and authentication) for HTTP
    /// services. If a load balancer is needed, make it internal with the provider's annotation
    /// or restrict `loadBalancerSourceRanges` to the client networks.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening"
    /// - MITRE ATT&CK for Containers: T1133 External Remote Services; T1190 Exploit
    ///   Public-Facing Application
    /// - kube-linter `exposed-services`
    pub struct ServiceLoadBalancer {
        name: "service-load-balancer",
        domain: Network,
        severity: Medium,
        summary: "Service of type LoadBalancer (reachable from outside the cluster)",
    }
}

/// (annotation, value that means internal; compared case-insensitively).
const INTERNAL: &[(&str, &str)] = &[
    ("networking.gke.io/load-balancer-type", "internal"),
    ("cloud.google.com/load-balancer-type", "internal"),
    (
        "service.beta.kubernetes.io/aws-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/aws-load-balancer-scheme",
        "internal",
    ),
    (
        "service.beta.kubernetes.io/azure-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/oci-load-balancer-internal",
        "true",
    ),
    (
        "service.beta.kubernetes.io/openstack-internal-load-balancer",
        "true",
    ),
];

const SOURCE_RANGES_ANNOTATION: &str = "service.beta.kubernetes.io/load-balancer-source-ranges";

fn open_range(r: &str) -> bool {
    matches!(r.trim(), "0.0.0.0/0" | "::/0" | "0::0/0")
}

/// The source ranges of a Service, from the field or the legacy annotation.
fn source_ranges(svc: &Object) -> Vec<String> {
    let from_field: Vec<String> = svc
        .spec()
        .get("loadBalancerSourceRanges")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::scalar_text)
        .collect();
    if !from_field.is_empty() {
        return from_field;
    }
    svc.annotation(SOURCE_RANGES_ANNOTATION)
        .map(|a| {
            a.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The annotation that requests an internal load balancer, if any.
fn internal_annotation(svc: &Object) -> Option<&'static str> {
    INTERNAL
        .iter()
        .find(|(k, v)| {
            svc.annotation(k)
                .is_some_and(|a| a.trim().eq_ignore_ascii_case(v))
        })
        .map(|(k, _)| *k)
}

/// Whether a `LoadBalancer` Service is reachable from any address, as this rule judges it (at
/// its base severity): no internal load balancer is requested, and it has no source ranges
/// or they include the whole internet. `vulnerable-image` ranks the workloads such a
/// Service selects higher.
pub(crate) fn reachable_from_anywhere(svc: &Object) -> bool {
    if internal_annotation(svc).is_some() {
        return false;
    }
    let ranges = source_ranges(svc);
    ranges.is_empty() || ranges.iter().any(|r| open_range(r))
}

impl Rule for ServiceLoadBalancer {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for svc in cx.index.of_kind("Service") {
            if service_type(svc) != "LoadBalancer" {
                continue;
            }
            let internal = internal_annotation(svc);
            let ranges = source_ranges(svc);
            let restricted = !ranges.is_empty() && !ranges.iter().any(|r| open_range(r));
            let path = FieldPath::root().key("spec").key("type");
            let (severity, message) = if let Some(k) = internal {
                (
                    Severity::Info,
                    format!(
                        "Service \"{}\" requests an internal load balancer ({k})",
                        svc.name()
                    ),
                )
            } else if restricted {
                (
                    Severity::Info,
                    format!(
                        "Service \"{}\" is exposed by a load balancer restricted to {}",
                        svc.name(),
                        ranges.join(", ")
                    ),
                )
            } else if !ranges.is_empty() {
                (
                    Self::META.severity,
                    format!(
                        "Service \"{}\" is exposed by a load balancer whose source ranges include the whole internet ({})",
                        svc.name(),
                        ranges.join(", ")
                    ),
                )
            } else {
                (
                    Self::META.severity,
                    format!(
                        "Service \"{}\" is exposed by a load balancer reachable from any address",
                        svc.name()
                    ),
                )
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                svc,
                &path,
                message,
                "Use ClusterIP behind an Ingress, or make the load balancer internal / set loadBalancerSourceRanges to the client networks.",
            ));
        }
    }
}
