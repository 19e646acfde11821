use super::flags::{bool_at, existing, kubelet_configs};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `KubeletConfiguration` with `rotateCertificates: false` (client certificate)
    /// or `featureGates: {RotateKubeletServerCertificate: false}` (serving certificate).
    /// Unset fields are not reported, as the benchmark asks only that they are not turned off.
    ///
    /// ## Why it matters
    /// A kubelet that does not rotate keeps one certificate until it expires: a stolen key
    /// stays valid for its whole lifetime, and an expiring certificate takes the node down.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// rotateCertificates: false
    /// ```
    ///
    /// ## Fix
    /// `rotateCertificates: true` and leave `RotateKubeletServerCertificate` on (with
    /// `serverTLSBootstrap: true` and an approver for the serving CSRs).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 4.2.10 "Ensure that the --rotate-certificates argument is not set to false"
    /// - CIS Kubernetes Benchmark v1.10 4.2.11 "Verify that the RotateKubeletServerCertificate argument is set to true"
    pub struct KubeletCertificateRotation {
        name: "kubelet-certificate-rotation",
        domain: ControlPlane,
        severity: Low,
        summary: "Kubelet does not rotate its certificates",
    }
}

impl Rule for KubeletCertificateRotation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubelet_configs(cx) {
            let gate = ["featureGates", "RotateKubeletServerCertificate"];
            let (keys, what): (&[&str], &str) =
                if !bool_at(&cfg.root, &["rotateCertificates"], true) {
                    (
                        &["rotateCertificates"],
                        "its client certificate (rotateCertificates: false)",
                    )
                } else if !bool_at(&cfg.root, &gate, true) {
                    (
                        &gate,
                        "its serving certificate (RotateKubeletServerCertificate: false)",
                    )
                } else {
                    continue;
                };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                cfg,
                &existing(&cfg.root, keys),
                format!("kubelet does not rotate {what}"),
                "Set rotateCertificates: true and keep the RotateKubeletServerCertificate feature gate on.",
            ));
        }
    }
}
