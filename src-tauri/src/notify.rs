//! Desktop notifications: a failed run, a failing branch that is fixed.
//!
//! Sent over the session bus (org.freedesktop.Notifications) with a default
//! action, so clicking the notification opens the run. Nothing is sent while
//! notifications are paused or turned off in the settings.

use switchyard_engine::store::{RunDetails, now_ms};
use tauri::AppHandle;

use crate::state::AppState;

/// Called when a run ends.
pub async fn run_ended(app: &AppHandle, state: &AppState, run: &RunDetails) {
    let settings = state.settings();
    if settings.paused(now_ms()) {
        return;
    }
    let previous = state
        .engine
        .store()
        .previous_outcome(run.summary.id)
        .await
        .ok()
        .flatten();
    let Some((summary, body)) = crate::bridge::notification_for(
        run,
        previous,
        settings.notify_on_failure,
        settings.notify_on_fixed,
    ) else {
        return;
    };
    let route = format!("/runs/{}", run.summary.id);
    let app = app.clone();
    // Showing and waiting for a click block; keep them off the async runtime.
    std::thread::spawn(move || {
        let shown = notify_rust::Notification::new()
            .appname("Switchyard")
            .summary(&summary)
            .body(&body)
            .icon("switchyard")
            .action("default", "Open run")
            .show();
        match shown {
            Ok(handle) => handle.wait_for_action(|action| {
                if action == "default" {
                    crate::tray::navigate(&app, route.clone());
                }
            }),
            Err(e) => tracing::warn!(error = %e, "cannot show a desktop notification"),
        }
    });
}
