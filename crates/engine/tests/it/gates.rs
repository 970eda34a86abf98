//! Approval jobs: gates that wait for a person, decided from this process
//! or another one.

use std::time::Duration;

use switchyard_engine::events::Event;
use switchyard_engine::status::{JobStatus, RunStatus};
use switchyard_engine::{EngineError, RunOptions};

use crate::support::{Env, job};

const PIPELINE: &str = "jobs:\n  build: {steps: [{run: 'echo built'}]}\n  gate:\n    needs: build\n    approval: {message: 'Ship it?'}\n  ship: {needs: gate, steps: [{run: 'echo shipped'}]}\n";

/// Waits until the job named `name` is waiting, from the events.
async fn until_waiting(rx: &mut tokio::sync::broadcast::Receiver<Event>, name: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        match tokio::time::timeout_at(deadline, rx.recv())
            .await
            .expect("the gate never waited")
        {
            Ok(Event::Job {
                job,
                status: JobStatus::Waiting,
                reason,
                ..
            }) if &*job == name => {
                assert_eq!(reason.as_deref(), Some("Ship it?"));
                return;
            }
            Ok(_) => {}
            Err(e) => panic!("events: {e}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_from_another_process_lets_the_run_go_on() {
    let env = Env::new();
    env.pipeline(PIPELINE);
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let mut rx = engine.subscribe();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    until_waiting(&mut rx, "gate").await;
    // Waiting is not an end: the run is still going, the next job queued.
    let run = engine.run(id).await.unwrap();
    assert_eq!(run.summary.status, RunStatus::Running);
    assert_eq!(job(&run, "ship").status, JobStatus::Queued);
    // Deciding on a job that is not a waiting gate says why.
    let other = env.engine().await;
    let e = other.decide(id, "ship", true, None, "cli").await.unwrap_err();
    assert!(matches!(e, EngineError::NotWaiting { .. }), "{e}");
    assert!(e.to_string().contains("is not an approval job"), "{e}");
    let e = other.decide(id, "nope", true, None, "cli").await.unwrap_err();
    assert!(matches!(e, EngineError::UnknownJob(_)), "{e}");
    assert!(
        e.to_string().contains("the approval jobs of run 1 are: gate"),
        "{e}"
    );

    let d = other
        .decide(id, "gate", true, Some("  looks good ".into()), "cli")
        .await
        .unwrap();
    assert!(d.by.ends_with("(cli)"), "{d:?}");
    let status = tokio::time::timeout(Duration::from_secs(10), handle.wait())
        .await
        .unwrap();
    assert_eq!(status, RunStatus::Succeeded);
    let run = engine.run(id).await.unwrap();
    let gate = job(&run, "gate");
    assert_eq!(gate.status, JobStatus::Succeeded);
    let reason = gate.reason.as_deref().unwrap_or_default();
    assert!(
        reason.starts_with("approved by ") && reason.ends_with("(cli): looks good"),
        "{reason}"
    );
    assert_eq!(
        gate.decision.as_ref().map(|d| d.comment.as_deref()),
        Some(Some("looks good"))
    );
    assert_eq!(job(&run, "ship").status, JobStatus::Succeeded);
    // Decided once: a second decision is refused.
    let e = other.decide(id, "gate", false, None, "cli").await.unwrap_err();
    assert!(e.to_string().contains("has already ended (succeeded)"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_fails_the_gate_and_skips_what_needs_it() {
    let env = Env::new();
    env.pipeline(PIPELINE);
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let mut rx = engine.subscribe();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    until_waiting(&mut rx, "gate").await;
    engine
        .decide(
            handle.id,
            "gate",
            false,
            Some("not on a Friday".into()),
            "desktop",
        )
        .await
        .unwrap();
    let id = handle.id;
    assert_eq!(handle.wait().await, RunStatus::Failed);
    let run = engine.run(id).await.unwrap();
    let gate = job(&run, "gate");
    assert_eq!(gate.status, JobStatus::Failed);
    assert!(
        gate.reason
            .as_deref()
            .unwrap_or_default()
            .ends_with("(desktop): not on a Friday"),
        "{gate:#?}"
    );
    assert_eq!(job(&run, "ship").status, JobStatus::Skipped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_nobody_decides_times_out_and_cancel_ends_a_waiting_gate() {
    let env = Env::new();
    env.pipeline("jobs:\n  gate: {timeout: 1s, approval: {message: 'Ship it?'}}\n");
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let gate = job(&run, "gate");
    assert_eq!(gate.status, JobStatus::TimedOut);
    assert!(
        gate.reason
            .as_deref()
            .unwrap_or_default()
            .contains("within its timeout of 1s"),
        "{gate:#?}"
    );

    env.pipeline(PIPELINE);
    let project = engine.import(&env.project, None).await.unwrap();
    let mut rx = engine.subscribe();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    until_waiting(&mut rx, "gate").await;
    let id = handle.id;
    engine.cancel(id).await.unwrap();
    assert_eq!(
        tokio::time::timeout(Duration::from_secs(10), handle.wait())
            .await
            .unwrap(),
        RunStatus::Cancelled
    );
    let run = engine.run(id).await.unwrap();
    assert_eq!(job(&run, "gate").status, JobStatus::Cancelled);
}
