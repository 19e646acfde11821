use super::detect;
use super::readers::{from_cluster, Readers};
use crate::declare_rule;
use crate::finding::{bounded_list, Finding};
use crate::rule::{Context, Rule, RuleMeta};
use base64::Engine as _;
use kubeward_model::{FieldPath, Node, Object};
use std::borrow::Cow;

declare_rule! {
    /// ## What it does
    /// Reports a `Secret` written in a plain manifest with real data: at least one value of
    /// `data` (decoded from base64) or `stringData` that is not empty and not an obvious
    /// template placeholder (`$(VAR)`, `${VAR}`, `{{ }}`, `<...>`, `changeme` and its
    /// spellings, `xxxx`, `REPLACE_ME`, `TODO`). The message names the keys, never the values,
    /// and lists who can read the Secret through the input's RBAC bindings (subjects holding
    /// `get`, `list` or `watch` on it, from the RBAC engine; Kubernetes' default
    /// administrators and controllers are left out), at most five; the bindings are its
    /// related objects.
    ///
    /// Not reported: SOPS-encrypted Secrets (a top-level `sops:` block, or values
    /// `ENC[AES256_GCM,...]`); the objects that are the fix (`SealedSecret`, `ExternalSecret`,
    /// `SecretStore`, `ClusterSecretStore`: other kinds, never flagged); Secrets dumped from a
    /// cluster (`metadata.uid`, `resourceVersion` or `creationTimestamp` set: holding data is
    /// what a Secret in a cluster does, and the dump is not a manifest); service-account token
    /// Secrets (`legacy-service-account-token-secret` reports them).
    ///
    /// ## Why it matters
    /// `data` is base64, an encoding: anyone who can read the repository, its forks, its CI
    /// logs and every clone reads the credential, forever (removing it from the history is
    /// rarely done and never complete). RBAC, audit logging and encryption at rest protect
    /// the Secret in the cluster, not in Git.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db, namespace: shop}
    /// stringData:
    ///   password: hunter2
    /// ```
    ///
    /// ## Fix
    /// Keep the credential out of the manifest: commit a `SealedSecret` (Bitnami Sealed
    /// Secrets, encrypted for the cluster's controller), an `ExternalSecret` (External Secrets
    /// Operator, which reads a vault or a cloud secret manager), or encrypt the file with SOPS
    /// (age or a cloud KMS). Rotate the exposed credential: it is in the history.
    ///
    /// ## References
    /// - Kubernetes documentation: "Good practices for Kubernetes Secrets"
    /// - CIS Kubernetes Benchmark v1.10 5.4.2 "Consider external secret storage"
    /// - OWASP Kubernetes Top 10 (2022) K08: "Secrets Management Failures"
    /// - MITRE ATT&CK: T1552.001 Unsecured Credentials: Credentials In Files
    pub struct SecretCommittedInManifest {
        name: "secret-committed-in-manifest",
        domain: Secrets,
        severity: High,
        summary: "Secret with real data in a plain manifest",
    }
}

impl Rule for SecretCommittedInManifest {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        let readers = Readers::default();
        for s in cx.index.of_kind("Secret") {
            if s.oref.api_version != "v1"
                || s.root.get("sops").is_some()
                || from_cluster(s)
                || s.root.str_at("type") == Some("kubernetes.io/service-account-token")
            {
                continue;
            }
            let real = real_keys(s);
            if real.is_empty() || sops_values(s) {
                continue;
            }
            let (field, first) = real[0].clone();
            let path = FieldPath::root().key(field).key(&first);
            let r = readers.of(cx, s);
            let keys: Vec<String> = real
                .iter()
                .map(|(f, k)| FieldPath::root().key(f).key(k).as_str().to_string())
                .collect();
            let mut f = Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                s,
                &path,
                format!(
                    "Secret \"{}\" holds real data in the manifest ({}): base64 is an encoding, anyone who reads the repository reads the credential{}",
                    s.name(),
                    bounded_list(&keys),
                    r.sentence()
                ),
                "Commit a SealedSecret, an ExternalSecret (External Secrets Operator) or a SOPS-encrypted file instead, and rotate the exposed values.",
            );
            f.set_related(r.bindings(cx.snapshot));
            out.push(f);
        }
    }
}

/// The `(data|stringData, key)` pairs holding real data, in file order.
fn real_keys(s: &Object) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for field in ["data", "stringData"] {
        for e in s.root.get(field).map(Node::entries).unwrap_or(&[]) {
            // strings are borrowed (Secret data can be megabytes); other scalars are short
            let text: Cow<'_, str> = match e.value.as_str() {
                Some(t) => Cow::Borrowed(t),
                None => match e.value.scalar_text() {
                    Some(t) => Cow::Owned(t),
                    None => continue,
                },
            };
            // a long value is data (no placeholder is that long): no need to decode it
            let value: Cow<'_, str> = if field == "data" && text.len() <= 512 {
                let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(bytes) => Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()),
                    // not base64: the API server rejects it, but it is still data
                    Err(_) => text,
                }
            } else {
                text
            };
            if !detect::template_placeholder(&value) {
                out.push((field, e.key.to_string()));
            }
        }
    }
    out
}

/// Whether some value is SOPS-encrypted (`ENC[...]`): the file was encrypted by SOPS.
fn sops_values(s: &Object) -> bool {
    ["data", "stringData"].iter().any(|f| {
        s.root
            .get(f)
            .map(Node::entries)
            .unwrap_or(&[])
            .iter()
            .any(|e| e.value.as_str().is_some_and(|v| v.starts_with("ENC[")))
    })
}
