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
use std::path::Path;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::config::{Config, ConfigFile};
use crate::events::{Event, EventBus};
use crate::pipeline::plan::{JobKind, Plan, UnknownJob};
use crate::pipeline::{self, LoadFileError, PIPELINE_FILE};
use crate::runner::Runners;
use crate::runner::limits::Limits;
use crate::secrets::{NoStore, SecretStore};
use crate::status::RunStatus;
use crate::store::journal;
use crate::store::{Project, RunDetails, RunSummary, Store};
use crate::{gitinfo, scheduler};

pub use crate::error::EngineError;
use crate::error::io_err;
pub use crate::home::{HOME_ENV, Home};
pub use crate::state::{DeployOptions, RerunMode, RunOptions, Trigger};
use crate::state::{Inner, OwnerLock, sweep_locks};

/// How often the config file is checked for edits.
const CONFIG_CHECK: std::time::Duration = std::time::Duration::from_secs(1);

/// How to set up an engine.
pub struct EngineConfig {
    /// The data dir.
    pub home: Home,
    /// Most local jobs at once, overriding `runners.local.concurrency` of
    /// the config file (benchmarks and tests).
    pub parallelism: Option<usize>,
    /// Where secret values come from.
    pub secrets: Arc<dyn SecretStore>,
    /// Which runners exist.
    pub runners: Runners,
    /// The configuration; `None`: the home's config file
    /// ([`Home::config_file`]).
    pub config: Option<Arc<ConfigFile>>,
    /// What rolls deploy jobs out (`switchyard-cloud` sets it).
    pub deployer: Option<Arc<dyn crate::deploy::Deployer>>,
    /// What reads metrics for canary analyses (`switchyard-monitoring`).
    pub metrics: Option<Arc<dyn crate::deploy::Metrics>>,
}

impl EngineConfig {
    /// Embedded defaults: the local runner, secrets from the environment
    /// only (front ends add the OS keyring), the home's config file.
    pub fn new(home: Home) -> EngineConfig {
        EngineConfig {
            home,
            parallelism: None,
            secrets: Arc::new(NoStore),
            runners: Runners::new(),
            config: None,
            deployer: None,
            metrics: None,
        }
    }
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

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Engine {
    pub(crate) inner: Arc<Inner>,
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
        let owner = journal::new_origin();
        let (store, owner_lock) = {
            let home = home.clone();
            let owner = owner.clone();
            tokio::task::spawn_blocking(move || -> Result<_, EngineError> {
                sweep_locks(&home.locks());
                let store = Store::open_with(&home.database(), EventBus::new(), &owner)?;
                let lock = OwnerLock::take(&home.locks(), &owner)?;
                Ok((store, lock))
            })
            .await
            .map_err(|e| EngineError::Io {
                what: "cannot open the history".into(),
                source: std::io::Error::other(e.to_string()),
            })??
        };
        let config_file = match config.config {
            Some(c) => c,
            None => {
                let path = home.config_file()?;
                Arc::new(
                    tokio::task::spawn_blocking(move || ConfigFile::open(path))
                        .await
                        .map_err(|e| EngineError::Io {
                            what: "cannot read the configuration".into(),
                            source: std::io::Error::other(e.to_string()),
                        })??,
                )
            }
        };
        let limits = {
            let config_file = config_file.clone();
            let local_override = config.parallelism;
            Limits::new(Arc::new(move |key: &str| {
                limit_of(&config_file.current(), local_override, key)
            }))
        };
        let engine = Engine {
            inner: Arc::new(Inner {
                home,
                store,
                secrets: config.secrets,
                runners: config.runners,
                limits,
                config: config_file,
                owner,
                owner_lock,
                active: Mutex::new(HashMap::new()),
                gates: Mutex::new(HashMap::new()),
                tail: CancellationToken::new(),
                deployer: config.deployer,
                metrics: config.metrics,
            }),
        };
        engine.recover().await?;
        engine.follow_others().await?;
        engine.watch_config();
        Ok(engine)
    }

