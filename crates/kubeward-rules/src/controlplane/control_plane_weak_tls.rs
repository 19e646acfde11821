use super::flags::{
    existing, invocations, kubelet_configs, weak_cipher, weak_tls_version, Component,
};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node};

declare_rule! {
    /// ## What it does
    /// Reports TLS settings below the CIS Kubernetes Benchmark's strong set:
    /// - `kube-apiserver`: `--tls-min-version` VersionTLS10 or VersionTLS11, or
    ///   `--tls-cipher-suites` naming a weak suite;
    /// - `etcd`: `--tls-min-version` below TLS 1.2, or `--cipher-suites` naming a weak suite;
    /// - `KubeletConfiguration`: `tlsMinVersion` below TLS 1.2, or `tlsCipherSuites` naming a
    ///   weak suite.
    ///
    /// Weak suites are CBC-mode, RC4 and 3DES suites and the `TLS_RSA_...` suites (no forward
    /// secrecy). Unset lists leave Go's defaults, which are strong, and are not reported.
    ///
    /// ## Why it matters
    /// A client that can be pushed to TLS 1.0/1.1 or a CBC suite is open to downgrade and
    /// padding-oracle attacks; without forward secrecy a later theft of the server key
    /// decrypts every recorded session (tokens included).
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: kubelet.config.k8s.io/v1beta1
    /// kind: KubeletConfiguration
    /// tlsMinVersion: VersionTLS10
    /// tlsCipherSuites: [TLS_RSA_WITH_AES_128_CBC_SHA]
    /// ```
    ///
    /// ## Fix
    /// Set the minimum version to `VersionTLS12` (or 13) and list only ECDHE suites with
    /// AES-GCM or ChaCha20-Poly1305, or leave the suites unset.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.29 "Ensure that the API Server only makes use of Strong Cryptographic Ciphers"
    /// - CIS Kubernetes Benchmark v1.10 4.2.12 "Ensure that the Kubelet only makes use of Strong Cryptographic Ciphers"
    /// - NIST SP 800-52 Rev. 2 (TLS 1.2 minimum)
    pub struct ControlPlaneWeakTls {
        name: "control-plane-weak-tls",
        domain: ControlPlane,
        severity: Medium,
        summary: "Control-plane component or kubelet allows old TLS versions or weak ciphers",
    }
}

const FIX: &str = "Set the TLS minimum version to VersionTLS12 and allow only ECDHE suites with AES-GCM or ChaCha20-Poly1305.";

fn problems<'a>(min: Option<&'a str>, suites: &[&'a str]) -> Vec<String> {
    let mut v = Vec::new();
    if let Some(m) = min.filter(|m| weak_tls_version(m)) {
        v.push(format!("accepts {m}"));
    }
    let weak: Vec<&str> = suites.iter().copied().filter(|s| weak_cipher(s)).collect();
    if !weak.is_empty() {
        v.push(format!(
            "allows weak cipher suites {}",
            crate::finding::bounded_list(weak.iter().map(|s| super::flags::clip(s)))
        ));
    }
    v
}

impl Rule for ControlPlaneWeakTls {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for (component, suites_flag) in [
            (Component::ApiServer, "tls-cipher-suites"),
            (Component::Etcd, "cipher-suites"),
        ] {
            for inv in invocations(cx, component) {
                let suites = inv.list(suites_flag);
                let v = problems(inv.value("tls-min-version"), &suites);
                if v.is_empty() {
                    continue;
                }
                let flag = if inv.value("tls-min-version").is_some_and(weak_tls_version) {
                    "tls-min-version"
                } else {
                    suites_flag
                };
                out.push(Finding::new(
                    Self::META.name,
                    Self::META.severity,
                    cx.snapshot,
                    inv.object,
                    &inv.path_of(flag),
                    format!("{} {}", inv.describe(), v.join("; ")),
                    FIX,
                ));
            }
        }
        for cfg in kubelet_configs(cx) {
            let min = cfg.root.str_at("tlsMinVersion");
            let suites: Vec<&str> = cfg
                .root
                .get("tlsCipherSuites")
                .map(Node::items)
                .unwrap_or(&[])
                .iter()
                .filter_map(Node::as_str)
                .collect();
            let v = problems(min, &suites);
            if v.is_empty() {
                continue;
            }
            let path: FieldPath = if min.is_some_and(weak_tls_version) {
                existing(&cfg.root, &["tlsMinVersion"])
            } else {
                existing(&cfg.root, &["tlsCipherSuites"])
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                cfg,
                &path,
                format!("kubelet {}", v.join("; ")),
                FIX,
            ));
        }
    }
}
