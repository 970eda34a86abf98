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
    /// Prometheus servers, by name (`switchyard sources add`).
    pub sources: IndexMap<String, SourceConfig>,
    /// Alert rules and how they are evaluated.
    pub alerts: AlertsConfig,
    /// Chat webhooks told about incidents (`switchyard webhooks add`).
    pub webhooks: IndexMap<String, WebhookConfig>,
    /// Custom dashboards, by name (the Metrics view and `switchyard dashboard`).
    pub dashboards: IndexMap<String, DashboardConfig>,
}

/// A dashboard: charts of PromQL queries shown together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DashboardConfig {
    /// Its title (default: its name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// The source (default: the default source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Values for `$name` in the queries, e.g. `{ app = "shop" }`.
    pub variables: IndexMap<String, String>,
    /// Its charts, top to bottom.
    pub panels: Vec<PanelConfig>,
}

/// One chart of a dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PanelConfig {
    /// Its title.
    pub title: String,
    /// PromQL (`$name` is replaced by the dashboard's variables).
    pub query: String,
    /// `si` (default), `percent`, `bytes` or `seconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Filled areas instead of lines.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub area: bool,
}

/// A chat webhook: Slack-compatible JSON (Slack, Mattermost, Rocket.Chat
/// take it). Its address holds a token, so it is in the OS keyring (scope
/// `webhook:<name>`), never in the file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookConfig {
    /// Also tell it when an incident resolves (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_resolved: Option<bool>,
}

/// `[alerts]`: how often rules are evaluated, how alerts group into
/// incidents, and the rules themselves (`[alerts.rules.<name>]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertsConfig {
    /// Seconds between evaluations in the desktop app (default 30).
    pub evaluate_every_secs: NonZeroU32,
    /// Firing alerts sharing app, target and environment labels that start
    /// within this many seconds of each other are one incident (default 300).
    pub group_window_secs: u32,
    /// The rules, by name.
    pub rules: IndexMap<String, AlertRuleConfig>,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            evaluate_every_secs: NonZeroU32::new(30).expect("not zero"),
            group_window_secs: 300,
            rules: IndexMap::new(),
        }
    }
}

impl Eq for AlertsConfig {}

/// One alert rule. Which keys apply depends on `kind` (see docs/monitoring.md).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertRuleConfig {
    /// PromQL; each series it returns is one alert.
    pub query: String,
    /// For `kind = "event"`: which of Switchyard's own events it watches
    /// (`run_failed_on_default_branch`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// The source (default: the default source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// `threshold`, `rate_of_change`, `anomaly`, `prediction` or `event`.
    pub kind: String,
    /// `above` or `below` (threshold, rate_of_change, prediction).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub op: Option<String>,
    /// The bound (threshold, prediction), or units per second (rate_of_change).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// How long the condition must hold before it fires, e.g. "2m" (default 0).
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// How much history each evaluation looks at, e.g. "30m" (default: 10
    /// minutes, and at least `for`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Deviations that count as an anomaly (default 3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sensitivity: Option<f64>,
    /// `mad` (default) or `ewma` (anomaly).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// How far ahead a prediction looks, e.g. "4h".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub horizon: Option<String>,
    /// `critical`, `warning` (default) or `info`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    /// Labels added to every alert of the rule (app, target, environment
    /// group alerts into incidents).
    pub labels: IndexMap<String, String>,
}

impl Eq for AlertRuleConfig {}

/// How a Prometheus source authenticates; the credential itself is in the OS
/// keyring (scope `source:<name>`), never in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceAuth {
    /// `Authorization: Bearer <token>`; the token is the keyring's `TOKEN`.
    Bearer,
    /// HTTP basic auth as `username`; the password is the keyring's `PASSWORD`.
    Basic,
}

