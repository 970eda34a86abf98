//! The tray icon: its image shows the overall state, its menu the latest runs.
//!
//! States, most urgent first: an incident fires (`alert`: open, not
//! acknowledged, with a firing alert that is not silenced), a run going
//! (`running`), a project needs attention (`failed`: its latest run on a
//! default branch did not succeed), otherwise `idle`: the engine's rule
//! ([`switchyard_engine::views::Attention::state`]) that the Overview follows
//! too. On Linux the tray is
//! a StatusNotifierItem on the session bus, so a host (or a test watcher) that
//! owns `org.kde.StatusNotifierWatcher` shows it.

use switchyard_engine::status::RunStatus;
use switchyard_engine::views::{AttentionState, RunSummaryView};
use tauri::image::Image;
use tauri::menu::{Menu, MenuEvent, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::dto::NavigateDto;
use crate::state::AppState;

/// How many latest runs the menu lists.
pub const RUN_SLOTS: usize = 5;

/// The overall state the tray shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    /// Nothing going, nothing failing.
    Idle,
    /// An incident fires.
    Alert,
    /// At least one run is going.
    Running,
    /// The latest run of some project did not succeed.
    Failed,
}

impl TrayState {
    fn icon(self) -> &'static [u8] {
        match self {
            TrayState::Idle => include_bytes!("../../icons/tray/idle.png"),
            TrayState::Alert => include_bytes!("../../icons/tray/alert.png"),
            TrayState::Running => include_bytes!("../../icons/tray/running.png"),
            TrayState::Failed => include_bytes!("../../icons/tray/failed.png"),
        }
    }

    fn tooltip(self) -> &'static str {
        match self {
            TrayState::Idle => "Switchyard: all quiet",
            TrayState::Alert => "Switchyard: alerts firing",
            TrayState::Running => "Switchyard: runs in progress",
            TrayState::Failed => "Switchyard: something failed",
        }
    }

    /// Name, for logs and tests.
    pub fn as_str(self) -> &'static str {
        match self {
            TrayState::Idle => "idle",
            TrayState::Alert => "alert",
            TrayState::Running => "running",
            TrayState::Failed => "failed",
        }
    }
}

/// The tray state, by the engine's one rule of what needs attention (the
/// Overview shows the same).
pub async fn current_state(state: &AppState) -> TrayState {
    match state.engine.attention().await.map(|a| a.state()) {
        Ok(AttentionState::Alerting) => TrayState::Alert,
        Ok(AttentionState::Running) => TrayState::Running,
        Ok(AttentionState::Failing) => TrayState::Failed,
        Ok(AttentionState::Quiet) => TrayState::Idle,
        Err(e) => {
            tracing::warn!(error = %e, "cannot read what needs attention");
            TrayState::Idle
        }
    }
}

/// The tray and the menu items it updates.
pub struct Tray {
    icon: TrayIcon<Wry>,
    runs: Vec<MenuItem<Wry>>,
    pause: MenuItem<Wry>,
    shown: std::sync::Mutex<Option<TrayState>>,
}

fn run_label(r: &RunSummaryView) -> String {
    let mark = match r.status {
        RunStatus::Succeeded => "✓",
        RunStatus::Failed | RunStatus::Interrupted => "✗",
        RunStatus::Running | RunStatus::Queued => "…",
        RunStatus::Cancelled => "⊘",
    };
    format!("{mark} {} #{} {}", r.project, r.id, r.status)
}

