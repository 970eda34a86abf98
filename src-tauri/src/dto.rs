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
