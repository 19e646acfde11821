use super::image_ref::images;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label};

declare_rule! {
    /// A container image is not pinned by digest.
    ///
    /// ## What it does
    /// Reports every container (init, regular, ephemeral) whose image reference has no
    /// `@sha256:...` digest, whatever its tag. References are parsed as the runtime does, so a
    /// registry port (`localhost:5000/app@sha256:...`) is not mistaken for a tag.
    ///
    /// ## Why it matters
    /// Tags are mutable: a registry or CI compromise can re-point `app:1.4.2` at a backdoored image
    /// and every node that pulls it afterwards runs the attacker's code. Only a digest names exactly
    /// the bytes that were built, scanned and signed.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: batch/v1
    /// kind: Job
    /// metadata: {name: migrate}
    /// spec:
    ///   template:
    ///     spec:
    ///       restartPolicy: Never
    ///       containers:
    ///       - name: migrate
    ///         image: ghcr.io/example/migrate:1.4.2
    /// ```
    ///
    /// ## Fix
    /// Append the digest (`ghcr.io/example/migrate:1.4.2@sha256:<digest>`); tools such as Renovate,
    /// `crane digest` or `kustomize edit set image` keep it current.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.5.1 "Configure Image Provenance using ImagePolicyWebhook admission controller"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use trusted images"
    /// - MITRE ATT&CK for containers: T1525 (Implant Internal Image), T1195.002 (Supply chain compromise)
    /// - Checkov: `CKV_K8S_43` (image should use digest)
    pub struct ImageNotPinnedByDigest {
        name: "image-not-pinned-by-digest",
        domain: Hygiene,
        severity: Low,
        summary: "Container image is not pinned by digest",
    }
}

impl Rule for ImageNotPinnedByDigest {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (t, c, image, r) in images(cx) {
            if r.digest.is_some() {
                continue;
            }
            let who = label(&c);
            out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &c.rel_path().key("image"),
                    format!(
                        "{who} uses image \"{image}\" without a digest, so the tag can be re-pointed at other content"
                    ),
                    format!("pin the image of {who} by digest: \"{image}@sha256:<digest>\""),
                ));
        }
    }
}
