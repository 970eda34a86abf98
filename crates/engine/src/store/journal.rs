//! The journal: one row per change that another Switchyard process may want
//! to see (a run, job or step changing state, a log chunk written, a cancel
//! request, a project imported), written in the same savepoint as the change.
//!
//! Every process appends the rows of its own changes, named by its origin.
//! A [`Tail`] follows the rows of the other processes: it watches SQLite's
//! `data_version` (which moves only when another connection commits), reads
//! the new rows and turns them back into [`Event`]s, so that the desktop app
//! shows a run the CLI started as it goes, and the engine that runs a run
//! hears `switchyard cancel` from another terminal. Rows older than
//! [`KEEP`] are pruned; a tail that starts late only sees what happens after
//! it started (the history holds the rest).

use std::sync::Arc;
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{CHUNK_COLUMNS, Store, StoreError, chunk_from_row, now_ms};
use crate::events::Event;
use crate::status::{JobStatus, RunStatus, StepStatus};

/// How long journal rows are kept.
pub const KEEP: Duration = Duration::from_secs(3600);
/// How often the writer prunes old rows.
pub(super) const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// How often a [`Tail`] looks for other processes' changes.
pub const TAIL_INTERVAL: Duration = Duration::from_millis(200);

/// A process's name in the journal: its pid and start time.
pub fn new_origin() -> String {
    format!(
        "{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    )
}

/// An event as journaled: log chunks by reference (their data is in
/// `log_chunks`), names as text.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Row {
    Run {
        run_id: i64,
        project: String,
        status: RunStatus,
    },
    Job {
        run_id: i64,
        job_id: i64,
        job: String,
        status: JobStatus,
        attempt: u32,
        reason: Option<String>,
    },
    Step {
        run_id: i64,
        job_id: i64,
        job: String,
        attempt: u32,
        step: u32,
        name: String,
        status: StepStatus,
        exit_code: Option<i32>,
    },
    Log {
        run_id: i64,
        job_id: i64,
        job: String,
        seq: i64,
    },
    CancelRequested {
        run_id: i64,
    },
    Decided {
        run_id: i64,
        job_id: i64,
    },
    Project {
        name: String,
    },
    ConfigChanged,
    Alerts {
        opened: Vec<i64>,
    },
}

impl Row {
    fn of(event: &Event) -> Row {
        match event {
            Event::Run {
                run_id,
                project,
                status,
            } => Row::Run {
                run_id: *run_id,
                project: project.to_string(),
                status: *status,
            },
            Event::Job {
                run_id,
                job_id,
                job,
                status,
                attempt,
                reason,
            } => Row::Job {
                run_id: *run_id,
                job_id: *job_id,
                job: job.to_string(),
                status: *status,
                attempt: *attempt,
                reason: reason.clone(),
            },
            Event::Step {
                run_id,
                job_id,
                job,
                attempt,
                step,
                name,
                status,
                exit_code,
            } => Row::Step {
                run_id: *run_id,
                job_id: *job_id,
                job: job.to_string(),
                attempt: *attempt,
                step: *step,
                name: name.to_string(),
                status: *status,
                exit_code: *exit_code,
            },
            Event::Log {
                run_id,
                job_id,
                job,
                chunk,
            } => Row::Log {
                run_id: *run_id,
                job_id: *job_id,
                job: job.to_string(),
                seq: chunk.seq,
            },
            Event::CancelRequested { run_id } => Row::CancelRequested { run_id: *run_id },
            Event::Decided { run_id, job_id } => Row::Decided {
                run_id: *run_id,
                job_id: *job_id,
            },
            Event::Project { name } => Row::Project {
                name: name.to_string(),
            },
            // Each process watches the file itself.
            Event::ConfigChanged => Row::ConfigChanged,
            Event::Alerts { opened } => Row::Alerts {
                opened: opened.clone(),
            },
        }
    }

