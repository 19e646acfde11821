use super::grants::{self, Probe};
use super::risky;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a Role or ClusterRole that can create PersistentVolumes: `create` on
    /// `persistentvolumes` in the core API group, named explicitly or through a wildcard.
    ///
    /// PersistentVolumes are cluster-scoped: in a namespaced Role, or in a ClusterRole the
    /// input binds only through RoleBindings, the right grants nothing and is ignored. A rule
    /// limited by `resourceNames` grants no `create` (the name of an object to create is not
    /// known when it is authorized) and is ignored too. `create` on `persistentvolumeclaims`
    /// is not reported: a claim binds to volumes an administrator or a provisioner made. The
    /// finding names the role's holders. The rule judges the role's effective rules
    /// (aggregated ClusterRoles included).
    ///
    /// ## Why it matters
    /// A PersistentVolume can be a `hostPath` (or `local`) volume: whoever creates one, with a
    /// claim that binds to it (`claimRef` pre-binds it to a claim of their namespace), mounts
    /// any directory of a node, `/` included, into their pod. Pod Security's `hostPath` check
    /// does not see it: the pod only names a claim. The node's files, its kubelet credentials
    /// and the container runtime's socket follow.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: rbac.authorization.k8s.io/v1
    /// kind: ClusterRole
    /// metadata: {name: volume-maker}
    /// rules:
    /// - apiGroups: [""]
    ///   resources: [persistentvolumes]
    ///   verbs: [create]
    /// ```
    ///
    /// ## Fix
    /// Provision volumes dynamically through StorageClasses and give teams `create` on
    /// `persistentvolumeclaims` only. Keep PersistentVolume creation for administrators and
    /// storage provisioners, and forbid `hostPath` PersistentVolumes with an admission policy.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.9 "Minimize access to create persistent volumes"
    /// - MITRE ATT&CK for Containers: T1611 Escape to Host
    /// - KubeHound: `VOLUME_ACCESS`, `EXPLOIT_HOST_READ`/`EXPLOIT_HOST_WRITE` edges (here
    ///   through a PersistentVolume)
    pub struct RbacPersistentVolumes {
        name: "rbac-persistent-volumes",
        domain: Rbac,
        severity: High,
        summary: "Role can create PersistentVolumes (a hostPath volume mounts the node)",
    }
}

const PROBES: &[Probe] = &[Probe {
    groups: &[""],
    resource: "persistentvolumes",
    verbs: &["create"],
}];

impl Rule for RbacPersistentVolumes {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let engine = grants::engine(cx);
        for role in grants::roles(cx) {
            let mut hits = grants::find(engine, role, PROBES);
            // `create` is authorized without a name: resourceNames rules never grant it
            hits.retain(|h| !h.restricted_by_name());
            if hits.is_empty() {
                continue;
            }
            risky::report(
                cx,
                &Self::META,
                Self::META.severity,
                role,
                &hits,
                (
                    "can create PersistentVolumes (a hostPath volume mounts a node's files)",
                    "Remove create on persistentvolumes; provision through StorageClasses and forbid hostPath PersistentVolumes in admission.",
                ),
                out,
            );
        }
    }
}
