//! Secrets in the OS keyring: the engine's [`SecretStore`] on the
//! Secret Service (GNOME Keyring, KWallet, KeePassXC) over D-Bus.
//!
//! Each secret is one keyring item: service `switchyard`, user
//! `global:<NAME>` or `project:<PROJECT>:<NAME>`, labelled so people
//! recognise it in their keyring app ("Switchyard secret API_TOKEN (project
//! shop)"). The connection is made on first use and again after a failure, so
//! a keyring started after Switchyard is found without a restart. There is
//! never a plaintext fallback: without a keyring, storing fails with how to
//! get one, and reading finds nothing beyond the environment.
//!
//! Every call blocks (D-Bus round trips, perhaps an unlock prompt); the
//! engine makes them on blocking threads.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use keyring_core::api::CredentialStoreApi;
use secrecy::{ExposeSecret, SecretString};
use switchyard_engine::secrets::{SecretError, SecretScope, SecretStore};

/// The keyring items' service attribute.
pub const SERVICE: &str = "switchyard";

/// How to get a keyring, for messages.
const HOW_TO_GET_ONE: &str = "Switchyard keeps secrets only in the OS keyring (the Secret Service \
     on D-Bus). In a desktop session it runs already (GNOME Keyring, KWallet, KeePassXC); on a \
     server start one, e.g. `dbus-run-session -- sh -c 'echo -n PASSWORD | gnome-keyring-daemon \
     --unlock --components=secrets; exec switchyard ...'`, or give the job its secrets as \
     SWITCHYARD_SECRET_<NAME> environment variables instead";

/// The OS keyring as a [`SecretStore`].
#[derive(Default)]
pub struct KeyringStore {
    store: Mutex<Option<Arc<dyn CredentialStoreApi + Send + Sync>>>,
}

impl KeyringStore {
    /// A store that connects on first use.
    pub fn new() -> KeyringStore {
        KeyringStore::default()
    }

    fn connect(&self) -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, String> {
        let mut guard = self.store.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(store) = guard.as_ref() {
            return Ok(store.clone());
        }
        let store = platform_store()?;
        *guard = Some(store.clone());
        Ok(store)
    }

