use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-apiserver`, `kube-controller-manager` or `kube-scheduler` command line
    /// that leaves `--profiling` at its default (`true`) or sets it to `true`.
    ///
    /// ## Why it matters
    /// The profiling handlers (`/debug/pprof`) show the component's goroutines, heap and
    /// command line to whoever may call them, and a CPU or heap profile on demand loads the
    /// control plane: information and a denial-of-service lever nobody needs in production.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-scheduler, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-scheduler
    ///     image: registry.k8s.io/kube-scheduler:v1.31.0
    ///     command: [kube-scheduler, --kubeconfig=/etc/kubernetes/scheduler.conf]
    /// ```
    ///
    /// ## Fix
    /// Add `--profiling=false` to each component's command.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.15 "Ensure that the --profiling argument is set to false"
    /// - CIS Kubernetes Benchmark v1.10 1.3.2 "Ensure that the --profiling argument is set to false"
    /// - CIS Kubernetes Benchmark v1.10 1.4.1 "Ensure that the --profiling argument is set to false"
    pub struct ControlPlaneProfiling {
        name: "control-plane-profiling",
        domain: ControlPlane,
        severity: Low,
        summary: "Control-plane component serves profiling endpoints",
    }
}

impl Rule for ControlPlaneProfiling {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for component in [
            Component::ApiServer,
            Component::ControllerManager,
            Component::Scheduler,
        ] {
            for inv in invocations(cx, component) {
                if !inv.bool("profiling", true) {
                    continue;
                }
                let how = if inv.flag("profiling").is_some() {
                    "enables --profiling"
                } else {
                    "leaves --profiling at its default (true)"
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    inv.object,
                    &inv.path_of("profiling"),
                    format!("{} {how}: /debug/pprof is served", inv.describe()),
                    "Add --profiling=false to the component's command.",
                ));
            }
        }
    }
}
