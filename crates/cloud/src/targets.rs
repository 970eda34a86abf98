//! Named cluster targets: a kubeconfig context (and file), a namespace and
//! an environment label under a name, kept in `[targets.<name>]` of
//! config.toml (secret material stays in the kubeconfig's own credential
//! sources and the OS keyring). `runner: kubernetes:<name>` resolves a target
//! first, then a kubeconfig context of that name.
//!
//! [`check`] tells, per target and concurrently: whether its credentials
//! resolve (and until when, for a token that says so), whether the API server
//! answers (its version), and which verbs the runner and deployments need are allowed in the
//! namespace (one SelfSubjectAccessReview each), with reasons a person can
//! act on.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use base64::Engine as _;
use indexmap::IndexMap;
use k8s_openapi::api::authorization::v1::SelfSubjectAccessReview;
use kube::Api;
use kube::api::PostParams;
use kube::config::Kubeconfig;
use serde::Serialize;
use switchyard_engine::config::{remove_value, set_value};
use switchyard_engine::{Engine, EngineError};

use crate::kubernetes::Cluster;
use crate::kubernetes::rbac::{DEPLOY_RULES, RULES, Rule};

/// A target as listed (`switchyard targets list --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetView {
    /// Its name (`runner: kubernetes:<name>`).
    pub name: String,
    /// Where its identity comes from: `kubeconfig` (a context).
    pub cloud: String,
    /// The kubeconfig context.
    pub context: String,
    /// The kubeconfig file, when not the default one.
    pub kubeconfig: Option<String>,
    /// The namespace, when not the context's.
    pub namespace: Option<String>,
    /// Its environment label.
    pub environment: Option<String>,
}

/// What to add.
#[derive(Debug, Clone, Default)]
pub struct NewTarget {
    /// The name.
    pub name: String,
    /// The kubeconfig context.
    pub context: String,
    /// The kubeconfig file (default: `KUBECONFIG`, else `~/.kube/config`).
    pub kubeconfig: Option<PathBuf>,
    /// The namespace (default: the context's, else `default`).
    pub namespace: Option<String>,
    /// An environment label.
    pub environment: Option<String>,
}

/// The result of checking one target (`switchyard targets check --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetCheck {
    /// The target.
    pub name: String,
    /// Everything below is fine.
    pub ok: bool,
    /// The API server's version, when it answered.
    pub server_version: Option<String>,
    /// When the credential runs out, when it says (a token's `exp`).
    pub expires_at: Option<String>,
    /// What is wrong, each with what to do.
    pub problems: Vec<String>,
    /// `"<verb> <resource>"` → allowed in the namespace.
    pub allowed: IndexMap<String, bool>,
}

/// Every configured target.
pub fn list(engine: &Engine) -> Vec<TargetView> {
    engine
        .config()
        .targets
        .iter()
        .map(|(name, t)| TargetView {
            name: name.clone(),
            cloud: "kubeconfig".into(),
            context: t.context.clone().unwrap_or_else(|| name.clone()),
            kubeconfig: t.kubeconfig.as_ref().map(|p| p.display().to_string()),
            namespace: t.namespace.clone(),
            environment: t.environment.clone(),
        })
        .collect()
}

fn read_kubeconfig(path: Option<&Path>) -> Result<Kubeconfig, String> {
    match path {
        Some(p) => {
            Kubeconfig::read_from(p).map_err(|e| format!("cannot read the kubeconfig {}: {e}", p.display()))
        }
        None => Kubeconfig::read()
            .map_err(|e| format!("cannot read the kubeconfig (KUBECONFIG or ~/.kube/config): {e}")),
    }
}

/// A context of a kubeconfig, as offered when adding a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContextView {
    /// The context's name.
    pub name: String,
    /// Its cluster's name.
    pub cluster: String,
    /// Its cluster's API server, when the kubeconfig names it.
    pub server: Option<String>,
    /// Its namespace, when it sets one.
    pub namespace: Option<String>,
    /// Whether it is the kubeconfig's current context.
    pub current: bool,
    /// The target that already uses it, if one does.
    pub target: Option<String>,
}

