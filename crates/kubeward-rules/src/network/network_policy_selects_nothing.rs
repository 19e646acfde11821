use super::policy::{self, Direction};
use super::util::{describe_selector, selects_nothing, Namespaces};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, Node, Object, Selector};

declare_rule! {
    /// ## What it does
    /// Reports a NetworkPolicy whose `spec.podSelector` matches no pod template in its
    /// namespace. An empty `podSelector` (`{}`) selects every pod and is never reported.
    ///
    /// It also reports the peers of its rules (`ingress[].from[]`, `egress[].to[]`) whose
    /// `podSelector` matches no pod template where it looks: a peer with only a
    /// `podSelector` looks in the policy's own namespace; a peer that also has a
    /// `namespaceSelector` naming exactly one namespace (`matchLabels:
    /// {kubernetes.io/metadata.name: X}`) looks in `X`. Peers whose `namespaceSelector`
    /// selects by other labels are not judged (the input rarely holds every Namespace and
    /// its labels), nor are `ipBlock` peers. Rules of a direction the policy does not apply
    /// to (`policyTypes`) are ignored, as the API server ignores them.
    ///
    /// Like `service-selects-nothing`, it accepts any value for controller-added labels and
    /// does not judge a namespace without pod templates in the input, with custom resources
    /// an operator may turn into pods, or whose pod templates use none of the selector's
    /// label keys.
    ///
    /// ## Why it matters
    /// A policy that selects nothing protects nothing: usually a label typo, and the pods it
    /// was written for accept traffic from anywhere while the manifest suggests otherwise.
    /// A peer that selects nothing allows nothing: the clients it was meant for are cut off,
    /// and the usual "fix" under pressure is an allow-all rule.
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
    /// - CIS Kubernetes Benchmark v1.10 5.3.2 "Ensure that all Namespaces have NetworkPolicies defined"
    /// - MITRE ATT&CK for Containers: T1210 Exploitation of Remote Services (lateral movement)
    /// - kube-linter `dangling-networkpolicy`
    pub struct NetworkPolicySelectsNothing {
        name: "network-policy-selects-nothing",
        domain: Network,
        severity: Low,
        summary: "NetworkPolicy podSelector or peer podSelector matches no pod template",
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
            if let Some(node) = np.spec().get("podSelector") {
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
            self.check_peers(cx, &namespaces, np, out);
        }
    }
}

/// The one namespace a `namespaceSelector` names by `kubernetes.io/metadata.name`, if it is
/// its only term.
fn named_namespace(sel: &Node) -> Option<&str> {
    let s = Selector::from_label_selector(sel);
    match (s.labels.as_slice(), s.expressions.as_slice()) {
        ([(k, _)], []) if k == "kubernetes.io/metadata.name" => sel
            .get("matchLabels")?
            .str_at("kubernetes.io/metadata.name"),
        _ => None,
    }
}

impl NetworkPolicySelectsNothing {
    fn check_peers(
        &self,
        cx: &Context<'_>,
        namespaces: &Namespaces<'_, '_>,
        np: &Object,
        out: &mut Vec<Finding>,
    ) {
        for dir in [Direction::Ingress, Direction::Egress] {
            for (i, path, rule) in policy::rules(np, dir) {
                for (j, peer) in policy::peers(rule, dir).unwrap_or(&[]).iter().enumerate() {
                    let Some(pod_sel) = peer.get("podSelector") else {
                        continue;
                    };
                    let sel = Selector::from_label_selector(pod_sel);
                    if sel.is_empty() {
                        continue;
                    }
                    let ns = match peer.get("namespaceSelector") {
                        None => effective_namespace(np),
                        Some(n) => match named_namespace(n) {
                            Some(named) => Some(named),
                            None => continue,
                        },
                    };
                    if namespaces.selects_any(ns, &sel) || namespaces.cannot_judge(ns, &sel) {
                        continue;
                    }
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        np,
                        &path.key(dir.peers()).index(j).key("podSelector"),
                        format!(
                            "NetworkPolicy \"{}\" {} rule {i} peer {j} selects {} but no pod template in namespace {} has these labels: the rule allows nothing",
                            np.name(),
                            dir.field(),
                            describe_selector(&sel),
                            ns.unwrap_or("default")
                        ),
                        "Fix the peer's podSelector (and namespaceSelector) to match the labels of the intended pods.",
                    ));
                }
            }
        }
    }
}
