//! What crosses the IPC boundary besides the engine's own views
//! (`switchyard_engine::views`, which both front ends share): event
//! payloads, settings, deep links. Their TypeScript definitions are generated
//! into `ui/src/bindings/` (see [`crate::ipc`]). Field names are snake_case,
//! as in the views.

use serde::{Deserialize, Serialize};
use switchyard_engine::logs::LogLine;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};
use ts_rs::TS;

/// New lines of a job's log (event `switchyard://log/{job_id}`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct LogAppendDto {
    /// The run.
    #[ts(type = "number")]
    pub run_id: i64,
    /// The job.
    #[ts(type = "number")]
    pub job_id: i64,
    /// Lines in the log now (the last of `lines` has this number).
    #[ts(type = "number")]
    pub total: i64,
    /// The new lines, in order; for a flood only the last ones (read the
    /// rest with `read_log` if they are in view).
    pub lines: Vec<LogLine>,
}

/// A change in a run (event `switchyard://run/{id}`).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RunEventDto {
    /// The run's status changed.
    Run {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// Its status.
        status: RunStatus,
    },
    /// A job's status changed.
    Job {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// The job.
        #[ts(type = "number")]
        job_id: i64,
        /// The job's name.
        job: String,
        /// Its status.
        status: JobStatus,
        /// The attempt.
        attempt: u32,
        /// Why.
        reason: Option<String>,
    },
    /// A step's status changed.
    Step {
        /// The run.
        #[ts(type = "number")]
        run_id: i64,
        /// The job.
        #[ts(type = "number")]
        job_id: i64,
        /// The job's name.
        job: String,
        /// The attempt.
        attempt: u32,
        /// The step's position.
        step: u32,
        /// The step's name.
        name: String,
        /// Its status.
        status: StepStatus,
        /// Its exit code.
        exit_code: Option<i32>,
    },
}

/// A project was imported or changed, here or in another Switchyard
/// process (event `switchyard://projects`).
#[derive(Debug, Clone, Serialize, TS)]
pub struct ProjectsChangedDto {
    /// The project's name.
    pub name: String,
}

/// The colour scheme.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ThemeDto {
    /// Follow the desktop's.
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// App settings (the `[desktop]` table of config.toml, and where things are).
#[derive(Debug, Clone, Serialize, Deserialize, TS, PartialEq, Eq)]
pub struct SettingsDto {
    /// Colour scheme.
    pub theme: ThemeDto,
    /// Notify when a run fails.
    pub notify_on_failure: bool,
    /// Notify when a failing branch is fixed.
    pub notify_on_fixed: bool,
    /// Closing the window keeps Switchyard in the tray.
    pub close_to_tray: bool,
    /// Notifications are paused until then (Unix ms).
    #[ts(type = "number | null")]
    pub notifications_paused_until: Option<i64>,
    /// The data dir (read-only here; set SWITCHYARD_HOME to move it).
    pub data_dir: String,
    /// The config file these settings are kept in (read-only here).
    pub config_file: String,
    /// Why the config file on disk is not in force, when it is not (it was
    /// edited by hand into something invalid; the last good one applies).
    pub config_problem: Option<String>,
    /// Most local jobs at once over all runs (`runners.local.concurrency`);
    /// null: the number of CPUs. A run's own parallelism can only be lower.
    pub local_concurrency: Option<u32>,
    /// This machine's CPUs (the default of `local_concurrency`; read-only).
    pub cpus: u32,
}

/// First-run state.
#[derive(Debug, Clone, Serialize, TS)]
pub struct FirstRunDto {
    /// No project and no run yet.
    pub empty: bool,
    /// A demo project can be imported.
    pub demo_available: bool,
}

