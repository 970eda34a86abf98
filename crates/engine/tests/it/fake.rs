//! A fake runner for scheduler tests, steered by the step's own text and
//! checking the runner lifecycle contract as it goes.
//!
//! Step scripts: `ok`, `exit N`, `sleep MS`, `say TEXT`, `fail-first N`
//! (exits 1 on the first N attempts), `panic TEXT` (the runner panics);
//! `env: {FAKE_PREPARE: permanent|transient}` fails preparing the job;
//! `env: {FAKE_NOTES: N}` floods the engine with N notes while preparing. Contract violations (a step started
//! twice, a step of an unprepared job, cleanup twice or never) are recorded,
//! and every test asserts there are none.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use switchyard_engine::runner::{
    CollectedFile, JobContext, JobKey, Output, OutputKind, Runner, RunnerError, RunnerFactory, StepKey,
    StepOutcome, StepSpec,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
struct State {
    prepared: HashMap<JobKey, JobContext>,
    started: HashSet<StepKey>,
    cleaned: HashSet<JobKey>,
    cancel: HashMap<JobKey, CancellationToken>,
    scripts: HashMap<StepKey, String>,
    outputs: HashMap<StepKey, mpsc::Receiver<Output>>,
    senders: HashMap<StepKey, mpsc::Sender<Output>>,
    running: usize,
    max_running: usize,
    /// (job name, start, end) of every step run.
    spans: Vec<(String, Instant, Instant)>,
    violations: Vec<String>,
}

#[derive(Default, Clone)]
pub struct FakeRunner {
    state: Arc<Mutex<State>>,
}

impl FakeRunner {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Panics with the list of contract violations, if any. Also checks that
    /// every prepared job was cleaned up.
    pub fn assert_contract(&self) {
        let s = self.state();
        let mut violations = s.violations.clone();
        for key in s.prepared.keys() {
            if !s.cleaned.contains(key) {
                violations.push(format!("job {key:?} was prepared but never cleaned up"));
            }
        }
        assert!(
            violations.is_empty(),
            "runner contract violated:\n{}",
            violations.join("\n")
        );
    }

    /// The most steps that ran at the same time.
    pub fn max_running(&self) -> usize {
        self.state().max_running
    }

    /// Start and end of the steps of a job.
    pub fn spans(&self, job: &str) -> Vec<(Instant, Instant)> {
        self.state()
            .spans
            .iter()
            .filter(|(j, _, _)| j == job)
            .map(|&(_, a, b)| (a, b))
            .collect()
    }
}

pub struct FakeProvider(pub FakeRunner);

impl RunnerFactory for FakeProvider {
    fn runner(&self, _target: Option<&str>) -> Result<Arc<dyn Runner>, RunnerError> {
        Ok(Arc::new(self.0.clone()))
    }
}

#[async_trait]
impl Runner for FakeRunner {
    async fn prepare(&self, job: &JobContext) -> Result<(), RunnerError> {
        let mut s = self.state();
        if s.prepared.contains_key(&job.key) && !s.cleaned.contains(&job.key) {
            s.violations
                .push(format!("job {:?} prepared twice without cleanup", job.key));
        }
        s.cleaned.remove(&job.key);
        s.prepared.insert(job.key, job.clone());
        s.cancel.insert(job.key, CancellationToken::new());
        // `env: {FAKE_NOTES: N}` sends N notes at once while preparing.
        if let Some(n) = job
            .env
            .iter()
            .find(|(k, _)| k == "FAKE_NOTES")
            .and_then(|(_, v)| v.parse::<usize>().ok())
            && let Some(tx) = &job.notes
        {
            for i in 0..n {
                let _ = tx.try_send(format!("note {i}"));
            }
        }
        // `env: {FAKE_PREPARE: permanent|transient}` makes preparing fail
        // (after which cleanup is still due).
        match job
            .env
            .iter()
            .find(|(k, _)| k == "FAKE_PREPARE")
            .map(|(_, v)| v.as_str())
        {
            Some("permanent") => Err(RunnerError::prepare_permanent("the image name is not valid")),
            Some("transient") => Err(RunnerError::prepare_transient("the cluster did not answer")),
            _ => Ok(()),
        }
    }

