use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// An object uses an API version that Kubernetes has removed.
    ///
    /// ## What it does
    /// Reports objects whose `apiVersion`/`kind` pair is one of the versions the Kubernetes
    /// deprecation policy has removed (the official deprecated API migration guide), with the release
    /// that stopped serving it and the replacement: for example `extensions/v1beta1` and
    /// `apps/v1beta1`/`v1beta2` workloads (removed in 1.16), `networking.k8s.io/v1beta1` Ingress and
    /// `rbac.authorization.k8s.io/v1beta1` (1.22), `batch/v1beta1` CronJob and `policy/v1beta1`
    /// PodSecurityPolicy and PodDisruptionBudget (1.25), `autoscaling/v2beta2` (1.26). When the
    /// target Kubernetes version is configured and still serves the API, the message says so.
    ///
    /// ## Why it matters
    /// A manifest on a removed API fails to apply after an upgrade. Security controls are the worst
    /// hit: a PodSecurityPolicy on `policy/v1beta1` has no effect from 1.25 on, so the cluster
    /// silently loses its pod admission policy unless Pod Security Admission replaces it, and a
    /// failed `kubectl apply` of a NetworkPolicy or RBAC change leaves the old, looser objects in
    /// place.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: extensions/v1beta1
    /// kind: Deployment
    /// metadata: {name: web}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers: [{name: web, image: nginx:1.27}]
    /// ```
    ///
    /// ## Fix
    /// Move the object to the replacement API version (`kubectl convert` or `kubectl-convert`
    /// plugin), adjusting the fields that changed (an `apps/v1` Deployment requires `spec.selector`;
    /// a `networking.k8s.io/v1` Ingress uses `pathType` and `service.name`). Replace
    /// PodSecurityPolicy with Pod Security Admission namespace labels.
    ///
    /// ## References
    /// - Kubernetes deprecated API migration guide (kubernetes.io/docs/reference/using-api/deprecation-guide)
    /// - CIS Kubernetes Benchmark v1.10 5.2 "Pod Security Standards" (PodSecurityPolicy was removed in 1.25)
    /// - NSA/CISA Kubernetes Hardening Guide: "Upgrading and application security practices"
    /// - MITRE ATT&CK for containers: T1562.001 (Impair Defenses: disable or modify tools)
    /// - Pluto (Fairwinds) and kubent; kube-linter: `no-extensions-v1beta`
    pub struct DeprecatedApiVersion {
        name: "deprecated-api-version",
        domain: Hygiene,
        severity: Low,
        summary: "Object uses an API version that Kubernetes has removed",
    }
}

