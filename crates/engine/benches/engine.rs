//! Benchmarks of the engine's overhead, log capture and history queries.
//!
//! `cargo bench -p switchyard-engine --bench engine [-- overhead|logs|history|dora]`
//! prints each figure with the baseline it is compared against. These are
//! measurements to report, not pass/fail tests.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use switchyard_engine::store::Store;
use switchyard_engine::{Engine, EngineConfig, Home, RunOptions};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i]
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

async fn run_pipeline(home: &Path, project: &Path, parallelism: usize) -> Duration {
    let mut config = EngineConfig::new(Home::at(home.to_path_buf()));
    config.parallelism = Some(parallelism);
    let engine = Engine::open(config).await.unwrap();
    let p = engine.import(project, None).await.unwrap();
    let start = Instant::now();
    let handle = engine
        .start_run(
            &p,
            RunOptions {
                in_place: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = handle.id;
    let status = handle.wait().await;
    let took = start.elapsed();
    if status != switchyard_engine::status::RunStatus::Succeeded {
        let run = engine.run(id).await.unwrap();
        panic!(
            "the benchmark's run failed: {:?}",
            run.jobs.iter().map(|j| &j.reason).collect::<Vec<_>>()
        );
    }
    took
}

async fn overhead() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(&project).unwrap();
    let mut yaml = String::from("jobs:\n");
    for j in 0..20 {
        yaml.push_str(&format!("  job{j}:\n    steps:\n"));
        for _ in 0..10 {
            yaml.push_str("      - run: 'true'\n");
        }
    }
    std::fs::write(project.join("switchyard.yaml"), yaml).unwrap();

    // The machine's speed drifts (a VM on a shared host): each engine run is
    // paired with a plain loop measured just before it, and the ratios of
    // the pairs are summarised, rather than medians taken minutes apart.
    let plain_loop = || {
        let start = Instant::now();
        for _ in 0..200 {
            let s = Command::new("sh").arg("-c").arg("true").status().unwrap();
            assert!(s.success());
        }
        start.elapsed()
    };
    // CPU time (this process and its children) is steadier than wall time
    // on a busy machine: reported beside it.
    let cpu_of_loop = {
        let before = cpu_time();
        plain_loop();
        cpu_time() - before
    };
    let cpu_of_run = {
        let before = cpu_time();
        run_pipeline(&dir.path().join("cpu"), &project, 1).await;
        cpu_time() - before
    };
    let rounds: usize = std::env::var("SWITCHYARD_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15);
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let (mut serial, mut parallel, mut baselines) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        let base = plain_loop();
        let s = run_pipeline(&dir.path().join(format!("h1-{i}")), &project, 1).await;
        let base2 = plain_loop();
        let p = run_pipeline(&dir.path().join(format!("h2-{i}")), &project, cpus).await;
        baselines.push(base);
        serial.push(s.as_secs_f64() / base.as_secs_f64());
        parallel.push(p.as_secs_f64() / base2.as_secs_f64());
    }
    let summary = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        format!(
            "median {:.2}x (quartiles {:.2}x-{:.2}x)",
            q(0.5),
            q(0.25),
            q(0.75)
        )
    };
    println!(
        "overhead: 200 `sh -c true` in a plain loop:             {:?} (median of {rounds})",
        median(baselines)
    );
    println!(
        "overhead: 20 jobs x 10 steps, one job at a time:         {} over {rounds} paired rounds",
        summary(serial)
    );
    println!(
        "overhead: 20 jobs x 10 steps, default parallelism:       {} over {rounds} paired rounds",
        summary(parallel)
    );
    println!(
        "overhead: CPU time (with children): plain loop {cpu_of_loop:?}, engine run {cpu_of_run:?}, ratio {:.2}x",
        cpu_of_run.as_secs_f64() / cpu_of_loop.as_secs_f64()
    );
}

/// User and system CPU time of this process and its waited-for children.
fn cpu_time() -> Duration {
    use nix::sys::resource::{UsageWho, getrusage};
    let t = |who| {
        let u = getrusage(who).expect("getrusage");
        let us = |tv: nix::sys::time::TimeVal| tv.tv_sec() as u64 * 1_000_000 + tv.tv_usec() as u64;
        Duration::from_micros(us(u.user_time()) + us(u.system_time()))
    };
    t(UsageWho::RUSAGE_SELF) + t(UsageWho::RUSAGE_CHILDREN)
}

