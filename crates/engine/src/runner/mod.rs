//! Where a job's steps run.
//!
//! A [`Runner`] is small and keyed by ids, after Woodpecker's backend
//! interface: [`prepare`](Runner::prepare) a job, then for each step
//! [`start`](Runner::start) it, take its [`logs`](Runner::logs) and
//! [`wait`](Runner::wait) for its outcome; [`cancel`](Runner::cancel) stops
//! whatever runs for a job, [`collect`](Runner::collect) copies files back
//! for artifacts and reports, and [`cleanup`](Runner::cleanup) always runs
//! last, even after a cancellation. Per-step state lives in the runner's maps
//! keyed by [`StepKey`], never in shared fields.
//!
//! A step that exits non-zero is data ([`StepOutcome`]), not an `Err`; `Err`
//! means the runner itself could not do its work. The engine implements the
//! local runner; `switchyard-cloud` implements the Kubernetes one.

pub mod limits;
pub mod local;
mod process;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use secrecy::SecretString;
use tokio::sync::mpsc;

use crate::pipeline::{PodOptions, RunnerRef};
use crate::workspace::WorkspaceSource;

/// Identifies one job of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct JobKey {
    /// The run.
    pub run_id: i64,
    /// The job (unique across runs).
    pub job_id: i64,
}

/// Identifies one step of one attempt of a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StepKey {
    /// The job.
    pub job: JobKey,
    /// The attempt (1-based).
    pub attempt: u32,
    /// The step's position (0-based).
    pub idx: u32,
}

/// Everything a runner needs to know about a job.
#[derive(Debug, Clone)]
pub struct JobContext {
    /// Which job.
    pub key: JobKey,
    /// The attempt (1-based).
    pub attempt: u32,
    /// The project's id.
    pub project_id: i64,
    /// The project's name.
    pub project: String,
    /// The job's name.
    pub job: String,
    /// The run's workspace on this machine (the project's files for this run).
    pub workspace: PathBuf,
    /// The commit the workspace was taken from, when known.
    pub commit: Option<String>,
    /// The project's git remote, when it has one.
    pub remote: Option<String>,
    /// Where a remote runner gets the files from: [`workspace`](Self::workspace)
    /// streamed as a tar, or [`remote`](Self::remote) at [`commit`](Self::commit).
    pub source: WorkspaceSource,
    /// Container image, for runners that use one.
    pub image: Option<String>,
    /// Pod placement and sizing, for the Kubernetes runner.
    pub pod: PodOptions,
    /// Job environment (pipeline, job and matrix variables).
    pub env: Vec<(String, String)>,
    /// Secret values, exposed to steps as environment variables.
    pub secrets: Vec<(String, SecretString)>,
    /// Start directory of steps, relative to the workspace.
    pub working_dir: Option<String>,
    /// Where the runner says, while it prepares the job, what it is waiting
    /// for (a Pending pod's reason, say); each note becomes a line of the
    /// job's log. Bounded: send with `try_send`; a note that does not fit is
    /// dropped, as progress lines can be.
    pub notes: Option<mpsc::Sender<String>>,
}

/// One step to run.
#[derive(Debug, Clone)]
pub struct StepSpec {
    /// Display name.
    pub name: String,
    /// Shell script for `sh -c`.
    pub script: String,
    /// Step-only environment (added to the job's).
    pub env: Vec<(String, String)>,
    /// Start directory relative to the workspace (overrides the job's).
    pub working_dir: Option<String>,
}

/// Which output stream a piece of output came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A piece of a step's output, as read (not split into lines).
#[derive(Debug, Clone)]
pub struct Output {
    /// The stream.
    pub kind: OutputKind,
    /// The bytes.
    pub data: Vec<u8>,
}

/// How a step's process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepOutcome {
    /// Exit code, when it exited by itself.
    pub exit_code: Option<i32>,
    /// Signal that killed it, when one did.
    pub signal: Option<i32>,
}

