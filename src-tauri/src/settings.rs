//! The desktop app's settings, kept in the `[desktop]` table of Switchyard's
//! `config.toml` so they can be edited by hand too.
//!
//! The file is `$SWITCHYARD_HOME/config.toml` when SWITCHYARD_HOME is set
//! (tests), else the platform's config dir (`~/.config/switchyard/config.toml`
//! on Linux). Other tables in the file are kept as they are when the app saves.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dto::SettingsDto;

/// Settings as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// `system`, `light` or `dark`.
    pub theme: String,
    /// Notify when a run fails.
    pub notify_on_failure: bool,
    /// Notify when a failing branch is fixed.
    pub notify_on_fixed: bool,
    /// Keep running in the tray when the window is closed.
    pub close_to_tray: bool,
    /// Notifications paused until (Unix ms).
    pub notifications_paused_until: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            theme: "system".into(),
            notify_on_failure: true,
            notify_on_fixed: true,
            close_to_tray: true,
            notifications_paused_until: None,
        }
    }
}

/// Why settings could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file could not be read or written.
    #[error("cannot access {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("{} is not valid: {reason}; fix or delete the [desktop] table", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What the TOML parser said.
        reason: String,
    },
}

/// The config file's path.
pub fn config_path() -> Option<PathBuf> {
    if let Some(home) = std::env::var_os(switchyard_engine::HOME_ENV).filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(home).join("config.toml"));
    }
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .map(|d| d.join("switchyard").join("config.toml"))
}

/// Reads the settings; a missing file or table gives the defaults.
pub fn load(path: &Path) -> Result<Settings, SettingsError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Settings::default()),
        Err(source) => {
            return Err(SettingsError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let invalid = |reason: String| SettingsError::Invalid {
        path: path.to_path_buf(),
        reason,
    };
    let doc: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| invalid(e.message().to_string()))?;
    match doc.get("desktop") {
        None => Ok(Settings::default()),
        Some(v) => v
            .clone()
            .try_into()
            .map_err(|e: toml::de::Error| invalid(e.message().to_string())),
    }
}

/// Writes the settings into the file's `[desktop]` table, keeping the rest,
/// atomically (a temporary file renamed into place).
pub fn save(path: &Path, settings: &Settings) -> Result<(), SettingsError> {
    let io = |source| SettingsError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut doc: toml::Table = match std::fs::read_to_string(path) {
        Ok(t) => t.parse().map_err(|e: toml::de::Error| SettingsError::Invalid {
            path: path.to_path_buf(),
            reason: e.message().to_string(),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => toml::Table::new(),
        Err(e) => return Err(io(e)),
    };
    let value = toml::Value::try_from(settings).map_err(|e| SettingsError::Invalid {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    doc.insert("desktop".into(), value);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(io)?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, toml::to_string_pretty(&doc).unwrap_or_default()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

impl Settings {
    /// For the UI.
    pub fn to_dto(&self, data_dir: &Path) -> SettingsDto {
        SettingsDto {
            theme: self.theme.clone(),
            notify_on_failure: self.notify_on_failure,
            notify_on_fixed: self.notify_on_fixed,
            close_to_tray: self.close_to_tray,
            notifications_paused_until: self.notifications_paused_until,
            data_dir: data_dir.display().to_string(),
        }
    }

    /// From the UI; refuses values it does not know.
    pub fn from_dto(dto: &SettingsDto) -> Result<Settings, String> {
        if !matches!(dto.theme.as_str(), "system" | "light" | "dark") {
            return Err(format!("theme `{}` is not one of system, light, dark", dto.theme));
        }
        Ok(Settings {
            theme: dto.theme.clone(),
            notify_on_failure: dto.notify_on_failure,
            notify_on_fixed: dto.notify_on_fixed,
            close_to_tray: dto.close_to_tray,
            notifications_paused_until: dto.notifications_paused_until,
        })
    }

    /// Whether notifications are paused at `now` (Unix ms).
    pub fn paused(&self, now: i64) -> bool {
        self.notifications_paused_until.is_some_and(|until| until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_keeps_other_tables_and_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[clusters.prod]\ncontext = \"prod-eks\"\n").unwrap();
        assert_eq!(load(&path).unwrap(), Settings::default());
        let s = Settings {
            theme: "dark".into(),
            close_to_tray: false,
            ..Settings::default()
        };
        save(&path, &s).unwrap();
        assert_eq!(load(&path).unwrap(), s);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("prod-eks"), "{text}");
    }

    #[test]
    fn a_broken_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[desktop]\ntheme = \"dark\"\nnoise = 1\n").unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.contains("config.toml is not valid") && e.contains("noise"),
            "{e}"
        );
        assert!(
            Settings::from_dto(&SettingsDto {
                theme: "purple".into(),
                notify_on_failure: true,
                notify_on_fixed: true,
                close_to_tray: true,
                notifications_paused_until: None,
                data_dir: String::new(),
            })
            .is_err()
        );
    }
}
