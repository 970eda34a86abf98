//! The engine's shared state: what the [`crate::Engine`] handle, its runs
//! (the scheduler) and its use cases all reach, and the instance's lock.

use std::collections::HashMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::config::ConfigFile;
use crate::error::{EngineError, io_err};
use crate::home::Home;
use crate::runner::Runners;
use crate::runner::limits::Limits;
use crate::secrets::SecretStore;
use crate::store::Store;

/// Options for one run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Run only these jobs (and what they need); all when empty.
    pub jobs: Vec<String>,
    /// Run in the project folder itself instead of a copy.
    pub in_place: bool,
    /// Keep the run's workspace copy after the run (for debugging).
    pub keep_workspace: bool,
    /// Most jobs at once for this run, on top of each runner's own limit
    /// (default: no limit of its own).
    pub parallelism: Option<usize>,
    /// Where remote (Kubernetes) jobs get the project's files from.
    pub source: crate::workspace::WorkspaceSource,
    /// What started the run (kept in its history).
    pub trigger: Trigger,
    /// The run this one repeats, for a re-run.
    pub rerun_of: Option<i64>,
    /// For deploy jobs: the image to ship, whether to stop at the diff.
    pub deploy: DeployOptions,
    /// Run the Kubernetes jobs on this target (a name from `targets list`,
    /// or a kubeconfig context) instead of the ones their `runner:` names.
    pub target: Option<String>,
}

/// How a run's deploy jobs deploy (`switchyard deploy`'s options).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DeployOptions {
    /// The image to ship (`--image REF`), replacing the images of its
    /// repository; `None`: the deploy job's own `images`.
    pub image: Option<String>,
    /// Compute and show the diff only (`--dry-run`).
    #[serde(default)]
    pub dry_run: bool,
    /// Take over fields another field manager owns (`--force-conflicts`).
    #[serde(default)]
    pub force: bool,
    /// A rollback to this revision: rolled out directly (no canary steps,
    /// analysis or approval).
    #[serde(default)]
    pub rollback_to: Option<i64>,
}

/// What started a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Trigger {
    /// The `switchyard` command.
    #[default]
    Cli,
    /// The desktop app.
    App,
    /// The desktop app, from a `switchyard://` link the user confirmed.
    Link,
}

impl Trigger {
    /// The name stored and shown: `cli`, `app`, `link`.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::Cli => "cli",
            Trigger::App => "app",
            Trigger::Link => "link",
        }
    }
}

impl std::str::FromStr for Trigger {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cli" => Ok(Trigger::Cli),
            "app" => Ok(Trigger::App),
            "link" => Ok(Trigger::Link),
            other => Err(format!("`{other}` is not a trigger (cli, app or link)")),
        }
    }
}

/// What a re-run repeats of an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RerunMode {
    /// The same jobs, in the same place, with the same options.
    Same,
    /// Only the jobs that did not succeed (and what they need).
    Failed,
    /// One job (and what it needs).
    Job(String),
}

/// Everything an engine shares between its handle, its runs and its use cases.
pub(crate) struct Inner {
    pub(crate) home: Home,
    pub(crate) store: Store,
    pub(crate) secrets: Arc<dyn SecretStore>,
    pub(crate) runners: Runners,
    /// Slots per runner (local, each Kubernetes target).
    pub(crate) limits: Arc<Limits>,
    pub(crate) config: Arc<ConfigFile>,
    pub(crate) owner: String,
    pub(crate) owner_lock: OwnerLock,
    pub(crate) active: Mutex<HashMap<i64, CancellationToken>>,
    /// Approval jobs waiting in this engine, by job id: woken when a
    /// decision on them is written (here or in another process).
    pub(crate) gates: Mutex<HashMap<i64, Arc<tokio::sync::Notify>>>,
    /// Stops the task that follows other processes' changes.
    pub(crate) tail: CancellationToken,
    /// What rolls deploy jobs out (none: deploy jobs fail with the reason).
    pub(crate) deployer: Option<Arc<dyn crate::deploy::Deployer>>,
    /// What reads metrics for canary analyses.
    pub(crate) metrics: Option<Arc<dyn crate::deploy::Metrics>>,
}

impl Inner {
    /// Registers a waiting approval job, to be woken by [`Self::wake_gate`].
    pub(crate) fn wait_for_decision(&self, job_id: i64, wake: Arc<tokio::sync::Notify>) {
        self.gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(job_id, wake);
    }

    /// Forgets an approval job that stopped waiting.
    pub(crate) fn decided(&self, job_id: i64) {
        self.gates
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&job_id);
    }

    /// Wakes an approval job this engine runs, if it waits here.
    pub(crate) fn wake_gate(&self, job_id: i64) {
        if let Some(wake) = self.gates.lock().unwrap_or_else(|p| p.into_inner()).get(&job_id) {
            wake.notify_one();
        }
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.tail.cancel();
        self.owner_lock.release();
    }
}

/// This engine instance's lock file, held for its lifetime: while the OS
/// lock is held, other processes know the instance (and so its runs) is
/// alive. Removed when the engine is dropped; files of instances that died
/// without removing theirs are swept by the next engine that opens.
pub(crate) struct OwnerLock {
    path: PathBuf,
    file: Option<File>,
}

impl OwnerLock {
    /// Takes the lock at `dir/<owner>.lock`. The file is created and locked
    /// under a temporary name and then renamed into place, so a sweeper
    /// never sees an unlocked `.lock` file of a live instance.
    pub(crate) fn take(dir: &Path, owner: &str) -> Result<OwnerLock, EngineError> {
        let path = dir.join(format!("{owner}.lock"));
        let tmp = dir.join(format!("{owner}.lock.new"));
        let file = File::create(&tmp).map_err(io_err(format!("cannot create {}", tmp.display())))?;
        file.try_lock().map_err(|e| {
            io_err(format!("cannot lock {}", tmp.display()))(std::io::Error::other(e.to_string()))
        })?;
        fs::rename(&tmp, &path).map_err(io_err(format!("cannot create {}", path.display())))?;
        Ok(OwnerLock {
            path,
            file: Some(file),
        })
    }

    fn release(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Removes the lock files of instances that are gone (no process holds
/// their lock), and temporary ones left by a crash between create and rename.
pub(crate) fn sweep_locks(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".lock.new") {
            // Only ever unlocked for the moment between create and lock.
            let old = entry
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.elapsed().ok())
                .is_some_and(|age| age > std::time::Duration::from_secs(60));
            if old {
                let _ = fs::remove_file(&path);
            }
            continue;
        }
        if !name.ends_with(".lock") {
            continue;
        }
        if let Ok(f) = File::open(&path)
            && f.try_lock().is_ok()
        {
            // Nobody holds it: its instance is gone. Remove it while we hold it.
            let _ = fs::remove_file(&path);
            let _ = f.unlock();
        }
    }
}
