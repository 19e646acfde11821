use super::util::{selects_nothing, Namespaces};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::Selector;

declare_rule! {
    /// ## What it does
    /// Reports a NetworkPolicy whose `spec.podSelector` matches no pod template in its
    /// namespace. An empty `podSelector` (`{}`) selects every pod and is never reported.
    ///
    /// Like `service-selects-nothing`, it accepts any value for controller-added labels and
    /// does not judge a namespace without pod templates in the input, with custom resources
    /// an operator may turn into pods, or whose pod templates use none of the selector's
    /// label keys.
    ///
    /// ## Why it matters
    /// A policy that selects nothing protects nothing: usually a label typo, and the pods it
    /// was written for accept traffic from anywhere while the manifest suggests otherwise.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: networking.k8s.io/v1
    /// kind: NetworkPolicy
    /// metadata: {name: db-ingress, namespace: shop}
    /// spec:
    ///   podSelector: {matchLabels: {app: postgress}}   # pods are labelled app: postgres
    ///   ingress: [{from: [{podSelector: {matchLabels: {app: api}}}]}]
    /// ```
    ///
    /// ## Fix
    /// Correct the selector to the labels of the pods to protect, or delete the policy.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Network policies"
    /// - CIS Kubernetes Benchmark 5.3.2 "Ensure that all Namespaces have NetworkPolicies
    ///   defined"
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services (lateral movement)
    /// - kube-linter `dangling-networkpolicy`
    pub struct NetworkPolicySelectsNothing {
        name: "network-policy-selects-nothing",
        domain: Network,
        severity: Low,
        summary: "NetworkPolicy podSelector matches no pod template in its namespace",
    }
}

impl Rule for NetworkPolicySelectsNothing {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let namespaces = Namespaces::new(cx.index);
        for np in cx.index.of_kind("NetworkPolicy") {
            if np.oref.group() != "networking.k8s.io" {
                continue;
            }
            let Some(node) = np.spec().get("podSelector") else {
                continue;
            };
            out.extend(selects_nothing(
                cx,
                &namespaces,
                &Self::META,
                np,
                "podSelector",
                &Selector::from_label_selector(node),
                "Fix the podSelector to match the labels of the pods to protect, or remove the policy.",
            ));
        }
    }
}
