//! What the shell keeps while the app runs.

use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use switchyard_engine::Engine;
use switchyard_engine::config::DesktopConfig;

use crate::dto::DeepLinkDto;
use crate::error::ErrorDto;

/// When the process started, for the start-up time the UI's ready signal reports.
pub static STARTED: OnceLock<Instant> = OnceLock::new();

/// Shared state of the app's commands and event handlers.
pub struct AppState {
    /// The engine.
    pub engine: Engine,
    pending_link: Mutex<Option<DeepLinkDto>>,
    ready: OnceLock<u128>,
    /// Live charts of the Metrics view, polled incrementally (bounded).
    pub charts: tokio::sync::Mutex<switchyard_monitoring::live::LiveCache>,
}

/// Live charts kept at once (one per query, range and step shown lately).
const LIVE_CHARTS: usize = 16;

impl AppState {
    /// State over an opened engine.
    pub fn new(engine: Engine) -> AppState {
        AppState {
            engine,
            pending_link: Mutex::new(None),
            ready: OnceLock::new(),
            charts: tokio::sync::Mutex::new(switchyard_monitoring::live::LiveCache::new(LIVE_CHARTS)),
        }
    }

    /// The desktop settings in force (config.toml's `[desktop]`).
    pub fn settings(&self) -> DesktopConfig {
        self.engine.config().desktop.clone()
    }

    /// Saves and applies new settings.
    pub async fn save_settings(&self, new: DesktopConfig) -> Result<(), ErrorDto> {
        self.engine.save_desktop_settings(new).await?;
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
