use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports an Ingress that serves HTTP without TLS:
    /// - it has no `spec.tls` at all (one finding on `spec`), or
    /// - a rule's `host` is not covered by the `hosts` of any `spec.tls` entry (one finding
    ///   per uncovered rule). A TLS host `*.example.com` covers exactly one label
    ///   (`shop.example.com`, not `example.com` nor `a.b.example.com`); comparison ignores
    ///   case. A rule without `host` is covered by a `tls` entry without `hosts` (the
    ///   controller's default certificate).
    ///
    /// An Ingress with neither rules nor a default backend routes nothing and is not
    /// reported.
    ///
    /// ## Why it matters
    /// Without TLS, credentials, session cookies and data cross the internet (and the
    /// cluster network) in clear text, and anyone on the path can read or modify them.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: Ingress
    /// metadata: {name: shop, namespace: shop}
    /// spec:
    ///   rules:
    ///   - host: shop.example.com
    ///     http:
    ///       paths:
    ///       - {path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}
    /// ```
    ///
    /// ## Fix
    /// Add a `spec.tls` entry listing every host with a certificate Secret (cert-manager can
    /// issue it), and redirect HTTP to HTTPS in the controller.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening" (encrypt
    ///   traffic)
    /// - MITRE ATT&CK for Containers: T1557 Adversary-in-the-Middle; T1040 Network Sniffing
    /// - Checkov and KICS "Ingress without TLS" checks
    pub struct IngressWithoutTls {
        name: "ingress-without-tls",
        domain: Network,
        severity: Medium,
        summary: "Ingress serves hosts without TLS",
    }
}

/// Whether TLS host `pattern` covers rule host `host`.
pub(crate) fn host_covered(pattern: &str, host: &str) -> bool {
    if pattern.eq_ignore_ascii_case(host) {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => match host.split_once('.') {
            Some((first, rest)) => {
                first != "*" && !first.is_empty() && rest.eq_ignore_ascii_case(suffix)
            }
            None => false,
        },
        None => false,
    }
}

impl Rule for IngressWithoutTls {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for ing in cx.index.of_kind("Ingress") {
            let spec = ing.spec();
            let rules = spec.get("rules").map(Node::items).unwrap_or(&[]);
            let default_backend = spec
                .get("defaultBackend")
                .or_else(|| spec.get("backend"))
                .is_some_and(|b| !b.is_null());
            if rules.is_empty() && !default_backend {
                continue;
            }
            let tls = spec.get("tls").map(Node::items).unwrap_or(&[]);
            if tls.is_empty() {
                let hosts: Vec<&str> = rules.iter().filter_map(|r| r.str_at("host")).collect();
                let what = if hosts.is_empty() {
                    "all hosts".to_string()
                } else {
                    hosts.join(", ")
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    ing,
                    &FieldPath::root().key("spec"),
                    format!(
                        "Ingress \"{}\" has no tls section: {what} served over plain HTTP",
                        ing.name()
                    ),
                    "Add spec.tls listing every host with a certificate Secret.",
                ));
                continue;
            }
            let tls_hosts: Vec<&str> = tls
                .iter()
                .flat_map(|t| t.get("hosts").map(Node::items).unwrap_or(&[]))
                .filter_map(Node::as_str)
                .collect();
            let default_cert = tls
                .iter()
                .any(|t| t.get("hosts").map(Node::items).unwrap_or(&[]).is_empty());
            for (i, rule) in rules.iter().enumerate() {
                let covered = match rule.str_at("host").filter(|h| !h.is_empty()) {
                    Some(host) => tls_hosts.iter().any(|p| host_covered(p, host)),
                    None => default_cert,
                };
                if covered {
                    continue;
                }
                let host = rule.str_at("host").unwrap_or("");
                let (path, what) = if host.is_empty() {
                    (
                        FieldPath::root().key("spec").key("rules").index(i),
                        "the rule without host".to_string(),
                    )
                } else {
                    (
                        FieldPath::root()
                            .key("spec")
                            .key("rules")
                            .index(i)
                            .key("host"),
                        format!("host {host}"),
                    )
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    ing,
                    &path,
                    format!(
                        "Ingress \"{}\" serves {what} without TLS: no spec.tls entry covers it",
                        ing.name()
                    ),
                    format!(
                        "Add the host to spec.tls hosts (tls hosts: {}).",
                        tls_hosts.join(", ")
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::host_covered;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(host_covered("*.example.com", "shop.example.com"));
        assert!(host_covered("Shop.Example.com", "shop.example.com"));
        assert!(!host_covered("*.example.com", "example.com"));
        assert!(!host_covered("*.example.com", "a.b.example.com"));
        assert!(host_covered("*.example.com", "*.example.com"));
        assert!(!host_covered("example.com", "shop.example.com"));
    }
}
