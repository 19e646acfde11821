use super::util::{selects_nothing, service_type, Namespaces};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::Selector;

declare_rule! {
    /// ## What it does
    /// Reports a Service whose `spec.selector` matches the labels of no pod template in its
    /// namespace.
    ///
    /// Labels that controllers add to their pods (`statefulset.kubernetes.io/pod-name`,
    /// `job-name`, `pod-template-hash`, ...) match any value. Services without a selector
    /// (ExternalName, or Endpoints/EndpointSlices managed by hand) are never reported.
    ///
    /// To stay quiet where the input cannot tell, a namespace is not judged when:
    /// - the input holds no pod template (Pod or workload) in it: the pods may live in
    ///   another file;
    /// - it holds custom resources other than well-known inert ones (ServiceMonitor,
    ///   Certificate, HTTPRoute, VirtualService, ExternalSecret...): an operator may create
    ///   the selected pods (a Prometheus, a database Cluster);
    /// - none of its pod templates uses any of the selector's label keys: the selector
    ///   targets pods created by something else. A mistyped value (`app: wbe`) is reported;
    ///   a mistyped key is not.
    ///
    /// ## Why it matters
    /// A Service that selects nothing is usually a typo in a label, which breaks the
    /// application, or a leftover. A dangling Service is also a trap: the first pod that
    /// anyone creates with matching labels receives the Service's traffic (and, for a
    /// LoadBalancer, internet traffic).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Service
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {app: wbe}      # the Deployment's pods are labelled app: web
    ///   ports: [{port: 80}]
    /// ```
    ///
    /// ## Fix
    /// Correct the selector to the pod template's labels, or delete the Service.
    ///
    /// ## References
    /// - Kubernetes documentation: Services without selectors
    /// - MITRE ATT&CK for Containers: T1557 Adversary-in-the-Middle (traffic capture by a
    ///   matching pod)
    /// - kube-linter `dangling-service`
    pub struct ServiceSelectsNothing {
        name: "service-selects-nothing",
        domain: Network,
        severity: Low,
        summary: "Service selector matches no pod template in its namespace",
    }
}

impl Rule for ServiceSelectsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let namespaces = Namespaces::new(cx.index);
        for svc in cx.index.of_kind("Service") {
            if service_type(svc) == "ExternalName" {
                continue;
            }
            let Some(node) = svc.spec().get("selector") else {
                continue;
            };
            out.extend(selects_nothing(
                cx,
                &namespaces,
                &Self::META,
                svc,
                "selector",
                &Selector::from_map(node),
                "Fix the selector to match the pod template labels, or remove the Service.",
            ));
        }
    }
}
