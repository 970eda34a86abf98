//! Prometheus sources: named servers in `[sources.<name>]` of config.toml,
//! their credentials in the OS keyring (scope `source:<name>`, never in the
//! file), a default one, and a check that says whether each answers and
//! with which version.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::Serialize;
use switchyard_engine::config::{SourceAuth, SourceConfig, remove_value, set_value};
use switchyard_engine::secrets::SecretScope;
use switchyard_engine::{Engine, EngineError};

use crate::prometheus::{Client, Credential, DEFAULT_TIMEOUT, Endpoint};

/// The keyring name of a bearer token.
pub const TOKEN: &str = "TOKEN";
/// The keyring name of a basic-auth password.
pub const PASSWORD: &str = "PASSWORD";

/// A source as listed (`switchyard sources list --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceView {
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Whether it is the default.
    pub default: bool,
    /// `none`, `bearer` or `basic`.
    pub auth: String,
    /// The basic-auth user.
    pub username: Option<String>,
    /// A CA file it trusts.
    pub ca_file: Option<String>,
    /// Whether certificates go unchecked.
    pub insecure_skip_tls_verify: bool,
}

/// What to add.
#[derive(Clone, Default)]
pub struct NewSource {
    /// The name.
    pub name: String,
    /// The URL.
    pub url: String,
    /// Make it the default.
    pub default: bool,
    /// A bearer token (kept in the keyring).
    pub bearer_token: Option<SecretString>,
    /// Basic auth: user and password (the password kept in the keyring).
    pub basic: Option<(String, SecretString)>,
    /// A CA file.
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate.
    pub insecure_skip_tls_verify: bool,
}

/// The result of checking a source (`switchyard sources check --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceCheck {
    /// The source.
    pub name: String,
    /// It answered as Prometheus does.
    pub ok: bool,
    /// Its version.
    pub version: Option<String>,
    /// How long the answer took.
    pub latency_ms: Option<u64>,
    /// What is wrong, with what to do.
    pub problems: Vec<String>,
}

fn view(name: &str, s: &SourceConfig) -> SourceView {
    SourceView {
        name: name.to_string(),
        url: s.url.clone(),
        default: s.default,
        auth: match s.auth {
            None => "none",
            Some(SourceAuth::Bearer) => "bearer",
            Some(SourceAuth::Basic) => "basic",
        }
        .into(),
        username: s.username.clone(),
        ca_file: s.ca_file.as_ref().map(|p| p.display().to_string()),
        insecure_skip_tls_verify: s.insecure_skip_tls_verify,
    }
}

