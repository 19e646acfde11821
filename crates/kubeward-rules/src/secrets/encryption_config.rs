use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Judges an API server `EncryptionConfiguration` (`apiserver.config.k8s.io/v1`) when
    /// the input contains one. The first `resources` entry that covers Secrets (`secrets`,
    /// `*.` for every resource of the core group, or `*.*`; `*.apps` and other groups do not)
    /// decides, and in it the first provider is the one that encrypts new writes:
    /// - no entry covers Secrets: they are written in plain text (high);
    /// - `identity`: Secrets are written in plain text to etcd (high);
    /// - `aescbc`: encrypted, but with a mode vulnerable to padding-oracle attacks and no
    ///   longer recommended (medium);
    /// - `kms` without `apiVersion: v2` (KMS v1): deprecated, off by default since Kubernetes
    ///   1.29 (medium);
    /// - `aesgcm`: safe only while each key encrypts fewer than about 2^32 writes; it must be
    ///   rotated often (low).
    ///
    /// `secretbox` and KMS v2 are not reported. Keys written in the file itself are
    /// `encryption-config-inline-keys`; whether the API server reads this file is
    /// `apiserver-encryption-provider-config`.
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
    /// Put a `kms` provider with `apiVersion: v2` first (or `secretbox`, or `aesgcm` with
    /// automated rotation); keep `identity` only last (to read data written before
    /// encryption). Then rewrite all Secrets
    /// (`kubectl get secrets -A -o json | kubectl replace -f -`).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.28 "Ensure that encryption providers are appropriately configured"
    /// - NSA/CISA Kubernetes Hardening Guide: "Secrets" (encrypt at rest)
    /// - MITRE ATT&CK for Containers: T1552 Unsecured Credentials
    /// - Kubernetes documentation: "Encrypting Confidential Data at Rest" (providers table) and
    ///   "Using a KMS provider for data encryption" (KMS v1 deprecation)
    pub struct EncryptionConfigIdentityProvider {
        name: "encryption-config-identity-provider",
        domain: Secrets,
        severity: High,
        summary: "EncryptionConfiguration leaves Secrets in plain text or uses a weak or deprecated provider",
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
                out.push(Finding::new(
                    Self::META.name,
                    Severity::High,
                    cx.snapshot,
                    cfg,
                    &cfg.root.existing_prefix(&FieldPath::root().key("resources")),
                    "EncryptionConfiguration does not cover secrets (no entry names secrets, *. or *.*): they are written to etcd in plain text",
                    "Add an entry for secrets whose first provider is kms (v2) or secretbox; then rewrite all Secrets.",
                ));
                continue;
            };
            let Some(first) = entry
                .get("providers")
                .map(Node::items)
                .and_then(|p| p.first())
            else {
                continue;
            };
            let Some(provider) = first.entries().first() else {
                continue;
            };
            let kms_v2 = provider.value.str_at("apiVersion") == Some("v2");
            let (severity, text) = match provider.key.as_str() {
                "identity" => (
                    Severity::High,
                    "writes Secrets to etcd in plain text (first provider is identity)",
                ),
                "aescbc" => (
                    Severity::Medium,
                    "encrypts Secrets with aescbc, which is no longer recommended",
                ),
                "kms" if !kms_v2 => (
                    Severity::Medium,
                    "encrypts Secrets with KMS v1, which is deprecated and off by default since Kubernetes 1.29",
                ),
                "aesgcm" => (
                    Severity::Low,
                    "encrypts Secrets with aesgcm, which is safe only with frequent key rotation (about 2^32 writes per key)",
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
                "Make kms (v2) or secretbox the first provider for secrets (aesgcm only with automated key rotation); keep identity last only; then rewrite all Secrets.",
            ));
        }
    }
}
