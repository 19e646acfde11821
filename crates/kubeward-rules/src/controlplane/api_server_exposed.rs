use super::apiserver_anonymous_auth::authenticators;
use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::network::util::{ingress_backends, matches_template, service_selector, service_type};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, Node, Object, PodTemplate};

declare_rule! {
    /// ## What it does
    /// Finds where the Kubernetes API is published beyond the cluster network:
    /// - a `LoadBalancer` or `NodePort` Service in front of the API server: one named
    ///   `kubernetes` in `default`, one that selects pods labelled
    ///   `component: kube-apiserver` or pods that run `kube-apiserver`, or one whose port or
    ///   target port is 6443;
    /// - an Ingress whose backend is such a Service (any type).
    ///
    /// The message says how the API server of the input authenticates: when its static pod is
    /// scanned too and it accepts anonymous requests the finding is critical; when it has
    /// neither client certificates (`--client-ca-file`) nor OIDC the message says the API is
    /// reachable with tokens alone.
    ///
    /// ## Why it matters
    /// The API server is the cluster's front door: a published endpoint is scanned within
    /// minutes, and every weakness behind it (anonymous access, a leaked token, an unpatched
    /// version) is then one request away. Managed offerings and kubeadm keep it on a private
    /// network or behind an allow-list for that reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: apiserver-public, namespace: kube-system}
    /// spec:
    ///   type: LoadBalancer
    ///   selector: {component: kube-apiserver}
    ///   ports: [{port: 443, targetPort: 6443}]
    /// ```
    ///
    /// ## Fix
    /// Reach the API through a private network, a VPN or a bastion; if it must be public,
    /// restrict `loadBalancerSourceRanges` to known addresses and require client certificates
    /// or OIDC with `--anonymous-auth=false`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.1 "Ensure that the --anonymous-auth argument is set to false"
    /// - NSA/CISA Kubernetes Hardening Guide: "Network separation and hardening" (control plane)
    /// - MITRE ATT&CK for Containers: T1133 External Remote Services
    pub struct ApiServerExposed {
        name: "api-server-exposed",
        domain: ControlPlane,
        severity: High,
        summary: "Kubernetes API published through a LoadBalancer, NodePort or Ingress",
    }
}

