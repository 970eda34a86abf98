//! The engine's [`Deployer`] over the Kubernetes API: nothing is installed
//! in the cluster.
//!
//! For each target: every object is first applied with server-side apply in
//! dry-run mode, which gives the diff against the live objects (shown in the
//! job's log, Secret values hidden) and finds field-manager conflicts before
//! anything changes. `--dry-run` stops there. Then the objects are applied
//! for real under Switchyard's field manager ([`FIELD_MANAGER`]); a field
//! another manager owns is a conflict with its name, unless forced.
//!
//! Rolling strategy: each Deployment's own rolling update is watched until
//! every replica is updated and available, with readiness and restarts of
//! the new version's pods reported as they change. A rollout that passes
//! its `progressDeadlineSeconds` (the controller marks it
//! `ProgressDeadlineExceeded`), or that is stopped, is rolled back the way
//! `kubectl rollout undo` does it: the Deployment's pod template is put
//! back to the previous ReplicaSet's, applied under the same field manager,
//! and watched until ready again.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DynamicObject, ListParams, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiCapabilities, ApiResource, Scope, pinned_kind};
use kube::runtime::{WatchStreamExt, watcher};
use serde_json::Value;
use switchyard_engine::config::ConfigFile;
use switchyard_engine::deploy::{
    ANNOTATION_REVISION, DeployError, DeployRequest, Deployer, FIELD_MANAGER, LABEL_DEPLOYMENT,
    LABEL_VERSION, Manifest, Progress, TargetOutcome, TargetStatus,
};
use switchyard_engine::pipeline::Strategy;
use tokio_util::sync::CancellationToken;

use super::Settings;
use super::api::{Cluster, describe};

mod canary;

/// Most changed fields listed per object in the diff.
const MAX_CHANGES_SHOWN: usize = 12;
/// The controller's default `progressDeadlineSeconds`.
const DEFAULT_PROGRESS_DEADLINE: u64 = 600;
/// How much longer than a Deployment's own deadline Switchyard waits for
/// the controller to say it passed (a controller that is down says nothing).
const DEADLINE_GRACE: Duration = Duration::from_secs(60);

/// Rolls deploy jobs out on Kubernetes targets.
pub struct KubeDeployer {
    settings: Arc<Settings>,
    config: Option<Arc<ConfigFile>>,
}

impl KubeDeployer {
    /// A deployer that reads targets from the configuration (a name that is
    /// not a configured target is a kubeconfig context).
    pub fn new(settings: Arc<Settings>, config: Option<Arc<ConfigFile>>) -> KubeDeployer {
        KubeDeployer { settings, config }
    }

    async fn connect(&self, target: &str) -> Result<Cluster, DeployError> {
        let configured = self
            .config
            .as_ref()
            .and_then(|c| c.current().targets.get(target).cloned())
            .unwrap_or_default();
        let context = configured.context.clone().unwrap_or_else(|| target.to_string());
        let kubeconfig = configured
            .kubeconfig
            .clone()
            .or_else(|| self.settings.kubeconfig.clone());
        let mut cluster = Cluster::connect(kubeconfig.as_deref(), &context, self.settings.calls.clone())
            .await
            .map_err(|e| DeployError::TargetUnavailable {
                target: target.to_string(),
                reason: format!("{e}; `switchyard targets list` shows the targets, `kubectl config get-contexts` the contexts"),
            })?;
        if let Some(ns) = configured.namespace {
            cluster.namespace = ns;
        }
        Ok(cluster)
    }
}

/// One object ready to apply: where it goes and what it is.
struct Planned {
    manifest: Manifest,
    api: Api<DynamicObject>,
    object: Value,
}

impl Planned {
    fn name(&self) -> &str {
        self.manifest.name()
    }
}

/// What happened to one object in the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// It does not exist yet.
    Create,
    /// It exists and would not change.
    Unchanged,
    /// These fields would change (`path: old -> new`).
    Update(Vec<String>),
}

fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// A target that failed before anything changed: said in the log, and returned.
async fn failed(progress: &Progress, what: String) -> TargetOutcome {
    progress.say(what.clone()).await;
    TargetOutcome {
        status: TargetStatus::Failed,
        reason: Some(what),
    }
}

