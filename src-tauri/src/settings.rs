//! The desktop app's settings: the `[desktop]` table of Switchyard's
//! `config.toml`, which the engine reads, watches and writes (see
//! docs/configuration.md). This module only maps it to and from the UI's
//! [`SettingsDto`].

use switchyard_engine::Engine;
use switchyard_engine::config::{DesktopConfig, Theme};

use crate::dto::{SettingsDto, ThemeDto};

/// The settings in force, for the UI.
pub fn to_dto(engine: &Engine) -> SettingsDto {
    let d = engine.config().desktop.clone();
    SettingsDto {
        theme: match d.theme {
            Theme::System => ThemeDto::System,
            Theme::Light => ThemeDto::Light,
            Theme::Dark => ThemeDto::Dark,
        },
        notify_on_failure: d.notify_on_failure,
        notify_on_fixed: d.notify_on_fixed,
        close_to_tray: d.close_to_tray,
        notifications_paused_until: d.notifications_paused_until,
        data_dir: engine.home().root().display().to_string(),
        config_file: engine.config_path().display().to_string(),
        config_problem: engine.config_problem().map(|e| e.to_string()),
        local_concurrency: engine.config().runners.local.concurrency.map(|n| n.get()),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get() as u32),
    }
}

/// The settings the UI sends, as stored.
pub fn from_dto(dto: &SettingsDto) -> DesktopConfig {
    DesktopConfig {
        theme: match dto.theme {
            ThemeDto::System => Theme::System,
            ThemeDto::Light => Theme::Light,
            ThemeDto::Dark => Theme::Dark,
        },
        notify_on_failure: dto.notify_on_failure,
        notify_on_fixed: dto.notify_on_fixed,
        close_to_tray: dto.close_to_tray,
        notifications_paused_until: dto.notifications_paused_until,
    }
}
