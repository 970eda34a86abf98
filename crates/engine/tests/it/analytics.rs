//! Delivery figures against a history written by hand, whose answers are
//! worked out below.

use switchyard_engine::analytics::StatsQuery;

use crate::support::Env;

const DAY1: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY2: i64 = DAY1 + 86_400_000;
const S: i64 = 1_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_match_a_hand_computed_history() {
    let env = Env::new();
    env.pipeline("jobs:\n  a: {steps: [x]}\n");
    let engine = env.engine().await;
    let project = engine.import(&env.project, None).await.unwrap();
    let pid = project.id;
    engine
        .store()
        .write(move |c| {
            // (id, status, commit, created, started, finished)
            let runs = [
                (1, "succeeded", "abc", DAY1 + 10 * S, DAY1 + 11 * S, DAY1 + 21 * S),
                (2, "failed", "abc", DAY1 + 100 * S, DAY1 + 103 * S, DAY1 + 133 * S),
                (3, "cancelled", "def", DAY1 + 200 * S, DAY1 + 200 * S, DAY1 + 205 * S),
                (4, "succeeded", "def", DAY2 + 10 * S, DAY2 + 10 * S, DAY2 + 30 * S),
            ];
            for (id, status, sha, created, started, finished) in runs {
                c.execute(
                    "INSERT INTO runs (id, project_id, status, commit_sha, branch, dirty, created_at, started_at, finished_at)
                     VALUES (?1, ?2, ?3, ?4, 'main', 0, ?5, ?6, ?7)",
                    rusqlite::params![id, pid, status, sha, created, started, finished],
                )?;
                c.execute(
                    "INSERT INTO jobs (id, run_id, idx, name, runner, status, tests_passed, tests_failed)
                     VALUES (?1, ?1, 0, 'test', 'local', ?2, 1, 1)",
                    rusqlite::params![id, status],
                )?;
            }
            // The `build` step took 1 s in run 1 and 3 s in run 2; `lint` 0.5 s once.
            c.execute_batch(&format!(
                "INSERT INTO steps (job_id, attempt, idx, name, status, started_at, finished_at) VALUES
                   (1, 1, 0, 'build', 'succeeded', {a}, {b}),
                   (2, 1, 0, 'build', 'failed', {c}, {d}),
                   (4, 1, 1, 'lint', 'succeeded', {e}, {f});
                 INSERT INTO test_results (job_id, report, classname, name, status) VALUES
                   (1, 'r.xml', 't', 'a', 'passed'),
                   (2, 'r.xml', 't', 'a', 'failed'),
                   (1, 'r.xml', 't', 'b', 'passed'),
                   (4, 'r.xml', 't', 'b', 'failed');",
                a = DAY1 + 11 * S,
                b = DAY1 + 12 * S,
                c = DAY1 + 103 * S,
                d = DAY1 + 106 * S,
                e = DAY2 + 10 * S,
                f = DAY2 + 10 * S + 500,
            ))?;
            Ok(())
        })
        .await
        .unwrap();
    let s = engine
        .stats(StatsQuery {
            project: Some(project.name.clone()),
            since: DAY1,
            until: DAY2 + 86_400_000,
        })
        .await
        .unwrap();
    assert_eq!((s.runs, s.succeeded, s.failed, s.cancelled), (4, 2, 1, 1));
    // Succeeded over ended, cancelled left out: 2 of 3.
    assert!((s.success_rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
    // Durations 10, 30, 5, 20 s: sorted 5, 10, 20, 30; the median is the
    // value at round(3 × 0.5) = 2 (20 s), p95 at round(2.85) = 3 (30 s).
    assert_eq!(s.duration.count, 4);
    assert_eq!(s.duration.p50_ms, Some(20 * S));
    assert_eq!(s.duration.p95_ms, Some(30 * S));
    assert_eq!(s.duration.max_ms, Some(30 * S));
    // Queue 1, 3, 0, 0 s: sorted 0, 0, 1, 3 → median 1 s, p95 3 s.
    assert_eq!(s.queue.p50_ms, Some(S));
    assert_eq!(s.queue.p95_ms, Some(3 * S));
    // Day by day.
    assert_eq!(s.days.len(), 2);
    assert_eq!(s.days[0].day, "2026-01-01");
    assert_eq!((s.days[0].runs, s.days[0].succeeded, s.days[0].failed), (3, 1, 1));
    assert_eq!(s.days[0].p50_duration_ms, Some(10 * S), "5, 10, 30 s");
    assert_eq!(s.days[1].p50_duration_ms, Some(20 * S));
    assert_eq!(s.days[0].tests, 6, "two tests a run");
    // build: 1 and 3 s (median at index round(0.5) = 1: 3 s) before lint.
    assert_eq!(s.slowest_steps[0].step, "build");
    assert_eq!(s.slowest_steps[0].spread.p50_ms, Some(3 * S));
    assert_eq!(s.slowest_steps[1].step, "lint");
    // t.a passed and failed on commit abc: flaky. t.b did so on two
    // different commits: not flaky.
    assert_eq!(s.flaky_tests.len(), 1, "{:?}", s.flaky_tests);
    assert_eq!(s.flaky_tests[0].test, "t.a");
    assert_eq!(
        (
            s.flaky_tests[0].commits,
            s.flaky_tests[0].passed,
            s.flaky_tests[0].failed
        ),
        (1, 1, 1)
    );
    // An empty window.
    let none = engine
        .stats(StatsQuery {
            project: None,
            since: 0,
            until: DAY1,
        })
        .await
        .unwrap();
    assert_eq!(none.runs, 0);
    assert!(none.success_rate.is_none() && none.duration.p50_ms.is_none());
}