/// Resolves each object's API (one discovery call per kind) and namespace.
async fn plan(cluster: &Cluster, objects: &[Manifest]) -> Result<Vec<Planned>, String> {
    let mut kinds: HashMap<String, (ApiResource, ApiCapabilities)> = HashMap::new();
    let mut out = Vec::with_capacity(objects.len());
    for m in objects {
        let key = format!("{}/{}", m.api_version(), m.kind());
        if !kinds.contains_key(&key) {
            let (group, version) = split_api_version(m.api_version());
            let gvk = GroupVersionKind::gvk(group, version, m.kind());
            let found = pinned_kind(&cluster.client, &gvk).await.map_err(|e| {
                format!(
                    "{} ({}:{}): the cluster does not serve {} {} ({}); is its CRD installed?",
                    m.describe(),
                    m.file.display(),
                    m.pos.line,
                    m.api_version(),
                    m.kind(),
                    describe(&e)
                )
            })?;
            kinds.insert(key.clone(), found);
        }
        let (ar, caps) = &kinds[&key];
        let mut object = m.object.clone();
        let api = if caps.scope == Scope::Namespaced {
            let ns = m.namespace().unwrap_or(&cluster.namespace).to_string();
            object["metadata"]["namespace"] = Value::String(ns.clone());
            Api::namespaced_with(cluster.client.clone(), &ns, ar)
        } else {
            Api::all_with(cluster.client.clone(), ar)
        };
        out.push(Planned {
            manifest: m.clone(),
            api,
            object,
        });
    }
    Ok(out)
}

/// Fields that change on every apply or belong to the server: left out of the diff.
fn comparable(mut v: Value) -> Value {
    if let Some(md) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "uid",
            "creationTimestamp",
            "selfLink",
        ] {
            md.remove(k);
        }
        if let Some(l) = md.get_mut("labels").and_then(Value::as_object_mut) {
            l.remove(LABEL_DEPLOYMENT);
        }
        if let Some(a) = md.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove(ANNOTATION_REVISION);
            a.remove("deployment.kubernetes.io/revision");
            if a.is_empty() {
                md.remove("annotations");
            }
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v
}

/// The fields that differ between `old` and `new`, as `path: old -> new`;
/// values under a Secret's `data`/`stringData` are never shown.
pub fn changes(old: &Value, new: &Value, secret: bool) -> Vec<String> {
    fn short(v: Option<&Value>) -> String {
        match v {
            None => "(none)".into(),
            Some(Value::String(s)) => {
                if s.chars().count() > 60 {
                    format!("{:?}…", s.chars().take(60).collect::<String>())
                } else {
                    format!("{s:?}")
                }
            }
            Some(v @ (Value::Object(_) | Value::Array(_))) => {
                let t = v.to_string();
                if t.chars().count() > 60 {
                    format!("{}…", t.chars().take(60).collect::<String>())
                } else {
                    t
                }
            }
            Some(v) => v.to_string(),
        }
    }
    fn walk(path: &str, old: Option<&Value>, new: Option<&Value>, secret: bool, out: &mut Vec<String>) {
        if old == new {
            return;
        }
        let hidden = secret && (path.starts_with("data") || path.starts_with("stringData"));
        match (old, new) {
            (Some(Value::Object(a)), Some(Value::Object(b))) => {
                let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
                keys.sort();
                keys.dedup();
                for k in keys {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(&p, a.get(k), b.get(k), secret, out);
                }
            }
            (Some(Value::Array(a)), Some(Value::Array(b))) if a.len() == b.len() => {
                for (i, (x, y)) in a.iter().zip(b).enumerate() {
                    walk(&format!("{path}[{i}]"), Some(x), Some(y), secret, out);
                }
            }
            _ if hidden => out.push(format!("{path}: (secret value changed)")),
            _ => out.push(format!("{path}: {} -> {}", short(old), short(new))),
        }
    }
    let mut out = Vec::new();
    walk("", Some(old), Some(new), secret, &mut out);
    out
}

