//! What the engine API answers when it cannot do what was asked.

use std::path::PathBuf;

use crate::pipeline::plan::UnknownJob;
use crate::pipeline::{LoadFileError, PIPELINE_FILE};
use crate::status::RunStatus;
use crate::store::StoreError;

/// Why the engine could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No data dir could be determined.
    #[error("cannot find a data directory for Switchyard; set SWITCHYARD_HOME to a writable directory")]
    NoHome,
    /// The data dir could not be prepared.
    #[error("cannot use the data directory {}: {source}; set SWITCHYARD_HOME to a writable directory", path.display())]
    HomeUnusable {
        /// The directory.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The history failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The configuration could not be read or written.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// A path given is not a directory.
    #[error("{} is not a directory; give the folder of a project", path.display())]
    NotADirectory {
        /// The path.
        path: PathBuf,
    },
    /// The project has no pipeline file.
    #[error("no {PIPELINE_FILE} in {}; create one (see docs/pipeline-format.md) and try again", dir.display())]
    NoPipeline {
        /// The project folder.
        dir: PathBuf,
    },
    /// The pipeline file is invalid or unreadable.
    #[error(transparent)]
    Pipeline(#[from] LoadFileError),
    /// A job name given does not exist.
    #[error(transparent)]
    UnknownJob(#[from] UnknownJob),
    /// No project has that name.
    #[error("no project named `{name}`{hint}")]
    UnknownProject {
        /// The name given.
        name: String,
        /// What to do instead.
        hint: String,
    },
    /// Another folder already uses the project name.
    #[error("a project named `{name}` is already imported from {}; set another `name:` in {PIPELINE_FILE} or import with --name", path.display())]
    ProjectNameTaken {
        /// The name.
        name: String,
        /// The folder that has it.
        path: PathBuf,
    },
    /// No run has that id.
    #[error("no run with id {0}; `switchyard runs` lists them")]
    RunNotFound(i64),
    /// The job is not an approval job that waits for a decision.
    #[error("job `{job}` of run {run} {why}")]
    NotWaiting {
        /// The run.
        run: i64,
        /// The job.
        job: String,
        /// Why not, e.g. "is not an approval job".
        why: String,
    },
    /// A starter pipeline was offered for a folder that has one.
    #[error("{} already exists; Switchyard does not overwrite it", file.display())]
    PipelineExists {
        /// The file.
        file: PathBuf,
    },
    /// The pipeline file changed on disk since the editor read it.
    #[error("{} changed on disk since it was opened (another editor, a git checkout?); reload it, then make your change again", file.display())]
    PipelineChanged {
        /// The file.
        file: PathBuf,
    },
    /// A pipeline text is too large to be a pipeline.
    #[error("the pipeline text is {bytes} bytes; at most {max} are accepted")]
    PipelineTooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A pipeline names a secret no source has.
    #[error(
        "secret `{name}` is not set ({looked}); set it with `switchyard secrets set {name}{scope_flag}` or in the app's Secrets view"
    )]
    SecretMissing {
        /// The name.
        name: String,
        /// Where it was looked for.
        looked: String,
        /// ` --project P` to suggest, or empty.
        scope_flag: String,
    },
    /// A secret's name is not acceptable.
    #[error("{0}")]
    InvalidSecret(String),
    /// The secret store failed (no keyring running, locked, refused).
    #[error(transparent)]
    Secrets(#[from] crate::secrets::SecretError),
    /// An argument names something that does not exist or cannot be used.
    #[error("{0}")]
    InvalidArgument(String),
    /// A re-run was asked for that has nothing to run.
    #[error("nothing to re-run of run {run}: {why}")]
    NothingToRerun {
        /// The run.
        run: i64,
        /// Why.
        why: String,
    },
    /// A task of the engine itself failed (a bug).
    #[error("internal error: {0}; please report it")]
    Internal(String),
    /// The run has already ended.
    #[error("run {id} has already ended ({status})")]
    RunFinished {
        /// The run.
        id: i64,
        /// How it ended.
        status: RunStatus,
    },
    /// A file system operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

impl EngineError {
    /// Whether the error is about the user's input (exit code 2 in the CLI)
    /// rather than about the engine's environment.
    pub fn is_input_error(&self) -> bool {
        matches!(
            self,
            EngineError::NotADirectory { .. }
                | EngineError::NoPipeline { .. }
                | EngineError::Pipeline(_)
                | EngineError::UnknownJob(_)
                | EngineError::UnknownProject { .. }
                | EngineError::ProjectNameTaken { .. }
                | EngineError::RunNotFound(_)
                | EngineError::RunFinished { .. }
                | EngineError::NotWaiting { .. }
                | EngineError::PipelineExists { .. }
                | EngineError::PipelineChanged { .. }
                | EngineError::PipelineTooLarge { .. }
                | EngineError::SecretMissing { .. }
                | EngineError::InvalidSecret(_)
                | EngineError::NothingToRerun { .. }
                | EngineError::InvalidArgument(_)
        )
    }
}

pub(crate) fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EngineError {
    let what = what.into();
    move |source| EngineError::Io { what, source }
}
