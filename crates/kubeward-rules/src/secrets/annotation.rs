use super::detect;
use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{FieldPath, Node, Object};

declare_rule! {
    /// ## What it does
    /// Reports an annotation whose value holds a credential, on any object and on the pod
    /// templates of workloads:
    /// - the value has the shape of a well-known credential (AWS access key id, GitHub,
    ///   GitLab, Slack, Stripe, Google, OpenAI/Anthropic, npm and Docker Hub tokens, a PEM
    ///   private key, a signed JWT, a URL with `user:password@`, a `Password=...;`
    ///   connection string); or
    /// - the annotation's name (the part after the `/` prefix) announces a credential
    ///   (`password`, `api-key`, `token`, as `secret-in-env-literal` judges names) and the
    ///   value is a plausible literal; or
    /// - a multi-line value (an embedded configuration file) has a credential line.
    ///
    /// Left alone: `kubectl.kubernetes.io/last-applied-configuration` (a copy of the whole
    /// object written by `kubectl apply`: every credential in it is also in the object's own
    /// fields, where the other secrets rules report it at its real position; reports mask the
    /// annotation whole); `kubeward.io/*`; annotations of tools that reference secrets by name
    /// or path (`vault.hashicorp.com/`, `secrets-store.csi.k8s.io/`, `external-secrets.io/`,
    /// `reloader.stakater.com/`, `argocd.argoproj.io/`), Helm's `checksum/*` digests, and
    /// annotations named `...-secret` whose value names a Secret (`auth-tls-secret:
    /// default/ca-secret`); placeholders and references as
    /// `secret-in-env-literal` defines them. Messages never print the value.
    ///
    /// ## Why it matters
    /// Annotations are metadata: every client that may `get` or `list` the object reads them
    /// (including `view`-style roles that deliberately exclude Secrets), controllers copy
    /// them, and they end up in events, dashboards and logs. A credential put there has none
    /// of a Secret's protections (RBAC on Secrets, encryption at rest).
    ///
    /// ## Example
    /// ```yaml
    /// metadata:
    ///   annotations:
    ///     example.com/api-key: 3f9a8c1e77d24b0c9e11
    /// ```
    ///
    /// ## Fix
    /// Store the credential in a Secret (or an external secret manager) and reference the
    /// Secret's name in the annotation if a tool needs to find it. Rotate the exposed value.
    ///
    /// ## References
    /// - Kubernetes documentation: "Good practices for Kubernetes Secrets"
    /// - MITRE ATT&CK: T1552.007 Unsecured Credentials: Container API
    pub struct SecretInAnnotation {
        name: "secret-in-annotation",
        domain: Secrets,
        severity: High,
        summary: "Annotation holds a credential",
    }
}

const SKIPPED_PREFIXES: &[&str] = &[
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubeward.io/",
    "kubeward.test/",
    "vault.hashicorp.com/",
    "secrets-store.csi.k8s.io/",
    "external-secrets.io/",
    "reloader.stakater.com/",
    "secret.reloader.stakater.com/",
    "configmap.reloader.stakater.com/",
    "argocd.argoproj.io/",
    "checksum/",
];

/// Whether a value names a Kubernetes object (`ca-secret`, `default/ca-secret`): what an
/// annotation called `...-secret` holds when it tells a controller which Secret to read
/// (`nginx.ingress.kubernetes.io/auth-tls-secret`).
fn object_reference(value: &str) -> bool {
    let dns = |p: &str| {
        !p.is_empty()
            && p.len() <= 253
            && p.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
            && p.as_bytes()[0].is_ascii_alphanumeric()
            && p.as_bytes()[p.len() - 1].is_ascii_alphanumeric()
    };
    match value.split_once('/') {
        Some((ns, name)) => dns(ns) && dns(name),
        None => dns(value),
    }
}

/// What credential an annotation holds (a description with the masked value).
pub(crate) fn annotation_credential(key: &str, value: &str) -> Option<String> {
    if SKIPPED_PREFIXES.iter().any(|p| key.starts_with(p)) {
        return None;
    }
    if let Some((kind, m)) = detect::known_secret(value) {
        return Some(format!("{kind} {}", detect::mask(m)));
    }
    let name = key.rsplit('/').next().unwrap_or(key);
    let names_a_secret = detect::words(name).last().is_some_and(|w| w == "SECRET");
    let names_an_object = names_a_secret && object_reference(value.trim());
    if !(value.contains('\n') || names_an_object)
        && detect::credential_name(name)
        && detect::plausible_literal(value)
        && !detect::names_itself(name, value)
    {
        return Some(format!(
            "a literal credential {}",
            detect::mask(value.trim())
        ));
    }
    if value.contains('\n') {
        if let Some(h) = detect::scan_text(value).into_iter().next() {
            return Some(format!("{} {} on line {}", h.what, h.masked, h.line));
        }
    }
    None
}

impl Rule for SecretInAnnotation {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for o in &cx.snapshot.objects {
            let own = o.metadata().get("annotations");
            check(cx, o, own, &FieldPath::root().key("metadata"), out);
        }
        // pod template annotations (a Pod's own metadata is done above)
        for t in cx.index.pod_templates() {
            if t.meta_path.is_root() || t.meta_path.as_str() == "metadata" {
                continue;
            }
            check(cx, t.object, t.meta.get("annotations"), &t.meta_path, out);
        }
    }
}

fn check(
    cx: &Context<'_>,
    o: &Object,
    annotations: Option<&Node>,
    meta_path: &FieldPath,
    out: &mut Vec<Finding>,
) {
    for e in annotations.map(Node::entries).unwrap_or(&[]) {
        let Some(value) = e.value.as_str() else {
            continue;
        };
        let Some(what) = annotation_credential(&e.key, value) else {
            continue;
        };
        let path = meta_path.key("annotations").key(&e.key);
        out.push(Finding::new(
            SecretInAnnotation::META.name,
            SecretInAnnotation::META.severity,
            cx.snapshot,
            o,
            &path,
            format!("annotation {} holds {what}", e.key),
            format!(
                "Move the value of {} into a Secret (or an external secret manager) and rotate it.",
                e.key
            ),
        ));
    }
}
