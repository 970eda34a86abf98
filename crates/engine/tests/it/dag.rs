//! The scheduler: parallelism, skipping, conditions, retries, cancellation,
//! all against the fake runner so timings are ours to choose.

use std::sync::Arc;
use std::time::Duration;

use switchyard_engine::RunOptions;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};

use crate::fake::{FakeProvider, FakeRunner};
use crate::support::{Env, job};

async fn fake_env(yaml: &str, parallelism: usize) -> (Env, FakeRunner, switchyard_engine::Engine) {
    let env = Env::new();
    env.pipeline(yaml);
    let fake = FakeRunner::default();
    let engine = env
        .engine_with(Arc::new(FakeProvider(fake.clone())), parallelism)
        .await;
    (env, fake, engine)
}

fn overlaps(
    a: &[(std::time::Instant, std::time::Instant)],
    b: &[(std::time::Instant, std::time::Instant)],
) -> bool {
    a.iter()
        .any(|&(s1, e1)| b.iter().any(|&(s2, e2)| s1 < e2 && s2 < e1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn independent_jobs_run_in_parallel_up_to_the_limit() {
    let yaml = "jobs:\n  a: {steps: [sleep 300]}\n  b: {steps: [sleep 300]}\n  c: {steps: [sleep 300]}\n";
    let (env, fake, engine) = fake_env(yaml, 2).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    assert_eq!(fake.max_running(), 2, "two slots: exactly two jobs at once");
    assert!(
        overlaps(&fake.spans("a"), &fake.spans("b")),
        "a and b should overlap"
    );
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallelism_of_one_runs_jobs_one_after_another() {
    let yaml = "jobs:\n  a: {steps: [sleep 150]}\n  b: {steps: [sleep 150]}\n";
    let (env, fake, engine) = fake_env(yaml, 1).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    assert_eq!(fake.max_running(), 1);
    assert!(!overlaps(&fake.spans("a"), &fake.spans("b")));
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn needs_wait_for_their_jobs() {
    let yaml = "jobs:\n  build: {steps: [sleep 200]}\n  test: {needs: build, steps: [ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    env.run(&engine, RunOptions::default()).await;
    let build_end = fake.spans("build")[0].1;
    let test_start = fake.spans("test")[0].0;
    assert!(test_start >= build_end, "test started before build ended");
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dependents_of_a_failed_job_are_skipped_with_a_reason() {
    let yaml = "\
jobs:
  build: {steps: [ok, exit 3, ok]}
  test: {needs: build, steps: [ok]}
  deploy: {needs: test, steps: [ok]}
  lint: {steps: [ok]}
";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Failed);
    let build = job(&run, "build");
    assert_eq!(build.status, JobStatus::Failed);
    assert_eq!(
        build.reason.as_deref(),
        Some("step 2 `exit 3` exited with code 3")
    );
    let steps: Vec<(StepStatus, Option<i32>)> = build.steps.iter().map(|s| (s.status, s.exit_code)).collect();
    assert_eq!(
        steps,
        vec![
            (StepStatus::Succeeded, Some(0)),
            (StepStatus::Failed, Some(3)),
            (StepStatus::Skipped, None)
        ]
    );
    assert_eq!(job(&run, "test").status, JobStatus::Skipped);
    assert_eq!(job(&run, "test").reason.as_deref(), Some("`build` failed"));
    assert_eq!(job(&run, "deploy").status, JobStatus::Skipped);
    assert_eq!(job(&run, "deploy").reason.as_deref(), Some("`test` was skipped"));
    assert_eq!(job(&run, "lint").status, JobStatus::Succeeded);
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_failure_and_if_always_follow_what_happened() {
    let yaml = "\
jobs:
  build: {steps: [exit 1]}
  test: {needs: build, steps: [ok]}
  report-failure: {needs: test, if: failure, steps: [ok]}
  cleanup: {needs: test, if: always, steps: [ok]}
";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(
        run.summary.status,
        RunStatus::Failed,
        "a cleanup job succeeding does not make the run succeed"
    );
    assert_eq!(
        job(&run, "report-failure").status,
        JobStatus::Succeeded,
        "build failed upstream"
    );
    assert_eq!(job(&run, "cleanup").status, JobStatus::Succeeded);

    // When nothing fails, the failure handler is skipped.
    env.pipeline("jobs:\n  build: {steps: [ok]}\n  on-fail: {needs: build, if: failure, steps: [ok]}\n");
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    assert_eq!(job(&run, "on-fail").status, JobStatus::Skipped);
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_tries_again_until_it_succeeds() {
    let yaml = "jobs:\n  flaky: {retry: 2, steps: [fail-first 2]}\n  hopeless: {retry: 1, steps: [exit 4]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env.run(&engine, RunOptions::default()).await;
    let flaky = job(&run, "flaky");
    assert_eq!(flaky.status, JobStatus::Succeeded);
    assert_eq!(flaky.attempts, 3);
    assert_eq!(
        flaky.steps[0].status,
        StepStatus::Succeeded,
        "steps shown are the last attempt's"
    );
    let hopeless = job(&run, "hopeless");
    assert_eq!(hopeless.status, JobStatus::Failed);
    assert_eq!(hopeless.attempts, 2);
    let log = crate::support::log_texts(&engine, hopeless).await;
    assert!(
        log.iter()
            .any(|l| l.contains("attempt 1 of 2 failed") && l.contains("trying again")),
        "{log:?}"
    );
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_timeout_stops_it_and_counts_as_failure() {
    let yaml =
        "jobs:\n  slow: {timeout: 300ms, steps: [sleep 10000, ok]}\n  after: {needs: slow, steps: [ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let started = std::time::Instant::now();
    let run = env.run(&engine, RunOptions::default()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the timeout did not stop the step"
    );
    let slow = job(&run, "slow");
    assert_eq!(slow.status, JobStatus::TimedOut);
    assert_eq!(slow.steps[0].status, StepStatus::TimedOut);
    assert_eq!(slow.steps[1].status, StepStatus::Skipped);
    assert!(
        slow.reason.as_deref().unwrap().contains("timeout of 300ms"),
        "{:?}",
        slow.reason
    );
    assert_eq!(job(&run, "after").status, JobStatus::Skipped);
    assert_eq!(job(&run, "after").reason.as_deref(), Some("`slow` timed out"));
    assert_eq!(run.summary.status, RunStatus::Failed);
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_running_jobs_and_queued_ones_never_start() {
    let yaml = "jobs:\n  long: {steps: [sleep 20000]}\n  next: {needs: long, steps: [ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let project = engine.import(&env.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        engine.cancel(id).await.unwrap(),
        switchyard_engine::CancelOutcome::Cancelling
    );
    let status = tokio::time::timeout(Duration::from_secs(5), handle.wait())
        .await
        .expect("cancel did not stop the run");
    assert_eq!(status, RunStatus::Cancelled);
    engine.flush().await.unwrap();
    let run = engine.run(id).await.unwrap();
    assert_eq!(run.summary.status, RunStatus::Cancelled);
    assert_eq!(job(&run, "long").status, JobStatus::Cancelled);
    assert_eq!(job(&run, "long").steps[0].status, StepStatus::Cancelled);
    assert_eq!(job(&run, "next").status, JobStatus::Cancelled);
    assert!(
        fake.spans("next").is_empty(),
        "a job after the cancel must not start"
    );
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selecting_a_job_runs_it_and_what_it_needs() {
    let yaml = "jobs:\n  a: {steps: [ok]}\n  b: {needs: a, steps: [ok]}\n  c: {steps: [ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env
        .run(
            &engine,
            RunOptions {
                jobs: vec!["b".into()],
                ..Default::default()
            },
        )
        .await;
    let names: Vec<&str> = run.jobs.iter().map(|j| j.name.as_str()).collect();
    assert_eq!(names, vec!["a", "b"]);
    let project = engine.project("project").await.unwrap();
    let err = engine
        .start_run(
            &project,
            RunOptions {
                jobs: vec!["bb".into()],
                ..Default::default()
            },
        )
        .await
        .err()
        .unwrap();
    assert_eq!(
        err.to_string(),
        "no job named `bb` in the pipeline; did you mean `b`?"
    );
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_announce_every_state_change_in_order() {
    let yaml = "jobs:\n  a: {steps: [say hello, ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let mut rx = engine.subscribe();
    let run = env.run(&engine, RunOptions::default()).await;
    let mut seen = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        use switchyard_engine::events::Event;
        seen.push(match ev {
            Event::Run { status, .. } => format!("run {status}"),
            Event::Job { job, status, .. } => format!("job {job} {status}"),
            Event::Step { step, status, .. } => format!("step {step} {status}"),
            Event::Log { chunk, .. } => format!("log {} lines", chunk.line_count),
            // Not about the run's states.
            Event::Project { .. }
            | Event::CancelRequested { .. }
            | Event::Decided { .. }
            | Event::ConfigChanged
            | Event::Alerts { .. } => continue,
        });
    }
    assert_eq!(
        seen,
        vec![
            "run queued",
            "run running",
            "job a running",
            "step 0 running",
            "log 1 lines",
            "step 0 succeeded",
            "step 1 running",
            "step 1 succeeded",
            "job a succeeded",
            "run succeeded"
        ]
    );
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    fake.assert_contract();
}

/// Regression: every failure of the engine to prepare a job was retried
/// as if it might pass (an invalid image name, a refused credential). A
/// permanent failure ends the job at once; a transient one uses `retry:`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_only_tries_again_what_may_pass() {
    let yaml = "jobs:\n  bad: {retry: 3, env: {FAKE_PREPARE: permanent}, steps: [ok]}\n  flaky: {retry: 2, env: {FAKE_PREPARE: transient}, steps: [ok]}\n  steps: {retry: 2, steps: [exit 1]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env.run(&engine, RunOptions::default()).await;
    let bad = job(&run, "bad");
    assert_eq!(bad.status, JobStatus::Failed);
    assert_eq!(bad.attempts, 1, "{bad:#?}");
    assert!(
        bad.reason
            .as_deref()
            .unwrap_or_default()
            .contains("the image name is not valid"),
        "{bad:#?}"
    );
    let flaky = job(&run, "flaky");
    assert_eq!(flaky.attempts, 3, "{flaky:#?}");
    // A step that exits non-zero is the user's to retry.
    assert_eq!(job(&run, "steps").attempts, 3);
    fake.assert_contract();
}

/// Regression: a runner's progress notes went through an unbounded
/// channel, so a runner that noted faster than the log took them grew the
/// engine's memory without limit. The queue is bounded; a flood is cut.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_runner_notes_is_bounded() {
    let yaml = "jobs:\n  chatty: {env: {FAKE_NOTES: '100000'}, steps: [ok]}\n";
    let (env, fake, engine) = fake_env(yaml, 4).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    let texts = crate::support::log_texts(&engine, job(&run, "chatty")).await;
    let notes = texts.iter().filter(|t| t.starts_with("note ")).count();
    assert!(notes > 0 && notes <= 1000, "{notes} notes were queued");
    fake.assert_contract();
}
