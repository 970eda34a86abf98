//! The history's records and the queries that read and write them.

use std::path::PathBuf;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Store, StoreError};
use crate::events::Event;
pub use crate::lines::LogChunk;
use crate::status::{JobStatus, RunStatus, StepStatus};

/// A registered project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Project {
    /// Database id.
    pub id: i64,
    /// Unique name.
    pub name: String,
    /// Absolute path of its folder.
    pub path: PathBuf,
    /// URL of its git remote `origin`, if any.
    pub remote: Option<String>,
    /// When it was imported (Unix ms).
    pub created_at: i64,
}

/// A run as listed in history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub id: i64,
    /// Project name.
    pub project: String,
    /// Current status.
    pub status: RunStatus,
    /// Commit the project was at.
    pub commit: Option<String>,
    /// Branch the project was on (none when detached).
    pub branch: Option<String>,
    /// Whether the working tree had uncommitted changes.
    pub dirty: Option<bool>,
    /// Created (Unix ms).
    pub created_at: i64,
    /// First job started (Unix ms).
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    pub finished_at: Option<i64>,
    /// What started it (`cli`, `app`, `link`); unknown for runs recorded
    /// before Switchyard kept it.
    pub trigger: Option<String>,
    /// The jobs chosen (empty: all).
    pub selection: Vec<String>,
    /// Whether it ran in the project folder itself.
    pub in_place: bool,
    /// The run it repeats.
    pub rerun_of: Option<i64>,
}

/// A run with its jobs, steps, test counts and artifacts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunDetails {
    /// The run.
    #[serde(flatten)]
    pub summary: RunSummary,
    /// Why the engine could not run it, when it could not.
    pub error: Option<String>,
    /// Jobs in plan order.
    pub jobs: Vec<JobRecord>,
}

impl RunDetails {
    /// The jobs a name given by a person means: the job of exactly that name,
    /// or every matrix job of that base name (`test` for `test (3.12)`).
    pub fn jobs_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a JobRecord> + 'a {
        self.jobs
            .iter()
            .filter(move |j| j.name == name || j.name.split(" (").next() == Some(name))
    }

    /// The job of that name.
    pub fn job(&self, name: &str) -> Option<&JobRecord> {
        self.jobs.iter().find(|j| j.name == name)
    }
}

/// A job of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JobRecord {
    /// Database id.
    pub id: i64,
    /// Name (with matrix values).
    pub name: String,
    /// Where it ran.
    pub runner: String,
    /// Names of the jobs it waited for.
    pub needs: Vec<String>,
    /// Status.
    pub status: JobStatus,
    /// Attempts made (1 plus retries used).
    pub attempts: u32,
    /// Why it failed, was skipped or was cancelled.
    pub reason: Option<String>,
    /// Problems that did not fail the job (unreadable reports, missing artifacts).
    pub warnings: Vec<String>,
    /// Started (Unix ms).
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    pub finished_at: Option<i64>,
    /// Steps of the last attempt.
    pub steps: Vec<StepRecord>,
    /// Test counts from its JUnit reports.
    pub tests: TestCounts,
    /// Files kept.
    pub artifacts: Vec<ArtifactRecord>,
    /// Its kind (`steps`, `approval`).
    pub kind: String,
    /// What an approval job asks.
    pub prompt: Option<String>,
    /// How an approval job was decided, once it was.
    pub decision: Option<Decision>,
    /// What its steps wrote to `$SWITCHYARD_OUTPUT`, once it succeeded.
    pub outputs: std::collections::BTreeMap<String, String>,
}

/// A person's decision on an approval job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Decision {
    /// Approved (the job succeeds) or rejected (it fails).
    pub approved: bool,
    /// Who decided (their login name) and where (`cli`, `desktop`).
    pub by: String,
    /// What they said, if anything.
    pub comment: Option<String>,
    /// When (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: i64,
}

/// A step of a job's attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// Position in the job (0-based).
    pub idx: u32,
    /// Name.
    pub name: String,
    /// Status.
    pub status: StepStatus,
    /// Exit code, when the process exited by itself.
    pub exit_code: Option<i32>,
    /// Started (Unix ms).
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    pub finished_at: Option<i64>,
}

/// Test counts of a job.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestCounts {
    /// Passed tests.
    pub passed: u32,
    /// Failed or errored tests.
    pub failed: u32,
    /// Skipped tests.
    pub skipped: u32,
}

/// A kept file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ArtifactRecord {
    /// Path relative to the workspace.
    pub path: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256 of the content, hex; also its name in the artifact store.
    pub sha256: String,
}

/// One test case from a JUnit report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestResultRecord {
    /// The report file it came from (relative to the workspace).
    pub report: String,
    /// Test suite.
    pub suite: Option<String>,
    /// Class name (or module).
    pub classname: Option<String>,
    /// Test name.
    pub name: String,
    /// `passed`, `failed` or `skipped`.
    #[cfg_attr(feature = "ts", ts(type = "\"passed\" | \"failed\" | \"skipped\""))]
    pub status: String,
    /// Duration in ms.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration_ms: Option<i64>,
    /// First line of the failure message.
    pub message: Option<String>,
    /// Failure details (stack trace), shortened.
    pub details: Option<String>,
}

