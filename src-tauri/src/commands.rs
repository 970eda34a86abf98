//! The IPC commands: each a few lines over an engine use case (see
//! docs/desktop-ipc.md). Declared through [`crate::ipc::commands!`], which
//! also writes their TypeScript signatures.
//!
//! What only the window can get wrong is checked here: paths must be
//! absolute, counts and texts are bounded.

use std::path::{Path, PathBuf};

use switchyard_engine::logs::LogPage;
use switchyard_engine::secrets::SecretScope;
use switchyard_engine::status::RunStatus;
use switchyard_engine::store::TestResultRecord;
use switchyard_engine::usecases::RunQuery;
use switchyard_engine::views::*;
use switchyard_engine::{RerunMode, RunOptions, Trigger};

use crate::dto::*;
use crate::error::{ErrorCode, ErrorDto};
use crate::ipc::{commands, ts_named};
use crate::settings;

ts_named!(
    OverviewView,
    ProjectView,
    FolderView,
    ProjectDetailView,
    RunPage,
    RunView,
    RunStatus,
    LogPage,
    TestResultRecord,
    SettingsDto,
    FirstRunDto,
    DeepLinkDto,
    RunSummaryView,
    RunEventDto,
    LogAppendDto,
    ProjectsChangedDto,
    NavigateDto,
    SecretView,
    ExportedArtifact,
    RemovedProject,
    LogMatchCount,
    TestOutcomeView,
);

/// Longest comment on a decision.
const MAX_COMMENT: usize = 2000;
/// Most jobs at once a run may ask for.
const MAX_PARALLELISM: u32 = 1024;
/// Longest search text.
const MAX_QUERY: usize = 1000;
/// Longest pause of notifications, in minutes (a week).
const MAX_PAUSE_MINUTES: u32 = 7 * 24 * 60;

fn absolute(path: &str) -> Result<PathBuf, ErrorDto> {
    let p = Path::new(path);
    if path.is_empty() || !p.is_absolute() {
        return Err(ErrorDto::invalid(format!(
            "`{path}` is not an absolute folder path"
        )));
    }
    Ok(p.to_path_buf())
}

fn internal(e: impl std::fmt::Display) -> ErrorDto {
    ErrorDto::new(ErrorCode::Internal, e.to_string())
}