/// The contexts of a kubeconfig (default: `KUBECONFIG`, else
/// `~/.kube/config`), with the target using each, if any.
pub async fn contexts(engine: &Engine, kubeconfig: Option<PathBuf>) -> Result<Vec<ContextView>, EngineError> {
    let file = kubeconfig
        .as_ref()
        .and_then(|p| std::path::absolute(p).ok())
        .map(|p| p.display().to_string());
    let kc = tokio::task::spawn_blocking(move || read_kubeconfig(kubeconfig.as_deref()))
        .await
        .map_err(|e| EngineError::Internal(e.to_string()))?
        .map_err(EngineError::InvalidArgument)?;
    let targets = list(engine);
    Ok(kc
        .contexts
        .iter()
        .map(|c| {
            let cluster = c.context.as_ref().map(|x| x.cluster.clone()).unwrap_or_default();
            ContextView {
                name: c.name.clone(),
                server: kc
                    .clusters
                    .iter()
                    .find(|k| k.name == cluster)
                    .and_then(|k| k.cluster.as_ref())
                    .and_then(|k| k.server.clone()),
                namespace: c.context.as_ref().and_then(|x| x.namespace.clone()),
                current: kc.current_context.as_deref() == Some(c.name.as_str()),
                target: targets
                    .iter()
                    .find(|t| t.context == c.name && t.kubeconfig == file)
                    .map(|t| t.name.clone()),
                cluster,
            }
        })
        .collect())
}

/// Adds a target after checking that its kubeconfig has the context.
pub async fn add(engine: &Engine, new: NewTarget) -> Result<TargetView, EngineError> {
    if !switchyard_engine::config::valid_target_name(&new.name) {
        return Err(EngineError::InvalidArgument(format!(
            "`{}` is not a target name: use letters, digits, `-`, `_` and `.` (at most 63), as it is written in `runner: kubernetes:<name>`",
            new.name
        )));
    }
    if engine.config().targets.contains_key(&new.name) {
        return Err(EngineError::InvalidArgument(format!(
            "a target named `{}` exists; `switchyard targets rm {}` first to replace it",
            new.name, new.name
        )));
    }
    if let Some(ns) = &new.namespace
        && !valid_namespace(ns)
    {
        return Err(EngineError::InvalidArgument(format!(
            "`{ns}` is not a namespace name (lowercase letters, digits and `-`, at most 63)"
        )));
    }
    let kubeconfig = new.kubeconfig.clone();
    let context = new.context.clone();
    let contexts = tokio::task::spawn_blocking(move || {
        read_kubeconfig(kubeconfig.as_deref())
            .map(|kc| kc.contexts.into_iter().map(|c| c.name).collect::<Vec<_>>())
    })
    .await
    .map_err(|e| EngineError::Internal(e.to_string()))?
    .map_err(EngineError::InvalidArgument)?;
    if !contexts.contains(&context) {
        return Err(EngineError::InvalidArgument(format!(
            "the kubeconfig has no context `{context}`; its contexts: {}",
            if contexts.is_empty() {
                "none".to_string()
            } else {
                contexts.join(", ")
            }
        )));
    }
    let kubeconfig = match &new.kubeconfig {
        Some(p) => Some(
            std::path::absolute(p)
                .map_err(|e| EngineError::InvalidArgument(format!("{}: {e}", p.display())))?,
        ),
        None => None,
    };
    let n = new.clone();
    let kc = kubeconfig.clone();
    engine
        .edit_config(move |doc| {
            let name = n.name.as_str();
            set_value(doc, &["targets", name, "context"], n.context.as_str().into());
            if let Some(k) = &kc {
                set_value(
                    doc,
                    &["targets", name, "kubeconfig"],
                    k.display().to_string().into(),
                );
            }
            if let Some(ns) = &n.namespace {
                set_value(doc, &["targets", name, "namespace"], ns.as_str().into());
            }
            if let Some(env) = &n.environment {
                set_value(doc, &["targets", name, "environment"], env.as_str().into());
            }
        })
        .await?;
    Ok(TargetView {
        name: new.name,
        cloud: "kubeconfig".into(),
        context: new.context,
        kubeconfig: kubeconfig.map(|p| p.display().to_string()),
        namespace: new.namespace,
        environment: new.environment,
    })
}