/// A job to create with a run.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Name.
    pub name: String,
    /// Runner, as text.
    pub runner: String,
    /// Its kind (`steps`, `approval`).
    pub kind: String,
    /// What an approval job asks.
    pub prompt: Option<String>,
    /// Names of the jobs it needs.
    pub needs: Vec<String>,
}

/// A run to create.
#[derive(Debug, Clone)]
pub struct NewRun {
    /// Its project.
    pub project_id: i64,
    /// Git commit.
    pub commit: Option<String>,
    /// Git branch.
    pub branch: Option<String>,
    /// Working tree dirty.
    pub dirty: Option<bool>,
    /// Runs in the project folder itself.
    pub in_place: bool,
    /// The engine instance that runs it.
    pub owner: String,
    /// Its jobs, in plan order.
    pub jobs: Vec<NewJob>,
    /// What started it: `cli`, `app`, `link`.
    pub trigger: String,
    /// The jobs chosen (empty: all).
    pub selection: Vec<String>,
    /// The run it repeats.
    pub rerun_of: Option<i64>,
}

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunFilter {
    /// Only this project's.
    pub project_id: Option<i64>,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// Only runs on this branch.
    pub branch: Option<String>,
    /// Only runs older than this id (for paging).
    pub before: Option<i64>,
    /// At most this many.
    pub limit: u32,
}

/// A run that has not ended, and who runs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedRun {
    /// Run id.
    pub id: i64,
    /// The engine instance that ran it.
    pub owner: Option<String>,
}

fn project_from_row(r: &Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        name: r.get(1)?,
        path: PathBuf::from(r.get::<_, String>(2)?),
        remote: r.get(3)?,
        created_at: r.get(4)?,
    })
}

fn parse_status<T: std::str::FromStr>(idx: usize, text: String) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse::<T>()
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e)))
}

const RUN_COLUMNS: &str = "r.id, p.name, r.status, r.commit_sha, r.branch, r.dirty, r.created_at, r.started_at, \
     r.finished_at, r.trigger, r.selection, r.in_place, r.rerun_of";

/// How many columns [`RUN_COLUMNS`] has: a query's own columns after them
/// start at this index.
const RUN_COLUMN_COUNT: usize = 13;

fn run_from_row(r: &Row<'_>) -> rusqlite::Result<RunSummary> {
    Ok(RunSummary {
        id: r.get(0)?,
        project: r.get(1)?,
        status: parse_status(2, r.get(2)?)?,
        commit: r.get(3)?,
        branch: r.get(4)?,
        dirty: r.get(5)?,
        created_at: r.get(6)?,
        started_at: r.get(7)?,
        finished_at: r.get(8)?,
        trigger: r.get(9)?,
        selection: r
            .get::<_, Option<String>>(10)?
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        in_place: r.get::<_, Option<bool>>(11)?.unwrap_or(false),
        rerun_of: r.get(12)?,
    })
}

/// The columns [`chunk_from_row`] reads, in order.
pub(crate) const CHUNK_COLUMNS: &str = "attempt, seq, first_line, line_count, ts, compression, data";

pub(crate) fn chunk_from_row(r: &Row<'_>) -> rusqlite::Result<LogChunk> {
    Ok(LogChunk {
        attempt: r.get(0)?,
        seq: r.get(1)?,
        first_line: r.get(2)?,
        line_count: r.get(3)?,
        ts: r.get(4)?,
        compressed: r.get::<_, String>(5)? == "lz4",
        data: r.get(6)?,
    })
}

fn json_list(text: String) -> Vec<String> {
    serde_json::from_str(&text).unwrap_or_default()
}

/// Reads.
impl Store {
    /// Every project, by name.
    pub async fn projects(&self) -> Result<Vec<Project>, StoreError> {
        self.read(|c| {
            let mut st =
                c.prepare_cached(
                "SELECT id, name, path, remote, created_at FROM projects WHERE removed_at IS NULL ORDER BY name",
            )?;
            st.query_map([], project_from_row)?.collect()
        })
        .await
    }

