//! The shared check behind `missing-liveness-probe` and `missing-readiness-probe`.

use crate::finding::Finding;
use crate::rule::{Context, RuleMeta};
use crate::workload::common::{finding, label};
use kubeward_model::{ContainerKind, PodTemplate};

/// Whether the workload runs long-lived pods behind a controller that uses probes: Deployments,
/// StatefulSets, DaemonSets, ReplicaSets, ReplicationControllers, Argo Rollouts and OpenShift
/// DeploymentConfigs. Bare Pods, Jobs, CronJobs, PodTemplates and other custom resources are not
/// judged: they run to completion or their controller's semantics are unknown.
pub(crate) fn long_running(t: &PodTemplate<'_>) -> bool {
    let o = &t.object.oref;
    match o.kind.as_str() {
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "ReplicationController" => {
            matches!(o.group(), "" | "apps" | "extensions")
        }
        "Rollout" => o.group() == "argoproj.io",
        "DeploymentConfig" => matches!(o.group(), "apps.openshift.io" | ""),
        _ => false,
    }
}

/// Reports regular containers of long-running workloads without `probe` (`livenessProbe` or
/// `readinessProbe`).
pub(crate) fn check(
    meta: &'static RuleMeta,
    cx: &Context<'_>,
    out: &mut Vec<Finding>,
    probe: &str,
    why: &str,
) {
    for t in cx.index.pod_templates() {
        if !long_running(t) {
            continue;
        }
        for c in t.containers() {
            if c.kind != ContainerKind::Regular || c.node.get(probe).is_some_and(|p| !p.is_null()) {
                continue;
            }
            let who = label(&c);
            out.push(finding(
                meta,
                meta.severity,
                cx,
                t,
                &c.rel_path().key(probe),
                format!(
                    "{who} of {} \"{}\" has no {probe}: {why}",
                    t.object.kind(),
                    t.object.name()
                ),
                format!("add a {probe} (httpGet, tcpSocket, grpc or exec) to {who}"),
            ));
        }
    }
}
