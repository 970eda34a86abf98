//! Approval jobs: gates that wait for a person.
//!
//! A gate is `waiting` (its message as the reason) until someone approves
//! it (it succeeds) or rejects it (it fails), in this process or in another
//! (the decision is written to the history and the engine that runs the run
//! is woken through its journal tail); its `timeout` fails it when nobody
//! decided, and cancelling the run cancels it. It holds no runner slot.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use crate::pipeline::format_duration;
use crate::state::Inner;
use crate::status::JobStatus;
use crate::store::{Decision, JobUpdate, now_ms};

/// One approval job of a run.
pub(crate) struct Gate {
    pub inner: Arc<Inner>,
    pub run_id: i64,
    pub job_id: i64,
    pub name: Arc<str>,
    pub message: String,
    pub timeout: Option<Duration>,
    pub token: CancellationToken,
}

enum End {
    Decided(Decision),
    TimedOut,
    Cancelled,
}

impl Gate {
    async fn publish(
        &self,
        status: JobStatus,
        reason: Option<String>,
        started: Option<i64>,
        finished: Option<i64>,
    ) {
        self.inner
            .store
            .job_state(JobUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.name.clone(),
                status,
                attempts: 1,
                reason,
                started_at: started,
                finished_at: finished,
            })
            .await;
    }

    pub(crate) async fn run(self) -> JobStatus {
        let wake = Arc::new(Notify::new());
        self.inner.wait_for_decision(self.job_id, wake.clone());
        let started = now_ms();
        self.publish(
            JobStatus::Waiting,
            Some(self.message.clone()),
            Some(started),
            None,
        )
        .await;
        let deadline = self.timeout.map(|t| tokio::time::Instant::now() + t);
        let end = loop {
            match self.inner.store.decision(self.job_id).await {
                Ok(Some(d)) => break End::Decided(d),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the decision on an approval job"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = self.token.cancelled() => break End::Cancelled,
                _ = async {
                    match deadline {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => break End::TimedOut,
            }
        };
        self.inner.decided(self.job_id);
        let (status, reason) = match end {
            End::Decided(d) => {
                let said = d.comment.map(|c| format!(": {c}")).unwrap_or_default();
                if d.approved {
                    (JobStatus::Succeeded, format!("approved by {}{said}", d.by))
                } else {
                    (JobStatus::Failed, format!("rejected by {}{said}", d.by))
                }
            }
            End::TimedOut => (
                JobStatus::TimedOut,
                format!(
                    "nobody approved or rejected it within its timeout of {}",
                    self.timeout.map(format_duration).unwrap_or_default()
                ),
            ),
            End::Cancelled => (JobStatus::Cancelled, "the run was cancelled".to_string()),
        };
        self.publish(status, Some(reason), Some(started), Some(now_ms()))
            .await;
        status
    }
}
