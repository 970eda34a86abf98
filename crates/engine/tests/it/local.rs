//! The local runner with real processes: output, exit codes, process trees,
//! secrets, workspaces and artifacts.

use std::time::{Duration, Instant};

use switchyard_engine::RunOptions;
use switchyard_engine::logs::Stream;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};

use crate::support::{Env, job, log, log_texts, pid_alive, read_pids};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_share_the_workspace_and_output_is_captured_per_stream() {
    let env = Env::new();
    env.pipeline(
        r#"
env: {GREETING: hello}
jobs:
  build:
    env: {WHO: world}
    steps:
      - name: write
        run: echo "$GREETING $WHO" > out.txt; echo to-stderr >&2
      - name: read
        run: cat out.txt; printf 'no newline at end'
      - name: step env
        env: {WHO: step}
        run: echo "$GREETING $WHO $CI $SWITCHYARD_JOB"
"#,
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{:#?}", run);
    let build = job(&run, "build");
    let lines = log(&engine, build).await;
    let texts: Vec<(&str, Option<u32>, Stream)> = lines
        .iter()
        .map(|l| (l.text.as_str(), l.step, l.stream))
        .collect();
    assert!(
        texts.contains(&("to-stderr", Some(0), Stream::Stderr)),
        "{texts:?}"
    );
    assert!(
        texts.contains(&("hello world", Some(1), Stream::Stdout)),
        "{texts:?}"
    );
    assert!(
        texts.contains(&("no newline at end", Some(1), Stream::Stdout)),
        "{texts:?}"
    );
    assert!(
        texts.contains(&("hello step true build", Some(2), Stream::Stdout)),
        "{texts:?}"
    );
    // Line numbers are consecutive and every line has a time from this run.
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l.number, i as i64 + 1);
        assert!(l.ts >= run.summary.created_at && l.ts <= run.summary.finished_at.unwrap());
    }
    // The copy was a private workspace: the project folder is untouched.
    assert!(!env.project.join("out.txt").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_are_recorded_and_stop_the_job() {
    let env = Env::new();
    env.pipeline(
        "jobs:\n  j:\n    steps:\n      - run: 'true'\n      - run: exit 7\n      - run: echo never\n",
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let j = job(&run, "j");
    assert_eq!(j.status, JobStatus::Failed);
    assert_eq!(j.steps[1].exit_code, Some(7));
    assert_eq!(j.steps[2].status, StepStatus::Skipped);
    assert!(!log_texts(&engine, j).await.contains(&"never".to_string()));
    assert_eq!(j.reason.as_deref(), Some("step 2 `exit 7` exited with code 7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_place_runs_in_the_project_folder() {
    let env = Env::new();
    env.pipeline("jobs:\n  j: {steps: [touch made-here]}\n");
    let engine = env.engine().await;
    let run = env
        .run(
            &engine,
            RunOptions {
                in_place: true,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    assert!(env.project.join("made-here").exists());
}

/// Regression: a timed-out step must take its whole process tree with it,
/// including background children and grandchildren, or they would run on
/// after Switchyard reported the job as stopped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeout_kills_the_whole_process_tree() {
    let env = Env::new();
    let pids = env.project.join("pids");
    env.pipeline(&format!(
        r#"
jobs:
  hang:
    timeout: 1s
    steps:
      - run: |
          sleep 300 & echo $! >> {p}
          sh -c 'sleep 300 & echo $! >> {p}; wait' & echo $! >> {p}
          setsid sleep 300 & echo $! >> {p}
          wait
"#,
        p = pids.display()
    ));
    let engine = env.engine().await;
    let started = Instant::now();
    let run = env.run(&engine, RunOptions::default()).await;
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
    let hang = job(&run, "hang");
    assert_eq!(hang.status, JobStatus::TimedOut);
    assert_eq!(hang.steps[0].status, StepStatus::TimedOut);
    let pids = read_pids(&pids);
    assert_eq!(pids.len(), 4, "the script should have started 4 processes");
    // SIGTERM is sent at once; give the processes a moment to go.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pids.iter().any(|&p| pid_alive(p)) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let alive: Vec<i32> = pids.iter().copied().filter(|&p| pid_alive(p)).collect();
    assert!(
        alive.is_empty(),
        "processes left running after the timeout: {alive:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_kills_a_process_that_ignores_sigterm() {
    let env = Env::new();
    let pids = env.project.join("pids");
    env.pipeline(&format!(
        "jobs:\n  stubborn:\n    steps:\n      - run: trap '' TERM; echo $$ > {p}; while true; do sleep 0.1; done\n",
        p = pids.display()
    ));
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    let deadline = Instant::now() + Duration::from_secs(10);
    while read_pids(&pids).is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    engine.cancel(id).await.unwrap();
    let status = tokio::time::timeout(Duration::from_secs(15), handle.wait())
        .await
        .expect("the stubborn step was not killed");
    assert_eq!(status, RunStatus::Cancelled);
    let pid = read_pids(&pids)[0];
    assert!(!pid_alive(pid), "the shell that ignored SIGTERM is still alive");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn background_processes_are_killed_when_the_job_ends() {
    let env = Env::new();
    let pids = env.project.join("pids");
    env.pipeline(&format!(
        "jobs:\n  j:\n    steps:\n      - run: (sleep 300 >/dev/null 2>&1 & echo $! > {p})\n      - run: echo done\n",
        p = pids.display()
    ));
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    let pid = read_pids(&pids)[0];
    let deadline = Instant::now() + Duration::from_secs(3);
    while pid_alive(pid) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!pid_alive(pid), "a background process outlived its job");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_reach_steps_but_never_the_log() {
    let env = Env::new();
    // The value is printed in two writes with a pause between them, so it
    // reaches Switchyard in two separate reads.
    env.pipeline(
        r#"
jobs:
  deploy:
    secrets: [SY_TEST_TOKEN_A]
    steps:
      - run: echo "token is $SY_TEST_TOKEN_A"
      - run: |
          printf 'split: s3cr'; sleep 0.3; printf 'et-v4lue-A end\n'
      - run: echo "$SY_TEST_TOKEN_A" >&2
"#,
    );
    let engine = env
        .engine_with_secrets(&[("SY_TEST_TOKEN_A", "s3cret-v4lue-A")])
        .await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let texts = log_texts(&engine, job(&run, "deploy")).await;
    let all = texts.join("\n");
    assert!(!all.contains("s3cret"), "secret leaked into the log:\n{all}");
    assert!(texts.contains(&"token is ***".to_string()), "{texts:?}");
    assert!(texts.contains(&"split: *** end".to_string()), "{texts:?}");
    assert!(texts.contains(&"***".to_string()), "{texts:?}");
    // Nor is it anywhere in the database file.
    engine.flush().await.unwrap();
    let db = std::fs::read(engine.home().database()).unwrap();
    let wal = std::fs::read(engine.home().database().with_extension("db-wal")).unwrap_or_default();
    let needle = b"s3cret-v4lue-A";
    assert!(!db.windows(needle.len()).any(|w| w == needle));
    assert!(!wal.windows(needle.len()).any(|w| w == needle));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_secret_fails_the_run_before_any_job_starts() {
    let env = Env::new();
    env.pipeline(
        "jobs:\n  build:\n    steps: [touch built]\n  deploy:\n    needs: build\n    secrets: [SY_TEST_NOT_SET_ANYWHERE]\n    steps: [echo hi]\n",
    );
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let err = match engine.start_run(&project, RunOptions::default()).await {
        Err(e) => e,
        Ok(_) => panic!("a run that needs a missing secret started"),
    };
    let message = err.to_string();
    assert!(err.is_input_error(), "{message}");
    for part in [
        "secret `SY_TEST_NOT_SET_ANYWHERE` is not set",
        "SWITCHYARD_SECRET_SY_TEST_NOT_SET_ANYWHERE in the environment",
        "project `",
        "switchyard secrets set SY_TEST_NOT_SET_ANYWHERE --project",
    ] {
        assert!(message.contains(part), "{part:?} not in: {message}");
    }
    // Nothing ran and nothing was recorded.
    assert!(!env.project.join("built").exists());
    assert!(engine.runs(None, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_project_secret_shadows_a_global_one() {
    let env = Env::new();
    env.pipeline(
        "name: shadow\njobs:\n  show:\n    secrets: [SY_TEST_SHADOWED, SY_TEST_GLOBAL_ONLY]\n    steps:\n      - run: printf '%s %s' \"$SY_TEST_SHADOWED\" \"$SY_TEST_GLOBAL_ONLY\" > seen\n",
    );
    let engine = env
        .engine_with_secrets(&[
            ("SY_TEST_SHADOWED", "global-value"),
            ("shadow/SY_TEST_SHADOWED", "project-value"),
            ("SY_TEST_GLOBAL_ONLY", "only-global"),
            ("other/SY_TEST_GLOBAL_ONLY", "another-projects"),
        ])
        .await;
    let run = env
        .run(
            &engine,
            RunOptions {
                in_place: true,
                ..Default::default()
            },
        )
        .await;
    assert_eq!(job(&run, "show").status, JobStatus::Succeeded);
    assert_eq!(
        std::fs::read_to_string(env.project.join("seen")).unwrap(),
        "project-value only-global"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_are_stored_by_content_with_size_and_hash() {
    let env = Env::new();
    env.pipeline(
        r#"
jobs:
  build:
    steps:
      - run: mkdir -p dist/sub && printf 'same' > dist/a.bin && printf 'same' > dist/sub/b.bin && printf 'x' > notes.txt
    artifacts: ["dist/**/*.bin", "missing/*.zip"]
"#,
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let build = job(&run, "build");
    let paths: Vec<(&str, u64)> = build
        .artifacts
        .iter()
        .map(|a| (a.path.as_str(), a.size))
        .collect();
    assert_eq!(paths, vec![("dist/a.bin", 4), ("dist/sub/b.bin", 4)]);
    let sha = "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5";
    assert!(build.artifacts.iter().all(|a| a.sha256 == sha));
    let stored = engine.home().artifacts().join(&sha[..2]).join(sha);
    assert_eq!(std::fs::read(stored).unwrap(), b"same");
    assert_eq!(
        build.warnings,
        vec!["artifact pattern `missing/*.zip` matched no files".to_string()]
    );
    // The run's workspace copy is gone, the artifact stays.
    assert!(
        !engine
            .home()
            .workspaces()
            .join(run.summary.id.to_string())
            .exists()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_working_dir_is_a_clear_step_failure() {
    let env = Env::new();
    env.pipeline("jobs:\n  j:\n    working_dir: nope\n    steps: [pwd]\n");
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let j = job(&run, "j");
    assert_eq!(j.status, JobStatus::Failed);
    assert!(
        j.reason
            .as_deref()
            .unwrap()
            .contains("working_dir `nope` does not exist"),
        "{:?}",
        j.reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubernetes_runner_is_reported_as_not_available_yet() {
    let env = Env::new();
    env.pipeline("jobs:\n  remote:\n    runner: kubernetes:staging\n    steps: [echo hi]\n");
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let remote = job(&run, "remote");
    assert_eq!(remote.status, JobStatus::Failed);
    assert_eq!(remote.attempts, 1);
    assert!(
        remote
            .reason
            .as_deref()
            .unwrap()
            .contains("runner `kubernetes:staging` is not available"),
        "{:?}",
        remote.reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn git_commit_branch_and_dirtiness_are_recorded() {
    let env = Env::new();
    env.pipeline("jobs:\n  j: {steps: ['true']}\n");
    let git = |args: &[&str]| env.git(args);
    git(&["init", "-q", "-b", "trunk"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "first"]);
    let head = git(&["rev-parse", "HEAD"]);
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.commit.as_deref(), Some(head.as_str()));
    assert_eq!(run.summary.branch.as_deref(), Some("trunk"));
    assert_eq!(run.summary.dirty, Some(false));
    env.file("new-file.txt", "uncommitted");
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.dirty, Some(true));
}

/// A queued job says why it waits: for a free slot of its runner, or for
/// the run's own limit; the reason goes once it starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_job_says_why_it_waits() {
    let env = Env::new();
    env.pipeline("jobs:\n  slow: {steps: ['sleep 1']}\n  next: {steps: ['true']}\n");
    let mut config = switchyard_engine::EngineConfig::new(switchyard_engine::Home::at(env.home.clone()));
    config.parallelism = Some(1);
    let engine = switchyard_engine::Engine::open(config).await.unwrap();
    let project = engine.import(&env.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    let mut seen = None;
    for _ in 0..100 {
        let run = engine.run(id).await.unwrap();
        let next = job(&run, "next");
        if next.status == JobStatus::Queued && next.reason.is_some() {
            seen = next.reason.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen.as_deref(),
        Some("waiting for a free local slot: 1 of 1 busy (runners.local.concurrency in config.toml)")
    );
    handle.wait().await;
    engine.flush().await.unwrap();
    let run = engine.run(id).await.unwrap();
    assert_eq!(job(&run, "next").status, JobStatus::Succeeded);
    assert_eq!(job(&run, "next").reason, None);

    // The run's own limit.
    let options = RunOptions {
        parallelism: Some(1),
        ..Default::default()
    };
    let mut config = switchyard_engine::EngineConfig::new(switchyard_engine::Home::at(env.home.clone()));
    config.parallelism = Some(4);
    drop(engine);
    let engine = switchyard_engine::Engine::open(config).await.unwrap();
    let handle = engine.start_run(&project, options).await.unwrap();
    let id = handle.id;
    let mut seen = None;
    for _ in 0..100 {
        let run = engine.run(id).await.unwrap();
        let next = job(&run, "next");
        if next.status == JobStatus::Queued && next.reason.is_some() {
            seen = next.reason.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        seen.as_deref(),
        Some("waiting: this run runs at most 1 job at once (its parallelism); 1 running")
    );
    handle.wait().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_matches_are_counted_and_a_test_has_a_history() {
    let env = Env::new();
    env.pipeline(
        r#"
jobs:
  t:
    steps:
      - run: |
          echo "error one"; echo fine; echo "ERROR two"; echo "an Error three"
          if [ -f pass ]; then s='' ; else s='<failure message="boom"/>'; fi
          printf '<testsuite name="s"><testcase classname="m" name="flaky">%s</testcase><testcase classname="m" name="steady"/></testsuite>' "$s" > r.xml
    reports:
      junit: r.xml
"#,
    );
    let engine = env.engine().await;
    let first = env
        .run(
            &engine,
            RunOptions {
                in_place: true,
                ..Default::default()
            },
        )
        .await;
    std::fs::write(env.project.join("pass"), "").unwrap();
    let second = env
        .run(
            &engine,
            RunOptions {
                in_place: true,
                ..Default::default()
            },
        )
        .await;
    let job_id = job(&second, "t").id;
    let count = engine.count_log_matches(job_id, "error", 1).await.unwrap();
    assert_eq!((count.total, count.position), (3, 1));
    let count = engine.count_log_matches(job_id, "error", 4).await.unwrap();
    assert_eq!((count.total, count.position), (3, 3));
    assert_eq!(engine.count_log_matches(job_id, "", 4).await.unwrap().total, 0);

    let history = engine
        .test_history(job_id, Some("m".into()), "flaky".into(), 10)
        .await
        .unwrap();
    let seen: Vec<(i64, &str)> = history.iter().map(|h| (h.run_id, h.status.as_str())).collect();
    assert_eq!(
        seen,
        [(second.summary.id, "passed"), (first.summary.id, "failed")]
    );
    assert!(
        engine
            .test_history(job_id, None, "flaky".into(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}
