//! Where secret values come from.
//!
//! A pipeline names secrets (`secrets: [API_TOKEN]`); their values come from
//! a [`SecretStore`] at run time and never from the pipeline file. The values
//! are handed to the job's steps as environment variables and masked in
//! everything the job prints.
//!
//! A name resolves, first match wins, from:
//! 1. `SWITCHYARD_SECRET_<NAME>` in Switchyard's own environment (CI
//!    machines have no keyring);
//! 2. the project's scope of the store (the OS keyring in both front ends);
//! 3. the store's global scope.
//!
//! The store holds values only; which names exist, their scope and when each
//! was set or rotated are kept in the history database (never a value).
//! [`NoStore`] is the embedded default: environment variables only.

use secrecy::SecretString;

/// Prefix of the environment variables that provide secrets.
pub const ENV_PREFIX: &str = "SWITCHYARD_SECRET_";

/// The longest secret name accepted.
pub const MAX_NAME: usize = 128;

/// The largest secret value accepted (a kubeconfig or a key file fits).
pub const MAX_VALUE: usize = 64 * 1024;

/// Which secrets a value belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SecretScope {
    /// Every project's.
    Global,
    /// One project's, by its name; shadows a global one of the same name.
    Project(String),
    /// A Prometheus source's credential (`TOKEN` or `PASSWORD`), by the
    /// source's name. Pipelines never see these.
    Source(String),
    /// A chat webhook's address (`URL`: it holds the webhook's token), by
    /// the webhook's name. Pipelines never see these.
    Webhook(String),
}

impl SecretScope {
    /// The scope's kind as stored and printed: `global` or `project`.
    pub fn kind(&self) -> &'static str {
        match self {
            SecretScope::Global => "global",
            SecretScope::Project(_) => "project",
            SecretScope::Source(_) => "source",
            SecretScope::Webhook(_) => "webhook",
        }
    }

    /// The project, for a project scope.
    pub fn project(&self) -> Option<&str> {
        match self {
            SecretScope::Global | SecretScope::Source(_) | SecretScope::Webhook(_) => None,
            SecretScope::Project(p) => Some(p),
        }
    }
}

impl std::fmt::Display for SecretScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SecretScope::Global => f.write_str("global"),
            SecretScope::Project(p) => write!(f, "project `{p}`"),
            SecretScope::Source(s) => write!(f, "source `{s}`"),
            SecretScope::Webhook(w) => write!(f, "webhook `{w}`"),
        }
    }
}

/// Where a resolved secret came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `SWITCHYARD_SECRET_<NAME>`.
    Environment,
    /// The store, in this scope.
    Store(SecretScope),
}

/// Why a secret store could not do what was asked (not: that a secret is
/// missing, which is `Ok(None)`).
#[derive(Debug, thiserror::Error)]
#[error("cannot {action} secret `{name}` in {store}: {reason}")]
pub struct SecretError {
    /// What was being done: `read`, `store`, `remove`.
    pub action: &'static str,
    /// The secret's name.
    pub name: String,
    /// The store's description.
    pub store: String,
    /// What went wrong and what to do about it.
    pub reason: String,
}

/// A place that keeps secret values, by scope and name. Calls may block
/// (D-Bus, a prompt): the engine makes them on blocking threads.
pub trait SecretStore: Send + Sync {
    /// The value of the named secret in exactly this scope, or `None`.
    fn get(&self, scope: &SecretScope, name: &str) -> Result<Option<SecretString>, SecretError>;

    /// Stores (or replaces) the value.
    fn set(&self, scope: &SecretScope, name: &str, value: &SecretString) -> Result<(), SecretError>;

    /// Removes the value; `false` when there was none.
    fn remove(&self, scope: &SecretScope, name: &str) -> Result<bool, SecretError>;

    /// What the store is, for messages: "the OS keyring (Secret Service)".
    fn describe(&self) -> String;
}

/// No store: secrets come from the environment only. Setting one says how to
/// get a keyring.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoStore;

impl SecretStore for NoStore {
    fn get(&self, _scope: &SecretScope, _name: &str) -> Result<Option<SecretString>, SecretError> {
        Ok(None)
    }

    fn set(&self, _scope: &SecretScope, name: &str, _value: &SecretString) -> Result<(), SecretError> {
        Err(SecretError {
            action: "store",
            name: name.to_string(),
            store: self.describe(),
            reason: format!(
                "this Switchyard has no keyring; set {ENV_PREFIX}{name} in its environment instead"
            ),
        })
    }

    fn remove(&self, _scope: &SecretScope, _name: &str) -> Result<bool, SecretError> {
        Ok(false)
    }

    fn describe(&self) -> String {
        "no secret store".into()
    }
}

/// Checks a secret's name: what an environment variable may be called
/// (letters, digits, `_`, not starting with a digit), at most [`MAX_NAME`].
pub fn check_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= MAX_NAME
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.as_bytes()[0].is_ascii_digit();
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{}` is not a valid secret name: use letters, digits and `_` (not starting with a digit), at most {MAX_NAME} characters, e.g. API_TOKEN",
            name.chars().take(MAX_NAME).collect::<String>()
        ))
    }
}

/// Resolves a name for a project: the environment, then the project's scope,
/// then the global scope. Blocks (the store may).
pub fn resolve(
    store: &dyn SecretStore,
    project: &str,
    name: &str,
) -> Result<Option<(SecretString, SecretSource)>, SecretError> {
    if let Some(v) = std::env::var_os(format!("{ENV_PREFIX}{name}")) {
        return match v.into_string() {
            Ok(s) => Ok(Some((SecretString::from(s), SecretSource::Environment))),
            Err(_) => Err(SecretError {
                action: "read",
                name: name.to_string(),
                store: "the environment".into(),
                reason: format!("{ENV_PREFIX}{name} is not valid UTF-8"),
            }),
        };
    }
    for scope in [SecretScope::Project(project.to_string()), SecretScope::Global] {
        if let Some(v) = store.get(&scope, name)? {
            return Ok(Some((v, SecretSource::Store(scope))));
        }
    }
    Ok(None)
}

/// Where [`resolve`] looked for a name, for the message when none had it.
pub fn looked_in(store: &dyn SecretStore, project: &str, name: &str) -> String {
    format!(
        "looked in {ENV_PREFIX}{name} in the environment, then project `{project}` and global secrets in {}",
        store.describe()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_environment_variable_names() {
        for ok in ["API_TOKEN", "a", "_X1", &"A".repeat(MAX_NAME)] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1X", "A-B", "A B", "Ä", "A=B", &"A".repeat(MAX_NAME + 1)] {
            let e = check_name(bad).unwrap_err();
            assert!(e.contains("not a valid secret name"), "{e}");
        }
    }
}
