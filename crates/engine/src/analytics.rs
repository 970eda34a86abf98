//! Delivery analytics from the local history: how often runs succeed, how
//! long they take and wait, which steps are slowest, which tests are flaky
//! (the same commit both passed and failed), and how these move day by day.
//! `switchyard stats`, `switchyard report` and the app's Analytics view all
//! read [`crate::Engine::stats`].
//!
//! Runs count in the window by when they were created; durations are of
//! finished runs (started to finished), queue time is created to started.

use serde::Serialize;

use crate::EngineError;

/// What to compute over.
#[derive(Debug, Clone, Default)]
pub struct StatsQuery {
    /// One project's runs (by name); all when `None`.
    pub project: Option<String>,
    /// From (Unix ms).
    pub since: i64,
    /// Until (Unix ms).
    pub until: i64,
}

/// Percentiles of a set of durations (ms).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Spread {
    /// How many.
    pub count: u32,
    /// The median.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p50_ms: Option<i64>,
    /// The 95th percentile.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p95_ms: Option<i64>,
    /// The longest.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub max_ms: Option<i64>,
}

impl Spread {
    /// The spread of `values` (reordered).
    pub fn of(values: &mut [i64]) -> Spread {
        if values.is_empty() {
            return Spread::default();
        }
        values.sort_unstable();
        let at = |p: f64| values[((values.len() - 1) as f64 * p).round() as usize];
        Spread {
            count: values.len() as u32,
            p50_ms: Some(at(0.5)),
            p95_ms: Some(at(0.95)),
            max_ms: values.last().copied(),
        }
    }
}

/// One day of the window (local midnight to midnight, in UTC days here).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayStats {
    /// `2026-11-29` (UTC).
    pub day: String,
    /// Runs created that day.
    pub runs: u32,
    /// Of which succeeded.
    pub succeeded: u32,
    /// Of which failed (failed or interrupted).
    pub failed: u32,
    /// Median duration of the day's finished runs.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub p50_duration_ms: Option<i64>,
    /// Tests reported that day (passed + failed + skipped).
    pub tests: u32,
}

/// A step that takes long.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SlowStep {
    /// Its project.
    pub project: String,
    /// Its job.
    pub job: String,
    /// The step's name.
    pub step: String,
    /// How long it took.
    pub spread: Spread,
}

/// A test that both passed and failed on the same commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FlakyTest {
    /// Its project.
    pub project: String,
    /// The test (`classname.name`).
    pub test: String,
    /// Commits on which it both passed and failed.
    pub commits: u32,
    /// Passes on those commits.
    pub passed: u32,
    /// Failures on those commits.
    pub failed: u32,
}

/// Delivery figures over a window (`switchyard stats --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StatsView {
    /// The project, when one was asked for.
    pub project: Option<String>,
    /// From (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub since: i64,
    /// Until (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub until: i64,
    /// Runs created in the window.
    pub runs: u32,
    /// Of which succeeded.
    pub succeeded: u32,
    /// Of which failed or were interrupted.
    pub failed: u32,
    /// Of which were cancelled.
    pub cancelled: u32,
    /// Succeeded over ended (cancelled left out); none without an ended run.
    pub success_rate: Option<f64>,
    /// How long finished runs took.
    pub duration: Spread,
    /// How long runs waited to start.
    pub queue: Spread,
    /// Day by day, oldest first.
    pub days: Vec<DayStats>,
    /// The slowest steps by median, at most ten.
    pub slowest_steps: Vec<SlowStep>,
    /// Tests that passed and failed on one commit, most flaky first, at most twenty.
    pub flaky_tests: Vec<FlakyTest>,
}

