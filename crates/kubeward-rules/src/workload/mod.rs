//! Rules of the `workload` domain: hardening of pod templates beyond the Pod Security Standards
//! (images, resources, service-account tokens, host paths, capabilities, probes, API versions).

mod common;
mod image_ref;
mod probes;
mod resources;

pub mod dangerous_capabilities;
pub mod default_service_account;
pub mod deprecated_api_version;
pub mod image_not_pinned_by_digest;
pub mod image_pull_policy_not_always;
pub mod image_tag_latest;
pub mod image_without_tag;
pub mod missing_cpu_limits;
pub mod missing_cpu_requests;
pub mod missing_liveness_probe;
pub mod missing_memory_limits;
pub mod missing_memory_requests;
pub mod missing_readiness_probe;
pub mod run_as_root_group;
pub mod sensitive_host_path;
pub mod service_account_token_automount;
pub mod shared_process_namespace;
pub mod writable_root_filesystem;

pub use dangerous_capabilities::DangerousCapabilities;
pub use default_service_account::DefaultServiceAccount;
pub use deprecated_api_version::DeprecatedApiVersion;
pub use image_not_pinned_by_digest::ImageNotPinnedByDigest;
pub use image_pull_policy_not_always::ImagePullPolicyNotAlways;
pub use image_tag_latest::ImageTagLatest;
pub use image_without_tag::ImageWithoutTag;
pub use missing_cpu_limits::MissingCpuLimits;
pub use missing_cpu_requests::MissingCpuRequests;
pub use missing_liveness_probe::MissingLivenessProbe;
pub use missing_memory_limits::MissingMemoryLimits;
pub use missing_memory_requests::MissingMemoryRequests;
pub use missing_readiness_probe::MissingReadinessProbe;
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
        &ImageWithoutTag,
        &ImageTagLatest,
        &ImageNotPinnedByDigest,
        &ImagePullPolicyNotAlways,
        &MissingCpuRequests,
        &MissingMemoryRequests,
        &MissingCpuLimits,
        &MissingMemoryLimits,
        &MissingLivenessProbe,
        &MissingReadinessProbe,
        &DeprecatedApiVersion,
    ]
}
