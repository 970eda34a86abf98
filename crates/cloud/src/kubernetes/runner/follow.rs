//! Following a step: its output files streamed back from the pod through
//! `exec`, from the byte offsets reached, reconnecting when the connection
//! drops, ending with the step's exit code.

use super::super::exec::Exit;

use super::*;
use switchyard_engine::runner::OutputKind;

impl KubernetesRunner {
    /// Starts the follower of a step from the given byte offsets.
    pub(super) fn follow(&self, job: Arc<PodJob>, key: StepKey, out: u64, err: u64) {
        let (tx, rx) = mpsc::channel(OUTPUT_QUEUE);
        let (done_tx, done_rx) = oneshot::channel();
        let retry = self.settings.retry;
        let target = self.target.clone();
        tokio::spawn(async move {
            let result = follow_loop(&job, key, out, err, tx, retry, &target).await;
            let _ = done_tx.send(result);
        });
        lock(&self.steps).insert(
            key,
            StepRun {
                output: Some(rx),
                done: Some(done_rx),
            },
        );
    }
}

/// Streams one step's output until it ends; reconnects from where it got to.
pub(super) async fn follow_loop(
    job: &PodJob,
    key: StepKey,
    mut out_off: u64,
    mut err_off: u64,
    tx: mpsc::Sender<Output>,
    retry: api::RetryPolicy,
    target: &str,
) -> Result<StepOutcome, RunnerError> {
    let id = step_id(key);
    let mut backoff = retry.backoff().without_max_times().with_total_delay(None).build();
    let mut last_progress = Instant::now();
    let mut receiver_gone = false;
    let mut stop_deadline: Option<tokio::time::Instant> = None;
    loop {
        if job.cancel.is_cancelled() && stop_deadline.is_none() {
            stop_deadline = Some(tokio::time::Instant::now() + STOP_WAIT);
        }
        let cmd = vec![
            "sh".to_string(),
            ".switchyard/follow".to_string(),
            id.clone(),
            out_off.to_string(),
            err_off.to_string(),
        ];
        let attempt = async {
            let mut proc = exec::start(&job.api, &job.pod, cmd, false).await?;
            let mut sink = Forward {
                tx: &tx,
                out: &mut out_off,
                err: &mut err_off,
                progress: &mut last_progress,
                receiver_gone: &mut receiver_gone,
            };
            let exit = exec::drain(&mut proc, &mut sink).await;
            proc.abort();
            Ok::<Exit, kube::Error>(exit)
        };
        let stopped = async {
            match stop_deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => {
                    job.cancel.cancelled().await;
                    tokio::time::sleep(STOP_WAIT).await;
                }
            }
        };
        let result = tokio::select! {
            r = attempt => r,
            _ = stopped => {
                // Stopped, and the pod did not report in time: give up on it.
                return Ok(StepOutcome { exit_code: None, signal: Some(9) });
            }
        };
        let problem = match result {
            Ok(Exit::Code(code)) => {
                return Ok(StepOutcome {
                    exit_code: Some(code),
                    signal: None,
                });
            }
            Ok(Exit::Failed(msg)) => msg,
            Err(e) if api::is_not_found(&e) => {
                if job.cancel.is_cancelled() {
                    return Ok(StepOutcome {
                        exit_code: None,
                        signal: Some(9),
                    });
                }
                return Err(RunnerError::Other(format!(
                    "the job's pod {} is gone: {}",
                    job.pod,
                    api::describe(&e)
                )));
            }
            Err(e) if !api::is_transient(&e) && !matches!(e, kube::Error::UpgradeConnection(_)) => {
                return Err(RunnerError::Other(format!(
                    "cannot follow the step's output: {}",
                    api::describe(&e)
                )));
            }
            Err(e) => api::describe(&e),
        };
        if job.cancel.is_cancelled() && stop_deadline.is_some_and(|d| tokio::time::Instant::now() > d) {
            return Ok(StepOutcome {
                exit_code: None,
                signal: Some(9),
            });
        }
        if last_progress.elapsed() > retry.give_up_after {
            return Err(RunnerError::Other(format!(
                "lost contact with the step in pod {} on cluster `{target}` for {}s: {problem}",
                job.pod,
                retry.give_up_after.as_secs()
            )));
        }
        let delay = backoff.next().unwrap_or(retry.max_delay);
        tracing::warn!(pod = %job.pod, step = %id, problem, ?delay, "following the step failed; reconnecting");
        tokio::time::sleep(delay).await;
    }
}

/// Hands a follower's output to the engine, counting where it got to.
struct Forward<'a> {
    tx: &'a mpsc::Sender<Output>,
    out: &'a mut u64,
    err: &'a mut u64,
    progress: &'a mut Instant,
    receiver_gone: &'a mut bool,
}

impl exec::Sink for Forward<'_> {
    async fn piece(&mut self, stderr: bool, data: &[u8]) {
        *self.progress = Instant::now();
        let kind = if stderr {
            *self.err += data.len() as u64;
            OutputKind::Stderr
        } else {
            *self.out += data.len() as u64;
            OutputKind::Stdout
        };
        if !*self.receiver_gone
            && self
                .tx
                .send(Output {
                    kind,
                    data: data.to_vec(),
                })
                .await
                .is_err()
        {
            // Keep reading so the step's output still drains.
            *self.receiver_gone = true;
        }
    }
}
