//! The engine API's serialized forms: what the CLI prints with `--json` and
//! what the desktop app receives, one form for both (see docs/cli.md for the
//! contract; the desktop's TypeScript types are generated from these with
//! the `ts` feature).
//!
//! Views are made from the history's records here, at the API's edge, so the
//! records can change without changing the contract. Times are RFC 3339 in
//! UTC with millisecond precision; durations are milliseconds. Field names
//! are snake_case.

use serde::Serialize;

use crate::status::{JobStatus, RunStatus, StepStatus};
use crate::store::{ArtifactRecord, JobRecord, Project, RunDetails, RunSummary, StepRecord, TestCounts};

/// A Unix-ms time as RFC 3339 (UTC, milliseconds), for a time that is
/// always known.
pub fn rfc3339_at(ms: i64) -> String {
    rfc3339(Some(ms)).unwrap_or_default()
}

/// A Unix-ms time as RFC 3339 (UTC, milliseconds).
pub fn rfc3339(ms: Option<i64>) -> Option<String> {
    ms.and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
        .map(|t| t.round(jiff::Unit::Millisecond).unwrap_or(t).to_string())
}

fn duration_ms(start: Option<i64>, end: Option<i64>) -> Option<i64> {
    match (start, end) {
        (Some(s), Some(e)) => Some((e - s).max(0)),
        _ => None,
    }
}

/// A run in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunSummaryView {
    /// Run id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Project name.
    pub project: String,
    /// Status.
    pub status: RunStatus,
    /// Git commit the project was at.
    pub commit: Option<String>,
    /// Git branch (none when detached or not a repository).
    pub branch: Option<String>,
    /// Whether uncommitted changes were included.
    pub dirty: Option<bool>,
    /// Created.
    pub created_at: String,
    /// First job started.
    pub started_at: Option<String>,
    /// Ended.
    pub finished_at: Option<String>,
    /// From start to end, once ended.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration_ms: Option<i64>,
    /// What started it: `cli`, `app` or `link`; null for runs recorded
    /// before this was kept.
    pub trigger: Option<String>,
    /// The jobs chosen when it was started (what they need ran too); empty:
    /// every job.
    pub chosen_jobs: Vec<String>,
    /// Whether it ran in the project folder itself (not a copy).
    pub in_place: bool,
    /// The run it repeats, for a re-run.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub rerun_of: Option<i64>,
}

impl From<&RunSummary> for RunSummaryView {
    fn from(r: &RunSummary) -> Self {
        RunSummaryView {
            id: r.id,
            project: r.project.clone(),
            status: r.status,
            commit: r.commit.clone(),
            branch: r.branch.clone(),
            dirty: r.dirty,
            created_at: rfc3339_at(r.created_at),
            started_at: rfc3339(r.started_at),
            finished_at: rfc3339(r.finished_at),
            duration_ms: duration_ms(r.started_at, r.finished_at),
            trigger: r.trigger.clone(),
            chosen_jobs: r.selection.clone(),
            in_place: r.in_place,
            rerun_of: r.rerun_of,
        }
    }
}

/// One run with its jobs (`switchyard show --json`, `run --json`): the
/// summary's fields, then `error` and `jobs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunView {
    /// The run as listed.
    #[serde(flatten)]
    pub summary: RunSummaryView,
    /// Why the engine could not run it, when it could not.
    pub error: Option<String>,
    /// Jobs in plan order.
    pub jobs: Vec<JobView>,
}

impl From<&RunDetails> for RunView {
    fn from(run: &RunDetails) -> Self {
        RunView {
            summary: RunSummaryView::from(&run.summary),
            error: run.error.clone(),
            jobs: run.jobs.iter().map(JobView::from).collect(),
        }
    }
}

/// A job of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JobView {
    /// Job id (for its log and test results).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Name (with matrix values).
    pub name: String,
    /// Status.
    pub status: JobStatus,
    /// Where it ran (`local`, `kubernetes:<target>`).
    pub runner: String,
    /// Names of the jobs it waited for.
    pub needs: Vec<String>,
    /// Started.
    pub started_at: Option<String>,
    /// Ended.
    pub finished_at: Option<String>,
    /// From start to end.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration_ms: Option<i64>,
    /// Attempts made (1 plus retries used).
    pub attempts: u32,
    /// Why it failed, was skipped or was cancelled.
    pub reason: Option<String>,
    /// Problems that did not fail it.
    pub warnings: Vec<String>,
    /// Steps of the last attempt.
    pub steps: Vec<StepView>,
    /// Test counts from its JUnit reports.
    pub tests: TestCounts,
    /// Files kept.
    pub artifacts: Vec<ArtifactRecord>,
    /// What kind of job it is.
    pub kind: JobKindView,
    /// For an approval job: what it asks and how it was decided.
    pub approval: Option<ApprovalView>,
    /// What it wrote to `$SWITCHYARD_OUTPUT` (name -> value), for the jobs
    /// that need it.
    #[cfg_attr(feature = "ts", ts(type = "Record<string, string>"))]
    pub outputs: std::collections::BTreeMap<String, String>,
}

