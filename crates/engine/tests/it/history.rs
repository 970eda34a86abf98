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
                    kind: "steps".into(),
                    prompt: None,
                    needs: vec![],
                }],
                trigger: "cli".into(),
                selection: vec![],
                rerun_of: None,
            })
            .await
            .unwrap();
        store.run_started(id, 1).await;
        store.steps_planned(jobs[0], 1, vec!["x".into()]).await;
        store.flush().await.unwrap();
        run_id = id;
        // Still running as far as the database knows.
        assert_eq!(engine.run(id).await.unwrap().summary.status, RunStatus::Running);
    }
    let engine = env.engine().await;
    let run = engine.run(run_id).await.unwrap();
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
    assert_eq!(second.run(id).await.unwrap().summary.status, RunStatus::Running);
    assert_eq!(second.cancel(id).await.unwrap(), CancelOutcome::Requested);
    let status = tokio::time::timeout(std::time::Duration::from_secs(5), handle.wait())
        .await
        .expect("the request to cancel did not reach the running engine");
    assert_eq!(status, RunStatus::Cancelled);
    assert_eq!(second.run(id).await.unwrap().summary.status, RunStatus::Cancelled);
    assert_eq!(
        second.run(id).await.unwrap().jobs[0].steps[0].status,
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
    let runs = engine.runs(Some("alpha"), 2).await.unwrap();
    assert_eq!(runs.len(), 2);
    assert!(runs[0].id > runs[1].id);
    assert!(
        runs.iter()
            .all(|r| r.project == "alpha" && r.status == RunStatus::Succeeded)
    );
    let err = engine.runs(Some("alpah"), 2).await.unwrap_err();
    assert_eq!(err.to_string(), "no project named `alpah`; did you mean `alpha`?");
}

/// Any window of a long log reads only the chunks it needs, and search finds
/// lines forwards and backwards from a position.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_windows_and_search_on_a_long_log() {
    let env = Env::new();
    env.pipeline(
        "jobs:\n  print:\n    steps:\n      - run: |\n          i=1; while [ $i -le 20000 ]; do echo \"line $i\"; i=$((i+1)); done; echo 'NEEDLE here'; echo done\n",
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let job = &run.jobs[0];
    let store = engine.store();
    let page = switchyard_engine::logs::page(store, job.id, 15_000, 3)
        .await
        .unwrap();
    assert_eq!(page.total, 20_002);
    let texts: Vec<&str> = page.lines.iter().map(|l| l.text.as_str()).collect();
    assert_eq!(texts, vec!["line 15000", "line 15001", "line 15002"]);
    assert_eq!(page.lines[0].number, 15_000);
    // Past the end: only what exists.
    let tail = switchyard_engine::logs::page(store, job.id, 20_001, 100)
        .await
        .unwrap();
    assert_eq!(tail.lines.len(), 2);
    // Search, case-insensitive, forwards and backwards.
    use switchyard_engine::logs::search;
    assert_eq!(
        search(store, job.id, "needle", 0, false).await.unwrap(),
        Some(20_001)
    );
    assert_eq!(
        search(store, job.id, "line 123", 0, false).await.unwrap(),
        Some(123)
    );
    assert_eq!(
        search(store, job.id, "line 123", 123, false).await.unwrap(),
        Some(1230)
    );
    assert_eq!(
        search(store, job.id, "line 1999", 20_000, true).await.unwrap(),
        Some(19_999)
    );
    assert_eq!(search(store, job.id, "absent", 0, false).await.unwrap(), None);
}

