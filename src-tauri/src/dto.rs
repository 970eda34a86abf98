//! What crosses the IPC boundary: the UI's view of projects, runs and logs.
//!
//! These types are built from the engine's records here, at the boundary, so
//! the engine's domain types stay free to change. Their TypeScript
//! definitions are generated into `ui/src/bindings/` by ts-rs (`cargo test -p
//! switchyard-desktop` writes them; CI fails when the committed copies are
//! stale). Field names are camelCase in JSON and TypeScript.

use serde::{Deserialize, Serialize};
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};
use switchyard_engine::store::{JobRecord, Project, RunDetails, RunSummary, StepRecord, TestResultRecord};
use ts_rs::TS;

fn duration(start: Option<i64>, end: Option<i64>) -> Option<i64> {
    match (start, end) {
        (Some(s), Some(e)) => Some((e - s).max(0)),
        _ => None,
    }
}

/// A registered project.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProjectDto {
    /// Unique name.
    pub name: String,
    /// Folder.
    pub path: String,
    /// Git remote URL.
    pub remote: Option<String>,
    /// When it was imported (Unix ms).
    #[ts(type = "number")]
    pub imported_at: i64,
    /// Its latest run.
    pub last_run: Option<RunSummaryDto>,
}

impl ProjectDto {
    /// From the engine's record and its latest run.
    pub fn new(p: &Project, last_run: Option<&RunSummary>) -> ProjectDto {
        ProjectDto {
            name: p.name.clone(),
            path: p.path.display().to_string(),
            remote: p.remote.clone(),
            imported_at: p.created_at,
            last_run: last_run.map(RunSummaryDto::from),
        }
    }
}

/// The status names of runs, jobs and steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum StatusDto {
    /// Waiting.
    Queued,
    /// Going.
    Running,
    /// Ended well.
    Succeeded,
    /// Failed.
    Failed,
    /// Cancelled.
    Cancelled,
    /// Not run.
    Skipped,
    /// Passed its time limit.
    TimedOut,
    /// Cut short by Switchyard stopping.
    Interrupted,
}

impl From<RunStatus> for StatusDto {
    fn from(s: RunStatus) -> Self {
        match s {
            RunStatus::Queued => StatusDto::Queued,
            RunStatus::Running => StatusDto::Running,
            RunStatus::Succeeded => StatusDto::Succeeded,
            RunStatus::Failed => StatusDto::Failed,
            RunStatus::Cancelled => StatusDto::Cancelled,
            RunStatus::Interrupted => StatusDto::Interrupted,
        }
    }
}

impl From<JobStatus> for StatusDto {
    fn from(s: JobStatus) -> Self {
        match s {
            JobStatus::Queued => StatusDto::Queued,
            JobStatus::Running => StatusDto::Running,
            JobStatus::Succeeded => StatusDto::Succeeded,
            JobStatus::Failed => StatusDto::Failed,
            JobStatus::Cancelled => StatusDto::Cancelled,
            JobStatus::Skipped => StatusDto::Skipped,
            JobStatus::TimedOut => StatusDto::TimedOut,
            JobStatus::Interrupted => StatusDto::Interrupted,
        }
    }
}

impl From<StepStatus> for StatusDto {
    fn from(s: StepStatus) -> Self {
        match s {
            StepStatus::Queued => StatusDto::Queued,
            StepStatus::Running => StatusDto::Running,
            StepStatus::Succeeded => StatusDto::Succeeded,
            StepStatus::Failed => StatusDto::Failed,
            StepStatus::Cancelled => StatusDto::Cancelled,
            StepStatus::Skipped => StatusDto::Skipped,
            StepStatus::TimedOut => StatusDto::TimedOut,
            StepStatus::Interrupted => StatusDto::Interrupted,
        }
    }
}

/// A run in a list.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunSummaryDto {
    /// Run id.
    #[ts(type = "number")]
    pub id: i64,
    /// Project name.
    pub project: String,
    /// Status.
    pub status: StatusDto,
    /// Git commit.
    pub commit: Option<String>,
    /// Git branch.
    pub branch: Option<String>,
    /// Uncommitted changes were included.
    pub dirty: Option<bool>,
    /// Created (Unix ms).
    #[ts(type = "number")]
    pub created_at: i64,
    /// Started (Unix ms).
    #[ts(type = "number | null")]
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// Duration in ms, once ended.
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
}

