use super::namespace::{namespace_policy, NamespacePolicy};
use super::policy::{evaluate_for_cluster, CheckResult};
use super::rules::default_policy;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Level, PolicyVersion, Rule, RuleMeta};
use kubeward_model::effective_namespace;
use std::collections::HashMap;

declare_rule! {
    /// A namespace whose Pod Security `enforce` label is `privileged` admits this pod's baseline
    /// violations.
    ///
    /// ## What it does
    /// For every pod and workload template in a namespace labelled
    /// `pod-security.kubernetes.io/enforce: privileged`, evaluates the Pod Security `baseline`
    /// level (at the cluster's version) and, when the pod would violate it, reports one `info`
    /// finding that names what the label lets through (`privileged`, `hostNamespaces`,
    /// `hostPathVolumes`, ...). The individual checks are still reported by their own rules
    /// under the `audit` and `warn` modes and the default level.
    ///
    /// ## Why it matters
    /// `enforce: privileged` switches Pod Security admission off for the namespace: anyone who
    /// may create pods there can start a privileged, host-namespace or host-mounting pod and
    /// take the node. Such namespaces exist for good reasons (CNI agents, node exporters,
    /// storage drivers), but a reviewer must see that the door is open and which pods rely on
    /// it, so that the exception stays small and the namespace's pod-creating rights stay few.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Namespace
    /// metadata:
    ///   name: monitoring
    ///   labels:
    ///     pod-security.kubernetes.io/enforce: privileged
    /// ---
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: node-exporter, namespace: monitoring}
    /// spec:
    ///   template:
    ///     spec:
    ///       hostPID: true
    ///       containers: [{name: exporter, image: prom/node-exporter:v1.8.2}]
    /// ```
    ///
    /// ## Fix
    /// Keep only the pods that need host access in the privileged namespace and label every
    /// other namespace `baseline` or `restricted`. Where possible, replace the exception with
    /// the narrowest settings (named capabilities instead of `privileged`, read-only hostPath
    /// mounts of specific files) and enforce `baseline` with an explicit exemption instead.
    ///
    /// ## References
    /// - Kubernetes documentation, "Pod Security Admission" (namespace labels, exemptions)
    /// - Pod Security Standards, Privileged and Baseline profiles
    /// - CIS Kubernetes Benchmark v1.10 5.2.1 "Ensure that the cluster has at least one active policy control mechanism in place"
    /// - MITRE ATT&CK T1611 (Escape to Host)
    pub struct PrivilegedNamespaceAdmits {
        name: "privileged-namespace-admits",
        domain: PodSecurity,
        severity: Info,
        summary: "Namespace enforces privileged and admits a pod that violates baseline",
    }
}

impl Rule for PrivilegedNamespaceAdmits {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let defaults = default_policy(cx);
        let mut policies: HashMap<&str, Option<NamespacePolicy>> = HashMap::new();
        for t in cx.index.pod_templates() {
            let Some(ns) = effective_namespace(t.object) else {
                continue;
            };
            let policy = policies.entry(ns).or_insert_with(|| {
                cx.index
                    .namespace(ns)
                    .and_then(|o| namespace_policy(o, defaults))
            });
            let Some(p) = policy.as_ref() else { continue };
            if !p.enforce_labelled || p.enforce.level != Level::Privileged {
                continue;
            }
            let results = evaluate_for_cluster(
                t,
                Level::Baseline,
                PolicyVersion::Latest,
                cx.settings.kubernetes_minor,
            );
            let Some(first) = results.first() else {
                continue;
            };
            let path = first
                .paths
                .first()
                .cloned()
                .unwrap_or_else(|| t.spec_path.clone());
            let ids: Vec<&str> = results.iter().map(|r| r.id).collect();
            let what = if t.is_pod() {
                "this pod".to_string()
            } else {
                format!("the pods of this {}", t.object.kind())
            };
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &path,
                format!(
                    "namespace \"{ns}\" enforces {}, so the API server admits {what} although it violates baseline: {}",
                    p.enforce,
                    describe(&results)
                ),
                format!(
                    "move the workload to a namespace that enforces baseline or restricted, or narrow it until it passes baseline ({})",
                    ids.join(", ")
                ),
            );
            if let Some(nso) = cx.index.namespace(ns) {
                f.related.push(nso.oref.clone());
            }
            out.push(f);
        }
    }
}

/// `privileged (container "a" ...), hostNamespaces (hostPID=true)`: check ids with the
/// upstream detail.
fn describe(results: &[CheckResult]) -> String {
    results
        .iter()
        .map(|r| {
            if r.detail.is_empty() {
                r.id.to_string()
            } else {
                format!("{} ({})", r.id, r.detail)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