    /// The event again; `None` for a log chunk that is gone.
    fn into_event(self, c: &Connection) -> rusqlite::Result<Option<Event>> {
        Ok(Some(match self {
            Row::Run {
                run_id,
                project,
                status,
            } => Event::Run {
                run_id,
                project: project.into(),
                status,
            },
            Row::Job {
                run_id,
                job_id,
                job,
                status,
                attempt,
                reason,
            } => Event::Job {
                run_id,
                job_id,
                job: job.into(),
                status,
                attempt,
                reason,
            },
            Row::Step {
                run_id,
                job_id,
                job,
                attempt,
                step,
                name,
                status,
                exit_code,
            } => Event::Step {
                run_id,
                job_id,
                job: job.into(),
                attempt,
                step,
                name: name.into(),
                status,
                exit_code,
            },
            Row::Log {
                run_id,
                job_id,
                job,
                seq,
            } => {
                let chunk = c
                    .prepare_cached(&format!(
                        "SELECT {CHUNK_COLUMNS} FROM log_chunks WHERE job_id = ?1 AND seq = ?2"
                    ))?
                    .query_row(params![job_id, seq], chunk_from_row)
                    .optional()?;
                let Some(chunk) = chunk else { return Ok(None) };
                Event::Log {
                    run_id,
                    job_id,
                    job: job.into(),
                    chunk: Arc::new(chunk),
                }
            }
            Row::CancelRequested { run_id } => Event::CancelRequested { run_id },
            Row::Decided { run_id, job_id } => Event::Decided { run_id, job_id },
            Row::Project { name } => Event::Project { name: name.into() },
            Row::ConfigChanged => Event::ConfigChanged,
            Row::Alerts { opened } => Event::Alerts { opened },
        }))
    }
}

/// Appends the rows of `events` (in the caller's savepoint).
pub(super) fn append(c: &Connection, origin: &str, events: &[Event]) -> rusqlite::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut st = c.prepare_cached("INSERT INTO journal (origin, at, body) VALUES (?1, ?2, ?3)")?;
    for e in events {
        let body = serde_json::to_string(&Row::of(e))
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        st.execute(params![origin, now, body])?;
    }
    Ok(())
}

/// Deletes rows older than [`KEEP`]. Rows are in time order (`seq` grows
/// with `at`), so the newest old row is found by a search on `seq` from the
/// oldest up, not by an index on `at` that every write would have to keep.
pub(super) fn prune(c: &Connection) -> rusqlite::Result<()> {
    let before = now_ms() - KEEP.as_millis() as i64;
    let cut: Option<i64> = c
        .prepare_cached("SELECT MAX(seq) FROM journal WHERE at < ?1")?
        .query_row([before], |r| r.get(0))?;
    if let Some(cut) = cut {
        c.prepare_cached("DELETE FROM journal WHERE seq <= ?1")?
            .execute([cut])?;
    }
    Ok(())
}

/// Follows the journal rows of other processes.
pub struct Tail {
    store: Store,
    conn: Connection,
    after: i64,
    data_version: i64,
}

impl Tail {
    /// A tail that starts after the newest row now in the journal. Blocking
    /// (opens a connection).
    pub fn new(store: &Store) -> Result<Tail, StoreError> {
        let conn = super::open_reader(store.path())?;
        let after: i64 = conn.query_row("SELECT COALESCE(MAX(seq), 0) FROM journal", [], |r| r.get(0))?;
        let data_version = conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
        Ok(Tail {
            store: store.clone(),
            conn,
            after,
            data_version,
        })
    }

    /// The events of the rows other processes wrote since the last call.
    /// Cheap when nothing changed: one `PRAGMA data_version`. Blocking.
    pub fn poll(&mut self) -> Result<Vec<Event>, StoreError> {
        let version: i64 = self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?;
        if version == self.data_version {
            return Ok(Vec::new());
        }
        self.data_version = version;
        // Most commits are this process's own: read only the others' rows.
        let newest: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM journal")?
            .query_row([], |r| r.get(0))?;
        if newest <= self.after {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, body FROM journal WHERE seq > ?1 AND seq <= ?2 AND origin <> ?3 ORDER BY seq",
            )?
            .query_map(params![self.after, newest, self.store.origin()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        self.after = newest;
        let mut events = Vec::new();
        for (seq, body) in rows {
            match serde_json::from_str::<Row>(&body) {
                Ok(row) => events.extend(row.into_event(&self.conn)?),
                // A newer Switchyard may journal kinds this one does not know.
                Err(e) => tracing::debug!(seq, error = %e, "skipping a journal row"),
            }
        }
        Ok(events)
    }

    /// Polls every [`TAIL_INTERVAL`] until `stop` is cancelled, handing each
    /// event to `deliver` (which returns false to stop). Runs on a blocking
    /// thread.
    pub async fn follow(
        mut self,
        stop: tokio_util::sync::CancellationToken,
        deliver: impl Fn(Event) -> bool + Send + 'static,
    ) {
        let deliver = Arc::new(deliver);
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(TAIL_INTERVAL) => {}
            }
            let d = deliver.clone();
            let polled = tokio::task::spawn_blocking(move || {
                let events = self.poll();
                (self, events)
            })
            .await;
            let Ok((tail, events)) = polled else { return };
            self = tail;
            match events {
                Ok(events) => {
                    for e in events {
                        if !d(e) {
                            return;
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read other processes' changes"),
            }
        }
    }
}
