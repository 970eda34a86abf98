//! A job of steps: its attempts on its runner, each attempt's steps, and
//! what the steps' output becomes (see [`super::pump`]).

use std::path::PathBuf;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::logs::LogWriter;
use crate::mask::Secrets;
use crate::pipeline::format_duration;
use crate::pipeline::plan::PlannedJob;
use crate::runner::{JobContext, JobKey, Retry, Runner, StepKey, StepOutcome, StepSpec};
use crate::state::Inner;
use crate::status::{JobStatus, StepStatus};
use crate::store::{JobUpdate, StepUpdate, now_ms};

use super::pump::pump;
use super::{RunningJob, deadline_since};

/// Notes a runner can queue while it prepares a job before the oldest are
/// dropped (they are progress lines, not results).
const NOTES_QUEUE: usize = 64;

/// One job of a run, with everything it needs.
pub(super) struct JobRun {
    pub(super) inner: Arc<Inner>,
    pub(super) run_id: i64,
    pub(super) job_id: i64,
    pub(super) job: PlannedJob,
    /// The job's name, shared by its events.
    pub(super) name: Arc<str>,
    pub(super) project_id: i64,
    pub(super) project: Arc<str>,
    pub(super) commit: Option<String>,
    pub(super) remote: Option<String>,
    pub(super) source: crate::workspace::WorkspaceSource,
    pub(super) workspace: PathBuf,
    pub(super) token: CancellationToken,
    /// Set when a restarted engine re-attaches to the job.
    pub(super) resume: Option<RunningJob>,
    /// Its place in its runner's queue until it starts.
    pub(super) slot: Option<crate::runner::limits::Ticket>,
}

/// How one attempt ended.
struct Attempt {
    status: JobStatus,
    reason: Option<String>,
    /// Whether another attempt could change anything.
    retryable: bool,
}

impl JobRun {
    pub(super) fn key(&self) -> JobKey {
        JobKey {
            run_id: self.run_id,
            job_id: self.job_id,
        }
    }