fn day_of(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.strftime("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

impl crate::Engine {
    /// Delivery figures over a window, from the history.
    pub async fn stats(&self, q: StatsQuery) -> Result<StatsView, EngineError> {
        let project_id = match &q.project {
            Some(name) => Some(self.project(name).await?.id),
            None => None,
        };
        let (since, until, project) = (q.since, q.until, q.project.clone());
        Ok(self
            .inner
            .store
            .read(move |c| {
                let filter = "r.created_at >= ?1 AND r.created_at < ?2 AND (?3 IS NULL OR r.project_id = ?3)";
                let mut st = c.prepare(&format!(
                    "SELECT r.status, r.created_at, r.started_at, r.finished_at,
                            COALESCE(SUM(j.tests_passed + j.tests_failed + j.tests_skipped), 0)
                     FROM runs r LEFT JOIN jobs j ON j.run_id = r.id
                     WHERE {filter} GROUP BY r.id ORDER BY r.created_at"
                ))?;
                let mut rows = st.query(rusqlite::params![since, until, project_id])?;
                let (mut runs, mut succeeded, mut failed, mut cancelled) = (0u32, 0u32, 0u32, 0u32);
                let mut durations = Vec::new();
                let mut queues = Vec::new();
                let mut days: Vec<DayStats> = Vec::new();
                let mut day_durations: Vec<i64> = Vec::new();
                while let Some(r) = rows.next()? {
                    let status: String = r.get(0)?;
                    let created: i64 = r.get(1)?;
                    let started: Option<i64> = r.get(2)?;
                    let finished: Option<i64> = r.get(3)?;
                    let tests: i64 = r.get(4)?;
                    let day = day_of(created);
                    if days.last().is_none_or(|d| d.day != day) {
                        if let Some(d) = days.last_mut() {
                            d.p50_duration_ms = Spread::of(&mut day_durations).p50_ms;
                        }
                        day_durations.clear();
                        days.push(DayStats {
                            day,
                            ..Default::default()
                        });
                    }
                    let d = days.last_mut().expect("a day");
                    runs += 1;
                    d.runs += 1;
                    d.tests += tests as u32;
                    match status.as_str() {
                        "succeeded" => {
                            succeeded += 1;
                            d.succeeded += 1;
                        }
                        "failed" | "interrupted" => {
                            failed += 1;
                            d.failed += 1;
                        }
                        "cancelled" => cancelled += 1,
                        _ => {}
                    }
                    if let Some(s) = started {
                        queues.push((s - created).max(0));
                        if let Some(f) = finished {
                            durations.push((f - s).max(0));
                            day_durations.push((f - s).max(0));
                        }
                    }
                }
                if let Some(d) = days.last_mut() {
                    d.p50_duration_ms = Spread::of(&mut day_durations).p50_ms;
                }
                // Steps: every attempt's duration, grouped by project, job and step name.
                let mut st = c.prepare(&format!(
                    "SELECT r.project_id, j.name, s.name, s.finished_at - s.started_at
                     FROM runs r JOIN jobs j ON j.run_id = r.id JOIN steps s ON s.job_id = j.id
                     WHERE {filter} AND s.started_at IS NOT NULL AND s.finished_at IS NOT NULL"
                ))?;
                let mut rows = st.query(rusqlite::params![since, until, project_id])?;
                let mut groups: std::collections::HashMap<(i64, String, String), Vec<i64>> = std::collections::HashMap::new();
                while let Some(r) = rows.next()? {
                    let ms: i64 = r.get(3)?;
                    let key = (r.get::<_, i64>(0)?, r.get_ref(1)?.as_str()?.to_string(), r.get_ref(2)?.as_str()?.to_string());
                    groups.entry(key).or_default().push(ms.max(0));
                }
                let names: std::collections::HashMap<i64, String> = c
                    .prepare("SELECT id, name FROM projects")?
                    .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                let mut steps: Vec<SlowStep> = groups
                    .into_iter()
                    .map(|((pid, job, step), mut v)| SlowStep {
                        project: names.get(&pid).cloned().unwrap_or_default(),
                        job,
                        step,
                        spread: Spread::of(&mut v),
                    })
                    .collect();
                steps.sort_by(|a, b| {
                    b.spread
                        .p50_ms
                        .cmp(&a.spread.p50_ms)
                        .then_with(|| (&a.project, &a.job, &a.step).cmp(&(&b.project, &b.job, &b.step)))
                });
                steps.truncate(10);
                // Flaky: the same test passed and failed on one commit of a
                // clean tree.
                let mut st = c.prepare(&format!(
                    "SELECT project, test, COUNT(*), SUM(passed), SUM(failed) FROM (
                        SELECT p.name AS project,
                               COALESCE(t.classname || '.', '') || t.name AS test,
                               r.commit_sha AS sha,
                               SUM(t.status = 'passed') AS passed,
                               SUM(t.status IN ('failed', 'error')) AS failed
                        FROM test_results t JOIN jobs j ON j.id = t.job_id JOIN runs r ON r.id = j.run_id
                        JOIN projects p ON p.id = r.project_id
                        WHERE {filter} AND r.commit_sha IS NOT NULL AND COALESCE(r.dirty, 0) = 0
                        GROUP BY project, test, sha
                        HAVING passed > 0 AND failed > 0)
                     GROUP BY project, test ORDER BY SUM(failed) * 1.0 / (SUM(passed) + SUM(failed)) DESC, COUNT(*) DESC LIMIT 20"
                ))?;
                let flaky = st
                    .query_map(rusqlite::params![since, until, project_id], |r| {
                        Ok(FlakyTest {
                            project: r.get(0)?,
                            test: r.get(1)?,
                            commits: r.get(2)?,
                            passed: r.get(3)?,
                            failed: r.get(4)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                let ended = succeeded + failed;
                Ok(StatsView {
                    project,
                    since,
                    until,
                    runs,
                    succeeded,
                    failed,
                    cancelled,
                    success_rate: (ended > 0).then(|| f64::from(succeeded) / f64::from(ended)),
                    duration: Spread::of(&mut durations),
                    queue: Spread::of(&mut queues),
                    days,
                    slowest_steps: steps,
                    flaky_tests: flaky,
                })
            })
            .await?)
    }
}

/// The largest snapshot kept, in bytes (a dashboard of six 11,000-point
/// charts fits).
pub const MAX_SNAPSHOT: usize = 32 * 1024 * 1024;

impl crate::Engine {
    /// Keeps the latest data of a dashboard or chart under `key` (JSON, at
    /// most [`MAX_SNAPSHOT`] bytes; larger data is not kept).
    pub async fn save_snapshot(&self, key: &str, data: String) -> Result<bool, EngineError> {
        if data.len() > MAX_SNAPSHOT {
            return Ok(false);
        }
        let key = key.to_string();
        let now = crate::store::now_ms();
        self.inner
            .store
            .write(move |c| {
                c.execute(
                    "INSERT INTO metric_snapshots (key, taken_at, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT(key) DO UPDATE SET taken_at = excluded.taken_at, data = excluded.data",
                    rusqlite::params![key, now, data],
                )
            })
            .await?;
        Ok(true)
    }

    /// The latest snapshot under `key`: when it was taken (ms) and its data.
    pub async fn snapshot(&self, key: &str) -> Result<Option<(i64, String)>, EngineError> {
        let key = key.to_string();
        Ok(self
            .inner
            .store
            .read(move |c| {
                use rusqlite::OptionalExtension as _;
                c.query_row(
                    "SELECT taken_at, data FROM metric_snapshots WHERE key = ?1",
                    [key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()
            })
            .await?)
    }
}
