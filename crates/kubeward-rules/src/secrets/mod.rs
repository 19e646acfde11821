//! Rules of the `secrets` domain: credentials where they should not be (literal env
//! values, ConfigMaps), Secrets exposed through environment variables, and encryption of
//! Secrets at rest.

mod configmap;
pub mod detect;
mod encryption_config;
mod encryption_config_inline_keys;
mod env_literal;
mod env_var_reference;

pub use configmap::SecretInConfigMap;
pub use encryption_config::EncryptionConfigIdentityProvider;
pub use encryption_config_inline_keys::EncryptionConfigInlineKeys;
pub use env_literal::SecretInEnvLiteral;
pub use env_var_reference::SecretEnvVarReference;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &SecretInEnvLiteral,
        &SecretInConfigMap,
        &SecretEnvVarReference,
        &EncryptionConfigIdentityProvider,
        &EncryptionConfigInlineKeys,
    ]
}
