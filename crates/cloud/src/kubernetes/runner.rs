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

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use backon::BackoffBuilder;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Event, Pod, Secret};
use kube::Api;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher;
use switchyard_engine::runner::{
    CollectedFile, JobContext, JobKey, LogPosition, Output, OutputKind, Runner, RunnerError, StepKey,
    StepOutcome, StepSpec,
};
use switchyard_engine::workspace::WorkspaceSource;
use tokio::io::AsyncWriteExt;
use tokio::sync::{OnceCell, mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::api::{self, Cluster};
use super::exec::{self, Exit};
use super::pod::{self, PodParams, PodState};
use super::{Settings, scripts};

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
    /// The image for jobs that name none, from the configuration.
    image: Option<String>,
    settings: Arc<Settings>,
    cluster: OnceCell<Cluster>,
    jobs: Mutex<HashMap<JobKey, Arc<PodJob>>>,
    steps: Mutex<HashMap<StepKey, StepRun>>,
    uploads: Mutex<Vec<Upload>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
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
            image,
            settings,
            cluster: OnceCell::new(),
            jobs: Mutex::new(HashMap::new()),
            steps: Mutex::new(HashMap::new()),
            uploads: Mutex::new(Vec::new()),
        }
    }

    /// The workspace uploads done so far (for benchmarks and diagnostics).
    pub fn uploads(&self) -> Vec<Upload> {
        lock(&self.uploads).clone()
    }

    /// The cluster, connected on first use.
    pub async fn cluster(&self) -> Result<&Cluster, RunnerError> {
        self.cluster
            .get_or_try_init(|| {
                Cluster::connect(
                    self.settings.kubeconfig.as_deref(),
                    &self.context,
                    self.settings.calls.clone(),
                )
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
                retry.run(what, create).await.map_err(|e| {
                    RunnerError::PrepareFailed(
                        self.unreachable(&format!("cannot create the {what} {name}"), &e),
                    )
                })
            }
            Err(e) => Err(RunnerError::PrepareFailed(
                self.unreachable(&format!("cannot create the {what} {name}"), &e),
            )),
        }
    }

    /// Waits until the pod runs; fails with the reason it does not.
    async fn wait_running(&self, job: &PodJob) -> Result<(), RunnerError> {
        let stream = watcher(
            job.api.clone(),
            watcher::Config::default().fields(&format!("metadata.name={}", job.pod)),
        )
        .backoff(watcher::ExponentialBackoff::from(
            backon::ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(5))
                .with_jitter()
                .without_max_times(),
        ))
        .applied_objects();
        let mut stream = std::pin::pin!(stream);
        let deadline = tokio::time::Instant::now() + self.settings.pending_timeout;
        let mut reason: Option<String> = None;
        let mut failing_since: Option<Instant> = None;
        loop {
            let next = tokio::select! {
                n = stream.next() => n,
                _ = job.cancel.cancelled() => {
                    return Err(RunnerError::PrepareFailed(self.pending_message(job, "stopped while the pod was pending", reason).await));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let what = format!("the pod stayed Pending for {}s", self.settings.pending_timeout.as_secs());
                    return Err(RunnerError::PrepareFailed(self.pending_message(job, &what, reason).await));
                }
            };
            match next {
                Some(Ok(p)) => {
                    failing_since = None;
                    match pod::state(&p) {
                        PodState::Running => {
                            let node = p
                                .spec
                                .as_ref()
                                .and_then(|s| s.node_name.clone())
                                .unwrap_or_default();
                            note(&job.ctx, format!("pod {} is running on node {node}", job.pod));
                            return Ok(());
                        }
                        PodState::Pending(r) => {
                            if let Some(text) = r.as_ref().filter(|_| r != reason) {
                                tracing::info!(pod = %job.pod, reason = %text, "pod pending");
                                note(&job.ctx, format!("pod {} is Pending: {text}", job.pod));
                            }
                            if r.is_some() {
                                reason = r;
                            }
                        }
                        PodState::Failed(why) => return Err(RunnerError::PrepareFailed(why)),
                    }
                }
                Some(Err(e)) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    tracing::warn!(error = %e, "watching the pod failed; retrying");
                    if since.elapsed() > self.settings.retry.give_up_after {
                        return Err(RunnerError::PrepareFailed(format!(
                            "lost contact with the cluster `{}` while waiting for the pod: {e}",
                            self.target
                        )));
                    }
                }
                None => {
                    return Err(RunnerError::PrepareFailed("the pod watch ended".into()));
                }
            }
        }
    }

    /// "what: reason", the reason from the pod's conditions, else its latest warning event.
    async fn pending_message(&self, job: &PodJob, what: &str, reason: Option<String>) -> String {
        let reason = match reason {
            Some(r) => Some(r),
            None => {
                let events: Api<Event> = Api::namespaced(job.client.clone(), &job.namespace);
                let lp = ListParams::default().fields(&format!("involvedObject.name={}", job.pod));
                match events.list(&lp).await {
                    Ok(list) => pod::latest_warning(&list.items),
                    Err(_) => None,
                }
            }
        };
        match reason {
            Some(r) => format!("{what}: {r}"),
            None => format!("{what} (no reason reported yet)"),
        }
    }

    /// Fills the workspace and installs the runner's scripts.
    async fn fill_workspace(&self, job: &PodJob) -> Result<(), RunnerError> {
        let ctx = &job.ctx;
        let script = match ctx.source {
            WorkspaceSource::Tree => "tar -xf - -C . && touch .switchyard/ready".to_string(),
            WorkspaceSource::Commit => {
                let (Some(remote), Some(commit)) = (&ctx.remote, &ctx.commit) else {
                    return Err(RunnerError::PrepareFailed(
                        "the workspace source is `commit`, but the project has no git remote or no commit; run with the working tree (`--source tree`) or push the project to a remote".into(),
                    ));
                };
                format!(
                    "tar -xf - -C . && git init -q . && echo .switchyard >> .git/info/exclude && git fetch -q --depth 1 {} {} && git checkout -q --detach FETCH_HEAD && touch .switchyard/ready",
                    scripts::quote(remote),
                    scripts::quote(commit)
                )
            }
        };
        let root = match ctx.source {
            WorkspaceSource::Tree => Some(ctx.workspace.clone()),
            WorkspaceSource::Commit => None,
        };
        let started = Instant::now();
        let (tx, mut rx) = mpsc::channel::<Vec<u8>>(8);
        let producer = tokio::task::spawn_blocking(move || super::tarball::stream(root.as_deref(), tx));
        let mut proc = exec::start(&job.api, &job.pod, exec::sh(&script, &[]), true)
            .await
            .map_err(|e| RunnerError::PrepareFailed(self.unreachable("cannot upload the workspace", &e)))?;
        let mut stdin = proc.stdin();
        let feed = async {
            let mut failed = None;
            if let Some(w) = stdin.as_mut() {
                while let Some(piece) = rx.recv().await {
                    if let Err(e) = w.write_all(&piece).await {
                        failed = Some(e);
                        break;
                    }
                }
                let _ = w.shutdown().await;
            }
            drop(stdin);
            failed
        };
        let mut collected = exec::Collect::default();
        let (feed_err, exit) = tokio::select! {
            r = async { tokio::join!(feed, exec::drain(&mut proc, &mut collected)) } => r,
            _ = job.cancel.cancelled() => {
                return Err(RunnerError::PrepareFailed("stopped while uploading the workspace".into()));
            }
        };
        proc.abort();
        let err = collected.stderr;
        let bytes = producer
            .await
            .map_err(|e| RunnerError::PrepareFailed(format!("the workspace tar failed: {e}")))?
            .map_err(|e| {
                RunnerError::PrepareFailed(format!(
                    "cannot read the workspace {}: {e}",
                    ctx.workspace.display()
                ))
            })?;
        if exit != Exit::Code(0) {
            let out = exec::Output {
                stdout: Vec::new(),
                stderr: err,
                exit,
            };
            return Err(RunnerError::PrepareFailed(format!(
                "filling the workspace in the pod failed: {}{}",
                out.failure(),
                feed_err.map(|e| format!(" (upload: {e})")).unwrap_or_default()
            )));
        }
        let took = started.elapsed();
        lock(&self.uploads).push(Upload { bytes, took });
        note(
            ctx,
            match ctx.source {
                WorkspaceSource::Tree => format!(
                    "uploaded the working tree ({}) in {}",
                    human_bytes(bytes),
                    human_duration(took)
                ),
                WorkspaceSource::Commit => format!(
                    "fetched commit {} from the project's remote in {}",
                    ctx.commit.as_deref().unwrap_or("?"),
                    human_duration(took)
                ),
            },
        );
        let secs = took.as_secs_f64();
        tracing::info!(
            pod = %job.pod,
            bytes,
            secs,
            mib_per_s = bytes as f64 / 1048576.0 / secs.max(1e-9),
            "workspace uploaded"
        );
        Ok(())
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

    /// Starts the follower of a step from the given byte offsets.
    fn follow(&self, job: Arc<PodJob>, key: StepKey, out: u64, err: u64) {
        let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
        let (done_tx, done_rx) = oneshot::channel();
        let retry = self.settings.retry;
        let target = self.target.clone();
        tokio::spawn(async move {
            let result = follow_loop(&job, key, out, err, tx, retry, &target).await;
            let _ = done_tx.send(result);
        });
        lock(&self.steps).insert(
            key,
            StepRun {
                output: Some(rx),
                done: Some(done_rx),
            },
        );
    }
}