/// `(apiVersion, kind or "*" for every kind of that version, removed in 1.N, replacement)`; an
/// empty replacement means the API has none (PodSecurityPolicy).
const REMOVED: &[(&str, &str, u32, &str)] = &[
    ("extensions/v1beta1", "Deployment", 16, "apps/v1"),
    ("extensions/v1beta1", "DaemonSet", 16, "apps/v1"),
    ("extensions/v1beta1", "ReplicaSet", 16, "apps/v1"),
    ("extensions/v1beta1", "StatefulSet", 16, "apps/v1"),
    (
        "extensions/v1beta1",
        "NetworkPolicy",
        16,
        "networking.k8s.io/v1",
    ),
    ("extensions/v1beta1", "PodSecurityPolicy", 16, ""),
    ("extensions/v1beta1", "Ingress", 22, "networking.k8s.io/v1"),
    ("apps/v1beta1", "*", 16, "apps/v1"),
    ("apps/v1beta2", "*", 16, "apps/v1"),
    (
        "admissionregistration.k8s.io/v1beta1",
        "*",
        22,
        "admissionregistration.k8s.io/v1",
    ),
    (
        "apiextensions.k8s.io/v1beta1",
        "*",
        22,
        "apiextensions.k8s.io/v1",
    ),
    (
        "apiregistration.k8s.io/v1beta1",
        "*",
        22,
        "apiregistration.k8s.io/v1",
    ),
    (
        "authentication.k8s.io/v1beta1",
        "*",
        22,
        "authentication.k8s.io/v1",
    ),
    (
        "authorization.k8s.io/v1beta1",
        "*",
        22,
        "authorization.k8s.io/v1",
    ),
    (
        "certificates.k8s.io/v1beta1",
        "*",
        22,
        "certificates.k8s.io/v1",
    ),
    (
        "coordination.k8s.io/v1beta1",
        "*",
        22,
        "coordination.k8s.io/v1",
    ),
    (
        "networking.k8s.io/v1beta1",
        "Ingress",
        22,
        "networking.k8s.io/v1",
    ),
    (
        "networking.k8s.io/v1beta1",
        "IngressClass",
        22,
        "networking.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1beta1",
        "*",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "rbac.authorization.k8s.io/v1alpha1",
        "*",
        22,
        "rbac.authorization.k8s.io/v1",
    ),
    (
        "scheduling.k8s.io/v1beta1",
        "PriorityClass",
        22,
        "scheduling.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIDriver",
        22,
        "storage.k8s.io/v1",
    ),
    ("storage.k8s.io/v1beta1", "CSINode", 22, "storage.k8s.io/v1"),
    (
        "storage.k8s.io/v1beta1",
        "StorageClass",
        22,
        "storage.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "VolumeAttachment",
        22,
        "storage.k8s.io/v1",
    ),
    ("batch/v1beta1", "CronJob", 25, "batch/v1"),
    (
        "discovery.k8s.io/v1beta1",
        "EndpointSlice",
        25,
        "discovery.k8s.io/v1",
    ),
    ("events.k8s.io/v1beta1", "Event", 25, "events.k8s.io/v1"),
    (
        "autoscaling/v2beta1",
        "HorizontalPodAutoscaler",
        25,
        "autoscaling/v2",
    ),
    ("policy/v1beta1", "PodDisruptionBudget", 25, "policy/v1"),
    ("policy/v1beta1", "PodSecurityPolicy", 25, ""),
    ("node.k8s.io/v1beta1", "RuntimeClass", 25, "node.k8s.io/v1"),
    (
        "autoscaling/v2beta2",
        "HorizontalPodAutoscaler",
        26,
        "autoscaling/v2",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta1",
        "*",
        26,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "storage.k8s.io/v1beta1",
        "CSIStorageCapacity",
        27,
        "storage.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta2",
        "*",
        29,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
    (
        "flowcontrol.apiserver.k8s.io/v1beta3",
        "*",
        32,
        "flowcontrol.apiserver.k8s.io/v1",
    ),
];

/// The removal of `api_version`/`kind`, if any: (removed in 1.N, replacement).
fn removal(api_version: &str, kind: &str) -> Option<(u32, &'static str)> {
    REMOVED
        .iter()
        .find(|(v, k, _, _)| *v == api_version && (*k == kind || *k == "*"))
        .map(|&(_, _, minor, replacement)| (minor, replacement))
}

impl Rule for DeprecatedApiVersion {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for obj in &cx.snapshot.objects {
            let (api, kind) = (obj.oref.api_version.as_str(), obj.kind());
            let Some((minor, replacement)) = removal(api, kind) else {
                continue;
            };
            let message = match cx.settings.kubernetes_minor {
                Some(target) if target < minor => format!(
                    "{kind} uses {api}, which is deprecated and removed in Kubernetes v1.{minor} (the target v1.{target} still serves it)"
                ),
                _ => format!("{kind} uses {api}, which Kubernetes removed in v1.{minor}; the API server no longer accepts it"),
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                obj,
                &FieldPath::root().key("apiVersion"),
                message,
                if replacement.is_empty() {
                    format!("remove the {kind}: it has no successor API; enforce Pod Security Admission with pod-security.kubernetes.io/enforce namespace labels instead")
                } else {
                    format!("migrate the {kind} to {replacement}")
                },
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::removal;

    #[test]
    fn removals() {
        assert_eq!(
            removal("extensions/v1beta1", "Ingress"),
            Some((22, "networking.k8s.io/v1"))
        );
        assert_eq!(
            removal("extensions/v1beta1", "Deployment").map(|r| r.0),
            Some(16)
        );
        assert_eq!(
            removal("apps/v1beta2", "StatefulSet").map(|r| r.0),
            Some(16)
        );
        assert_eq!(removal("batch/v1beta1", "CronJob").map(|r| r.0), Some(25));
        assert_eq!(removal("apps/v1", "Deployment"), None);
        assert_eq!(removal("networking.k8s.io/v1", "Ingress"), None);
        assert_eq!(removal("example.com/v1beta1", "Deployment"), None);
    }
}
