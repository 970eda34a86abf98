//! The Kubernetes runner: one pod per job attempt, steps through `exec`.
//!
//! `prepare` creates the job's Secret (when it has secrets) and pod, waits
//! until the pod runs (explaining why while it is Pending), and fills the
//! workspace: a tar of the working tree on an exec's stdin, or a fetch of the
//! git remote at the run's commit. `start` launches a step detached inside
//! the pod (see [`super::scripts`]); a follower task streams the step's
//! output files back through another exec and ends with the step's exit
//! code, reconnecting from the byte offsets it has reached when the
//! connection drops. `collect` lists the workspace, matches the globs here,
//! and reads the matches back as one tar. `cancel` signals the steps'
//! process groups in the pod; `cleanup` deletes the pod and the Secret by
//! label. A restarted engine `reattach`es to a pod by name and `resume`s
//! each step from the log lines it already stored.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backon::BackoffBuilder;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use switchyard_engine::runner::{
    CollectedFile, JobContext, JobKey, LogPosition, Output, Retry, Runner, RunnerError, StepKey, StepOutcome,
    StepSpec,
};
use tokio::sync::{OnceCell, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::api::{self, Cluster};
use super::exec::{self};
use super::pod::{self, PodParams, PodState};
use super::{Settings, scripts};

mod collect;
mod follow;
mod prepare;

/// Uploads remembered for [`KubernetesRunner::uploads`]; older ones are
/// forgotten, so a long-lived app does not grow with every job.
pub const KEPT_UPLOADS: usize = 64;
/// Pieces of output buffered between a follower and the engine.
const OUTPUT_QUEUE: usize = 64;
/// Seconds between SIGTERM and SIGKILL when steps are stopped.
const KILL_GRACE_SECS: u32 = 2;
/// How long a stopped step's follower may take to report before it is given up.
const STOP_WAIT: Duration = Duration::from_secs(15);

/// One job attempt's pod, as this runner knows it.
struct PodJob {
    ctx: JobContext,
    pod: String,
    api: Api<Pod>,
    client: kube::Client,
    namespace: String,
    /// Stops a pending wait, an upload and the followers.
    cancel: CancellationToken,
    /// Whether the pod got as far as running.
    running: Mutex<bool>,
    /// The workspace's files, listed once for all of `collect`'s patterns.
    listing: Mutex<Option<Arc<Vec<String>>>>,
}

struct StepRun {
    output: Option<mpsc::Receiver<Output>>,
    done: Option<oneshot::Receiver<Result<StepOutcome, RunnerError>>>,
}

/// One workspace upload: how big and how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Upload {
    /// Bytes of tar sent.
    pub bytes: u64,
    /// From opening the exec to the pod's confirmation that all is unpacked.
    pub took: Duration,
}

/// Runs jobs as pods in the cluster of one kubeconfig context.
pub struct KubernetesRunner {
    target: String,
    /// The kubeconfig context of the target.
    context: String,
    /// The target's own kubeconfig file, when it names one.
    kubeconfig: Option<std::path::PathBuf>,
    /// The target's namespace, when it names one (else the context's).
    namespace: Option<String>,
    /// The image for jobs that name none, from the configuration.
    image: Option<String>,
    settings: Arc<Settings>,
    cluster: OnceCell<Cluster>,
    jobs: Mutex<HashMap<JobKey, Arc<PodJob>>>,
    steps: Mutex<HashMap<StepKey, StepRun>>,
    /// The latest uploads, at most [`KEPT_UPLOADS`].
    uploads: Mutex<std::collections::VecDeque<Upload>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Adds an upload to the latest ones, forgetting the oldest beyond
/// [`KEPT_UPLOADS`].
fn remember(uploads: &Mutex<std::collections::VecDeque<Upload>>, upload: Upload) {
    let mut uploads = lock(uploads);
    while uploads.len() >= KEPT_UPLOADS {
        uploads.pop_front();
    }
    uploads.push_back(upload);
}

fn step_id(key: StepKey) -> String {
    format!("{}-{}", key.attempt, key.idx)
}

impl KubernetesRunner {
    /// A runner for the target `target`, in the kubeconfig context
    /// `context`; connects on first use.
    pub fn new(
        target: String,
        context: String,
        image: Option<String>,
        settings: Arc<Settings>,
    ) -> KubernetesRunner {
        KubernetesRunner {
            target,
            context,
            kubeconfig: None,
            namespace: None,
            image,
            settings,
            cluster: OnceCell::new(),
            jobs: Mutex::new(HashMap::new()),
            steps: Mutex::new(HashMap::new()),
            uploads: Mutex::new(std::collections::VecDeque::new()),
        }
    }

