//! The engine's use cases: what a front end asks for, as one method each,
//! returning the [`crate::views`] both front ends show. The CLI and the
//! desktop shell call these and add only presentation; the rules (what
//! needs attention, when to notify, what a folder import writes) live here.
//!
//! Every method runs its file and database work off the async runtime.

use std::path::{Path, PathBuf};

use crate::pipeline::plan::{JobKind, Plan};
use crate::pipeline::{self, Condition, LoadFileError, PIPELINE_FILE};
use rusqlite::OptionalExtension as _;

use crate::secrets::SecretScope;
use crate::status::RunStatus;
use crate::store::{RunFilter, TestResultRecord};
use crate::views::*;
use crate::{Engine, EngineError, gitinfo, logs, starter};

/// Largest starter pipeline accepted.
pub const MAX_PIPELINE_BYTES: usize = 1 << 20;
/// Most runs in one page.
pub const MAX_RUN_PAGE: u32 = 500;
/// Most log lines in one window.
pub const MAX_LOG_PAGE: usize = 5000;

/// Which runs to list.
#[derive(Debug, Clone, Default)]
pub struct RunQuery {
    /// Only this project's.
    pub project: Option<String>,
    /// Only runs with this status.
    pub status: Option<RunStatus>,
    /// Only runs on this branch.
    pub branch: Option<String>,
    /// Only runs older than this id (the previous page's `next_before`).
    pub before: Option<i64>,
    /// At most this many (1 to [`MAX_RUN_PAGE`]).
    pub limit: u32,
}

fn blocking_failed(what: &str, e: tokio::task::JoinError) -> EngineError {
    EngineError::Io {
        what: what.to_string(),
        source: std::io::Error::other(e.to_string()),
    }
}

/// What a pipeline text would be as `file`: valid with its plan, or its
/// problems with line and column.
pub fn pipeline_text_view(file: &Path, text: &str) -> PipelineView {
    match pipeline::load(file, text) {
        Ok(p) => PipelineView {
            state: PipelineState::Valid,
            diagnostics: Vec::new(),
            plan: plan_view(&Plan::new(&p)),
        },
        Err(invalid) => PipelineView {
            state: PipelineState::Invalid,
            diagnostics: invalid.diagnostics.iter().map(DiagnosticView::from).collect(),
            plan: Vec::new(),
        },
    }
}

/// A folder's pipeline: valid with its plan, missing, or invalid with
/// its problems.
pub fn pipeline_view(dir: &Path) -> PipelineView {
    let file = dir.join(PIPELINE_FILE);
    if !file.is_file() {
        return PipelineView {
            state: PipelineState::Missing,
            diagnostics: Vec::new(),
            plan: Vec::new(),
        };
    }
    match pipeline::load_file(&file) {
        Ok(p) => PipelineView {
            state: PipelineState::Valid,
            diagnostics: Vec::new(),
            plan: plan_view(&Plan::new(&p)),
        },
        Err(LoadFileError::Invalid(invalid)) => PipelineView {
            state: PipelineState::Invalid,
            diagnostics: invalid.diagnostics.iter().map(DiagnosticView::from).collect(),
            plan: Vec::new(),
        },
        Err(e) => PipelineView {
            state: PipelineState::Invalid,
            diagnostics: vec![DiagnosticView {
                line: 1,
                column: 1,
                message: e.to_string(),
            }],
            plan: Vec::new(),
        },
    }
}

/// A plan as a graph of stages.
pub fn plan_view(plan: &Plan) -> Vec<PlanJobView> {
    let stages = plan.stages();
    plan.jobs
        .iter()
        .zip(stages)
        .map(|(j, stage)| PlanJobView {
            name: j.name.clone(),
            needs: j.needs.iter().map(|&n| plan.jobs[n].name.clone()).collect(),
            stage: stage as u32,
            runner: match j.kind {
                JobKind::Steps => j.runner.to_string(),
                JobKind::Approval { .. } | JobKind::Deploy(_) => String::new(),
            },
            kind: match j.kind {
                JobKind::Steps => JobKindView::Steps,
                JobKind::Approval { .. } => JobKindView::Approval,
                JobKind::Deploy(_) => JobKindView::Deploy,
            },
            condition: match j.condition {
                Condition::Success => ConditionView::Success,
                Condition::Failure => ConditionView::Failure,
                Condition::Always => ConditionView::Always,
            },
            steps: j.steps.iter().map(|s| s.name.clone()).collect(),
        })
        .collect()
}

/// Git facts of a folder (remote without credentials) and its last commits.
pub fn git_view(dir: &Path) -> Option<GitView> {
    let info = gitinfo::read(dir)?;
    Some(GitView {
        branch: info.branch,
        remote: info.remote.as_deref().map(gitinfo::redact_remote),
        dirty: info.dirty,
        commits: gitinfo::recent_commits(dir, 10)
            .into_iter()
            .map(|c| CommitView {
                id: c.id,
                summary: c.summary,
                author: c.author,
                time: rfc3339_at(c.time),
            })
            .collect(),
    })
}