/// Whether a Service fronts the API server. `api_pods` are the pod templates that run
/// `kube-apiserver` (a handful: the selector is matched against them only, so the cost stays
/// linear in the number of Services).
fn fronts_api(svc: &Object, api_pods: &[&PodTemplate<'_>]) -> Option<&'static str> {
    if svc.name() == "kubernetes" && effective_namespace(svc) == Some("default") {
        return Some("the default kubernetes Service");
    }
    let ports = svc.spec().get("ports").map(Node::items).unwrap_or(&[]);
    if ports
        .iter()
        .any(|p| p.i64_at("port") == Some(6443) || p.i64_at("targetPort") == Some(6443))
    {
        return Some("port 6443");
    }
    let sel = service_selector(svc)?;
    if sel
        .labels
        .iter()
        .any(|(k, v)| k == "component" && v == "kube-apiserver")
    {
        return Some("component: kube-apiserver");
    }
    let ns = effective_namespace(svc);
    api_pods
        .iter()
        .any(|t| effective_namespace(t.object) == ns && matches_template(&sel, t))
        .then_some("the kube-apiserver pod")
}

impl Rule for ApiServerExposed {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let servers: Vec<_> = invocations(cx, Component::ApiServer).collect();
        let api_ids: Vec<u32> = servers.iter().map(|i| i.object.id).collect();
        let api_pods: Vec<&PodTemplate<'_>> = if api_ids.is_empty() {
            Vec::new()
        } else {
            cx.index
                .pod_templates()
                .iter()
                .filter(|t| api_ids.contains(&t.object.id))
                .collect()
        };
        // how the scanned API server authenticates, and whether it takes anonymous calls
        let (auth, anonymous) = match servers.first() {
            Some(inv) => (
                format!(
                    "; the API server accepts {}anonymous requests, {}",
                    if inv.bool("anonymous-auth", true) {
                        ""
                    } else {
                        "no "
                    },
                    authenticators(inv)
                ),
                inv.bool("anonymous-auth", true),
            ),
            None => (String::new(), false),
        };
        let severity = if anonymous {
            Severity::Critical
        } else {
            Severity::High
        };
        let mut api_services: Vec<(&Object, &'static str)> = Vec::new();
        for svc in cx.index.of_kind("Service") {
            let Some(why) = fronts_api(svc, &api_pods) else {
                continue;
            };
            api_services.push((svc, why));
            let kind = service_type(svc);
            if kind != "LoadBalancer" && kind != "NodePort" {
                continue;
            }
            let ranges = svc
                .spec()
                .get("loadBalancerSourceRanges")
                .map(Node::items)
                .unwrap_or(&[])
                .len();
            let scope = if kind == "LoadBalancer" && ranges > 0 {
                format!(" (loadBalancerSourceRanges: {ranges})")
            } else {
                String::new()
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                svc,
                &FieldPath::parse("spec.type"),
                format!(
                    "{} publishes the Kubernetes API ({why}) as {kind}{scope}{auth}",
                    svc.oref.display()
                ),
                "Keep the API server on a private network; if it must be reachable, restrict loadBalancerSourceRanges and require client certificates or OIDC and set --anonymous-auth to false.",
            ));
        }
        for ing in cx.index.of_kind("Ingress") {
            let ns = effective_namespace(ing);
            let backends = ingress_backends(ing);
            let Some((svc, why)) = api_services
                .iter()
                .find(|(s, _)| effective_namespace(s) == ns && backends.contains(&s.name()))
            else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                ing,
                &ing.root.existing_prefix(&FieldPath::parse("spec.rules")),
                format!(
                    "{} routes to Service {}, the Kubernetes API ({why}){auth}",
                    ing.oref.display(),
                    svc.name()
                ),
                "Remove the Ingress route to the API server; reach it through a private network or a bastion.",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::engine;
    use crate::finding::Severity;
    use crate::rule::Settings;
    use kubeward_model::load_str;

    fn exposed(apiserver_flags: &str) -> Vec<(Severity, String)> {
        let text = format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: kube-apiserver, namespace: kube-system, labels: {{component: kube-apiserver}}}}\nspec:\n  containers:\n  - name: kube-apiserver\n    image: registry.k8s.io/kube-apiserver:v1.31.0\n    command: [kube-apiserver{apiserver_flags}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: api, namespace: kube-system}}\nspec:\n  type: LoadBalancer\n  selector: {{component: kube-apiserver}}\n  ports: [{{port: 443, targetPort: 6443}}]\n"
        );
        let snap = load_str("t.yaml", &text);
        engine::analyze(&snap, &Settings::default(), &|m| {
            m.name == "api-server-exposed"
        })
        .into_iter()
        .map(|f| (f.severity, f.message))
        .collect()
    }

    #[test]
    fn the_message_says_how_the_exposed_api_authenticates() {
        // anonymous requests accepted (the default): critical
        let f = exposed("");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].0, Severity::Critical);
        assert!(f[0].1.contains("accepts anonymous requests"), "{}", f[0].1);
        assert!(
            f[0].1.contains("neither client certificates nor OIDC"),
            "{}",
            f[0].1
        );
        // tokens only, no anonymous access: high, and still said
        let f = exposed(", --anonymous-auth=false, --token-auth-file=/t.csv");
        assert_eq!(f[0].0, Severity::High);
        assert!(
            f[0].1.contains("accepts no anonymous requests"),
            "{}",
            f[0].1
        );
        assert!(
            f[0].1.contains(
                "neither client certificates nor OIDC are configured, only a static token file"
            ),
            "{}",
            f[0].1
        );
        // OIDC and client certificates
        let f = exposed(
            ", --anonymous-auth=false, --client-ca-file=/ca.crt, --oidc-issuer-url=https://issuer.example.invalid",
        );
        assert!(f[0].1.contains("client certificates, OIDC"), "{}", f[0].1);
    }
}
