use super::detect;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::FieldPath;

declare_rule! {
    /// ## What it does
    /// Reports a ConfigMap entry that holds a credential. For each key of `data`:
    /// - a single-line value under a key that announces a credential (`password`,
    ///   `DB_PASSWORD`, `api-key`, `clientSecret`, ...) and looks like a literal, with the
    ///   same name and value filters as `secret-in-env-literal`;
    /// - anywhere in the value, a well-known credential format (AWS key id, GitHub, GitLab,
    ///   Slack, Stripe, Google, OpenAI/Anthropic, npm, Docker Hub tokens, PEM private keys,
    ///   signed JWTs, URLs with `user:password@`);
    /// - in multi-line values (embedded configuration files), lines that assign a literal to
    ///   a credential key: `password: x`, `password = "x"`, `"apiKey": "x"`,
    ///   `export TOKEN=x`. Comment lines and placeholders (`${VAR}`, `<...>`) are ignored.
    ///
    /// For `binaryData`, keys are judged by name, and values are decoded and searched for a
    /// PEM private key. One finding per key; the message gives the line within the value and
    /// never the secret itself (first two characters and length only). CA certificates and
    /// public keys are not credentials and are never reported.
    ///
    /// ## Why it matters
    /// ConfigMaps are meant for non-confidential data: they are not encrypted at rest by the
    /// usual EncryptionConfiguration, are readable by roles that grant `configmaps` read
    /// (including the built-in `view` role, which deliberately excludes Secrets), are
    /// mounted and logged freely, and end up in Git. A password there is readable by far
    /// more people and workloads than its owner intended.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ConfigMap
    /// metadata: {name: app-config, namespace: shop}
    /// data:
    ///   application.yaml: |
    ///     datasource:
    ///       url: jdbc:postgresql://db:5432/shop
    ///       password: s3cr3t-Pa55
    /// ```
    ///
    /// ## Fix
    /// Move the credential into a Secret (or an external secret manager) and mount it next
    /// to the configuration, or reference it from the configuration through an environment
    /// variable fed by `secretKeyRef`. Rotate the exposed credential.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.4.1 "Prefer using Secrets as files over Secrets as environment variables"
    /// - CIS Kubernetes Benchmark v1.10 5.4.2 "Consider external secret storage"
    /// - NSA/CISA Kubernetes Hardening Guide: "Secrets"
    /// - MITRE ATT&CK for Containers: T1552.001 Unsecured Credentials: Credentials In Files
    /// - Kubernetes documentation: "ConfigMaps ... do not provide secrecy or encryption"
    pub struct SecretInConfigMap {
        name: "secret-in-configmap",
        domain: Secrets,
        severity: High,
        summary: "ConfigMap holds a credential",
    }
}

/// Values larger than this are not searched (dashboards of several megabytes hold none).
const MAX_SCAN: usize = 4 << 20;

use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use base64::Engine as _;

/// Standard base64 with or without padding (and lenient about trailing bits).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Decodes `binaryData` (standard or URL-safe alphabet, padding optional, line breaks ignored).
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.split_ascii_whitespace().collect();
    BASE64
        .decode(&compact)
        .or_else(|_| {
            let url = GeneralPurpose::new(&base64::alphabet::URL_SAFE, *BASE64.config());
            url.decode(&compact)
        })
        .ok()
}

impl Rule for SecretInConfigMap {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for cm in cx.index.of_kind("ConfigMap") {
            let mut report = |path: FieldPath, message: String| {
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    cm,
                    &path,
                    message,
                    "Move the credential into a Secret (mounted as a file) and rotate it.",
                ));
            };
            let data = cm.root.get("data").map(|d| d.entries()).unwrap_or(&[]);
            for e in data {
                let key = e.key.as_str();
                // Knative-style `_example` keys document the settings and are never read.
                if key == "_example" {
                    continue;
                }
                let Some(value) = e.value.scalar_text() else {
                    continue;
                };
                if value.len() > MAX_SCAN {
                    continue;
                }
                let path = FieldPath::root().key("data").key(key);
                let single = !value.trim_end().contains('\n');
                if single
                    && detect::credential_name(key)
                    && detect::plausible_literal(&value)
                    && !detect::names_itself(key, &value)
                {
                    let what = match detect::known_secret(&value) {
                        Some((kind, m)) => format!("{kind} {}", detect::mask(m)),
                        None => format!("a literal credential {}", detect::mask(value.trim())),
                    };
                    report(
                        path,
                        format!("ConfigMap \"{}\" key \"{key}\" holds {what}", cm.name()),
                    );
                    continue;
                }
                let hits = detect::scan_text(&value);
                let Some(first) = hits.first() else { continue };
                let more = match hits.len() {
                    1 => String::new(),
                    n => format!(" and {} more", n - 1),
                };
                let at = if single {
                    String::new()
                } else {
                    format!(" at line {}", first.line)
                };
                report(
                    path,
                    format!(
                        "ConfigMap \"{}\" key \"{key}\" holds {} {}{at}{more}",
                        cm.name(),
                        first.what,
                        first.masked
                    ),
                );
            }
            let binary = cm
                .root
                .get("binaryData")
                .map(|d| d.entries())
                .unwrap_or(&[]);
            for e in binary {
                let key = e.key.as_str();
                let path = FieldPath::root().key("binaryData").key(key);
                if detect::credential_name(key) {
                    report(
                        path,
                        format!(
                            "ConfigMap \"{}\" binary key \"{key}\" is named like a credential",
                            cm.name()
                        ),
                    );
                    continue;
                }
                let Some(text) = e.value.as_str().filter(|t| t.len() <= MAX_SCAN) else {
                    continue;
                };
                let Some(bytes) = base64_decode(text) else {
                    continue;
                };
                let decoded = String::from_utf8_lossy(&bytes);
                if let Some((kind @ "a PEM private key", _)) = detect::known_secret(&decoded) {
                    report(
                        path,
                        format!(
                            "ConfigMap \"{}\" binary key \"{key}\" holds {kind}",
                            cm.name()
                        ),
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::base64_decode;

    #[test]
    fn decodes_base64() {
        assert_eq!(base64_decode("aGVsbG8=").as_deref(), Some(&b"hello"[..]));
        assert_eq!(
            base64_decode("LS0tLS1CRUdJTg==").as_deref(),
            Some(&b"-----BEGIN"[..])
        );
        assert_eq!(base64_decode("not base64!"), None);
    }
}