impl StepOutcome {
    /// Exited with code 0.
    pub fn success(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// Where a restarted engine resumes a step's output: how many lines of each
/// stream the job's log already holds for it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LogPosition {
    /// Lines of standard output already stored.
    pub stdout_lines: u64,
    /// Lines of standard error already stored.
    pub stderr_lines: u64,
}

/// A file copied back from where the job ran.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollectedFile {
    /// Path relative to the workspace, `/`-separated.
    pub rel: String,
    /// Where the copy is on this machine.
    pub path: PathBuf,
}

/// Whether trying the same thing again may succeed. Decided where an error
/// is raised, by what failed (a dropped connection or a 503 may pass; a 401,
/// a 403, an invalid image name or a bad spec will not), never by its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// It may work later: a job's `retry:` tries again.
    Transient,
    /// It will fail the same way: the job fails at once with the reason.
    Permanent,
}

/// Why a runner could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    /// No runner of that kind exists in this build or configuration.
    #[error("runner `{runner}` is not available: {reason}")]
    Unavailable {
        /// The runner as named in the pipeline.
        runner: String,
        /// Why, and what to do.
        reason: String,
    },
    /// The job's environment could not be set up.
    #[error("could not prepare the job: {reason}")]
    PrepareFailed {
        /// What went wrong, and what to do.
        reason: String,
        /// Whether another attempt may help.
        retry: Retry,
    },
    /// A step's process could not be started.
    #[error("could not start the step: {reason}")]
    StartFailed {
        /// What went wrong.
        reason: String,
        /// The OS error, if there was one.
        #[source]
        source: Option<std::io::Error>,
        /// Whether another attempt may help.
        retry: Retry,
    },
    /// A step was asked about that was never started (an engine bug).
    #[error("the runner knows no step {0:?}")]
    UnknownStep(StepKey),
    /// Files could not be copied back.
    #[error("could not collect files: {0}")]
    CollectFailed(String),
    /// Anything else; worth another attempt.
    #[error("{0}")]
    Other(String),
}

impl RunnerError {
    /// A preparation that failed for a reason that may pass.
    pub fn prepare_transient(reason: impl Into<String>) -> RunnerError {
        RunnerError::PrepareFailed {
            reason: reason.into(),
            retry: Retry::Transient,
        }
    }

    /// A preparation that failed for a reason that will not pass by itself.
    pub fn prepare_permanent(reason: impl Into<String>) -> RunnerError {
        RunnerError::PrepareFailed {
            reason: reason.into(),
            retry: Retry::Permanent,
        }
    }

    /// Whether another attempt at the job may succeed.
    pub fn retry(&self) -> Retry {
        match self {
            RunnerError::Unavailable { .. } | RunnerError::UnknownStep(_) => Retry::Permanent,
            RunnerError::PrepareFailed { retry, .. } => *retry,
            RunnerError::StartFailed { retry, .. } => *retry,
            RunnerError::CollectFailed(_) | RunnerError::Other(_) => Retry::Transient,
        }
    }
}

/// Runs the steps of jobs somewhere.
#[async_trait]
pub trait Runner: Send + Sync {
    /// Sets up what the job needs before its first step.
    async fn prepare(&self, job: &JobContext) -> Result<(), RunnerError>;

    /// Starts a step of a prepared job.
    async fn start(&self, step: StepKey, spec: &StepSpec) -> Result<(), RunnerError>;

    /// Takes the step's output stream. It ends when the step's output ends.
    async fn logs(&self, step: StepKey) -> Result<mpsc::Receiver<Output>, RunnerError>;

    /// Waits for the step to end.
    async fn wait(&self, step: StepKey) -> Result<StepOutcome, RunnerError>;

    /// Stops everything running for the job; `wait` then returns promptly.
    async fn cancel(&self, job: JobKey) -> Result<(), RunnerError>;

    /// Copies the files matching `patterns` (relative to the workspace) to
    /// `dest` on this machine.
    async fn collect(
        &self,
        job: JobKey,
        patterns: &[String],
        dest: &Path,
    ) -> Result<Vec<CollectedFile>, RunnerError>;

