//! Lifecycles of runs, jobs and steps. The database stores each state's name
//! (`as_str`), and the CLI's JSON uses the same names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ts", derive(ts_rs::TS))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every state, in lifecycle order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The state's name as stored and shown.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = UnknownStatus;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownStatus(other.to_string())),
                }
            }
        }
    };
}

/// A status name that no lifecycle knows (a newer database, or a typo in a filter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status `{0}`; expected one of queued, running, waiting, succeeded, failed, cancelled, skipped, timed_out, interrupted"
)]
pub struct UnknownStatus(pub String);

status_enum! {
    /// The lifecycle of a run: `Queued -> Running -> (Succeeded | Failed | Cancelled | Interrupted)`.
    RunStatus {
        /// Created; no job has started yet.
        Queued => "queued",
        /// At least one job is running or waiting for its turn.
        Running => "running",
        /// Every job that had to run succeeded.
        Succeeded => "succeeded",
        /// A job failed or timed out.
        Failed => "failed",
        /// Someone cancelled it.
        Cancelled => "cancelled",
        /// Switchyard stopped (crash, power loss) while it ran; found on the next start.
        Interrupted => "interrupted",
    }
}

status_enum! {
    /// The lifecycle of a job: `Queued -> Running -> (Succeeded | Failed | TimedOut | Cancelled | Interrupted)`,
    /// or `Queued -> Skipped` when its condition is not met; an approval job
    /// goes `Queued -> Waiting -> (Succeeded | Failed | TimedOut | Cancelled | Interrupted)`.
    JobStatus {
        /// Waiting for the jobs it needs, or for a free slot.
        Queued => "queued",
        /// An attempt is running.
        Running => "running",
        /// It waits for a person (an approval job).
        Waiting => "waiting",
        /// Every step exited 0.
        Succeeded => "succeeded",
        /// A step failed, or the job could not be started.
        Failed => "failed",
        /// Cancelled while queued or running.
        Cancelled => "cancelled",
        /// Not run: a job it needs failed (or, for `if: failure`, none did).
        Skipped => "skipped",
        /// The last attempt passed its `timeout`.
        TimedOut => "timed_out",
        /// Switchyard stopped while it ran.
        Interrupted => "interrupted",
    }
}

status_enum! {
    /// The lifecycle of a step: `Queued -> Running -> (Succeeded | Failed | TimedOut | Cancelled | Interrupted)`,
    /// or `Queued -> Skipped` when an earlier step failed.
    StepStatus {
        /// Not started yet.
        Queued => "queued",
        /// Its process runs.
        Running => "running",
        /// Exited 0.
        Succeeded => "succeeded",
        /// Exited non-zero, was killed by a signal, or could not start.
        Failed => "failed",
        /// Cancelled while running.
        Cancelled => "cancelled",
        /// Not run because an earlier step of the job failed.
        Skipped => "skipped",
        /// Passed its own or the job's timeout.
        TimedOut => "timed_out",
        /// Switchyard stopped while it ran.
        Interrupted => "interrupted",
    }
}

status_enum! {
    /// The lifecycle of a deployment: `Pending -> Progressing -> (Succeeded | Failed | RolledBack | Cancelled)`,
    /// or `DryRun` when only the diff was computed.
    DeploymentStatus {
        /// Recorded; nothing applied yet.
        Pending => "pending",
        /// Objects are being applied and rolled out, wave after wave.
        Progressing => "progressing",
        /// Every target rolled out and became ready.
        Succeeded => "succeeded",
        /// A target failed and could not be put back (or putting it back
        /// failed too): its reason says what to do.
        Failed => "failed",
        /// A target failed and was put back on its previous version.
        RolledBack => "rolled_back",
        /// Stopped by the user (the run was cancelled).
        Cancelled => "cancelled",
        /// Only the diff was computed (`--dry-run`); nothing was applied.
        DryRun => "dry_run",
    }
}

status_enum! {
    /// The lifecycle of one target of a deployment: `Pending -> Progressing ->
    /// (Succeeded | Failed | RolledBack | Cancelled)`, or `Pending -> Skipped`.
    TargetStatus {
        /// Its wave has not started.
        Pending => "pending",
        /// Applying, and waiting for the rollout.
        Progressing => "progressing",
        /// Rolled out; every pod of the new version is ready.
        Succeeded => "succeeded",
        /// Failed; the previous version could not be restored.
        Failed => "failed",
        /// Failed, and the previous version was restored.
        RolledBack => "rolled_back",
        /// Never started: an earlier wave failed, or the run was cancelled.
        Skipped => "skipped",
        /// Stopped by the user while it rolled out.
        Cancelled => "cancelled",
        /// The diff was computed; nothing was applied.
        DryRun => "dry_run",
    }
}

impl DeploymentStatus {
    /// Whether the deployment has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, DeploymentStatus::Pending | DeploymentStatus::Progressing)
    }
}

impl RunStatus {
    /// Whether the run has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

impl JobStatus {
    /// Whether the job has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, JobStatus::Queued | JobStatus::Running | JobStatus::Waiting)
    }

    /// Whether the job counts as a failure for the run and for `if: failure`.
    pub fn is_failure(self) -> bool {
        matches!(
            self,
            JobStatus::Failed | JobStatus::TimedOut | JobStatus::Interrupted
        )
    }
}

impl StepStatus {
    /// Whether the step has ended.
    pub fn is_terminal(self) -> bool {
        !matches!(self, StepStatus::Queued | StepStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for s in JobStatus::ALL {
            assert_eq!(s.as_str().parse::<JobStatus>().unwrap(), *s);
            assert_eq!(serde_json::to_string(s).unwrap(), format!("\"{}\"", s.as_str()));
        }
        for s in RunStatus::ALL {
            assert_eq!(s.as_str().parse::<RunStatus>().unwrap(), *s);
        }
        for s in StepStatus::ALL {
            assert_eq!(s.as_str().parse::<StepStatus>().unwrap(), *s);
        }
    }
}
