//! The local runner: steps run as `sh -c` processes on this machine, in the
//! run's workspace.
//!
//! Each step leads its own process group. Cancelling a job sends SIGTERM to
//! the groups (and any descendants that left them), then SIGKILL after a
//! grace period; cleanup kills whatever a step left running in the
//! background. Steps inherit Switchyard's environment, minus the
//! `SWITCHYARD_SECRET_*` variables, plus the job's variables and secrets.

use std::collections::HashMap;
#[cfg(target_os = "linux")]
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use nix::sys::signal::Signal;
use secrecy::ExposeSecret;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::process::{group_alive, signal_tree};
use super::{
    CollectedFile, JobContext, JobKey, Output, OutputKind, Retry, Runner, RunnerError, StepKey, StepOutcome,
    StepSpec,
};
use crate::secrets::ENV_PREFIX;

/// How long output readers may go on after a step's shell exited (for output
/// still in the pipe); a background process that keeps the pipe open is not
/// waited for.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(250);
/// Read size for a step's pipes.
const READ_BUF: usize = 128 * 1024;
/// Capacity asked for each of a step's pipes (Linux allows 1 MiB unprivileged).
#[cfg(target_os = "linux")]
const PIPE_BYTES: i32 = 1 << 20;
/// Pieces of output buffered between a step and the engine.
const OUTPUT_QUEUE: usize = 64;

struct LocalJob {
    ctx: JobContext,
    /// (process group id, pid of the step's shell) of every step started.
    groups: Vec<(i32, i32)>,
    /// The file `SWITCHYARD_OUTPUT` names (removed with the job).
    output: Option<Arc<tempfile::TempPath>>,
}

struct LocalStep {
    child: Option<Child>,
    output: Option<mpsc::Receiver<Output>>,
    readers: Vec<JoinHandle<()>>,
}

/// Runs steps as local processes.
pub struct LocalRunner {
    jobs: Mutex<HashMap<JobKey, LocalJob>>,
    steps: Mutex<HashMap<StepKey, LocalStep>>,
    kill_grace: Duration,
}

impl Default for LocalRunner {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalRunner {
    /// A runner that gives cancelled steps 3 s to exit after SIGTERM.
    pub fn new() -> LocalRunner {
        LocalRunner::with_kill_grace(Duration::from_secs(3))
    }

    /// A runner with another grace period between SIGTERM and SIGKILL.
    pub fn with_kill_grace(kill_grace: Duration) -> LocalRunner {
        LocalRunner {
            jobs: Mutex::new(HashMap::new()),
            steps: Mutex::new(HashMap::new()),
            kill_grace,
        }
    }

    fn jobs(&self) -> std::sync::MutexGuard<'_, HashMap<JobKey, LocalJob>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn steps(&self) -> std::sync::MutexGuard<'_, HashMap<StepKey, LocalStep>> {
        self.steps.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The shell steps run with: `sh` found once on PATH (saving every step the
/// search through PATH), or plain `sh` to let the spawn report what is missing.
fn shell() -> &'static Path {
    static SHELL: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    SHELL.get_or_init(|| {
        std::env::var_os("PATH")
            .and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("sh"))
                    .find(|candidate| candidate.is_file())
            })
            .unwrap_or_else(|| PathBuf::from("sh"))
    })
}

/// The `SWITCHYARD_SECRET_*` variables of Switchyard's own environment
/// (which steps must not inherit), found once.
fn secret_variables() -> &'static [std::ffi::OsString] {
    static NAMES: std::sync::OnceLock<Vec<std::ffi::OsString>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| {
        std::env::vars_os()
            .map(|(name, _)| name)
            .filter(|name| name.to_string_lossy().starts_with(ENV_PREFIX))
            .collect()
    })
}

fn start_dir(
    workspace: &Path,
    job_dir: Option<&str>,
    step_dir: Option<&str>,
) -> Result<PathBuf, RunnerError> {
    let dir = match step_dir.or(job_dir) {
        Some(rel) => workspace.join(rel),
        None => workspace.to_path_buf(),
    };
    if !dir.is_dir() {
        return Err(RunnerError::StartFailed {
            reason: format!(
                "working_dir `{}` does not exist in the workspace {}",
                step_dir.or(job_dir).unwrap_or("."),
                workspace.display()
            ),
            source: None,
            retry: Retry::Permanent,
        });
    }
    Ok(dir)
}