/// One Prometheus server (or anything that answers its HTTP API: Thanos,
/// Mimir, VictoriaMetrics).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceConfig {
    /// Its base URL, e.g. `http://127.0.0.1:9090` (a path prefix is kept).
    pub url: String,
    /// The source used when none is named (at most one).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub default: bool,
    /// How it authenticates; none when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<SourceAuth>,
    /// The user name for `auth = "basic"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// A PEM file of CA certificates to trust instead of the system's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// Accept any certificate (a test server); never for production.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub insecure_skip_tls_verify: bool,
    /// Seconds to wait for an answer (default 10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<NonZeroU32>,
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
    /// The Prometheus source (`[sources.<name>]`) for this target's metrics
    /// (default: the default source).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<String>,
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

    /// The source of that name, else the default one, else the only one.
    pub fn source(&self, name: Option<&str>) -> Option<(&str, &SourceConfig)> {
        match name {
            Some(n) => self.sources.get_key_value(n).map(|(k, v)| (k.as_str(), v)),
            None => self
                .sources
                .iter()
                .find(|(_, s)| s.default)
                .or_else(|| (self.sources.len() == 1).then(|| self.sources.first()).flatten())
                .map(|(k, v)| (k.as_str(), v)),
        }
    }

    /// What serde cannot say: names that must be usable in `runner:` lines.
    fn check(&self, file: &Path, text: &str) -> Result<(), ConfigError> {
        let invalid = |key: &str, message: String| {
            let at = text.find(key);
            ConfigError::Invalid {
                file: file.to_path_buf(),
                pos: at.map(|i| pos_at(text, i)).unwrap_or(Pos { line: 1, column: 1 }),
                message,
            }
        };
        for (name, source) in &self.sources {
            if !valid_target_name(name) {
                return Err(invalid(
                    &format!("sources.{name}"),
                    format!(
                        "source name `{name}` can only use letters, digits, `-`, `_` and `.` (at most 63)"
                    ),
                ));
            }
            match url::Url::parse(&source.url) {
                Ok(u) if u.scheme() == "http" || u.scheme() == "https" => {}
                _ => {
                    return Err(invalid(
                        &format!("sources.{name}"),
                        format!(
                            "source `{name}` needs `url`, an http:// or https:// address such as \"http://127.0.0.1:9090\" (found {:?})",
                            source.url
                        ),
                    ));
                }
            }
            if source.auth == Some(SourceAuth::Basic) && source.username.is_none() {
                return Err(invalid(
                    &format!("sources.{name}"),
                    format!("source `{name}` has `auth = \"basic\"` but no `username`"),
                ));
            }
        }
        let defaults: Vec<&String> = self
            .sources
            .iter()
            .filter(|(_, s)| s.default)
            .map(|(n, _)| n)
            .collect();
        if defaults.len() > 1 {
            return Err(invalid(
                "default",
                format!(
                    "only one source can be the default; these say `default = true`: {}",
                    defaults.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        for (name, rule) in &self.alerts.rules {
            if !valid_target_name(name) {
                return Err(invalid(
                    &format!("rules.{name}"),
                    format!(
                        "alert rule name `{name}` can only use letters, digits, `-`, `_` and `.` (at most 63)"
                    ),
                ));
            }
            if let Err(why) = rule.rule(name) {
                return Err(invalid(
                    &format!("rules.{name}"),
                    format!("alert rule `{name}` {why}"),
                ));
            }
            if let Some(s) = &rule.source
                && !self.sources.contains_key(s)
            {
                return Err(invalid(
                    &format!("rules.{name}"),
                    format!("alert rule `{name}` names the source `{s}`, which is not in [sources]"),
                ));
            }
        }
        for (name, d) in &self.dashboards {
            if !valid_target_name(name) {
                return Err(invalid(
                    &format!("dashboards.{name}"),
                    format!(
                        "dashboard name `{name}` can only use letters, digits, `-`, `_` and `.` (at most 63)"
                    ),
                ));
            }
            if d.panels.is_empty() {
                return Err(invalid(
                    &format!("dashboards.{name}"),
                    format!(
                        "dashboard `{name}` has no panels; add [[dashboards.{name}.panels]] with `title` and `query`"
                    ),
                ));
            }
            for (i, p) in d.panels.iter().enumerate() {
                if p.query.trim().is_empty() {
                    return Err(invalid(
                        &format!("dashboards.{name}"),
                        format!("panel {} of dashboard `{name}` has no `query`", i + 1),
                    ));
                }
                if let Some(u) = &p.unit
                    && !["si", "percent", "bytes", "seconds"].contains(&u.as_str())
                {
                    return Err(invalid(
                        &format!("unit = \"{u}\""),
                        format!(
                            "panel {} of dashboard `{name}`: unit `{u}` is not si, percent, bytes or seconds",
                            i + 1
                        ),
                    ));
                }
            }
            if let Some(s) = &d.source
                && !self.sources.contains_key(s)
            {
                return Err(invalid(
                    &format!("dashboards.{name}"),
                    format!("dashboard `{name}` names the source `{s}`, which is not in [sources]"),
                ));
            }
        }
        for (name, target) in &self.targets {
            if let Some(p) = &target.prometheus
                && !self.sources.contains_key(p)
            {
                return Err(invalid(
                    &format!("prometheus = \"{p}\""),
                    format!("target `{name}` names the Prometheus source `{p}`, which is not in [sources]"),
                ));
            }
        }
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
    fn sources_need_a_url_one_default_and_targets_name_real_ones() {
        let c = parse(
            "[sources.a]\nurl = \"http://a:9090\"\n[sources.b]\nurl = \"https://b/prom\"\ndefault = true\n",
        )
        .unwrap();
        assert_eq!(c.source(None).map(|(n, _)| n), Some("b"));
        assert_eq!(c.source(Some("a")).map(|(n, _)| n), Some("a"));
        let only = parse("[sources.a]\nurl = \"http://a:9090\"\n").unwrap();
        assert_eq!(
            only.source(None).map(|(n, _)| n),
            Some("a"),
            "the only one is the default"
        );
        let e = parse("[sources.a]\nurl = \"a:9090\"\n").unwrap_err().to_string();
        assert!(e.starts_with("config.toml:1:") && e.contains("http://"), "{e}");
        let e = parse("[sources.a]\nurl = \"http://a\"\ndefault = true\n[sources.b]\nurl = \"http://b\"\ndefault = true\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("only one source can be the default") && e.contains("a, b"),
            "{e}"
        );
        let e = parse("[sources.a]\nurl = \"http://a\"\nauth = \"basic\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("no `username`"), "{e}");
        let e = parse("[targets.prod]\nprometheus = \"nope\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:2:") && e.contains("`nope`"), "{e}");
    }

    #[test]
    fn alert_rules_are_checked_where_they_are_written() {
        let c = parse("[alerts.rules.errors]\nquery = \"up\"\nkind = \"threshold\"\nop = \"below\"\nvalue = 1\nfor = \"2m\"\n").unwrap();
        let rule = c.alerts.rules["errors"].rule("errors").unwrap();
        assert_eq!(rule.for_ms, 120_000);
        assert_eq!(rule.window_ms, 600_000);
        let e = parse("[alerts.rules.x]\nquery = \"up\"\nkind = \"threshold\"\nvalue = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:1:") && e.contains("needs `op`"), "{e}");
        let e = parse("[alerts.rules.x]\nquery = \"up\"\nkind = \"anomaly\"\nfor = \"soon\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("`for = \"soon\"` is not a duration"), "{e}");
        let e =
            parse("[alerts.rules.x]\nquery = \"up\"\nkind = \"prediction\"\nop = \"above\"\nvalue = 90\n")
                .unwrap_err()
                .to_string();
        assert!(e.contains("needs `horizon`"), "{e}");
        let e = parse("[alerts.rules.x]\nquery = \"up\"\nkind = \"magic\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a rule kind"), "{e}");
        let e = parse("[alerts.rules.x]\nquery = \"up\"\nkind = \"anomaly\"\nsource = \"nope\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("the source `nope`"), "{e}");
    }

    #[test]
    fn dashboards_need_panels_with_queries_and_known_units() {
        let e = parse("[dashboards.shop]\n").unwrap_err().to_string();
        assert!(e.contains("has no panels"), "{e}");
        let e = parse("[[dashboards.shop.panels]]\ntitle = \"x\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("panel 1 of dashboard `shop` has no `query`"), "{e}");
        let e = parse("[[dashboards.shop.panels]]\nquery = \"up\"\nunit = \"furlongs\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("config.toml:3:") && e.contains("furlongs"), "{e}");
        let ok = parse("[dashboards.shop]\nvariables = { app = \"shop\" }\n[[dashboards.shop.panels]]\ntitle = \"r\"\nquery = \"up\"\n").unwrap();
        assert_eq!(ok.dashboards["shop"].panels.len(), 1);
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