impl From<&RunSummary> for RunSummaryDto {
    fn from(r: &RunSummary) -> Self {
        RunSummaryDto {
            id: r.id,
            project: r.project.clone(),
            status: r.status.into(),
            commit: r.commit.clone(),
            branch: r.branch.clone(),
            dirty: r.dirty,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
            duration_ms: duration(r.started_at, r.finished_at),
        }
    }
}

/// One page of a run list.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunPageDto {
    /// Runs, newest first.
    pub runs: Vec<RunSummaryDto>,
    /// Pass as `before` for the next page; null on the last page.
    #[ts(type = "number | null")]
    pub next_before: Option<i64>,
}

/// A run with its jobs.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct RunDto {
    /// The run.
    pub summary: RunSummaryDto,
    /// Why the engine could not run it.
    pub error: Option<String>,
    /// Jobs in plan order.
    pub jobs: Vec<JobDto>,
}

impl From<&RunDetails> for RunDto {
    fn from(r: &RunDetails) -> Self {
        RunDto {
            summary: RunSummaryDto::from(&r.summary),
            error: r.error.clone(),
            jobs: r.jobs.iter().map(JobDto::from).collect(),
        }
    }
}

/// A job of a run.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct JobDto {
    /// Job id (for logs and test results).
    #[ts(type = "number")]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Status.
    pub status: StatusDto,
    /// Where it ran.
    pub runner: String,
    /// Jobs it waited for.
    pub needs: Vec<String>,
    /// Attempts made.
    pub attempts: u32,
    /// Why it failed or was skipped.
    pub reason: Option<String>,
    /// Problems that did not fail it.
    pub warnings: Vec<String>,
    /// Started (Unix ms).
    #[ts(type = "number | null")]
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// Duration in ms.
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
    /// Steps of the last attempt.
    pub steps: Vec<StepDto>,
    /// Test counts.
    pub tests: TestCountsDto,
    /// Kept files.
    pub artifacts: Vec<ArtifactDto>,
}

impl From<&JobRecord> for JobDto {
    fn from(j: &JobRecord) -> Self {
        JobDto {
            id: j.id,
            name: j.name.clone(),
            status: j.status.into(),
            runner: j.runner.clone(),
            needs: j.needs.clone(),
            attempts: j.attempts,
            reason: j.reason.clone(),
            warnings: j.warnings.clone(),
            started_at: j.started_at,
            finished_at: j.finished_at,
            duration_ms: duration(j.started_at, j.finished_at),
            steps: j.steps.iter().map(StepDto::from).collect(),
            tests: TestCountsDto {
                passed: j.tests.passed,
                failed: j.tests.failed,
                skipped: j.tests.skipped,
            },
            artifacts: j
                .artifacts
                .iter()
                .map(|a| ArtifactDto {
                    path: a.path.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                })
                .collect(),
        }
    }
}

/// A step of a job.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StepDto {
    /// Position (0-based).
    pub idx: u32,
    /// Name.
    pub name: String,
    /// Status.
    pub status: StatusDto,
    /// Exit code.
    pub exit_code: Option<i32>,
    /// Started (Unix ms).
    #[ts(type = "number | null")]
    pub started_at: Option<i64>,
    /// Ended (Unix ms).
    #[ts(type = "number | null")]
    pub finished_at: Option<i64>,
    /// Duration in ms.
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
}

impl From<&StepRecord> for StepDto {
    fn from(s: &StepRecord) -> Self {
        StepDto {
            idx: s.idx,
            name: s.name.clone(),
            status: s.status.into(),
            exit_code: s.exit_code,
            started_at: s.started_at,
            finished_at: s.finished_at,
            duration_ms: duration(s.started_at, s.finished_at),
        }
    }
}

/// Test counts of a job.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TestCountsDto {
    /// Passed.
    pub passed: u32,
    /// Failed (or errored).
    pub failed: u32,
    /// Skipped.
    pub skipped: u32,
}

