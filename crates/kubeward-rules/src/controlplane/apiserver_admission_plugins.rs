use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reads the admission plugins of the `kube-apiserver` command line
    /// (`--enable-admission-plugins`, the deprecated `--admission-control`,
    /// `--disable-admission-plugins`; every occurrence, comma lists) and reports:
    /// - `AlwaysAdmit` enabled: high;
    /// - `NodeRestriction` not enabled: medium (it is not on by default);
    /// - `PodSecurity` or `ServiceAccount` disabled: medium (both are on by default).
    ///
    /// ## Why it matters
    /// Without `NodeRestriction` a kubelet's credentials can label any Node (steering
    /// sensitive workloads onto a compromised node) and modify other nodes' pods' status.
    /// Without `PodSecurity` no namespace label is enforced: a privileged pod is admitted
    /// everywhere. `AlwaysAdmit` is deprecated and admits every request unchanged.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command: [kube-apiserver, --enable-admission-plugins=AlwaysAdmit, --disable-admission-plugins=PodSecurity]
    /// ```
    ///
    /// ## Fix
    /// `--enable-admission-plugins=NodeRestriction` (kubeadm's default), remove `AlwaysAdmit`,
    /// and keep `PodSecurity` and `ServiceAccount` out of `--disable-admission-plugins`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.10 "Ensure that the admission control plugin AlwaysAdmit is not set"
    /// - CIS Kubernetes Benchmark v1.10 1.2.12 "Ensure that the admission control plugin ServiceAccount is set"
    /// - CIS Kubernetes Benchmark v1.10 1.2.14 "Ensure that the admission control plugin NodeRestriction is set"
    /// - CIS Kubernetes Benchmark v1.10 5.2.1 "Ensure that the cluster has at least one active policy control mechanism in place"
    /// - Kubernetes documentation: "Admission Control in Kubernetes"
    pub struct ApiserverAdmissionPlugins {
        name: "apiserver-admission-plugins",
        domain: ControlPlane,
        severity: Medium,
        summary: "API server runs AlwaysAdmit, or lacks NodeRestriction or PodSecurity",
    }
}

impl Rule for ApiserverAdmissionPlugins {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            let mut enabled = inv.list("enable-admission-plugins");
            enabled.extend(inv.list("admission-control"));
            let disabled = inv.list("disable-admission-plugins");
            let enable_flag = if inv.flag("enable-admission-plugins").is_some() {
                "enable-admission-plugins"
            } else {
                "admission-control"
            };
            let mut problems: Vec<(Severity, &str, String)> = Vec::new();
            if enabled.contains(&"AlwaysAdmit") {
                problems.push((
                    Severity::High,
                    enable_flag,
                    "enables AlwaysAdmit, which admits every request unchecked".into(),
                ));
            }
            if !enabled.contains(&"NodeRestriction") {
                problems.push((
                    Severity::Medium,
                    enable_flag,
                    "does not enable NodeRestriction: kubelets may modify other nodes and their pods".into(),
                ));
            }
            for plugin in ["PodSecurity", "ServiceAccount"] {
                if disabled.contains(&plugin) {
                    problems.push((
                        Severity::Medium,
                        "disable-admission-plugins",
                        format!("disables {plugin}"),
                    ));
                }
            }
            let Some(severity) = problems.iter().map(|p| p.0).max() else {
                continue;
            };
            let first = problems
                .iter()
                .find(|p| p.0 == severity)
                .map_or("", |p| p.1);
            let text: Vec<&str> = problems.iter().map(|p| p.2.as_str()).collect();
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                inv.object,
                &inv.path_of(first),
                format!("{} {}", inv.describe(), text.join("; ")),
                "Set --enable-admission-plugins=NodeRestriction (without AlwaysAdmit) and keep PodSecurity and ServiceAccount enabled.",
            ));
        }
    }
}
