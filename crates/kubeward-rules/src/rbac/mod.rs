//! Rules of the `rbac` domain.

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![]
}