/// Why a folder is one no project lives in (the root, a home folder, a
/// system folder), if it is.
pub fn not_a_project_folder(dir: &Path) -> Option<FolderWarning> {
    if dir.parent().is_none() {
        return Some(FolderWarning::RootFolder);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    if home
        .as_deref()
        .and_then(|h| std::fs::canonicalize(h).ok())
        .as_deref()
        == Some(dir)
    {
        return Some(FolderWarning::HomeFolder);
    }
    const SYSTEM: &[&str] = &[
        "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/opt", "/proc", "/root", "/run",
        "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var",
    ];
    SYSTEM
        .iter()
        .any(|s| Path::new(s) == dir)
        .then_some(FolderWarning::SystemFolder)
}

impl Engine {
    /// What a folder holds, before importing it: its git facts, its
    /// pipeline (or a starter for it), whether it is imported already, and
    /// warnings (a home or system folder).
    pub async fn inspect_folder(&self, dir: &Path) -> Result<FolderView, EngineError> {
        let dir = absolute_dir(dir).await?;
        let imported_as = self.inner.store.project_by_path(&dir).await?.map(|p| p.name);
        let d = dir.clone();
        tokio::task::spawn_blocking(move || {
            let pipeline = pipeline_view(&d);
            let starter = match pipeline.state {
                PipelineState::Missing => starter::detect(&d).map(|s| StarterView {
                    stack: s.stack,
                    detected_from: s.detected_from,
                    yaml: s.yaml,
                }),
                _ => None,
            };
            let name = pipeline::load_file(&d.join(PIPELINE_FILE))
                .ok()
                .and_then(|p| p.name)
                .unwrap_or_else(|| pipeline::name_from_folder(&d));
            let warnings: Vec<FolderWarning> = not_a_project_folder(&d).into_iter().collect();
            FolderView {
                path: d.display().to_string(),
                name,
                git: git_view(&d),
                pipeline,
                starter,
                imported_as,
                warnings,
            }
        })
        .await
        .map_err(|e| blocking_failed("cannot inspect the folder", e))
    }

    /// Imports a folder. With `starter`, writes it as the folder's
    /// `switchyard.yaml` first: only when the folder has none, and only when
    /// it loads (nothing is written otherwise).
    pub async fn import_project(
        &self,
        dir: &Path,
        starter: Option<String>,
    ) -> Result<ProjectView, EngineError> {
        let dir = absolute_dir(dir).await?;
        if let Some(yaml) = starter {
            let file = dir.join(PIPELINE_FILE);
            tokio::task::spawn_blocking(move || write_starter(&file, &yaml))
                .await
                .map_err(|e| blocking_failed("cannot write the pipeline", e))??;
        }
        let project = self.import(&dir, None).await?;
        self.project_view(&project).await
    }

    async fn project_view(&self, p: &crate::store::Project) -> Result<ProjectView, EngineError> {
        let last = self.inner.store.runs(Some(p.id), 1, None).await?;
        Ok(ProjectView::new(p, last.first()))
    }

    /// Every project with its latest run.
    pub async fn project_views(&self) -> Result<Vec<ProjectView>, EngineError> {
        let projects = self.inner.store.projects().await?;
        let mut out = Vec::with_capacity(projects.len());
        for p in &projects {
            out.push(self.project_view(p).await?);
        }
        Ok(out)
    }

    /// A project's page: the project, git facts and pipeline now, branches run.
    pub async fn project_detail(&self, name: &str) -> Result<ProjectDetailView, EngineError> {
        let project = self.project(name).await?;
        let branches = self.inner.store.branches(project.id).await?;
        let view = self.project_view(&project).await?;
        let dir = project.path.clone();
        let (git, pipeline) = tokio::task::spawn_blocking(move || (git_view(&dir), pipeline_view(&dir)))
            .await
            .map_err(|e| blocking_failed("cannot read the project", e))?;
        Ok(ProjectDetailView {
            project: view,
            git,
            pipeline,
            branches,
        })
    }

    /// One page of runs.
    pub async fn list_runs(&self, query: RunQuery) -> Result<RunPage, EngineError> {
        let project_id = match &query.project {
            Some(name) => Some(self.project(name).await?.id),
            None => None,
        };
        let limit = query.limit.clamp(1, MAX_RUN_PAGE);
        let runs = self
            .inner
            .store
            .runs_filtered(&RunFilter {
                project_id,
                status: query.status,
                branch: query.branch,
                before: query.before,
                limit,
            })
            .await?;
        let next_before = if runs.len() == limit as usize {
            runs.last().map(|r| r.id)
        } else {
            None
        };
        Ok(RunPage {
            runs: runs.iter().map(RunSummaryView::from).collect(),
            next_before,
        })
    }

    /// One run, as the CLI's `show --json` and the desktop show it.
    pub async fn run_view(&self, id: i64) -> Result<RunView, EngineError> {
        Ok(RunView::from(&self.run(id).await?))
    }

    /// What needs attention now: runs going, and failing projects. The
    /// Overview, the tray and notifications all follow this one rule.
    pub async fn attention(&self) -> Result<Attention, EngineError> {
        let branches = self.config().projects.default_branches.clone();
        let store = &self.inner.store;
        let active = store.active_runs().await?;
        let failing = store.failing_projects(&branches).await?;
        let waiting = store
            .waiting_gates()
            .await?
            .into_iter()
            .map(|(run, job, message, since)| WaitingGateView {
                run: RunSummaryView::from(&run),
                job,
                message,
                since: rfc3339(since),
            })
            .collect();
        let incidents = self.incidents_needing_attention().await?;
        Ok(Attention {
            active: active.iter().map(RunSummaryView::from).collect(),
            waiting,
            failing: failing.iter().map(RunSummaryView::from).collect(),
            incidents,
        })
    }

    /// The Overview.
    pub async fn overview(&self) -> Result<OverviewView, EngineError> {
        let attention = self.attention().await?;
        let recent = self.inner.store.runs(None, 20, None).await?;
        let projects = self.inner.store.projects().await?.len() as u32;
        Ok(OverviewView {
            active: attention.active,
            waiting: attention.waiting,
            recent: recent.iter().map(RunSummaryView::from).collect(),
            failing: attention.failing,
            default_branches: self.config().projects.default_branches.clone(),
            projects,
        })
    }

    /// Whether the history is empty (a first start).
    pub async fn is_empty(&self) -> Result<bool, EngineError> {
        Ok(self.inner.store.projects().await?.is_empty()
            && self.inner.store.runs(None, 1, None).await?.is_empty())
    }

    /// The desktop notification due for a run that just ended, as the
    /// settings say (`notify_on_failure`, `notify_on_fixed`, a pause): a
    /// failure names the failing job and why; a success after a failing run
    /// on the same branch says it is fixed. `None` when nothing is due.
    pub async fn notification_for(&self, run_id: i64) -> Result<Option<Notification>, EngineError> {
        let desktop = self.config().desktop.clone();
        if desktop.paused(crate::store::now_ms()) {
            return Ok(None);
        }
        let run = self.run(run_id).await?;
        // A run that deployed speaks of its deployment: a rollback, a
        // failure, or a production deployment that finished.
        if let Some(n) = self.deployment_notification(&run).await? {
            return Ok(Some(n));
        }
        let previous = self.inner.store.previous_outcome(run_id).await?;
        Ok(notification(
            &run,
            previous,
            desktop.notify_on_failure,
            desktop.notify_on_fixed,
        ))
    }

    /// The notification of a run's deployment that ended: rolled back or
    /// failed (always), or succeeded in production.
    async fn deployment_notification(
        &self,
        run: &crate::store::RunDetails,
    ) -> Result<Option<Notification>, EngineError> {
        use crate::status::DeploymentStatus;
        let deployments = self.deployments_of_run(run.summary.id).await?;
        let production = crate::deploy::is_production;
        for d in deployments.iter().rev() {
            let what = format!("{} {} → {}", d.app, d.version, d.environment);
            let (summary, body) = match d.status {
                DeploymentStatus::RolledBack => (
                    format!("{what} was rolled back"),
                    d.reason.clone().unwrap_or_default(),
                ),
                DeploymentStatus::Failed => (format!("{what} failed"), d.reason.clone().unwrap_or_default()),
                DeploymentStatus::Succeeded if production(&d.environment) => (
                    format!("{what} is live"),
                    format!(
                        "revision {} on {}",
                        d.revision,
                        d.targets
                            .iter()
                            .map(|t| t.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                _ => continue,
            };
            return Ok(Some(Notification {
                run_id: run.summary.id,
                route: format!("/deployments/{}", d.id),
                summary,
                body,
            }));
        }
        Ok(None)
    }

    /// The desktop notification due when an approval job of a run starts
    /// waiting (none while notifications are paused).
    pub async fn gate_notification(
        &self,
        run_id: i64,
        job: &str,
    ) -> Result<Option<Notification>, EngineError> {
        if self.config().desktop.paused(crate::store::now_ms()) {
            return Ok(None);
        }
        let run = self.run(run_id).await?;
        let Some(j) = run.jobs.iter().find(|j| j.name == job) else {
            return Ok(None);
        };
        if j.kind == "deploy" {
            // A deployment asks: approval, or an inconclusive analysis.
            let Some(d) = self
                .deployments_of_run(run_id)
                .await?
                .into_iter()
                .find(|d| d.job_id == j.id)
            else {
                return Ok(None);
            };
            return Ok(Some(Notification {
                run_id,
                route: format!("/deployments/{}", d.id),
                summary: format!("{} {} → {} waits for you", d.app, d.version, d.environment),
                body: j.reason.clone().unwrap_or_else(|| "approve or reject it".into()),
            }));
        }
        Ok(Some(Notification {
            run_id,
            route: format!("/runs/{run_id}"),
            summary: format!("{} run #{run_id} waits for approval", run.summary.project),
            body: format!("{job}: {}", j.prompt.as_deref().unwrap_or("approve or reject it")),
        }))
    }

    /// Lines `from..from + count` (1-based, at most [`MAX_LOG_PAGE`]) of a
    /// job's log, and how many there are so far.
    pub async fn read_log(&self, job_id: i64, from: i64, count: usize) -> Result<logs::LogPage, EngineError> {
        Ok(logs::page(&self.inner.store, job_id, from, count.clamp(1, MAX_LOG_PAGE)).await?)
    }

    /// The next line of a job's log (after `from`, or before it backwards)
    /// holding `query`, ignoring case.
    pub async fn search_log(
        &self,
        job_id: i64,
        query: &str,
        from: i64,
        backwards: bool,
    ) -> Result<Option<i64>, EngineError> {
        Ok(logs::search(&self.inner.store, job_id, query, from, backwards).await?)
    }

    /// How many lines of a job's log contain `query`, and how many of them
    /// are at or before line `at`.
    pub async fn count_log_matches(
        &self,
        job_id: i64,
        query: &str,
        at: i64,
    ) -> Result<LogMatchCount, EngineError> {
        let (total, position) = logs::count_matches(&self.inner.store, job_id, query, at).await?;
        Ok(LogMatchCount { total, position })
    }

    /// The lines of a job's log holding `query` (ignoring case), for a
    /// view of only those lines.
    pub async fn filter_log(&self, job_id: i64, query: &str) -> Result<logs::LogFilter, EngineError> {
        Ok(logs::filter(&self.inner.store, job_id, query).await?)
    }

    /// Where each step's lines are in a job's log from line `from` on (the
    /// sections the log viewer folds).
    pub async fn log_sections(&self, job_id: i64, from: i64) -> Result<Vec<logs::LogSection>, EngineError> {
        Ok(logs::sections(&self.inner.store, job_id, from).await?)
    }

    /// The outcomes of one test (same class and name) in the latest runs of
    /// the project of `job_id`, newest first: passed/failed over time.
    pub async fn test_history(
        &self,
        job_id: i64,
        classname: Option<String>,
        name: String,
        limit: u32,
    ) -> Result<Vec<TestOutcomeView>, EngineError> {
        let limit = limit.clamp(1, 200);
        Ok(self
            .inner
            .store
            .read(move |c| {
                c.prepare(
                    "SELECT r.id, j.name, t.status, r.created_at, r.commit_sha FROM test_results t
                     JOIN jobs j ON j.id = t.job_id JOIN runs r ON r.id = j.run_id
                     WHERE r.project_id = (SELECT r2.project_id FROM jobs j2 JOIN runs r2 ON r2.id = j2.run_id WHERE j2.id = ?1)
                       AND t.name = ?2 AND t.classname IS ?3
                     ORDER BY r.id DESC, j.idx LIMIT ?4",
                )?
                .query_map(rusqlite::params![job_id, name, classname, limit], |r| {
                    Ok(TestOutcomeView {
                        run_id: r.get(0)?,
                        job: r.get(1)?,
                        status: r.get(2)?,
                        created_at: rfc3339_at(r.get(3)?),
                        commit: r.get(4)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?)
    }

    /// Writes a job's whole log as text to `path`.
    pub async fn export_log(&self, job_id: i64, path: &Path) -> Result<(), EngineError> {
        let chunks = self.inner.store.log_chunks(job_id, None).await?;
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || -> Result<(), EngineError> {
            use std::io::Write;
            let io = |e: std::io::Error| EngineError::Io {
                what: format!("cannot write {}", path.display()),
                source: e,
            };
            let file = std::fs::File::create(&path).map_err(io)?;
            let mut out = std::io::BufWriter::new(file);
            for chunk in &chunks {
                for line in logs::decode(chunk) {
                    writeln!(out, "{}", line.text).map_err(io)?;
                }
            }
            out.flush().map_err(io)
        })
        .await
        .map_err(|e| blocking_failed("cannot write the log", e))?
    }

    /// The latest runs over all projects, newest first.
    pub async fn recent_runs(&self, limit: u32) -> Result<Vec<RunSummaryView>, EngineError> {
        let runs = self
            .inner
            .store
            .runs(None, limit.clamp(1, MAX_RUN_PAGE), None)
            .await?;
        Ok(runs.iter().map(RunSummaryView::from).collect())
    }

    /// Runs that started between `start_ms` and `end_ms` (Unix ms), newest
    /// first, at most `limit`: the markers charts draw.
    pub async fn runs_between(
        &self,
        start_ms: i64,
        end_ms: i64,
        limit: u32,
    ) -> Result<Vec<RunMarker>, EngineError> {
        let limit = i64::from(limit.clamp(1, MAX_RUN_PAGE));
        let rows = self
            .inner
            .store
            .read(move |c| {
                let mut stmt = c.prepare_cached(
                    "SELECT r.id, p.name, r.status, r.started_at FROM runs r JOIN projects p ON p.id = r.project_id
                     WHERE r.started_at BETWEEN ?1 AND ?2 AND p.removed_at IS NULL
                     ORDER BY r.started_at DESC LIMIT ?3",
                )?;
                let rows = stmt
                    .query_map(rusqlite::params![start_ms, end_ms, limit], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, i64>(3)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, project, status, started_at)| {
                Some(RunMarker {
                    id,
                    project,
                    status: status.parse().ok()?,
                    started_at,
                })
            })
            .collect())
    }

    /// One run as listed, without its jobs (cheap, for lists that follow
    /// every change of a run).
    pub async fn run_summary(&self, id: i64) -> Result<RunSummaryView, EngineError> {
        let run = self
            .inner
            .store
            .run_summary(id)
            .await?
            .ok_or(EngineError::RunNotFound(id))?;
        Ok(RunSummaryView::from(&run))
    }

    /// A run's status (cheap, for followers that poll).
    pub async fn run_status(&self, id: i64) -> Result<RunStatus, EngineError> {
        self.inner
            .store
            .run_status(id)
            .await?
            .ok_or(EngineError::RunNotFound(id))
    }

    /// The lines of a job's log in the chunks after chunk `after` (all when
    /// `None`), and the last chunk read (to pass as `after` next time).
    pub async fn log_since(
        &self,
        job_id: i64,
        after: Option<i64>,
    ) -> Result<(Vec<logs::LogLine>, Option<i64>), EngineError> {
        let chunks = self.inner.store.log_chunks(job_id, after).await?;
        let last = chunks.last().map(|c| c.seq).or(after);
        Ok((chunks.iter().flat_map(logs::decode).collect(), last))
    }

    /// A job's test cases, failures first.
    pub async fn test_results(&self, job_id: i64) -> Result<Vec<TestResultRecord>, EngineError> {
        Ok(self.inner.store.test_results(job_id).await?)
    }
}

/// The notification rule, on a run and how the previous run of its
/// project and branch ended.
pub fn notification(
    run: &crate::store::RunDetails,
    previous: Option<RunStatus>,
    on_failure: bool,
    on_fixed: bool,
) -> Option<Notification> {
    let s = &run.summary;
    let branch = s
        .branch
        .as_deref()
        .map(|b| format!(" on {b}"))
        .unwrap_or_default();
    match s.status {
        RunStatus::Failed if on_failure => {
            let culprit = run
                .jobs
                .iter()
                .find(|j| j.status.is_failure())
                .map(|j| format!("{}: {}", j.name, j.reason.as_deref().unwrap_or("failed")))
                .unwrap_or_else(|| run.error.clone().unwrap_or_default());
            Some(Notification {
                run_id: s.id,
                route: format!("/runs/{}", s.id),
                summary: format!("{} run #{} failed{branch}", s.project, s.id),
                body: culprit,
            })
        }
        RunStatus::Succeeded
            if on_fixed && matches!(previous, Some(RunStatus::Failed | RunStatus::Interrupted)) =>
        {
            Some(Notification {
                run_id: s.id,
                route: format!("/runs/{}", s.id),
                summary: format!("{} is fixed{branch}", s.project),
                body: format!("run #{} succeeded after a failing run", s.id),
            })
        }
        _ => None,
    }
}

/// An absolute folder that exists, with symbolic links resolved.
async fn absolute_dir(dir: &Path) -> Result<PathBuf, EngineError> {
    if !dir.is_absolute() {
        return Err(EngineError::NotADirectory {
            path: dir.to_path_buf(),
        });
    }
    let d = dir.to_path_buf();
    tokio::task::spawn_blocking(move || match std::fs::canonicalize(&d) {
        Ok(p) if p.is_dir() => Ok(p),
        _ => Err(EngineError::NotADirectory { path: d }),
    })
    .await
    .map_err(|e| blocking_failed("cannot read the folder", e))?
}

/// The SHA-256 of a pipeline file's bytes, hex; empty when there is none.
fn file_version(bytes: Option<&[u8]>) -> String {
    use sha2::Digest as _;
    bytes
        .map(|b| hex::encode(sha2::Sha256::digest(b)))
        .unwrap_or_default()
}

/// Reads a project's pipeline file for the editor (none yet: empty).
fn read_pipeline_file(file: &Path) -> Result<PipelineFileView, EngineError> {
    let bytes = match std::fs::read(file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            return Err(EngineError::Io {
                what: format!("cannot read {}", file.display()),
                source: e,
            });
        }
    };
    if let Some(b) = &bytes
        && b.len() > MAX_PIPELINE_BYTES
    {
        return Err(EngineError::PipelineTooLarge {
            bytes: b.len(),
            max: MAX_PIPELINE_BYTES,
        });
    }
    let version = file_version(bytes.as_deref());
    let text = match bytes {
        None => String::new(),
        Some(b) => String::from_utf8(b).map_err(|_| EngineError::Io {
            what: format!("cannot edit {}", file.display()),
            source: std::io::Error::other("it is not UTF-8 text; fix its encoding in another editor"),
        })?,
    };
    let pipeline = if version.is_empty() {
        PipelineView {
            state: PipelineState::Missing,
            diagnostics: Vec::new(),
            plan: Vec::new(),
        }
    } else {
        pipeline_text_view(file, &text)
    };
    Ok(PipelineFileView {
        path: file.display().to_string(),
        text,
        version,
        pipeline,
    })
}

/// Replaces a pipeline file with `text`, when the file is still the
/// version read (`version`) and the text loads. Written to a temporary file
/// beside it and renamed over it, so no reader ever sees half a file; the
/// file's permissions are kept.
fn write_pipeline_file(file: &Path, text: &str, version: &str) -> Result<(), EngineError> {
    if text.len() > MAX_PIPELINE_BYTES {
        return Err(EngineError::PipelineTooLarge {
            bytes: text.len(),
            max: MAX_PIPELINE_BYTES,
        });
    }
    pipeline::load(file, text).map_err(LoadFileError::Invalid)?;
    let io = |what: &str, e: std::io::Error| EngineError::Io {
        what: format!("cannot {what} {}", file.display()),
        source: e,
    };
    let current = match std::fs::read(file) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(io("read", e)),
    };
    if file_version(current.as_deref()) != version {
        return Err(EngineError::PipelineChanged {
            file: file.to_path_buf(),
        });
    }
    let dir = file.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".{PIPELINE_FILE}.switchyard-{}.tmp", std::process::id()));
    let written = (|| {
        use std::io::Write as _;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        if let Ok(meta) = std::fs::metadata(file) {
            std::fs::set_permissions(&tmp, meta.permissions())?;
        }
        std::fs::rename(&tmp, file)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(io("write", e));
    }
    Ok(())
}

/// The pipeline editor: a project's `switchyard.yaml` read, checked as it
/// is typed, and saved.
impl Engine {
    /// A project's pipeline file as text, with its version and whether it
    /// loads.
    pub async fn pipeline_file(&self, name: &str) -> Result<PipelineFileView, EngineError> {
        let file = self.project(name).await?.path.join(PIPELINE_FILE);
        tokio::task::spawn_blocking(move || read_pipeline_file(&file))
            .await
            .map_err(|e| blocking_failed("cannot read the pipeline", e))?
    }

    /// What `text` would be as the project's pipeline (nothing is written).
    pub async fn check_pipeline(&self, name: &str, text: String) -> Result<PipelineView, EngineError> {
        if text.len() > MAX_PIPELINE_BYTES {
            return Err(EngineError::PipelineTooLarge {
                bytes: text.len(),
                max: MAX_PIPELINE_BYTES,
            });
        }
        let file = self.project(name).await?.path.join(PIPELINE_FILE);
        tokio::task::spawn_blocking(move || pipeline_text_view(&file, &text))
            .await
            .map_err(|e| blocking_failed("cannot check the pipeline", e))
    }

    /// Saves `text` as the project's pipeline: only a text that loads, and
    /// only over the version the editor read (else
    /// [`EngineError::PipelineChanged`]). Returns the file as saved; the
    /// project's views hear of it.
    pub async fn save_pipeline(
        &self,
        name: &str,
        text: String,
        version: String,
    ) -> Result<PipelineFileView, EngineError> {
        let project = self.project(name).await?;
        let file = project.path.join(PIPELINE_FILE);
        let saved = tokio::task::spawn_blocking(move || {
            write_pipeline_file(&file, &text, &version)?;
            read_pipeline_file(&file)
        })
        .await
        .map_err(|e| blocking_failed("cannot save the pipeline", e))??;
        tracing::info!(project = %project.name, "pipeline saved");
        self.inner.store.events().publish(crate::events::Event::Project {
            name: project.name.as_str().into(),
        });
        Ok(saved)
    }
}

/// Writes a starter pipeline: never over an existing file, never one
/// that would not load.
fn write_starter(file: &Path, yaml: &str) -> Result<(), EngineError> {
    if file.exists() {
        return Err(EngineError::PipelineExists {
            file: file.to_path_buf(),
        });
    }
    if yaml.len() > MAX_PIPELINE_BYTES {
        return Err(EngineError::PipelineTooLarge {
            bytes: yaml.len(),
            max: MAX_PIPELINE_BYTES,
        });
    }
    pipeline::load(file, yaml).map_err(LoadFileError::Invalid)?;
    // Created, not truncated: a file that appeared meanwhile is kept.
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                EngineError::PipelineExists {
                    file: file.to_path_buf(),
                }
            } else {
                EngineError::Io {
                    what: format!("cannot write {}", file.display()),
                    source: e,
                }
            }
        })?;
    f.write_all(yaml.as_bytes()).map_err(|e| EngineError::Io {
        what: format!("cannot write {}", file.display()),
        source: e,
    })
}

/// Secrets: values in the store (the OS keyring), names and ages in the
/// history. See [`crate::secrets`].
impl Engine {
    /// Fails when a job of the plan names a secret that no source has, before
    /// anything of the run is recorded or started.
    pub(crate) async fn check_secrets(&self, project: &str, plan: &Plan) -> Result<(), EngineError> {
        let mut names: Vec<String> = plan.jobs.iter().flat_map(|j| j.secrets.iter().cloned()).collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Ok(());
        }
        let store = self.inner.secrets.clone();
        let project = project.to_string();
        tokio::task::spawn_blocking(move || {
            for name in names {
                if crate::secrets::resolve(store.as_ref(), &project, &name)?.is_none() {
                    return Err(EngineError::SecretMissing {
                        looked: crate::secrets::looked_in(store.as_ref(), &project, &name),
                        scope_flag: format!(" --project {project}"),
                        name,
                    });
                }
            }
            Ok(())
        })
        .await
        .map_err(|e| EngineError::Internal(format!("the secret check failed: {e}")))?
    }

    /// Stores a secret's value in the store and records that it was set (or,
    /// when the name existed in that scope, rotated). The value is never
    /// written anywhere else.
    pub async fn set_secret(
        &self,
        scope: SecretScope,
        name: &str,
        value: secrecy::SecretString,
    ) -> Result<SecretView, EngineError> {
        use secrecy::ExposeSecret;
        crate::secrets::check_name(name).map_err(EngineError::InvalidSecret)?;
        let len = value.expose_secret().len();
        if len == 0 {
            return Err(EngineError::InvalidSecret(format!(
                "the value of secret `{name}` is empty"
            )));
        }
        if len > crate::secrets::MAX_VALUE {
            return Err(EngineError::InvalidSecret(format!(
                "the value of secret `{name}` is {len} bytes; at most {} are accepted",
                crate::secrets::MAX_VALUE
            )));
        }
        let scope = self.checked_scope(scope).await?;
        let store = self.inner.secrets.clone();
        let (s, n) = (scope.clone(), name.to_string());
        tokio::task::spawn_blocking(move || store.set(&s, &n, &value))
            .await
            .map_err(|e| EngineError::Internal(format!("storing the secret failed: {e}")))??;
        let (kind, project, n) = (
            scope.kind(),
            scope.project().unwrap_or("").to_string(),
            name.to_string(),
        );
        let now = crate::store::now_ms();
        let row = self
            .inner
            .store
            .write(move |c| {
                c.execute(
                    "INSERT INTO secrets (scope, project, name, created_at, updated_at, rotations)
                     VALUES (?1, ?2, ?3, ?4, ?4, 0)
                     ON CONFLICT (scope, project, name)
                     DO UPDATE SET updated_at = ?4, rotations = rotations + 1",
                    rusqlite::params![kind, project, n, now],
                )?;
                c.query_row(
                    "SELECT scope, project, name, created_at, updated_at, rotations FROM secrets
                     WHERE scope = ?1 AND project = ?2 AND name = ?3",
                    rusqlite::params![kind, project, n],
                    secret_row,
                )
            })
            .await?;
        Ok(row)
    }

    /// Every secret: those of the store (from the history's index) and the
    /// `SWITCHYARD_SECRET_<NAME>` variables of this process. Never values.
    pub async fn secret_views(&self) -> Result<Vec<SecretView>, EngineError> {
        let mut views = self
            .inner
            .store
            .read(|c| {
                c.prepare(
                    "SELECT scope, project, name, created_at, updated_at, rotations FROM secrets
                     ORDER BY name, scope, project",
                )?
                .query_map([], secret_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let mut env: Vec<String> = std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .filter_map(|k| k.strip_prefix(crate::secrets::ENV_PREFIX).map(str::to_string))
            .filter(|n| crate::secrets::check_name(n).is_ok())
            .collect();
        env.sort();
        views.extend(env.into_iter().map(|name| SecretView {
            name,
            scope: "environment".into(),
            project: None,
            created_at: None,
            updated_at: None,
            rotations: 0,
        }));
        Ok(views)
    }

    /// Removes a secret from the store and the index; `false` when neither
    /// had it.
    pub async fn remove_secret(&self, scope: SecretScope, name: &str) -> Result<bool, EngineError> {
        crate::secrets::check_name(name).map_err(EngineError::InvalidSecret)?;
        let scope = match scope {
            // A removed project's secrets can still be removed.
            SecretScope::Project(p) => match self.project(&p).await {
                Ok(project) => SecretScope::Project(project.name),
                Err(_) => SecretScope::Project(p),
            },
            s => s,
        };
        let store = self.inner.secrets.clone();
        let (s, n) = (scope.clone(), name.to_string());
        let in_store = tokio::task::spawn_blocking(move || store.remove(&s, &n))
            .await
            .map_err(|e| EngineError::Internal(format!("removing the secret failed: {e}")))??;
        let (kind, project, n) = (
            scope.kind(),
            scope.project().unwrap_or("").to_string(),
            name.to_string(),
        );
        let in_index = self
            .inner
            .store
            .write(move |c| {
                c.execute(
                    "DELETE FROM secrets WHERE scope = ?1 AND project = ?2 AND name = ?3",
                    rusqlite::params![kind, project, n],
                )
            })
            .await?;
        Ok(in_store || in_index > 0)
    }

    /// A project scope names an imported project (by its canonical name).
    async fn checked_scope(&self, scope: SecretScope) -> Result<SecretScope, EngineError> {
        Ok(match scope {
            SecretScope::Project(p) => SecretScope::Project(self.project(&p).await?.name),
            s => s,
        })
    }
}

fn secret_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SecretView> {
    let project: String = r.get(1)?;
    Ok(SecretView {
        scope: r.get(0)?,
        project: (!project.is_empty()).then_some(project),
        name: r.get(2)?,
        created_at: Some(rfc3339_at(r.get(3)?)),
        updated_at: Some(rfc3339_at(r.get(4)?)),
        rotations: r.get(5)?,
    })
}

/// Re-runs: a new run that repeats what an earlier one ran.
impl Engine {
    /// Starts a run of the same project that repeats `run_id`: the same
    /// chosen jobs, place and options ([`RerunMode::Same`]), only its jobs
    /// that did not succeed, or one of its jobs; what those need runs too.
    /// The project's current pipeline file is used.
    pub async fn rerun(
        &self,
        run_id: i64,
        mode: crate::RerunMode,
        trigger: crate::Trigger,
    ) -> Result<crate::RunHandle, EngineError> {
        let details = self.run(run_id).await?;
        let project = self.project(&details.summary.project).await?;
        let snapshot = self.inner.store.snapshot(run_id).await?;
        let mut options = crate::RunOptions {
            jobs: details.summary.selection.clone(),
            in_place: details.summary.in_place,
            trigger,
            rerun_of: Some(run_id),
            ..Default::default()
        };
        if let Some(s) = &snapshot {
            options.jobs = s.jobs.clone();
            options.keep_workspace = s.keep_workspace;
            options.parallelism = s.parallelism;
            options.source = s.source.parse().unwrap_or_default();
            // A re-run of a deployment ships the same image again.
            options.deploy = s.deploy.clone();
            options.target = s.target.clone();
        }
        match mode {
            crate::RerunMode::Same => {}
            crate::RerunMode::Failed => {
                let failed: Vec<String> = details
                    .jobs
                    .iter()
                    .filter(|j| j.status != crate::status::JobStatus::Succeeded && j.status.is_terminal())
                    .map(|j| j.name.clone())
                    .collect();
                if failed.is_empty() {
                    return Err(EngineError::NothingToRerun {
                        run: run_id,
                        why: "every job of it succeeded".into(),
                    });
                }
                options.jobs = failed;
            }
            crate::RerunMode::Job(name) => {
                if details.jobs_named(&name).next().is_none() {
                    let names: Vec<&str> = details.jobs.iter().map(|j| j.name.as_str()).collect();
                    return Err(EngineError::NothingToRerun {
                        run: run_id,
                        why: format!("it has no job `{name}` (its jobs: {})", names.join(", ")),
                    });
                }
                options.jobs = vec![name];
            }
        }
        self.start_run(&project, options).await
    }
}

/// Artifacts: a run's kept files, out of the content-addressed store.
impl Engine {
    /// Copies a run's artifacts (or one job's) into `out`: with one job, as
    /// `out/<path>`; else as `out/<job>/<path>`. Each copy is checked against
    /// its SHA-256. An existing file with other content is not overwritten
    /// unless `overwrite`. Blocking work runs off the async threads.
    pub async fn export_artifacts(
        &self,
        run_id: i64,
        job: Option<&str>,
        out: &Path,
        overwrite: bool,
    ) -> Result<Vec<ExportedArtifact>, EngineError> {
        let details = self.run(run_id).await?;
        let jobs: Vec<_> = match job {
            Some(name) => {
                let found: Vec<_> = details.jobs_named(name).collect();
                if found.is_empty() {
                    let names: Vec<&str> = details.jobs.iter().map(|j| j.name.as_str()).collect();
                    return Err(EngineError::InvalidArgument(format!(
                        "run {run_id} has no job `{name}`; its jobs: {}",
                        names.join(", ")
                    )));
                }
                found
            }
            None => details.jobs.iter().collect(),
        };
        let per_job_folder = jobs.len() > 1;
        let mut plan = Vec::new();
        for j in jobs {
            for a in &j.artifacts {
                let rel = safe_relative(&a.path).ok_or_else(|| {
                    EngineError::InvalidArgument(format!(
                        "artifact path `{}` of job `{}` is not a relative path",
                        a.path, j.name
                    ))
                })?;
                let dest = if per_job_folder {
                    out.join(safe_file_name(&j.name)).join(rel)
                } else {
                    out.join(rel)
                };
                plan.push((j.name.clone(), a.clone(), dest));
            }
        }
        let store = crate::artifacts::ArtifactStore::new(self.inner.home.artifacts());
        tokio::task::spawn_blocking(move || {
            let mut done = Vec::with_capacity(plan.len());
            for (job, a, dest) in plan {
                copy_artifact(&store, &a, &dest, overwrite)?;
                done.push(ExportedArtifact {
                    job,
                    path: a.path,
                    size: a.size,
                    sha256: a.sha256,
                    dest: dest.display().to_string(),
                });
            }
            Ok(done)
        })
        .await
        .map_err(|e| EngineError::Internal(format!("exporting artifacts failed: {e}")))?
    }

    /// A copy of one artifact of a job in the data dir's `open/` folder
    /// (named after the artifact), for the desktop to open
    /// with the system's handler or show in its folder.
    pub async fn artifact_copy(&self, job_id: i64, path: &str) -> Result<PathBuf, EngineError> {
        let artifacts = self
            .inner
            .store
            .read(move |c| {
                c.prepare("SELECT path, size, sha256 FROM artifacts WHERE job_id = ?1")?
                    .query_map([job_id], |r| {
                        Ok(crate::store::ArtifactRecord {
                            path: r.get(0)?,
                            size: r.get::<_, i64>(1)? as u64,
                            sha256: r.get(2)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .await?;
        let a = artifacts
            .into_iter()
            .find(|a| a.path == path)
            .ok_or_else(|| EngineError::InvalidArgument(format!("job {job_id} kept no artifact `{path}`")))?;
        let name = Path::new(&a.path)
            .file_name()
            .map(|n| n.to_os_string())
            .ok_or_else(|| EngineError::InvalidArgument(format!("artifact `{path}` has no file name")))?;
        let dest = self
            .inner
            .home
            .root()
            .join("open")
            .join(&a.sha256[..16.min(a.sha256.len())])
            .join(name);
        let store = crate::artifacts::ArtifactStore::new(self.inner.home.artifacts());
        let d = dest.clone();
        tokio::task::spawn_blocking(move || copy_artifact(&store, &a, &d, true))
            .await
            .map_err(|e| EngineError::Internal(format!("copying the artifact failed: {e}")))??;
        Ok(dest)
    }
}

/// The parts of a stored relative path, or `None` when it could leave its
/// folder (absolute, `..`, a prefix).
fn safe_relative(path: &str) -> Option<PathBuf> {
    let p = Path::new(path);
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            std::path::Component::Normal(part) => out.push(part),
            std::path::Component::CurDir => {}
            _ => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// A job name as one folder name (matrix names hold spaces and commas).
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect::<String>()
        .trim_matches('.')
        .to_string()
}

/// Copies one artifact out of the store, checking its size and SHA-256;
/// writes a temporary file first and renames it into place.
fn copy_artifact(
    store: &crate::artifacts::ArtifactStore,
    a: &crate::store::ArtifactRecord,
    dest: &Path,
    overwrite: bool,
) -> Result<(), EngineError> {
    use sha2::Digest as _;
    use std::io::{Read as _, Write as _};
    let src = store.path_of(&a.sha256);
    let what = |action: &str| format!("cannot {action} artifact {} to {}", a.path, dest.display());
    if dest.exists() && !overwrite {
        let same = std::fs::read(dest)
            .ok()
            .is_some_and(|b| hex::encode(sha2::Sha256::digest(&b)) == a.sha256);
        if same {
            return Ok(());
        }
        return Err(EngineError::InvalidArgument(format!(
            "{} exists with other content; choose another folder or overwrite it",
            dest.display()
        )));
    }
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(crate::error::io_err(what("create the folder for")))?;
    let mut input = std::fs::File::open(&src).map_err(|e| EngineError::Io {
        what: format!(
            "artifact {} ({}) is missing from the artifact store",
            a.path, a.sha256
        ),
        source: e,
    })?;
    let tmp = parent.join(format!(
        ".{}.switchyard-tmp",
        dest.file_name().and_then(|n| n.to_str()).unwrap_or("artifact")
    ));
    let mut output = std::fs::File::create(&tmp).map_err(crate::error::io_err(what("write")))?;
    let mut hasher = sha2::Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = input.read(&mut buf).map_err(crate::error::io_err(what("read")))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        output
            .write_all(&buf[..n])
            .map_err(crate::error::io_err(what("write")))?;
        size += n as u64;
    }
    drop(output);
    if size != a.size || hex::encode(hasher.finalize()) != a.sha256 {
        let _ = std::fs::remove_file(&tmp);
        return Err(EngineError::Io {
            what: format!(
                "artifact {} in the artifact store does not match its record",
                a.path
            ),
            source: std::io::Error::other("size or SHA-256 differs: the store was changed or damaged"),
        });
    }
    std::fs::rename(&tmp, dest).map_err(crate::error::io_err(what("move into place")))?;
    Ok(())
}

/// Removing a project.
impl Engine {
    /// Removes a project from the list. With `delete_history`, its runs,
    /// logs, test results and artifacts go too (artifact files no other run
    /// keeps are deleted from the store); without, they stay in the history
    /// (its runs still open by id) and importing the folder again brings the
    /// project back. Refused while a run of it is going.
    pub async fn remove_project(
        &self,
        name: &str,
        delete_history: bool,
    ) -> Result<RemovedProject, EngineError> {
        let project = self.project(name).await?;
        let id = project.id;
        let now = crate::store::now_ms();
        let outcome = self
            .inner
            .store
            .change(move |c| {
                let going: Option<i64> = c
                    .query_row(
                        "SELECT id FROM runs WHERE project_id = ?1 AND status IN ('queued', 'running') LIMIT 1",
                        [id],
                        |r| r.get(0),
                    )
                    .optional()?;
                if let Some(run) = going {
                    return Ok((Err(run), Vec::new()));
                }
                let runs: i64 = c.query_row("SELECT COUNT(*) FROM runs WHERE project_id = ?1", [id], |r| r.get(0))?;
                let mut shas = Vec::new();
                if delete_history {
                    shas = c
                        .prepare(
                            "SELECT DISTINCT a.sha256 FROM artifacts a JOIN jobs j ON j.id = a.job_id
                             JOIN runs r ON r.id = j.run_id WHERE r.project_id = ?1",
                        )?
                        .query_map([id], |r| r.get::<_, String>(0))?
                        .collect::<rusqlite::Result<Vec<_>>>()?;
                    c.execute("DELETE FROM projects WHERE id = ?1", [id])?;
                    // What no other run keeps.
                    let mut still = c.prepare("SELECT 1 FROM artifacts WHERE sha256 = ?1 LIMIT 1")?;
                    shas.retain(|sha| !still.exists([sha]).unwrap_or(true));
                } else {
                    c.execute("UPDATE projects SET removed_at = ?2 WHERE id = ?1", rusqlite::params![id, now])?;
                }
                let event = crate::events::Event::Project {
                    name: project.name.as_str().into(),
                };
                Ok((Ok((runs, shas)), vec![event]))
            })
            .await?;
        let (runs, orphans) = match outcome {
            Ok(v) => v,
            Err(run) => {
                return Err(EngineError::InvalidArgument(format!(
                    "project `{name}` has a run going (run {run}); cancel it or let it end, then remove the project"
                )));
            }
        };
        let store = crate::artifacts::ArtifactStore::new(self.inner.home.artifacts());
        let freed = tokio::task::spawn_blocking(move || {
            orphans
                .iter()
                .filter(|sha| std::fs::remove_file(store.path_of(sha)).is_ok())
                .count()
        })
        .await
        .unwrap_or(0);
        Ok(RemovedProject {
            name: name.to_string(),
            history_deleted: delete_history,
            runs: runs as u64,
            artifact_files_deleted: freed as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_root_and_system_folders_are_not_project_folders() {
        assert_eq!(
            not_a_project_folder(Path::new("/")),
            Some(FolderWarning::RootFolder)
        );
        assert_eq!(
            not_a_project_folder(Path::new("/etc")),
            Some(FolderWarning::SystemFolder)
        );
        assert_eq!(
            not_a_project_folder(Path::new("/usr")),
            Some(FolderWarning::SystemFolder)
        );
        if let Some(home) = std::env::var_os("HOME").and_then(|h| std::fs::canonicalize(h).ok()) {
            assert_eq!(not_a_project_folder(&home), Some(FolderWarning::HomeFolder));
        }
        let dir = tempfile::tempdir().unwrap();
        let project = std::fs::canonicalize(dir.path()).unwrap().join("shop");
        std::fs::create_dir(&project).unwrap();
        assert_eq!(not_a_project_folder(&project), None);
    }
}
