//! Runs one run: the DAG of jobs, each job's attempts, each attempt's steps;
//! approval jobs wait for a person ([`gate`]).
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
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod collect;
mod deploy;
mod gate;
mod pump;
mod steps;

use steps::JobRun;

use crate::pipeline::Condition;
use crate::pipeline::plan::{JobKind, Plan, PlannedJob};
use crate::runner::JobKey;
use crate::state::{Inner, RunOptions};
use crate::status::{JobStatus, RunStatus, StepStatus};
use crate::store::{JobUpdate, Project, now_ms};

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
            // A gate that was waiting waits again (its decision may be in).
            JobStatus::Waiting => Resume::Fresh,
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
    // Jobs already told they wait for the run's own limit.
    let mut told = vec![false; n];
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
    let deploy_job = |i: usize, spec: &crate::pipeline::Deploy| deploy::DeployJob {
        inner: inner.clone(),
        run_id: run.id,
        job_id: run.job_ids[i],
        name: plan.jobs[i].name.as_str().into(),
        spec: spec.clone(),
        workspace: workspace.to_path_buf(),
        commit: run.commit.clone(),
        options: run.options.deploy.clone(),
        timeout: plan.jobs[i].timeout,
        token: token.clone(),
    };
    // A resumed run: ended jobs stay ended, running ones are re-attached.
    for (i, r) in run.resume.iter().enumerate() {
        match r {
            Resume::Fresh => {}
            Resume::Ended(status) => statuses[i] = *status,
            Resume::Running(job) => {
                started[i] = true;
                let task = match &plan.jobs[i].kind {
                    // A deployment goes on with the one its job recorded.
                    JobKind::Deploy(spec) => {
                        let job = deploy_job(i, spec);
                        running.spawn(async move { (i, job.run().await) })
                    }
                    _ => {
                        let job = job_run(i, Some(job.clone()));
                        running.spawn(async move { (i, job.run().await) })
                    }
                };
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
                    Ok(()) if running.len() >= limit => {
                        if !std::mem::replace(&mut told[i], true) {
                            let reason = format!(
                                "waiting: this run runs at most {limit} job{} at once (its parallelism); {} running",
                                if limit == 1 { "" } else { "s" },
                                running.len()
                            );
                            set_job(
                                inner,
                                run,
                                i,
                                &plan.jobs[i],
                                JobStatus::Queued,
                                0,
                                Some(reason),
                                None,
                                None,
                            )
                            .await;
                        }
                    }
                    Ok(()) => {
                        started[i] = true;
                        // Each kind of job runs its own way.
                        let task = match &plan.jobs[i].kind {
                            JobKind::Steps => {
                                let job = job_run(i, None);
                                running.spawn(async move { (i, job.run().await) })
                            }
                            JobKind::Approval { message } => {
                                let gate = gate::Gate {
                                    inner: inner.clone(),
                                    run_id: run.id,
                                    job_id: run.job_ids[i],
                                    name: plan.jobs[i].name.as_str().into(),
                                    message: message.clone(),
                                    timeout: plan.jobs[i].timeout,
                                    token: token.clone(),
                                };
                                running.spawn(async move { (i, gate.run().await) })
                            }
                            JobKind::Deploy(spec) => {
                                let job = deploy_job(i, spec);
                                running.spawn(async move { (i, job.run().await) })
                            }
                        };
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
