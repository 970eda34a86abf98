//! History in SQLite: projects, runs, jobs, steps, log chunks, test results
//! and artifacts.
//!
//! One writer thread owns the only writing connection and commits whatever has
//! queued up in one transaction (each operation in its own savepoint, so one
//! failing write does not take others with it). Reads use a separate
//! connection; WAL mode lets them proceed while the writer works, also from
//! other processes (`switchyard logs --follow` while a run is going). Runs are
//! written as they happen, so a crash leaves a consistent database in which
//! unfinished runs are found and marked `interrupted` on the next start.

mod migrations;
mod queries;
mod resume;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

pub use queries::*;
pub use resume::{LogState, RunSnapshot};

/// Why the history could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or prepared.
    #[error("cannot open the history database {}: {source}; check that the directory is writable, or set SWITCHYARD_HOME to another directory", path.display())]
    OpenFailed {
        /// The database file.
        path: PathBuf,
        /// What SQLite said.
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer Switchyard.
    #[error("the history database {} has schema version {found}, newer than this Switchyard understands ({supported}); upgrade Switchyard", path.display())]
    TooNew {
        /// The database file.
        path: PathBuf,
        /// Its schema version.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
    /// A query failed.
    #[error("history database query failed: {0}")]
    QueryFailed(#[from] rusqlite::Error),
    /// The writer thread has stopped (the engine is shutting down).
    #[error("the history writer has stopped; Switchyard is shutting down")]
    WriterStopped,
}

/// What the writer does with an operation's savepoint.
enum Outcome {
    Keep,
    RollBack,
}

/// Told whether the transaction holding an operation was committed; called
/// after the commit, so a caller that hears back can read what it wrote.
type Done = Box<dyn FnOnce(Result<(), rusqlite::Error>) + Send>;

type Op = Box<dyn FnOnce(&Connection) -> (Outcome, Option<Done>) + Send>;

/// Handle to the history database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Op>,
    reader: Mutex<Connection>,
}

/// Capacity of the writer's queue; producers wait when it is full, which
/// keeps memory flat when a step prints faster than the disk takes it.
const WRITER_QUEUE: usize = 64;
/// Most operations committed in one transaction.
const MAX_BATCH: usize = 512;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_failed = |source| StoreError::OpenFailed {
            path: path.to_path_buf(),
            source,
        };
        let mut writer_conn = Connection::open(path).map_err(open_failed)?;
        configure(&writer_conn).map_err(open_failed)?;
        migrations::migrate(&mut writer_conn, path)?;
        let reader = Connection::open(path).map_err(open_failed)?;
        configure(&reader).map_err(open_failed)?;

        let (tx, rx) = mpsc::channel::<Op>(WRITER_QUEUE);
        std::thread::Builder::new()
            .name("switchyard-db-writer".into())
            .spawn(move || writer_loop(writer_conn, rx))
            .map_err(|e| StoreError::OpenFailed {
                path: path.to_path_buf(),
                source: rusqlite::Error::ToSqlConversionFailure(Box::new(e)),
            })?;
        Ok(Store {
            inner: Arc::new(Inner {
                path: path.to_path_buf(),
                writer: tx,
                reader: Mutex::new(reader),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the writer and returns its result once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let op: Op = Box::new(move |conn| match f(conn) {
            Ok(v) => {
                let done: Done = Box::new(move |committed| {
                    let _ = tx.send(committed.map(|()| v));
                });
                (Outcome::Keep, Some(done))
            }
            Err(e) => {
                let done: Done = Box::new(move |_| {
                    let _ = tx.send(Err(e));
                });
                (Outcome::RollBack, Some(done))
            }
        });
        self.inner
            .writer
            .send(op)
            .await
            .map_err(|_| StoreError::WriterStopped)?;
        rx.await
            .map_err(|_| StoreError::WriterStopped)?
            .map_err(StoreError::QueryFailed)
    }

    /// Queues `f` on the writer without waiting for it; a failure is logged.
    /// Operations are applied in the order they are queued.
    pub async fn send<F>(&self, what: &'static str, f: F)
    where
        F: FnOnce(&Connection) -> rusqlite::Result<()> + Send + 'static,
    {
        let op: Op = Box::new(move |conn| match f(conn) {
            Ok(()) => (Outcome::Keep, None),
            Err(e) => {
                tracing::error!(error = %e, "history write failed: {what}");
                (Outcome::RollBack, None)
            }
        });
        if self.inner.writer.send(op).await.is_err() {
            tracing::error!("history write dropped, the writer has stopped: {what}");
        }
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
    }

    /// Runs a read-only query on the reading connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = self
            .inner
            .reader
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(f(&conn)?)
    }
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Op>) {
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(_) => break,
            }
        }
        if let Err(e) = conn.execute_batch("BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "history transaction could not start; writing one by one");
            for op in batch {
                if let (_, Some(done)) = op(&conn) {
                    done(Ok(()));
                }
            }
            continue;
        }
        let mut waiting: Vec<Done> = Vec::new();
        for op in batch {
            if let Err(e) = conn.execute_batch("SAVEPOINT op") {
                tracing::error!(error = %e, "history savepoint failed");
                continue;
            }
            let (outcome, done) = op(&conn);
            if let Outcome::RollBack = outcome {
                let _ = conn.execute_batch("ROLLBACK TO op");
            }
            let _ = conn.execute_batch("RELEASE op");
            waiting.extend(done);
        }
        match conn.execute_batch("COMMIT") {
            Ok(()) => waiting.into_iter().for_each(|done| done(Ok(()))),
            Err(e) => {
                tracing::error!(error = %e, "history commit failed; the last writes are lost");
                let _ = conn.execute_batch("ROLLBACK");
                for done in waiting {
                    done(Err(rusqlite::Error::SqliteFailure(
                        rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ABORT),
                        Some(format!("commit failed: {e}")),
                    )));
                }
            }
        }
    }
}

/// Milliseconds since the Unix epoch, the unit of every timestamp stored.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
