use super::common::{finding, is_windows, label};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// Processes run with the root group (GID 0).
    ///
    /// ## What it does
    /// Reports GID 0 set explicitly anywhere it applies:
    /// - `runAsGroup: 0` on a container, or on the pod when at least one container inherits it (a
    ///   container's own `runAsGroup` overrides the pod's);
    /// - `fsGroup: 0` on the pod (volumes become group-owned by root);
    /// - `0` in the pod's `supplementalGroups`.
    ///
    /// Init and ephemeral containers are included; Windows pods are skipped. An unset `runAsGroup`
    /// (the image's group applies) is not reported. UID 0 (`runAsUser: 0`) is the Pod Security rule
    /// `run-as-user-root`.
    ///
    /// ## Why it matters
    /// Group 0 owns many sensitive files on a host and in images (`/etc/shadow` is often
    /// `root:shadow`, but `/etc`, `/root` and much of `/var` are group `root`, as are files in
    /// hostPath or shared volumes). A process with GID 0 that escapes to, or mounts, the host
    /// filesystem can read and write everything that is group-root accessible, and `fsGroup: 0`
    /// gives every container of the pod root-group access to its volumes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: app}
    /// spec:
    ///   securityContext: {runAsUser: 1000, runAsGroup: 0}
    ///   containers:
    ///   - name: app
    ///     image: app:1.0
    /// ```
    ///
    /// ## Fix
    /// Set `runAsGroup` and `fsGroup` to a non-zero GID (e.g. `10001`) and remove `0` from
    /// `supplementalGroups`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.2.7 "Minimize the admission of root containers"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use non-root containers"
    /// - MITRE ATT&CK for containers: T1611 (Escape to Host), T1078 (Valid Accounts)
    /// - kube-linter: `run-as-non-root` (covers users only); Checkov: `CKV_K8S_40` (high UID), no GID check
    pub struct RunAsRootGroup {
        name: "run-as-root-group",
        domain: Workload,
        severity: Medium,
        summary: "Pod or container runs with the root group (GID 0)",
    }
}

const REMEDIATION: &str =
    "use a non-zero GID (e.g. 10001) for runAsGroup and fsGroup and remove 0 from supplementalGroups";

impl Rule for RunAsRootGroup {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if is_windows(t) {
                continue;
            }
            let pod_sc = t.security_context();
            let pod_sc_path = FieldPath::root().key("securityContext");
            let containers = t.containers();
            let mut inheriting = Vec::new();
            for c in &containers {
                match c.security_context().get("runAsGroup") {
                    Some(g) if g.as_i64() == Some(0) => out.push(finding(
                        &Self::META,
                        Self::META.severity,
                        cx,
                        t,
                        &c.rel_path().key("securityContext").key("runAsGroup"),
                        format!(
                            "{} runs with securityContext.runAsGroup: 0 (the root group)",
                            label(c)
                        ),
                        REMEDIATION,
                    )),
                    Some(g) if !g.is_null() => {}
                    _ => inheriting.push(label(c)),
                }
            }
            if pod_sc.i64_at("runAsGroup") == Some(0)
                && (!inheriting.is_empty() || containers.is_empty())
            {
                out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &pod_sc_path.key("runAsGroup"),
                    format!(
                        "pod sets securityContext.runAsGroup: 0, so {} run with the root group",
                        if inheriting.is_empty() {
                            "its containers".to_string()
                        } else {
                            inheriting.join(", ")
                        }
                    ),
                    REMEDIATION,
                ));
            }
            if pod_sc.i64_at("fsGroup") == Some(0) {
                out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &pod_sc_path.key("fsGroup"),
                    "pod sets securityContext.fsGroup: 0, so its volumes are owned by the root group and every container gets GID 0 as a supplemental group",
                    REMEDIATION,
                ));
            }
            let groups = pod_sc
                .get("supplementalGroups")
                .map(Node::items)
                .unwrap_or(&[]);
            if let Some(i) = groups.iter().position(|g| g.as_i64() == Some(0)) {
                out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &pod_sc_path.key("supplementalGroups").index(i),
                    "pod lists GID 0 (the root group) in securityContext.supplementalGroups, so every container process is in the root group",
                    REMEDIATION,
                ));
            }
        }
    }
}
