//! Rules of the `workload` domain: hardening of pod templates beyond the Pod Security Standards
//! (service-account tokens, host paths, capabilities, root filesystem and group, process
//! namespaces). Image, resource, probe and API-version hygiene is the `hygiene` domain.

pub(crate) mod common;

pub mod dangerous_capabilities;
pub mod default_service_account;
pub mod run_as_root_group;
pub mod sensitive_host_path;
pub mod service_account_token_automount;
pub mod shared_process_namespace;
pub mod writable_root_filesystem;

pub use dangerous_capabilities::DangerousCapabilities;
pub use default_service_account::DefaultServiceAccount;
pub use run_as_root_group::RunAsRootGroup;
pub use sensitive_host_path::SensitiveHostPath;
pub use service_account_token_automount::ServiceAccountTokenAutomount;
pub use shared_process_namespace::SharedProcessNamespace;
pub use writable_root_filesystem::WritableRootFilesystem;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &SensitiveHostPath,
        &DangerousCapabilities,
        &WritableRootFilesystem,
        &RunAsRootGroup,
        &SharedProcessNamespace,
        &ServiceAccountTokenAutomount,
        &DefaultServiceAccount,
    ]
}
