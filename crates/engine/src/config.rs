//! Switchyard's settings: one typed `config.toml`, read and written by both
//! front ends, validated with line and column, and picked up while running.
//!
//! The file is `$SWITCHYARD_CONFIG` when set, else `$SWITCHYARD_HOME/config.toml`
//! when `SWITCHYARD_HOME` is set, else the platform's config dir
//! (`$XDG_CONFIG_HOME/switchyard/config.toml`, `~/.config/switchyard/config.toml`
//! on Linux). A missing file means the defaults. Tables:
//!
//! ```toml
//! [desktop]                      # the desktop app
//! theme = "system"               # system | light | dark
//! notify_on_failure = true
//! notify_on_fixed = true
//! close_to_tray = true
//!
//! [projects]
//! default_branches = ["main", "master"]   # a failing run on one of these needs attention
//!
//! [runners.local]
//! concurrency = 4                # most local jobs at once (default: the number of CPUs)
//!
//! [runners.kubernetes]
//! concurrency = 32               # most pods at once per target, unless the target says
//!
//! [targets.staging]              # runner: kubernetes:staging
//! context = "kind-staging"       # kubeconfig context (default: the target's name)
//! concurrency = 64
//! image = "alpine:3.20"          # for jobs without `image:`
//! ```
//!
//! [`ConfigFile`] holds the current configuration and, when asked
//! ([`ConfigFile::reload_if_changed`]; the engine asks every second), notices
//! that the file changed (its modification time and size) and loads it again; a file that
//! became invalid keeps the last good configuration in force and reports the
//! problem. Writes go through [`ConfigFile::edit`], which keeps comments and
//! layout (toml_edit), refuses an edit whose result would not load, and
//! replaces the file atomically.

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};

use crate::pipeline::Pos;

/// Environment variable naming the config file.
pub const CONFIG_ENV: &str = "SWITCHYARD_CONFIG";

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The desktop app.
    pub desktop: DesktopConfig,
    /// How projects are judged.
    pub projects: ProjectsConfig,
    /// Limits and defaults per kind of runner.
    pub runners: RunnersConfig,
    /// Named cluster targets (`runner: kubernetes:<name>`).
    pub targets: IndexMap<String, TargetConfig>,
}

/// The desktop app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DesktopConfig {
    /// Colour scheme.
    pub theme: Theme,
    /// Notify when a run fails.
    pub notify_on_failure: bool,
    /// Notify when a failing branch is fixed.
    pub notify_on_fixed: bool,
    /// Keep running in the tray when the window is closed.
    pub close_to_tray: bool,
    /// Notifications are paused until then (Unix ms).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notifications_paused_until: Option<i64>,
}

impl Default for DesktopConfig {
    fn default() -> Self {
        DesktopConfig {
            theme: Theme::System,
            notify_on_failure: true,
            notify_on_fixed: true,
            close_to_tray: true,
            notifications_paused_until: None,
        }
    }
}

impl DesktopConfig {
    /// Whether notifications are paused at `now` (Unix ms).
    pub fn paused(&self, now: i64) -> bool {
        self.notifications_paused_until.is_some_and(|until| until > now)
    }
}

/// The desktop app's colour scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the desktop's.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

impl Theme {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::System => "system",
            Theme::Light => "light",
            Theme::Dark => "dark",
        }
    }
}

/// How projects are judged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProjectsConfig {
    /// Branches whose latest run, when it did not succeed, makes a project
    /// need attention (the Overview, the tray).
    pub default_branches: Vec<String>,
}

impl Default for ProjectsConfig {
    fn default() -> Self {
        ProjectsConfig {
            default_branches: vec!["main".into(), "master".into()],
        }
    }
}

/// Limits and defaults per kind of runner.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunnersConfig {
    /// The local runner.
    pub local: LocalRunnerConfig,
    /// Kubernetes targets that do not say otherwise.
    pub kubernetes: KubernetesRunnerConfig,
}

/// The local runner.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocalRunnerConfig {
    /// Most local jobs at once, over all runs (default: the number of CPUs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<NonZeroU32>,
}

/// Kubernetes targets that do not say otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KubernetesRunnerConfig {
    /// Most pods at once per target, over all runs.
    pub concurrency: NonZeroU32,
}