/// A kept file.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ArtifactDto {
    /// Path in the workspace.
    pub path: String,
    /// Bytes.
    #[ts(type = "number")]
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// One test case.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct TestResultDto {
    /// Report file.
    pub report: String,
    /// Suite.
    pub suite: Option<String>,
    /// Class or module.
    pub classname: Option<String>,
    /// Test name.
    pub name: String,
    /// `passed`, `failed` or `skipped`.
    pub status: String,
    /// Duration in ms.
    #[ts(type = "number | null")]
    pub duration_ms: Option<i64>,
    /// First line of the failure message.
    pub message: Option<String>,
    /// Failure text.
    pub details: Option<String>,
}

impl From<TestResultRecord> for TestResultDto {
    fn from(t: TestResultRecord) -> Self {
        TestResultDto {
            report: t.report,
            suite: t.suite,
            classname: t.classname,
            name: t.name,
            status: t.status,
            duration_ms: t.duration_ms,
            message: t.message,
            details: t.details,
        }
    }
}

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, Serialize, TS)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum StreamDto {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
    /// Switchyard itself.
    System,
}

/// One log line.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogLineDto {
    /// Line number (1-based).
    #[ts(type = "number")]
    pub number: i64,
    /// Time (Unix ms).
    #[ts(type = "number")]
    pub ts: i64,
    /// Stream.
    pub stream: StreamDto,
    /// Step (0-based), or null for job-level lines.
    pub step: Option<u32>,
    /// Attempt (1-based).
    pub attempt: u32,
    /// Text, with ANSI colour codes as printed and secrets masked.
    pub text: String,
}

impl From<switchyard_engine::logs::LogLine> for LogLineDto {
    fn from(l: switchyard_engine::logs::LogLine) -> Self {
        use switchyard_engine::logs::Stream;
        LogLineDto {
            number: l.number,
            ts: l.ts,
            stream: match l.stream {
                Stream::Stdout => StreamDto::Stdout,
                Stream::Stderr => StreamDto::Stderr,
                Stream::System => StreamDto::System,
            },
            step: l.step,
            attempt: l.attempt,
            text: l.text,
        }
    }
}

/// A window of a job's log.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogPageDto {
    /// The lines.
    pub lines: Vec<LogLineDto>,
    /// Lines in the log so far.
    #[ts(type = "number")]
    pub total: i64,
}

/// New lines of a job's log (event `switchyard://log/{jobId}`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct LogAppendDto {
    /// The run.
    #[ts(type = "number")]
    pub run_id: i64,
    /// The job.
    #[ts(type = "number")]
    pub job_id: i64,
    /// Lines in the log now (the last of `lines` has this number).
    #[ts(type = "number")]
    pub total: i64,
    /// The new lines, in order; for a flood only the last ones (read the
    /// rest with `read_log` if they are in view).
    pub lines: Vec<LogLineDto>,
}

/// A change in a run (event `switchyard://run/{id}`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum RunEventDto {
    /// The run's status changed.
    Run {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// Its status.
        status: StatusDto,
    },
    /// A job's status changed.
    Job {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// The job.
        #[ts(type = "number")]
        job_id: i64,
        /// The job's name.
        job: String,
        /// Its status.
        status: StatusDto,
        /// The attempt.
        attempt: u32,
        /// Why.
        reason: Option<String>,
    },
    /// A step's status changed.
    Step {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// The job.
        #[ts(type = "number")]
        job_id: i64,
        /// The job's name.
        job: String,
        /// The attempt.
        attempt: u32,
        /// The step's position.
        step: u32,
        /// The step's name.
        name: String,
        /// Its status.
        status: StatusDto,
        /// Its exit code.
        exit_code: Option<i32>,
    },
}

/// The Overview view.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct OverviewDto {
    /// Runs in progress.
    pub active: Vec<RunSummaryDto>,
    /// The latest runs across projects.
    pub recent: Vec<RunSummaryDto>,
    /// Latest runs on main/master that did not succeed.
    pub failing_branches: Vec<RunSummaryDto>,
    /// Number of projects.
    pub projects: u32,
}

/// A problem in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct DiagnosticDto {
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub column: u32,
    /// What is wrong and what to do.
    pub message: String,
}

impl From<&switchyard_engine::pipeline::Diagnostic> for DiagnosticDto {
    fn from(d: &switchyard_engine::pipeline::Diagnostic) -> Self {
        DiagnosticDto {
            line: d.pos.line as u32,
            column: d.pos.column as u32,
            message: d.message.clone(),
        }
    }
}

