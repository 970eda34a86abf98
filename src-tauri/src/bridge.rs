//! Forwards the engine's events to the UI and reacts to runs ending.
//!
//! Engine events become namespaced Tauri events (`switchyard://runs`,
//! `switchyard://run/{id}`, `switchyard://log/{jobId}`): the UI listens instead
//! of polling. When a run ends, the tray is refreshed and, as the settings
//! say, a desktop notification tells of a failure or of a branch that was
//! failing and is fixed; clicking it opens the run.

use switchyard_engine::events::Event;
use switchyard_engine::logs;
use switchyard_engine::status::RunStatus;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::dto::{LogAppendDto, LogLineDto, RunEventDto, RunSummaryDto};
use crate::state::AppState;
use crate::tray;

/// Most lines of one chunk sent over IPC; the UI reads the rest on demand.
const MAX_EVENT_LINES: usize = 2000;

/// Starts forwarding events until the app exits.
pub fn start(app: AppHandle) {
    let mut events = app.state::<AppState>().engine.subscribe();
    tauri::async_runtime::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => forward(&app, event).await,
                Err(RecvError::Lagged(n)) => {
                    // The UI re-reads what it shows on the next event; the tray now.
                    tracing::debug!(missed = n, "event bridge lagged");
                    tray::refresh(&app);
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

async fn forward(app: &AppHandle, event: Event) {
    let state = app.state::<AppState>();
    match event {
        Event::Run { run_id, status, .. } => {
            let _ = app.emit(
                &format!("switchyard://run/{run_id}"),
                RunEventDto::Run {
                    run_id,
                    status: status.into(),
                },
            );
            if let Ok(run) = state.engine.run(run_id).await {
                let _ = app.emit("switchyard://runs", RunSummaryDto::from(&run.summary));
                if status.is_terminal() {
                    crate::notify::run_ended(app, &state, &run).await;
                }
            }
            tray::refresh(app);
        }
        Event::Job {
            run_id,
            job_id,
            job,
            status,
            attempt,
            reason,
        } => {
            let _ = app.emit(
                &format!("switchyard://run/{run_id}"),
                RunEventDto::Job {
                    run_id,
                    job_id,
                    job: job.to_string(),
                    status: status.into(),
                    attempt,
                    reason,
                },
            );
        }
        Event::Step {
            run_id,
            job_id,
            job,
            attempt,
            step,
            name,
            status,
            exit_code,
        } => {
            let _ = app.emit(
                &format!("switchyard://run/{run_id}"),
                RunEventDto::Step {
                    run_id,
                    job_id,
                    job: job.to_string(),
                    attempt,
                    step,
                    name: name.to_string(),
                    status: status.into(),
                    exit_code,
                },
            );
        }
        Event::Log {
            run_id,
            job_id,
            chunk,
            ..
        } => {
            let total = chunk.first_line + chunk.line_count - 1;
            let mut lines: Vec<LogLineDto> = logs::decode(&chunk).into_iter().map(LogLineDto::from).collect();
            if lines.len() > MAX_EVENT_LINES {
                lines.drain(..lines.len() - MAX_EVENT_LINES);
            }
            let _ = app.emit(
                &format!("switchyard://log/{job_id}"),
                LogAppendDto {
                    run_id,
                    job_id,
                    total,
                    lines,
                },
            );
        }
        Event::ConfigChanged => {
            // Edited by hand or by another process: the theme and the
            // notification settings apply at once, and a problem shows.
            let _ = app.emit("switchyard://settings", crate::settings::to_dto(&state.engine));
            tray::refresh(app);
        }
        Event::CancelRequested { .. } | Event::Project { .. } => {}
    }
}

/// Whether a run that just ended is worth a notification, and what it says.
pub fn notification_for(
    run: &switchyard_engine::store::RunDetails,
    previous: Option<RunStatus>,
    on_failure: bool,
    on_fixed: bool,
) -> Option<(String, String)> {
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
            Some((format!("{} run #{} failed{branch}", s.project, s.id), culprit))
        }
        RunStatus::Succeeded
            if on_fixed && matches!(previous, Some(RunStatus::Failed | RunStatus::Interrupted)) =>
        {
            Some((
                format!("{} is fixed{branch}", s.project),
                format!("run #{} succeeded after a failing run", s.id),
            ))
        }
        _ => None,
    }
}
