//! Forwards the engine's events to the UI and reacts to runs ending.
//!
//! Engine events (this process's, and other Switchyard processes' seen
//! through the history's journal) become the events declared in
//! [`crate::ipc::EVENTS`]: the UI listens instead of polling. When a run
//! ends, the tray is refreshed and the engine says whether a desktop
//! notification is due; clicking it opens the run.

use switchyard_engine::events::Event;
use switchyard_engine::logs;
use tauri::{AppHandle, Emitter, Manager};
use tokio::sync::broadcast::error::RecvError;

use crate::dto::{LogAppendDto, ProjectsChangedDto, RunEventDto};
use crate::ipc::event_name;
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
                &event_name("run", Some(run_id)),
                RunEventDto::Run { run_id, status },
            );
            if let Ok(summary) = state.engine.run_summary(run_id).await {
                let _ = app.emit(&event_name("runs", None), summary);
            }
            if status.is_terminal() {
                match state.engine.notification_for(run_id).await {
                    Ok(Some(n)) => crate::notify::show(app, n),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot decide on a notification"),
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
            if status == switchyard_engine::status::JobStatus::Waiting {
                // A gate waits for a person: tell them, whichever window is open.
                match state.engine.gate_notification(run_id, &job).await {
                    Ok(Some(n)) => crate::notify::show(app, n),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot decide on a notification"),
                }
                tray::refresh(app);
            }
            let payload = RunEventDto::Job {
                run_id,
                job_id,
                job: job.to_string(),
                status,
                attempt,
                reason,
            };
            let _ = app.emit(&event_name("run", Some(run_id)), payload);
            // Lists that show what a run's jobs are doing (a gate waiting in
            // the Overview) follow job changes too.
            if let Ok(summary) = state.engine.run_summary(run_id).await {
                let _ = app.emit(&event_name("runs", None), summary);
            }
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
            let payload = RunEventDto::Step {
                run_id,
                job_id,
                job: job.to_string(),
                attempt,
                step,
                name: name.to_string(),
                status,
                exit_code,
            };
            let _ = app.emit(&event_name("run", Some(run_id)), payload);
        }
        Event::Log {
            run_id,
            job_id,
            chunk,
            ..
        } => {
            let total = chunk.first_line + chunk.line_count - 1;
            let mut lines = logs::decode(&chunk);
            if lines.len() > MAX_EVENT_LINES {
                lines.drain(..lines.len() - MAX_EVENT_LINES);
            }
            let payload = LogAppendDto {
                run_id,
                job_id,
                total,
                lines,
            };
            let _ = app.emit(&event_name("log", Some(job_id)), payload);
        }
        Event::Project { name } => {
            let payload = ProjectsChangedDto {
                name: name.to_string(),
            };
            let _ = app.emit(&event_name("projects", None), payload);
        }
        Event::ConfigChanged => {
            // Edited by hand or by another process: the theme and the
            // notification settings apply at once, and a problem shows.
            let _ = app.emit(
                &event_name("settings", None),
                crate::settings::to_dto(&state.engine),
            );
            tray::refresh(app);
        }
        Event::CancelRequested { .. } | Event::Decided { .. } => {}
    }
}