/// Builds the tray icon and its menu.
pub fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let mut runs = Vec::with_capacity(RUN_SLOTS);
    for i in 0..RUN_SLOTS {
        runs.push(MenuItem::with_id(
            app,
            format!("run-slot-{i}"),
            "No runs yet",
            false,
            None::<&str>,
        )?);
    }
    let open = MenuItem::with_id(app, "open", "Open Switchyard", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause notifications for 1 hour", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let sep1 = PredefinedMenuItem::separator(app)?;
    let sep2 = PredefinedMenuItem::separator(app)?;
    let mut items: Vec<&dyn tauri::menu::IsMenuItem<Wry>> = Vec::new();
    for r in &runs {
        items.push(r);
    }
    items.push(&sep1);
    items.push(&open);
    items.push(&pause);
    items.push(&sep2);
    items.push(&quit);
    let menu = Menu::with_items(app, &items)?;
    let icon = TrayIconBuilder::with_id("switchyard")
        .icon(Image::from_bytes(TrayState::Idle.icon())?)
        .tooltip(TrayState::Idle.tooltip())
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(on_menu_event)
        .build(app)?;
    Ok(Tray {
        icon,
        runs,
        pause,
        shown: std::sync::Mutex::new(None),
    })
}

/// Brings the main window to the front.
pub fn show_window(app: &AppHandle) {
    if let Some(w) = app.get_webview_window("main") {
        let _ = w.show();
        let _ = w.unminimize();
        let _ = w.set_focus();
    }
}

/// Shows the window at a route of the UI.
pub fn navigate(app: &AppHandle, route: String) {
    show_window(app);
    let _ = app.emit("switchyard://navigate", NavigateDto { route });
}

fn on_menu_event(app: &AppHandle, event: MenuEvent) {
    let id = event.id().as_ref().to_string();
    let state = app.state::<AppState>();
    match id.as_str() {
        "open" => show_window(app),
        "quit" => app.exit(0),
        "pause" => {
            let mut s = state.settings();
            let now = switchyard_engine::store::now_ms();
            s.notifications_paused_until = if s.paused(now) {
                None
            } else {
                Some(now + 3_600_000)
            };
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                let state = app.state::<AppState>();
                if let Err(e) = state.save_settings(s).await {
                    tracing::warn!(error = %e.message, "cannot save the notification pause");
                }
                refresh(&app);
            });
        }
        slot if slot.starts_with("run-slot-") => {
            let index: usize = slot.trim_start_matches("run-slot-").parse().unwrap_or(0);
            let app = app.clone();
            let engine = state.engine.clone();
            tauri::async_runtime::spawn(async move {
                if let Ok(runs) = engine.recent_runs(RUN_SLOTS as u32).await
                    && let Some(run) = runs.get(index)
                {
                    navigate(&app, format!("/runs/{}", run.id));
                }
            });
        }
        _ => {}
    }
}

/// Updates the icon, the run items and the pause item from the history
/// (read off the UI thread; the tray is updated when the reads are done).
pub fn refresh(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move { refresh_now(&app).await });
}

async fn refresh_now(app: &AppHandle) {
    let state = app.state::<AppState>();
    let Some(tray) = app.try_state::<Tray>() else {
        return;
    };
    let now_state = current_state(&state).await;
    {
        let mut shown = tray.shown.lock().unwrap_or_else(|p| p.into_inner());
        if *shown != Some(now_state) {
            if let Ok(img) = Image::from_bytes(now_state.icon()) {
                let _ = tray.icon.set_icon(Some(img));
            }
            let _ = tray.icon.set_tooltip(Some(now_state.tooltip()));
            tracing::info!(state = now_state.as_str(), "tray state");
            *shown = Some(now_state);
        }
    }
    let runs = state
        .engine
        .recent_runs(RUN_SLOTS as u32)
        .await
        .unwrap_or_default();
    for (i, item) in tray.runs.iter().enumerate() {
        match runs.get(i) {
            Some(r) => {
                let _ = item.set_text(run_label(r));
                let _ = item.set_enabled(true);
            }
            None => {
                let _ = item.set_text(if i == 0 { "No runs yet" } else { " " });
                let _ = item.set_enabled(false);
            }
        }
    }
    let paused = state.settings().paused(switchyard_engine::store::now_ms());
    let _ = tray.pause.set_text(if paused {
        "Resume notifications"
    } else {
        "Pause notifications for 1 hour"
    });
}
