//! Rules of the `pod-security` domain: an exact Pod Security Standards evaluator (all 19
//! upstream checks, policy versions v1.0 to v1.37 and `latest`) and one rule per check.
//!
//! - [`evaluate`] judges a pod template at a level and version the way the Pod Security
//!   admission plugin does, and [`format_denial`] words the result as the API server does.
//! - [`namespace`] reads the `pod-security.kubernetes.io/*` namespace labels.
//! - [`admission`] reads the cluster's defaults and exemptions from an `AdmissionConfiguration`
//!   in the input.
//! - The rules report each failed check at the strictest level that applies to the pod: the
//!   namespace labels when the Namespace is in the input, else the input's
//!   `AdmissionConfiguration` defaults, else `Settings::pod_security`.

pub mod admission;
mod checks;
pub mod namespace;
mod policy;
mod privileged_namespace;
mod rules;

pub use checks::{go_quote, safe_sysctl};
pub use namespace::{
    namespace_policy, policy_from_labels, policy_from_labels_with, LevelVersion, Mode,
    NamespacePolicy,
};
pub use policy::{
    checks_for, evaluate, evaluate_for_cluster, format_denial, format_detail, resolve_minor,
    CheckId, CheckResult, LATEST_MINOR,
};

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    let mut all = rules::all();
    all.push(&privileged_namespace::PrivilegedNamespaceAdmits);
    all
}

#[cfg(test)]
mod tests;
