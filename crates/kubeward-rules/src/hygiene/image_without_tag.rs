use super::image_ref::images;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label};

declare_rule! {
    /// A container image has neither a tag nor a digest.
    ///
    /// ## What it does
    /// Parses the `image` of every container (init, regular, ephemeral) as the container runtime
    /// does (`registry[:port]/repository[:tag][@digest]`, so `localhost:5000/app` has no tag: the
    /// `:5000` is the registry port) and reports references with neither a tag nor a digest.
    /// Unrendered templates (`{{ .Values.image }}`, `$IMAGE`) are not judged.
    ///
    /// ## Why it matters
    /// An untagged reference means `:latest`: whatever was pushed last runs. Anyone who can push to
    /// the repository (or a typo-squatted public image of that name) decides what code the next
    /// rescheduled pod executes, and two replicas may run different code. Rollbacks and audits
    /// cannot tell which image ran.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: localhost:5000/web
    /// ```
    ///
    /// ## Fix
    /// Name an immutable version: a release tag (`web:1.4.2`) or, better, a digest
    /// (`web@sha256:...`).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.5.1 "Configure Image Provenance using ImagePolicyWebhook admission controller"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use trusted images" / image scanning
    /// - MITRE ATT&CK for containers: T1525 (Implant Internal Image), T1195.002 (Supply chain compromise)
    /// - kube-linter: `latest-tag`; Checkov: `CKV_K8S_14` (image tag is fixed)
    pub struct ImageWithoutTag {
        name: "image-without-tag",
        domain: Hygiene,
        severity: Low,
        summary: "Container image has no tag (implicitly latest)",
    }
}

impl Rule for ImageWithoutTag {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (t, c, image, r) in images(cx) {
            if r.tag.is_some() || r.digest.is_some() {
                continue;
            }
            let who = label(&c);
            out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &c.rel_path().key("image"),
                    format!("{who} uses image \"{image}\" with no tag or digest, which resolves to the mutable tag latest"),
                    format!("pin {who} to a release tag or a digest, e.g. \"{image}:<version>\" or \"{image}@sha256:<digest>\""),
                ));
        }
    }
}