    /// Uses the target's own kubeconfig file and namespace, when it names
    /// them (`[targets.<name>]` in config.toml).
    pub fn in_target(
        mut self,
        kubeconfig: Option<std::path::PathBuf>,
        namespace: Option<String>,
    ) -> KubernetesRunner {
        self.kubeconfig = kubeconfig;
        self.namespace = namespace;
        self
    }

    /// The latest workspace uploads (at most [`KEPT_UPLOADS`]), oldest
    /// first (for benchmarks and diagnostics).
    pub fn uploads(&self) -> Vec<Upload> {
        lock(&self.uploads).iter().copied().collect()
    }

    /// The cluster, connected on first use.
    pub async fn cluster(&self) -> Result<&Cluster, RunnerError> {
        self.cluster
            .get_or_try_init(|| async {
                let mut cluster = Cluster::connect(
                    self.kubeconfig.as_deref().or(self.settings.kubeconfig.as_deref()),
                    &self.context,
                    self.settings.calls.clone(),
                )
                .await?;
                if let Some(ns) = &self.namespace {
                    cluster.namespace = ns.clone();
                }
                Ok::<_, api::ApiError>(cluster)
            })
            .await
            .map_err(|e| RunnerError::Unavailable {
                runner: format!("kubernetes:{}", self.target),
                reason: format!("{e}; check the kubeconfig (KUBECONFIG) and its contexts"),
            })
    }

    fn job(&self, key: JobKey) -> Option<Arc<PodJob>> {
        lock(&self.jobs).get(&key).cloned()
    }

    fn unreachable(&self, what: &str, e: &kube::Error) -> String {
        let hint = if api::is_transient(e) {
            format!(
                " (the cluster `{}` stayed unreachable for {}s)",
                self.target,
                self.settings.retry.give_up_after.as_secs()
            )
        } else {
            String::new()
        };
        format!("{what}: {}{hint}", api::describe(e))
    }

    /// The error of an API call that failed while preparing a job: worth
    /// another attempt only when the call failed in a way that may pass.
    fn api_failure(&self, what: &str, e: &kube::Error) -> RunnerError {
        let reason = self.unreachable(what, e);
        if api::is_transient(e) {
            RunnerError::prepare_transient(reason)
        } else {
            RunnerError::prepare_permanent(reason)
        }
    }

    /// Creates `obj`, replacing a leftover of the same name (an attempt an
    /// earlier Switchyard started and never cleaned up).
    async fn create_fresh<K>(&self, api: &Api<K>, name: &str, obj: &K, what: &str) -> Result<K, RunnerError>
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
    {
        let retry = self.settings.retry;
        let create = || async { api.create(&PostParams::default(), obj).await };
        match retry.run(what, create).await {
            Ok(o) => Ok(o),
            Err(e) if api::is_conflict(&e) => {
                tracing::info!(name, "replacing a leftover {what}");
                let dp = DeleteParams::default().grace_period(0);
                let _ = retry.run(what, || api.delete(name, &dp)).await;
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    match api.get_opt(name).await {
                        Ok(None) => break,
                        _ if Instant::now() > deadline => break,
                        _ => tokio::time::sleep(Duration::from_millis(200)).await,
                    }
                }
                retry
                    .run(what, create)
                    .await
                    .map_err(|e| self.api_failure(&format!("cannot create the {what} {name}"), &e))
            }
            Err(e) => Err(self.api_failure(&format!("cannot create the {what} {name}"), &e)),
        }
    }