    async fn start(&self, step: StepKey, spec: &StepSpec) -> Result<(), RunnerError> {
        let mut s = self.state();
        if !s.prepared.contains_key(&step.job) || s.cleaned.contains(&step.job) {
            s.violations
                .push(format!("step {step:?} started for a job that is not prepared"));
        }
        if !s.started.insert(step) {
            s.violations.push(format!("step {step:?} started twice"));
        }
        let (tx, rx) = mpsc::channel(16);
        s.outputs.insert(step, rx);
        s.senders.insert(step, tx);
        s.scripts.insert(step, spec.script.clone());
        Ok(())
    }

    async fn logs(&self, step: StepKey) -> Result<mpsc::Receiver<Output>, RunnerError> {
        self.state()
            .outputs
            .remove(&step)
            .ok_or(RunnerError::UnknownStep(step))
    }

    async fn wait(&self, step: StepKey) -> Result<StepOutcome, RunnerError> {
        let (script, tx, cancel, ctx) = {
            let mut s = self.state();
            s.running += 1;
            s.max_running = s.max_running.max(s.running);
            (
                s.scripts.get(&step).cloned().unwrap_or_default(),
                s.senders.remove(&step),
                s.cancel.get(&step.job).cloned().unwrap_or_default(),
                s.prepared.get(&step.job).cloned(),
            )
        };
        let start = Instant::now();
        let mut words = script.split_whitespace();
        let cmd = words.next().unwrap_or("ok");
        let arg = words.collect::<Vec<_>>().join(" ");
        let exit = |code| StepOutcome {
            exit_code: Some(code),
            signal: None,
        };
        let outcome = match cmd {
            "ok" => exit(0),
            "exit" => exit(arg.parse().unwrap_or(1)),
            "say" => {
                if let Some(tx) = &tx {
                    let _ = tx
                        .send(Output {
                            kind: OutputKind::Stdout,
                            data: format!("{arg}\n").into_bytes(),
                        })
                        .await;
                }
                exit(0)
            }
            "sleep" => {
                let ms = arg.parse().unwrap_or(100);
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_millis(ms)) => exit(0),
                    _ = cancel.cancelled() => StepOutcome { exit_code: None, signal: Some(15) },
                }
            }
            "fail-first" => {
                let n: u32 = arg.parse().unwrap_or(1);
                let attempt = ctx.as_ref().map_or(1, |c| c.attempt);
                exit(if attempt <= n { 1 } else { 0 })
            }
            // An engine bug, as far as the scheduler can tell.
            "panic" => panic!("{arg}"),
            other => panic!("fake runner does not know `{other}`"),
        };
        drop(tx);
        let mut s = self.state();
        s.running -= 1;
        let job = ctx.map(|c| c.job).unwrap_or_default();
        s.spans.push((job, start, Instant::now()));
        Ok(outcome)
    }

    async fn cancel(&self, job: JobKey) -> Result<(), RunnerError> {
        if let Some(t) = self.state().cancel.get(&job) {
            t.cancel();
        }
        Ok(())
    }

    async fn collect(
        &self,
        _job: JobKey,
        _patterns: &[String],
        _dest: &Path,
    ) -> Result<Vec<CollectedFile>, RunnerError> {
        Ok(Vec::new())
    }

    async fn cleanup(&self, job: JobKey) -> Result<(), RunnerError> {
        let mut s = self.state();
        if !s.prepared.contains_key(&job) {
            s.violations
                .push(format!("cleanup of job {job:?} that was never prepared"));
        }
        if !s.cleaned.insert(job) {
            s.violations.push(format!("job {job:?} cleaned up twice"));
        }
        Ok(())
    }
}