/// What kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum JobKindView {
    /// Steps on a runner.
    Steps,
    /// A gate that waits for a person.
    Approval,
    /// A deployment to cluster targets.
    Deploy,
}

/// An approval job's question and decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ApprovalView {
    /// What is asked.
    pub message: String,
    /// How it was decided, once it was.
    pub decision: Option<DecisionView>,
}

/// A person's decision on an approval job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DecisionView {
    /// Approved (the job succeeded) or rejected (it failed).
    pub approved: bool,
    /// Who decided, and where (`cli`, `desktop`).
    pub by: String,
    /// What they said.
    pub comment: Option<String>,
    /// When.
    pub at: String,
}

impl From<&JobRecord> for JobView {
    fn from(j: &JobRecord) -> Self {
        JobView {
            id: j.id,
            name: j.name.clone(),
            status: j.status,
            runner: j.runner.clone(),
            needs: j.needs.clone(),
            started_at: rfc3339(j.started_at),
            finished_at: rfc3339(j.finished_at),
            duration_ms: duration_ms(j.started_at, j.finished_at),
            attempts: j.attempts,
            reason: j.reason.clone(),
            warnings: j.warnings.clone(),
            steps: j.steps.iter().map(StepView::from).collect(),
            tests: j.tests,
            artifacts: j.artifacts.clone(),
            kind: match j.kind.as_str() {
                "approval" => JobKindView::Approval,
                "deploy" => JobKindView::Deploy,
                _ => JobKindView::Steps,
            },
            approval: (j.kind == "approval").then(|| ApprovalView {
                message: j.prompt.clone().unwrap_or_default(),
                decision: j.decision.as_ref().map(|d| DecisionView {
                    approved: d.approved,
                    by: d.by.clone(),
                    comment: d.comment.clone(),
                    at: rfc3339_at(d.at),
                }),
            }),
            outputs: j.outputs.clone(),
        }
    }
}

/// A step of a job's last attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StepView {
    /// Position in the job (0-based).
    pub idx: u32,
    /// Name.
    pub name: String,
    /// Status.
    pub status: StepStatus,
    /// Exit code, when the process exited by itself.
    pub exit_code: Option<i32>,
    /// Started.
    pub started_at: Option<String>,
    /// Ended.
    pub finished_at: Option<String>,
    /// From start to end.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub duration_ms: Option<i64>,
}

impl From<&StepRecord> for StepView {
    fn from(s: &StepRecord) -> Self {
        StepView {
            idx: s.idx,
            name: s.name.clone(),
            status: s.status,
            exit_code: s.exit_code,
            started_at: rfc3339(s.started_at),
            finished_at: rfc3339(s.finished_at),
            duration_ms: duration_ms(s.started_at, s.finished_at),
        }
    }
}

/// A registered project (`switchyard projects --json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectView {
    /// Unique name.
    pub name: String,
    /// Its folder.
    pub path: String,
    /// Its git remote, without credentials.
    pub remote: Option<String>,
    /// When it was imported.
    pub imported_at: String,
    /// Its latest run.
    pub last_run: Option<RunSummaryView>,
}

impl ProjectView {
    /// From the record and its latest run.
    pub fn new(p: &Project, last_run: Option<&RunSummary>) -> ProjectView {
        ProjectView {
            name: p.name.clone(),
            path: p.path.display().to_string(),
            remote: p.remote.clone(),
            imported_at: rfc3339_at(p.created_at),
            last_run: last_run.map(RunSummaryView::from),
        }
    }
}

/// One page of a run list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunPage {
    /// Runs, newest first.
    pub runs: Vec<RunSummaryView>,
    /// Pass as `before` for the next page; none on the last page.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub next_before: Option<i64>,
}

