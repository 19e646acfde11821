//! The `supply-chain` domain: findings about what runs inside the images.
//!
//! These rules cannot be evaluated from manifests alone: their findings are made after the
//! analysis by the CLI, from the image inventory (`kubeward scan --inventory`). They are in
//! the catalogue so that selection, severity overrides, `kubeward explain` and the rule
//! reference know them; their [`Rule::check`] adds nothing.

use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a container whose image is in the kubeward inventory with known
    /// vulnerabilities: one finding per vulnerability and container, from the image's last
    /// match (`kubeward inventory rescan`). The image is looked up by digest when the
    /// manifest pins one (`image: repo@sha256:...`), else by its reference.
    ///
    /// The finding's severity is the vulnerability's (unknown counts as `low`), raised one
    /// level when the workload is exposed to the internet (selected by a `LoadBalancer` or
    /// `NodePort` Service, or by a Service an Ingress routes to) or runs privileged or with a
    /// `hostPath` volume: there a vulnerability is reachable, or its exploitation reaches the
    /// node. The message says why a finding was raised.
    ///
    /// Only `kubeward scan --inventory [PATH]` makes these findings; without `--inventory`
    /// the rule is silent.
    ///
    /// ## Why it matters
    /// A manifest can be perfectly hardened and still run a library with a remote code
    /// execution bug. Advisories keep arriving after an image is built, so an image that was
    /// clean at release becomes vulnerable while it runs; tying the inventory's matches to
    /// the workloads that run the image says which deployments to rebuild first.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: web, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: web}}
    ///   template:
    ///     metadata: {labels: {app: web}}
    ///     spec:
    ///       containers:
    ///       - name: web
    ///         image: registry.example/shop/web:1.0   # inventory: lodash 4.17.15, GHSA-p6mc-m468-83gw
    /// ```
    /// With `kubeward inventory add registry.example/shop/web:1.0` and
    /// `kubeward inventory rescan --db osv/`, `kubeward scan --inventory manifests/` reports
    /// the lodash vulnerability on `Deployment shop/web`.
    ///
    /// ## Fix
    /// Rebuild the image with the fixed package version the finding names (or a newer base
    /// image), push it, and deploy it pinned by digest; then `kubeward inventory add` the new
    /// image. Where no fix exists, reduce the exposure (ClusterIP, NetworkPolicy, no
    /// privileges) or record an OpenVEX statement if the vulnerable code is not reachable.
    ///
    /// ## References
    /// - NSA/CISA Kubernetes Hardening Guide: "Threat model" and "Audit logging and threat
    ///   detection" (scan images for vulnerabilities, continuously)
    /// - CIS Kubernetes Benchmark 5.5.1: "Configure Image Provenance"
    /// - MITRE ATT&CK T1190: Exploit Public-Facing Application
    /// - OSV schema: <https://ossf.github.io/osv-schema/>
    pub struct VulnerableImage {
        name: "vulnerable-image",
        domain: SupplyChain,
        severity: High,
        summary: "Container image has known vulnerabilities (from the image inventory)",
    }
}

impl Rule for VulnerableImage {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    /// Nothing: the CLI makes these findings from the inventory after the analysis.
    fn check(&self, _cx: &Context<'_>, _out: &mut Vec<Finding>) {}
}

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&VulnerableImage]
}

/// Whether a rule's findings are made outside the engine (so it has no manifest fixtures).
pub fn is_external(name: &str) -> bool {
    name == VulnerableImage::META.name
}
