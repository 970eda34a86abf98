//! The IPC commands: each a few lines over the engine (see docs/desktop-ipc.md).
//!
//! Every argument that comes from the window is checked here before the
//! engine sees it: paths must be absolute directories, counts are bounded,
//! names must exist.

use std::path::{Path, PathBuf};

use switchyard_engine::pipeline::plan::Plan;
use switchyard_engine::pipeline::{self, LoadFileError, PIPELINE_FILE};
use switchyard_engine::status::RunStatus;
use switchyard_engine::store::RunFilter;
use switchyard_engine::{RunOptions, gitinfo, logs, starter};
use tauri::State;

use crate::dto::*;
use crate::error::{ErrorCode, ErrorDto};
use crate::settings;
use crate::state::AppState;

type Result<T> = std::result::Result<T, ErrorDto>;

/// Most lines one `read_log` call returns.
const MAX_LOG_PAGE: usize = 5000;
/// Most runs one `list_runs` call returns.
const MAX_RUN_PAGE: u32 = 500;
/// Largest starter pipeline accepted from the UI.
const MAX_PIPELINE_BYTES: usize = 1 << 20;

fn absolute_dir(path: &str) -> Result<PathBuf> {
    let p = Path::new(path);
    if path.is_empty() || !p.is_absolute() {
        return Err(ErrorDto::invalid(format!(
            "`{path}` is not an absolute folder path"
        )));
    }
    if !p.is_dir() {
        return Err(ErrorDto::new(
            ErrorCode::NotFound,
            format!("{path} is not a folder (or it does not exist)"),
        ));
    }
    std::fs::canonicalize(p).map_err(|e| ErrorDto::invalid(format!("cannot read {path}: {e}")))
}

fn internal(e: impl std::fmt::Display) -> ErrorDto {
    ErrorDto::new(ErrorCode::Internal, e.to_string())
}

pub(crate) fn plan_dto(plan: &Plan) -> Vec<PlanJobDto> {
    let stages = plan.stages();
    plan.jobs
        .iter()
        .zip(stages)
        .map(|(j, stage)| PlanJobDto {
            name: j.name.clone(),
            needs: j.needs.iter().map(|&n| plan.jobs[n].name.clone()).collect(),
            stage: stage as u32,
            runner: j.runner.to_string(),
            condition: j.condition.as_str().into(),
            steps: j.steps.iter().map(|s| s.name.clone()).collect(),
        })
        .collect()
}

fn pipeline_dto(dir: &Path) -> PipelineDto {
    let file = dir.join(PIPELINE_FILE);
    if !file.is_file() {
        return PipelineDto {
            state: "missing".into(),
            diagnostics: Vec::new(),
            plan: Vec::new(),
        };
    }
    match pipeline::load_file(&file) {
        Ok(p) => PipelineDto {
            state: "valid".into(),
            diagnostics: Vec::new(),
            plan: plan_dto(&Plan::new(&p)),
        },
        Err(LoadFileError::Invalid(invalid)) => PipelineDto {
            state: "invalid".into(),
            diagnostics: invalid.diagnostics.iter().map(DiagnosticDto::from).collect(),
            plan: Vec::new(),
        },
        Err(e) => PipelineDto {
            state: "invalid".into(),
            diagnostics: vec![DiagnosticDto {
                line: 1,
                column: 1,
                message: e.to_string(),
            }],
            plan: Vec::new(),
        },
    }
}

fn git_dto(dir: &Path) -> Option<GitDto> {
    let info = gitinfo::read(dir)?;
    Some(GitDto {
        branch: info.branch,
        remote: info.remote,
        dirty: info.dirty,
        commits: gitinfo::recent_commits(dir, 10)
            .into_iter()
            .map(|c| CommitDto {
                id: c.id,
                summary: c.summary,
                author: c.author,
                time: c.time,
            })
            .collect(),
    })
}

async fn project_dto(state: &AppState, p: &switchyard_engine::store::Project) -> Result<ProjectDto> {
    let last = state
        .engine
        .store()
        .runs(Some(p.id), 1, None)
        .await
        .map_err(internal)?;
    Ok(ProjectDto::new(p, last.first()))
}

/// The Overview view.
#[tauri::command]
pub async fn overview(state: State<'_, AppState>) -> Result<OverviewDto> {
    let store = state.engine.store();
    Ok(OverviewDto {
        active: store
            .active_runs()
            .await
            .map_err(internal)?
            .iter()
            .map(RunSummaryDto::from)
            .collect(),
        recent: store
            .runs(None, 20, None)
            .await
            .map_err(internal)?
            .iter()
            .map(RunSummaryDto::from)
            .collect(),
        failing_branches: store
            .failing_branches(&["main", "master"])
            .await
            .map_err(internal)?
            .iter()
            .map(RunSummaryDto::from)
            .collect(),
        projects: store.projects().await.map_err(internal)?.len() as u32,
    })
}

