//! The history: interrupted runs, concurrent readers, paging.

use std::sync::Arc;

use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};
use switchyard_engine::store::{NewJob, NewRun};
use switchyard_engine::{CancelOutcome, RunOptions};

use crate::fake::{FakeProvider, FakeRunner};
use crate::support::Env;

/// A run left `running` by a Switchyard that is gone (no live lock) is found
/// and marked interrupted on the next start, jobs and steps included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_of_a_dead_engine_are_marked_interrupted_on_start() {
    let env = Env::new();
    env.pipeline("jobs:\n  a: {steps: [x]}\n");
    let run_id;
    {
        let engine = env.engine().await;
        let project = engine.import(&env.project, None).await.unwrap();
        let store = engine.store();
        let (id, jobs) = store
            .create_run(NewRun {
                project_id: project.id,
                commit: None,
                branch: None,
                dirty: None,
                in_place: false,
                owner: "12345-gone".into(),
                jobs: vec![NewJob {
                    name: "a".into(),
                    runner: "local".into(),
                    needs: vec![],
                }],
            })
            .await
            .unwrap();
        store.run_started(id, 1).await;
        store.steps_planned(jobs[0], 1, vec!["x".into()]).await;
        store.flush().await.unwrap();
        run_id = id;
        // Still running as far as the database knows.
        assert_eq!(engine.run(id).unwrap().summary.status, RunStatus::Running);
    }
    let engine = env.engine().await;
    let run = engine.run(run_id).unwrap();
    assert_eq!(run.summary.status, RunStatus::Interrupted);
    assert_eq!(
        run.error.as_deref(),
        Some("Switchyard stopped while the run was going")
    );
    assert_eq!(run.jobs[0].status, JobStatus::Interrupted);
    assert!(run.summary.finished_at.is_some());
}

/// A second engine on the same data dir (a second CLI process) must not
/// mark the first one's live run interrupted, and can cancel it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_engine_leaves_live_runs_alone_and_can_cancel_them() {
    let env = Env::new();
    env.pipeline("jobs:\n  long: {steps: [sleep 30000]}\n");
    let fake = FakeRunner::default();
    let first = env.engine_with(Arc::new(FakeProvider(fake.clone())), 2).await;
    let project = first.import(&env.project, None).await.unwrap();
    let handle = first.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let second = env.engine().await;
    assert_eq!(second.run(id).unwrap().summary.status, RunStatus::Running);
    assert_eq!(second.cancel(id).await.unwrap(), CancelOutcome::Requested);
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), handle.wait())
        .await
        .expect("the request to cancel did not reach the running engine");
    assert_eq!(status, RunStatus::Cancelled);
    assert_eq!(second.run(id).unwrap().summary.status, RunStatus::Cancelled);
    assert_eq!(
        second.run(id).unwrap().jobs[0].steps[0].status,
        StepStatus::Cancelled
    );
    fake.assert_contract();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_are_listed_newest_first_per_project() {
    let env = Env::new();
    env.pipeline("name: alpha\njobs:\n  a: {steps: ['true']}\n");
    let engine = env.engine().await;
    for _ in 0..3 {
        env.run(&engine, RunOptions::default()).await;
    }
    let runs = engine.runs(Some("alpha"), 2).unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].id > runs[1].id);
    assert!(
        runs.iter()
            .all(|r| r.project == "alpha" && r.status == RunStatus::Succeeded)
    );
    let err = engine.runs(Some("alpah"), 2).unwrap_err();
    assert_eq!(err.to_string(), "no project named `alpah`; did you mean `alpha`?");
}
