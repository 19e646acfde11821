use super::image_ref::images;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use crate::workload::common::{finding, label};

declare_rule! {
    /// A mutable image is not always pulled.
    ///
    /// ## What it does
    /// Reports containers (init, regular, ephemeral) whose image has the tag `latest` or no tag (and
    /// no digest) while `imagePullPolicy` is explicitly `IfNotPresent` or `Never`. When the policy is
    /// unset the API server defaults it to `Always` for exactly these images, so an unset policy is
    /// not reported.
    ///
    /// ## Why it matters
    /// With a mutable tag and a cached pull, each node runs whatever version it happened to pull
    /// first: a fixed vulnerability stays deployed on some nodes, and a pod can run an image that is
    /// already cached on the node without its own pull credentials being checked (the reason for the
    /// `AlwaysPullImages` admission plugin in multi-tenant clusters).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: web}
    /// spec:
    ///   containers:
    ///   - name: web
    ///     image: nginx:latest
    ///     imagePullPolicy: IfNotPresent
    /// ```
    ///
    /// ## Fix
    /// Pin the image to a release tag or digest (then `IfNotPresent` is safe), or set
    /// `imagePullPolicy: Always`.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.11 "Ensure that the admission control plugin AlwaysPullImages is set"
    /// - NSA/CISA Kubernetes Hardening Guide: "Use trusted images"
    /// - MITRE ATT&CK for containers: T1525 (Implant Internal Image)
    /// - Checkov: `CKV_K8S_15` (image pull policy should be Always)
    pub struct ImagePullPolicyNotAlways {
        name: "image-pull-policy-not-always",
        domain: Hygiene,
        severity: Low,
        summary: "Image with a mutable tag is not pulled with imagePullPolicy Always",
    }
}

impl Rule for ImagePullPolicyNotAlways {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (t, c, image, r) in images(cx) {
            let Some(policy) = c.node.str_at("imagePullPolicy") else {
                continue;
            };
            if policy == "Always" || !r.is_mutable_latest() {
                continue;
            }
            let who = label(&c);
            let tag = if r.tag.is_some() {
                "the mutable tag latest"
            } else {
                "no tag (implicitly latest)"
            };
            out.push(finding(
                    &Self::META,
                    Self::META.severity,
                    cx,
                    t,
                    &c.rel_path().key("imagePullPolicy"),
                    format!(
                        "{who} uses image \"{image}\" with {tag} and imagePullPolicy: {policy}, so nodes may run stale cached images"
                    ),
                    format!("pin the image of {who} to a release tag or digest, or set imagePullPolicy: Always"),
                ));
        }
    }
}