/// Every configured source.
pub fn list(engine: &Engine) -> Vec<SourceView> {
    let config = engine.config();
    let default = config.source(None).map(|(n, _)| n.to_string());
    config
        .sources
        .iter()
        .map(|(name, s)| {
            let mut v = view(name, s);
            let key = name.clone();
            v.default = default.as_deref() == Some(name.as_str());
            (key, v)
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_values()
        .collect()
}

/// Adds a source, or replaces one of the same name (its credential too).
pub async fn add(engine: &Engine, new: NewSource) -> Result<SourceView, EngineError> {
    if !switchyard_engine::config::valid_target_name(&new.name) {
        return Err(EngineError::InvalidArgument(format!(
            "`{}` is not a source name: use letters, digits, `-`, `_` and `.` (at most 63)",
            new.name
        )));
    }
    match url::Url::parse(&new.url) {
        Ok(u) if (u.scheme() == "http" || u.scheme() == "https") && u.host().is_some() => {}
        _ => {
            return Err(EngineError::InvalidArgument(format!(
                "`{}` is not a Prometheus URL: give its base address, e.g. http://127.0.0.1:9090",
                new.url
            )));
        }
    }
    if new.bearer_token.is_some() && new.basic.is_some() {
        return Err(EngineError::InvalidArgument(
            "give a bearer token or basic auth, not both".into(),
        ));
    }
    let ca_file = match &new.ca_file {
        Some(p) if !p.is_file() => {
            return Err(EngineError::InvalidArgument(format!(
                "the CA file {} does not exist",
                p.display()
            )));
        }
        Some(p) => Some(
            std::path::absolute(p)
                .map_err(|e| EngineError::InvalidArgument(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    // The credential goes in first: a source in the file whose secret could
    // not be stored would fail every query. The keyring is only asked when
    // there is a credential to store, or one of a replaced source to drop.
    let had_auth = engine
        .config()
        .sources
        .get(&new.name)
        .is_some_and(|s| s.auth.is_some());
    let credential = match (&new.bearer_token, &new.basic) {
        (Some(t), _) => Some((TOKEN, t.clone())),
        (_, Some((_, p))) => Some((PASSWORD, p.clone())),
        _ => None,
    };
    if credential.is_some() || had_auth {
        let store = engine.secret_store();
        let scope = SecretScope::Source(new.name.clone());
        tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
            for name in [TOKEN, PASSWORD] {
                if credential.as_ref().is_none_or(|(n, _)| *n != name) {
                    store.remove(&scope, name)?;
                }
            }
            if let Some((name, value)) = credential {
                store.set(&scope, name, &value)?;
            }
            Ok(())
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
    }
    let n = new.clone();
    let ca = ca_file.clone();
    engine
        .edit_config(move |doc| {
            let name = n.name.as_str();
            remove_value(doc, &["sources", name]);
            if n.default {
                // One default at a time.
                if let Some(sources) = doc.get_mut("sources").and_then(|s| s.as_table_like_mut()) {
                    for (_, s) in sources.iter_mut() {
                        if let Some(t) = s.as_table_like_mut() {
                            t.remove("default");
                        }
                    }
                }
            }
            set_value(doc, &["sources", name, "url"], n.url.as_str().into());
            if n.default {
                set_value(doc, &["sources", name, "default"], true.into());
            }
            if n.bearer_token.is_some() {
                set_value(doc, &["sources", name, "auth"], "bearer".into());
            }
            if let Some((user, _)) = &n.basic {
                set_value(doc, &["sources", name, "auth"], "basic".into());
                set_value(doc, &["sources", name, "username"], user.as_str().into());
            }
            if let Some(ca) = &ca {
                set_value(
                    doc,
                    &["sources", name, "ca_file"],
                    ca.display().to_string().into(),
                );
            }
            if n.insecure_skip_tls_verify {
                set_value(doc, &["sources", name, "insecure_skip_tls_verify"], true.into());
            }
        })
        .await?;
    list(engine)
        .into_iter()
        .find(|s| s.name == new.name)
        .ok_or_else(|| EngineError::Internal("the source was written but did not load".into()))
}

/// Removes a source and its credential; `false` when there was none.
pub async fn remove(engine: &Engine, name: &str) -> Result<bool, EngineError> {
    let Some(had_auth) = engine.config().sources.get(name).map(|s| s.auth.is_some()) else {
        return Ok(false);
    };
    let n = name.to_string();
    engine
        .edit_config(move |doc| remove_value(doc, &["sources", &n]))
        .await?;
    if !had_auth {
        return Ok(true);
    }
    let store = engine.secret_store();
    let scope = SecretScope::Source(name.to_string());
    tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
        store.remove(&scope, TOKEN)?;
        store.remove(&scope, PASSWORD)?;
        Ok(())
    })
    .await
    .map_err(|e| EngineError::Internal(e.to_string()))??;
    Ok(true)
}

/// A client of the named source, or of the default one.
pub async fn client(engine: &Engine, name: Option<&str>) -> Result<Client, EngineError> {
    let config = engine.config();
    let Some((name, source)) = config.source(name) else {
        return Err(EngineError::InvalidArgument(match name {
            Some(n) => format!(
                "there is no Prometheus source `{n}`; `switchyard sources list` shows them, `switchyard sources add {n} --url URL` adds it"
            ),
            None if config.sources.is_empty() => {
                "no Prometheus source is configured: add one with `switchyard sources add NAME --url http://HOST:9090 --default`".into()
            }
            None => format!(
                "several Prometheus sources and none is the default: name one with --source ({}), or add one with --default",
                config.sources.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        }));
    };
    let (name, source) = (name.to_string(), source.clone());
    let store = engine.secret_store();
    let scope = SecretScope::Source(name.clone());
    let credential = {
        let (source, name) = (source.clone(), name.clone());
        tokio::task::spawn_blocking(move || -> Result<Credential, EngineError> {
            let need = |key: &str| -> Result<SecretString, EngineError> {
                store.get(&scope, key)?.ok_or_else(|| {
                    EngineError::InvalidArgument(format!(
                        "the Prometheus source `{name}` needs a credential that is not in the keyring; add it again with `switchyard sources add {name} --url {} {}`",
                        source.url,
                        if key == TOKEN { "--bearer-token-stdin" } else { "--basic-user USER" }
                    ))
                })
            };
            Ok(match source.auth {
                None => Credential::None,
                Some(SourceAuth::Bearer) => Credential::Bearer(need(TOKEN)?),
                Some(SourceAuth::Basic) => Credential::Basic {
                    username: source.username.clone().unwrap_or_default(),
                    password: need(PASSWORD)?,
                },
            })
        })
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??
    };
    let url = url::Url::parse(&source.url)
        .map_err(|e| EngineError::InvalidArgument(format!("source `{name}` has a bad url: {e}")))?;
    Client::new(Endpoint {
        name,
        url,
        credential,
        ca_file: source.ca_file.clone(),
        insecure_skip_tls_verify: source.insecure_skip_tls_verify,
        timeout: source
            .timeout_secs
            .map(|s| Duration::from_secs(u64::from(s.get())))
            .unwrap_or(DEFAULT_TIMEOUT),
    })
    .map_err(|e| EngineError::InvalidArgument(e.to_string()))
}

/// Checks the named sources (all when `names` is empty), concurrently.
pub async fn check(engine: &Engine, names: &[String]) -> Result<Vec<SourceCheck>, EngineError> {
    let all = list(engine);
    let chosen: Vec<SourceView> = if names.is_empty() {
        all
    } else {
        let mut out = Vec::new();
        for n in names {
            match all.iter().find(|s| &s.name == n) {
                Some(s) => out.push(s.clone()),
                None => {
                    return Err(EngineError::InvalidArgument(format!(
                        "there is no Prometheus source `{n}`; `switchyard sources list` shows them"
                    )));
                }
            }
        }
        out
    };
    let checks = chosen.into_iter().map(|s| async move {
        let name = s.name.clone();
        let client = match client(engine, Some(&name)).await {
            Ok(c) => c,
            Err(e) => {
                return SourceCheck {
                    name,
                    ok: false,
                    version: None,
                    latency_ms: None,
                    problems: vec![e.to_string()],
                };
            }
        };
        let started = Instant::now();
        match client.build_info().await {
            Ok(info) => SourceCheck {
                name,
                ok: true,
                version: Some(info.version),
                latency_ms: Some(started.elapsed().as_millis() as u64),
                problems: Vec::new(),
            },
            Err(e) => SourceCheck {
                name,
                ok: false,
                version: None,
                latency_ms: None,
                problems: vec![e.to_string()],
            },
        }
    });
    Ok(futures::future::join_all(checks).await)
}
