//! Preparing a job's pod: waiting until it runs (saying why while it is
//! Pending) and filling its workspace.

use kube::runtime::{WatchStreamExt, watcher};
use tokio::io::AsyncWriteExt;

use k8s_openapi::api::core::v1::Event;
use switchyard_engine::workspace::WorkspaceSource;

use super::super::exec::Exit;
use super::*;

impl KubernetesRunner {
    /// Waits until the pod runs; fails with the reason it does not.
    pub(super) async fn wait_running(&self, job: &PodJob) -> Result<(), RunnerError> {
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
                    return Err(RunnerError::prepare_transient(self.pending_message(job, "stopped while the pod was pending", reason).await));
                }
                _ = tokio::time::sleep_until(deadline) => {
                    let what = format!("the pod stayed Pending for {}s", self.settings.pending_timeout.as_secs());
                    return Err(RunnerError::prepare_transient(self.pending_message(job, &what, reason).await));
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
                        PodState::Failed { reason, permanent } => {
                            return Err(if permanent {
                                RunnerError::prepare_permanent(reason)
                            } else {
                                RunnerError::prepare_transient(reason)
                            });
                        }
                    }
                }
                Some(Err(e)) => {
                    let since = *failing_since.get_or_insert_with(Instant::now);
                    tracing::warn!(error = %e, "watching the pod failed; retrying");
                    if since.elapsed() > self.settings.retry.give_up_after {
                        return Err(RunnerError::prepare_transient(format!(
                            "lost contact with the cluster `{}` while waiting for the pod: {e}",
                            self.target
                        )));
                    }
                }
                None => {
                    return Err(RunnerError::prepare_transient("the pod watch ended"));
                }
            }
        }
    }

    /// "what: reason", the reason from the pod's conditions, else its latest warning event.
    pub(super) async fn pending_message(&self, job: &PodJob, what: &str, reason: Option<String>) -> String {
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
    pub(super) async fn fill_workspace(&self, job: &PodJob) -> Result<(), RunnerError> {
        let ctx = &job.ctx;
        let script = match ctx.source {
            WorkspaceSource::Tree => "tar -xf - -C . && touch .switchyard/ready".to_string(),
            WorkspaceSource::Commit => {
                let (Some(remote), Some(commit)) = (&ctx.remote, &ctx.commit) else {
                    return Err(RunnerError::prepare_permanent(
                        "the workspace source is `commit`, but the project has no git remote or no commit; run with the working tree (`--source tree`) or push the project to a remote",
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
        let producer =
            tokio::task::spawn_blocking(move || super::super::tarball::stream(root.as_deref(), tx));
        let mut proc = exec::start(&job.api, &job.pod, exec::sh(&script, &[]), true)
            .await
            .map_err(|e| self.api_failure("cannot upload the workspace", &e))?;
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
                return Err(RunnerError::prepare_transient("stopped while uploading the workspace"));
            }
        };
        proc.abort();
        let err = collected.stderr;
        let bytes = producer
            .await
            .map_err(|e| RunnerError::prepare_transient(format!("the workspace tar failed: {e}")))?
            .map_err(|e| {
                RunnerError::prepare_transient(format!(
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
            // A fetch that fails (a private remote, a commit not pushed)
            // fails again the same way.
            return Err(RunnerError::prepare_permanent(format!(
                "filling the workspace in the pod failed: {}{}",
                out.failure(),
                feed_err.map(|e| format!(" (upload: {e})")).unwrap_or_default()
            )));
        }
        let took = started.elapsed();
        remember(&self.uploads, Upload { bytes, took });
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
}

pub(super) fn human_bytes(n: u64) -> String {
    if n < 1 << 20 {
        format!("{} KiB", n.div_ceil(1024))
    } else {
        format!("{:.1} MiB", n as f64 / 1048576.0)
    }
}

pub(super) fn human_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Tells the engine what preparing the job is at (a line in the job's log).
pub(super) fn note(ctx: &JobContext, text: String) {
    if let Some(tx) = &ctx.notes {
        let _ = tx.try_send(text);
    }
}