/// The log viewer folds each step's lines and can show only the lines
/// holding a text: sections follow the steps (Switchyard's own messages
/// between them are sections of their own), and a filter gives the numbers
/// of the matching lines across the whole log, ignoring case.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_sections_follow_the_steps_and_a_filter_lists_matching_lines() {
    let env = Env::new();
    env.pipeline(
        "jobs:\n  build:\n    steps:\n      - name: fetch\n        run: |\n          echo one; echo Warning: two\n      - name: compile\n        run: |\n          i=1; while [ $i -le 3000 ]; do echo \"unit $i\"; i=$((i+1)); done; echo 'WARNING: three'\n",
    );
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let job = &run.jobs[0];
    let all = switchyard_engine::logs::all_lines(engine.store(), job.id)
        .await
        .unwrap();
    let sections = engine.log_sections(job.id, 1).await.unwrap();
    // Contiguous, in order, covering every line once.
    assert_eq!(sections.first().unwrap().first, 1);
    assert_eq!(sections.last().unwrap().last, all.len() as i64);
    for pair in sections.windows(2) {
        assert_eq!(pair[0].last + 1, pair[1].first, "{sections:?}");
    }
    // Each step's lines are one section holding exactly that step's lines.
    for step in [0u32, 1] {
        let of_step: Vec<_> = sections.iter().filter(|s| s.step == Some(step)).collect();
        assert_eq!(of_step.len(), 1, "step {step}: {sections:?}");
        let s = of_step[0];
        assert!(
            all[(s.first - 1) as usize..s.last as usize]
                .iter()
                .all(|l| l.step == Some(step))
        );
    }
    let compile = sections.iter().find(|s| s.step == Some(1)).unwrap();
    assert!(compile.last - compile.first + 1 >= 3001, "{compile:?}");
    // Asked from a line inside step 2 (as a live viewer asks from the last
    // line it knew): the sections from there on, the first cut at that line.
    let mid = compile.first + 1000;
    let rest = engine.log_sections(job.id, mid).await.unwrap();
    assert_eq!(rest[0].step, Some(1));
    assert_eq!((rest[0].first, rest[0].last), (mid, compile.last));
    let after = sections.iter().position(|s| s == compile).unwrap() + 1;
    assert_eq!(rest[1..], sections[after..]);
    assert!(
        engine
            .log_sections(job.id, all.len() as i64 + 1)
            .await
            .unwrap()
            .is_empty()
    );

    let filtered = engine.filter_log(job.id, "warning").await.unwrap();
    assert_eq!(filtered.total, 2);
    let texts: Vec<&str> = filtered
        .lines
        .iter()
        .map(|n| all[(*n - 1) as usize].text.as_str())
        .collect();
    assert_eq!(texts, vec!["Warning: two", "WARNING: three"]);
    assert_eq!(engine.filter_log(job.id, "").await.unwrap().total, 0);
    let units = engine.filter_log(job.id, "unit ").await.unwrap();
    assert_eq!((units.total, units.lines.len()), (3000, 3000));
    assert!(units.lines.windows(2).all(|w| w[0] < w[1]));
}