    /// Runs a short command in the job's pod, retrying transient failures.
    async fn run_in_pod(
        &self,
        job: &PodJob,
        what: &str,
        cmd: Vec<String>,
        input: Option<Vec<u8>>,
    ) -> Result<exec::Output, String> {
        self.settings
            .retry
            .run(what, || {
                exec::output(&job.api, &job.pod, cmd.clone(), input.clone())
            })
            .await
            .map_err(|e| self.unreachable(&format!("cannot {what}"), &e))
    }
}

/// Merges a job's pod options over its target's defaults, field by field.
fn merged(
    defaults: &switchyard_engine::pipeline::PodOptions,
    job: &switchyard_engine::pipeline::PodOptions,
) -> switchyard_engine::pipeline::PodOptions {
    let mut o = defaults.clone();
    for (k, v) in &job.requests {
        o.requests.insert(k.clone(), v.clone());
    }
    for (k, v) in &job.limits {
        o.limits.insert(k.clone(), v.clone());
    }
    for (k, v) in &job.node_selector {
        o.node_selector.insert(k.clone(), v.clone());
    }
    if !job.tolerations.is_empty() {
        o.tolerations = job.tolerations.clone();
    }
    if job.service_account.is_some() {
        o.service_account = job.service_account.clone();
    }
    if !job.image_pull_secrets.is_empty() {
        o.image_pull_secrets = job.image_pull_secrets.clone();
    }
    o
}

