//! The engine's API: the one surface the CLI and the desktop app both call.
//!
//! [`Engine::open`] opens the history in the data dir, marks runs left
//! unfinished by a Switchyard that is no longer running as `interrupted`, and
//! from then on imports projects, starts, lists, shows and cancels runs, and
//! publishes [`Event`]s while runs go.
//!
//! Which engine instance runs a run is recorded with the run, and each
//! instance holds an OS file lock for its lifetime. A lock that can be taken
//! belongs to an instance that is gone (the OS releases locks of dead
//! processes), so its unfinished runs were interrupted. This also lets
//! `switchyard cancel` in one terminal stop a run started in another.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::events::{Event, EventBus};
use crate::pipeline::plan::{Plan, UnknownJob};
use crate::pipeline::{self, LoadFileError, PIPELINE_FILE};
use crate::runner::{LocalOnly, RunnerProvider};
use crate::secrets::{EnvSecretStore, SecretStore};
use crate::status::RunStatus;
use crate::store::{Project, RunDetails, RunSummary, Store, StoreError};
use crate::{gitinfo, scheduler};

/// Environment variable that overrides the data dir.
pub const HOME_ENV: &str = "SWITCHYARD_HOME";

/// Where Switchyard keeps its data.
#[derive(Debug, Clone)]
pub struct Home {
    root: PathBuf,
}

impl Home {
    /// The data dir: `SWITCHYARD_HOME` if set, else the platform's data dir
    /// (`$XDG_DATA_HOME/switchyard` or `~/.local/share/switchyard` on Linux).
    pub fn from_env() -> Result<Home, EngineError> {
        if let Some(dir) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Home::at(PathBuf::from(dir)));
        }
        directories::ProjectDirs::from("dev", "switchyard", "switchyard")
            .map(|d| Home::at(d.data_dir().to_path_buf()))
            .ok_or(EngineError::NoHome)
    }

    /// A data dir at an explicit path.
    pub fn at(root: PathBuf) -> Home {
        Home { root }
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
        )
    }
}

/// How to set up an engine.
pub struct EngineConfig {
    /// The data dir.
    pub home: Home,
    /// Most jobs running at once (default: the number of CPUs).
    pub parallelism: Option<usize>,
    /// Where secret values come from.
    pub secrets: Arc<dyn SecretStore>,
    /// Which runners exist.
    pub runners: Arc<dyn RunnerProvider>,
}

impl EngineConfig {
    /// Embedded defaults: local runner, secrets from the environment.
    pub fn new(home: Home) -> EngineConfig {
        EngineConfig {
            home,
            parallelism: None,
            secrets: Arc::new(EnvSecretStore),
            runners: Arc::new(LocalOnly::default()),
        }
    }
}

/// Options for one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run only these jobs (and what they need); all when empty.
    pub jobs: Vec<String>,
    /// Run in the project folder itself instead of a copy.
    pub in_place: bool,
    /// Keep the run's workspace copy after the run (for debugging).
    pub keep_workspace: bool,
    /// Most jobs at once for this run (default: the engine's).
    pub parallelism: Option<usize>,
    /// Where remote (Kubernetes) jobs get the project's files from.
    pub source: crate::workspace::WorkspaceSource,
}

/// A run that was started.
pub struct RunHandle {
    /// The run's id.
    pub id: i64,
    done: tokio::task::JoinHandle<RunStatus>,
}

impl RunHandle {
    /// Waits for the run to end and returns how it ended.
    pub async fn wait(self) -> RunStatus {
        self.done.await.unwrap_or(RunStatus::Failed)
    }
}

/// What `cancel` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// The run is running in this process and is being cancelled.
    Cancelling,
    /// Another Switchyard process runs it and was asked to cancel it.
    Requested,
    /// Nothing runs it any more; it was marked interrupted.
    MarkedInterrupted,
}

pub(crate) struct Inner {
    pub(crate) home: Home,
    pub(crate) store: Store,
    pub(crate) events: EventBus,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) runners: Arc<dyn RunnerProvider>,
    pub(crate) parallelism: usize,
    owner: String,
    _owner_lock: File,
    pub(crate) active: Mutex<HashMap<i64, CancellationToken>>,
}

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