/// Whether a kube error is a server-side-apply conflict (409 with the
/// fields and their managers in the message).
fn conflict_message(e: &kube::Error) -> Option<String> {
    match e {
        kube::Error::Api(s) if s.code == 409 => Some(s.message.clone()),
        _ => None,
    }
}

/// Whether every field of a conflict is held by Switchyard itself under
/// another operation or subresource (the canary scales the stable
/// Deployment through `scale`): those fields are its own to take back, so a
/// resumed canary does not stop at its own earlier writes.
fn only_own_conflicts(e: &kube::Error) -> bool {
    let kube::Error::Api(s) = e else {
        return false;
    };
    let causes = s
        .details
        .as_ref()
        .map(|d| d.causes.as_slice())
        .unwrap_or_default();
    let own = format!("conflict with \"{FIELD_MANAGER}\"");
    s.code == 409
        && !causes.is_empty()
        && causes
            .iter()
            .all(|c| c.reason == "FieldManagerConflict" && c.message.starts_with(&own))
}

/// A server-side apply of `object` that takes back fields only Switchyard
/// itself held (see [`only_own_conflicts`]); another manager's still conflict.
async fn apply(
    api: &Api<DynamicObject>,
    name: &str,
    params: &PatchParams,
    object: &Value,
) -> Result<DynamicObject, kube::Error> {
    match api.patch(name, params, &Patch::Apply(object)).await {
        Err(e) if !params.force && only_own_conflicts(&e) => {
            let mut forced = params.clone();
            forced.force = true;
            api.patch(name, &forced, &Patch::Apply(object)).await
        }
        other => other,
    }
}

/// Computes the diff of every object with a server-side dry-run apply.
async fn diff(planned: &[Planned], force: bool) -> Result<Vec<(String, Change)>, String> {
    let mut out = Vec::with_capacity(planned.len());
    // Namespaces the manifests create: what goes in them cannot be
    // dry-run before they exist, and is new anyway.
    let mut created: Vec<&str> = Vec::new();
    for p in planned {
        if let Some(ns) = p.object["metadata"]["namespace"].as_str()
            && created.contains(&ns)
        {
            out.push((p.manifest.describe(), Change::Create));
            continue;
        }
        if p.manifest.kind() == "Namespace" && p.manifest.api_version() == "v1" {
            let exists = p.api.get_opt(p.name()).await.ok().flatten().is_some();
            if !exists {
                created.push(p.name());
            }
        }
        let live = p
            .api
            .get_opt(p.name())
            .await
            .map_err(|e| format!("cannot read {}: {}", p.manifest.describe(), describe(&e)))?;
        let mut params = PatchParams::apply(FIELD_MANAGER).dry_run();
        if force {
            params = params.force();
        }
        let dry = apply(&p.api, p.name(), &params, &p.object).await.map_err(|e| {
            match conflict_message(&e) {
                Some(m) => format!(
                    "{} ({}:{}) conflicts with another field manager: {m}. Switchyard does not overwrite fields others own; change the manifest, or deploy with --force-conflicts to take them over",
                    p.manifest.describe(),
                    p.manifest.file.display(),
                    p.manifest.pos.line
                ),
                None => format!(
                    "{} ({}:{}) was refused: {}",
                    p.manifest.describe(),
                    p.manifest.file.display(),
                    p.manifest.pos.line,
                    describe(&e)
                ),
            }
        })?;
        let change = match live {
            None => Change::Create,
            Some(live) => {
                let old = comparable(serde_json::to_value(&live).unwrap_or_default());
                let new = comparable(serde_json::to_value(&dry).unwrap_or_default());
                let c = changes(&old, &new, p.manifest.kind() == "Secret");
                if c.is_empty() {
                    Change::Unchanged
                } else {
                    Change::Update(c)
                }
            }
        };
        out.push((p.manifest.describe(), change));
    }
    Ok(out)
}