fn spawn_reader<R>(mut pipe: R, kind: OutputKind, tx: mpsc::Sender<Output>) -> JoinHandle<()>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buf = vec![0u8; READ_BUF];
        let mut receiver_gone = false;
        loop {
            match pipe.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if receiver_gone {
                        continue;
                    }
                    let piece = Output {
                        kind,
                        data: buf[..n].to_vec(),
                    };
                    if tx.send(piece).await.is_err() {
                        // Keep draining so the process never blocks on a full pipe.
                        receiver_gone = true;
                    }
                }
            }
        }
    })
}

#[async_trait]
impl Runner for LocalRunner {
    async fn prepare(&self, job: &JobContext) -> Result<(), RunnerError> {
        if !job.workspace.is_dir() {
            return Err(RunnerError::prepare_permanent(format!(
                "the workspace {} does not exist",
                job.workspace.display()
            )));
        }
        let output = tokio::task::spawn_blocking(|| {
            tempfile::Builder::new()
                .prefix("switchyard-output-")
                .tempfile()
                .map(|f| f.into_temp_path())
        })
        .await
        .map_err(|e| RunnerError::Other(e.to_string()))?
        .map_err(|e| RunnerError::prepare_permanent(format!("cannot create the job's output file: {e}")))?;
        self.jobs().insert(
            job.key,
            LocalJob {
                ctx: job.clone(),
                groups: Vec::new(),
                output: Some(Arc::new(output)),
            },
        );
        Ok(())
    }

