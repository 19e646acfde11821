//! Rules of the `secrets` domain: credentials where they should not be (literal env
//! values, ConfigMaps), Secrets exposed through environment variables, and encryption of
//! Secrets at rest.

mod annotation;
mod command;
mod configmap;
pub mod detect;
mod encryption_config;
mod encryption_config_inline_keys;
mod env_literal;
mod env_var_reference;
mod legacy_service_account_token_secret;
mod readers;
mod secret_committed_in_manifest;

pub use annotation::SecretInAnnotation;
pub use command::SecretInCommand;
pub use configmap::SecretInConfigMap;
pub use encryption_config::EncryptionConfigIdentityProvider;
pub use encryption_config_inline_keys::EncryptionConfigInlineKeys;
pub use env_literal::SecretInEnvLiteral;
pub use env_var_reference::SecretEnvVarReference;
pub use legacy_service_account_token_secret::LegacyServiceAccountTokenSecret;
pub use secret_committed_in_manifest::SecretCommittedInManifest;

use crate::rule::Rule;

/// The rules of this domain.
pub fn rules() -> Vec<&'static dyn Rule> {
    vec![
        &SecretInEnvLiteral,
        &SecretInConfigMap,
        &SecretEnvVarReference,
        &EncryptionConfigIdentityProvider,
        &EncryptionConfigInlineKeys,
        &SecretInAnnotation,
        &SecretInCommand,
        &SecretCommittedInManifest,
        &LegacyServiceAccountTokenSecret,
    ]
}
