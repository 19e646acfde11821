use crate::declare_rule;
use crate::finding::Finding;
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath};

declare_rule! {
    /// ## What it does
    /// Reports a workload whose `serviceAccountName` (or the deprecated `serviceAccount`)
    /// names a ServiceAccount that the input does not contain, in the workload's namespace.
    ///
    /// To stay quiet on partial inputs, it only judges namespaces for which the input is
    /// evidently complete: the input holds at least one ServiceAccount of that namespace, or
    /// the Namespace object itself. The `default` service account always exists and is never
    /// reported, nor are names that are not valid object names (template placeholders such
    /// as `$SA_NAME` or `<KSA_NAME>`). When a ServiceAccount of that name exists in another namespace, the message
    /// says so (a common mistake).
    ///
    /// ## Why it matters
    /// The API server refuses pods whose service account does not exist, so the workload
    /// never starts. Worse, whoever later creates a ServiceAccount of that name (anyone with
    /// `create serviceaccounts` in the namespace) decides which permissions and image pull
    /// secrets the workload runs with, and may bind it to more than intended.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: apps/v1
    /// kind: Deployment
    /// metadata: {name: api, namespace: shop}
    /// spec:
    ///   selector: {matchLabels: {app: api}}
    ///   template:
    ///     metadata: {labels: {app: api}}
    ///     spec:
    ///       serviceAccountName: api-sa     # no ServiceAccount api-sa in namespace shop
    ///       containers: [{name: api, image: "example/api:1.0"}]
    /// ```
    ///
    /// ## Fix
    /// Add the ServiceAccount to the manifests (with the least privileges the workload needs),
    /// or correct the name.
    ///
    /// ## References
    /// - CIS Kubernetes Benchmark v1.10 5.1.5 "Ensure that default service accounts are not actively used" (dedicated service accounts must exist)
    /// - NSA/CISA Kubernetes Hardening Guide: "Authentication and authorization"
    /// - MITRE ATT&CK for Containers: T1078.001 Valid Accounts: Default Accounts
    /// - kube-linter `non-existent-service-account`
    pub struct MissingServiceAccount {
        name: "missing-service-account",
        domain: Network,
        severity: Medium,
        summary: "Workload names a ServiceAccount that the input does not define",
    }
}

impl Rule for MissingServiceAccount {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        if !cx.index.has_kind("ServiceAccount") && !cx.index.has_kind("Namespace") {
            return;
        }
        // namespaces of the ServiceAccounts of each name, for the hint (built once, not one
        // scan of every ServiceAccount per pod template)
        let mut by_name: std::collections::HashMap<&str, Vec<&str>> = Default::default();
        for s in cx.index.of_kind("ServiceAccount") {
            if let Some(ns) = effective_namespace(s) {
                by_name.entry(s.name()).or_default().push(ns);
            }
        }
        for t in cx.index.pod_templates() {
            let sa = t.service_account();
            // Not a valid name (`$SA_NAME`, `<KSA_NAME>`): a template placeholder, not judged.
            let valid = sa.len() <= 253
                && sa.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.'
                });
            if sa == "default" || !valid {
                continue;
            }
            let ns = effective_namespace(t.object);
            if cx.index.get("ServiceAccount", ns, sa).is_some() {
                continue;
            }
            let ns_name = ns.unwrap_or("default");
            let complete = ns.is_some_and(|n| cx.index.namespace(n).is_some())
                || cx.index.of_kind_in("ServiceAccount", ns).next().is_some();
            if !complete {
                continue;
            }
            let field = if t.spec.get("serviceAccountName").is_some() {
                "serviceAccountName"
            } else {
                "serviceAccount"
            };
            let elsewhere: &[&str] = by_name.get(sa).map_or(&[], Vec::as_slice);
            let hint = if elsewhere.is_empty() {
                String::new()
            } else {
                format!(
                    " (a ServiceAccount of that name exists in namespace {})",
                    crate::finding::bounded_list(elsewhere.iter())
                )
            };
            out.push(Finding::new(
                Self::META.name,
                Self::META.severity,
                cx.snapshot,
                t.object,
                &t.path(&FieldPath::root().key(field)),
                format!(
                    "{} {} runs as ServiceAccount \"{sa}\", which the input does not define in namespace {ns_name}{hint}",
                    t.object.kind(),
                    t.object.name()
                ),
                format!("Add a ServiceAccount \"{sa}\" in namespace {ns_name} to the manifests, or correct the name."),
            ));
        }
    }
}