/// Streams one step's output until it ends; reconnects from where it got to.
async fn follow_loop(
    job: &PodJob,
    key: StepKey,
    mut out_off: u64,
    mut err_off: u64,
    tx: mpsc::Sender<Output>,
    retry: api::RetryPolicy,
    target: &str,
) -> Result<StepOutcome, RunnerError> {
    let id = step_id(key);
    let mut backoff = retry.backoff().without_max_times().with_total_delay(None).build();
    let mut last_progress = Instant::now();
    let mut receiver_gone = false;
    let mut stop_deadline: Option<tokio::time::Instant> = None;
    loop {
        if job.cancel.is_cancelled() && stop_deadline.is_none() {
            stop_deadline = Some(tokio::time::Instant::now() + STOP_WAIT);
        }
        let cmd = vec![
            "sh".to_string(),
            ".switchyard/follow".to_string(),
            id.clone(),
            out_off.to_string(),
            err_off.to_string(),
        ];
        let attempt = async {
            let mut proc = exec::start(&job.api, &job.pod, cmd, false).await?;
            let mut sink = Forward {
                tx: &tx,
                out: &mut out_off,
                err: &mut err_off,
                progress: &mut last_progress,
                receiver_gone: &mut receiver_gone,
            };
            let exit = exec::drain(&mut proc, &mut sink).await;
            proc.abort();
            Ok::<Exit, kube::Error>(exit)
        };
        let stopped = async {
            match stop_deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => {
                    job.cancel.cancelled().await;
                    tokio::time::sleep(STOP_WAIT).await;
                }
            }
        };
        let result = tokio::select! {
            r = attempt => r,
            _ = stopped => {
                // Stopped, and the pod did not report in time: give up on it.
                return Ok(StepOutcome { exit_code: None, signal: Some(9) });
            }
        };
        let problem = match result {
            Ok(Exit::Code(code)) => {
                return Ok(StepOutcome {
                    exit_code: Some(code),
                    signal: None,
                });
            }
            Ok(Exit::Failed(msg)) => msg,
            Err(e) if api::is_not_found(&e) => {
                if job.cancel.is_cancelled() {
                    return Ok(StepOutcome {
                        exit_code: None,
                        signal: Some(9),
                    });
                }
                return Err(RunnerError::Other(format!(
                    "the job's pod {} is gone: {}",
                    job.pod,
                    api::describe(&e)
                )));
            }
            Err(e) if !api::is_transient(&e) && !matches!(e, kube::Error::UpgradeConnection(_)) => {
                return Err(RunnerError::Other(format!(
                    "cannot follow the step's output: {}",
                    api::describe(&e)
                )));
            }
            Err(e) => api::describe(&e),
        };
        if job.cancel.is_cancelled() && stop_deadline.is_some_and(|d| tokio::time::Instant::now() > d) {
            return Ok(StepOutcome {
                exit_code: None,
                signal: Some(9),
            });
        }
        if last_progress.elapsed() > retry.give_up_after {
            return Err(RunnerError::Other(format!(
                "lost contact with the step in pod {} on cluster `{target}` for {}s: {problem}",
                job.pod,
                retry.give_up_after.as_secs()
            )));
        }
        let delay = backoff.next().unwrap_or(retry.max_delay);
        tracing::warn!(pod = %job.pod, step = %id, problem, ?delay, "following the step failed; reconnecting");
        tokio::time::sleep(delay).await;
    }
}

