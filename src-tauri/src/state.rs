//! What the shell keeps while the app runs.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use switchyard_engine::Engine;

use crate::dto::DeepLinkDto;
use crate::error::ErrorDto;
use crate::settings::{self, Settings};

/// When the process started, for the start-up time the UI's ready signal reports.
pub static STARTED: OnceLock<Instant> = OnceLock::new();

/// Shared state of the app's commands and event handlers.
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    settings: Mutex<Settings>,
    settings_path: PathBuf,
    pending_link: Mutex<Option<DeepLinkDto>>,
    ready: OnceLock<u128>,
}

impl AppState {
    /// State over an opened engine.
    pub fn new(engine: Engine, settings: Settings, settings_path: PathBuf) -> AppState {
        AppState {
            engine,
            settings: Mutex::new(settings),
            settings_path,
            pending_link: Mutex::new(None),
            ready: OnceLock::new(),
        }
    }

    fn lock_settings(&self) -> MutexGuard<'_, Settings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A copy of the current settings.
    pub fn settings(&self) -> Settings {
        self.lock_settings().clone()
    }

    /// Saves and applies new settings.
    pub fn save_settings(&self, new: Settings) -> Result<(), ErrorDto> {
        settings::save(&self.settings_path, &new)?;
        *self.lock_settings() = new;
        Ok(())
    }

    /// Remembers the link the app was started with.
    pub fn set_pending_link(&self, link: DeepLinkDto) {
        *self.pending_link.lock().unwrap_or_else(|p| p.into_inner()) = Some(link);
    }

    /// The link the app was started with, once.
    pub fn take_pending_link(&self) -> Option<DeepLinkDto> {
        self.pending_link.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Records (once) that the UI has drawn its first view, and reports how
    /// long that took since the process started: on stderr and, for the
    /// start-up benchmark, in the file named by SWITCHYARD_READY_FILE.
    pub fn mark_ready(&self) {
        let ms = STARTED.get().map(|s| s.elapsed().as_millis()).unwrap_or(0);
        if self.ready.set(ms).is_ok() {
            tracing::info!(ms, "UI ready");
            if let Some(path) = std::env::var_os("SWITCHYARD_READY_FILE") {
                let _ = std::fs::write(path, ms.to_string());
            }
        }
    }
}
