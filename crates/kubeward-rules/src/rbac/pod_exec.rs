use super::grants::{self, Probe};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can run commands in, or attach to, running
    /// containers:
    /// - `create` on `pods/exec` or `pods/attach`, and also `get` on them: before Kubernetes
    ///   1.31 a WebSocket `exec` request was authorized with the `get` verb;
    /// - `update` or `patch` on `pods/ephemeralcontainers` (inject a debug container into a
    ///   running pod);
    /// - `get` or `create` on `nodes/proxy`, which reaches the kubelet API (its `/exec` and
    ///   `/run` endpoints) of every node;
    /// - `create` on `pods/portforward` is reported with medium severity: it opens network
    ///   access to any port of the pod, bypassing NetworkPolicies, but runs no command.
    ///
    /// Wildcards count as the API server reads them (`*`, `*/exec`; `pods/*` is not a
    /// pattern and grants nothing); `nodes/proxy` in a namespaced Role, or in a ClusterRole the
    /// input binds only through RoleBindings, grants nothing (nodes are cluster-scoped) and is
    /// ignored; where it counts (a ClusterRole bound cluster-wide, or not bound in the input)
    /// the finding is critical. With `--kubernetes-version` 1.31 or later, `get` on `pods/exec` and
    /// `pods/attach` is no longer reported. The rule judges the role's effective rules
    /// (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// Exec into a pod gives its holder everything the pod has: its mounted Secrets and
    /// service account token, its network position, and, in a privileged pod, the node.
    /// `nodes/proxy` reaches every pod of every node at once and leaves no trace in the API
    /// server's audit log beyond the proxy request.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: Role
    /// metadata: {name: debugger, namespace: shop}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [pods/exec]
    ///   verbs: [create]
    /// ```
    ///
    /// ## Fix
    /// Keep exec, attach and ephemeral containers for break-glass administrator roles; give
    /// operators logs (`pods/log`) instead. Never grant `nodes/proxy` outside monitoring agents
    /// that strictly need kubelet metrics (prefer the `nodes/metrics` and `nodes/stats`
    /// subresources).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1 "RBAC and Service Accounts" (least privilege)
    /// - CIS Kubernetes Benchmark v1.10 5.1.10 "Minimize access to the proxy sub-resource of nodes"
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1609 Container Administration Command
    /// - KubeHound: `POD_EXEC`, `POD_ATTACH` edges; kubeward's `NODES_PROXY`
    /// - Kubernetes advisory on `nodes/proxy` and WebSocket exec authorization (KEP-4006)
    pub struct RbacPodExec {
        name: "rbac-pod-exec",
        domain: Rbac,
        severity: High,
        summary: "Role can exec or attach into running pods (or reach the kubelet API)",
    }
}

const HIGH: &[Probe] = &[
    Probe {
        groups: &[""],
        resource: "pods/exec",
        verbs: &["create", "get"],
    },
    Probe {
        groups: &[""],
        resource: "pods/attach",
        verbs: &["create", "get"],
    },
    Probe {
        groups: &[""],
        resource: "pods/ephemeralcontainers",
        verbs: &["update", "patch"],
    },
    Probe {
        groups: &[""],
        resource: "nodes/proxy",
        verbs: &["get", "create"],
    },
];

const MEDIUM: &[Probe] = &[Probe {
    groups: &[""],
    resource: "pods/portforward",
    verbs: &["create", "get"],
}];

impl Rule for RbacPodExec {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let mut hits = grants::find(engine, role, HIGH);
            // From Kubernetes 1.31 WebSocket exec/attach need `create` too.
            if cx.settings.kubernetes_minor.is_some_and(|m| m >= 31) {
                hits.retain(|h| !(h.verb == "get" && h.resource.starts_with("pods/")));
            }
            let severity = if hits.is_empty() {
                hits = grants::find(engine, role, MEDIUM);
                Severity::Medium
            } else if hits.iter().any(|h| h.resource == "nodes/proxy") {
                // the kubelet API of every node: exec in every pod of the cluster
                Severity::Critical
            } else {
                Self::META.severity
            };
            let Some(first) = hits.first() else { continue };
            let what = if severity == Severity::Medium {
                "can open port-forwards into running pods (bypassing NetworkPolicies)"
            } else if hits.iter().any(|h| h.resource == "nodes/proxy") {
                "can run commands in running containers (nodes/proxy reaches the kubelet API of every node)"
            } else {
                "can run commands in running containers"
            };
            let get_only = hits
                .iter()
                .all(|h| h.verb == "get" && h.resource.starts_with("pods/"));
            let note = if get_only {
                " (`get` authorizes WebSocket exec and attach before Kubernetes 1.31)"
            } else {
                ""
            };
            let message = format!(
                "{} {what} {}: {}{}{note}{}",
                grants::describe(role),
                grants::scope(engine, role),
                grants::summarize(&hits),
                grants::wildcard_note(&hits),
                super::risky::holders(engine, role)
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                role,
                &first.path(),
                message,
                "Remove exec/attach/ephemeralcontainers/nodes/proxy from this role; keep them for break-glass administrator roles.",
            ));
        }
    }
}
