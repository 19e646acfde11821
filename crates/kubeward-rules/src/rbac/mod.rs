//! Rules of the `rbac` domain.
//!
//! These rules judge each Role, ClusterRole and binding on its own: they do not compute
//! effective permissions (who is bound to what) and do not resolve aggregated ClusterRoles.

mod anonymous_binding;
mod cluster_admin_binding;
mod create_pods;
mod escalate_bind_impersonate;
pub mod grants;
mod pod_exec;
mod secrets_access;
mod wildcard_permissions;

pub use anonymous_binding::RbacAnonymousBinding;
pub use cluster_admin_binding::RbacClusterAdminBinding;
pub use create_pods::RbacCreatePods;
pub use escalate_bind_impersonate::RbacEscalateBindImpersonate;
pub use pod_exec::RbacPodExec;
pub use secrets_access::RbacSecretsAccess;
pub use wildcard_permissions::RbacWildcardPermissions;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &RbacWildcardPermissions,
        &RbacSecretsAccess,
        &RbacCreatePods,
        &RbacPodExec,
        &RbacEscalateBindImpersonate,
        &RbacClusterAdminBinding,
        &RbacAnonymousBinding,
    ]
}