/// A link opened from outside (event `switchyard://deep-link`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DeepLinkDto {
    /// Open a run.
    Run {
        /// Run id.
        #[ts(type = "number")]
        id: i64,
    },
    /// Open a run on one job's log, at a line when given.
    RunJob {
        /// Run id.
        #[ts(type = "number")]
        id: i64,
        /// The job's name.
        job: String,
        /// 1-based log line.
        line: Option<u32>,
    },
    /// Open a project.
    Project {
        /// Project name.
        name: String,
    },
    /// Open an incident in the Alerts view (`switchyard://alerts/<id>`), or
    /// the view itself (`switchyard://alerts`).
    Incident {
        /// Incident id; none for the view.
        #[ts(type = "number | null")]
        id: Option<i64>,
    },
    /// Open a deployment (`switchyard://deployments/<id>`), or the
    /// Deployments view (`switchyard://deployments`). Never acts.
    Deployment {
        /// Deployment id; none for the view.
        #[ts(type = "number | null")]
        id: Option<i64>,
    },
    /// Offer to import a folder (asks first).
    Import {
        /// Folder.
        path: String,
    },
    /// A link Switchyard does not accept; shown, nothing else happens.
    Invalid {
        /// The link as received (shortened).
        url: String,
        /// Why it was refused.
        reason: String,
    },
}

/// Where to go (event `switchyard://navigate`, from the tray or a notification).
#[derive(Debug, Clone, Serialize, TS)]
pub struct NavigateDto {
    /// A route of the UI, e.g. `/runs/12`.
    pub route: String,
}

/// A Prometheus source as the Metrics view lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceDto {
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
    /// Whether it is the default.
    pub default: bool,
    /// `none`, `bearer` or `basic`.
    pub auth: String,
}

impl From<switchyard_monitoring::sources::SourceView> for SourceDto {
    fn from(v: switchyard_monitoring::sources::SourceView) -> Self {
        SourceDto {
            name: v.name,
            url: v.url,
            default: v.default,
            auth: v.auth,
        }
    }
}

/// A source's check.
#[derive(Debug, Clone, Serialize, TS)]
pub struct SourceCheckDto {
    /// The source.
    pub name: String,
    /// It answered as Prometheus does.
    pub ok: bool,
    /// Its version.
    pub version: Option<String>,
    /// How long the answer took.
    #[ts(type = "number | null")]
    pub latency_ms: Option<u64>,
    /// What is wrong, with what to do.
    pub problems: Vec<String>,
}

impl From<switchyard_monitoring::sources::SourceCheck> for SourceCheckDto {
    fn from(c: switchyard_monitoring::sources::SourceCheck) -> Self {
        SourceCheckDto {
            name: c.name,
            ok: c.ok,
            version: c.version,
            latency_ms: c.latency_ms,
            problems: c.problems,
        }
    }
}

/// What chart to draw (the Metrics view's query, range and size).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ChartRequestDto {
    /// The source; the default one when null.
    pub source: Option<String>,
    /// PromQL.
    pub query: String,
    /// How far back, in seconds.
    pub range_secs: u32,
    /// The step in seconds; chosen from the width when null.
    pub step_secs: Option<u32>,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// `si`, `percent`, `bytes` or `seconds`.
    pub unit: String,
    /// Filled areas instead of lines.
    pub area: bool,
}

/// One series of a chart, for the legend and the latest value.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ChartSeriesDto {
    /// Its legend name.
    pub name: String,
    /// Points held.
    pub points: u32,
    /// The newest value, written in the chart's unit.
    pub last: Option<String>,
}

/// A drawn chart.
#[derive(Debug, Clone, Serialize, TS)]
pub struct ChartDto {
    /// The chart as SVG (drawn by the engine; shown as an image).
    pub svg: String,
    /// The source that answered.
    pub source: String,
    /// The step in seconds.
    pub step_secs: u32,
    /// The series.
    pub series: Vec<ChartSeriesDto>,
    /// Points fetched by this poll (only the new steps after the first).
    pub fetched_points: u32,
}

/// Alerts changed (event `switchyard://alerts`): read `alerts_view` again.
#[derive(Debug, Clone, Serialize, TS)]
pub struct AlertsChangedDto {
    /// Incidents that opened with this change.
    #[ts(type = "Array<number>")]
    pub opened: Vec<i64>,
}

/// A dashboard as the Metrics view lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DashboardDto {
    /// Its name in config.toml.
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its panels' titles.
    pub panels: Vec<String>,
}