/// A filter matching more lines than it returns gives the first ones and
/// the true total, so the viewer can say "the first 100,000 of 100,010".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_filter_is_capped_and_counts_every_match() {
    use switchyard_engine::logs::MAX_FILTERED_LINES;
    let env = Env::new();
    let n = MAX_FILTERED_LINES + 10;
    // Line 1 "first", then "row 1" .. "row N".
    env.pipeline(&format!(
        "jobs:\n  many:\n    steps: [\"echo first; seq -f 'row %.0f' 1 {n}\"]\n"
    ));
    let engine = env.engine().await;
    let run = env.run(&engine, RunOptions::default()).await;
    let job = run.jobs[0].id;
    let filtered = engine.filter_log(job, "ROW").await.unwrap();
    assert_eq!(filtered.total, n as u64);
    assert_eq!(filtered.lines.len(), MAX_FILTERED_LINES);
    assert_eq!(filtered.lines[0], 2);
    assert_eq!(*filtered.lines.last().unwrap(), MAX_FILTERED_LINES as i64 + 1);
    assert!(filtered.lines.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_filters_failing_branches_and_fixed_detection() {
    let env = Env::new();
    let git = |args: &[&str]| env.git(args);
    env.pipeline("name: shop\njobs:\n  a: {steps: ['test -f ok']}\n");
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "init"]);
    let engine = env.engine().await;
    let failed = env.run(&engine, RunOptions::default()).await;
    assert_eq!(failed.summary.status, RunStatus::Failed);
    let store = engine.store();
    assert_eq!(
        store.failing_branches(&["main"]).await.unwrap()[0].id,
        failed.summary.id
    );
    env.file("ok", "");
    git(&["add", "ok"]);
    git(&["commit", "-q", "-m", "fix"]);
    let fixed = env.run(&engine, RunOptions::default()).await;
    assert_eq!(fixed.summary.status, RunStatus::Succeeded);
    assert_eq!(
        store.previous_outcome(fixed.summary.id).await.unwrap(),
        Some(RunStatus::Failed)
    );
    assert_eq!(store.previous_outcome(failed.summary.id).await.unwrap(), None);
    assert!(store.failing_branches(&["main"]).await.unwrap().is_empty());

    use switchyard_engine::store::RunFilter;
    let only_failed = store
        .runs_filtered(&RunFilter {
            status: Some(RunStatus::Failed),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(only_failed.len(), 1);
    let on_main = store
        .runs_filtered(&RunFilter {
            branch: Some("main".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(on_main[0].id, fixed.summary.id);
    let older = store
        .runs_filtered(&RunFilter {
            before: Some(fixed.summary.id),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        older.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![failed.summary.id]
    );
    assert_eq!(
        store
            .branches(store.project_by_name("shop").await.unwrap().unwrap().id)
            .await
            .unwrap(),
        vec!["main"]
    );

    // Regression: a run of uncommitted changes that fail counted as "main
    // failing". It is not the branch's code: main stays as its last clean run.
    std::fs::remove_file(env.project.join("ok")).unwrap();
    let dirty = env.run(&engine, RunOptions::default()).await;
    assert_eq!(
        (dirty.summary.status, dirty.summary.dirty),
        (RunStatus::Failed, Some(true))
    );
    assert!(store.failing_branches(&["main"]).await.unwrap().is_empty());
    assert!(
        store
            .failing_projects(&["main".to_string()])
            .await
            .unwrap()
            .is_empty()
    );
    git(&["checkout", "-q", "--", "ok"]);
}

/// The pipeline editor: the text is read with a version, checked as typed
/// (problems with line and column, nothing written), saved only when it
/// loads and only over the version read, and a save is announced.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_pipeline_editor_checks_and_saves_only_a_valid_text_over_the_version_read() {
    use switchyard_engine::EngineError;
    use switchyard_engine::views::PipelineState;
    let env = Env::new();
    env.pipeline("name: edited\njobs:\n  a: {steps: ['echo a']}\n");
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let file = env.project.join("switchyard.yaml");
    let opened = engine.pipeline_file(&project.name).await.unwrap();
    assert_eq!(opened.text, "name: edited\njobs:\n  a: {steps: ['echo a']}\n");
    assert_eq!(opened.pipeline.state, PipelineState::Valid);
    assert_eq!(opened.version.len(), 64);

    // Checking never writes; problems point at the line.
    let broken = "name: edited\njobs:\n  a: {steps: ['echo a']}\n  b: {needs: [zz], steps: ['echo b']}\n";
    let checked = engine.check_pipeline(&project.name, broken.into()).await.unwrap();
    assert_eq!(checked.state, PipelineState::Invalid);
    assert_eq!(checked.diagnostics[0].line, 4, "{checked:?}");
    assert!(checked.diagnostics[0].message.contains("zz"), "{checked:?}");
    let err = engine
        .save_pipeline(&project.name, broken.into(), opened.version.clone())
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::Pipeline(_)), "{err}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), opened.text);

    // A valid text is saved, and the project's views hear of it.
    let mut events = engine.subscribe();
    let good = "name: edited\njobs:\n  a: {steps: ['echo a']}\n  b: {needs: [a], steps: ['echo b']}\n";
    let saved = engine
        .save_pipeline(&project.name, good.into(), opened.version.clone())
        .await
        .unwrap();
    assert_eq!(std::fs::read_to_string(&file).unwrap(), good);
    assert_ne!(saved.version, opened.version);
    assert_eq!(saved.pipeline.plan.len(), 2);
    let announced = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            if let switchyard_engine::events::Event::Project { name } = events.recv().await.unwrap() {
                return name;
            }
        }
    })
    .await
    .expect("the save is announced");
    assert_eq!(&*announced, "edited");
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(&env.project)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["switchyard.yaml"]);

    // Changed on disk meanwhile (another editor): refused, the file kept.
    std::fs::write(&file, "name: edited\njobs:\n  c: {steps: ['echo c']}\n").unwrap();
    let err = engine
        .save_pipeline(&project.name, good.into(), saved.version)
        .await
        .unwrap_err();
    assert!(matches!(err, EngineError::PipelineChanged { .. }), "{err}");
    assert!(err.to_string().contains("changed on disk"), "{err}");
    assert!(std::fs::read_to_string(&file).unwrap().contains("echo c"));
}