async fn logs() {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join("p");
    std::fs::create_dir_all(&project).unwrap();
    // 2,000,000 lines of 21 bytes: 42 MB.
    let script = r#"awk 'BEGIN { for (i = 0; i < 2000000; i++) printf "%010d ok output\n", i }'"#;
    std::fs::write(
        project.join("switchyard.yaml"),
        format!("jobs:\n  print:\n    steps:\n      - run: |\n          {script}\n"),
    )
    .unwrap();
    let baseline = median(
        (0..3)
            .map(|_| {
                let out = dir.path().join("out.txt");
                let start = Instant::now();
                let s = Command::new("sh")
                    .arg("-c")
                    .arg(format!("{script} > {}", out.display()))
                    .status()
                    .unwrap();
                assert!(s.success());
                let took = start.elapsed();
                assert_eq!(std::fs::metadata(&out).unwrap().len(), 42_000_000);
                took
            })
            .collect(),
    );
    let before = vm_hwm_kib();
    let mut runs = Vec::new();
    for i in 0..3 {
        runs.push(run_pipeline(&dir.path().join(format!("h{i}")), &project, 1).await);
    }
    let after = vm_hwm_kib();
    let engine_time = median(runs);
    // Check everything arrived.
    let store = Store::open(&dir.path().join("h0/switchyard.db")).unwrap();
    let lines: i64 = store
        .read(|c| c.query_row("SELECT SUM(line_count) FROM log_chunks", [], |r| r.get(0)))
        .await
        .unwrap();
    assert_eq!(lines, 2_000_000);
    let db_size = std::fs::metadata(dir.path().join("h0/switchyard.db"))
        .unwrap()
        .len();
    println!("logs: 2,000,000 lines (42 MB) redirected to a file:     {baseline:?}");
    println!(
        "logs: the same step captured by Switchyard:              {engine_time:?}  ratio {:.2}x",
        engine_time.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "logs: peak RSS before {} MiB, after 3 captures {} MiB (growth {} MiB); stored log {} MB",
        before / 1024,
        after / 1024,
        after.saturating_sub(before) / 1024,
        db_size / 1_000_000
    );
}

/// History queries through the store's async API (a blocking-pool thread
/// per read, as the front ends call them).
async fn history() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchyard.db");
    let runs: i64 = std::env::var("SWITCHYARD_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    {
        // Create the schema through the store, then fill it directly.
        drop(Store::open(&db).unwrap());
        let mut conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "journal_mode", "WAL").unwrap();
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        let start = Instant::now();
        let tx = conn.transaction().unwrap();
        for p in 0..10 {
            tx.execute(
                "INSERT INTO projects (name, path, created_at) VALUES (?1, ?2, 0)",
                rusqlite::params![format!("project-{p}"), format!("/src/project-{p}")],
            )
            .unwrap();
        }
        {
            let mut run_st = tx
                .prepare(
                    "INSERT INTO runs (id, project_id, status, commit_sha, branch, dirty, owner, created_at, started_at, finished_at)
                     VALUES (?1, ?2, ?3, ?4, 'main', 0, 'bench', ?5, ?5, ?6)",
                )
                .unwrap();
            let mut job_st = tx
                .prepare(
                    "INSERT INTO jobs (id, run_id, idx, name, runner, needs, status, attempts, started_at, finished_at, tests_passed)
                     VALUES (?1, ?2, ?3, ?4, 'local', ?5, ?6, 1, ?7, ?8, ?9)",
                )
                .unwrap();
            let mut step_st = tx
                .prepare(
                    "INSERT INTO steps (job_id, attempt, idx, name, status, exit_code, started_at, finished_at)
                     VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .unwrap();
            for id in 1..=runs {
                let t = 1_700_000_000_000 + id * 60_000;
                let failed = id % 10 == 0;
                let commit = format!("{:040x}", id * 7919);
                run_st
                    .execute(rusqlite::params![
                        id,
                        (id % 10) + 1,
                        if failed { "failed" } else { "succeeded" },
                        commit,
                        t,
                        t + 45_000
                    ])
                    .unwrap();
                for j in 0..2i64 {
                    let job_id = id * 2 + j;
                    let (name, needs) = if j == 0 {
                        ("build", "[]")
                    } else {
                        ("test", "[\"build\"]")
                    };
                    let status = if failed && j == 1 { "failed" } else { "succeeded" };
                    job_st
                        .execute(rusqlite::params![
                            job_id,
                            id,
                            j,
                            name,
                            needs,
                            status,
                            t,
                            t + 40_000,
                            12
                        ])
                        .unwrap();
                    for s in 0..2i64 {
                        let code = if failed && j == 1 && s == 1 { 1 } else { 0 };
                        step_st
                            .execute(rusqlite::params![
                                job_id,
                                s,
                                if s == 0 { "compile" } else { "check" },
                                if code == 0 { "succeeded" } else { "failed" },
                                code,
                                t,
                                t + 20_000
                            ])
                            .unwrap();
                    }
                }
            }
        }
        tx.commit().unwrap();
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;")
            .unwrap();
        println!(
            "history: generated {runs} runs (2 jobs, 4 steps each) in {:?}",
            start.elapsed()
        );
    }
    let size = std::fs::metadata(&db).unwrap().len();
    let store = Store::open(&db).unwrap();
    let mut latest = Vec::new();
    let mut details = Vec::new();
    for i in 0..300i64 {
        let pid = (i % 10) + 1;
        let start = Instant::now();
        let list = store.runs(Some(pid), 50, None).await.unwrap();
        latest.push(start.elapsed());
        assert_eq!(list.len(), 50);
        let id = 1 + (i * 3331) % runs;
        let start = Instant::now();
        let run = store.run(id).await.unwrap().unwrap();
        details.push(start.elapsed());
        assert_eq!(run.jobs.len(), 2);
    }
    println!(
        "history: latest 50 runs of one project: median {:?}, p99 {:?}",
        median(latest.clone()),
        percentile(latest, 0.99)
    );
    println!(
        "history: one run's details:             median {:?}, p99 {:?}",
        median(details.clone()),
        percentile(details, 0.99)
    );
    println!(
        "history: database {} MB for {runs} runs: {} bytes per run",
        size / 1_000_000,
        size / runs as u64
    );
    drop(store);
    // Delivery figures (`switchyard stats`) over 90 days (a run a minute:
    // 129,600 runs) and over the whole history.
    let engine = Engine::open(EngineConfig::new(Home::at(dir.path().to_path_buf())))
        .await
        .unwrap();
    let until = 1_700_000_000_000 + runs * 60_000 + 1;
    for (label, since) in [("90 days", until - 90 * 86_400_000), ("all", 0)] {
        let mut times = Vec::new();
        let mut counted = 0;
        for _ in 0..5 {
            let start = Instant::now();
            let s = engine
                .stats(switchyard_engine::analytics::StatsQuery {
                    project: None,
                    since,
                    until,
                })
                .await
                .unwrap();
            times.push(start.elapsed());
            counted = s.runs;
        }
        println!(
            "history: stats over {label} ({counted} runs): median {:?}",
            median(times)
        );
    }
}