    async fn start(&self, key: StepKey, spec: &StepSpec) -> Result<(), RunnerError> {
        let (ctx, output) = self
            .jobs()
            .get(&key.job)
            .map(|j| (j.ctx.clone(), j.output.clone()))
            .ok_or(RunnerError::UnknownStep(key))?;
        let dir = start_dir(
            &ctx.workspace,
            ctx.working_dir.as_deref(),
            spec.working_dir.as_deref(),
        )?;

        let mut cmd = Command::new(shell());
        cmd.arg("-c")
            .arg(&spec.script)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0)
            .kill_on_drop(false);
        for name in secret_variables() {
            cmd.env_remove(name);
        }
        cmd.env("CI", "true")
            .env("SWITCHYARD", "1")
            .env("SWITCHYARD_RUN_ID", ctx.key.run_id.to_string())
            .env("SWITCHYARD_PROJECT", &ctx.project)
            .env("SWITCHYARD_JOB", &ctx.job)
            .env("SWITCHYARD_ATTEMPT", ctx.attempt.to_string())
            .env("SWITCHYARD_WORKSPACE", &ctx.workspace);
        if let Some(path) = &output {
            cmd.env("SWITCHYARD_OUTPUT", path.as_os_str());
        }
        for (k, v) in ctx.env.iter().chain(spec.env.iter()) {
            cmd.env(k, v);
        }
        for (k, v) in &ctx.secrets {
            cmd.env(k, v.expose_secret());
        }
        let mut child = cmd.spawn().map_err(|e| RunnerError::StartFailed {
            reason: format!("cannot run `sh` in {}: {e}", dir.display()),
            // Out of processes or memory may pass; a missing shell will not.
            retry: match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => Retry::Permanent,
                _ => Retry::Transient,
            },
            source: Some(e),
        })?;
        let pid = child.id().map(|p| p as i32).unwrap_or(0);
        let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
        let mut readers = Vec::with_capacity(2);
        #[cfg(target_os = "linux")]
        for fd in [
            child.stdout.as_ref().map(|p| p.as_fd()),
            child.stderr.as_ref().map(|p| p.as_fd()),
        ]
        .into_iter()
        .flatten()
        {
            // A bigger pipe lets a chatty step run ahead while its output is
            // stored, instead of stalling every 64 KiB. Best effort.
            let _ = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_SETPIPE_SZ(PIPE_BYTES));
        }
        if let Some(out) = child.stdout.take() {
            readers.push(spawn_reader(out, OutputKind::Stdout, tx.clone()));
        }
        if let Some(err) = child.stderr.take() {
            readers.push(spawn_reader(err, OutputKind::Stderr, tx));
        }
        if let Some(job) = self.jobs().get_mut(&key.job) {
            job.groups.push((pid, pid));
        }
        self.steps().insert(
            key,
            LocalStep {
                child: Some(child),
                output: Some(rx),
                readers,
            },
        );
        Ok(())
    }

    async fn logs(&self, key: StepKey) -> Result<mpsc::Receiver<Output>, RunnerError> {
        self.steps()
            .get_mut(&key)
            .and_then(|s| s.output.take())
            .ok_or(RunnerError::UnknownStep(key))
    }

    async fn wait(&self, key: StepKey) -> Result<StepOutcome, RunnerError> {
        let (child, readers) = {
            let mut steps = self.steps();
            let step = steps.get_mut(&key).ok_or(RunnerError::UnknownStep(key))?;
            (step.child.take(), std::mem::take(&mut step.readers))
        };
        let Some(mut child) = child else {
            return Err(RunnerError::UnknownStep(key));
        };
        let status = child
            .wait()
            .await
            .map_err(|e| RunnerError::Other(format!("cannot wait for the step's process: {e}")))?;
        // Let the readers pick up what is still in the pipes, but don't wait
        // for background processes that keep them open.
        let deadline = tokio::time::Instant::now() + DRAIN_AFTER_EXIT;
        for mut reader in readers {
            if tokio::time::timeout_at(deadline, &mut reader).await.is_err() {
                reader.abort();
            }
        }
        self.steps().remove(&key);
        #[cfg(unix)]
        let signal = std::os::unix::process::ExitStatusExt::signal(&status);
        #[cfg(not(unix))]
        let signal = None;
        Ok(StepOutcome {
            exit_code: status.code(),
            signal,
        })
    }

    async fn cancel(&self, job: JobKey) -> Result<(), RunnerError> {
        let groups = self
            .jobs()
            .get(&job)
            .map(|j| j.groups.clone())
            .unwrap_or_default();
        for &(pgid, root) in &groups {
            signal_tree(pgid, root, Signal::SIGTERM);
        }
        let grace = self.kill_grace;
        tokio::spawn(async move {
            tokio::time::sleep(grace).await;
            for (pgid, root) in groups {
                if group_alive(pgid) {
                    signal_tree(pgid, root, Signal::SIGKILL);
                }
            }
        });
        Ok(())
    }

    async fn collect(
        &self,
        job: JobKey,
        patterns: &[String],
        _dest: &Path,
    ) -> Result<Vec<CollectedFile>, RunnerError> {
        let workspace = self
            .jobs()
            .get(&job)
            .map(|j| j.ctx.workspace.clone())
            .ok_or_else(|| RunnerError::CollectFailed("the job is not prepared".into()))?;
        let patterns = patterns.to_vec();
        // The files are already on this machine: no copy is needed.
        let found = tokio::task::spawn_blocking(move || crate::artifacts::find(&workspace, &patterns))
            .await
            .map_err(|e| RunnerError::CollectFailed(e.to_string()))?
            .map_err(|e| RunnerError::CollectFailed(e.to_string()))?;
        Ok(found
            .into_iter()
            .map(|m| CollectedFile {
                rel: m.rel,
                path: m.path,
            })
            .collect())
    }

    async fn outputs(&self, job: JobKey) -> Result<Vec<u8>, RunnerError> {
        let Some(path) = self.jobs().get(&job).and_then(|j| j.output.clone()) else {
            return Ok(Vec::new());
        };
        tokio::task::spawn_blocking(move || {
            use std::io::Read;
            let mut bytes = Vec::new();
            std::fs::File::open(&*path)
                .and_then(|f| {
                    f.take(crate::outputs::MAX_BYTES as u64 + 1)
                        .read_to_end(&mut bytes)
                })
                .map(|_| bytes)
                .map_err(|e| RunnerError::Other(format!("cannot read the job's outputs: {e}")))
        })
        .await
        .map_err(|e| RunnerError::Other(e.to_string()))?
    }

    async fn cleanup(&self, job: JobKey) -> Result<(), RunnerError> {
        let removed = self.jobs().remove(&job);
        let leftover: Vec<(StepKey, LocalStep)> = {
            let mut steps = self.steps();
            let keys: Vec<StepKey> = steps.keys().filter(|k| k.job == job).copied().collect();
            keys.into_iter()
                .filter_map(|k| steps.remove(&k).map(|s| (k, s)))
                .collect()
        };
        if let Some(job) = removed {
            for (pgid, root) in job.groups {
                if group_alive(pgid) {
                    tracing::debug!(pgid, "killing processes a step left running");
                    signal_tree(pgid, root, Signal::SIGKILL);
                }
            }
        }
        for (_, mut step) in leftover {
            for r in step.readers.drain(..) {
                r.abort();
            }
            if let Some(mut child) = step.child.take() {
                let _ = child.start_kill();
                let _ = child.wait().await;
            }
        }
        Ok(())
    }
}
