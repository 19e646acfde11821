use super::flags::{clip, invocations, Component};
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};

declare_rule! {
    /// ## What it does
    /// Reports a `kube-apiserver` command line with `--token-auth-file`: a CSV file of static
    /// bearer tokens, each mapped to a user and groups.
    ///
    /// ## Why it matters
    /// Static tokens never expire, cannot be revoked without restarting the API server, and
    /// sit in clear text in a file on every control-plane node (and in its backups): whoever
    /// reads the file, or one of the tokens from a script or a CI variable, is that user until
    /// someone edits the file by hand.
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
    ///     command: [kube-apiserver, --token-auth-file=/etc/kubernetes/tokens.csv]
    /// ```
    ///
    /// ## Fix
    /// Remove `--token-auth-file`; authenticate people with OIDC (or client certificates) and
    /// workloads with service-account tokens, which expire and are bound to their pod.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 1.2.2 "Ensure that the --token-auth-file parameter is not set"
    /// - Kubernetes documentation: "Authenticating" (static token file)
    /// - MITRE ATT&CK: T1552.001 Unsecured Credentials: Credentials In Files
    pub struct ApiserverStaticTokenFile {
        name: "apiserver-static-token-file",
        domain: ControlPlane,
        severity: High,
        summary: "API server accepts static tokens from a file",
    }
}

impl Rule for ApiserverStaticTokenFile {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for inv in invocations(cx, Component::ApiServer) {
            let Some(file) = inv
                .value("token-auth-file")
                .filter(|v| !v.trim().is_empty())
            else {
                continue;
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                inv.object,
                &inv.path_of("token-auth-file"),
                format!(
                    "{} accepts the static bearer tokens of {:?}: they never expire and are revoked only by editing the file",
                    inv.describe(),
                    clip(file)
                ),
                "Remove --token-auth-file; authenticate users with OIDC or client certificates.",
            ));
        }
    }
}