    /// Notices edits of the config file (by hand, or by another process)
    /// within a second: the new configuration takes effect (a raised
    /// runner limit starts waiting jobs) and [`Event::ConfigChanged`] tells
    /// the front ends.
    fn watch_config(&self) {
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let stop = self.inner.tail.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(CONFIG_CHECK) => {}
                }
                let Some(inner) = weak.upgrade() else { return };
                let config = inner.config.clone();
                let changed = tokio::task::spawn_blocking(move || config.reload_if_changed())
                    .await
                    .unwrap_or(false);
                if changed {
                    inner.limits.rebalance();
                    inner.store.events().publish(Event::ConfigChanged);
                }
            }
        });
    }

    /// Where secret values are kept (the OS keyring in both front ends).
    pub fn secret_store(&self) -> Arc<dyn SecretStore> {
        self.inner.secrets.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> Arc<Config> {
        self.inner.config.current()
    }

    /// Why the config file on disk is not in force, when it is not (it
    /// became invalid while Switchyard ran; the last good one stays).
    pub fn config_problem(&self) -> Option<crate::config::ConfigError> {
        self.inner.config.problem()
    }

    /// The config file.
    pub fn config_path(&self) -> &Path {
        self.inner.config.path()
    }

    /// Saves the desktop app's settings into `[desktop]` of the config file
    /// (the rest of the file as it was) and puts them in force.
    pub async fn save_desktop_settings(
        &self,
        desktop: crate::config::DesktopConfig,
    ) -> Result<Arc<Config>, EngineError> {
        use crate::config::{remove_value, set_value};
        self.edit_config(move |doc| {
            set_value(doc, &["desktop", "theme"], desktop.theme.as_str().into());
            set_value(
                doc,
                &["desktop", "notify_on_failure"],
                desktop.notify_on_failure.into(),
            );
            set_value(
                doc,
                &["desktop", "notify_on_fixed"],
                desktop.notify_on_fixed.into(),
            );
            set_value(doc, &["desktop", "close_to_tray"], desktop.close_to_tray.into());
            match desktop.notifications_paused_until {
                Some(until) => set_value(doc, &["desktop", "notifications_paused_until"], until.into()),
                None => remove_value(doc, &["desktop", "notifications_paused_until"]),
            }
        })
        .await
    }

    /// Saves `runners.local.concurrency` (most local jobs at once over all
    /// runs, and so the default parallelism of a run); `None`: the number
    /// of CPUs.
    pub async fn save_local_concurrency(&self, jobs: Option<u32>) -> Result<Arc<Config>, EngineError> {
        use crate::config::{remove_value, set_value};
        self.edit_config(move |doc| match jobs {
            Some(n) => set_value(doc, &["runners", "local", "concurrency"], i64::from(n).into()),
            None => remove_value(doc, &["runners", "local", "concurrency"]),
        })
        .await
    }

    /// Changes the config file (comments and layout kept; refused when the
    /// result would not load) and puts the result in force.
    pub async fn edit_config(
        &self,
        edit: impl FnOnce(&mut toml_edit::DocumentMut) + Send + 'static,
    ) -> Result<Arc<Config>, EngineError> {
        let config = self.inner.config.clone();
        let result = tokio::task::spawn_blocking(move || config.edit(edit))
            .await
            .map_err(|e| EngineError::Io {
                what: "cannot write the configuration".into(),
                source: std::io::Error::other(e.to_string()),
            })??;
        self.inner.limits.rebalance();
        self.inner.store.events().publish(Event::ConfigChanged);
        Ok(result)
    }

    /// Follows the changes other Switchyard processes make (see
    /// [`journal`]): cancel requests for runs this engine runs take effect,
    /// and every change is published on this engine's bus, so a front end
    /// shows runs started elsewhere as they go.
    async fn follow_others(&self) -> Result<(), EngineError> {
        let store = self.inner.store.clone();
        let tail = tokio::task::spawn_blocking(move || journal::Tail::new(&store))
            .await
            .map_err(|e| EngineError::Io {
                what: "cannot follow the history".into(),
                source: std::io::Error::other(e.to_string()),
            })??;
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let stop = self.inner.tail.clone();
        tokio::spawn(tail.follow(stop, move |event| {
            let Some(inner) = weak.upgrade() else {
                return false;
            };
            if let Event::CancelRequested { run_id } = &event
                && let Some(token) = inner.active.lock().unwrap_or_else(|p| p.into_inner()).get(run_id)
            {
                tracing::info!(run = run_id, "cancel requested by another Switchyard process");
                token.cancel();
            }
            if let Event::Decided { job_id, .. } = &event {
                inner.wake_gate(*job_id);
            }
            inner.store.events().publish(event);
            true
        }));
        Ok(())
    }

    /// Marks runs whose engine is gone as interrupted.
    async fn recover(&self) -> Result<(), EngineError> {
        // Lock files of the instances found dead go with the sweep at open.
        let unfinished = self.inner.store.unfinished_runs().await?;
        for run in unfinished {
            let alive = match &run.owner {
                Some(owner) if owner == &self.inner.owner => true,
                Some(owner) => self.owner_alive(owner),
                None => false,
            };
            if !alive && self.resumable(run.id).await? {
                tracing::info!(
                    run = run.id,
                    "run left for resuming: its remote jobs go on without Switchyard"
                );
                continue;
            }
            if !alive {
                tracing::warn!(
                    run = run.id,
                    "marking run interrupted: the Switchyard that ran it stopped"
                );
                self.inner
                    .store
                    .interrupt_run(run.id, "Switchyard stopped while the run was going".into())
                    .await?;
            }
        }
        Ok(())
    }

    /// Whether a run whose engine is gone can be resumed: it has a snapshot
    /// and a job that has not ended on a runner whose work goes on without
    /// Switchyard (a pod in a cluster).
    async fn resumable(&self, run_id: i64) -> Result<bool, EngineError> {
        if self.inner.store.snapshot(run_id).await?.is_none() {
            return Ok(false);
        }
        let Some(run) = self.inner.store.run(run_id).await? else {
            return Ok(false);
        };
        Ok(run.jobs.iter().any(|j| {
            // A rollout, like a pod, goes on in its cluster without us.
            !j.status.is_terminal()
                && (j.kind == "deploy" || runner_ref(&j.runner).is_ok_and(|r| r.is_remote()))
        }))
    }

    /// Resumes the runs that a Switchyard that stopped left going (their
    /// Kubernetes pods went on without it): re-attaches to their running
    /// jobs, resumes the logs from where the history stopped, runs what is
    /// left of their DAG and records the results. Then cleans up what
    /// finished runs left in clusters ([`Engine::collect_orphans`]). Long-lived
    /// front ends call this at start; a run that cannot be resumed is marked
    /// interrupted with the reason.
    pub async fn resume_runs(&self) -> Result<Vec<RunHandle>, EngineError> {
        let mut handles = Vec::new();
        for run in self.inner.store.unfinished_runs().await? {
            if self
                .inner
                .active
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .contains_key(&run.id)
            {
                continue;
            }
            let alive = match &run.owner {
                Some(owner) => self.owner_alive(owner),
                None => false,
            };
            if alive {
                continue;
            }
            match self.resume_run(run.id).await {
                Ok(handle) => handles.push(handle),
                Err(e) => {
                    tracing::warn!(run = run.id, error = %e, "cannot resume run");
                    self.inner
                        .store
                        .interrupt_run(
                            run.id,
                            format!(
                                "Switchyard stopped while the run was going, and it could not be resumed: {e}"
                            ),
                        )
                        .await?;
                }
            }
        }
        if let Err(e) = self.collect_orphans().await {
            tracing::warn!(error = %e, "cannot clean up what finished runs left in clusters");
        }
        Ok(handles)
    }

    async fn resume_run(&self, id: i64) -> Result<RunHandle, EngineError> {
        let snapshot = self
            .inner
            .store
            .snapshot(id)
            .await?
            .ok_or_else(|| EngineError::Io {
                what: format!("run {id} has no snapshot to resume from"),
                source: std::io::Error::other("started by an older Switchyard"),
            })?;
        let details = self.run(id).await?;
        let project = self.project(&details.summary.project).await?;
        let file = project.path.join(PIPELINE_FILE);
        let pipeline = pipeline::load(&file, &snapshot.pipeline).map_err(LoadFileError::Invalid)?;
        let mut plan = Plan::new(&pipeline).select(&snapshot.jobs)?;
        if let Some(target) = &snapshot.target {
            plan.retarget(target);
        }
        let mut job_ids = Vec::with_capacity(plan.jobs.len());
        let mut resume = Vec::with_capacity(plan.jobs.len());
        for pj in &plan.jobs {
            let Some(j) = details.jobs.iter().find(|j| j.name == pj.name) else {
                return Err(EngineError::Io {
                    what: format!("run {id} has no job `{}` any more", pj.name),
                    source: std::io::Error::other("the history does not match the run's snapshot"),
                });
            };
            job_ids.push(j.id);
            resume.push(scheduler::Resume::from_record(j));
        }
        let options = RunOptions {
            jobs: snapshot.jobs.clone(),
            in_place: snapshot.in_place,
            keep_workspace: snapshot.keep_workspace,
            parallelism: snapshot.parallelism,
            source: snapshot.source.parse().unwrap_or_default(),
            deploy: snapshot.deploy.clone(),
            target: snapshot.target.clone(),
            ..Default::default()
        };
        self.inner
            .store
            .take_over_run(id, self.inner.owner.clone())
            .await?;
        tracing::info!(run = id, "resuming run");
        let token = CancellationToken::new();
        self.inner
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, token.clone());
        let remote = git_facts(&project.path).await.and_then(|g| g.remote);
        let run = scheduler::RunSpec {
            id,
            project,
            commit: snapshot.commit,
            remote,
            plan,
            job_ids,
            options,
            resume,
        };
        Ok(self.launch(id, run, token))
    }

    /// Deletes what runs that have ended left in clusters (pods and Secrets
    /// whose cleanup never happened, because Switchyard stopped, say): asks
    /// every remote runner used so far which jobs it still holds, and cleans
    /// up those whose job or run has ended, or that the history does not
    /// know. Returns how many jobs were cleaned up.
    pub async fn collect_orphans(&self) -> Result<usize, EngineError> {
        let mut cleaned = 0;
        for name in self.inner.store.runner_names().await? {
            let runner_ref = match runner_ref(&name) {
                Ok(r) if r.is_remote() => r,
                Ok(_) => continue,
                Err(e) => {
                    tracing::debug!(runner = %name, error = %e, "skipping a runner this build does not know");
                    continue;
                }
            };
            let runner = match self.inner.runners.runner(&runner_ref) {
                Ok(r) => r,
                Err(e) => {
                    tracing::debug!(runner = %name, error = %e, "runner not available for cleanup");
                    continue;
                }
            };
            let live = match runner.live_jobs().await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(runner = %name, error = %e, "cannot list what the runner holds");
                    continue;
                }
            };
            for key in live {
                if self.inner.store.job_going(key.run_id, key.job_id).await? == Some(true) {
                    continue;
                }
                tracing::info!(runner = %name, run = key.run_id, job = key.job_id, "cleaning up after an ended job");
                match runner.cleanup(key).await {
                    Ok(()) => cleaned += 1,
                    Err(e) => tracing::warn!(runner = %name, error = %e, "cleanup failed"),
                }
            }
        }
        Ok(cleaned)
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

    /// The history itself, for tests, benchmarks and tools that inspect it
    /// directly; front ends use the use cases (`usecases.rs`) instead.
    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    /// Subscribes to the engine's events: this process's changes once
    /// committed, and other Switchyard processes' as they are seen.
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.store.events().subscribe()
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
            None => pipeline
                .name
                .clone()
                .unwrap_or_else(|| pipeline::name_from_folder(&dir)),
        };
        let remote = git_facts(&dir).await.and_then(|g| g.remote);
        match self.inner.store.upsert_project(name.clone(), dir, remote).await? {
            Ok(project) => Ok(project),
            Err(existing) => Err(EngineError::ProjectNameTaken {
                name,
                path: existing.path,
            }),
        }
    }

    /// Every project.
    pub async fn projects(&self) -> Result<Vec<Project>, EngineError> {
        Ok(self.inner.store.projects().await?)
    }

    /// The project of that name.
    pub async fn project(&self, name: &str) -> Result<Project, EngineError> {
        if let Some(p) = self.inner.store.project_by_name(name).await? {
            return Ok(p);
        }
        let projects = self.inner.store.projects().await?;
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
            if let Some(p) = self.inner.store.project_by_path(&canonical).await? {
                return Ok(p);
            }
            return self.import(&canonical, None).await;
        }
        self.project(arg).await
    }

    /// The latest runs, newest first, of a project (by name) or of all.
    pub async fn runs(&self, project: Option<&str>, limit: u32) -> Result<Vec<RunSummary>, EngineError> {
        let pid = match project {
            Some(name) => Some(self.project(name).await?.id),
            None => None,
        };
        Ok(self.inner.store.runs(pid, limit, None).await?)
    }

    /// One run with its jobs and steps.
    pub async fn run(&self, id: i64) -> Result<RunDetails, EngineError> {
        self.inner
            .store
            .run(id)
            .await?
            .ok_or(EngineError::RunNotFound(id))
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

    /// The plan, and the pipeline text it was made from (kept with the run).
    fn plan_and_text(&self, project: &Project, jobs: &[String]) -> Result<(Plan, String), EngineError> {
        let file = project.path.join(PIPELINE_FILE);
        if !file.is_file() {
            return Err(EngineError::NoPipeline {
                dir: project.path.clone(),
            });
        }
        let text = match fs::read(&file).map(String::from_utf8) {
            Ok(Ok(text)) => text,
            // Let the loader say what is wrong with it.
            _ => {
                pipeline::load_file(&file)?;
                return Err(EngineError::NoPipeline {
                    dir: project.path.clone(),
                });
            }
        };
        let pipeline = pipeline::load(&file, &text).map_err(LoadFileError::Invalid)?;
        Ok((Plan::new(&pipeline).select(jobs)?, text))
    }

    /// Starts a run of the project's pipeline. Returns once the run is
    /// recorded; the run goes on in the background (on the current Tokio
    /// runtime) and announces its progress as events.
    pub async fn start_run(&self, project: &Project, options: RunOptions) -> Result<RunHandle, EngineError> {
        let (mut plan, text) = self.plan_and_text(project, &options.jobs)?;
        if let Some(target) = &options.target {
            retarget(&mut plan, target, options.rerun_of.is_none())?;
        }
        self.check_secrets(&project.name, &plan).await?;
        let git = git_facts(&project.path).await;
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
                trigger: options.trigger.as_str().to_string(),
                selection: options.jobs.clone(),
                rerun_of: options.rerun_of,
                jobs: plan
                    .jobs
                    .iter()
                    .map(|j| crate::store::NewJob {
                        name: j.name.clone(),
                        // A gate or a deployment runs on no runner.
                        runner: match j.kind {
                            JobKind::Steps => j.runner.to_string(),
                            JobKind::Approval { .. } | JobKind::Deploy(_) => String::new(),
                        },
                        kind: j.kind.as_str().to_string(),
                        prompt: match &j.kind {
                            JobKind::Approval { message } => Some(message.clone()),
                            JobKind::Steps | JobKind::Deploy(_) => None,
                        },
                        needs: j.needs.iter().map(|&n| plan.jobs[n].name.clone()).collect(),
                    })
                    .collect(),
            })
            .await?;
        let snapshot = crate::store::RunSnapshot {
            pipeline: text,
            jobs: options.jobs.clone(),
            in_place: options.in_place,
            keep_workspace: options.keep_workspace,
            parallelism: options.parallelism,
            source: options.source.as_str().into(),
            commit: git.as_ref().and_then(|g| g.commit.clone()),
            deploy: options.deploy.clone(),
            target: options.target.clone(),
        };
        if let Err(e) = self.inner.store.save_snapshot(id, &snapshot).await {
            tracing::warn!(run = id, error = %e, "cannot save the run's snapshot; it cannot be resumed");
        }
        self.inner
            .active
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, token.clone());
        let (commit, remote) = git.map(|g| (g.commit, g.remote)).unwrap_or_default();
        let run = scheduler::RunSpec {
            id,
            project: project.clone(),
            commit,
            remote,
            plan,
            job_ids,
            options,
            resume: Vec::new(),
        };
        Ok(self.launch(id, run, token))
    }

    /// Executes a recorded run in the background; forgets its cancellation
    /// token when it ends.
    ///
    /// The run always ends: should the scheduler itself panic (an engine
    /// bug), the run and whatever it left unfinished are recorded as failed
    /// with the reason.
    fn launch(&self, id: i64, run: scheduler::RunSpec, token: CancellationToken) -> RunHandle {
        let inner = self.inner.clone();
        let done = tokio::spawn(async move {
            let execution = tokio::spawn(scheduler::execute(inner.clone(), run, token));
            let status = match execution.await {
                Ok(status) => status,
                Err(e) => {
                    let why = scheduler::panic_message(e);
                    tracing::error!(run = id, error = %why, "the run's scheduler failed");
                    let reason =
                        format!("Switchyard failed while running this run (a bug; please report it): {why}");
                    if let Err(e) = inner.store.fail_run(id, reason).await {
                        tracing::error!(run = id, error = %e, "cannot record the failed run");
                    }
                    RunStatus::Failed
                }
            };
            inner.active.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
            status
        });
        RunHandle { id, done }
    }

    /// Approves or rejects a waiting approval job of a run, wherever the run
    /// runs: `job` is its name (a matrix job's full name). `via` says where
    /// the decision was made (`cli`, `desktop`); the login name of the user
    /// goes with it.
    pub async fn decide(
        &self,
        run_id: i64,
        job: &str,
        approved: bool,
        comment: Option<String>,
        via: &str,
    ) -> Result<crate::store::Decision, EngineError> {
        let run = self.run(run_id).await?;
        let not_waiting = |why: String| EngineError::NotWaiting {
            run: run_id,
            job: job.to_string(),
            why,
        };
        let Some(j) = run.jobs.iter().find(|j| j.name == job) else {
            let gates: Vec<&str> = run
                .jobs
                .iter()
                .filter(|j| j.kind == "approval")
                .map(|j| j.name.as_str())
                .collect();
            return Err(EngineError::UnknownJob(UnknownJob {
                name: job.to_string(),
                hint: if gates.is_empty() {
                    format!("; run {run_id} has no approval job")
                } else {
                    format!("; the approval jobs of run {run_id} are: {}", gates.join(", "))
                },
            }));
        };
        if j.kind != "approval" && j.kind != "deploy" {
            return Err(not_waiting(
                "is not an approval job; only a job with `approval:` (or a deployment that asks) waits for a decision".into(),
            ));
        }
        if j.kind == "deploy" && j.status != crate::status::JobStatus::Waiting {
            return Err(not_waiting(if j.status.is_terminal() {
                format!("has already ended ({})", j.status)
            } else {
                "is not waiting for a decision (it goes on by itself)".into()
            }));
        }
        if j.status != crate::status::JobStatus::Waiting {
            return Err(not_waiting(if j.status.is_terminal() {
                format!("has already ended ({})", j.status)
            } else {
                "is not waiting yet (the jobs it needs are still going)".into()
            }));
        }
        let user = login_name();
        let decision = crate::store::Decision {
            approved,
            by: format!("{user} ({via})"),
            comment: comment.map(|c| c.trim().to_string()).filter(|c| !c.is_empty()),
            at: crate::store::now_ms(),
        };
        if !self.inner.store.decide(run_id, j.id, decision.clone()).await? {
            return Err(not_waiting("was decided by someone else just now".into()));
        }
        self.inner.wake_gate(j.id);
        Ok(decision)
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
        let Some(status) = self.inner.store.run_status(id).await? else {
            return Err(EngineError::RunNotFound(id));
        };
        if status.is_terminal() {
            return Err(EngineError::RunFinished { id, status });
        }
        let owner = self
            .inner
            .store
            .unfinished_runs()
            .await?
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

/// Who is deciding: `USER` (or `USERNAME`), else the account of this
/// process's user id, else "someone".
fn login_name() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .ok()
        .filter(|u| !u.is_empty())
        .or_else(|| {
            nix::unistd::User::from_uid(nix::unistd::getuid())
                .ok()
                .flatten()
                .map(|u| u.name)
        })
        .unwrap_or_else(|| "someone".into())
}

