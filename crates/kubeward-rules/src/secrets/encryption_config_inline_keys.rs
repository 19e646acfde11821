use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports every key written in an `EncryptionConfiguration`
    /// (`apiserver.config.k8s.io/v1`) itself: the `secret` of each `keys` entry of an
    /// `aescbc`, `aesgcm` or `secretbox` provider. One finding per provider, naming the keys
    /// (never their values; the source line is masked in every report). KMS providers keep
    /// their keys outside the file and are not reported.
    ///
    /// ## Why it matters
    /// The key that decrypts every Secret of etcd then sits in a plain file on each control
    /// plane node, in the same backups and disk snapshots as etcd's data: whoever has one
    /// copy has the other, and encryption at rest protects nothing. A KMS keeps the key in a
    /// separate service with its own access control and audit.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apiserver.config.k8s.io/v1
    /// kind: EncryptionConfiguration
    /// resources:
    /// - resources: [secrets]
    ///   providers:
    ///   - secretbox:
    ///       keys: [{name: key1, secret: <base64 key>}]
    /// ```
    ///
    /// ## Fix
    /// Move to a `kms` provider with `apiVersion: v2` (a cloud KMS or a Vault/HSM plugin),
    /// keep the old provider after it until every Secret is rewritten, then remove it. Until
    /// then, keep the file readable by root only and out of backups that hold etcd data.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.28 "Ensure that encryption providers are appropriately configured"
    /// - Kubernetes documentation: "Encrypting Confidential Data at Rest" ("Using a local key
    ///   ... does not protect against a compromised control plane host")
    /// - MITRE ATT&CK: T1552.001 Unsecured Credentials: Credentials In Files
    pub struct EncryptionConfigInlineKeys {
        name: "encryption-config-inline-keys",
        domain: Secrets,
        severity: Medium,
        summary: "EncryptionConfiguration holds its encryption keys in the file",
    }
}

impl Rule for EncryptionConfigInlineKeys {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cfg in cx.index.of_kind("EncryptionConfiguration") {
            let entries = cfg.root.get("resources").map(Node::items).unwrap_or(&[]);
            for (i, entry) in entries.iter().enumerate() {
                let providers = entry.get("providers").map(Node::items).unwrap_or(&[]);
                for (j, p) in providers.iter().enumerate() {
                    for e in p.entries() {
                        if !matches!(e.key.as_str(), "aescbc" | "aesgcm" | "secretbox") {
                            continue;
                        }
                        let keys = e.value.get("keys").map(Node::items).unwrap_or(&[]);
                        let with_secret: Vec<(usize, &str)> = keys
                            .iter()
                            .enumerate()
                            .filter(|(_, k)| k.get("secret").is_some_and(|s| !s.is_null()))
                            .map(|(k, key)| (k, key.str_at("name").unwrap_or("")))
                            .collect();
                        let Some((first, _)) = with_secret.first() else {
                            continue;
                        };
                        let names: Vec<String> =
                            with_secret.iter().map(|(_, n)| format!("{n:?}")).collect();
                        let resources: Vec<&str> = entry
                            .get("resources")
                            .map(Node::items)
                            .unwrap_or(&[])
                            .iter()
                            .filter_map(Node::as_str)
                            .collect();
                        out.push(Finding::new(
                            Self::META.name,
                            Self::META.severity,
                            cx.snapshot,
                            cfg,
                            &FieldPath::root()
                                .key("resources")
                                .index(i)
                                .key("providers")
                                .index(j)
                                .key(&e.key)
                                .key("keys")
                                .index(*first)
                                .key("secret"),
                            format!(
                                "EncryptionConfiguration {} holds the {} key{} {} for {} in the file itself (values not shown)",
                                cfg.oref.name,
                                e.key,
                                if names.len() == 1 { "" } else { "s" },
                                crate::finding::bounded_list(&names),
                                crate::finding::bounded_list(&resources)
                            ),
                            "Use a kms provider with apiVersion v2 so that the key never sits beside etcd's data; meanwhile keep the file root-only and out of etcd backups.",
                        ));
                    }
                }
            }
        }
    }
}
