use super::util::{describe_selector, has_pods_in, selected, service_type};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath, Selector};

declare_rule! {
    /// ## What it does
    /// Reports a Service whose `spec.selector` matches the labels of no pod template in its
    /// namespace.
    ///
    /// It only judges namespaces in which the input holds at least one pod template (a Pod
    /// or a workload): when the input has none there, the pods may simply live in another
    /// file. Services without a selector (ExternalName, or Endpoints/EndpointSlices managed
    /// by hand) are never reported.
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
        domain: "network",
        severity: Low,
        summary: "Service selector matches no pod template in its namespace",
    }
}

impl Rule for ServiceSelectsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for svc in cx.index.of_kind("Service") {
            if service_type(svc) == "ExternalName" {
                continue;
            }
            let Some(node) = svc.spec().get("selector") else {
                continue;
            };
            let sel = Selector::from_map(node);
            if sel.is_empty() {
                continue;
            }
            let ns = effective_namespace(svc);
            if !has_pods_in(cx.index, ns) || selected(cx.index, ns, &sel).next().is_some() {
                continue;
            }
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                svc,
                &FieldPath::root().key("spec").key("selector"),
                format!(
                    "Service \"{}\" selects {} but no pod template in namespace {} has these labels",
                    svc.name(),
                    describe_selector(&sel),
                    ns.unwrap_or("default")
                ),
                "Fix the selector to match the pod template labels, or remove the Service.",
            ));
        }
    }
}