/// A job of a pipeline's plan.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PlanJobDto {
    /// Name (with matrix values).
    pub name: String,
    /// Names of the jobs it needs.
    pub needs: Vec<String>,
    /// Stage (1-based): its column in the graph.
    pub stage: u32,
    /// Runner.
    pub runner: String,
    /// `success`, `failure` or `always`.
    pub condition: String,
    /// Step names.
    pub steps: Vec<String>,
}

/// A pipeline's state in a folder.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct PipelineDto {
    /// `valid`, `missing` or `invalid`.
    pub state: String,
    /// Problems, when invalid.
    pub diagnostics: Vec<DiagnosticDto>,
    /// The jobs as a graph, when valid.
    pub plan: Vec<PlanJobDto>,
}

/// A commit.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct CommitDto {
    /// Full id.
    pub id: String,
    /// First line of the message.
    pub summary: String,
    /// Author.
    pub author: String,
    /// Time (Unix ms).
    #[ts(type = "number")]
    pub time: i64,
}

/// What git says about a folder.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct GitDto {
    /// Current branch.
    pub branch: Option<String>,
    /// `origin` URL.
    pub remote: Option<String>,
    /// Uncommitted changes.
    pub dirty: bool,
    /// Latest commits, newest first.
    pub commits: Vec<CommitDto>,
}

/// A starter pipeline proposed for a folder without one.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct StarterDto {
    /// Stack, e.g. "Rust (Cargo)".
    pub stack: String,
    /// The file it was detected from.
    pub detected_from: String,
    /// The proposed switchyard.yaml.
    pub yaml: String,
}

/// What a folder holds, before importing it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FolderDto {
    /// Absolute path.
    pub path: String,
    /// The name it would be imported as.
    pub name: String,
    /// Git facts, if it is a repository.
    pub git: Option<GitDto>,
    /// Its pipeline.
    pub pipeline: PipelineDto,
    /// A proposal, when it has no pipeline.
    pub starter: Option<StarterDto>,
    /// The project it is already imported as.
    pub imported_as: Option<String>,
}

/// The Project view.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct ProjectDetailDto {
    /// The project.
    pub project: ProjectDto,
    /// Git facts.
    pub git: Option<GitDto>,
    /// Its pipeline now.
    pub pipeline: PipelineDto,
    /// Branches seen in its runs.
    pub branches: Vec<String>,
}

/// The colour scheme.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
pub enum ThemeDto {
    /// Follow the desktop's.
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// App settings (the `[desktop]` table of config.toml, and where things are).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct SettingsDto {
    /// Colour scheme.
    pub theme: ThemeDto,
    /// Notify when a run fails.
    pub notify_on_failure: bool,
    /// Notify when a failing branch is fixed.
    pub notify_on_fixed: bool,
    /// Closing the window keeps Switchyard in the tray.
    pub close_to_tray: bool,
    /// Notifications are paused until then (Unix ms).
    #[ts(type = "number | null")]
    pub notifications_paused_until: Option<i64>,
    /// The data dir (read-only here; set SWITCHYARD_HOME to move it).
    pub data_dir: String,
    /// The config file these settings are kept in (read-only here).
    pub config_file: String,
    /// Why the config file on disk is not in force, when it is not (it was
    /// edited by hand into something invalid; the last good one applies).
    pub config_problem: Option<String>,
}

/// First-run state.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct FirstRunDto {
    /// No project and no run yet.
    pub empty: bool,
    /// A demo project can be imported.
    pub demo_available: bool,
}

/// A link opened from outside (event `switchyard://deep-link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase", rename_all_fields = "camelCase")]
#[ts(export)]
pub enum DeepLinkDto {
    /// Open a run.
    Run {
        /// Run id.
        #[ts(type = "number")]
        id: i64,
    },
    /// Open a project.
    Project {
        /// Project name.
        name: String,
    },
    /// Offer to import a folder (asks first).
    Import {
        /// Folder.
        path: String,
    },
    /// A link Switchyard does not accept; shown, nothing else happens.
    Invalid {
        /// The link as received (shortened).
        url: String,
        /// Why it was refused.
        reason: String,
    },
}

/// Where to go (event `switchyard://navigate`, from the tray or a notification).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
#[ts(export)]
pub struct NavigateDto {
    /// A route of the UI, e.g. `/runs/12`.
    pub route: String,
}
