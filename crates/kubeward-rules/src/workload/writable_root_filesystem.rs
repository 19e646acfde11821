use super::common::{finding, is_windows, label};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// A container's root filesystem is writable.
    ///
    /// ## What it does
    /// Reports every container (init, regular and ephemeral) whose
    /// `securityContext.readOnlyRootFilesystem` is not `true`. The field exists only at container
    /// level, so a pod-level setting cannot satisfy it. YAML 1.1 spellings count as the API server
    /// reads them (`readOnlyRootFilesystem: yes` is `true`). Pods with `spec.os.name: windows` are
    /// skipped: Windows containers do not support the field.
    ///
    /// ## Why it matters
    /// An attacker who gets code execution in a container with a writable root filesystem can drop
    /// tools and payloads, replace binaries the application later executes, or tamper with
    /// configuration to persist across process restarts. A read-only root forces every write into
    /// an explicit volume that can be reviewed (`emptyDir`, `noexec` where possible).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: nginx:1.27
    ///         securityContext: {readOnlyRootFilesystem: false}
    /// ```
    ///
    /// ## Fix
    /// Set `securityContext.readOnlyRootFilesystem: true` on every container and mount an `emptyDir`
    /// at the paths the application must write (`/tmp`, caches, pid files).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.7.3 "Apply SecurityContext to your Pods and Containers"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use immutable container file systems"
    /// - MITRE ATT&CK for containers: T1105 (Ingress Tool Transfer), T1036 (Masquerading)
    /// - kube-linter: `no-read-only-root-fs`; Checkov: `CKV_K8S_22`
    pub struct WritableRootFilesystem {
        name: "writable-root-filesystem",
        domain: Workload,
        severity: Medium,
        summary: "Container root filesystem is writable (readOnlyRootFilesystem is not true)",
    }
}

impl Rule for WritableRootFilesystem {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            if is_windows(t) {
                continue;
            }
            for c in t.containers() {
                let who = label(&c);
                let message = match c.security_context().get("readOnlyRootFilesystem") {
                    Some(v) if v.as_bool() == Some(true) => continue,
                    Some(v) => format!(
                        "{who} sets securityContext.readOnlyRootFilesystem: {}, so its root filesystem is writable",
                        v.scalar_text().unwrap_or_else(|| "(not a boolean)".into())
                    ),
                    None => format!(
                        "{who} does not set securityContext.readOnlyRootFilesystem: true, so its root filesystem is writable"
                    ),
                };
                let rel = c
                    .rel_path()
                    .key("securityContext")
                    .key("readOnlyRootFilesystem");
                out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &rel,
                    message,
                    format!(
                        "set securityContext.readOnlyRootFilesystem: true on {who} and mount an emptyDir where it must write"
                    ),
                ));
            }
        }
    }
}
