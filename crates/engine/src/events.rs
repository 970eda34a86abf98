//! What the engine announces while it works.
//!
//! Front ends subscribe to the [`EventBus`] (the CLI's progress display, the
//! desktop app) instead of polling the history. Events are a typed enum,
//! published only after the change they announce is committed to the
//! history, and also for changes other Switchyard processes make (a run the
//! CLI started shows live in the desktop app; see [`crate::store::journal`]).
//! A slow subscriber that falls behind gets a `Lagged` notice from the
//! channel and can re-read the history, since every event is also written there.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::lines::LogChunk;
use crate::status::{JobStatus, RunStatus, StepStatus};

/// One thing that happened.
#[derive(Debug, Clone)]
pub enum Event {
    /// A run changed state.
    Run {
        /// The run.
        run_id: i64,
        /// Its project's name.
        project: Arc<str>,
        /// The new state.
        status: RunStatus,
    },
    /// A job changed state.
    Job {
        /// The run.
        run_id: i64,
        /// The job.
        job_id: i64,
        /// The job's name.
        job: Arc<str>,
        /// The new state.
        status: JobStatus,
        /// The attempt (1-based).
        attempt: u32,
        /// Why, for failures, skips, cancellations and retries.
        reason: Option<String>,
    },
    /// A step changed state.
    Step {
        /// The run.
        run_id: i64,
        /// The job.
        job_id: i64,
        /// The job's name.
        job: Arc<str>,
        /// The attempt (1-based).
        attempt: u32,
        /// The step's position (0-based).
        step: u32,
        /// The step's name.
        name: Arc<str>,
        /// The new state.
        status: StepStatus,
        /// Exit code, once it exited.
        exit_code: Option<i32>,
    },
    /// A chunk of a job's log was written.
    Log {
        /// The run.
        run_id: i64,
        /// The job.
        job_id: i64,
        /// The job's name.
        job: Arc<str>,
        /// The lines (see [`crate::logs::decode`]).
        chunk: Arc<LogChunk>,
    },
    /// Someone asked (possibly from another process) to cancel a run.
    CancelRequested {
        /// The run.
        run_id: i64,
    },
    /// Someone approved or rejected a waiting approval job (possibly in
    /// another process); the decision is in the history.
    Decided {
        /// The run.
        run_id: i64,
        /// The job.
        job_id: i64,
    },
    /// A project was imported or changed.
    Project {
        /// Its name.
        name: Arc<str>,
    },
    /// The configuration in force changed (the file was edited, by hand or
    /// by a front end), or the file became invalid (the last good
    /// configuration stays in force; [`crate::Engine::config_problem`] says why).
    ConfigChanged,
    /// Alerts changed state (an evaluation, possibly in another process);
    /// `opened` lists incidents that started firing.
    Alerts {
        /// Incidents that opened with this change.
        opened: Vec<i64>,
    },
}

impl Event {
    /// The run the event belongs to, when it belongs to one.
    pub fn run_id(&self) -> Option<i64> {
        match self {
            Event::Run { run_id, .. }
            | Event::Job { run_id, .. }
            | Event::Step { run_id, .. }
            | Event::Log { run_id, .. }
            | Event::CancelRequested { run_id }
            | Event::Decided { run_id, .. } => Some(*run_id),
            Event::Project { .. } | Event::ConfigChanged | Event::Alerts { .. } => None,
        }
    }
}

/// Broadcasts events to every subscriber. Cheap to clone.
#[derive(Clone)]
pub struct EventBus {
    tx: broadcast::Sender<Event>,
}

impl Default for EventBus {
    fn default() -> Self {
        Self::new()
    }
}

impl EventBus {
    /// A bus that buffers up to 4096 events per slow subscriber.
    pub fn new() -> EventBus {
        let (tx, _) = broadcast::channel(4096);
        EventBus { tx }
    }

    /// Subscribes to everything published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.tx.subscribe()
    }

    /// Publishes an event; having no subscribers is fine.
    pub fn publish(&self, event: Event) {
        let _ = self.tx.send(event);
    }
}