/// What needs the user's attention, by the one rule the Overview, the tray
/// and notifications share: runs going, and projects whose latest finished
/// run on a default branch (`[projects] default_branches`; any branch for a
/// project that never ran on one) did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Attention {
    /// Runs in progress, oldest first.
    pub active: Vec<RunSummaryView>,
    /// Approval jobs waiting for someone, oldest first.
    pub waiting: Vec<WaitingGateView>,
    /// For each failing project, the run that makes it fail.
    pub failing: Vec<RunSummaryView>,
    /// Incidents that need attention (open, not acknowledged, with a firing
    /// alert that is not silenced).
    pub incidents: u32,
}

impl Attention {
    /// The overall state, most urgent first.
    pub fn state(&self) -> AttentionState {
        if self.incidents > 0 {
            AttentionState::Alerting
        } else if !self.active.is_empty() {
            AttentionState::Running
        } else if !self.failing.is_empty() {
            AttentionState::Failing
        } else {
            AttentionState::Quiet
        }
    }
}

/// The overall state (the tray's icon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AttentionState {
    /// Nothing going, nothing failing.
    Quiet,
    /// An incident fires (see [`Attention::incidents`]).
    Alerting,
    /// At least one run is going.
    Running,
    /// Some project's latest run on a default branch did not succeed.
    Failing,
}

/// An approval job that waits for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WaitingGateView {
    /// Its run.
    pub run: RunSummaryView,
    /// The job's name.
    pub job: String,
    /// What it asks.
    pub message: String,
    /// Since when it waits.
    pub since: Option<String>,
}

/// The Overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct OverviewView {
    /// Runs in progress.
    pub active: Vec<RunSummaryView>,
    /// Approval jobs waiting for someone, oldest first.
    pub waiting: Vec<WaitingGateView>,
    /// The latest runs across projects.
    pub recent: Vec<RunSummaryView>,
    /// Projects that need attention: their failing run.
    pub failing: Vec<RunSummaryView>,
    /// The branches that count (`[projects] default_branches`).
    pub default_branches: Vec<String>,
    /// Number of projects.
    pub projects: u32,
}

/// A problem in a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiagnosticView {
    /// Line (1-based).
    pub line: u32,
    /// Column (1-based).
    pub column: u32,
    /// What is wrong and what to do.
    pub message: String,
}

impl From<&crate::pipeline::Diagnostic> for DiagnosticView {
    fn from(d: &crate::pipeline::Diagnostic) -> Self {
        DiagnosticView {
            line: d.pos.line as u32,
            column: d.pos.column as u32,
            message: d.message.clone(),
        }
    }
}

/// When a job runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ConditionView {
    /// When every job it needs succeeded.
    Success,
    /// When a job it needs failed.
    Failure,
    /// Whatever happened.
    Always,
}

/// A job of a pipeline's plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanJobView {
    /// Name (with matrix values).
    pub name: String,
    /// Names of the jobs it needs.
    pub needs: Vec<String>,
    /// Stage (1-based): its column in the graph.
    pub stage: u32,
    /// Where it runs (empty for an approval job).
    pub runner: String,
    /// What kind of job it is.
    pub kind: JobKindView,
    /// When it runs.
    pub condition: ConditionView,
    /// Step names.
    pub steps: Vec<String>,
}

/// The state of a folder's pipeline file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PipelineState {
    /// It loads.
    Valid,
    /// There is none.
    Missing,
    /// It has problems.
    Invalid,
}

/// A folder's pipeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PipelineView {
    /// Whether it loads.
    pub state: PipelineState,
    /// Problems, when invalid.
    pub diagnostics: Vec<DiagnosticView>,
    /// The jobs as a graph, when valid.
    pub plan: Vec<PlanJobView>,
}

/// A project's pipeline file as text, for the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PipelineFileView {
    /// The file.
    pub path: String,
    /// Its text; empty when there is no file yet.
    pub text: String,
    /// The version read (SHA-256 of the bytes; empty when there is no
    /// file): a save names it, so a file changed meanwhile is not
    /// overwritten.
    pub version: String,
    /// Whether the text loads, its problems or its jobs.
    pub pipeline: PipelineView,
}

/// A commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CommitView {
    /// Full id.
    pub id: String,
    /// First line of the message.
    pub summary: String,
    /// Author.
    pub author: String,
    /// When.
    pub time: String,
}

/// What git says about a folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct GitView {
    /// Current branch.
    pub branch: Option<String>,
    /// The `origin` URL, without credentials.
    pub remote: Option<String>,
    /// Uncommitted changes.
    pub dirty: bool,
    /// Latest commits, newest first.
    pub commits: Vec<CommitView>,
}