fn io_err(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> EngineError {
    let what = what.into();
    move |source| EngineError::Io { what, source }
}

impl Engine {
    /// Opens the engine on its data dir and recovers interrupted runs.
    pub async fn open(config: EngineConfig) -> Result<Engine, EngineError> {
        let home = config.home;
        for dir in [
            home.root().to_path_buf(),
            home.locks(),
            home.workspaces(),
            home.artifacts(),
        ] {
            fs::create_dir_all(&dir).map_err(|source| EngineError::HomeUnusable {
                path: dir.clone(),
                source,
            })?;
        }
        let store = Store::open(&home.database())?;
        let owner = format!(
            "{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let lock_path = home.locks().join(format!("{owner}.lock"));
        let lock =
            File::create(&lock_path).map_err(io_err(format!("cannot create {}", lock_path.display())))?;
        lock.try_lock().map_err(|e| {
            io_err(format!("cannot lock {}", lock_path.display()))(std::io::Error::other(e.to_string()))
        })?;
        let parallelism = config
            .parallelism
            .or_else(|| std::thread::available_parallelism().ok().map(|n| n.get()))
            .unwrap_or(2)
            .max(1);
        let engine = Engine {
            inner: Arc::new(Inner {
                home,
                store,
                events: EventBus::new(),
                secrets: config.secrets,
                runners: config.runners,
                parallelism,
                owner,
                _owner_lock: lock,
                active: Mutex::new(HashMap::new()),
            }),
        };
        engine.recover().await?;
        Ok(engine)
    }

    /// Marks runs whose engine is gone as interrupted.
    async fn recover(&self) -> Result<(), EngineError> {
        let unfinished = self.inner.store.unfinished_runs()?;
        let mut dead_owners = Vec::new();
        for run in unfinished {
            let alive = match &run.owner {
                Some(owner) if owner == &self.inner.owner => true,
                Some(owner) => self.owner_alive(owner),
                None => false,
            };
            if !alive {
                tracing::warn!(
                    run = run.id,
                    "marking run interrupted: the Switchyard that ran it stopped"
                );
                self.inner
                    .store
                    .interrupt_run(run.id, "Switchyard stopped while the run was going".into())
                    .await?;
                if let Some(owner) = run.owner {
                    dead_owners.push(owner);
                }
            }
        }
        for owner in dead_owners {
            let _ = fs::remove_file(self.inner.home.locks().join(format!("{owner}.lock")));
        }
        Ok(())
    }

    fn owner_alive(&self, owner: &str) -> bool {
        let path = self.inner.home.locks().join(format!("{owner}.lock"));
        match File::open(&path) {
            Err(_) => false,
            Ok(f) => match f.try_lock() {
                Ok(()) => {
                    let _ = f.unlock();
                    false
                }
                Err(_) => true,
            },
        }
    }

    /// The data dir.
    pub fn home(&self) -> &Home {
        &self.inner.home
    }

    /// The history.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Subscribes to the engine's events.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// Waits until every history write so far is committed.
    pub async fn flush(&self) -> Result<(), EngineError> {
        Ok(self.inner.store.flush().await?)
    }

    /// Registers the project in `dir` (or updates it). Its name is the
    /// pipeline's `name:`, else `name`, else the folder's name.
    pub async fn import(&self, dir: &Path, name: Option<&str>) -> Result<Project, EngineError> {
        let dir = fs::canonicalize(dir).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                EngineError::NotADirectory {
                    path: dir.to_path_buf(),
                }
            } else {
                io_err(format!("cannot read {}", dir.display()))(e)
            }
        })?;
        if !dir.is_dir() {
            return Err(EngineError::NotADirectory { path: dir });
        }
        let file = dir.join(PIPELINE_FILE);
        if !file.is_file() {
            return Err(EngineError::NoPipeline { dir });
        }
        let pipeline = pipeline::load_file(&file)?;
        let name = match name {
            Some(n) => n.to_string(),
            None => pipeline.name.clone().unwrap_or_else(|| folder_name(&dir)),
        };
        let remote = gitinfo::read(&dir).and_then(|g| g.remote);
        match self.inner.store.upsert_project(name.clone(), dir, remote).await? {
            Ok(project) => Ok(project),
            Err(existing) => Err(EngineError::ProjectNameTaken {
                name,
                path: existing.path,
            }),
        }
    }

    /// Every project.
    pub fn projects(&self) -> Result<Vec<Project>, EngineError> {
        Ok(self.inner.store.projects()?)
    }

    /// The project of that name.
    pub fn project(&self, name: &str) -> Result<Project, EngineError> {
        if let Some(p) = self.inner.store.project_by_name(name)? {
            return Ok(p);
        }
        let projects = self.inner.store.projects()?;
        let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
        let hint = match pipeline::did_you_mean(name, names.iter().copied()) {
            Some(s) => format!("; did you mean `{s}`?"),
            None if names.is_empty() => "; import one with `switchyard import DIR`".into(),
            None => format!("; projects are: {}", names.join(", ")),
        };
        Err(EngineError::UnknownProject {
            name: name.to_string(),
            hint,
        })
    }

    /// A project given as a folder (imported on the way if needed) or a name.
    pub async fn resolve_project(&self, arg: &str) -> Result<Project, EngineError> {
        let path = Path::new(arg);
        if path.is_dir() {
            let canonical = fs::canonicalize(path).map_err(io_err(format!("cannot read {arg}")))?;
            if let Some(p) = self.inner.store.project_by_path(&canonical)? {
                return Ok(p);
            }
            return self.import(&canonical, None).await;
        }
        self.project(arg)
    }

    /// The latest runs, newest first, of a project (by name) or of all.
    pub fn runs(&self, project: Option<&str>, limit: u32) -> Result<Vec<RunSummary>, EngineError> {
        let pid = match project {
            Some(name) => Some(self.project(name)?.id),
            None => None,
        };
        Ok(self.inner.store.runs(pid, limit, None)?)
    }

    /// One run with its jobs and steps.
    pub fn run(&self, id: i64) -> Result<RunDetails, EngineError> {
        self.inner.store.run(id)?.ok_or(EngineError::RunNotFound(id))
    }

    /// Loads and plans a project's pipeline without running it.
    pub fn plan(&self, project: &Project, jobs: &[String]) -> Result<Plan, EngineError> {
        let file = project.path.join(PIPELINE_FILE);
        if !file.is_file() {
            return Err(EngineError::NoPipeline {
                dir: project.path.clone(),
            });
        }
        let pipeline = pipeline::load_file(&file)?;
        Ok(Plan::new(&pipeline).select(jobs)?)
    }

    /// Starts a run of the project's pipeline. Returns once the run is
    /// recorded; the run goes on in the background (on the current Tokio
    /// runtime) and announces its progress as events.
    pub async fn start_run(&self, project: &Project, options: RunOptions) -> Result<RunHandle, EngineError> {
        let plan = self.plan(project, &options.jobs)?;
        let git = gitinfo::read(&project.path);
        let token = CancellationToken::new();
        let (id, job_ids) = self
            .inner
            .store
            .create_run(crate::store::NewRun {
                project_id: project.id,
                commit: git.as_ref().and_then(|g| g.commit.clone()),
                branch: git.as_ref().and_then(|g| g.branch.clone()),
                dirty: git.as_ref().map(|g| g.dirty),
                in_place: options.in_place,
                owner: self.inner.owner.clone(),
                jobs: plan
                    .jobs
                    .iter()
                    .map(|j| crate::store::NewJob {
                        name: j.name.clone(),
                        runner: j.runner.to_string(),
                        needs: j.needs.iter().map(|&n| plan.jobs[n].name.clone()).collect(),
                    })
                    .collect(),
            })
            .await?;
        self.inner
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, token.clone());
        self.inner.events.publish(Event::Run {
            run_id: id,
            project: project.name.as_str().into(),
            status: RunStatus::Queued,
        });
        let run = scheduler::RunSpec {
            id,
            project: project.clone(),
            commit: git.and_then(|g| g.commit),
            plan,
            job_ids,
            options,
        };
        let inner = self.inner.clone();
        let done = tokio::spawn(async move {
            let status = scheduler::execute(inner.clone(), run, token).await;
            inner.active.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            status
        });
        Ok(RunHandle { id, done })
    }

    /// Cancels a run, wherever it runs.
    pub async fn cancel(&self, id: i64) -> Result<CancelOutcome, EngineError> {
        if let Some(token) = self
            .inner
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&id)
        {
            token.cancel();
            return Ok(CancelOutcome::Cancelling);
        }
        let Some(status) = self.inner.store.run_status(id)? else {
            return Err(EngineError::RunNotFound(id));
        };
        if status.is_terminal() {
            return Err(EngineError::RunFinished { id, status });
        }
        let owner = self
            .inner
            .store
            .unfinished_runs()?
            .into_iter()
            .find(|r| r.id == id)
            .and_then(|r| r.owner);
        match owner {
            Some(owner) if self.owner_alive(&owner) => {
                self.inner.store.request_cancel(id).await?;
                Ok(CancelOutcome::Requested)
            }
            _ => {
                self.inner
                    .store
                    .interrupt_run(id, "Switchyard stopped while the run was going".into())
                    .await?;
                Ok(CancelOutcome::MarkedInterrupted)
            }
        }
    }
}

fn folder_name(dir: &Path) -> String {
    let raw = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "project".into());
    let cleaned: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect();
    if cleaned.is_empty() {
        "project".into()
    } else {
        cleaned
    }
}