#[async_trait]
impl Runner for KubernetesRunner {
    async fn prepare(&self, ctx: &JobContext) -> Result<(), RunnerError> {
        let cluster = self.cluster().await?.clone();
        let defaults = self
            .settings
            .defaults
            .get(&self.target)
            .cloned()
            .unwrap_or_default();
        let Some(image) = ctx
            .image
            .clone()
            .or(defaults.image.clone())
            .or(self.image.clone())
        else {
            return Err(RunnerError::prepare_permanent(format!(
                "job `{}` has no `image:`; a Kubernetes job needs a container image (with `sh` and `tar`), e.g. `image: debian:13`",
                ctx.job
            )));
        };
        let instance = &self.settings.instance;
        let name = pod::pod_name(instance, ctx.key, ctx.attempt);
        let ns = cluster.namespace.clone();
        let api: Api<Pod> = Api::namespaced(cluster.client.clone(), &ns);
        let job = Arc::new(PodJob {
            ctx: ctx.clone(),
            pod: name.clone(),
            api: api.clone(),
            client: cluster.client.clone(),
            namespace: ns.clone(),
            cancel: CancellationToken::new(),
            running: Mutex::new(false),
            listing: Mutex::new(None),
        });
        lock(&self.jobs).insert(ctx.key, job.clone());

        let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), &ns);
        let secret_name = (!ctx.secrets.is_empty()).then(|| pod::secret_name(&name));
        if let Some(sn) = &secret_name {
            let s = pod::secret(sn, &ns, instance, ctx);
            self.create_fresh(&secrets, sn, &s, "Secret").await?;
        }
        let options = merged(&defaults.pod, &ctx.pod);
        let lifetime = self.settings.max_pod_lifetime.as_secs().max(60) as i64;
        let spec = pod::pod(&PodParams {
            name: &name,
            namespace: &ns,
            instance,
            job: ctx,
            options: &options,
            image: &image,
            secret: secret_name.as_deref(),
            active_deadline_seconds: lifetime,
        });
        let created = self.create_fresh(&api, &name, &spec, "pod").await?;
        if let (Some(sn), Some(uid)) = (&secret_name, created.metadata.uid.clone()) {
            // The Secret goes with the pod, even if Switchyard never comes back.
            let patch = serde_json::json!({"metadata": {"ownerReferences": [{
                "apiVersion": "v1", "kind": "Pod", "name": name, "uid": uid,
            }]}});
            let pp = PatchParams::default();
            let merge = Patch::Merge(&patch);
            if let Err(e) = self
                .settings
                .retry
                .run("Secret owner", || secrets.patch(sn, &pp, &merge))
                .await
            {
                tracing::warn!(error = %e, "cannot make the pod own its Secret; cleanup deletes it");
            }
        }
        self.wait_running(&job).await?;
        *lock(&job.running) = true;
        self.fill_workspace(&job).await?;
        Ok(())
    }

    async fn start(&self, key: StepKey, spec: &StepSpec) -> Result<(), RunnerError> {
        let job = self.job(key.job).ok_or(RunnerError::UnknownStep(key))?;
        *lock(&job.listing) = None;
        let workdir = spec
            .working_dir
            .clone()
            .or_else(|| job.ctx.working_dir.clone())
            .unwrap_or_else(|| ".".into());
        let script = scripts::step_script(&spec.env, &spec.script);
        let cmd = vec![
            "sh".to_string(),
            ".switchyard/launch".to_string(),
            step_id(key),
            workdir,
        ];
        let out = self
            .run_in_pod(&job, "start the step", cmd, Some(script.into_bytes()))
            .await
            .map_err(|reason| RunnerError::StartFailed {
                reason,
                source: None,
                retry: Retry::Transient,
            })?;
        if !out.success() {
            return Err(RunnerError::StartFailed {
                reason: format!("the pod could not start the step: {}", out.failure()),
                source: None,
                retry: Retry::Transient,
            });
        }
        self.follow(job, key, 0, 0);
        Ok(())
    }

    async fn logs(&self, key: StepKey) -> Result<mpsc::Receiver<Output>, RunnerError> {
        lock(&self.steps)
            .get_mut(&key)
            .and_then(|s| s.output.take())
            .ok_or(RunnerError::UnknownStep(key))
    }

    async fn wait(&self, key: StepKey) -> Result<StepOutcome, RunnerError> {
        let done = lock(&self.steps)
            .get_mut(&key)
            .and_then(|s| s.done.take())
            .ok_or(RunnerError::UnknownStep(key))?;
        let result = done
            .await
            .unwrap_or_else(|_| Err(RunnerError::Other("the step's follower stopped".into())));
        lock(&self.steps).remove(&key);
        result
    }

    async fn cancel(&self, key: JobKey) -> Result<(), RunnerError> {
        let Some(job) = self.job(key) else {
            return Ok(());
        };
        job.cancel.cancel();
        if !*lock(&job.running) {
            return Ok(());
        }
        let cmd = vec![
            "sh".to_string(),
            ".switchyard/stop".to_string(),
            KILL_GRACE_SECS.to_string(),
        ];
        let stop = exec::output(&job.api, &job.pod, cmd, None);
        match tokio::time::timeout(Duration::from_secs(10), stop).await {
            Ok(Ok(out)) if out.success() => Ok(()),
            other => {
                tracing::warn!(pod = %job.pod, ?other, "cannot stop the steps in the pod; deleting it");
                let dp = DeleteParams::default().grace_period(0);
                let _ = job.api.delete(&job.pod, &dp).await;
                Ok(())
            }
        }
    }
    async fn collect(
        &self,
        key: JobKey,
        patterns: &[String],
        dest: &Path,
    ) -> Result<Vec<CollectedFile>, RunnerError> {
        self.collect_files(key, patterns, dest).await
    }

    async fn outputs(&self, key: JobKey) -> Result<Vec<u8>, RunnerError> {
        let job = self
            .job(key)
            .ok_or_else(|| RunnerError::Other("the job is not prepared".into()))?;
        // One byte more than allowed, so that too much is seen as too much.
        let script = format!(
            "if [ -f .switchyard/output ]; then head -c {} .switchyard/output; fi",
            switchyard_engine::outputs::MAX_BYTES + 1
        );
        let out = self
            .run_in_pod(&job, "read the job's outputs", exec::sh(&script, &[]), None)
            .await
            .map_err(RunnerError::Other)?;
        if !out.success() {
            return Err(RunnerError::Other(format!(
                "cannot read the job's outputs in the pod: {}",
                out.failure()
            )));
        }
        Ok(out.stdout)
    }

    async fn cleanup(&self, key: JobKey) -> Result<(), RunnerError> {
        let known = lock(&self.jobs).remove(&key);
        if let Some(job) = &known {
            job.cancel.cancel();
        }
        lock(&self.steps).retain(|k, _| k.job != key);
        if known.is_none() && self.cluster.get().is_none() {
            // Never connected for it (the context could not be used): nothing was created.
            return Ok(());
        }
        let cluster = self.cluster().await?.clone();
        let selector = pod::job_selector(&self.settings.instance, key);
        let lp = ListParams::default().labels(&selector);
        let dp = DeleteParams::default().grace_period(0);
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
        let secrets: Api<Secret> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
        let retry = self.settings.retry;
        retry
            .run("delete pods", || pods.delete_collection(&dp, &lp))
            .await
            .map_err(|e| RunnerError::Other(self.unreachable("cannot delete the job's pod", &e)))?;
        retry
            .run("delete secrets", || secrets.delete_collection(&dp, &lp))
            .await
            .map_err(|e| RunnerError::Other(self.unreachable("cannot delete the job's Secret", &e)))?;
        Ok(())
    }

    async fn reattach(&self, ctx: &JobContext) -> Result<bool, RunnerError> {
        let cluster = self.cluster().await?.clone();
        let name = pod::pod_name(&self.settings.instance, ctx.key, ctx.attempt);
        let api: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
        let found = self
            .settings
            .retry
            .run("get pod", || api.get_opt(&name))
            .await
            .map_err(|e| RunnerError::Other(self.unreachable("cannot look for the job's pod", &e)))?;
        let Some(p) = found else {
            return Ok(false);
        };
        if pod::state(&p) != PodState::Running || p.metadata.deletion_timestamp.is_some() {
            return Ok(false);
        }
        let job = Arc::new(PodJob {
            ctx: ctx.clone(),
            pod: name,
            api,
            client: cluster.client.clone(),
            namespace: cluster.namespace.clone(),
            cancel: CancellationToken::new(),
            running: Mutex::new(true),
            listing: Mutex::new(None),
        });
        let out = self
            .run_in_pod(
                &job,
                "check the workspace",
                exec::sh("test -f .switchyard/ready", &[]),
                None,
            )
            .await
            .map_err(RunnerError::Other)?;
        if !out.success() {
            return Ok(false);
        }
        lock(&self.jobs).insert(ctx.key, job);
        Ok(true)
    }

    async fn resume(&self, key: StepKey, from: LogPosition) -> Result<bool, RunnerError> {
        let job = self.job(key.job).ok_or(RunnerError::UnknownStep(key))?;
        let cmd = vec![
            "sh".to_string(),
            ".switchyard/offsets".to_string(),
            step_id(key),
            from.stdout_lines.to_string(),
            from.stderr_lines.to_string(),
        ];
        let out = self
            .run_in_pod(&job, "find the step", cmd, None)
            .await
            .map_err(RunnerError::Other)?;
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        match fields.as_slice() {
            ["missing"] => Ok(false),
            ["started", o, e] => {
                let (Ok(o), Ok(e)) = (o.parse::<u64>(), e.parse::<u64>()) else {
                    return Err(RunnerError::Other(format!(
                        "unexpected answer from the pod: {text}"
                    )));
                };
                self.follow(job, key, o, e);
                Ok(true)
            }
            _ => Err(RunnerError::Other(format!(
                "cannot find the step in the pod: {}",
                out.failure()
            ))),
        }
    }

    async fn live_jobs(&self) -> Result<Vec<JobKey>, RunnerError> {
        let cluster = self.cluster().await?.clone();
        let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
        let lp = ListParams::default().labels(&pod::instance_selector(&self.settings.instance));
        let list = self
            .settings
            .retry
            .run("list pods", || pods.list(&lp))
            .await
            .map_err(|e| RunnerError::Other(self.unreachable("cannot list Switchyard's pods", &e)))?;
        let mut keys: Vec<JobKey> = list
            .items
            .iter()
            .filter_map(|p| p.metadata.labels.as_ref().and_then(pod::job_of))
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: every upload was remembered for the life of the app.
    #[test]
    fn only_the_latest_uploads_are_remembered() {
        let uploads = Mutex::new(std::collections::VecDeque::new());
        for i in 0..1000u64 {
            remember(
                &uploads,
                Upload {
                    bytes: i,
                    took: Duration::ZERO,
                },
            );
        }
        let kept = lock(&uploads);
        assert_eq!(kept.len(), KEPT_UPLOADS);
        assert_eq!(kept.back().map(|u| u.bytes), Some(999));
    }
}