async fn report_diff(progress: &Progress, diff: &[(String, Change)]) {
    let (mut create, mut update, mut same) = (0, 0, 0);
    for (what, change) in diff {
        match change {
            Change::Create => {
                create += 1;
                progress.say(format!("+ {what} (new)")).await;
            }
            Change::Update(fields) => {
                update += 1;
                progress.say(format!("~ {what}")).await;
                for f in fields.iter().take(MAX_CHANGES_SHOWN) {
                    progress.say(format!("    {f}")).await;
                }
                if fields.len() > MAX_CHANGES_SHOWN {
                    progress
                        .say(format!(
                            "    … and {} more changed fields",
                            fields.len() - MAX_CHANGES_SHOWN
                        ))
                        .await;
                }
            }
            Change::Unchanged => same += 1,
        }
    }
    progress
        .say(format!(
            "diff: {create} to create, {update} to change, {same} unchanged"
        ))
        .await;
}

/// How a Deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Rollout {
    /// Still going: (updated, ready, available, wanted).
    Going(i32, i32, i32, i32),
    /// Every replica updated and available.
    Done,
    /// The controller gave up: `ProgressDeadlineExceeded` (its message).
    DeadlinePassed(String),
}

fn rollout_of(d: &Deployment) -> Rollout {
    let generation = d.metadata.generation.unwrap_or(0);
    let spec = d.spec.as_ref();
    let wanted = spec.and_then(|s| s.replicas).unwrap_or(1);
    let Some(st) = d.status.as_ref() else {
        return Rollout::Going(0, 0, 0, wanted);
    };
    // Until the controller has seen this generation, its status (and a
    // deadline it reports) is about the rollout before.
    let observed = st.observed_generation.unwrap_or(0) >= generation;
    if !observed {
        return Rollout::Going(
            st.updated_replicas.unwrap_or(0).min(wanted),
            st.ready_replicas.unwrap_or(0),
            st.available_replicas.unwrap_or(0),
            wanted,
        );
    }
    if let Some(c) = st
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"))
    {
        return Rollout::DeadlinePassed(c.message.clone().unwrap_or_default());
    }
    let updated = st.updated_replicas.unwrap_or(0);
    let ready = st.ready_replicas.unwrap_or(0);
    let available = st.available_replicas.unwrap_or(0);
    let total = st.replicas.unwrap_or(0);
    if updated >= wanted && available >= wanted && total <= updated {
        Rollout::Done
    } else {
        Rollout::Going(updated, ready, available, wanted)
    }
}

/// Pods of a version that are not ready, with why and their restarts.
async fn unready_pods(pods: &Api<Pod>, app_selector: &str) -> Vec<String> {
    let Ok(list) = pods.list(&ListParams::default().labels(app_selector)).await else {
        return Vec::new();
    };
    list.items
        .iter()
        .filter_map(|p| {
            let st = p.status.as_ref()?;
            let ready = st
                .conditions
                .iter()
                .flatten()
                .any(|c| c.type_ == "Ready" && c.status == "True");
            let restarts: i32 = st
                .container_statuses
                .iter()
                .flatten()
                .map(|c| c.restart_count)
                .sum();
            if ready && restarts == 0 {
                return None;
            }
            let waiting = st
                .container_statuses
                .iter()
                .flatten()
                .find_map(|c| c.state.as_ref()?.waiting.as_ref()?.reason.clone());
            let why = waiting.unwrap_or_else(|| st.phase.clone().unwrap_or_else(|| "Pending".into()));
            Some(format!(
                "pod {} {}{}",
                p.metadata.name.as_deref().unwrap_or("?"),
                if ready {
                    "ready".to_string()
                } else {
                    format!("not ready ({why})")
                },
                if restarts > 0 {
                    format!(", {restarts} restarts")
                } else {
                    String::new()
                }
            ))
        })
        .collect()
}

enum Watched {
    Done,
    Failed(String),
    Cancelled,
}

