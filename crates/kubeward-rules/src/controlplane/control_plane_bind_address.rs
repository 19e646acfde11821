use super::flags::{invocations, Component};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-controller-manager` or `kube-scheduler` command line whose
    /// `--bind-address` is not a loopback address (`127.0.0.1`, `::1`, `localhost`); the
    /// default, `0.0.0.0`, counts.
    ///
    /// ## Why it matters
    /// Both components serve health, metrics and (with profiling) debug endpoints on their
    /// secure port; they need no caller but the kubelet's probes on the same node. Bound to
    /// every interface they are one more service reachable from pods and the node network.
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
    ///     command: [kube-controller-manager, --bind-address=0.0.0.0]
    /// ```
    ///
    /// ## Fix
    /// `--bind-address=127.0.0.1` (kubeadm's default).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.3.7 "Ensure that the --bind-address argument is set to 127.0.0.1"
    /// - CIS Kubernetes Benchmark v1.10 1.4.2 "Ensure that the --bind-address argument is set to 127.0.0.1"
    pub struct ControlPlaneBindAddress {
        name: "control-plane-bind-address",
        domain: ControlPlane,
        severity: Low,
        summary: "Controller manager or scheduler listens beyond loopback",
    }
}

impl Rule for ControlPlaneBindAddress {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for component in [Component::ControllerManager, Component::Scheduler] {
            for inv in invocations(cx, component) {
                let addr = inv.value("bind-address").map(str::trim);
                if matches!(addr, Some("127.0.0.1" | "::1" | "localhost")) {
                    continue;
                }
                let text = match addr {
                    Some(a) => format!("listens on --bind-address={}", super::flags::clip(a)),
                    None => "listens on every interface (no --bind-address; default 0.0.0.0)"
                        .to_string(),
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    inv.object,
                    &inv.path_of("bind-address"),
                    format!("{} {text}", inv.describe()),
                    "Set --bind-address=127.0.0.1.",
                ));
            }
        }
    }
}
