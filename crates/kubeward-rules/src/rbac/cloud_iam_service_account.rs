use crate::declare_rule;
use crate::finding::{Finding, Severity};
use crate::rule::{Context, Rule, RuleMeta};
use kubeward_model::{effective_namespace, FieldPath};

declare_rule! {
    /// ## What it does
    /// Reports a ServiceAccount annotated for a cloud workload identity, so that its tokens
    /// are exchanged for cloud credentials:
    /// - `eks.amazonaws.com/role-arn` (AWS IAM Roles for Service Accounts);
    /// - `iam.gke.io/gcp-service-account` (GKE Workload Identity);
    /// - `azure.workload.identity/client-id` (Azure Workload Identity; a pod uses it only with
    ///   the label `azure.workload.identity/use: "true"`).
    ///
    /// Severity is medium when a pod template of the input (a Pod, or a workload's template,
    /// CronJobs included) runs as the ServiceAccount, and info when none does: the identity
    /// is then a standing grant that nothing in the input needs. The finding names the cloud
    /// identity and the workloads that run as the account.
    ///
    /// ## Why it matters
    /// The cluster's RBAC ends at the API server; a cloud-annotated ServiceAccount extends an
    /// intruder's reach into the cloud account. Whoever gets a shell in a pod that runs as it,
    /// or may create pods or `serviceaccounts/token` in its namespace, obtains the cloud
    /// role's credentials: object storage, databases, key vaults, often the cluster's own
    /// control plane. The cloud role's policy, which the cluster does not show, decides how
    /// far that goes.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: ServiceAccount
    /// metadata:
    ///   name: uploader
    ///   namespace: shop
    ///   annotations:
    ///     eks.amazonaws.com/role-arn: arn:aws:iam::111122223333:role/shop-uploader
    /// ```
    ///
    /// ## Fix
    /// Give each workload its own ServiceAccount and cloud role, scoped to the resources it
    /// uses; remove the annotation from accounts no workload needs; restrict who may exec
    /// into, create pods in, or mint tokens in the namespace (`rbac-pod-exec`,
    /// `rbac-create-pods`, `rbac-escalate-bind-impersonate`); in the cloud role's trust policy,
    /// name the exact namespace and ServiceAccount.
    ///
    /// ## References
    /// - CIS Amazon EKS Benchmark 5.1 (IAM roles for service accounts); CIS GKE Benchmark 5.2
    ///   (Workload Identity)
    /// - MITRE ATT&CK: T1078.004 Valid Accounts: Cloud Accounts; T1552.005 Unsecured
    ///   Credentials: Cloud Instance Metadata API
    /// - KubeHound: `IDENTITY_ASSUME` edge (to the cloud)
    pub struct RbacCloudIamServiceAccount {
        name: "rbac-cloud-iam-service-account",
        domain: Rbac,
        severity: Medium,
        summary: "ServiceAccount is bound to a cloud IAM identity (its tokens reach the cloud account)",
    }
}

/// The annotations that tie a ServiceAccount to a cloud identity, and the cloud's name.
const ANNOTATIONS: &[(&str, &str)] = &[
    ("eks.amazonaws.com/role-arn", "AWS IAM role"),
    (
        "iam.gke.io/gcp-service-account",
        "Google Cloud service account",
    ),
    (
        "azure.workload.identity/client-id",
        "Azure workload identity",
    ),
];

const AZURE_USE_LABEL: &str = "azure.workload.identity/use";

/// How many workloads a message names before `and N more`.
const SHOWN: usize = 3;

impl Rule for RbacCloudIamServiceAccount {
    fn meta(&self) -> &'static RuleMeta {
        &Self::META
    }

    fn check(&self, cx: &Context<'_>, out: &mut Vec<Finding>) {
        for sa in cx.index.of_kind("ServiceAccount") {
            if !sa.oref.group().is_empty() {
                continue;
            }
            let Some((key, cloud, identity)) = ANNOTATIONS.iter().find_map(|(k, cloud)| {
                sa.annotation(k)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| (*k, *cloud, v))
            }) else {
                continue;
            };
            let ns = effective_namespace(sa);
            let azure = key.starts_with("azure.");
            let mut users: Vec<String> = Vec::new();
            for t in cx.index.pod_templates_in(ns) {
                if t.service_account() != sa.name() {
                    continue;
                }
                if azure && !t.labels().any(|(k, v)| k == AZURE_USE_LABEL && v == "true") {
                    continue;
                }
                let name = t.object.oref.display();
                if !users.contains(&name) {
                    users.push(name);
                }
            }
            let ns_name = ns.unwrap_or("default");
            let (severity, used) = if users.is_empty() {
                (Severity::Info, "no pod of the input runs as it".to_string())
            } else {
                let more = if users.len() > SHOWN {
                    format!(" and {} more", users.len() - SHOWN)
                } else {
                    String::new()
                };
                let shown: Vec<&str> = users.iter().take(SHOWN).map(String::as_str).collect();
                (
                    Self::META.severity,
                    format!(
                        "a shell in the pods of {}{more} (or a token of the account) reaches that cloud account",
                        shown.join(", ")
                    ),
                )
            };
            let message = format!(
                "ServiceAccount \"{}\" (namespace {ns_name}) is bound to the {cloud} {identity} ({key}): {used}",
                sa.name()
            );
            out.push(Finding::new(
                Self::META.name,
                severity,
                cx.snapshot,
                sa,
                &FieldPath::root().key("metadata").key("annotations").key(key),
                message,
                "Scope the cloud role to what the workload uses, remove the annotation where no workload needs it, and restrict exec, pod creation and token requests in the namespace.",
            ));
        }
    }
}