/// Watches one Deployment until its rollout is done, passes its deadline,
/// or `cancel` fires, reporting progress as it changes.
async fn watch_rollout(
    api: &Api<Deployment>,
    pods: &Api<Pod>,
    name: &str,
    version: &str,
    progress: &Progress,
    cancel: &CancellationToken,
) -> Watched {
    let deadline_secs = api
        .get_opt(name)
        .await
        .ok()
        .flatten()
        .and_then(|d| d.spec.and_then(|s| s.progress_deadline_seconds))
        .map_or(DEFAULT_PROGRESS_DEADLINE, |s| s.max(1) as u64);
    let limit = Duration::from_secs(deadline_secs) + DEADLINE_GRACE;
    let started = Instant::now();
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = watcher(api.clone(), config).default_backoff().applied_objects();
    futures::pin_mut!(stream);
    let mut last: Option<Rollout> = None;
    let selector = format!("{LABEL_VERSION}={version}");
    let mut last_pods: Vec<String> = Vec::new();
    loop {
        let next = tokio::select! {
            n = stream.next() => n,
            _ = cancel.cancelled() => return Watched::Cancelled,
            _ = tokio::time::sleep(limit.saturating_sub(started.elapsed())) => {
                return Watched::Failed(format!(
                    "Deployment/{name} did not finish within its progress deadline of {deadline_secs}s (and the controller did not report it; is kube-controller-manager running?)"
                ));
            }
        };
        let d = match next {
            Some(Ok(d)) => d,
            Some(Err(e)) => {
                tracing::warn!(error = %e, "watching a rollout failed; retrying");
                continue;
            }
            None => return Watched::Failed(format!("the watch of Deployment/{name} ended")),
        };
        let state = rollout_of(&d);
        if last.as_ref() != Some(&state) {
            match &state {
                Rollout::Going(u, r, a, w) => {
                    progress
                        .say(format!(
                            "Deployment/{name}: {u}/{w} updated, {r} ready, {a} available"
                        ))
                        .await;
                    let now = unready_pods(pods, &selector).await;
                    for p in now.iter().filter(|p| !last_pods.contains(p)) {
                        progress.say(format!("  {p}")).await;
                    }
                    last_pods = now;
                }
                Rollout::Done => {
                    let w = d.spec.as_ref().and_then(|s| s.replicas).unwrap_or(1);
                    progress
                        .say(format!("Deployment/{name}: rolled out, {w}/{w} ready"))
                        .await;
                    return Watched::Done;
                }
                Rollout::DeadlinePassed(m) => {
                    let pods_now = unready_pods(pods, &selector).await;
                    let detail = if pods_now.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", pods_now.join("; "))
                    };
                    return Watched::Failed(format!(
                        "Deployment/{name} passed its progress deadline of {deadline_secs}s: {m}{detail}"
                    ));
                }
            }
            last = Some(state);
        }
    }
}

/// Puts a Deployment's pod template back to its previous ReplicaSet's,
/// as `kubectl rollout undo` does. Returns the version restored.
async fn roll_back(cluster: &Cluster, planned: &Planned, progress: &Progress) -> Result<String, String> {
    let ns = planned.object["metadata"]["namespace"]
        .as_str()
        .unwrap_or(&cluster.namespace)
        .to_string();
    let name = planned.name().to_string();
    let deployments: Api<Deployment> = Api::namespaced(cluster.client.clone(), &ns);
    let sets: Api<ReplicaSet> = Api::namespaced(cluster.client.clone(), &ns);
    let current = deployments
        .get(&name)
        .await
        .map_err(|e| format!("cannot read Deployment/{name}: {}", describe(&e)))?;
    let uid = current.metadata.uid.clone().unwrap_or_default();
    let revision_of = |rs: &ReplicaSet| -> i64 {
        rs.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get("deployment.kubernetes.io/revision"))
            .and_then(|r| r.parse().ok())
            .unwrap_or(0)
    };
    let current_rev = current
        .metadata
        .annotations
        .as_ref()
        .and_then(|a| a.get("deployment.kubernetes.io/revision"))
        .and_then(|r| r.parse::<i64>().ok())
        .unwrap_or(0);
    let owned: Vec<ReplicaSet> = sets
        .list(&ListParams::default())
        .await
        .map_err(|e| {
            format!(
                "cannot list the ReplicaSets of Deployment/{name}: {}",
                describe(&e)
            )
        })?
        .items
        .into_iter()
        .filter(|rs| {
            rs.metadata
                .owner_references
                .iter()
                .flatten()
                .any(|o| o.uid == uid)
        })
        .collect();
    let Some(previous) = owned
        .iter()
        .filter(|rs| revision_of(rs) < current_rev)
        .max_by_key(|rs| revision_of(rs))
    else {
        return Err(format!(
            "Deployment/{name} has no earlier revision to go back to (this was its first rollout); fix the manifests and deploy again"
        ));
    };
    let mut template =
        serde_json::to_value(previous.spec.as_ref().and_then(|s| s.template.clone())).unwrap_or_default();
    if let Some(l) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.remove("pod-template-hash");
    }
    let version = template
        .pointer(&format!("/metadata/labels/{}", LABEL_VERSION.replace('/', "~1")))
        .and_then(Value::as_str)
        .unwrap_or("the previous version")
        .to_string();
    let mut object = planned.object.clone();
    object["spec"]["template"] = template;
    if let Some(l) = object
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        l.insert(LABEL_VERSION.into(), Value::String(version.clone()));
    }
    progress
        .say(format!(
            "rolling Deployment/{name} back to {version} (its revision {})",
            revision_of(previous)
        ))
        .await;
    planned
        .api
        .patch(
            &name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&object),
        )
        .await
        .map_err(|e| format!("rolling Deployment/{name} back failed: {}", describe(&e)))?;
    Ok(version)
}

