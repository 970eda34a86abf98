//! Runs one run: the DAG of jobs, each job's attempts, each attempt's steps.
//!
//! Ready jobs start in parallel, in plan order, as their runner has slots
//! (over all runs: see [`crate::runner::limits`]) and within the run's own
//! cap when it has one. A job whose
//! condition is not met is `skipped` (by default: when a job it needs did not
//! succeed). A failed or timed-out attempt is tried again while `retry`
//! allows. Timeouts and cancellation ask the runner to stop the job (the
//! local runner kills the whole process tree), and the runner's cleanup
//! always runs, outside the reach of cancellation. Every state change is
//! written to the history and published as an event as it happens.

use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::artifacts::ArtifactStore;
use crate::engine::{Inner, RunOptions};
use crate::junit;
use crate::logs::{LogWriter, Stream};
use crate::mask::{LineMasker, Secrets};
use crate::pipeline::plan::{Plan, PlannedJob};
use crate::pipeline::{Condition, format_duration};
use crate::runner::{JobContext, JobKey, OutputKind, Runner, StepKey, StepOutcome, StepSpec};
use crate::status::{JobStatus, RunStatus, StepStatus};
use crate::store::{ArtifactRecord, JobUpdate, Project, StepUpdate, TestResultRecord, now_ms};

/// Everything needed to execute a recorded run.
pub(crate) struct RunSpec {
    pub id: i64,
    pub project: Project,
    pub commit: Option<String>,
    /// The project's git remote as git has it (it may hold a credential):
    /// kept in memory for runners that fetch from it, never stored.
    pub remote: Option<String>,
    pub plan: Plan,
    pub job_ids: Vec<i64>,
    pub options: RunOptions,
    /// For a run resumed by a restarted engine: how each job goes on (in
    /// plan order); empty for a new run.
    pub resume: Vec<Resume>,
}

/// How a job of a resumed run goes on.
#[derive(Debug, Clone)]
pub(crate) enum Resume {
    /// It had not started: it runs as usual.
    Fresh,
    /// It had ended: it stays as it is.
    Ended(JobStatus),
    /// It was running: its runner re-attaches to it.
    Running(RunningJob),
}

/// A job that was running when its engine stopped.
#[derive(Debug, Clone)]
pub(crate) struct RunningJob {
    /// The attempt that was going.
    attempt: u32,
    /// When the job started.
    started_at: Option<i64>,
    /// The attempt's steps: status and start time.
    steps: Vec<(StepStatus, Option<i64>)>,
}

impl Resume {
    pub(crate) fn from_record(job: &crate::store::JobRecord) -> Resume {
        match job.status {
            JobStatus::Queued => Resume::Fresh,
            JobStatus::Running if job.attempts > 0 => Resume::Running(RunningJob {
                attempt: job.attempts,
                started_at: job.started_at,
                steps: job.steps.iter().map(|s| (s.status, s.started_at)).collect(),
            }),
            JobStatus::Running => Resume::Fresh,
            ended => Resume::Ended(ended),
        }
    }
}

/// The [`Instant`] at which a limit that started at `started_at` (Unix ms)
/// runs out.
fn deadline_since(started_at: Option<i64>, limit: Duration) -> Instant {
    let elapsed = started_at.map_or(0, |t| (now_ms() - t).max(0)) as u64;
    Instant::now() + limit.saturating_sub(Duration::from_millis(elapsed))
}

/// Notes a runner can queue while it prepares a job before the oldest are
/// dropped (they are progress lines, not results).
const NOTES_QUEUE: usize = 64;

/// Ends what a job whose task panicked left unfinished: its steps are marked
/// failed, and its runner is asked to clean up (the task never got to it).
async fn end_steps_of_failed_task(inner: &Arc<Inner>, run: &RunSpec, idx: usize) {
    let job = &run.plan.jobs[idx];
    let key = JobKey {
        run_id: run.id,
        job_id: run.job_ids[idx],
    };
    if let Err(e) = inner.store.end_unfinished_steps(key.job_id, now_ms()).await {
        tracing::error!(error = %e, "cannot record the steps of a failed job");
    }
    if let Ok(runner) = inner.runners.runner(&job.runner)
        && let Err(e) = runner.cleanup(key).await
    {
        tracing::warn!(error = %e, "cleanup after a failed job task failed");
    }
}