commands! {
    /// The Overview view.
    fn overview(state) -> OverviewView {
        Ok(state.engine.overview().await?)
    }

    /// Every project with its last run.
    fn list_projects(state) -> Vec<ProjectView> {
        Ok(state.engine.project_views().await?)
    }

    /// What a folder holds, before importing it.
    fn inspect_folder(state, path: String) -> FolderView {
        Ok(state.engine.inspect_folder(&absolute(&path)?).await?)
    }

    /// Imports a folder, writing the starter pipeline first when given one.
    fn import_project(state, path: String, pipeline_yaml: Option<String>) -> ProjectView {
        Ok(state.engine.import_project(&absolute(&path)?, pipeline_yaml).await?)
    }

    /// The Project view.
    fn project_detail(state, name: String) -> ProjectDetailView {
        Ok(state.engine.project_detail(&name).await?)
    }

    /// One page of runs.
    fn list_runs(
        state,
        project: Option<String>,
        status: Option<RunStatus>,
        branch: Option<String>,
        before: Option<i64>,
        limit: u32,
    ) -> RunPage {
        let query = RunQuery {
            project,
            status,
            branch,
            before,
            limit,
        };
        Ok(state.engine.list_runs(query).await?)
    }

    /// One run.
    fn get_run(state, id: i64) -> RunView {
        Ok(state.engine.run_view(id).await?)
    }

    /// Starts a run of the chosen jobs (all when empty); returns its id.
    fn start_run(state, project: String, jobs: Vec<String>, in_place: bool, from_link: bool, parallelism: Option<u32>) -> i64 {
        if parallelism.is_some_and(|p| p == 0 || p > MAX_PARALLELISM) {
            return Err(ErrorDto::invalid(format!("a run's parallelism is 1 to {MAX_PARALLELISM} jobs at once")));
        }
        let project = state.engine.project(&project).await?;
        let options = RunOptions {
            jobs,
            in_place,
            parallelism: parallelism.map(|p| p as usize),
            trigger: if from_link { Trigger::Link } else { Trigger::App },
            ..Default::default()
        };
        Ok(state.engine.start_run(&project, options).await?.id)
    }

    /// Runs again what a run ran: `same` (its chosen jobs, place and
    /// options), `failed` (its jobs that did not succeed) or `job` (one job).
    /// What those need runs too.
    fn rerun(state, run_id: i64, mode: String, job: Option<String>) -> i64 {
        let mode = match (mode.as_str(), job) {
            ("same", None) => RerunMode::Same,
            ("failed", None) => RerunMode::Failed,
            ("job", Some(job)) => RerunMode::Job(job),
            _ => return Err(ErrorDto::invalid("a re-run is `same`, `failed`, or `job` with a job name")),
        };
        Ok(state.engine.rerun(run_id, mode, Trigger::App).await?.id)
    }

    /// Copies a run's artifacts (or one job's) into a folder the user chose.
    fn save_artifacts(state, run_id: i64, job: Option<String>, dir: String) -> Vec<ExportedArtifact> {
        let dir = absolute(&dir)?;
        Ok(state.engine.export_artifacts(run_id, job.as_deref(), &dir, false).await?)
    }

    /// Opens one artifact with the system's handler, or (`reveal`) shows it
    /// in the file manager. Returns the copy that was opened.
    fn open_artifact(state, job_id: i64, path: String, reveal: bool) -> String {
        let copy = state.engine.artifact_copy(job_id, &path).await?;
        crate::opener::open(&copy, reveal).map_err(internal)?;
        Ok(copy.display().to_string())
    }

    /// Removes a project from the list, with or without its history.
    fn remove_project(state, name: String, delete_history: bool) -> RemovedProject {
        Ok(state.engine.remove_project(&name, delete_history).await?)
    }

    /// Cancels a run.
    fn cancel_run(state, id: i64) -> () {
        state.engine.cancel(id).await?;
        Ok(())
    }

    /// Approves or rejects a waiting approval job.
    fn decide_job(state, run_id: i64, job: String, approved: bool, comment: Option<String>) -> () {
        if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
            return Err(ErrorDto::invalid(format!("the comment is longer than {MAX_COMMENT} characters")));
        }
        state.engine.decide(run_id, &job, approved, comment, "desktop").await?;
        Ok(())
    }

    /// A window of a job's log.
    fn read_log(state, job_id: i64, from: i64, count: u32) -> LogPage {
        Ok(state.engine.read_log(job_id, from, count as usize).await?)
    }

    /// The next line containing `query`.
    fn search_log(state, job_id: i64, query: String, from: i64, backwards: bool) -> Option<i64> {
        if query.len() > MAX_QUERY {
            return Err(ErrorDto::invalid(format!("the search text is longer than {MAX_QUERY} characters")));
        }
        Ok(state.engine.search_log(job_id, &query, from, backwards).await?)
    }

    /// How many lines contain `query`, and how many of those are at or
    /// before line `at`.
    fn count_log_matches(state, job_id: i64, query: String, at: i64) -> LogMatchCount {
        if query.len() > MAX_QUERY {
            return Err(ErrorDto::invalid(format!("the search text is longer than {MAX_QUERY} characters")));
        }
        Ok(state.engine.count_log_matches(job_id, &query, at).await?)
    }

    /// A test's outcomes in the project's latest runs, newest first.
    fn test_history(state, job_id: i64, classname: Option<String>, name: String, limit: u32) -> Vec<TestOutcomeView> {
        Ok(state.engine.test_history(job_id, classname, name, limit).await?)
    }

    /// Writes a job's whole log to a file the user chose.
    fn save_log(state, job_id: i64, path: String) -> () {
        let target = PathBuf::from(&path);
        if !target.is_absolute() || target.is_dir() {
            return Err(ErrorDto::invalid(format!("`{path}` is not a file path to save to")));
        }
        Ok(state.engine.export_log(job_id, &target).await?)
    }

    /// Test cases of a job, failures first.
    fn test_results(state, job_id: i64) -> Vec<TestResultRecord> {
        Ok(state.engine.test_results(job_id).await?)
    }

    /// The settings.
    fn get_settings(state) -> SettingsDto {
        Ok(settings::to_dto(&state.engine))
    }

    /// Saves the settings.
    fn update_settings(state, settings: SettingsDto) -> SettingsDto {
        if settings.local_concurrency.is_some_and(|n| n == 0 || n > MAX_PARALLELISM) {
            return Err(ErrorDto::invalid(format!("local jobs at once is 1 to {MAX_PARALLELISM}")));
        }
        state.save_settings(settings::from_dto(&settings)).await?;
        if settings.local_concurrency != state.engine.config().runners.local.concurrency.map(|n| n.get()) {
            state.engine.save_local_concurrency(settings.local_concurrency).await?;
        }
        Ok(settings::to_dto(&state.engine))
    }

    /// Pauses (or, with 0, resumes) notifications.
    fn pause_notifications(state, minutes: u32) -> SettingsDto {
        if minutes > MAX_PAUSE_MINUTES {
            return Err(ErrorDto::invalid("notifications can be paused for at most a week"));
        }
        let mut s = state.settings();
        s.notifications_paused_until = if minutes == 0 {
            None
        } else {
            Some(switchyard_engine::store::now_ms() + i64::from(minutes) * 60_000)
        };
        state.save_settings(s).await?;
        Ok(settings::to_dto(&state.engine))
    }

    /// Whether this is a first start.
    fn first_run(state) -> FirstRunDto {
        Ok(FirstRunDto {
            empty: state.engine.is_empty().await?,
            demo_available: true,
        })
    }

    /// Copies the bundled demo project into the data dir and imports it.
    fn import_demo(state) -> ProjectView {
        let home = state.engine.home().root().to_path_buf();
        let dir = tauri::async_runtime::spawn_blocking(move || crate::demo::install(&home))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        Ok(state.engine.import_project(&dir, None).await?)
    }

    /// The link the app was started with, once.
    fn pending_deep_link(state) -> Option<DeepLinkDto> {
        Ok(state.take_pending_link())
    }

    /// The UI has drawn its first view.
    fn ui_ready(state) -> () {
        state.mark_ready();
        Ok(())
    }

    /// Every secret's name, scope and age (never a value).
    fn list_secrets(state) -> Vec<SecretView> {
        Ok(state.engine.secret_views().await?)
    }

    /// Stores (or rotates) a secret in the OS keyring. The value crosses IPC
    /// this once and is never sent back.
    fn set_secret(state, name: String, project: Option<String>, value: String) -> SecretView {
        let scope = project.map_or(SecretScope::Global, SecretScope::Project);
        Ok(state.engine.set_secret(scope, &name, secrecy::SecretString::from(value)).await?)
    }

    /// Removes a secret from the OS keyring; false when there was none.
    fn remove_secret(state, name: String, project: Option<String>) -> bool {
        let scope = project.map_or(SecretScope::Global, SecretScope::Project);
        Ok(state.engine.remove_secret(scope, &name).await?)
    }
}
