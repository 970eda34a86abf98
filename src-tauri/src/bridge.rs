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

/// How long new log lines of a job gather before they go to the window as
/// one event: a job printing 20,000 lines in half a second makes about ten
/// events, not hundreds (each event is a script the webview evaluates).
const LOG_BATCH: std::time::Duration = std::time::Duration::from_millis(50);

/// Starts forwarding events until the app exits.
pub fn start(app: AppHandle) {
    let mut events = app.state::<AppState>().engine.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut logs = LogBatches::default();
        loop {
            // The oldest pending lines leave at most LOG_BATCH after they came,
            // however steadily new ones keep coming.
            let deadline = logs.since.map(|t| t + LOG_BATCH);
            tokio::select! {
                received = events.recv() => match received {
                    Ok(Event::Log { run_id, job_id, chunk, .. }) => logs.add(run_id, job_id, &chunk),
                    Ok(event) => {
                        // Lines first, so a job's end never overtakes its last lines.
                        logs.flush(&app);
                        forward(&app, event).await;
                    }
                    Err(RecvError::Lagged(n)) => {
                        // The UI re-reads what it shows on the next event; the tray now.
                        tracing::debug!(missed = n, "event bridge lagged");
                        tray::refresh(&app);
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tokio::time::sleep_until(deadline.unwrap_or_else(tokio::time::Instant::now)),
                    if deadline.is_some() => logs.flush(&app),
            }
        }
        logs.flush(&app);
    });
}

/// New log lines per job, waiting for [`LOG_BATCH`] to pass.
#[derive(Default)]
struct LogBatches {
    pending: Vec<LogAppendDto>,
    /// When the oldest pending lines came.
    since: Option<tokio::time::Instant>,
}

impl LogBatches {
    fn add(&mut self, run_id: i64, job_id: i64, chunk: &switchyard_engine::store::LogChunk) {
        let total = chunk.first_line + chunk.line_count - 1;
        let lines = logs::decode(chunk);
        self.since.get_or_insert_with(tokio::time::Instant::now);
        let batch = match self.pending.iter_mut().position(|b| b.job_id == job_id) {
            Some(i) => &mut self.pending[i],
            None => {
                self.pending.push(LogAppendDto {
                    run_id,
                    job_id,
                    total,
                    lines: Vec::new(),
                });
                self.pending.last_mut().expect("just pushed")
            }
        };
        batch.total = batch.total.max(total);
        batch.lines.extend(lines);
        // In a flood only the last lines travel; the UI reads the rest when in view.
        if batch.lines.len() > MAX_EVENT_LINES {
            let extra = batch.lines.len() - MAX_EVENT_LINES;
            batch.lines.drain(..extra);
        }
    }

    /// The pending batches, oldest job first; none pending afterwards.
    fn take(&mut self) -> Vec<LogAppendDto> {
        self.since = None;
        std::mem::take(&mut self.pending)
    }

    fn flush(&mut self, app: &AppHandle) {
        for batch in self.take() {
            let _ = app.emit(&event_name("log", Some(batch.job_id)), batch);
        }
    }
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
        // Batched in `start`.
        Event::Log { .. } => {}
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
        Event::Alerts { opened } => {
            for id in &opened {
                match state.engine.incident_notification(*id).await {
                    Ok(Some(n)) => crate::notify::show(app, n),
                    Ok(None) => {}
                    Err(e) => tracing::warn!(error = %e, "cannot decide on a notification"),
                }
            }
            let _ = app.emit(
                &event_name("alerts", None),
                crate::dto::AlertsChangedDto { opened },
            );
            tray::refresh(app);
        }
        Event::CancelRequested { .. } | Event::Decided { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_engine::store::LogChunk;

    fn chunk(first: i64, count: i64) -> LogChunk {
        let data: String = (first..first + count)
            .map(|n| format!("0\to\t\tline {n}\n"))
            .collect();
        LogChunk {
            attempt: 1,
            seq: first,
            first_line: first,
            line_count: count,
            ts: 0,
            compressed: false,
            data: data.into_bytes(),
        }
    }

    /// Chunks of one job gather into one event per batch, keeping only the
    /// last lines of a flood, and the batch's clock starts with its first
    /// lines (so a steady stream still leaves every LOG_BATCH).
    #[tokio::test]
    async fn chunks_gather_per_job_and_a_flood_keeps_its_last_lines() {
        let mut logs = LogBatches::default();
        assert!(logs.since.is_none());
        logs.add(1, 10, &chunk(1, 3));
        let first = logs.since.expect("the batch's clock started");
        logs.add(1, 11, &chunk(1, 1));
        logs.add(1, 10, &chunk(4, MAX_EVENT_LINES as i64));
        assert_eq!(logs.since, Some(first), "later lines do not delay the batch");
        let batches = logs.take();
        assert!(logs.since.is_none() && logs.pending.is_empty());
        assert_eq!(batches.len(), 2);
        let job10 = &batches[0];
        assert_eq!((job10.job_id, job10.total), (10, 3 + MAX_EVENT_LINES as i64));
        assert_eq!(job10.lines.len(), MAX_EVENT_LINES);
        assert_eq!(
            job10.lines.last().unwrap().text,
            format!("line {}", 3 + MAX_EVENT_LINES)
        );
        assert_eq!(job10.lines.first().unwrap().number, 4);
        assert_eq!((batches[1].job_id, batches[1].lines.len()), (11, 1));
    }
}