/// The text of a task's panic, for the reason recorded with what it ran.
pub(crate) fn panic_message(e: tokio::task::JoinError) -> String {
    if e.is_cancelled() {
        return "the task was cancelled".into();
    }
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

/// Executes a run. Cancel requests from other processes (`switchyard
/// cancel`) reach `token` through the engine's journal tail.
pub(crate) async fn execute(inner: Arc<Inner>, run: RunSpec, token: CancellationToken) -> RunStatus {
    let project: Arc<str> = run.project.name.as_str().into();
    // Announced once committed (a resumed run keeps its first start time).
    inner.store.run_started(run.id, now_ms()).await;

    let (status, error) = match prepare_workspace(&inner, &run).await {
        Ok(workspace) => {
            let status = run_dag(&inner, &run, &workspace, &project, &token).await;
            if !run.options.in_place && !run.options.keep_workspace {
                let ws = workspace.clone();
                let _ = tokio::task::spawn_blocking(move || std::fs::remove_dir_all(ws)).await;
            }
            (status, None)
        }
        Err(e) => {
            // No job could start: record why on the run and on every job.
            for (i, job) in run.plan.jobs.iter().enumerate() {
                set_job(
                    &inner,
                    &run,
                    i,
                    job,
                    JobStatus::Failed,
                    0,
                    Some(e.clone()),
                    None,
                    Some(now_ms()),
                )
                .await;
            }
            (RunStatus::Failed, Some(e))
        }
    };
    inner.store.run_finished(run.id, status, now_ms(), error).await;
    if let Err(e) = inner.store.flush().await {
        tracing::error!(error = %e, "could not save the end of run {}", run.id);
    }
    status
}

async fn prepare_workspace(inner: &Inner, run: &RunSpec) -> Result<PathBuf, String> {
    if run.options.in_place {
        return Ok(run.project.path.clone());
    }
    let src = run.project.path.clone();
    let dest = inner.home.workspaces().join(run.id.to_string());
    if !run.resume.is_empty() && dest.is_dir() {
        // A resumed run goes on with the copy it started with.
        return Ok(dest);
    }
    let d = dest.clone();
    match tokio::task::spawn_blocking(move || crate::workspace::copy_project(&src, &d)).await {
        Ok(Ok(files)) => {
            tracing::debug!(run = run.id, files, "workspace ready");
            Ok(dest)
        }
        Ok(Err(e)) => Err(format!(
            "could not copy the project into the run's workspace {}: {e}",
            dest.display()
        )),
        Err(e) => Err(format!("could not copy the project: {e}")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn set_job(
    inner: &Inner,
    run: &RunSpec,
    idx: usize,
    job: &PlannedJob,
    status: JobStatus,
    attempt: u32,
    reason: Option<String>,
    started_at: Option<i64>,
    finished_at: Option<i64>,
) {
    inner
        .store
        .job_state(JobUpdate {
            run_id: run.id,
            job_id: run.job_ids[idx],
            job: job.name.as_str().into(),
            status,
            attempts: attempt,
            reason,
            started_at,
            finished_at,
        })
        .await;
}

/// Decides what a job whose needs have all ended does: run, or end with a
/// status and a reason.
fn decide(
    plan: &Plan,
    statuses: &[JobStatus],
    idx: usize,
    cancelled: bool,
) -> Result<(), (JobStatus, String)> {
    let job = &plan.jobs[idx];
    if cancelled {
        return Err((JobStatus::Cancelled, "the run was cancelled".into()));
    }
    match job.condition {
        Condition::Always => Ok(()),
        Condition::Success => {
            for &n in &job.needs {
                match statuses[n] {
                    JobStatus::Succeeded => {}
                    JobStatus::Skipped => {
                        return Err((JobStatus::Skipped, format!("`{}` was skipped", plan.jobs[n].name)));
                    }
                    JobStatus::Cancelled => {
                        return Err((
                            JobStatus::Skipped,
                            format!("`{}` was cancelled", plan.jobs[n].name),
                        ));
                    }
                    other => {
                        let how = if other == JobStatus::TimedOut {
                            "timed out"
                        } else {
                            "failed"
                        };
                        return Err((JobStatus::Skipped, format!("`{}` {how}", plan.jobs[n].name)));
                    }
                }
            }
            Ok(())
        }
        Condition::Failure => {
            // Any failure among the jobs it needs, directly or not.
            let mut stack: Vec<usize> = job.needs.clone();
            let mut seen = vec![false; plan.jobs.len()];
            while let Some(n) = stack.pop() {
                if std::mem::replace(&mut seen[n], true) {
                    continue;
                }
                if statuses[n].is_failure() {
                    return Ok(());
                }
                stack.extend(plan.jobs[n].needs.iter().copied());
            }
            Err((
                JobStatus::Skipped,
                "no job it needs failed (`if: failure`)".into(),
            ))
        }
    }
}

async fn run_dag(
    inner: &Arc<Inner>,
    run: &RunSpec,
    workspace: &Path,
    project: &Arc<str>,
    token: &CancellationToken,
) -> RunStatus {
    let plan = &run.plan;
    let n = plan.jobs.len();
    let mut statuses = vec![JobStatus::Queued; n];
    let mut started = vec![false; n];
    // A run's own cap, when it has one; each runner's limit applies to all
    // runs together (see `JobRun::run`).
    let limit = run.options.parallelism.unwrap_or(usize::MAX).max(1);
    let mut running: JoinSet<(usize, JobStatus)> = JoinSet::new();
    // Which job each task runs, so a task that panics fails its own job.
    let mut tasks: std::collections::HashMap<tokio::task::Id, usize> = std::collections::HashMap::new();
    let job_run = |i: usize, resume: Option<RunningJob>| JobRun {
        // The job's place in its runner's queue, taken now, in plan order.
        slot: Some(inner.limits.ticket(&plan.jobs[i].runner.to_string())),
        inner: inner.clone(),
        run_id: run.id,
        job_id: run.job_ids[i],
        job: plan.jobs[i].clone(),
        name: plan.jobs[i].name.as_str().into(),
        project_id: run.project.id,
        project: project.clone(),
        commit: run.commit.clone(),
        remote: run.remote.clone(),
        source: run.options.source,
        workspace: workspace.to_path_buf(),
        token: token.clone(),
        resume,
    };
    // A resumed run: ended jobs stay ended, running ones are re-attached.
    for (i, r) in run.resume.iter().enumerate() {
        match r {
            Resume::Fresh => {}
            Resume::Ended(status) => statuses[i] = *status,
            Resume::Running(job) => {
                started[i] = true;
                let job = job_run(i, Some(job.clone()));
                let task = running.spawn(async move { (i, job.run().await) });
                tasks.insert(task.id(), i);
            }
        }
    }

    loop {
        // Settle every job whose needs have all ended.
        let mut progressed = true;
        while progressed {
            progressed = false;
            for i in 0..n {
                if started[i] || statuses[i] != JobStatus::Queued {
                    continue;
                }
                if !plan.jobs[i].needs.iter().all(|&d| statuses[d].is_terminal()) {
                    continue;
                }
                match decide(plan, &statuses, i, token.is_cancelled()) {
                    // Ready, but every slot is taken: it starts when one frees
                    // up, in plan order.
                    Ok(()) if running.len() >= limit => {}
                    Ok(()) => {
                        started[i] = true;
                        let job = job_run(i, None);
                        let task = running.spawn(async move { (i, job.run().await) });
                        tasks.insert(task.id(), i);
                    }
                    Err((status, reason)) => {
                        statuses[i] = status;
                        progressed = true;
                        set_job(
                            inner,
                            run,
                            i,
                            &plan.jobs[i],
                            status,
                            0,
                            Some(reason),
                            None,
                            Some(now_ms()),
                        )
                        .await;
                    }
                }
            }
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            done = running.join_next_with_id() => {
                match done {
                    Some(Ok((id, (i, status)))) => {
                        tasks.remove(&id);
                        statuses[i] = status;
                    }
                    Some(Err(e)) => {
                        // A job task panicked: an engine bug. Its own job
                        // fails with the reason; its dependents settle as
                        // after any failure, and the run goes on to its end.
                        let Some(i) = tasks.remove(&e.id()) else {
                            tracing::error!(error = %e, "a job task of an unknown job failed");
                            continue;
                        };
                        let why = panic_message(e);
                        tracing::error!(job = %plan.jobs[i].name, error = %why, "job task panicked");
                        statuses[i] = JobStatus::Failed;
                        let reason = format!(
                            "Switchyard failed while running this job (a bug; please report it): {why}"
                        );
                        end_steps_of_failed_task(inner, run, i).await;
                        set_job(inner, run, i, &plan.jobs[i], JobStatus::Failed, 0, Some(reason), None, Some(now_ms()))
                            .await;
                    }
                    None => {}
                }
            }
            _ = token.cancelled(), if !token.is_cancelled() => {
                // Running jobs watch the token themselves; queued ones are
                // cancelled in the next settle pass.
            }
        }
    }
    if token.is_cancelled() {
        RunStatus::Cancelled
    } else if statuses.iter().any(|s| s.is_failure()) {
        RunStatus::Failed
    } else if statuses.contains(&JobStatus::Cancelled) {
        RunStatus::Cancelled
    } else {
        RunStatus::Succeeded
    }
}

/// One job of a run, with everything it needs.
struct JobRun {
    inner: Arc<Inner>,
    run_id: i64,
    job_id: i64,
    job: PlannedJob,
    /// The job's name, shared by its events.
    name: Arc<str>,
    project_id: i64,
    project: Arc<str>,
    commit: Option<String>,
    remote: Option<String>,
    source: crate::workspace::WorkspaceSource,
    workspace: PathBuf,
    token: CancellationToken,
    /// Set when a restarted engine re-attaches to the job.
    resume: Option<RunningJob>,
    /// Its place in its runner's queue until it starts.
    slot: Option<crate::runner::limits::Ticket>,
}

/// How one attempt ended.
struct Attempt {
    status: JobStatus,
    reason: Option<String>,
    /// Whether another attempt could change anything.
    retryable: bool,
}

impl JobRun {
    fn key(&self) -> JobKey {
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

    async fn run(mut self) -> JobStatus {
        // A slot on the job's runner, shared by all runs (its place in the
        // queue was taken in plan order when the job became ready).
        let ticket = self.slot.take().expect("a job runs once");
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
        // Secrets are looked up before anything starts, so a missing one fails fast.
        let mut secrets = Vec::new();
        for name in &self.job.secrets {
            match self.inner.secrets.get(name) {
                Ok(Some(value)) => secrets.push((name.clone(), value)),
                Ok(None) => {
                    let msg = format!(
                        "secret `{name}` is not set; {}",
                        self.inner.secrets.how_to_set(name)
                    );
                    logs.system(None, &msg).await;
                    self.skip_steps(attempt, 0).await;
                    return fail(msg, false);
                }
                Err(e) => {
                    logs.system(None, &e.to_string()).await;
                    self.skip_steps(attempt, 0).await;
                    return fail(e.to_string(), false);
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
                    )),
                    Err(e) => Err((JobStatus::Failed, format!("could not re-attach to the job: {e}"))),
                }
            }
        };
        let result = match prepared {
            Err((status, msg)) => {
                let msg = masking.mask_str(&msg);
                logs.system(None, &msg).await;
                self.skip_steps(attempt, 0).await;
                Attempt {
                    status,
                    reason: Some(msg),
                    retryable: status != JobStatus::Cancelled,
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
                if result.status != JobStatus::Cancelled {
                    self.collect(runner.as_ref(), logs).await;
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
    ) -> Result<(), (JobStatus, String)> {
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
                    return r.map_err(|e| (JobStatus::Failed, format!("could not prepare the job: {e}")));
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
            ))
        } else {
            Err((JobStatus::Cancelled, "the run was cancelled".into()))
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
                let msg = masking.mask_str(&e.to_string());
                logs.system(Some(idx), &msg).await;
                self.publish_step(attempt, idx, StepStatus::Failed, None, None, Some(now_ms()))
                    .await;
                self.skip_steps(attempt, i + 1).await;
                return Attempt {
                    status: JobStatus::Failed,
                    reason: Some(format!("step {} `{}` could not start: {msg}", i + 1, step.name)),
                    retryable: true,
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

    /// Keeps artifacts and reads JUnit reports, after the steps (also failed ones).
    async fn collect(&self, runner: &dyn Runner, logs: &mut LogWriter) {
        if self.job.artifacts.is_empty() && self.job.junit.is_empty() {
            return;
        }
        let mut warnings: Vec<String> = Vec::new();
        let staging = self
            .inner
            .home
            .workspaces()
            .join(format!("collect-{}", self.job_id));

        if !self.job.artifacts.is_empty() {
            let store = ArtifactStore::new(self.inner.home.artifacts());
            let mut kept: Vec<ArtifactRecord> = Vec::new();
            for pattern in &self.job.artifacts {
                match runner
                    .collect(self.key(), std::slice::from_ref(pattern), &staging)
                    .await
                {
                    Ok(files) if files.is_empty() => {
                        warnings.push(format!("artifact pattern `{pattern}` matched no files"));
                    }
                    Ok(files) => {
                        for f in files {
                            if kept.iter().any(|k| k.path == f.rel) {
                                continue;
                            }
                            let st = store.clone();
                            let path = f.path.clone();
                            match tokio::task::spawn_blocking(move || st.put(&path)).await {
                                Ok(Ok((size, sha256))) => kept.push(ArtifactRecord {
                                    path: f.rel,
                                    size,
                                    sha256,
                                }),
                                Ok(Err(e)) => {
                                    warnings.push(format!("could not keep artifact {}: {e}", f.rel))
                                }
                                Err(e) => warnings.push(format!("could not keep artifact {}: {e}", f.rel)),
                            }
                        }
                    }
                    Err(e) => warnings.push(format!("could not collect artifacts `{pattern}`: {e}")),
                }
            }
            if !kept.is_empty() {
                let total: u64 = kept.iter().map(|a| a.size).sum();
                logs.system(
                    None,
                    &format!(
                        "kept {} artifact{} ({total} bytes)",
                        kept.len(),
                        if kept.len() == 1 { "" } else { "s" }
                    ),
                )
                .await;
            }
            self.inner.store.artifacts_replace(self.job_id, kept).await;
        }

        if !self.job.junit.is_empty() {
            let mut results: Vec<TestResultRecord> = Vec::new();
            let mut reports = 0usize;
            for pattern in &self.job.junit {
                match runner
                    .collect(self.key(), std::slice::from_ref(pattern), &staging)
                    .await
                {
                    Ok(files) if files.is_empty() => {
                        warnings.push(format!("no JUnit report matched `{pattern}`"));
                    }
                    Ok(files) => {
                        for f in files {
                            let path = f.path.clone();
                            let parsed = tokio::task::spawn_blocking(move || {
                                std::fs::read(&path)
                                    .map_err(|e| e.to_string())
                                    .and_then(|bytes| junit::parse(&bytes).map_err(|e| e.to_string()))
                            })
                            .await
                            .unwrap_or_else(|e| Err(e.to_string()));
                            match parsed {
                                Ok(cases) => {
                                    reports += 1;
                                    results.extend(cases.into_iter().map(|c| TestResultRecord {
                                        report: f.rel.clone(),
                                        suite: c.suite,
                                        classname: c.classname,
                                        name: c.name,
                                        status: c.outcome.as_str().into(),
                                        duration_ms: c.duration_ms,
                                        message: c.message,
                                        details: c.details,
                                    }));
                                }
                                Err(e) => {
                                    warnings.push(format!("JUnit report {} could not be read: {e}", f.rel))
                                }
                            }
                        }
                    }
                    Err(e) => warnings.push(format!("could not collect JUnit reports `{pattern}`: {e}")),
                }
            }
            let failed = results.iter().filter(|r| r.status == "failed").count();
            let skipped = results.iter().filter(|r| r.status == "skipped").count();
            if reports > 0 {
                logs.system(
                    None,
                    &format!(
                        "read {} test result{} from {reports} report{}: {} passed, {failed} failed, {skipped} skipped",
                        results.len(),
                        if results.len() == 1 { "" } else { "s" },
                        if reports == 1 { "" } else { "s" },
                        results.len() - failed - skipped
                    ),
                )
                .await;
            }
            self.inner.store.test_results_replace(self.job_id, results).await;
        }
        for w in &warnings {
            logs.system(None, &format!("warning: {w}")).await;
        }
        self.inner.store.job_warnings(self.job_id, warnings).await;
        let _ = tokio::fs::remove_dir_all(&staging).await;
    }
}

fn describe_exit(outcome: &StepOutcome) -> String {
    match (outcome.exit_code, outcome.signal) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(sig)) => format!("was killed by signal {sig}"),
        (None, None) => "ended without an exit code".into(),
    }
}

/// Moves a step's output into the log: masks secrets, splits lines, writes
/// chunks when full and at least every [`crate::logs::FLUSH_INTERVAL`].
async fn pump(
    output: Option<tokio::sync::mpsc::Receiver<crate::runner::Output>>,
    writer: &mut LogWriter,
    secrets: Secrets,
    step: u32,
) {
    let Some(mut rx) = output else {
        return;
    };
    let mut out = LineMasker::new(secrets.clone());
    let mut err = LineMasker::new(secrets);
    let mut tick = tokio::time::interval(crate::logs::FLUSH_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            piece = rx.recv() => {
                let Some(piece) = piece else { break };
                let ts = now_ms();
                let (masker, stream) = match piece.kind {
                    OutputKind::Stdout => (&mut out, Stream::Stdout),
                    OutputKind::Stderr => (&mut err, Stream::Stderr),
                };
                let mut full = false;
                masker.feed(&piece.data, |line| full |= writer.push(ts, stream, Some(step), line));
                if full {
                    writer.flush().await;
                }
            }
            _ = tick.tick() => writer.flush().await,
        }
    }
    let ts = now_ms();
    out.finish(|line| {
        writer.push(ts, Stream::Stdout, Some(step), line);
    });
    err.finish(|line| {
        writer.push(ts, Stream::Stderr, Some(step), line);
    });
    writer.flush().await;
}

fn round_ms(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64 / 100 * 100)
}
