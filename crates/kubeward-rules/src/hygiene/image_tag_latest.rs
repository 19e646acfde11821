use super::image_ref::images;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label};

declare_rule! {
    /// A container image uses the `latest` tag.
    ///
    /// ## What it does
    /// Reports every container (init, regular, ephemeral) whose image reference has the tag
    /// `latest` and no digest. A reference that also carries a digest (`app:latest@sha256:...`) is
    /// pulled by digest and is not reported. Images without any tag are reported by
    /// `image-without-tag` instead.
    ///
    /// ## Why it matters
    /// `latest` is a moving pointer: whoever pushes last decides what runs, replicas drift apart as
    /// nodes pull at different times, and a compromised registry account or CI job silently reaches
    /// production at the next reschedule. It also defeats vulnerability tracking: the scanned image
    /// is not necessarily the running one.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: DaemonSet
    /// metadata: {name: agent}
    /// spec:
    ///   template:
    ///     spec:
    ///       containers:
    ///       - name: agent
    ///         image: registry.example.com:5000/agent:latest
    /// ```
    ///
    /// ## Fix
    /// Replace `latest` with a release tag or, better, pin the digest.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.5.1 "Configure Image Provenance using ImagePolicyWebhook admission controller"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use trusted images"
    /// - MITRE ATT&CK for containers: T1525 (Implant Internal Image)
    /// - kube-linter: `latest-tag`; Checkov: `CKV_K8S_14` (image tag is fixed, not latest or blank)
    pub struct ImageTagLatest {
        name: "image-tag-latest",
        domain: Hygiene,
        severity: Low,
        summary: "Container image uses the mutable tag latest",
    }
}

impl Rule for ImageTagLatest {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (t, c, image, r) in images(cx) {
            if r.tag != Some("latest") || r.digest.is_some() {
                continue;
            }
            let who = label(&c);
            out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &c.rel_path().key("image"),
                    format!("{who} uses image \"{image}\" with the mutable tag latest"),
                    format!(
                        "replace latest in the image of {who} with a release tag or pin it by digest (@sha256:...)"
                    ),
                ));
        }
    }
}