/// The most jobs at once on a runner key (`local`, `kubernetes:<target>`).
fn limit_of(config: &Config, local_override: Option<usize>, key: &str) -> usize {
    match runner_ref(key) {
        Ok(crate::pipeline::RunnerRef::Local) => local_override.unwrap_or_else(|| config.local_concurrency()),
        Ok(crate::pipeline::RunnerRef::Kubernetes { target }) => config.kubernetes_concurrency(&target),
        Err(_) => 1,
    }
}

/// Git facts of a folder, read on a blocking thread (a status of a big
/// tree takes a while).
async fn git_facts(dir: &Path) -> Option<gitinfo::GitInfo> {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || gitinfo::read(&dir))
        .await
        .ok()
        .flatten()
}

/// Moves a run's Kubernetes jobs to `target` (`RunOptions::target`), or
/// says why it cannot. The name is what `runner: kubernetes:<name>` takes:
/// a target, else a kubeconfig context (an EKS context is an ARN, with `:`
/// and `/`). `chosen`: the user asked for this target now; a re-run that
/// inherits it may hold no Kubernetes job (only a failed local one).
fn retarget(plan: &mut Plan, target: &str, chosen: bool) -> Result<(), EngineError> {
    if target.is_empty() || target.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(EngineError::InvalidArgument(format!(
            "{target:?} is not a target or kubeconfig context name (empty, or with spaces); `switchyard targets list` shows the targets"
        )));
    }
    if plan.retarget(target) == 0 && chosen {
        return Err(EngineError::InvalidArgument(format!(
            "cannot run on target `{target}`: none of the jobs to run has `runner: kubernetes:<target>`, and local jobs stay local"
        )));
    }
    Ok(())
}

/// A runner as stored with a job (`local`, `kubernetes:<target>`); a name
/// this build does not know (a newer Switchyard's) is an error.
fn runner_ref(name: &str) -> Result<crate::pipeline::RunnerRef, crate::pipeline::UnknownRunner> {
    name.parse()
}