    async fn publish_job(
        &self,
        status: JobStatus,
        attempt: u32,
        reason: Option<String>,
        started: Option<i64>,
        finished: Option<i64>,
    ) {
        self.inner
            .store
            .job_state(JobUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.name.clone(),
                status,
                attempts: attempt,
                reason,
                started_at: started,
                finished_at: finished,
            })
            .await;
    }

    async fn publish_step(
        &self,
        attempt: u32,
        idx: u32,
        status: StepStatus,
        exit_code: Option<i32>,
        started: Option<i64>,
        finished: Option<i64>,
    ) {
        self.inner
            .store
            .step_state(StepUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.name.clone(),
                name: self.job.steps[idx as usize].name.as_str().into(),
                attempt,
                idx,
                status,
                exit_code,
                started_at: started,
                finished_at: finished,
            })
            .await;
    }

    pub(super) async fn run(mut self) -> JobStatus {
        // A slot on the job's runner, shared by all runs (its place in the
        // queue was taken in plan order when the job became ready).
        let mut ticket = self.slot.take().expect("a job runs once");
        // Say why it waits, when it does (shown on the job until it starts).
        if let Some((busy, limit)) = ticket.waiting() {
            let reason = waiting_reason(ticket.key(), busy, limit);
            self.publish_job(JobStatus::Queued, 0, Some(reason), None, None)
                .await;
        }
        let permit = tokio::select! {
            biased;
            _ = self.token.cancelled() => None,
            p = ticket.wait() => Some(p),
        };
        let Some(_permit) = permit else {
            self.publish_job(
                JobStatus::Cancelled,
                0,
                Some("the run was cancelled".into()),
                None,
                Some(now_ms()),
            )
            .await;
            return JobStatus::Cancelled;
        };
        let mut logs = LogWriter::new(
            self.inner.store.clone(),
            self.run_id,
            self.job_id,
            self.name.clone(),
        );
        let attempts = self.job.retry + 1;
        let mut started = now_ms();
        let mut attempt = 1;
        let mut resume = None;
        if let Some(r) = &self.resume {
            // Lines already in the history are not written again.
            let state = self.inner.store.log_state(self.job_id).await.unwrap_or_default();
            logs.continue_at(state.next_line, state.next_seq);
            started = r.started_at.unwrap_or(started);
            attempt = r.attempt.max(1);
            if !self.job.runner.is_remote() {
                return self.interrupted(attempt, started, r).await;
            }
            resume = Some((r.clone(), state));
        }
        let outcome = loop {
            logs.set_attempt(attempt).await;
            self.publish_job(JobStatus::Running, attempt, None, Some(started), None)
                .await;
            let names = self.job.steps.iter().map(|s| s.name.clone()).collect();
            self.inner.store.steps_planned(self.job_id, attempt, names).await;
            let result = self.attempt(attempt, &mut logs, resume.take()).await;
            let again = result.retryable
                && matches!(result.status, JobStatus::Failed | JobStatus::TimedOut)
                && attempt < attempts
                && !self.token.is_cancelled();
            if !again {
                break result;
            }
            let msg = format!(
                "attempt {attempt} of {attempts} {}: {}; trying again",
                if result.status == JobStatus::TimedOut {
                    "timed out"
                } else {
                    "failed"
                },
                result.reason.as_deref().unwrap_or("no reason")
            );
            logs.system(None, &msg).await;
            logs.flush().await;
            attempt += 1;
        };
        logs.flush().await;
        self.publish_job(
            outcome.status,
            attempt,
            outcome.reason,
            Some(started),
            Some(now_ms()),
        )
        .await;
        outcome.status
    }

    /// A local job that was running when its engine stopped: its processes
    /// died with it.
    async fn interrupted(&self, attempt: u32, started: i64, r: &RunningJob) -> JobStatus {
        let now = now_ms();
        for (i, (status, _)) in r.steps.iter().enumerate() {
            if !status.is_terminal() {
                self.publish_step(attempt, i as u32, StepStatus::Interrupted, None, None, Some(now))
                    .await;
            }
        }
        self.publish_job(
            JobStatus::Interrupted,
            attempt,
            Some("Switchyard stopped while the job was running".into()),
            Some(started),
            Some(now),
        )
        .await;
        JobStatus::Interrupted
    }

    async fn attempt(
        &self,
        attempt: u32,
        logs: &mut LogWriter,
        resume: Option<(RunningJob, crate::store::LogState)>,
    ) -> Attempt {
        let fail = |reason: String, retryable: bool| Attempt {
            status: JobStatus::Failed,
            reason: Some(reason),
            retryable,
        };
        let runner = match self.inner.runners.runner(&self.job.runner) {
            Ok(r) => r,
            Err(e) => {
                logs.system(None, &e.to_string()).await;
                self.skip_steps(attempt, 0).await;
                return fail(e.to_string(), false);
            }
        };
        // Secrets are looked up before anything starts, so a missing one fails fast
        // (the run checked them all before its first job; this is the value).
        let mut secrets = Vec::new();
        for name in &self.job.secrets {
            let store = self.inner.secrets.clone();
            let (project, lookup) = (self.project.to_string(), name.clone());
            let found = tokio::task::spawn_blocking(move || {
                crate::secrets::resolve(store.as_ref(), &project, &lookup)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        v.ok_or_else(|| crate::secrets::looked_in(store.as_ref(), &project, &lookup))
                    })
            })
            .await
            .unwrap_or_else(|e| Err(format!("the secret lookup failed: {e}")));
            match found {
                Ok((value, _)) => secrets.push((name.clone(), value)),
                Err(why) => {
                    let msg = format!("secret `{name}` is not available: {why}");
                    logs.system(None, &msg).await;
                    self.skip_steps(attempt, 0).await;
                    return fail(msg, false);
                }
            }
        }
        // A credential in the remote URL is masked like a secret.
        let credential = self
            .remote
            .as_deref()
            .and_then(crate::gitinfo::remote_credential)
            .map(secrecy::SecretString::from);
        let masking = Secrets::new(secrets.iter().map(|(_, v)| v).chain(credential.as_ref()));
        let (notes_tx, mut notes_rx) = tokio::sync::mpsc::channel(NOTES_QUEUE);
        let ctx = JobContext {
            key: self.key(),
            attempt,
            project_id: self.project_id,
            project: self.project.to_string(),
            job: self.job.name.clone(),
            workspace: self.workspace.clone(),
            commit: self.commit.clone(),
            remote: self.remote.clone(),
            source: self.source,
            image: self.job.image.clone(),
            pod: self.job.pod.clone(),
            env: self.job.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            secrets,
            working_dir: self.job.working_dir.clone(),
            notes: Some(notes_tx),
        };
        let mut deadline = self.job.timeout.map(|t| Instant::now() + t);
        let prepared = match &resume {
            None => {
                self.prepare(runner.as_ref(), &ctx, deadline, &mut notes_rx, logs, &masking)
                    .await
            }
            Some((r, _)) => {
                // The attempt began with its first step, or with the job.
                let began = r.steps.iter().filter_map(|(_, t)| *t).min().or(r.started_at);
                deadline = self.job.timeout.map(|t| deadline_since(began, t));
                match runner.reattach(&ctx).await {
                    Ok(true) => {
                        logs.system(None, "Switchyard restarted; re-attached to the job")
                            .await;
                        Ok(())
                    }
                    Ok(false) => Err((
                        JobStatus::Failed,
                        "Switchyard restarted and the job's pod was gone".to_string(),
                        true,
                    )),
                    Err(e) => Err((
                        JobStatus::Failed,
                        format!("could not re-attach to the job: {e}"),
                        e.retry() == Retry::Transient,
                    )),
                }
            }
        };
        let result = match prepared {
            Err((status, msg, retryable)) => {
                let msg = masking.mask_str(&msg);
                logs.system(None, &msg).await;
                self.skip_steps(attempt, 0).await;
                Attempt {
                    status,
                    reason: Some(msg),
                    retryable: retryable && status != JobStatus::Cancelled,
                }
            }
            Ok(()) => {
                let result = self
                    .steps(
                        runner.as_ref(),
                        attempt,
                        logs,
                        &masking,
                        deadline,
                        resume.as_ref(),
                    )
                    .await;
                let mut warnings = Vec::new();
                if result.status == JobStatus::Succeeded {
                    warnings = self.keep_outputs(runner.as_ref(), logs, &masking).await;
                }
                if result.status != JobStatus::Cancelled {
                    self.collect(runner.as_ref(), logs, warnings).await;
                }
                result
            }
        };
        // Cleanup is not subject to the run's cancellation.
        if let Err(e) = runner.cleanup(self.key()).await {
            let msg = format!("cleanup failed: {e}");
            logs.system(None, &masking.mask_str(&msg)).await;
        }
        result
    }

    /// Reads and keeps what the job wrote to `$SWITCHYARD_OUTPUT`; returns
    /// warnings (outputs that could not be kept do not fail the job, but a
    /// job that needs them will say what is missing).
    async fn keep_outputs(
        &self,
        runner: &dyn Runner,
        logs: &mut LogWriter,
        masking: &Secrets,
    ) -> Vec<String> {
        let bytes = match runner.outputs(self.key()).await {
            Ok(b) => b,
            Err(e) => return vec![masking.mask_str(&format!("could not read the job's outputs: {e}"))],
        };
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Vec::new();
        }
        let mut outputs = match crate::outputs::parse(&bytes) {
            Ok(o) => o,
            Err(e) => return vec![masking.mask_str(&format!("outputs not kept: {e}"))],
        };
        let mut warnings = Vec::new();
        // A secret never leaves the job through an output.
        let secret: Vec<String> = outputs
            .iter()
            .filter(|(_, v)| masking.mask_str(v) != **v)
            .map(|(k, _)| k.clone())
            .collect();
        for name in secret {
            outputs.remove(&name);
            warnings.push(format!("output `{name}` holds a secret's value and was not kept"));
        }
        if !outputs.is_empty() {
            let names: Vec<&str> = outputs.keys().map(String::as_str).collect();
            logs.system(None, &format!("outputs: {}", names.join(", "))).await;
            if let Err(e) = self.inner.store.job_outputs(self.job_id, outputs).await {
                warnings.push(format!("could not keep the outputs: {e}"));
            }
        }
        warnings
    }

    /// Prepares the job on its runner, within the job's timeout and subject
    /// to cancellation (a Kubernetes pod can stay Pending): the runner is
    /// asked to stop and its own account of why it had not finished (the
    /// pod's pending reason, say) becomes part of the reason.
    /// The runner's notes on what it waits for (a Pending pod's reason, say)
    /// go into the job's log as they come.
    async fn prepare(
        &self,
        runner: &dyn Runner,
        ctx: &JobContext,
        deadline: Option<Instant>,
        notes: &mut tokio::sync::mpsc::Receiver<String>,
        logs: &mut LogWriter,
        masking: &Secrets,
    ) -> Result<(), (JobStatus, String, bool)> {
        let mut prep = pin!(runner.prepare(ctx));
        let mut sleep = pin!(async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        });
        let timed_out = loop {
            tokio::select! {
                biased;
                r = &mut prep => {
                    while let Ok(note) = notes.try_recv() {
                        logs.system(None, &masking.mask_str(&note)).await;
                    }
                    logs.flush().await;
                    return r.map_err(|e| {
                        let retryable = e.retry() == Retry::Transient;
                        (JobStatus::Failed, format!("could not prepare the job: {e}"), retryable)
                    });
                }
                Some(note) = notes.recv() => {
                    logs.system(None, &masking.mask_str(&note)).await;
                    logs.flush().await;
                }
                _ = &mut sleep => break true,
                _ = self.token.cancelled() => break false,
            }
        };
        if let Err(e) = runner.cancel(self.key()).await {
            tracing::warn!(error = %e, "runner could not cancel the job");
        }
        let why = prep.await.err().map(|e| format!(": {e}")).unwrap_or_default();
        if timed_out {
            Err((
                JobStatus::TimedOut,
                format!(
                    "timed out while preparing the job (the job's timeout of {}){why}",
                    self.job.timeout.map(format_duration).unwrap_or_default()
                ),
                true,
            ))
        } else {
            Err((JobStatus::Cancelled, "the run was cancelled".into(), false))
        }
    }

    async fn skip_steps(&self, attempt: u32, from: usize) {
        let now = now_ms();
        for i in from..self.job.steps.len() {
            self.publish_step(attempt, i as u32, StepStatus::Skipped, None, None, Some(now))
                .await;
        }
    }

    async fn steps(
        &self,
        runner: &dyn Runner,
        attempt: u32,
        logs: &mut LogWriter,
        masking: &Secrets,
        job_deadline: Option<Instant>,
        resume: Option<&(RunningJob, crate::store::LogState)>,
    ) -> Attempt {
        // Re-attaching: steps the history has as ended are done; the next
        // ones are adopted while the runner still has them.
        let mut adopting = resume.is_some();
        for (i, step) in self.job.steps.iter().enumerate() {
            let idx = i as u32;
            let key = StepKey {
                job: self.key(),
                attempt,
                idx,
            };
            let before = resume.and_then(|(r, _)| r.steps.get(i).copied());
            if let Some((status, _)) = before.filter(|(s, _)| s.is_terminal()) {
                if status == StepStatus::Succeeded {
                    continue;
                }
                // It ended badly just before the engine stopped.
                self.skip_steps(attempt, i + 1).await;
                return Attempt {
                    status: if status == StepStatus::TimedOut {
                        JobStatus::TimedOut
                    } else {
                        JobStatus::Failed
                    },
                    reason: Some(format!("step {} `{}` {status}", i + 1, step.name)),
                    retryable: true,
                };
            }
            let began = before
                .and_then(|(_, t)| t)
                .filter(|_| adopting)
                .unwrap_or_else(now_ms);
            let step_deadline = step.timeout.map(|t| deadline_since(Some(began), t));
            let deadline = match (job_deadline, step_deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            let started = began;
            self.publish_step(attempt, idx, StepStatus::Running, None, Some(started), None)
                .await;
            let spec = StepSpec {
                name: step.name.clone(),
                script: step.run.clone(),
                env: step.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                working_dir: step.working_dir.clone(),
            };
            let adopted = match resume.filter(|_| adopting) {
                None => Ok(false),
                Some((_, log)) => {
                    let (out, err) = log.lines.get(&(attempt, idx)).copied().unwrap_or((0, 0));
                    let from = crate::runner::LogPosition {
                        stdout_lines: out,
                        stderr_lines: err,
                    };
                    runner.resume(key, from).await
                }
            };
            let started_here = match adopted {
                Ok(true) => Ok(()),
                Ok(false) => {
                    adopting = false;
                    runner.start(key, &spec).await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = started_here {
                let retryable = e.retry() == Retry::Transient;
                let msg = masking.mask_str(&e.to_string());
                logs.system(Some(idx), &msg).await;
                self.publish_step(attempt, idx, StepStatus::Failed, None, None, Some(now_ms()))
                    .await;
                self.skip_steps(attempt, i + 1).await;
                return Attempt {
                    status: JobStatus::Failed,
                    reason: Some(format!("step {} `{}` could not start: {msg}", i + 1, step.name)),
                    retryable,
                };
            }
            let output = match runner.logs(key).await {
                Ok(rx) => Some(rx),
                Err(e) => {
                    tracing::warn!(error = %e, "no output stream for step");
                    None
                }
            };
            let step_limit_first = match (step_deadline, job_deadline) {
                (Some(s), Some(j)) => s <= j,
                (Some(_), None) => true,
                _ => false,
            };
            let limit = if step_limit_first {
                format!(
                    "its timeout of {}",
                    step.timeout.map(format_duration).unwrap_or_default()
                )
            } else {
                format!(
                    "the job's timeout of {}",
                    self.job.timeout.map(format_duration).unwrap_or_default()
                )
            };

            enum End {
                Exited,
                TimedOut,
                Cancelled,
            }
            // The step is waited for while its output is pumped into the log,
            // both in this task: the pump ends when the output does.
            let waiting = async {
                let mut wait = pin!(runner.wait(key));
                let sleep = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                };
                let end = tokio::select! {
                    biased;
                    r = &mut wait => return (End::Exited, r),
                    _ = sleep => End::TimedOut,
                    _ = self.token.cancelled() => End::Cancelled,
                };
                if let Err(e) = runner.cancel(self.key()).await {
                    tracing::warn!(error = %e, "runner could not cancel the job");
                }
                (end, wait.await)
            };
            let (_, (end, result)) = tokio::join!(pump(output, logs, masking.clone(), idx), waiting);
            let finished = now_ms();
            let took = Duration::from_millis((finished - started).max(0) as u64);
            let (msg, step_status, exit_code, job_status, reason) = match (end, result) {
                (End::Cancelled, r) => (
                    "cancelled".to_string(),
                    StepStatus::Cancelled,
                    r.ok().and_then(|o| o.exit_code),
                    JobStatus::Cancelled,
                    "the run was cancelled".to_string(),
                ),
                (End::TimedOut, r) => (
                    format!(
                        "timed out after {} ({limit}); its processes were killed",
                        format_duration(round_ms(took))
                    ),
                    StepStatus::TimedOut,
                    r.ok().and_then(|o| o.exit_code),
                    JobStatus::TimedOut,
                    format!("step {} `{}` timed out ({limit})", i + 1, step.name),
                ),
                (End::Exited, Err(e)) => {
                    let m = masking.mask_str(&e.to_string());
                    (
                        m.clone(),
                        StepStatus::Failed,
                        None,
                        JobStatus::Failed,
                        format!("step {} `{}`: {m}", i + 1, step.name),
                    )
                }
                (End::Exited, Ok(outcome)) if outcome.success() => {
                    self.publish_step(attempt, idx, StepStatus::Succeeded, Some(0), None, Some(finished))
                        .await;
                    continue;
                }
                (End::Exited, Ok(outcome)) => {
                    let how = describe_exit(&outcome);
                    (
                        how.clone(),
                        StepStatus::Failed,
                        outcome.exit_code,
                        JobStatus::Failed,
                        format!("step {} `{}` {how}", i + 1, step.name),
                    )
                }
            };
            logs.system(Some(idx), &msg).await;
            self.publish_step(attempt, idx, step_status, exit_code, None, Some(finished))
                .await;
            self.skip_steps(attempt, i + 1).await;
            return Attempt {
                status: job_status,
                reason: Some(reason),
                retryable: job_status != JobStatus::Cancelled,
            };
        }
        Attempt {
            status: JobStatus::Succeeded,
            reason: None,
            retryable: false,
        }
    }
}

fn describe_exit(outcome: &StepOutcome) -> String {
    match (outcome.exit_code, outcome.signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        (None, None) => "ended without an exit code".into(),
    }
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64 / 100 * 100)
}

/// Why a ready job waits for its runner: "waiting for a free local slot: 2
/// of 2 busy (runners.local.concurrency in config.toml)".
pub(crate) fn waiting_reason(key: &str, busy: usize, limit: usize) -> String {
    let setting = match key.strip_prefix("kubernetes:") {
        Some(target) => format!("targets.{target}.concurrency"),
        None => format!("runners.{key}.concurrency"),
    };
    format!("waiting for a free {key} slot: {busy} of {limit} busy ({setting} in config.toml)")
}