/// Every project with its last run.
#[tauri::command]
pub async fn list_projects(state: State<'_, AppState>) -> Result<Vec<ProjectDto>> {
    let projects = state.engine.projects().await?;
    let mut out = Vec::with_capacity(projects.len());
    for p in &projects {
        out.push(project_dto(&state, p).await?);
    }
    Ok(out)
}

/// What a folder holds, before importing it.
#[tauri::command]
pub async fn inspect_folder(state: State<'_, AppState>, path: String) -> Result<FolderDto> {
    let dir = absolute_dir(&path)?;
    let pipeline = pipeline_dto(&dir);
    let starter = if pipeline.state == "missing" {
        starter::detect(&dir).map(|s| StarterDto {
            stack: s.stack,
            detected_from: s.detected_from,
            yaml: s.yaml,
        })
    } else {
        None
    };
    let name = pipeline::load_file(&dir.join(PIPELINE_FILE))
        .ok()
        .and_then(|p| p.name)
        .unwrap_or_else(|| {
            dir.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let imported_as = state
        .engine
        .store()
        .project_by_path(&dir)
        .await
        .map_err(internal)?
        .map(|p| p.name);
    Ok(FolderDto {
        path: dir.display().to_string(),
        name,
        git: git_dto(&dir),
        pipeline,
        starter,
        imported_as,
    })
}

/// Imports a folder, writing a starter pipeline first when given one.
#[tauri::command]
pub async fn import_project(
    state: State<'_, AppState>,
    path: String,
    pipeline_yaml: Option<String>,
) -> Result<ProjectDto> {
    let dir = absolute_dir(&path)?;
    if let Some(yaml) = pipeline_yaml {
        let file = dir.join(PIPELINE_FILE);
        if file.exists() {
            return Err(ErrorDto::new(
                ErrorCode::Conflict,
                format!(
                    "{} already exists; Switchyard does not overwrite it",
                    file.display()
                ),
            ));
        }
        if yaml.len() > MAX_PIPELINE_BYTES {
            return Err(ErrorDto::invalid("the pipeline text is too large"));
        }
        // Refuse to save a pipeline that would not load.
        if let Err(invalid) = pipeline::load(&file, &yaml) {
            return Err(switchyard_engine::EngineError::Pipeline(LoadFileError::Invalid(invalid)).into());
        }
        std::fs::write(&file, yaml).map_err(|e| internal(format!("cannot write {}: {e}", file.display())))?;
    }
    let project = state.engine.import(&dir, None).await?;
    project_dto(&state, &project).await
}

/// The Project view.
#[tauri::command]
pub async fn project_detail(state: State<'_, AppState>, name: String) -> Result<ProjectDetailDto> {
    let project = state.engine.project(&name).await?;
    Ok(ProjectDetailDto {
        git: git_dto(&project.path),
        pipeline: pipeline_dto(&project.path),
        branches: state
            .engine
            .store()
            .branches(project.id)
            .await
            .map_err(internal)?,
        project: project_dto(&state, &project).await?,
    })
}

/// One page of runs.
#[tauri::command]
pub async fn list_runs(
    state: State<'_, AppState>,
    project: Option<String>,
    status: Option<StatusDto>,
    branch: Option<String>,
    before: Option<i64>,
    limit: u32,
) -> Result<RunPageDto> {
    let project_id = match project {
        Some(name) => Some(state.engine.project(&name).await?.id),
        None => None,
    };
    let status = match status {
        None => None,
        Some(s) => Some(
            serde_json::to_value(s)
                .ok()
                .and_then(|v| v.as_str().and_then(|t| t.parse::<RunStatus>().ok()))
                .ok_or_else(|| ErrorDto::invalid(format!("runs cannot have status {s:?}")))?,
        ),
    };
    let limit = limit.clamp(1, MAX_RUN_PAGE);
    let runs = state
        .engine
        .store()
        .runs_filtered(&RunFilter {
            project_id,
            status,
            branch,
            before,
            limit,
        })
        .await
        .map_err(internal)?;
    let next_before = if runs.len() == limit as usize {
        runs.last().map(|r| r.id)
    } else {
        None
    };
    Ok(RunPageDto {
        runs: runs.iter().map(RunSummaryDto::from).collect(),
        next_before,
    })
}

/// One run.
#[tauri::command]
pub async fn get_run(state: State<'_, AppState>, id: i64) -> Result<RunDto> {
    Ok(RunDto::from(&state.engine.run(id).await?))
}

/// Starts a run; returns its id.
#[tauri::command]
pub async fn start_run(
    state: State<'_, AppState>,
    project: String,
    jobs: Vec<String>,
    in_place: bool,
) -> Result<i64> {
    let project = state.engine.project(&project).await?;
    let handle = state
        .engine
        .start_run(
            &project,
            RunOptions {
                jobs,
                in_place,
                ..Default::default()
            },
        )
        .await?;
    Ok(handle.id)
}

/// Cancels a run.
#[tauri::command]
pub async fn cancel_run(state: State<'_, AppState>, id: i64) -> Result<()> {
    state.engine.cancel(id).await?;
    Ok(())
}

/// A window of a job's log.
#[tauri::command]
pub async fn read_log(state: State<'_, AppState>, job_id: i64, from: i64, count: u32) -> Result<LogPageDto> {
    let count = (count as usize).clamp(1, MAX_LOG_PAGE);
    let page = logs::page(state.engine.store(), job_id, from, count)
        .await
        .map_err(internal)?;
    Ok(LogPageDto {
        lines: page.lines.into_iter().map(LogLineDto::from).collect(),
        total: page.total,
    })
}

/// The next line containing `query`.
#[tauri::command]
pub async fn search_log(
    state: State<'_, AppState>,
    job_id: i64,
    query: String,
    from: i64,
    backwards: bool,
) -> Result<Option<i64>> {
    if query.len() > 1000 {
        return Err(ErrorDto::invalid(
            "the search text is longer than 1000 characters",
        ));
    }
    logs::search(state.engine.store(), job_id, &query, from, backwards)
        .await
        .map_err(internal)
}

/// Writes a job's whole log to a file the user chose.
#[tauri::command]
pub async fn save_log(state: State<'_, AppState>, job_id: i64, path: String) -> Result<()> {
    let target = PathBuf::from(&path);
    if !target.is_absolute() || target.is_dir() {
        return Err(ErrorDto::invalid(format!(
            "`{path}` is not a file path to save to"
        )));
    }
    let chunks = state
        .engine
        .store()
        .log_chunks(job_id, None)
        .await
        .map_err(internal)?;
    tauri::async_runtime::spawn_blocking(move || -> Result<()> {
        use std::io::Write;
        let file = std::fs::File::create(&target)
            .map_err(|e| internal(format!("cannot write {}: {e}", target.display())))?;
        let mut out = std::io::BufWriter::new(file);
        for chunk in &chunks {
            for line in logs::decode(chunk) {
                writeln!(out, "{}", line.text).map_err(internal)?;
            }
        }
        out.flush().map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// Test cases of a job, failures first.
#[tauri::command]
pub async fn test_results(state: State<'_, AppState>, job_id: i64) -> Result<Vec<TestResultDto>> {
    Ok(state
        .engine
        .store()
        .test_results(job_id)
        .await
        .map_err(internal)?
        .into_iter()
        .map(TestResultDto::from)
        .collect())
}

/// The settings.
#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Result<SettingsDto> {
    Ok(settings::to_dto(&state.engine))
}

/// Saves the settings.
#[tauri::command]
pub async fn update_settings(state: State<'_, AppState>, settings: SettingsDto) -> Result<SettingsDto> {
    state.save_settings(settings::from_dto(&settings)).await?;
    Ok(settings::to_dto(&state.engine))
}

/// Pauses (or, with 0, resumes) notifications.
#[tauri::command]
pub async fn pause_notifications(state: State<'_, AppState>, minutes: u32) -> Result<SettingsDto> {
    if minutes > 7 * 24 * 60 {
        return Err(ErrorDto::invalid(
            "notifications can be paused for at most a week",
        ));
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
#[tauri::command]
pub async fn first_run(state: State<'_, AppState>) -> Result<FirstRunDto> {
    let store = state.engine.store();
    let empty = store.projects().await.map_err(internal)?.is_empty()
        && store.runs(None, 1, None).await.map_err(internal)?.is_empty();
    Ok(FirstRunDto {
        empty,
        demo_available: true,
    })
}

/// Copies the bundled demo project into the data dir and imports it.
#[tauri::command]
pub async fn import_demo(state: State<'_, AppState>) -> Result<ProjectDto> {
    let dir = crate::demo::install(state.engine.home().root()).map_err(internal)?;
    let project = state.engine.import(&dir, None).await?;
    project_dto(&state, &project).await
}

/// The link the app was started with, once.
#[tauri::command]
pub async fn pending_deep_link(state: State<'_, AppState>) -> Result<Option<DeepLinkDto>> {
    Ok(state.take_pending_link())
}

/// The UI has drawn its first view.
#[tauri::command]
pub async fn ui_ready(state: State<'_, AppState>) -> Result<()> {
    state.mark_ready();
    Ok(())
}