    /// The project of that name.
    pub async fn project_by_name(&self, name: &str) -> Result<Option<Project>, StoreError> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT id, name, path, remote, created_at FROM projects WHERE name = ?1 AND removed_at IS NULL",
                [name],
                project_from_row,
            )
            .optional()
        })
        .await
    }

    /// The project registered for that folder (not a removed one: importing
    /// the folder again brings that back).
    pub async fn project_by_path(&self, path: &std::path::Path) -> Result<Option<Project>, StoreError> {
        let path = path.to_string_lossy().into_owned();
        self.read(move |c| {
            c.query_row(
                "SELECT id, name, path, remote, created_at FROM projects WHERE path = ?1 AND removed_at IS NULL",
                [path],
                project_from_row,
            )
            .optional()
        })
        .await
    }

    /// The latest runs, newest first, of one project or of all; `before`
    /// pages back from a run id.
    pub async fn runs(
        &self,
        project_id: Option<i64>,
        limit: u32,
        before: Option<i64>,
    ) -> Result<Vec<RunSummary>, StoreError> {
        let before = before.unwrap_or(i64::MAX);
        self.read(move |c| {
            let rows = match project_id {
                Some(pid) => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                         WHERE r.project_id = ?1 AND r.id < ?2 ORDER BY r.id DESC LIMIT ?3"
                    ))?;
                    st.query_map(params![pid, before, limit], run_from_row)?
                        .collect::<Result<Vec<_>, _>>()?
                }
                None => {
                    let mut st = c.prepare_cached(&format!(
                        "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                         WHERE r.id < ?1 ORDER BY r.id DESC LIMIT ?2"
                    ))?;
                    st.query_map(params![before, limit], run_from_row)?
                        .collect::<Result<Vec<_>, _>>()?
                }
            };
            Ok(rows)
        })
        .await
    }

    /// Runs matching a filter, newest first; page back with `before`.
    pub async fn runs_filtered(&self, filter: &RunFilter) -> Result<Vec<RunSummary>, StoreError> {
        let mut sql = format!(
            "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id < ?1"
        );
        let mut args: Vec<rusqlite::types::Value> = vec![filter.before.unwrap_or(i64::MAX).into()];
        if let Some(pid) = filter.project_id {
            args.push(pid.into());
            sql.push_str(&format!(" AND r.project_id = ?{}", args.len()));
        }
        if let Some(status) = filter.status {
            args.push(status.as_str().to_string().into());
            sql.push_str(&format!(" AND r.status = ?{}", args.len()));
        }
        if let Some(branch) = &filter.branch {
            args.push(branch.clone().into());
            sql.push_str(&format!(" AND r.branch = ?{}", args.len()));
        }
        args.push(i64::from(filter.limit.max(1)).into());
        sql.push_str(&format!(" ORDER BY r.id DESC LIMIT ?{}", args.len()));
        self.read(move |c| {
            let mut st = c.prepare_cached(&sql)?;
            st.query_map(rusqlite::params_from_iter(args), run_from_row)?
                .collect()
        })
        .await
    }

    /// Runs that have not ended, oldest first.
    pub async fn active_runs(&self) -> Result<Vec<RunSummary>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                 WHERE r.status IN ('queued', 'running') ORDER BY r.id"
            ))?;
            st.query_map([], run_from_row)?.collect()
        })
        .await
    }

    /// For each project, its latest finished run on each of `branches` (of
    /// a clean working tree), if that run failed: the "failing main branches".
    pub async fn failing_branches(&self, branches: &[&str]) -> Result<Vec<RunSummary>, StoreError> {
        let branches: Vec<String> = branches.iter().map(|b| b.to_string()).collect();
        self.read(move |c| {
            let mut out = Vec::new();
            let mut projects =
                c.prepare_cached("SELECT id FROM projects WHERE removed_at IS NULL ORDER BY name")?;
            let ids: Vec<i64> = projects.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut latest = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                 WHERE r.project_id = ?1 AND r.branch = ?2
                   AND r.status IN ('succeeded', 'failed', 'interrupted')
                   AND COALESCE(r.dirty, 0) = 0
                 ORDER BY r.id DESC LIMIT 1"
            ))?;
            for id in ids {
                for branch in &branches {
                    if let Some(run) = latest.query_row(params![id, branch], run_from_row).optional()?
                        && run.status != RunStatus::Succeeded
                    {
                        out.push(run);
                    }
                }
            }
            Ok(out)
        })
        .await
    }

    /// Jobs that wait for a person (approval gates, deployments that ask):
    /// their run, name, question and
    /// since when they wait; oldest first.
    pub async fn waiting_gates(&self) -> Result<Vec<(RunSummary, String, String, Option<i64>)>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS}, j.name, COALESCE(j.prompt, j.reason, ''), j.started_at
                 FROM jobs j JOIN runs r ON r.id = j.run_id JOIN projects p ON p.id = r.project_id
                 WHERE j.status = 'waiting' AND r.status IN ('queued', 'running')
                 ORDER BY j.started_at, j.id"
            ))?;
            st.query_map([], |r| {
                let n = RUN_COLUMN_COUNT;
                Ok((run_from_row(r)?, r.get(n)?, r.get(n + 1)?, r.get(n + 2)?))
            })?
            .collect()
        })
        .await
    }

    /// For each project that needs attention, the run that makes it so:
    /// its latest finished run on one of `branches` (or, for a project that
    /// never ran on one of them, its latest finished run on any branch),
    /// when that run failed or was interrupted. Cancelled runs do not count,
    /// nor do runs of a working tree with uncommitted changes: they are not
    /// the branch's code.
    pub async fn failing_projects(&self, branches: &[String]) -> Result<Vec<RunSummary>, StoreError> {
        let branches = serde_json::to_string(branches).unwrap_or_else(|_| "[]".into());
        self.read(move |c| {
            let mut ids_st =
                c.prepare_cached("SELECT id FROM projects WHERE removed_at IS NULL ORDER BY name")?;
            let ids: Vec<i64> = ids_st.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
            let mut on_default = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                 WHERE r.project_id = ?1 AND r.branch IN (SELECT value FROM json_each(?2))
                   AND r.status IN ('succeeded', 'failed', 'interrupted')
                   AND COALESCE(r.dirty, 0) = 0
                 ORDER BY r.id DESC LIMIT 1"
            ))?;
            let mut any = c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id
                 WHERE r.project_id = ?1 AND r.status IN ('succeeded', 'failed', 'interrupted')
                   AND COALESCE(r.dirty, 0) = 0
                 ORDER BY r.id DESC LIMIT 1"
            ))?;
            let mut out = Vec::new();
            for id in ids {
                let latest = match on_default
                    .query_row(params![id, branches], run_from_row)
                    .optional()?
                {
                    Some(run) => Some(run),
                    None => any.query_row([id], run_from_row).optional()?,
                };
                if let Some(run) = latest
                    && run.status != RunStatus::Succeeded
                {
                    out.push(run);
                }
            }
            Ok(out)
        })
        .await
    }

    /// How the previous finished run of the same project and branch ended
    /// (to tell "fixed" from "still failing").
    pub async fn previous_outcome(&self, run_id: i64) -> Result<Option<RunStatus>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT prev.status FROM runs cur JOIN runs prev
                   ON prev.project_id = cur.project_id AND prev.branch IS cur.branch AND prev.id < cur.id
                 WHERE cur.id = ?1 AND prev.status IN ('succeeded', 'failed', 'interrupted')
                 ORDER BY prev.id DESC LIMIT 1",
                [run_id],
                |r| parse_status(0, r.get(0)?),
            )
            .optional()
        })
        .await
    }

    /// Branch names seen in a project's runs, most used first.
    pub async fn branches(&self, project_id: i64) -> Result<Vec<String>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT branch FROM runs WHERE project_id = ?1 AND branch IS NOT NULL
                 GROUP BY branch ORDER BY COUNT(*) DESC LIMIT 50",
            )?;
            st.query_map([project_id], |r| r.get(0))?.collect()
        })
        .await
    }

    /// One run with everything about it, or `None` if there is no such run.
    pub async fn run(&self, id: i64) -> Result<Option<RunDetails>, StoreError> {
        self.read(move |c| {
            let Some((summary, error)) = c
                .query_row(
                    &format!("SELECT {RUN_COLUMNS}, r.error FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?1"),
                    [id],
                    |r| Ok((run_from_row(r)?, r.get::<_, Option<String>>(RUN_COLUMN_COUNT)?)),
                )
                .optional()?
            else {
                return Ok(None);
            };
            let mut jobs_st = c.prepare_cached(
                "SELECT id, name, runner, needs, status, attempts, reason, warnings, started_at, finished_at,
                        tests_passed, tests_failed, tests_skipped, kind, prompt, decision, outputs
                 FROM jobs WHERE run_id = ?1 ORDER BY idx",
            )?;
            let mut jobs = jobs_st
                .query_map([id], |r| {
                    Ok(JobRecord {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        runner: r.get(2)?,
                        needs: json_list(r.get(3)?),
                        status: parse_status(4, r.get(4)?)?,
                        attempts: r.get(5)?,
                        reason: r.get(6)?,
                        warnings: json_list(r.get(7)?),
                        started_at: r.get(8)?,
                        finished_at: r.get(9)?,
                        steps: Vec::new(),
                        tests: TestCounts {
                            passed: r.get(10)?,
                            failed: r.get(11)?,
                            skipped: r.get(12)?,
                        },
                        artifacts: Vec::new(),
                        kind: r.get(13)?,
                        prompt: r.get(14)?,
                        decision: r
                            .get::<_, Option<String>>(15)?
                            .and_then(|d| serde_json::from_str(&d).ok()),
                        outputs: r
                            .get::<_, Option<String>>(16)?
                            .and_then(|o| serde_json::from_str(&o).ok())
                            .unwrap_or_default(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let mut steps_st = c.prepare_cached(
                "SELECT idx, name, status, exit_code, started_at, finished_at FROM steps
                 WHERE job_id = ?1 AND attempt = ?2 ORDER BY idx",
            )?;
            let mut artifacts_st =
                c.prepare_cached("SELECT path, size, sha256 FROM artifacts WHERE job_id = ?1 ORDER BY path")?;
            for job in &mut jobs {
                job.steps = steps_st
                    .query_map(params![job.id, job.attempts.max(1)], |r| {
                        Ok(StepRecord {
                            idx: r.get(0)?,
                            name: r.get(1)?,
                            status: parse_status(2, r.get(2)?)?,
                            exit_code: r.get(3)?,
                            started_at: r.get(4)?,
                            finished_at: r.get(5)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
                job.artifacts = artifacts_st
                    .query_map([job.id], |r| {
                        Ok(ArtifactRecord {
                            path: r.get(0)?,
                            size: r.get::<_, i64>(1)? as u64,
                            sha256: r.get(2)?,
                        })
                    })?
                    .collect::<Result<Vec<_>, _>>()?;
            }
            Ok(Some(RunDetails { summary, error, jobs }))
        })
        .await
    }

    /// A run as listed, without its jobs, if it exists.
    pub async fn run_summary(&self, id: i64) -> Result<Option<RunSummary>, StoreError> {
        self.read(move |c| {
            c.prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?1"
            ))?
            .query_row([id], run_from_row)
            .optional()
        })
        .await
    }

    /// The status of a run, if it exists.
    pub async fn run_status(&self, id: i64) -> Result<Option<RunStatus>, StoreError> {
        self.read(move |c| {
            c.query_row("SELECT status FROM runs WHERE id = ?1", [id], |r| {
                parse_status(0, r.get(0)?)
            })
            .optional()
        })
        .await
    }

    /// Log chunks of a job with `seq` greater than `after`, in order.
    pub async fn log_chunks(&self, job_id: i64, after: Option<i64>) -> Result<Vec<LogChunk>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM log_chunks WHERE job_id = ?1 AND seq > ?2 ORDER BY seq"
            ))?;
            st.query_map(params![job_id, after.unwrap_or(-1)], chunk_from_row)?
                .collect()
        })
        .await
    }

    /// Test cases of a job: failures first, then by suite and name.
    pub async fn test_results(&self, job_id: i64) -> Result<Vec<TestResultRecord>, StoreError> {
        self.read(move |c| {
            let mut st = c.prepare_cached(
                "SELECT report, suite, classname, name, status, duration_ms, message, details FROM test_results
                 WHERE job_id = ?1
                 ORDER BY CASE status WHEN 'failed' THEN 0 WHEN 'skipped' THEN 2 ELSE 1 END, suite, classname, name",
            )?;
            st.query_map([job_id], |r| {
                Ok(TestResultRecord {
                    report: r.get(0)?,
                    suite: r.get(1)?,
                    classname: r.get(2)?,
                    name: r.get(3)?,
                    status: r.get(4)?,
                    duration_ms: r.get(5)?,
                    message: r.get(6)?,
                    details: r.get(7)?,
                })
            })?
            .collect()
        })
        .await
    }

    /// Runs still marked queued or running.
    pub async fn unfinished_runs(&self) -> Result<Vec<UnfinishedRun>, StoreError> {
        self.read(|c| {
            let mut st =
                c.prepare_cached("SELECT id, owner FROM runs WHERE status IN ('queued', 'running')")?;
            st.query_map([], |r| {
                Ok(UnfinishedRun {
                    id: r.get(0)?,
                    owner: r.get(1)?,
                })
            })?
            .collect()
        })
        .await
    }
}

/// Writes.
impl Store {
    /// Registers a project, or updates the one registered for the same folder.
    /// Fails with `Ok(Err(existing))` when another folder already uses the name.
    pub async fn upsert_project(
        &self,
        name: String,
        path: PathBuf,
        remote: Option<String>,
    ) -> Result<Result<Project, Project>, StoreError> {
        let now = super::now_ms();
        // Never store a credential that the remote URL may hold.
        let remote = remote.map(|r| crate::gitinfo::redact_remote(&r));
        self.change(move |c| {
            let path_text = path.to_string_lossy().into_owned();
            let taken = c
                .query_row(
                    "SELECT id, name, path, remote, created_at FROM projects WHERE name = ?1 AND path != ?2",
                    params![name, path_text],
                    project_from_row,
                )
                .optional()?;
            if let Some(existing) = taken {
                // A removed project whose history was kept gives its name up.
                let removed: bool = c.query_row(
                    "SELECT removed_at IS NOT NULL FROM projects WHERE id = ?1",
                    [existing.id],
                    |r| r.get(0),
                )?;
                if !removed {
                    return Ok((Err(existing), Vec::new()));
                }
                c.execute(
                    "UPDATE projects SET name = name || ' (removed #' || id || ')' WHERE id = ?1",
                    [existing.id],
                )?;
            }
            c.prepare_cached(
                "INSERT INTO projects (name, path, remote, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(path) DO UPDATE SET name = excluded.name, remote = excluded.remote, removed_at = NULL",
            )?
            .execute(params![name, path_text, remote, now])?;
            let project = c.query_row(
                "SELECT id, name, path, remote, created_at FROM projects WHERE path = ?1",
                [path_text],
                project_from_row,
            )?;
            let event = Event::Project {
                name: project.name.as_str().into(),
            };
            Ok((Ok(project), vec![event]))
        })
        .await
    }

    /// Creates a queued run and its queued jobs; returns the run id and the
    /// job ids in plan order.
    pub async fn create_run(&self, run: NewRun) -> Result<(i64, Vec<i64>), StoreError> {
        let now = super::now_ms();
        self.change(move |c| {
            let selection = (!run.selection.is_empty())
                .then(|| serde_json::to_string(&run.selection).unwrap_or_else(|_| "[]".into()));
            c.prepare_cached("INSERT INTO runs (project_id, status, commit_sha, branch, dirty, in_place, owner, created_at, trigger, selection, rerun_of)
                 VALUES (?1, 'queued', ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")?
                .execute(params![run.project_id, run.commit, run.branch, run.dirty, run.in_place, run.owner, now,
                    run.trigger, selection, run.rerun_of],
            )?;
            let run_id = c.last_insert_rowid();
            let mut st = c.prepare_cached(
                "INSERT INTO jobs (run_id, idx, name, runner, needs, status, kind, prompt)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'queued', ?6, ?7)",
            )?;
            let mut ids = Vec::with_capacity(run.jobs.len());
            for (i, job) in run.jobs.iter().enumerate() {
                let needs = serde_json::to_string(&job.needs).unwrap_or_else(|_| "[]".into());
                st.execute(params![run_id, i as i64, job.name, job.runner, needs, job.kind, job.prompt])?;
                ids.push(c.last_insert_rowid());
            }
            Ok(((run_id, ids), vec![run_event(c, run_id)?]))
        })
        .await
    }

    /// Marks the run running.
    pub async fn run_started(&self, run_id: i64, at: i64) {
        self.send_change("run started", move |c| {
            c.prepare_cached(
                "UPDATE runs SET status = 'running', started_at = COALESCE(started_at, ?2) WHERE id = ?1",
            )?
            .execute(params![run_id, at])?;
            Ok(vec![run_event(c, run_id)?])
        })
        .await
    }

    /// Records how the run ended.
    pub async fn run_finished(&self, run_id: i64, status: RunStatus, at: i64, error: Option<String>) {
        self.send_change("run finished", move |c| {
            c.prepare_cached(
                "UPDATE runs SET status = ?2, finished_at = ?3, error = COALESCE(?4, error) WHERE id = ?1",
            )?
            .execute(params![run_id, status.as_str(), at, error])?;
            Ok(vec![run_event(c, run_id)?])
        })
        .await
    }

    /// Records a job's state. `started_at`/`finished_at` are only set when given.
    pub async fn job_state(&self, update: JobUpdate) {
        self.send_change("job state", move |c| {
            c.prepare_cached(
                "UPDATE jobs SET status = ?2, attempts = MAX(attempts, ?3), reason = ?4,
                    started_at = COALESCE(started_at, ?5), finished_at = COALESCE(?6, finished_at)
                 WHERE id = ?1",
            )?
            .execute(params![
                update.job_id,
                update.status.as_str(),
                update.attempts,
                update.reason,
                update.started_at,
                update.finished_at
            ])?;
            Ok(vec![Event::Job {
                run_id: update.run_id,
                job_id: update.job_id,
                job: update.job,
                status: update.status,
                attempt: update.attempts,
                reason: update.reason,
            }])
        })
        .await
    }

    /// Creates the queued steps of a job's attempt.
    pub async fn steps_planned(&self, job_id: i64, attempt: u32, names: Vec<String>) {
        self.send("steps planned", move |c| {
            let mut st = c.prepare_cached(
                "INSERT OR IGNORE INTO steps (job_id, attempt, idx, name, status) VALUES (?1, ?2, ?3, ?4, 'queued')",
            )?;
            for (i, name) in names.iter().enumerate() {
                st.execute(params![job_id, attempt, i as i64, name])?;
            }
            Ok(())
        })
        .await
    }

    /// Records a step's state.
    pub async fn step_state(&self, update: StepUpdate) {
        self.send_change("step state", move |c| {
            c.prepare_cached(
                "UPDATE steps SET status = ?4, exit_code = COALESCE(?5, exit_code),
                    started_at = COALESCE(started_at, ?6), finished_at = COALESCE(?7, finished_at)
                 WHERE job_id = ?1 AND attempt = ?2 AND idx = ?3",
            )?
            .execute(params![
                update.job_id,
                update.attempt,
                update.idx,
                update.status.as_str(),
                update.exit_code,
                update.started_at,
                update.finished_at
            ])?;
            Ok(vec![Event::Step {
                run_id: update.run_id,
                job_id: update.job_id,
                job: update.job,
                attempt: update.attempt,
                step: update.idx,
                name: update.name,
                status: update.status,
                exit_code: update.exit_code,
            }])
        })
        .await
    }

    /// Appends a chunk of a job's log; an [`Event::Log`] with it follows the commit.
    pub async fn append_log(&self, run_id: i64, job_id: i64, job: std::sync::Arc<str>, chunk: LogChunk) {
        self.send_change("log chunk", move |c| {
            c.prepare_cached(
                "INSERT INTO log_chunks (job_id, attempt, seq, first_line, line_count, ts, compression, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                job_id,
                chunk.attempt,
                chunk.seq,
                chunk.first_line,
                chunk.line_count,
                chunk.ts,
                if chunk.compressed { "lz4" } else { "none" },
                chunk.data
            ])?;
            Ok(vec![Event::Log {
                run_id,
                job_id,
                job,
                chunk: std::sync::Arc::new(chunk),
            }])
        })
        .await
    }

    /// Stores a job's test cases (replacing earlier attempts') and its counts.
    pub async fn test_results_replace(&self, job_id: i64, results: Vec<TestResultRecord>) {
        self.send("test results", move |c| {
            c.prepare_cached("DELETE FROM test_results WHERE job_id = ?1")?
                .execute([job_id])?;
            let mut counts = TestCounts::default();
            let mut st = c.prepare_cached(
                "INSERT INTO test_results (job_id, report, suite, classname, name, status, duration_ms, message, details)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?;
            for t in &results {
                match t.status.as_str() {
                    "failed" => counts.failed += 1,
                    "skipped" => counts.skipped += 1,
                    _ => counts.passed += 1,
                }
                st.execute(params![
                    job_id,
                    t.report,
                    t.suite,
                    t.classname,
                    t.name,
                    t.status,
                    t.duration_ms,
                    t.message,
                    t.details
                ])?;
            }
            c.prepare_cached("UPDATE jobs SET tests_passed = ?2, tests_failed = ?3, tests_skipped = ?4 WHERE id = ?1")?
                .execute(params![job_id, counts.passed, counts.failed, counts.skipped],
            )?;
            Ok(())
        })
        .await
    }

    /// Stores a job's artifacts (replacing earlier attempts').
    pub async fn artifacts_replace(&self, job_id: i64, artifacts: Vec<ArtifactRecord>) {
        self.send("artifacts", move |c| {
            c.prepare_cached("DELETE FROM artifacts WHERE job_id = ?1")?
                .execute([job_id])?;
            let mut st = c.prepare_cached(
                "INSERT INTO artifacts (job_id, path, size, sha256) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for a in &artifacts {
                st.execute(params![job_id, a.path, a.size as i64, a.sha256])?;
            }
            Ok(())
        })
        .await
    }

    /// Keeps a job's outputs; committed when it returns, before the jobs
    /// that need them can start.
    pub async fn job_outputs(
        &self,
        job_id: i64,
        outputs: std::collections::BTreeMap<String, String>,
    ) -> Result<(), StoreError> {
        self.write(move |c| {
            let text = serde_json::to_string(&outputs).unwrap_or_else(|_| "{}".into());
            c.prepare_cached("UPDATE jobs SET outputs = ?2 WHERE id = ?1")?
                .execute(params![job_id, text])?;
            Ok(())
        })
        .await
    }

    /// Sets a job's warnings.
    pub async fn job_warnings(&self, job_id: i64, warnings: Vec<String>) {
        self.send("job warnings", move |c| {
            let text = serde_json::to_string(&warnings).unwrap_or_else(|_| "[]".into());
            c.prepare_cached("UPDATE jobs SET warnings = ?2 WHERE id = ?1")?
                .execute(params![job_id, text])?;
            Ok(())
        })
        .await
    }

    /// Asks the engine running the run to cancel it. Returns false when the
    /// run does not exist or has already ended.
    pub async fn request_cancel(&self, run_id: i64) -> Result<bool, StoreError> {
        self.change(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE runs SET cancel_requested = 1 WHERE id = ?1 AND status IN ('queued', 'running')",
                )?
                .execute([run_id])?;
            let events = if n > 0 {
                vec![Event::CancelRequested { run_id }]
            } else {
                Vec::new()
            };
            Ok((n > 0, events))
        })
        .await
    }

    /// Marks a run whose engine is gone, and everything unfinished in it, as
    /// `interrupted`.
    pub async fn interrupt_run(&self, run_id: i64, reason: String) -> Result<(), StoreError> {
        let now = super::now_ms();
        self.change(move |c| {
            end_unfinished(c, run_id, "interrupted", &reason, now)?;
            Ok(((), vec![run_event(c, run_id)?]))
        })
        .await
    }

    /// Records a decision on a waiting approval job. Returns `Ok(false)` when
    /// the job is not an approval job that waits (not yet, or any more).
    pub async fn decide(&self, run_id: i64, job_id: i64, decision: Decision) -> Result<bool, StoreError> {
        let text = serde_json::to_string(&decision)
            .map_err(|e| StoreError::QueryFailed(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        self.change(move |c| {
            let n = c
                .prepare_cached(
                    "UPDATE jobs SET decision = ?3
                     WHERE id = ?2 AND run_id = ?1 AND ((kind = 'approval' AND status IN ('queued', 'waiting')) OR (kind = 'deploy' AND status = 'waiting'))
                       AND decision IS NULL",
                )?
                .execute(params![run_id, job_id, text])?;
            let events = if n > 0 {
                vec![Event::Decided { run_id, job_id }]
            } else {
                Vec::new()
            };
            Ok((n > 0, events))
        })
        .await
    }

    /// Forgets the decision on a job (a deploy job that may ask again).
    pub async fn clear_decision(&self, job_id: i64) -> Result<(), StoreError> {
        self.write(move |c| {
            c.prepare_cached("UPDATE jobs SET decision = NULL WHERE id = ?1")?
                .execute([job_id])?;
            Ok(())
        })
        .await
    }

    /// The decision on an approval job, once there is one.
    pub async fn decision(&self, job_id: i64) -> Result<Option<Decision>, StoreError> {
        let text: Option<String> = self
            .read(move |c| {
                c.prepare_cached("SELECT decision FROM jobs WHERE id = ?1")?
                    .query_row([job_id], |r| r.get(0))
                    .optional()
                    .map(Option::flatten)
            })
            .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Marks the unfinished steps of a job as failed (its task failed).
    pub async fn end_unfinished_steps(&self, job_id: i64, now: i64) -> Result<(), StoreError> {
        self.write(move |c| {
            c.prepare_cached(
                "UPDATE steps SET status = 'failed', finished_at = ?2
                 WHERE job_id = ?1 AND status IN ('queued', 'running')",
            )?
            .execute(params![job_id, now])
            .map(|_| ())
        })
        .await
    }

    /// Marks a run whose engine failed (a bug), and everything unfinished in
    /// it, as `failed` with the reason.
    pub async fn fail_run(&self, run_id: i64, reason: String) -> Result<(), StoreError> {
        let now = super::now_ms();
        self.change(move |c| {
            end_unfinished(c, run_id, "failed", &reason, now)?;
            Ok(((), vec![run_event(c, run_id)?]))
        })
        .await
    }
}

/// The [`Event::Run`] announcing a run's current status.
fn run_event(c: &Connection, run_id: i64) -> rusqlite::Result<Event> {
    let (project, status): (String, String) = c
        .prepare_cached(
            "SELECT p.name, r.status FROM runs r JOIN projects p ON p.id = r.project_id WHERE r.id = ?1",
        )?
        .query_row([run_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(Event::Run {
        run_id,
        project: project.into(),
        status: parse_status(1, status)?,
    })
}

/// Ends a run and everything unfinished in it with `status` (`interrupted`
/// or `failed`, a name every lifecycle has) and the reason.
fn end_unfinished(c: &Connection, run_id: i64, status: &str, reason: &str, now: i64) -> rusqlite::Result<()> {
    c.prepare_cached(
        "UPDATE steps SET status = ?3, finished_at = ?2
         WHERE status IN ('queued', 'running') AND job_id IN (SELECT id FROM jobs WHERE run_id = ?1)",
    )?
    .execute(params![run_id, now, status])?;
    c.prepare_cached(
        "UPDATE jobs SET status = ?4, finished_at = ?2, reason = COALESCE(reason, ?3)
         WHERE run_id = ?1 AND status IN ('queued', 'running', 'waiting')",
    )?
    .execute(params![run_id, now, reason, status])?;
    c.prepare_cached(
        "UPDATE runs SET status = ?4, finished_at = ?2, error = COALESCE(error, ?3)
         WHERE id = ?1 AND status IN ('queued', 'running')",
    )?
    .execute(params![run_id, now, reason, status])?;
    Ok(())
}

/// A change of a job's state.
#[derive(Debug, Clone)]
pub struct JobUpdate {
    /// The run.
    pub run_id: i64,
    /// The job.
    pub job_id: i64,
    /// The job's name.
    pub job: std::sync::Arc<str>,
    /// Its new status.
    pub status: JobStatus,
    /// Attempts made so far.
    pub attempts: u32,
    /// Why (for failures, skips and cancellations).
    pub reason: Option<String>,
    /// Set when it starts.
    pub started_at: Option<i64>,
    /// Set when it ends.
    pub finished_at: Option<i64>,
}

/// A change of a step's state.
#[derive(Debug, Clone)]
pub struct StepUpdate {
    /// The run.
    pub run_id: i64,
    /// The job.
    pub job_id: i64,
    /// The job's name.
    pub job: std::sync::Arc<str>,
    /// The step's name.
    pub name: std::sync::Arc<str>,
    /// The attempt.
    pub attempt: u32,
    /// The step's position.
    pub idx: u32,
    /// Its new status.
    pub status: StepStatus,
    /// Exit code, when it exited.
    pub exit_code: Option<i32>,
    /// Set when it starts.
    pub started_at: Option<i64>,
    /// Set when it ends.
    pub finished_at: Option<i64>,
}

#[cfg(test)]
mod run_columns_tests {
    /// Queries read their own columns after [`super::RUN_COLUMNS`] by
    /// index; a column added there without this count moved them all.
    #[test]
    fn the_count_matches_the_columns() {
        assert_eq!(super::RUN_COLUMNS.split(',').count(), super::RUN_COLUMN_COUNT);
    }
}