/// Hands a follower's output to the engine, counting where it got to.
struct Forward<'a> {
    tx: &'a mpsc::Sender<Output>,
    out: &'a mut u64,
    err: &'a mut u64,
    progress: &'a mut Instant,
    receiver_gone: &'a mut bool,
}

impl exec::Sink for Forward<'_> {
    async fn piece(&mut self, stderr: bool, data: &[u8]) {
        *self.progress = Instant::now();
        let kind = if stderr {
            *self.err += data.len() as u64;
            OutputKind::Stderr
        } else {
            *self.out += data.len() as u64;
            OutputKind::Stdout
        };
        if !*self.receiver_gone
            && self
                .tx
                .send(Output {
                    kind,
                    data: data.to_vec(),
                })
                .await
                .is_err()
        {
            // Keep reading so the step's output still drains.
            *self.receiver_gone = true;
        }
    }
}

fn human_bytes(n: u64) -> String {
    if n < 1 << 20 {
        format!("{} KiB", n.div_ceil(1024))
    } else {
        format!("{:.1} MiB", n as f64 / 1048576.0)
    }
}

fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Tells the engine what preparing the job is at (a line in the job's log).
fn note(ctx: &JobContext, text: String) {
    if let Some(tx) = &ctx.notes {
        let _ = tx.try_send(text);
    }
}

fn glob_set(patterns: &[String]) -> Result<globset::GlobSet, RunnerError> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        b.add(
            globset::Glob::new(p)
                .map_err(|e| RunnerError::CollectFailed(format!("bad pattern `{p}`: {e}")))?,
        );
    }
    b.build().map_err(|e| RunnerError::CollectFailed(e.to_string()))
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
            return Err(RunnerError::PrepareFailed(format!(
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
            .map_err(|reason| RunnerError::StartFailed { reason, source: None })?;
        if !out.success() {
            return Err(RunnerError::StartFailed {
                reason: format!("the pod could not start the step: {}", out.failure()),
                source: None,
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
        let job = self
            .job(key)
            .ok_or_else(|| RunnerError::CollectFailed("the job is not prepared".into()))?;
        let set = glob_set(patterns)?;
        let cached = lock(&job.listing).clone();
        let listing = match cached {
            Some(l) => l,
            None => {
                let script = "find . -path ./.git -prune -o -path ./.switchyard -prune -o -type f -print";
                let out = self
                    .run_in_pod(&job, "list the workspace", exec::sh(script, &[]), None)
                    .await
                    .map_err(RunnerError::CollectFailed)?;
                if !out.success() {
                    return Err(RunnerError::CollectFailed(format!(
                        "cannot list the workspace in the pod: {}",
                        out.failure()
                    )));
                }
                let files: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.strip_prefix("./").unwrap_or(l).to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
                let files = Arc::new(files);
                *lock(&job.listing) = Some(files.clone());
                files
            }
        };
        let wanted: Vec<&String> = listing.iter().filter(|f| set.is_match(f.as_str())).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut list = String::new();
        for f in &wanted {
            list.push_str(f);
            list.push('\n');
        }
        let out = self
            .run_in_pod(
                &job,
                "copy files back",
                exec::sh("tar -cf - -T -", &[]),
                Some(list.into_bytes()),
            )
            .await
            .map_err(RunnerError::CollectFailed)?;
        if !out.success() {
            return Err(RunnerError::CollectFailed(format!(
                "cannot read files from the pod: {}",
                out.failure()
            )));
        }
        let dest = dest.to_path_buf();
        let files = tokio::task::spawn_blocking(move || {
            super::tarball::unpack(&out.stdout, &dest).map(|f| (f, dest))
        })
        .await
        .map_err(|e| RunnerError::CollectFailed(e.to_string()))?
        .map_err(|e| RunnerError::CollectFailed(format!("cannot unpack the files from the pod: {e}")))?;
        let (written, dest) = files;
        let written: HashSet<String> = written.into_iter().collect();
        let mut found: Vec<CollectedFile> = wanted
            .into_iter()
            .filter(|f| written.contains(f.as_str()))
            .map(|f| CollectedFile {
                rel: f.clone(),
                path: dest.join(f),
            })
            .collect();
        found.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(found)
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