/// Pods at once per Kubernetes target when nothing says otherwise.
pub const DEFAULT_KUBERNETES_CONCURRENCY: u32 = 32;

impl Default for KubernetesRunnerConfig {
    fn default() -> Self {
        KubernetesRunnerConfig {
            concurrency: NonZeroU32::new(DEFAULT_KUBERNETES_CONCURRENCY).expect("not zero"),
        }
    }
}

/// One named cluster target.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TargetConfig {
    /// The kubeconfig context (default: the target's name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// Most pods at once on this target (default: `runners.kubernetes.concurrency`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<NonZeroU32>,
    /// Image for jobs that name none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The kubeconfig file holding the context (default: `KUBECONFIG`, else
    /// `~/.kube/config`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<std::path::PathBuf>,
    /// The namespace jobs (and deployments) use (default: the context's,
    /// else `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// An environment label: `production`, `staging`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
}

impl Config {
    /// Most jobs at once on the local runner.
    pub fn local_concurrency(&self) -> usize {
        self.runners
            .local
            .concurrency
            .map(|n| n.get() as usize)
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(2)
    }

    /// Most pods at once on a Kubernetes target.
    pub fn kubernetes_concurrency(&self, target: &str) -> usize {
        self.targets
            .get(target)
            .and_then(|t| t.concurrency)
            .unwrap_or(self.runners.kubernetes.concurrency)
            .get() as usize
    }

    /// Parses a config file's text; `file` names it in errors.
    pub fn parse(file: &Path, text: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let pos = e
                .span()
                .map(|s| pos_at(text, s.start))
                .unwrap_or(Pos { line: 1, column: 1 });
            ConfigError::Invalid {
                file: file.to_path_buf(),
                pos,
                message: e.message().trim().to_string(),
            }
        })?;
        config.check(file, text)?;
        Ok(config)
    }

    /// What serde cannot say: names that must be usable in `runner:` lines.
    fn check(&self, file: &Path, text: &str) -> Result<(), ConfigError> {
        for name in self.targets.keys() {
            if !valid_target_name(name) {
                let at = text
                    .find(&format!("targets.{name}"))
                    .or_else(|| text.find(name.as_str()));
                return Err(ConfigError::Invalid {
                    file: file.to_path_buf(),
                    pos: at.map(|i| pos_at(text, i)).unwrap_or(Pos { line: 1, column: 1 }),
                    message: format!(
                        "target name `{name}` can only use letters, digits, `-`, `_` and `.` (at most 63), as it is written in `runner: kubernetes:<name>`"
                    ),
                });
            }
        }
        Ok(())
    }
}

/// The 1-based line and column (in characters) of a byte offset.
fn pos_at(text: &str, offset: usize) -> Pos {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Pos { line, column }
}

/// Why the configuration could not be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid.
    #[error("{}:{}:{}: {message}; fix the file or remove the key to use its default", file.display(), pos.line, pos.column)]
    Invalid {
        /// The file.
        file: PathBuf,
        /// Where in it.
        pos: Pos,
        /// What is wrong.
        message: String,
    },
    /// The file could not be read or written.
    #[error("cannot {what} {}: {reason}", file.display())]
    Io {
        /// `read` or `write`.
        what: &'static str,
        /// The file.
        file: PathBuf,
        /// What the OS said.
        reason: String,
    },
    /// No config location could be found.
    #[error("cannot find a place for config.toml; set SWITCHYARD_CONFIG to a file path")]
    NoLocation,
}