/// Removes a target; `false` when there was none of that name.
pub async fn remove(engine: &Engine, name: &str) -> Result<bool, EngineError> {
    if !engine.config().targets.contains_key(name) {
        return Ok(false);
    }
    let n = name.to_string();
    engine
        .edit_config(move |doc| remove_value(doc, &["targets", &n]))
        .await?;
    Ok(true)
}

fn valid_namespace(ns: &str) -> bool {
    !ns.is_empty()
        && ns.len() <= 63
        && ns
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !ns.starts_with('-')
        && !ns.ends_with('-')
}

/// Checks the named targets (all when `names` is empty), concurrently.
pub async fn check(engine: &Engine, names: &[String]) -> Result<Vec<TargetCheck>, EngineError> {
    let targets = list(engine);
    let chosen: Vec<TargetView> = if names.is_empty() {
        targets
    } else {
        let mut out = Vec::new();
        for n in names {
            match targets.iter().find(|t| &t.name == n) {
                Some(t) => out.push(t.clone()),
                None => {
                    let all: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
                    return Err(EngineError::InvalidArgument(format!(
                        "no target named `{n}`; targets: {}",
                        if all.is_empty() {
                            "none (add one with `switchyard targets add`)".into()
                        } else {
                            all.join(", ")
                        }
                    )));
                }
            }
        }
        out
    };
    Ok(futures::future::join_all(chosen.into_iter().map(check_one)).await)
}

async fn check_one(target: TargetView) -> TargetCheck {
    let mut out = TargetCheck {
        name: target.name.clone(),
        ok: false,
        server_version: None,
        expires_at: None,
        problems: Vec::new(),
        allowed: IndexMap::new(),
    };
    let kubeconfig = target.kubeconfig.as_ref().map(PathBuf::from);
    // The credential's expiry, when the kubeconfig's token says.
    let (kc_path, context) = (kubeconfig.clone(), target.context.clone());
    if let Ok(Ok(kc)) = tokio::task::spawn_blocking(move || read_kubeconfig(kc_path.as_deref())).await {
        out.expires_at = token_expiry(&kc, &context);
    }
    let cluster = match Cluster::connect(
        kubeconfig.as_deref(),
        &target.context,
        Arc::new(AtomicU64::new(0)),
    )
    .await
    {
        Ok(c) => c,
        Err(e) => {
            out.problems.push(format!(
                "credentials do not resolve: {e}; check context `{}` of the kubeconfig (an exec plugin must be installed and logged in)",
                target.context
            ));
            return out;
        }
    };
    let namespace = target
        .namespace
        .clone()
        .unwrap_or_else(|| cluster.namespace.clone());
    match tokio::time::timeout(
        std::time::Duration::from_secs(15),
        cluster.client.apiserver_version(),
    )
    .await
    {
        Ok(Ok(v)) => out.server_version = Some(v.git_version),
        Ok(Err(e)) => {
            out.problems.push(explain(&e, &target.context));
            return out;
        }
        Err(_) => {
            out.problems.push(format!(
                "the API server of context `{}` did not answer within 15 s: unreachable (VPN, firewall, a stopped cluster?)",
                target.context
            ));
            return out;
        }
    }
    let reviews: Api<SelfSubjectAccessReview> = Api::all(cluster.client.clone());
    // (group, resource, verb, for deployments): each asked once, the
    // runner's first.
    let mut asks: Vec<(&str, &str, &str, bool)> = Vec::new();
    for (rules, deploy) in [(RULES, false), (DEPLOY_RULES, true)] {
        for Rule {
            group,
            resources,
            verbs,
        } in rules
        {
            for resource in *resources {
                for verb in *verbs {
                    if !asks.iter().any(|a| (a.0, a.1, a.2) == (*group, *resource, *verb)) {
                        asks.push((group, resource, verb, deploy));
                    }
                }
            }
        }
    }
    let answers = futures::future::join_all(asks.iter().map(|(group, resource, verb, _)| {
        let (resource, subresource) = match resource.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (*resource, None),
        };
        let review: SelfSubjectAccessReview = serde_json::from_value(serde_json::json!({
            "spec": {"resourceAttributes": {
                "namespace": namespace, "verb": verb, "group": group,
                "resource": resource, "subresource": subresource,
            }}
        }))
        .expect("a valid review");
        let reviews = reviews.clone();
        async move { reviews.create(&PostParams::default(), &review).await }
    }))
    .await;
    let (mut denied, mut denied_deploy) = (Vec::new(), Vec::new());
    for ((group, resource, verb, deploy), answer) in asks.iter().zip(answers) {
        let key = match *group {
            "" => format!("{verb} {resource}"),
            g => format!("{verb} {resource}.{g}"),
        };
        match answer {
            Ok(r) => {
                let allowed = r.status.is_some_and(|s| s.allowed);
                if !allowed && *deploy {
                    denied_deploy.push(key.clone());
                } else if !allowed {
                    denied.push(key.clone());
                }
                out.allowed.insert(key, allowed);
            }
            Err(e) => {
                out.problems.push(format!(
                    "cannot ask whether `{key}` is allowed: {}",
                    explain(&e, &target.context)
                ));
                out.allowed.insert(key, false);
            }
        }
    }
    if !denied.is_empty() {
        out.problems.push(format!(
            "not allowed in namespace `{namespace}`: {}; grant the Role of docs/kubernetes-runner.md to this identity",
            denied.join(", ")
        ));
    }
    if !denied_deploy.is_empty() {
        out.problems.push(format!(
            "deployments cannot work in namespace `{namespace}`: not allowed {}; grant the Role of docs/deployments.md (\"The RBAC a target needs\") if this target is deployed to",
            denied_deploy.join(", ")
        ));
    }
    out.ok = out.problems.is_empty();
    out
}

