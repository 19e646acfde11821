use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::Node;

declare_rule! {
    /// ## What it does
    /// Reports Secrets exposed to a container as environment variables: an `env` entry
    /// with `valueFrom.secretKeyRef`, or an `envFrom` entry with `secretRef` (every key of
    /// the Secret). One finding per entry, low severity: the Secret is used as intended,
    /// only through the weaker channel.
    ///
    /// ## Why it matters
    /// Environment variables leak more easily than files: they are inherited by every child
    /// process, printed by crash handlers, debug pages and `env` dumps in logs, readable in
    /// `/proc/<pid>/environ` by anything that can inspect the process, and they never change
    /// when the Secret is rotated (a restart is needed). A mounted Secret is a file with
    /// restrictive permissions that the kubelet updates in place.
    ///
    /// ## Example
    /// ```yaml
    /// env:
    /// - name: DB_PASSWORD
    ///   valueFrom:
    ///     secretKeyRef: {name: db, key: password}
    /// ```
    ///
    /// ## Fix
    /// Mount the Secret as a volume (`secret.secretName`, `defaultMode: 0400`) and have the
    /// application read the file (many images support `*_FILE` variables for this).
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.4.1 "Prefer using Secrets as files over Secrets as environment variables"
    /// - NSA/CISA Kubernetes Hardening Guide: "Secrets"
    /// - MITRE ATT&CK for Containers: T1552.007 Unsecured Credentials: Container API
    /// - Checkov CKV_K8S_35; kube-linter `read-secret-from-env-var`
    pub struct SecretEnvVarReference {
        name: "secret-env-var-reference",
        domain: Secrets,
        severity: Low,
        summary: "Secret exposed to a container as environment variables",
    }
}

impl Rule for SecretEnvVarReference {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for t in cx.index.pod_templates() {
            for c in t.containers() {
                for (j, env) in c.env().iter().enumerate() {
                    let Some(r) = env.at(&["valueFrom", "secretKeyRef"]) else {
                        continue;
                    };
                    let var = env.str_at("name").unwrap_or("");
                    let secret = r.str_at("name").unwrap_or("?");
                    let key = r.str_at("key").unwrap_or("?");
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        t.object,
                        &t.path(&c.rel_path().key("env").index(j).key("valueFrom").key("secretKeyRef")),
                        format!("container \"{}\" reads Secret {secret} key {key} into env {var}", c.name),
                        format!("Mount Secret {secret} as a volume and read the file instead of env {var}."),
                    ));
                }
                for (j, env) in c
                    .node
                    .get("envFrom")
                    .map(Node::items)
                    .unwrap_or(&[])
                    .iter()
                    .enumerate()
                {
                    let Some(r) = env.get("secretRef") else {
                        continue;
                    };
                    let secret = r.str_at("name").unwrap_or("?");
                    out.push(Finding::new(
                        Self::META.name,
                        Self::META.severity,
                        cx.snapshot,
                        t.object,
                        &t.path(&c.rel_path().key("envFrom").index(j).key("secretRef")),
                        format!("container \"{}\" loads every key of Secret {secret} into its environment", c.name),
                        format!("Mount Secret {secret} as a volume and read files instead of envFrom."),
                    ));
                }
            }
        }
    }
}