/// A starter pipeline proposed for a folder without one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StarterView {
    /// The stack, e.g. "Rust (Cargo)".
    pub stack: String,
    /// The file it was detected from.
    pub detected_from: String,
    /// The proposed switchyard.yaml.
    pub yaml: String,
}

/// Something worth checking before importing a folder: it is not a
/// project's folder, and writing a pipeline there is almost certainly a
/// mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum FolderWarning {
    /// The file system's root, `/`.
    RootFolder,
    /// The user's home folder.
    HomeFolder,
    /// A system folder (`/etc`, `/usr`, `/tmp` ...).
    SystemFolder,
}

/// What a folder holds, before importing it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FolderView {
    /// Absolute path (symbolic links resolved).
    pub path: String,
    /// The name it would be imported as.
    pub name: String,
    /// Git facts, if it is a repository.
    pub git: Option<GitView>,
    /// Its pipeline.
    pub pipeline: PipelineView,
    /// A proposal, when it has no pipeline.
    pub starter: Option<StarterView>,
    /// The project it is already imported as.
    pub imported_as: Option<String>,
    /// Reasons to think twice.
    pub warnings: Vec<FolderWarning>,
}

/// A project's page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProjectDetailView {
    /// The project.
    pub project: ProjectView,
    /// Git facts now.
    pub git: Option<GitView>,
    /// Its pipeline now.
    pub pipeline: PipelineView,
    /// Branches seen in its runs, most used first.
    pub branches: Vec<String>,
}

/// A desktop notification, when one is due: about a run that ended, a
/// gate that waits, an incident that opened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// The run (0 for an incident).
    pub run_id: i64,
    /// Where clicking it goes in the app (`/runs/12`, `/alerts/3`).
    pub route: String,
    /// The headline.
    pub summary: String,
    /// The detail.
    pub body: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI's JSON contract (docs/cli.md): field names and time format.
    #[test]
    fn the_run_form_keeps_the_cli_contract() {
        let details = RunDetails {
            summary: RunSummary {
                id: 12,
                project: "shop".into(),
                status: RunStatus::Failed,
                commit: Some("4f3c".into()),
                branch: Some("main".into()),
                dirty: Some(false),
                created_at: 1_764_149_706_233,
                started_at: Some(1_764_149_706_233),
                finished_at: Some(1_764_149_709_120),
                trigger: Some("cli".into()),
                selection: vec!["test".into()],
                in_place: false,
                rerun_of: None,
            },
            error: None,
            jobs: vec![JobRecord {
                id: 3,
                name: "test".into(),
                runner: "local".into(),
                needs: vec!["build".into()],
                status: JobStatus::Failed,
                attempts: 1,
                reason: Some("step 1 `unit` exited with code 1".into()),
                warnings: vec![],
                started_at: Some(1_764_149_707_000),
                finished_at: Some(1_764_149_708_200),
                steps: vec![StepRecord {
                    idx: 0,
                    name: "unit".into(),
                    status: StepStatus::Failed,
                    exit_code: Some(1),
                    started_at: Some(1_764_149_707_010),
                    finished_at: Some(1_764_149_708_200),
                }],
                tests: TestCounts {
                    passed: 41,
                    failed: 1,
                    skipped: 2,
                },
                artifacts: vec![ArtifactRecord {
                    path: "dist/app".into(),
                    size: 7,
                    sha256: "ab".into(),
                }],
                kind: "steps".into(),
                prompt: None,
                decision: None,
                outputs: [("image".to_string(), "registry.local/acme/web:1.4".to_string())].into(),
            }],
        };
        let json = serde_json::to_value(RunView::from(&details)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "id": 12, "project": "shop", "status": "failed",
                "commit": "4f3c", "branch": "main", "dirty": false,
                "created_at": "2025-11-26T09:35:06.233Z",
                "started_at": "2025-11-26T09:35:06.233Z",
                "finished_at": "2025-11-26T09:35:09.12Z",
                "duration_ms": 2887,
                "trigger": "cli", "chosen_jobs": ["test"], "in_place": false, "rerun_of": null,
                "error": null,
                "jobs": [{
                    "id": 3, "name": "test", "status": "failed", "runner": "local", "needs": ["build"],
                    "started_at": "2025-11-26T09:35:07Z", "finished_at": "2025-11-26T09:35:08.2Z",
                    "duration_ms": 1200, "attempts": 1,
                    "reason": "step 1 `unit` exited with code 1", "warnings": [],
                    "steps": [{
                        "idx": 0, "name": "unit", "status": "failed", "exit_code": 1,
                        "started_at": "2025-11-26T09:35:07.01Z", "finished_at": "2025-11-26T09:35:08.2Z",
                        "duration_ms": 1190
                    }],
                    "tests": {"passed": 41, "failed": 1, "skipped": 2},
                    "artifacts": [{"path": "dist/app", "size": 7, "sha256": "ab"}],
                    "kind": "steps", "approval": null,
                    "outputs": {"image": "registry.local/acme/web:1.4"}
                }]
            })
        );
    }
}