/// DORA metrics of an environment over 90 days holding 100,000
/// deployments (one every 77 s, one in ten rolled back) and 1,000,000 runs
/// (ten per deployment: the first saw the deployed commit, nine are other
/// commits), as issue 13 sets the target.
async fn dora() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("switchyard.db");
    let n: i64 = 100_000;
    let runs_per_deployment: i64 = 10;
    let every_ms: i64 = 77_000;
    {
        drop(Store::open(&db).unwrap());
        let mut conn = rusqlite::Connection::open(&db).unwrap();
        conn.pragma_update(None, "synchronous", "OFF").unwrap();
        let tx = conn.transaction().unwrap();
        tx.execute(
            "INSERT INTO projects (name, path, created_at) VALUES ('shop', '/src/shop', 0)",
            [],
        )
        .unwrap();
        {
            let mut run = tx
                .prepare(
                    "INSERT INTO runs (id, project_id, status, commit_sha, branch, dirty, owner, created_at, started_at, finished_at)
                     VALUES (?1, 1, 'succeeded', ?2, 'main', 0, 'bench', ?3, ?3, ?3 + 60000)",
                )
                .unwrap();
            let mut dep = tx
                .prepare(
                    "INSERT INTO deployments (app, environment, revision, status, strategy, image, version, commit_sha, run_id, job_id, created_at, finished_at, first_seen_at)
                     VALUES ('web', 'production', ?1, ?2, 'canary', 'web:1', 'v', ?3, ?5, ?1, ?4, ?4 + 300000, ?4 - 3600000)",
                )
                .unwrap();
            for i in 1..=n {
                let t = 1_700_000_000_000 + i * every_ms;
                let commit = format!("{i:040x}");
                let first = (i - 1) * runs_per_deployment + 1;
                run.execute(rusqlite::params![first, commit, t - 3_600_000])
                    .unwrap();
                for k in 1..runs_per_deployment {
                    let other = format!("{:040x}", (1u64 << 60) + (first + k) as u64);
                    run.execute(rusqlite::params![first + k, other, t - 3_600_000 + k * 1000])
                        .unwrap();
                }
                let status = if i % 10 == 0 { "rolled_back" } else { "succeeded" };
                dep.execute(rusqlite::params![i, status, commit, t, first])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }
    let engine = Engine::open(EngineConfig::new(Home::at(dir.path().to_path_buf())))
        .await
        .unwrap();
    let mut times = Vec::new();
    let mut view = None;
    for _ in 0..5 {
        let start = Instant::now();
        let until = 1_700_000_000_000 + (n + 1) * every_ms;
        let since = until - 90 * 24 * 3_600_000;
        view = Some(engine.dora("production", None, since, until).await.unwrap());
        times.push(start.elapsed());
    }
    let v = view.unwrap();
    println!(
        "dora: 90 days, {} deployments, {} runs: median {:?} (failure rate {:.2}, lead time p50 {:?} ms, restore p50 {:?} ms)",
        v.deployments,
        n * runs_per_deployment,
        median(times),
        v.change_failure_rate.unwrap_or_default(),
        v.lead_time.p50_ms,
        v.time_to_restore.p50_ms
    );
}

fn main() {
    let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let want = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    if want("logs") {
        rt.block_on(logs());
    }
    if want("overhead") {
        rt.block_on(overhead());
    }
    if want("history") {
        rt.block_on(history());
    }
    if want("dora") {
        rt.block_on(dora());
    }
}
