use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-controller-manager` command line without
    /// `--use-service-account-credentials=true` (medium) or without
    /// `--service-account-private-key-file` (medium: no token is signed).
    ///
    /// ## Why it matters
    /// Without per-controller credentials every controller acts with the controller
    /// manager's own, very broad identity: RBAC cannot limit one controller, and the audit log
    /// cannot tell which controller did what.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-controller-manager, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-controller-manager
    ///     image: registry.k8s.io/kube-controller-manager:v1.31.0
    ///     command: [kube-controller-manager, --bind-address=127.0.0.1]
    /// ```
    ///
    /// ## Fix
    /// `--use-service-account-credentials=true` and
    /// `--service-account-private-key-file=/etc/kubernetes/pki/sa.key` (kubeadm sets both).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.3.3 "Ensure that the --use-service-account-credentials argument is set to true"
    /// - CIS Kubernetes Benchmark v1.10 1.3.4 "Ensure that the --service-account-private-key-file argument is set as appropriate"
    pub struct ControllerManagerServiceAccountCredentials {
        name: "controller-manager-service-account-credentials",
        domain: ControlPlane,
        severity: Medium,
        summary: "Controller manager runs every controller with its own credentials",
    }
}

impl Rule for ControllerManagerServiceAccountCredentials {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ControllerManager) {
            let mut problems = Vec::new();
            let mut flag = None;
            if !inv.bool("use-service-account-credentials", false) {
                problems.push("does not set --use-service-account-credentials=true: controllers share the manager's identity");
                flag.get_or_insert("use-service-account-credentials");
            }
            if !inv.is_set("service-account-private-key-file") {
                problems.push("has no --service-account-private-key-file");
                flag.get_or_insert("service-account-private-key-file");
            }
            let Some(flag) = flag else { continue };
            out.push(Finding::new(
                Self::META.name,
                Severity::Medium,
                cx.snapshot,
                inv.object,
                &inv.path_of(flag),
                format!("{} {}", inv.describe(), problems.join("; ")),
                "Set --use-service-account-credentials=true and --service-account-private-key-file.",
            ));
        }
    }
}