/// A secret's name, scope and age (`switchyard secrets list --json`; never
/// its value).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SecretView {
    /// The name pipelines use.
    pub name: String,
    /// `global`, `project`, or `environment` (a `SWITCHYARD_SECRET_<NAME>`
    /// variable of this process, which wins over both).
    pub scope: String,
    /// The project of a project secret.
    pub project: Option<String>,
    /// When it was first set (unknown for the environment).
    pub created_at: Option<String>,
    /// When it was last set or rotated (unknown for the environment).
    pub updated_at: Option<String>,
    /// How many times its value was replaced.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub rotations: i64,
}

/// An artifact copied out of the store (`switchyard artifacts --out`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ExportedArtifact {
    /// The job that kept it.
    pub job: String,
    /// Its path in the job's workspace.
    pub path: String,
    /// Size in bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: u64,
    /// SHA-256, hex (checked after copying).
    pub sha256: String,
    /// Where it was written.
    pub dest: String,
}

/// A removed project (`switchyard remove`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RemovedProject {
    /// Its name.
    pub name: String,
    /// Whether its runs went too (else they stay in the history).
    pub history_deleted: bool,
    /// How many runs it had.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub runs: u64,
    /// Artifact files freed (no other run kept them).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub artifact_files_deleted: u64,
}

/// Matches of a log search: "position / total".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogMatchCount {
    /// Lines containing the text.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    /// Of those, how many are at or before the asked line.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub position: u64,
}

/// One outcome of a test in an earlier run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TestOutcomeView {
    /// The run.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    /// The job that ran it.
    pub job: String,
    /// `passed`, `failed`, `error`, `skipped`.
    pub status: String,
    /// When the run was created.
    pub created_at: String,
    /// The commit.
    pub commit: Option<String>,
}

/// A run on a time axis (a chart's marker).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RunMarker {
    /// The run.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// Its project.
    pub project: String,
    /// Its status.
    pub status: RunStatus,
    /// When it started (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub started_at: i64,
}

/// An alert: one rule on one series (`switchyard alerts --json`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertView {
    /// Its id (`switchyard alerts silence ID`).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The rule.
    pub rule: String,
    /// The series' labels with the rule's.
    pub labels: std::collections::BTreeMap<String, String>,
    /// `critical`, `warning` or `info`.
    pub severity: String,
    /// `pending`, `firing`, `resolved` or `unknown`.
    pub state: String,
    /// Since when it is in that state's condition (firing: since it started).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub since: Option<i64>,
    /// The value that triggered it.
    pub value: Option<f64>,
    /// Its incident.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub incident_id: Option<i64>,
    /// Silenced until (ms), while silenced.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub silenced_until: Option<i64>,
    /// Last evaluated (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub updated_at: i64,
}

/// Alerts that fired together (same app, target and environment).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IncidentView {
    /// Its id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// What groups it: `app=shop,environment=production` (or `rule=NAME`).
    pub key: String,
    /// When it opened (ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub started_at: i64,
    /// When it resolved (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub resolved_at: Option<i64>,
    /// When someone acknowledged it (ms).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub acknowledged_at: Option<i64>,
    /// Its alerts' ids.
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub alerts: Vec<i64>,
    /// How many of them fire.
    pub firing: u32,
    /// Open, not acknowledged, with a firing alert that is not silenced:
    /// what the tray and notifications count.
    pub needs_attention: bool,
    /// The deployment that was running when it started (or had ended less
    /// than 30 minutes before), of its app and environment when its key
    /// names them.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub deployment: Option<i64>,
}

/// Every alert and the recent incidents.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AlertsView {
    /// Alerts not inactive, most recently evaluated first.
    pub alerts: Vec<AlertView>,
    /// Open incidents first, then recent ones.
    pub incidents: Vec<IncidentView>,
    /// Incidents that need attention.
    pub firing: u32,
}
