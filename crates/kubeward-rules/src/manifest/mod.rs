//! Rules of the `manifest` domain: how the manifest text itself is written, beyond what any
//! object means (a key repeated to hide a value).

pub mod duplicate_field;

pub use duplicate_field::DuplicateField;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![&DuplicateField]
}