    /// Forgets the connection after a failure that may be the connection's.
    fn reset(&self) {
        *self.store.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    fn entry(&self, scope: &SecretScope, name: &str) -> Result<keyring_core::Entry, String> {
        let store = self.connect()?;
        let label = match scope {
            SecretScope::Global => format!("Switchyard secret {name} (global)"),
            SecretScope::Project(p) => format!("Switchyard secret {name} (project {p})"),
            SecretScope::Source(s) => format!("Switchyard Prometheus {name} (source {s})"),
            SecretScope::Webhook(w) => format!("Switchyard webhook {name} ({w})"),
        };
        let modifiers = HashMap::from([("label", label.as_str())]);
        store
            .build(SERVICE, &user(scope, name), Some(&modifiers))
            .map_err(|e| describe(&e))
    }

    fn error(&self, action: &'static str, name: &str, reason: String) -> SecretError {
        SecretError {
            action,
            name: name.to_string(),
            store: self.describe(),
            reason,
        }
    }
}

/// The keyring item's user attribute.
fn user(scope: &SecretScope, name: &str) -> String {
    match scope {
        SecretScope::Global => format!("global:{name}"),
        SecretScope::Project(p) => format!("project:{p}:{name}"),
        SecretScope::Source(s) => format!("source:{s}:{name}"),
        SecretScope::Webhook(w) => format!("webhook:{w}:{name}"),
    }
}

#[cfg(target_os = "linux")]
fn platform_store() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, String> {
    match zbus_secret_service_keyring_store::Store::new() {
        Ok(store) => Ok(store),
        Err(e) => Err(format!("no keyring answers ({}). {HOW_TO_GET_ONE}", describe(&e))),
    }
}

#[cfg(not(target_os = "linux"))]
fn platform_store() -> Result<Arc<dyn CredentialStoreApi + Send + Sync>, String> {
    Err(format!(
        "this build of Switchyard has no keyring for this system yet. {HOW_TO_GET_ONE}"
    ))
}

/// A keyring error in words, never with the bytes some variants carry (a
/// value that is not UTF-8 would be one).
fn describe(e: &keyring_core::Error) -> String {
    use keyring_core::Error as E;
    match e {
        E::NoStorageAccess(inner) => format!(
            "the keyring refused access ({inner}); unlock it (your keyring app, or \
             `gnome-keyring-daemon --unlock`) and try again"
        ),
        E::PlatformFailure(inner) => format!("the keyring failed: {inner}"),
        E::NoEntry => "no such item".into(),
        E::BadEncoding(_) => "the stored value is not UTF-8 text; set it again".into(),
        E::BadDataFormat(_, _) => "the stored value is not in the expected format; set it again".into(),
        E::BadStoreFormat(why) => format!("the keyring is not in the expected format: {why}"),
        E::TooLong(what, max) => format!("{what} is longer than the keyring allows ({max})"),
        E::Invalid(what, why) => format!("{what} {why}"),
        E::Ambiguous(items) => format!(
            "{} keyring items match; remove the extra ones in your keyring app",
            items.len()
        ),
        E::NoDefaultStore => format!("no keyring. {HOW_TO_GET_ONE}"),
        E::NotSupportedByStore(what) => format!("the keyring does not support {what}"),
        other => format!("the keyring failed ({})", error_kind(other)),
    }
}

/// The variant's name only, for errors this code does not know.
fn error_kind(e: &keyring_core::Error) -> String {
    let debug = format!("{e:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or("unknown")
        .to_string()
}

/// Whether the error may be a dropped connection worth reconnecting for.
fn may_be_connection(e: &keyring_core::Error) -> bool {
    matches!(e, keyring_core::Error::PlatformFailure(_))
}

impl SecretStore for KeyringStore {
    fn get(&self, scope: &SecretScope, name: &str) -> Result<Option<SecretString>, SecretError> {
        let entry = self.entry(scope, name).map_err(|r| self.error("read", name, r))?;
        match entry.get_password() {
            Ok(v) => Ok(Some(SecretString::from(v))),
            Err(keyring_core::Error::NoEntry) => Ok(None),
            Err(e) => {
                if may_be_connection(&e) {
                    self.reset();
                }
                Err(self.error("read", name, describe(&e)))
            }
        }
    }

    fn set(&self, scope: &SecretScope, name: &str, value: &SecretString) -> Result<(), SecretError> {
        let entry = self
            .entry(scope, name)
            .map_err(|r| self.error("store", name, r))?;
        entry.set_password(value.expose_secret()).map_err(|e| {
            if may_be_connection(&e) {
                self.reset();
            }
            self.error("store", name, describe(&e))
        })
    }

    fn remove(&self, scope: &SecretScope, name: &str) -> Result<bool, SecretError> {
        let entry = self
            .entry(scope, name)
            .map_err(|r| self.error("remove", name, r))?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring_core::Error::NoEntry) => Ok(false),
            Err(e) => {
                if may_be_connection(&e) {
                    self.reset();
                }
                Err(self.error("remove", name, describe(&e)))
            }
        }
    }

    fn describe(&self) -> String {
        "the OS keyring (Secret Service)".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_told_apart_by_scope() {
        assert_eq!(user(&SecretScope::Global, "TOKEN"), "global:TOKEN");
        assert_eq!(
            user(&SecretScope::Project("shop".into()), "TOKEN"),
            "project:shop:TOKEN"
        );
    }

    #[test]
    fn a_value_in_an_error_is_never_described() {
        let e = keyring_core::Error::BadEncoding(b"hunter2\xff".to_vec());
        assert!(!describe(&e).contains("hunter2"), "{}", describe(&e));
    }
}
