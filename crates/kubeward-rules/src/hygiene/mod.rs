//! Rules of the `hygiene` domain: good practice that is not itself a security control, and so
//! does not run unless selected (`--select hygiene`, or `select: [hygiene]` in `kubeward.yaml`):
//! image tags, digests and pull policy, resource requests and limits, probes, removed API
//! versions. A report dominated by these hides the few findings an intruder would use.

mod image_ref;
mod probes;
mod resources;

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

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
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
