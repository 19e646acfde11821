use super::kubeconfig_insecure_server::kubeconfigs;
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports users of a kubeconfig file (`kind: Config`) that carry a static credential:
    /// - `username`/`password` (basic authentication, removed from the API server in 1.19):
    ///   high;
    /// - `token` (a bearer token that does not expire with the file, unlike an `exec` plugin's
    ///   short-lived ones): medium;
    /// - an `auth-provider` configuration holding `client-secret`, `id-token` or
    ///   `refresh-token`: medium.
    ///
    /// Client certificates (`client-certificate-data`, `client-key-data`) are how kubeadm
    /// authenticates its components and are not reported; their values are masked in every
    /// report like all the others. No value is ever printed: the message names the user and
    /// the field only.
    ///
    /// ## Why it matters
    /// A kubeconfig is copied around (laptops, CI variables, backups). A static token or
    /// password in it is valid wherever the file ends up, until someone revokes it by hand,
    /// and it cannot be bound to a device the way a client key in a TPM or an OIDC login can.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Config
    /// users:
    /// - name: ci
    ///   user: {token: FAKE-TOKEN-FOR-DOCS}
    /// ```
    ///
    /// ## Fix
    /// Use short-lived credentials: an `exec` credential plugin (OIDC, cloud IAM) or client
    /// certificates with short lifetimes; for workloads, service-account tokens projected by
    /// the kubelet.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 3.1.2 "Service account token authentication should not be used for users"
    /// - Kubernetes documentation: "Authenticating" (client-go credential plugins)
    /// - MITRE ATT&CK: T1552.001 Unsecured Credentials: Credentials In Files
    pub struct KubeconfigStaticCredentials {
        name: "kubeconfig-static-credentials",
        domain: ControlPlane,
        severity: Medium,
        summary: "kubeconfig embeds a static token or password",
    }
}

impl Rule for KubeconfigStaticCredentials {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in kubeconfigs(cx) {
            let users = cfg.root.get("users").map(Node::items).unwrap_or(&[]);
            for (i, entry) in users.iter().enumerate() {
                let name = entry.str_at("name").unwrap_or("");
                let Some(u) = entry.get("user") else {
                    continue;
                };
                let base = FieldPath::root().key("users").index(i).key("user");
                let provider = u.at(&["auth-provider", "config"]);
                let provider_secret = ["client-secret", "id-token", "refresh-token"]
                    .into_iter()
                    .find(|k| provider.and_then(|c| c.get(k)).is_some());
                let (severity, path, text) = if u.get("password").is_some() {
                    (
                        Severity::High,
                        base.key("password"),
                        "a basic-authentication password".to_string(),
                    )
                } else if u.get("token").is_some() {
                    (
                        Severity::Medium,
                        base.key("token"),
                        "a static bearer token".to_string(),
                    )
                } else if let Some(k) = provider_secret {
                    (
                        Severity::Medium,
                        base.key("auth-provider").key("config").key(k),
                        format!("an auth-provider {k}"),
                    )
                } else {
                    continue;
                };
                out.push(Finding::new(
                    Self::META.name,
                    severity,
                    cx.snapshot,
                    cfg,
                    &path,
                    format!(
                        "kubeconfig {} user {:?} embeds {text} (value not shown)",
                        super::flags::clip(&cfg.oref.name),
                        super::flags::clip(name)
                    ),
                    "Replace the static credential with an exec credential plugin (OIDC, cloud IAM) or a short-lived client certificate.",
                ));
            }
        }
    }
}
