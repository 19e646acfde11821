use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports a Service that sets `spec.externalIPs`.
    ///
    /// ## Why it matters
    /// kube-proxy sends traffic for an external IP to the Service's pods on every node,
    /// whatever the address is and whoever owns it. This is CVE-2020-8554 (unfixable by
    /// design): anyone who can create or update a Service can list someone else's address
    /// (a public DNS resolver, another tenant's database, the cloud metadata service) as an
    /// external IP and intercept the cluster's traffic to it (man-in-the-middle). Legitimate
    /// uses are rare; the `DenyServiceExternalIPs` admission plugin exists to forbid the field.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: dns, namespace: shop}
    /// spec:
    ///   selector: {app: evil}
    ///   ports: [{port: 53, protocol: UDP}]
    ///   externalIPs: [8.8.8.8]
    /// ```
    ///
    /// ## Fix
    /// Remove `externalIPs`; use a LoadBalancer Service or an Ingress. Enable the
    /// `DenyServiceExternalIPs` admission plugin (or a policy that forbids the field) so that
    /// no user can set it.
    ///
    /// ## References
    /// - CVE-2020-8554 (Kubernetes issue #97076): man in the middle using LoadBalancer or
    ///   ExternalIPs
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening"
    /// - MITRE ATT&CK for Containers: T1557 Adversary-in-the-Middle
    /// - Kubernetes admission plugin `DenyServiceExternalIPs`
    pub struct ServiceExternalIps {
        name: "service-external-ips",
        domain: Network,
        severity: High,
        summary: "Service sets externalIPs (CVE-2020-8554 traffic interception)",
    }
}

impl Rule for ServiceExternalIps {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for svc in cx.index.of_kind("Service") {
            let ips: Vec<String> = svc
                .spec()
                .get("externalIPs")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::scalar_text)
                .collect();
            if ips.is_empty() {
                continue;
            }
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                svc,
                &FieldPath::root().key("spec").key("externalIPs"),
                format!(
                    "Service \"{}\" claims external IPs {}: cluster traffic to these addresses is redirected to its pods",
                    svc.name(),
                    ips.join(", ")
                ),
                "Remove spec.externalIPs (use a LoadBalancer or an Ingress) and enable the DenyServiceExternalIPs admission plugin.",
            ));
        }
    }
}
