//! Where Switchyard keeps its data: the data dir and what is in it.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{EngineError, io_err};

/// Environment variable that overrides the data dir.
pub const HOME_ENV: &str = "SWITCHYARD_HOME";

/// Where Switchyard keeps its data.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
    /// Given explicitly (`SWITCHYARD_HOME`, tests) rather than the
    /// platform's default: then the config file lives in it too.
    explicit: bool,
}

impl Home {
    /// The data dir: `SWITCHYARD_HOME` if set, else the platform's data dir
    /// (`$XDG_DATA_HOME/switchyard` or `~/.local/share/switchyard` on Linux).
    pub fn from_env() -> Result<Home, EngineError> {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Home::at(PathBuf::from(dir)));
        }
        directories::ProjectDirs::from("dev", "switchyard", "switchyard")
            .map(|d| Home {
                root: d.data_dir().to_path_buf(),
                explicit: false,
            })
            .ok_or(EngineError::NoHome)
    }

    /// A data dir at an explicit path (its `config.toml` is in it too).
    pub fn at(root: PathBuf) -> Home {
        Home { root, explicit: true }
    }

    /// The config file: `SWITCHYARD_CONFIG` when set; in the data dir when
    /// that was given explicitly; else the platform's config dir.
    pub fn config_file(&self) -> Result<PathBuf, EngineError> {
        if let Some(p) = std::env::var_os(crate::config::CONFIG_ENV).filter(|v| !v.is_empty()) {
            return Ok(PathBuf::from(p));
        }
        if self.explicit {
            return Ok(self.root.join("config.toml"));
        }
        Ok(crate::config::default_path()?)
    }

    /// The data dir itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The history database.
    pub fn database(&self) -> PathBuf {
        self.root.join("switchyard.db")
    }

    /// The content-addressed artifact store.
    pub fn artifacts(&self) -> PathBuf {
        self.root.join("artifacts")
    }

    /// Per-run workspaces.
    pub fn workspaces(&self) -> PathBuf {
        self.root.join("workspaces")
    }

    /// Engine instance locks.
    pub fn locks(&self) -> PathBuf {
        self.root.join("locks")
    }

    /// This installation's id: 12 hex digits kept in the data dir (made on
    /// first use). Remote runners label what they create with it, so that
    /// two installations sharing a cluster never touch each other's work.
    pub fn instance_id(&self) -> Result<String, EngineError> {
        use sha2::Digest;
        let path = self.root.join("instance-id");
        if let Ok(text) = fs::read_to_string(&path) {
            let id = text.trim();
            if id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Ok(id.to_ascii_lowercase());
            }
        }
        fs::create_dir_all(&self.root).map_err(|source| EngineError::HomeUnusable {
            path: self.root.clone(),
            source,
        })?;
        let seed = format!(
            "{}:{}:{:?}",
            self.root.display(),
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)
        );
        let id = hex::encode(sha2::Sha256::digest(seed.as_bytes()))[..12].to_string();
        fs::write(&path, format!("{id}\n")).map_err(io_err(format!("cannot write {}", path.display())))?;
        Ok(id)
    }
}