/// The platform's config file: `$SWITCHYARD_CONFIG` when set, else
/// `config.toml` in the platform's config dir. (`crate::Home::config_file`
/// puts it in an explicitly given data dir first.)
pub fn default_path() -> Result<PathBuf, ConfigError> {
    if let Some(p) = std::env::var_os(CONFIG_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    directories::ProjectDirs::from("dev", "switchyard", "switchyard")
        .map(|d| d.config_dir().join("config.toml"))
        .ok_or(ConfigError::NoLocation)
}

/// What identifies one version of the file on disk.
type Stamp = Option<(SystemTime, u64)>;

fn stamp(path: &Path) -> Stamp {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

/// The configuration in force, reloaded when the file changes.
pub struct ConfigFile {
    path: PathBuf,
    state: Mutex<State>,
}

struct State {
    stamp: Stamp,
    config: Arc<Config>,
    /// Why the file on disk is not in force (the last good one is).
    problem: Option<ConfigError>,
}

impl ConfigFile {
    /// Loads the file at `path` (the defaults when it does not exist). An
    /// invalid file is an error here, at start: it is better said at once.
    pub fn open(path: PathBuf) -> Result<ConfigFile, ConfigError> {
        let stamp = stamp(&path);
        let config = load(&path)?;
        Ok(ConfigFile {
            path,
            state: Mutex::new(State {
                stamp,
                config: Arc::new(config),
                problem: None,
            }),
        })
    }

    /// Loads the file at `path`; when it is not valid, starts on the
    /// defaults with the problem reported by [`problem`](Self::problem)
    /// (for the desktop app, which shows it rather than not starting).
    pub fn open_lenient(path: PathBuf) -> ConfigFile {
        let stamp = stamp(&path);
        let (config, problem) = match load(&path) {
            Ok(c) => (c, None),
            Err(e) => {
                tracing::warn!(error = %e, "the configuration is not valid; using the defaults");
                (Config::default(), Some(e))
            }
        };
        ConfigFile {
            path,
            state: Mutex::new(State {
                stamp,
                config: Arc::new(config),
                problem,
            }),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The configuration in force. It does not look at the file: whoever
    /// holds the `ConfigFile` calls [`reload_if_changed`](Self::reload_if_changed)
    /// to pick up edits (the engine does every second), so this is cheap
    /// enough for hot paths such as the runner limits.
    pub fn current(&self) -> Arc<Config> {
        self.lock().config.clone()
    }

    /// Why the file on disk is not in force, when it is not.
    pub fn problem(&self) -> Option<ConfigError> {
        self.lock().problem.clone()
    }

    /// Loads the file again if it changed since it was last read. Returns
    /// true when the configuration in force (or its problem) changed.
    pub fn reload_if_changed(&self) -> bool {
        let now = stamp(&self.path);
        let mut state = self.lock();
        if now == state.stamp {
            return false;
        }
        state.stamp = now;
        match load(&self.path) {
            Ok(config) => {
                let changed = *state.config != config || state.problem.is_some();
                state.config = Arc::new(config);
                state.problem = None;
                if changed {
                    tracing::info!(file = %self.path.display(), "configuration reloaded");
                }
                changed
            }
            Err(e) => {
                tracing::warn!(error = %e, "the changed configuration is not valid; keeping the last good one");
                let changed = state.problem.as_ref() != Some(&e);
                state.problem = Some(e);
                changed
            }
        }
    }

    /// Changes the file: `edit` works on the document as written (comments
    /// and layout kept). The result must load, or nothing is written.
    /// Returns the configuration now in force.
    pub fn edit(&self, edit: impl FnOnce(&mut toml_edit::DocumentMut)) -> Result<Arc<Config>, ConfigError> {
        let io = |what, e: std::io::Error| ConfigError::Io {
            what,
            file: self.path.clone(),
            reason: e.to_string(),
        };
        // One writer at a time in this process; the rename keeps readers
        // (and other processes) from ever seeing half a file.
        let mut state = self.lock();
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(io("read", e)),
        };
        let mut doc: toml_edit::DocumentMut =
            text.parse()
                .map_err(|e: toml_edit::TomlError| ConfigError::Invalid {
                    file: self.path.clone(),
                    pos: e
                        .span()
                        .map(|s| pos_at(&text, s.start))
                        .unwrap_or(Pos { line: 1, column: 1 }),
                    message: e.message().trim().to_string(),
                })?;
        edit(&mut doc);
        let new_text = doc.to_string();
        let config = Config::parse(&self.path, &new_text)?;
        let dir = self.path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| io("write", e))?;
        let tmp = self.path.with_extension("toml.tmp");
        std::fs::write(&tmp, new_text).map_err(|e| io("write", e))?;
        std::fs::rename(&tmp, &self.path).map_err(|e| io("write", e))?;
        state.stamp = stamp(&self.path);
        state.config = Arc::new(config);
        state.problem = None;
        Ok(state.config.clone())
    }
}

fn load(path: &Path) -> Result<Config, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Config::parse(path, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(ConfigError::Io {
            what: "read",
            file: path.to_path_buf(),
            reason: e.to_string(),
        }),
    }
}

/// Whether a target name can be written in `runner: kubernetes:<name>`:
/// letters, digits, `-`, `_` and `.`, at most 63.
pub fn valid_target_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Sets `table.key = value` in a document, creating the table as needed.
pub fn set_value(doc: &mut toml_edit::DocumentMut, path: &[&str], value: toml_edit::Value) {
    let Some((key, tables)) = path.split_last() else {
        return;
    };
    let mut item = doc.as_item_mut();
    for t in tables {
        if item.get(t).is_none() {
            item[t] = toml_edit::table();
        }
        item = &mut item[t];
    }
    item[key] = toml_edit::value(value);
}

/// Removes `table.key` from a document, if it is there.
pub fn remove_value(doc: &mut toml_edit::DocumentMut, path: &[&str]) {
    let Some((key, tables)) = path.split_last() else {
        return;
    };
    let mut item = doc.as_item_mut();
    for t in tables {
        match item.get_mut(t) {
            Some(next) => item = next,
            None => return,
        }
    }
    if let Some(table) = item.as_table_like_mut() {
        table.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("config.toml"), text)
    }

    #[test]
    fn a_missing_table_means_its_defaults() {
        let c = parse("[desktop]\ntheme = \"dark\"\n").unwrap();
        assert_eq!(c.desktop.theme, Theme::Dark);
        assert!(c.desktop.notify_on_failure);
        assert_eq!(c.projects.default_branches, ["main", "master"]);
        assert_eq!(c.kubernetes_concurrency("any"), 32);
    }

    #[test]
    fn problems_point_at_line_and_column() {
        let e = parse("[desktop]\ntheme = \"dark\"\nthme = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:3:1: unknown field `thme`"), "{e}");
        let e = parse("[desktop]\ntheme = \"purple\"\n").unwrap_err().to_string();
        assert!(e.starts_with("config.toml:2:9:") && e.contains("purple"), "{e}");
        let e = parse("[runners.local]\nconcurrency = 0\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:2:15:"), "{e}");
        let e = parse("[targets.\"bad name\"]\n").unwrap_err().to_string();
        assert!(e.starts_with("config.toml:1:") && e.contains("bad name"), "{e}");
        let e = parse("[desktop\n").unwrap_err().to_string();
        assert!(e.starts_with("config.toml:1:"), "{e}");
    }

    #[test]
    fn per_target_concurrency_overrides_the_default() {
        let c = parse(
            "[runners.kubernetes]\nconcurrency = 8\n[runners.local]\nconcurrency = 3\n[targets.big]\nconcurrency = 100\n[targets.small]\n",
        )
        .unwrap();
        assert_eq!(c.kubernetes_concurrency("big"), 100);
        assert_eq!(c.kubernetes_concurrency("small"), 8);
        assert_eq!(c.kubernetes_concurrency("unlisted"), 8);
        assert_eq!(c.local_concurrency(), 3);
    }

    #[test]
    fn edits_keep_comments_and_refuse_what_would_not_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# my clusters\n[targets.prod]\ncontext = \"prod-eks\" # the real one\n",
        )
        .unwrap();
        let file = ConfigFile::open(path.clone()).unwrap();
        file.edit(|doc| set_value(doc, &["desktop", "theme"], "dark".into()))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("# my clusters") && text.contains("# the real one"),
            "{text}"
        );
        assert_eq!(file.current().desktop.theme, Theme::Dark);
        let e = file
            .edit(|doc| set_value(doc, &["desktop", "theme"], "purple".into()))
            .unwrap_err();
        assert!(e.to_string().contains("purple"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            text,
            "a refused edit changed the file"
        );
    }

    #[test]
    fn changes_by_hand_are_picked_up_and_a_broken_file_keeps_the_last_good() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        let file = ConfigFile::open(path.clone()).unwrap();
        assert_eq!(file.current().desktop.theme, Theme::System);
        std::fs::write(&path, "[desktop]\ntheme = \"light\"\n").unwrap();
        assert!(file.reload_if_changed());
        assert_eq!(file.current().desktop.theme, Theme::Light);
        std::fs::write(&path, "[desktop]\ntheme = \"light\"\nbroken = \n").unwrap();
        assert!(file.reload_if_changed());
        assert_eq!(file.current().desktop.theme, Theme::Light);
        let problem = file.problem().unwrap().to_string();
        assert!(problem.contains("config.toml:3:"), "{problem}");
    }
}
