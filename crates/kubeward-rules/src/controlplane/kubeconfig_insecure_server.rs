use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node, Object};

declare_rule! {
    /// ## What it does
    /// Reads kubeconfig files (`apiVersion: v1`, `kind: Config`: kubeadm's `admin.conf`,
    /// `kubelet.conf`, `super-admin.conf`, `controller-manager.conf`, `scheduler.conf`, a
    /// user's `~/.kube/config`) and reports each cluster entry that talks to its server
    /// without verifying it:
    /// - `insecure-skip-tls-verify: true`: high;
    /// - an `http://` server: high (credentials travel in clear text);
    /// - an `https://` server without `certificate-authority` or
    ///   `certificate-authority-data`: low (the system's public roots are trusted, so any
    ///   public CA can impersonate the API server).
    ///
    /// kubeconfig files are recognised by content wherever they are: `kubeward scan` reads
    /// `*.conf` files met in folders when they are kubeconfigs.
    ///
    /// ## Why it matters
    /// A client that does not verify the API server hands its credentials (client key,
    /// token) to whoever can intercept or redirect the connection: one spoofed DNS answer
    /// gives an attacker the administrator's identity.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Config
    /// clusters:
    /// - name: prod
    ///   cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
    /// ```
    ///
    /// ## Fix
    /// Remove `insecure-skip-tls-verify`, use an `https://` server and embed the cluster CA
    /// (`certificate-authority-data`, as kubeadm writes it).
    ///
    /// ## References
    /// - Kubernetes documentation: "Organizing Cluster Access Using kubeconfig Files"
    /// - MITRE ATT&CK: T1557 Adversary-in-the-Middle
    pub struct KubeconfigInsecureServer {
        name: "kubeconfig-insecure-server",
        domain: ControlPlane,
        severity: High,
        summary: "kubeconfig talks to its API server without verifying it",
    }
}

/// The kubeconfig objects of the input.
pub(crate) fn kubeconfigs<'a, 's>(cx: &'a Context<'s>) -> impl Iterator<Item = &'s Object> + 'a {
    cx.index
        .of_kind("Config")
        .filter(|o| o.oref.api_version == "v1")
}

impl Rule for KubeconfigInsecureServer {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubeconfigs(cx) {
            let clusters = cfg.root.get("clusters").map(Node::items).unwrap_or(&[]);
            for (i, entry) in clusters.iter().enumerate() {
                let name = entry.str_at("name").unwrap_or("");
                let Some(c) = entry.get("cluster") else {
                    continue;
                };
                let base = FieldPath::root().key("clusters").index(i).key("cluster");
                let server = c.str_at("server").unwrap_or("");
                let (severity, key, text) = if c.bool_at("insecure-skip-tls-verify") == Some(true) {
                    (
                        Severity::High,
                        "insecure-skip-tls-verify",
                        "does not verify the server's certificate (insecure-skip-tls-verify: true)"
                            .to_string(),
                    )
                } else if server.to_ascii_lowercase().starts_with("http://") {
                    (
                        Severity::High,
                        "server",
                        format!("talks to {} in clear text", super::flags::clip(server)),
                    )
                } else if c.get("certificate-authority").is_none()
                    && c.get("certificate-authority-data").is_none()
                    && !server.is_empty()
                {
                    (
                        Severity::Low,
                        "server",
                        "names no certificate authority: any publicly trusted CA can impersonate the server".to_string(),
                    )
                } else {
                    continue;
                };
                out.push(Finding::new(
                    Self::META.name,
                    severity,
                    cx.snapshot,
                    cfg,
                    &cfg.root.existing_prefix(&base.key(key)),
                    format!(
                        "kubeconfig {} cluster {:?} {text}",
                        super::flags::clip(&cfg.oref.name),
                        super::flags::clip(name)
                    ),
                    "Use an https:// server with certificate-authority-data and without insecure-skip-tls-verify.",
                ));
            }
        }
    }
}