/// Applies every object, in order.
async fn apply_all(planned: &[&Planned], params: &PatchParams) -> Result<(), String> {
    for p in planned {
        if let Err(e) = apply(&p.api, p.name(), params, &p.object).await {
            return Err(format!(
                "applying {} failed: {}",
                p.manifest.describe(),
                describe(&e)
            ));
        }
    }
    Ok(())
}

fn namespace_of<'a>(cluster: &'a Cluster, p: &'a Planned) -> &'a str {
    p.object["metadata"]["namespace"]
        .as_str()
        .unwrap_or(&cluster.namespace)
}

fn is_deployment(p: &Planned) -> bool {
    p.manifest.kind() == "Deployment" && p.manifest.api_version() == "apps/v1"
}

/// The rolling strategy: apply everything, watch each Deployment's own
/// rolling update, and roll a failed one back.
async fn rolling(
    cluster: &Cluster,
    planned: &[Planned],
    params: &PatchParams,
    version: &str,
    progress: &Progress,
    cancel: &CancellationToken,
) -> TargetOutcome {
    if let Err(e) = apply_all(&planned.iter().collect::<Vec<_>>(), params).await {
        return failed(progress, e).await;
    }
    progress.say(format!("applied {} objects", planned.len())).await;
    for p in planned.iter().filter(|p| is_deployment(p)) {
        let ns = namespace_of(cluster, p).to_string();
        let api: Api<Deployment> = Api::namespaced(cluster.client.clone(), &ns);
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &ns);
        let (why, status) = match watch_rollout(&api, &pods, p.name(), version, progress, cancel).await {
            Watched::Done => continue,
            Watched::Failed(why) => (why, TargetStatus::RolledBack),
            Watched::Cancelled => ("the deployment was stopped".to_string(), TargetStatus::Cancelled),
        };
        progress.say(why.clone()).await;
        return match roll_back(cluster, p, progress).await {
            Ok(restored) => {
                let settle = CancellationToken::new();
                let back = match watch_rollout(&api, &pods, p.name(), &restored, progress, &settle).await {
                    Watched::Done => format!("; {restored} is back and ready"),
                    Watched::Failed(w) => format!("; {restored} was put back but is not ready: {w}"),
                    Watched::Cancelled => String::new(),
                };
                TargetOutcome {
                    status,
                    reason: Some(format!("{why}{back}")),
                }
            }
            Err(e) => TargetOutcome {
                status: if status == TargetStatus::Cancelled {
                    TargetStatus::Cancelled
                } else {
                    TargetStatus::Failed
                },
                reason: Some(format!("{why}; {e}")),
            },
        };
    }
    TargetOutcome {
        status: TargetStatus::Succeeded,
        reason: None,
    }
}

