use super::grants::{self, Probe};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can start pods of its choosing: `create` on `pods`,
    /// or `create`, `update` or `patch` on a controller that stamps out pods (Deployments,
    /// ReplicaSets, StatefulSets, DaemonSets, ReplicationControllers, Jobs, CronJobs), named
    /// explicitly or through a wildcard.
    ///
    /// Updating a controller counts because changing its pod template makes it create new
    /// pods from the new template. The rule judges the role's effective rules (aggregated
    /// ClusterRoles included) as the API server matches them.
    ///
    /// ## Why it matters
    /// Whoever can create a pod chooses its spec: a privileged container with the node's
    /// root filesystem mounted (`hostPath: /`), host namespaces, or the service account of
    /// any workload in the namespace (and with it that account's token and permissions).
    /// Unless Pod Security admission (or a policy engine) enforces `baseline` or `restricted`
    /// on the namespace, this is a direct path to the node and usually to the cluster.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: deployer, namespace: shop}
    /// rules:
    /// - apiGroups: [apps]
    ///   resources: [deployments]
    ///   verbs: [create, update, patch]
    /// ```
    ///
    /// ## Fix
    /// Grant workload creation only to CI/CD identities and administrators, and enforce Pod
    /// Security (`pod-security.kubernetes.io/enforce: restricted` or `baseline`) on the
    /// namespaces they deploy to. Prefer namespaced Roles over ClusterRoles.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.4 "Minimize access to create pods"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1610 Deploy Container
    /// - KubeHound: `POD_CREATE`, `POD_PATCH` edges
    /// - kube-linter `access-to-create-pods`
    pub struct RbacCreatePods {
        name: "rbac-create-pods",
        domain: Rbac,
        severity: High,
        summary: "Role can create pods or change the pod templates of workload controllers",
    }
}

const CONTROLLER_VERBS: &[&str] = &["create", "update", "patch"];

const PROBES: &[Probe] = &[
    Probe {
        groups: &[""],
        resource: "pods",
        verbs: &["create"],
    },
    Probe {
        groups: &[""],
        resource: "replicationcontrollers",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["apps", "extensions"],
        resource: "deployments",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["apps", "extensions"],
        resource: "replicasets",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["apps", "extensions"],
        resource: "daemonsets",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["apps"],
        resource: "statefulsets",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["batch"],
        resource: "jobs",
        verbs: CONTROLLER_VERBS,
    },
    Probe {
        groups: &["batch"],
        resource: "cronjobs",
        verbs: CONTROLLER_VERBS,
    },
];

impl Rule for RbacCreatePods {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let hits = grants::find(engine, role, PROBES);
            let Some(first) = hits.first() else { continue };
            let message = format!(
                "{} can start pods with any spec {}: {}{}{}",
                grants::describe(role),
                grants::scope(engine, role),
                grants::summarize(&hits),
                grants::wildcard_note(&hits),
                super::risky::holders(engine, role)
            );
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                role,
                &first.path(),
                message,
                "Restrict pod and workload creation to deployment identities, and enforce Pod Security `restricted` (or `baseline`) on the namespaces concerned.",
            ));
        }
    }
}
