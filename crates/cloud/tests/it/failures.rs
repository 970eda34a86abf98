//! Jobs that do not run to the end: pods that cannot be scheduled,
//! cancellation, timeouts.

use std::time::{Duration, Instant};

use switchyard_engine::RunOptions;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(90);

/// A pod the scheduler cannot place fails the job, at its timeout, with the
/// scheduler's reason taken from the pod's conditions; nothing is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unschedulable_pod_is_reported_with_its_reason() {
    let t = TestEnv::new("unsched").await;
    t.pipeline(
        r#"
jobs:
  gpu:
    runner: kubernetes:it
    image: busybox:1.37
    timeout: 6s
    node_selector: {switchyard.dev/pool: does-not-exist}
    steps: [echo never]
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert_eq!(run.summary.status, RunStatus::Failed, "{run:#?}");
    let job = job(&run, "gpu");
    assert_eq!(job.status, JobStatus::TimedOut, "{job:#?}");
    let reason = job.reason.clone().unwrap_or_default();
    assert!(reason.contains("Unschedulable"), "{reason}");
    assert!(
        reason.contains("node(s) didn't match"),
        "the scheduler's own words: {reason}"
    );
    assert_eq!(job.steps[0].status, StepStatus::Skipped);
    let texts = log_texts(&engine, job).await;
    assert!(
        texts.iter().any(|l| l.contains("is Pending: Unschedulable")),
        "the reason is in the log while the pod waits: {texts:#?}"
    );
    t.assert_no_pods_left().await;
}

/// Without a job timeout the runner's own pending limit fails the job, with
/// the same reason.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pod_pending_past_the_runners_limit_fails_with_the_reason() {
    let t = TestEnv::new("pending").await;
    t.pipeline(
        r#"
jobs:
  big:
    runner: kubernetes:it
    image: busybox:1.37
    resources:
      requests: {cpu: "500", memory: 64Gi}
    steps: [echo never]
"#,
    );
    let mut settings = t.settings();
    settings.pending_timeout = Duration::from_secs(4);
    let (engine, _) = t.engine(settings, &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    let job = job(&run, "big");
    assert_eq!(job.status, JobStatus::Failed, "{job:#?}");
    let reason = job.reason.clone().unwrap_or_default();
    assert!(reason.contains("stayed Pending"), "{reason}");
    assert!(reason.contains("Insufficient cpu"), "{reason}");
    t.assert_no_pods_left().await;
}

/// Cancelling a run stops the running step in the pod and deletes the pod
/// at once; no artifacts are copied.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_the_step_and_deletes_the_pod() {
    let t = TestEnv::new("cancel").await;
    t.pipeline(
        r#"
jobs:
  long:
    runner: kubernetes:it
    image: busybox:1.37
    secrets: [TOKEN]
    steps:
      - echo started; sleep 300; echo finished
      - echo never
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[("TOKEN", "x-token-x")]).await;
    let project = engine.import(&t.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    wait_for_line(&engine, id, "long", "started", LIMIT).await;
    let asked = Instant::now();
    engine.cancel(id).await.unwrap();
    let status = tokio::time::timeout(LIMIT, handle.wait()).await.unwrap();
    let took = asked.elapsed();
    assert_eq!(status, RunStatus::Cancelled);
    assert!(took < Duration::from_secs(15), "cancelling took {took:?}");
    engine.flush().await.unwrap();
    let run = engine.run(id).await.unwrap();
    let job = job(&run, "long");
    assert_eq!(job.status, JobStatus::Cancelled, "{job:#?}");
    assert_eq!(job.steps[0].status, StepStatus::Cancelled);
    assert!(!log_texts(&engine, job).await.contains(&"finished".to_string()));
    t.assert_no_pods_left().await;
    assert!(t.secrets().await.is_empty(), "the Secret went with the pod");
}

/// A step that passes its timeout is killed in the pod; the job times out,
/// and the artifacts made so far are still copied back before the pod goes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_timeout_kills_the_step_and_keeps_artifacts() {
    let t = TestEnv::new("timeout").await;
    t.pipeline(
        r#"
jobs:
  slow:
    runner: kubernetes:it
    image: busybox:1.37
    artifacts: [out/*]
    steps:
      - mkdir -p out && echo partial > out/result.txt
      - run: echo sleeping; sleep 300
        timeout: 3s
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let started = Instant::now();
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    let job = job(&run, "slow");
    assert_eq!(job.status, JobStatus::TimedOut, "{job:#?}");
    assert_eq!(job.steps[1].status, StepStatus::TimedOut);
    assert!(
        job.reason.as_deref().unwrap_or("").contains("timed out"),
        "{:?}",
        job.reason
    );
    let arts: Vec<&str> = job.artifacts.iter().map(|a| a.path.as_str()).collect();
    assert_eq!(arts, ["out/result.txt"], "{job:#?}");
    t.assert_no_pods_left().await;
}