/// Which dashboard to draw: a custom one by `name`, or `app`'s default one
/// (in `target`'s namespace, else `namespace`, else `default`).
#[derive(Debug, Clone, Deserialize, TS)]
pub struct DashboardRequestDto {
    /// A custom dashboard.
    pub name: Option<String>,
    /// An app, for its default dashboard.
    pub app: Option<String>,
    /// The app's target.
    pub target: Option<String>,
    /// The app's namespace.
    pub namespace: Option<String>,
    /// How far back, in seconds.
    pub range_secs: u32,
    /// Each chart's width in pixels.
    pub width: u32,
}

/// One drawn panel of a dashboard.
#[derive(Debug, Clone, Serialize, TS)]
pub struct PanelChartDto {
    /// Its title.
    pub title: String,
    /// Its query (variables filled in).
    pub query: String,
    /// The chart as SVG.
    pub svg: String,
    /// How many series it has.
    pub series: u32,
    /// When its data was taken, if it comes from the last snapshot because
    /// the source cannot be read (Unix ms).
    #[ts(type = "number | null")]
    pub snapshot_taken_at: Option<i64>,
}

/// One deployment with what happened to it, for the Deployments view.
#[derive(Debug, Clone, Serialize, TS)]
pub struct DeploymentDetailDto {
    /// The deployment and its targets.
    pub deployment: switchyard_engine::deploy::DeploymentRecord,
    /// Every state change, weight and measurement, oldest first.
    pub events: Vec<switchyard_engine::deploy::DeploymentEvent>,
    /// Set while it waits for a person: the question.
    pub waiting: Option<String>,
    /// The project whose run made it.
    pub project: String,
}

/// A cluster target as the Targets view lists it.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TargetDto {
    /// Its name (`runner: kubernetes:<name>`, `deploy.targets`).
    pub name: String,
    /// Where its identity comes from (`kubeconfig`).
    pub cloud: String,
    /// The kubeconfig context.
    pub context: String,
    /// The kubeconfig file, when not the default one.
    pub kubeconfig: Option<String>,
    /// The namespace, when not the context's.
    pub namespace: Option<String>,
    /// Its environment label.
    pub environment: Option<String>,
}

impl From<switchyard_cloud::targets::TargetView> for TargetDto {
    fn from(v: switchyard_cloud::targets::TargetView) -> Self {
        TargetDto {
            name: v.name,
            cloud: v.cloud,
            context: v.context,
            kubeconfig: v.kubeconfig,
            namespace: v.namespace,
            environment: v.environment,
        }
    }
}

/// One target's check: credentials, the API server, the verbs allowed.
#[derive(Debug, Clone, Serialize, TS)]
pub struct TargetCheckDto {
    /// The target.
    pub name: String,
    /// Everything below is fine.
    pub ok: bool,
    /// The API server's version, when it answered.
    pub server_version: Option<String>,
    /// When the credential runs out, when it says.
    pub expires_at: Option<String>,
    /// What is wrong, each with what to do.
    pub problems: Vec<String>,
    /// `"<verb> <resource>"` and whether it is allowed, in check order.
    pub allowed: Vec<(String, bool)>,
}

impl From<switchyard_cloud::targets::TargetCheck> for TargetCheckDto {
    fn from(c: switchyard_cloud::targets::TargetCheck) -> Self {
        TargetCheckDto {
            name: c.name,
            ok: c.ok,
            server_version: c.server_version,
            expires_at: c.expires_at,
            problems: c.problems,
            allowed: c.allowed.into_iter().collect(),
        }
    }
}

/// A kubeconfig context a target can be made from.
#[derive(Debug, Clone, Serialize, TS)]
pub struct KubeContextDto {
    /// The context's name.
    pub name: String,
    /// Its cluster.
    pub cluster: String,
    /// The cluster's API server.
    pub server: Option<String>,
    /// Its namespace, when it sets one.
    pub namespace: Option<String>,
    /// The kubeconfig's current context.
    pub current: bool,
    /// The target already made from it.
    pub target: Option<String>,
}

impl From<switchyard_cloud::targets::ContextView> for KubeContextDto {
    fn from(c: switchyard_cloud::targets::ContextView) -> Self {
        KubeContextDto {
            name: c.name,
            cluster: c.cluster,
            server: c.server,
            namespace: c.namespace,
            current: c.current,
            target: c.target,
        }
    }
}
