//! Chat webhooks: incidents told to a chat channel as Slack-compatible JSON
//! (`{"text", "blocks"}`; Slack, Mattermost and Rocket.Chat take it), each
//! message with a `switchyard://alerts/<id>` link back into the app.
//!
//! A webhook's address holds its token, so it is kept in the OS keyring
//! (scope `webhook:<name>`, item `URL`); `[webhooks.<name>]` in config.toml
//! only says it exists. Delivery retries a dropped connection or a 5xx
//! twice, with backoff; a refusal (4xx) is not retried. A failed delivery is
//! logged and reported, never an error of the evaluation that caused it.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use switchyard_engine::config::{remove_value, set_value};
use switchyard_engine::secrets::SecretScope;
use switchyard_engine::views::Notification;
use switchyard_engine::{Engine, EngineError};

/// The keyring item of a webhook's address.
pub const URL: &str = "URL";

/// A webhook as listed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookView {
    /// Its name.
    pub name: String,
    /// Whether resolved incidents are told too.
    pub on_resolved: bool,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Delivery {
    /// The webhook.
    pub webhook: String,
    /// Delivered (2xx).
    pub ok: bool,
    /// Why not.
    pub error: Option<String>,
}

/// Every webhook.
pub fn list(engine: &Engine) -> Vec<WebhookView> {
    engine
        .config()
        .webhooks
        .iter()
        .map(|(name, w)| WebhookView {
            name: name.clone(),
            on_resolved: w.on_resolved.unwrap_or(true),
        })
        .collect()
}

/// Adds (or replaces) a webhook; its address goes to the keyring.
pub async fn add(
    engine: &Engine,
    name: &str,
    url: SecretString,
    on_resolved: bool,
) -> Result<WebhookView, EngineError> {
    if !switchyard_engine::config::valid_target_name(name) {
        return Err(EngineError::InvalidArgument(format!(
            "`{name}` is not a webhook name: use letters, digits, `-`, `_` and `.` (at most 63)"
        )));
    }
    match url::Url::parse(url.expose_secret()) {
        Ok(u) if (u.scheme() == "https" || u.scheme() == "http") && u.host().is_some() => {}
        // The address is a secret: the message never repeats it.
        _ => {
            return Err(EngineError::InvalidArgument(
                "the webhook address is not an http:// or https:// URL (it is not shown here: it holds a token)".into(),
            ));
        }
    }
    let store = engine.secret_store();
    let scope = SecretScope::Webhook(name.to_string());
    tokio::task::spawn_blocking(move || store.set(&scope, URL, &url))
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
    let n = name.to_string();
    engine
        .edit_config(move |doc| {
            remove_value(doc, &["webhooks", &n]);
            set_value(doc, &["webhooks", &n, "on_resolved"], on_resolved.into());
        })
        .await?;
    Ok(WebhookView {
        name: name.to_string(),
        on_resolved,
    })
}

/// Removes a webhook and its address; `false` when there was none.
pub async fn remove(engine: &Engine, name: &str) -> Result<bool, EngineError> {
    if !engine.config().webhooks.contains_key(name) {
        return Ok(false);
    }
    let n = name.to_string();
    engine
        .edit_config(move |doc| remove_value(doc, &["webhooks", &n]))
        .await?;
    let store = engine.secret_store();
    let scope = SecretScope::Webhook(name.to_string());
    tokio::task::spawn_blocking(move || store.remove(&scope, URL))
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))??;
    Ok(true)
}

/// The Slack-compatible body of a message.
pub fn message(n: &Notification) -> serde_json::Value {
    let link = format!("switchyard:/{}", n.route);
    serde_json::json!({
        "text": format!("{}: {} — open in Switchyard: {link}", n.summary, n.body),
        "blocks": [{
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": format!("*{}*\n{}\n<{link}|Open in Switchyard>", n.summary, n.body),
            }
        }]
    })
}

async fn post(client: &reqwest::Client, url: &SecretString, body: &serde_json::Value) -> Result<(), String> {
    let bytes = serde_json::to_vec(body).map_err(|e| e.to_string())?;
    let mut delay = Duration::from_millis(500);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = client
            .post(url.expose_secret())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(bytes.clone())
            .send()
            .await;
        // Messages name the status or the cause, never the address.
        let (retry, why) = match result {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                (true, format!("HTTP {}", r.status()))
            }
            Ok(r) => (
                false,
                format!(
                    "HTTP {} (the webhook refused the message; check it in the chat's settings)",
                    r.status()
                ),
            ),
            Err(e) => (
                true,
                if e.is_timeout() {
                    "no answer within 10 s".to_string()
                } else {
                    "cannot connect".to_string()
                },
            ),
        };
        if !retry || attempt >= 3 {
            return Err(why);
        }
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
}

/// Tells every webhook (or the one named) `n`; one result per webhook.
pub async fn deliver(engine: &Engine, n: &Notification, resolved: bool, only: Option<&str>) -> Vec<Delivery> {
    let hooks: Vec<WebhookView> = list(engine)
        .into_iter()
        .filter(|w| only.is_none_or(|o| o == w.name))
        .filter(|w| !resolved || w.on_resolved)
        .collect();
    if hooks.is_empty() {
        return Vec::new();
    }
    crate::prometheus::install_crypto_provider();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            return hooks
                .into_iter()
                .map(|w| Delivery {
                    webhook: w.name,
                    ok: false,
                    error: Some(format!("cannot set up an HTTP client: {e}")),
                })
                .collect();
        }
    };
    let body = message(n);
    let mut out = Vec::new();
    for w in hooks {
        let store = engine.secret_store();
        let scope = SecretScope::Webhook(w.name.clone());
        let url = tokio::task::spawn_blocking(move || store.get(&scope, URL)).await;
        let result = match url {
            Ok(Ok(Some(url))) => post(&client, &url, &body).await,
            Ok(Ok(None)) => Err(format!(
                "its address is not in the keyring; add it again with `switchyard webhooks add {}`",
                w.name
            )),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(e) = &result {
            tracing::warn!(webhook = %w.name, error = %e, "webhook delivery failed");
        }
        out.push(Delivery {
            webhook: w.name,
            ok: result.is_ok(),
            error: result.err(),
        });
    }
    out
}
