//! Where secret values come from.
//!
//! A pipeline names secrets (`secrets: [API_TOKEN]`); their values come from a
//! [`SecretStore`] at run time and never from the pipeline file. The values
//! are handed to the job's steps as environment variables and masked in
//! everything the job prints. [`EnvSecretStore`] reads them from the
//! `SWITCHYARD_SECRET_<NAME>` variables of Switchyard's own environment; the
//! OS keyring implements the same trait later.

use secrecy::SecretString;

/// Prefix of the environment variables [`EnvSecretStore`] reads.
pub const ENV_PREFIX: &str = "SWITCHYARD_SECRET_";

/// Why a secret could not be looked up (not: that it is missing).
#[derive(Debug, thiserror::Error)]
#[error("cannot read secret `{name}` from {store}: {reason}")]
pub struct SecretError {
    /// The secret's name.
    pub name: String,
    /// The store's description.
    pub store: String,
    /// What went wrong.
    pub reason: String,
}

/// A source of secret values.
pub trait SecretStore: Send + Sync {
    /// The value of the named secret, or `None` when it is not set.
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError>;

    /// One sentence telling the user how to set the named secret.
    fn how_to_set(&self, name: &str) -> String;
}

/// Reads secrets from `SWITCHYARD_SECRET_<NAME>` environment variables.
#[derive(Debug, Default, Clone, Copy)]
pub struct EnvSecretStore;

impl SecretStore for EnvSecretStore {
    fn get(&self, name: &str) -> Result<Option<SecretString>, SecretError> {
        match std::env::var_os(format!("{ENV_PREFIX}{name}")) {
            None => Ok(None),
            Some(v) => match v.into_string() {
                Ok(s) => Ok(Some(SecretString::from(s))),
                Err(_) => Err(SecretError {
                    name: name.to_string(),
                    store: "the environment".into(),
                    reason: format!("{ENV_PREFIX}{name} is not valid UTF-8"),
                }),
            },
        }
    }

    fn how_to_set(&self, name: &str) -> String {
        format!("set it with `export {ENV_PREFIX}{name}=...` before running Switchyard")
    }
}
