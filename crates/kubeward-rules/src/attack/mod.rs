//! Rules of the `attack-graph` domain: findings computed from the attack graph
//! (`kubeward-paths`) rather than from one object.

mod attack_path;

pub use attack_path::AttackPath;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&AttackPath]
}
