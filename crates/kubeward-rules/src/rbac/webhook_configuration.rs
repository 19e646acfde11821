use super::grants::Probe;
use super::risky;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can change admission control: `create`, `update`,
    /// `patch`, `delete` or `deletecollection` on `validatingwebhookconfigurations`,
    /// `mutatingwebhookconfigurations`, `validatingadmissionpolicies`,
    /// `validatingadmissionpolicybindings`, `mutatingadmissionpolicies` or
    /// `mutatingadmissionpolicybindings` (API group `admissionregistration.k8s.io`), named
    /// explicitly or through a wildcard.
    ///
    /// These resources are cluster-scoped: in a namespaced Role, or in a ClusterRole the input
    /// binds only through RoleBindings, they grant nothing and are ignored. Severity is
    /// critical; it is high when `resourceNames` limits every matching rule to named
    /// configurations (an operator that patches the `caBundle` of its own webhook). The
    /// finding names the role's holders. The rule judges the role's effective rules
    /// (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// Admission is where the cluster's policy is enforced: Pod Security is built in, but
    /// Kyverno, Gatekeeper, image-signature verification and most guard rails are webhooks
    /// or admission policies. Whoever may delete or edit them switches those checks off
    /// (or sets `failurePolicy: Ignore` and points the webhook nowhere). Whoever may create a
    /// mutating webhook receives every object the API server admits, Secrets included, and
    /// can rewrite any of them: inject a container into every new pod, change a role.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: webhook-admin}
    /// rules:
    /// - apiGroups: [admissionregistration.k8s.io]
    ///   resources: [mutatingwebhookconfigurations]
    ///   verbs: [create, update, delete]
    /// ```
    ///
    /// ## Fix
    /// Keep admission configuration for cluster administrators and the GitOps identity that
    /// installs it. An operator that must inject its `caBundle` needs `get`, `update` and
    /// `patch` limited with `resourceNames` to its own configurations.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.12 "Minimize access to webhook configuration objects"
    /// - MITRE ATT&CK for Containers: T1562.001 Impair Defenses: Disable or Modify Tools
    /// - MITRE ATT&CK: T1557 Adversary-in-the-Middle (a mutating webhook sees and rewrites
    ///   admitted objects)
    /// - Kubernetes documentation: "Dynamic Admission Control", "Validating Admission Policy"
    pub struct RbacWebhookConfiguration {
        name: "rbac-webhook-configuration",
        domain: Rbac,
        severity: Critical,
        summary: "Role can create, change or delete admission webhooks or admission policies",
    }
}

const GROUP: &[&str] = &["admissionregistration.k8s.io"];
const VERBS: &[&str] = &["create", "update", "patch", "delete", "deletecollection"];

const PROBES: &[Probe] = &[
    Probe {
        groups: GROUP,
        resource: "validatingwebhookconfigurations",
        verbs: VERBS,
    },
    Probe {
        groups: GROUP,
        resource: "mutatingwebhookconfigurations",
        verbs: VERBS,
    },
    Probe {
        groups: GROUP,
        resource: "validatingadmissionpolicies",
        verbs: VERBS,
    },
    Probe {
        groups: GROUP,
        resource: "validatingadmissionpolicybindings",
        verbs: VERBS,
    },
    Probe {
        groups: GROUP,
        resource: "mutatingadmissionpolicies",
        verbs: VERBS,
    },
    Probe {
        groups: GROUP,
        resource: "mutatingadmissionpolicybindings",
        verbs: VERBS,
    },
];

impl Rule for RbacWebhookConfiguration {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        risky::check_roles(
            cx,
            &Self::META,
            PROBES,
            (
                Severity::High,
                "can change or delete the admission webhooks or policies its resourceNames list",
            ),
            "can intercept or switch off admission (webhooks and admission policies)",
            "Keep admission configuration for cluster administrators; limit an operator's caBundle updates with resourceNames.",
            out,
        );
    }
}