    /// What the job's steps wrote to the file named by `SWITCHYARD_OUTPUT`
    /// (see [`crate::outputs`]), read once its steps have succeeded; empty
    /// when they wrote nothing. At most [`crate::outputs::MAX_BYTES`] + 1
    /// bytes are returned, so that too much is seen as too much.
    async fn outputs(&self, _job: JobKey) -> Result<Vec<u8>, RunnerError> {
        Ok(Vec::new())
    }

    /// Releases everything the job used. Always called, once, last. Also
    /// called for jobs this runner instance never prepared (left over by an
    /// earlier Switchyard, see [`live_jobs`](Runner::live_jobs)).
    async fn cleanup(&self, job: JobKey) -> Result<(), RunnerError>;

    /// Re-attaches to a job an earlier Switchyard prepared and whose work may
    /// still be going on without it (a pod in a cluster). `Ok(false)` when
    /// nothing of it is left. Runners whose work dies with the engine (the
    /// local runner) never re-attach.
    async fn reattach(&self, _job: &JobContext) -> Result<bool, RunnerError> {
        Ok(false)
    }

    /// Adopts a step of a re-attached job: `Ok(true)` when it had been
    /// started (then [`logs`](Runner::logs) yields its output after `from`,
    /// and [`wait`](Runner::wait) its outcome, as after
    /// [`start`](Runner::start)), `Ok(false)` when it never started.
    async fn resume(&self, _step: StepKey, _from: LogPosition) -> Result<bool, RunnerError> {
        Ok(false)
    }

    /// The jobs this runner still holds resources for (labelled pods, say),
    /// so that the engine can clean up those of runs that have ended.
    async fn live_jobs(&self) -> Result<Vec<JobKey>, RunnerError> {
        Ok(Vec::new())
    }
}

/// Makes the runners of one scheme (`kubernetes`: one per target).
pub trait RunnerFactory: Send + Sync {
    /// The runner for `target` (`None` for a scheme without targets, like
    /// `local`), or why there is none.
    fn runner(&self, target: Option<&str>) -> Result<Arc<dyn Runner>, RunnerError>;
}

/// The runners this Switchyard has, by scheme: `local` always (the
/// engine's own [`local::LocalRunner`]); `kubernetes` when a front end
/// registers the cloud crate's factory. A scheme the pipeline format knows
/// but nobody registered is [`RunnerError::Unavailable`] with the reason.
#[derive(Clone)]
pub struct Runners {
    factories: HashMap<&'static str, Arc<dyn RunnerFactory>>,
}

impl Default for Runners {
    fn default() -> Self {
        Runners::new()
    }
}

/// Serves the one local runner.
struct LocalFactory(Arc<local::LocalRunner>);

impl RunnerFactory for LocalFactory {
    fn runner(&self, _target: Option<&str>) -> Result<Arc<dyn Runner>, RunnerError> {
        Ok(self.0.clone())
    }
}

impl Runners {
    /// The local runner alone.
    pub fn new() -> Runners {
        let mut factories: HashMap<&'static str, Arc<dyn RunnerFactory>> = HashMap::new();
        factories.insert(
            RunnerRef::LOCAL,
            Arc::new(LocalFactory(Arc::new(local::LocalRunner::new()))),
        );
        Runners { factories }
    }

    /// Registers (or replaces) the factory of a scheme.
    pub fn register(&mut self, scheme: &'static str, factory: Arc<dyn RunnerFactory>) -> &mut Self {
        self.factories.insert(scheme, factory);
        self
    }

    /// The runner for a job's `runner:`.
    pub fn runner(&self, runner: &RunnerRef) -> Result<Arc<dyn Runner>, RunnerError> {
        match self.factories.get(runner.scheme()) {
            Some(f) => f.runner(runner.target()),
            None => Err(RunnerError::Unavailable {
                runner: runner.to_string(),
                reason: format!(
                    "this build of Switchyard has no `{}` runner (the switchyard command and the desktop app include every runner; an engine embedded elsewhere may not)",
                    runner.scheme()
                ),
            }),
        }
    }
}