#[async_trait]
impl Deployer for KubeDeployer {
    async fn deploy(
        &self,
        request: DeployRequest,
        progress: Progress,
        cancel: CancellationToken,
    ) -> Result<TargetOutcome, DeployError> {
        let target = request.target.clone();
        let cluster = self.connect(&target).await?;
        let calls_before = cluster.calls();
        let began = Instant::now();
        let planned = match plan(&cluster, &request.objects).await {
            Ok(p) => p,
            Err(e) => return Ok(failed(&progress, e).await),
        };
        progress
            .say(format!(
                "target {target}: context {}, namespace {}",
                cluster.context, cluster.namespace
            ))
            .await;
        let diff = match diff(&planned, request.force).await {
            Ok(d) => d,
            Err(e) => return Ok(failed(&progress, e).await),
        };
        report_diff(&progress, &diff).await;
        if request.dry_run {
            return Ok(TargetOutcome {
                status: TargetStatus::DryRun,
                reason: None,
            });
        }
        if cancel.is_cancelled() {
            return Ok(TargetOutcome {
                status: TargetStatus::Cancelled,
                reason: Some("stopped before anything was applied".into()),
            });
        }
        let mut params = PatchParams::apply(FIELD_MANAGER);
        if request.force {
            params = params.force();
        }
        let version = request
            .objects
            .first()
            .and_then(|m| {
                m.object["metadata"]["labels"][LABEL_VERSION]
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default();
        let outcome = match &request.strategy {
            Strategy::Rolling => rolling(&cluster, &planned, &params, &version, &progress, &cancel).await,
            Strategy::Canary(c) => {
                canary::run(canary::Canary {
                    cluster: &cluster,
                    planned: &planned,
                    params: &params,
                    request: &request,
                    settings: c,
                    version: &version,
                    progress: &progress,
                    cancel: &cancel,
                })
                .await
            }
            Strategy::BlueGreen(bg) => {
                // The canary machinery, with one step: a full preview.
                let settings = switchyard_engine::pipeline::Canary {
                    steps: vec![100],
                    pause: None,
                    traffic: switchyard_engine::pipeline::Traffic::Replicas,
                    service: bg.service.clone(),
                    route: None,
                    header: None,
                };
                let c = canary::Canary {
                    cluster: &cluster,
                    planned: &planned,
                    params: &params,
                    request: &request,
                    settings: &settings,
                    version: &version,
                    progress: &progress,
                    cancel: &cancel,
                };
                canary::run_blue_green(c, bg).await
            }
        };
        progress
            .say(format!(
                "{} API calls in {:.1}s",
                cluster.calls().saturating_sub(calls_before),
                began.elapsed().as_secs_f64()
            ))
            .await;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_each_field_and_hide_secret_values() {
        let old =
            json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"image": "web:1"}]}}}});
        let new =
            json!({"spec": {"replicas": 3, "template": {"spec": {"containers": [{"image": "web:2"}]}}}});
        assert_eq!(
            changes(&old, &new, false),
            [
                "spec.replicas: 2 -> 3",
                "spec.template.spec.containers[0].image: \"web:1\" -> \"web:2\""
            ]
        );
        let old = json!({"data": {"password": "aHVudGVyMg=="}});
        let new = json!({"data": {"password": "c2VjcmV0"}});
        let c = changes(&old, &new, true);
        assert_eq!(c, ["data.password: (secret value changed)"]);
        assert!(!c.join(" ").contains("c2VjcmV0"));
    }

    #[test]
    fn server_fields_and_per_deployment_labels_are_not_changes() {
        let live = json!({"metadata": {"name": "a", "resourceVersion": "5", "labels": {LABEL_DEPLOYMENT: "1"}, "annotations": {ANNOTATION_REVISION: "1"}}, "status": {"x": 1}});
        let dry = json!({"metadata": {"name": "a", "resourceVersion": "6", "labels": {LABEL_DEPLOYMENT: "2"}, "annotations": {ANNOTATION_REVISION: "2"}}, "status": {"x": 2}});
        assert!(changes(&comparable(live), &comparable(dry), false).is_empty());
    }
}