/// A failed call in words a person can act on.
fn explain(e: &kube::Error, context: &str) -> String {
    let text = crate::kubernetes::api::describe(e);
    let lower = text.to_lowercase();
    match e {
        kube::Error::Api(s) if s.code == 401 => format!(
            "the cluster refused the credentials of context `{context}` (401 Unauthorized): the token or certificate expired or was revoked; log in again (aws sso login, az login, gcloud auth login) or refresh the kubeconfig"
        ),
        kube::Error::Api(s) if s.code == 403 => format!("forbidden (403): {}", s.message),
        _ if lower.contains("certificate")
            && (lower.contains("expired") || lower.contains("not yet valid")) =>
        {
            format!(
                "a certificate is outside its validity period ({text}): it expired, or this machine's clock is wrong (clock skew)"
            )
        }
        _ if lower.contains("certificate") || lower.contains("tls") || lower.contains("unknownissuer") => {
            format!(
                "TLS: the server's certificate does not match the kubeconfig's certificate authority or server name ({text})"
            )
        }
        _ => format!("the API server of context `{context}` is unreachable: {text}"),
    }
}

/// The `exp` of a JWT bearer token in the context's user, as RFC 3339.
fn token_expiry(kc: &Kubeconfig, context: &str) -> Option<String> {
    let user = kc
        .contexts
        .iter()
        .find(|c| c.name == context)?
        .context
        .as_ref()?
        .user
        .clone()?;
    let auth = kc
        .auth_infos
        .iter()
        .find(|a| a.name == user)?
        .auth_info
        .as_ref()?;
    let token = auth.token.as_ref()?;
    use secrecy::ExposeSecret;
    jwt_expiry(token.expose_secret())
}

fn jwt_expiry(token: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let exp = claims.get("exp")?.as_i64()?;
    jiff::Timestamp::from_second(exp).ok().map(|t| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jwt_says_when_it_expires_and_other_tokens_do_not() {
        let claims =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":1767225600,"sub":"x"}"#);
        assert_eq!(
            jwt_expiry(&format!("h.{claims}.sig")).as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        assert_eq!(jwt_expiry("not-a-jwt"), None);
        assert_eq!(jwt_expiry("a.%%%.c"), None);
    }

    #[test]
    fn namespaces_are_dns_labels() {
        assert!(valid_namespace("ci-runs"));
        for bad in ["", "Ci", "-a", "a-", "a_b", &"a".repeat(64)] {
            assert!(!valid_namespace(bad), "{bad}");
        }
    }
}
