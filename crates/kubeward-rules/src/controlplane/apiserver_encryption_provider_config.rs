use super::flags::{clip, invocations, Component};
use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-apiserver` command line without `--encryption-provider-config`
    /// (medium): Secrets are then written to etcd in plain text. When the flag is set and the
    /// input holds `EncryptionConfiguration` files, but none whose file name is the base name
    /// of the flag's path (`/etc/kubernetes/enc/enc.yaml` is matched by any `enc.yaml` of the
    /// input, in whatever folder it was scanned), the finding says the configuration the API
    /// server reads was not scanned (low). Paths are compared by base name because the input
    /// is rarely scanned at the node's own paths.
    ///
    /// How the configuration itself encrypts is judged by
    /// `encryption-config-identity-provider` and `encryption-config-inline-keys`.
    ///
    /// ## Why it matters
    /// Whoever reads etcd (a backup, a snapshot, a copy of the data directory, etcd reached on
    /// its client port) reads every Secret of the cluster: service-account tokens, registry
    /// credentials, TLS keys.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Pod
    /// metadata: {name: kube-apiserver, namespace: kube-system}
    /// spec:
    ///   containers:
    ///   - name: kube-apiserver
    ///     image: registry.k8s.io/kube-apiserver:v1.31.0
    ///     command: [kube-apiserver, --authorization-mode=Node,RBAC]
    /// ```
    ///
    /// ## Fix
    /// Write an `EncryptionConfiguration` with a KMS v2 provider first for `secrets`, mount it
    /// into the static pod and pass `--encryption-provider-config=/etc/kubernetes/enc/enc.yaml`;
    /// then rewrite every Secret so that it is stored encrypted.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.27 "Ensure that the --encryption-provider-config argument is set as appropriate"
    /// - Kubernetes documentation: "Encrypting Confidential Data at Rest"
    /// - MITRE ATT&CK for Containers: T1552 Unsecured Credentials
    pub struct ApiserverEncryptionProviderConfig {
        name: "apiserver-encryption-provider-config",
        domain: ControlPlane,
        severity: Medium,
        summary: "API server does not encrypt Secrets at rest",
    }
}

fn base(p: &str) -> &str {
    p.rsplit(['/', '\\']).next().unwrap_or(p)
}

impl Rule for ApiserverEncryptionProviderConfig {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let configs: Vec<&str> = cx
            .index
            .of_kind("EncryptionConfiguration")
            .map(|o| base(&cx.snapshot.source(o.source).name))
            .collect();
        for inv in invocations(cx, Component::ApiServer) {
            let (severity, text) = match inv.value("encryption-provider-config") {
                Some(p) if !p.trim().is_empty() => {
                    if configs.is_empty() || configs.contains(&base(p.trim())) {
                        continue;
                    }
                    (
                        Severity::Low,
                        format!(
                            "reads its encryption configuration from {:?}, but no {} is in the input (found: {}): that configuration was not checked",
                            clip(p),
                            clip(base(p.trim())),
                            crate::finding::bounded_list(configs.iter().map(|c| clip(c)))
                        ),
                    )
                }
                _ => (
                    Severity::Medium,
                    "has no --encryption-provider-config: Secrets are stored in etcd in plain text"
                        .to_string(),
                ),
            };
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                inv.object,
                &inv.path_of("encryption-provider-config"),
                format!("{} {text}", inv.describe()),
                "Pass --encryption-provider-config with an EncryptionConfiguration whose first provider for secrets is kms (v2), and scan that file too.",
            ));
        }
    }
}
