use super::grants::Probe;
use super::risky;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can change running pods: `update` or `patch` on
    /// `pods` in the core API group, named explicitly or through a wildcard in `verbs`,
    /// `resources` or `apiGroups`.
    ///
    /// `update` and `patch` on the pod controllers (Deployments, DaemonSets, StatefulSets,
    /// ReplicaSets, Jobs, CronJobs, ReplicationControllers) start pods with a new spec and are
    /// reported by `rbac-create-pods`; subresources (`pods/status`, `pods/ephemeralcontainers`,
    /// `deployments/scale`) are not `pods`. Severity is high; it is medium when
    /// `resourceNames` limits every matching rule to named pods. The finding names the role's
    /// holders (subjects and bindings of the input and of Kubernetes' defaults). The rule
    /// judges the role's effective rules (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// A running pod's container images are mutable: whoever may patch a pod swaps the image
    /// of one of its containers for one of their own, and the kubelet restarts the container
    /// with the new image, the pod's mounted Secrets, its service account token, its volumes
    /// and its place on the node. Labels are mutable too: relabelling a pod moves it into or
    /// out of a Service or a NetworkPolicy's selection.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: pod-patcher, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods]
    ///   verbs: [get, patch]
    /// ```
    ///
    /// ## Fix
    /// Let controllers, not people or workloads, change pods: roll out through a Deployment
    /// changed by the deployment pipeline. If a controller must patch pods (labels for
    /// leader election, for instance), limit it with `resourceNames` and admission policy.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1 "RBAC and Service Accounts" (least privilege)
    /// - MITRE ATT&CK for Containers: T1610 Deploy Container, T1525 Implant Internal Image
    /// - KubeHound: `POD_PATCH` edge
    pub struct RbacPatchPods {
        name: "rbac-patch-pods",
        domain: Rbac,
        severity: High,
        summary: "Role can update or patch running pods (swap a container's image)",
    }
}

const PROBES: &[Probe] = &[Probe {
    groups: &[""],
    resource: "pods",
    verbs: &["update", "patch"],
}];

impl Rule for RbacPatchPods {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        risky::check_roles(
            cx,
            &Self::META,
            PROBES,
            (
                Severity::Medium,
                "can change the running pods its resourceNames list (swap a container's image)",
            ),
            "can change running pods (swap a container's image)",
            "Remove update/patch on pods from this role; roll out through the pod's controller, or limit the rule with resourceNames.",
            out,
        );
    }
}
