//! Rules of the `rbac` domain.
//!
//! These rules read roles and bindings through the RBAC engine (`kubeward-rbac`, see
//! [`grants`]): a role is judged by its effective rules (aggregated ClusterRoles resolved,
//! Kubernetes' default roles known), matched as the API server matches them, with the scope
//! of its bindings. Findings stay on the role or binding that carries the right.

mod anonymous_binding;
mod cloud_iam_service_account;
mod cluster_admin_binding;
mod create_pods;
mod csr_approval;
mod escalate_bind_impersonate;
pub mod grants;
mod namespace_relabel;
mod patch_pods;
mod persistent_volumes;
mod pod_exec;
mod risky;
mod secrets_access;
mod webhook_configuration;
mod wildcard_permissions;

pub use anonymous_binding::RbacAnonymousBinding;
pub use cloud_iam_service_account::RbacCloudIamServiceAccount;
pub use cluster_admin_binding::RbacClusterAdminBinding;
pub use create_pods::RbacCreatePods;
pub use csr_approval::RbacCsrApproval;
pub use escalate_bind_impersonate::RbacEscalateBindImpersonate;
pub use namespace_relabel::RbacNamespaceRelabel;
pub use patch_pods::RbacPatchPods;
pub use persistent_volumes::RbacPersistentVolumes;
pub use pod_exec::RbacPodExec;
pub use secrets_access::RbacSecretsAccess;
pub use webhook_configuration::RbacWebhookConfiguration;
pub use wildcard_permissions::RbacWildcardPermissions;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &RbacWildcardPermissions,
        &RbacSecretsAccess,
        &RbacCreatePods,
        &RbacPatchPods,
        &RbacPodExec,
        &RbacEscalateBindImpersonate,
        &RbacWebhookConfiguration,
        &RbacCsrApproval,
        &RbacPersistentVolumes,
        &RbacNamespaceRelabel,
        &RbacClusterAdminBinding,
        &RbacAnonymousBinding,
        &RbacCloudIamServiceAccount,
    ]
}
