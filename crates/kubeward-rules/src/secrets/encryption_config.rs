use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Judges an API server `EncryptionConfiguration` (`apiserver.config.k8s.io/v1`) when
    /// the input contains one. For each `resources` entry that covers Secrets (`secrets`,
    /// `*.` for the core group or `*.*`), the first provider is the one that encrypts new
    /// writes:
    /// - `identity`: Secrets are written in plain text to etcd (critical);
    /// - `aescbc`: encrypted, but with a mode vulnerable to padding-oracle attacks and no
    ///   longer recommended (medium).
    ///
    /// `aesgcm`, `secretbox` and `kms` (v2 preferred) are not reported. Whether encryption
    /// at rest is configured at all cannot be judged from manifests: this rule only reads
    /// the configuration file if it is given.
    ///
    /// ## Why it matters
    /// Whoever reads etcd (a backup, a snapshot, a compromised control plane node, etcd
    /// exposed on the network) reads every Secret in the cluster: service account tokens,
    /// registry credentials, TLS keys, database passwords.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - identity: {}
    ///   - aescbc:
    ///       keys: [{name: key1, secret: <base64 key>}]
    /// ```
    ///
    /// ## Fix
    /// Put a `kms` (v2) provider first, or `aesgcm`/`secretbox` with key rotation; keep
    /// `identity` only last (to read data written before encryption). Then rewrite all
    /// Secrets (`kubectl get secrets -A -o json | kubectl replace -f -`).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark 1.2 (API server): "Ensure that the
    ///   --encryption-provider-config argument is set as appropriate" and "Ensure that
    ///   encryption providers are appropriately configured"
    /// - NSA/CISA Kubernetes Hardening Guide: "Secrets" (encrypt at rest)
    /// - MITRE ATT&CK for Containers: T1552 Unsecured Credentials
    /// - Kubernetes documentation: "Encrypting Confidential Data at Rest" (providers table)
    pub struct EncryptionConfigIdentityProvider {
        name: "encryption-config-identity-provider",
        domain: Secrets,
        severity: High,
        summary: "EncryptionConfiguration stores Secrets in plain text (identity) or with aescbc",
    }
}

fn covers_secrets(entry: &Node) -> bool {
    entry
        .get("resources")
        .map(Node::items)
        .unwrap_or(&[])
        .iter()
        .filter_map(Node::as_str)
        .any(|r| matches!(r, "secrets" | "*." | "*.*"))
}

impl Rule for EncryptionConfigIdentityProvider {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in cx.index.of_kind("EncryptionConfiguration") {
            // The first entry that covers Secrets wins, as in the API server.
            let entries = cfg.root.get("resources").map(Node::items).unwrap_or(&[]);
            let Some((i, entry)) = entries.iter().enumerate().find(|(_, e)| covers_secrets(e))
            else {
                continue;
            };
            let Some(first) = entry
                .get("providers")
                .map(Node::items)
                .and_then(|p| p.first())
            else {
                continue;
            };
            let Some(provider) = first.entries().first().map(|e| e.key.as_str()) else {
                continue;
            };
            let (severity, text) = match provider {
                "identity" => (
                    Severity::High,
                    "writes Secrets to etcd in plain text (first provider is identity)",
                ),
                "aescbc" => (
                    Severity::Medium,
                    "encrypts Secrets with aescbc, which is no longer recommended",
                ),
                _ => continue,
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                cfg,
                &FieldPath::root().key("resources").index(i).key("providers").index(0),
                format!("EncryptionConfiguration {text}"),
                "Make kms (v2), aesgcm or secretbox the first provider for secrets; keep identity last only; then rewrite all Secrets.",
            ));
        }
    }
}
