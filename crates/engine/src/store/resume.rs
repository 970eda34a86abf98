//! What the history keeps so that a restarted engine can resume a run whose
//! jobs went on without it (pods in a cluster): the run's snapshot (the
//! pipeline text as planned, the job selection and the run's options), and
//! how far each step's output got into the log.

use std::collections::HashMap;

use rusqlite::params;
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// Everything needed to plan a run again exactly as it was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSnapshot {
    /// The pipeline file's text when the run started.
    pub pipeline: String,
    /// The jobs selected (empty: all).
    pub jobs: Vec<String>,
    /// `RunOptions::in_place`.
    pub in_place: bool,
    /// `RunOptions::keep_workspace`.
    pub keep_workspace: bool,
    /// `RunOptions::parallelism`.
    pub parallelism: Option<usize>,
    /// `RunOptions::source`, by name.
    pub source: String,
    /// The commit the run was started at.
    pub commit: Option<String>,
    /// `RunOptions::deploy`.
    #[serde(default)]
    pub deploy: crate::state::DeployOptions,
    /// `RunOptions::target`.
    #[serde(default)]
    pub target: Option<String>,
}

/// How far a job's log got, per attempt and step.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogState {
    /// The next line number.
    pub next_line: i64,
    /// The next chunk number.
    pub next_seq: i64,
    /// Lines of (stdout, stderr) stored, by (attempt, step).
    pub lines: HashMap<(u32, u32), (u64, u64)>,
}

impl Store {
    /// Records the run's snapshot.
    pub async fn save_snapshot(&self, run_id: i64, snapshot: &RunSnapshot) -> Result<(), StoreError> {
        let json = serde_json::to_string(snapshot)
            .map_err(|e| StoreError::QueryFailed(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        self.write(move |c| {
            c.execute(
                "UPDATE runs SET snapshot = ?2 WHERE id = ?1",
                params![run_id, json],
            )
            .map(|_| ())
        })
        .await
    }

    /// The run's snapshot, when it has a readable one.
    pub async fn snapshot(&self, run_id: i64) -> Result<Option<RunSnapshot>, StoreError> {
        let text: Option<String> = self
            .read(move |c| {
                c.query_row("SELECT snapshot FROM runs WHERE id = ?1", [run_id], |r| r.get(0))
                    .or_else(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Ok(None),
                        e => Err(e),
                    })
            })
            .await?;
        Ok(text.and_then(|t| serde_json::from_str(&t).ok()))
    }

    /// Makes `owner` the engine that runs the run.
    pub async fn take_over_run(&self, run_id: i64, owner: String) -> Result<(), StoreError> {
        self.write(move |c| {
            c.execute("UPDATE runs SET owner = ?2 WHERE id = ?1", params![run_id, owner])
                .map(|_| ())
        })
        .await
    }

    /// Every runner name jobs have used (`local`, `kubernetes:staging`, ...).
    pub async fn runner_names(&self) -> Result<Vec<String>, StoreError> {
        self.read(|c| {
            let mut st = c.prepare("SELECT DISTINCT runner FROM jobs ORDER BY runner")?;
            st.query_map([], |r| r.get(0))?.collect()
        })
        .await
    }

    /// Whether a job is still going: its run and the job itself have not
    /// ended. `None` when there is no such job.
    pub async fn job_going(&self, run_id: i64, job_id: i64) -> Result<Option<bool>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT j.status IN ('queued', 'running', 'waiting') AND r.status IN ('queued', 'running')
                 FROM jobs j JOIN runs r ON r.id = j.run_id WHERE j.id = ?1 AND r.id = ?2",
                params![job_id, run_id],
                |r| r.get::<_, bool>(0),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
        })
        .await
    }

    /// How far the job's log got.
    pub async fn log_state(&self, job_id: i64) -> Result<LogState, StoreError> {
        let chunks = self.log_chunks(job_id, None).await?;
        let mut state = LogState {
            next_line: 1,
            next_seq: 0,
            lines: HashMap::new(),
        };
        for chunk in &chunks {
            state.next_seq = state.next_seq.max(chunk.seq + 1);
            state.next_line = state.next_line.max(chunk.first_line + chunk.line_count);
            for line in crate::lines::decode(chunk) {
                let Some(step) = line.step else { continue };
                let entry = state.lines.entry((line.attempt, step)).or_default();
                match line.stream {
                    crate::lines::Stream::Stdout => entry.0 += 1,
                    crate::lines::Stream::Stderr => entry.1 += 1,
                    crate::lines::Stream::System => {}
                }
            }
        }
        Ok(state)
    }
}
