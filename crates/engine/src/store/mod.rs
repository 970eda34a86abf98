//! History in SQLite: projects, runs, jobs, steps, log chunks, test results
//! and artifacts, and the journal of changes that lets every Switchyard
//! process on the machine follow the others.
//!
//! One writer thread owns the only writing connection and commits whatever has
//! queued up in one transaction (each operation in its own savepoint, so one
//! failing write does not take others with it). A change that others may
//! care about (a run, job or step changing state, a log chunk, a cancel
//! request) is written together with a row of the `journal` table, in the
//! same savepoint, and its [`Event`] is published on the store's
//! [`EventBus`] only once the transaction has committed: a subscriber that
//! reads the history on an event finds what the event announces.
//!
//! Reads never block the async runtime: [`Store::read`] runs the query on a
//! blocking thread with a connection from a small pool (WAL lets readers
//! proceed while the writer works, also in other processes).
//! [`journal::Tail`] follows the journal rows other processes write, so an
//! open desktop app sees a run the CLI started as it goes.
//!
//! Runs are written as they happen, so a crash leaves a consistent database
//! in which unfinished runs are found and marked `interrupted` on the next
//! start.

pub mod journal;
mod migrations;
mod queries;
mod resume;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::{mpsc, oneshot};

use crate::events::{Event, EventBus};

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
    /// A read's blocking thread could not run or panicked.
    #[error("a history read failed unexpectedly: {0}")]
    ReadFailed(String),
}

/// What the writer does with an operation's savepoint.
enum Outcome {
    Keep,
    RollBack,
}

/// Told whether the transaction holding an operation was committed; called
/// after the commit, so a caller that hears back can read what it wrote.
type Done = Box<dyn FnOnce(Result<(), rusqlite::Error>) + Send>;

/// The work of one queued write: what to do with its savepoint, and whom
/// to tell after the commit.
type Work = Box<dyn FnOnce(&Connection) -> (Outcome, Option<Done>) + Send>;

/// One queued write.
struct Op {
    /// Whether a caller waits for its commit (then it is committed at once).
    waited: bool,
    run: Work,
}

/// Handle to the history database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: mpsc::Sender<Op>,
    readers: ReaderPool,
    events: EventBus,
    /// Names this process in the journal, so its own rows are not read back.
    origin: Arc<str>,
}

/// Capacity of the writer's queue; producers wait when it is full, which
/// keeps memory flat when a step prints faster than the disk takes it.
const WRITER_QUEUE: usize = 64;
/// Most operations committed in one transaction.
const MAX_BATCH: usize = 512;
/// Longest time the writer gathers writes nobody waits for into one
/// transaction.
const GATHER: Duration = Duration::from_millis(3);
const GATHER_STEP: Duration = Duration::from_micros(500);
/// Most reading connections open at once.
const MAX_READERS: usize = 4;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // Reads map the file instead of copying pages (history queries scan much).
    conn.pragma_update(None, "mmap_size", 268_435_456i64)?;
    Ok(())
}

/// A few reading connections, handed out one per read and returned after.
struct ReaderPool {
    path: PathBuf,
    state: Mutex<PoolState>,
    returned: Condvar,
}

struct PoolState {
    idle: Vec<Connection>,
    open: usize,
}

impl ReaderPool {
    fn new(path: &Path, first: Connection) -> ReaderPool {
        ReaderPool {
            path: path.to_path_buf(),
            state: Mutex::new(PoolState {
                idle: vec![first],
                open: 1,
            }),
            returned: Condvar::new(),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let conn = {
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                if let Some(c) = state.idle.pop() {
                    break c;
                }
                if state.open < MAX_READERS {
                    state.open += 1;
                    drop(state);
                    match open_reader(&self.path) {
                        Ok(c) => break c,
                        Err(e) => {
                            self.state.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                            self.returned.notify_one();
                            return Err(e);
                        }
                    }
                }
                state = self.returned.wait(state).unwrap_or_else(|p| p.into_inner());
            }
        };
        // A read that panics loses its connection, not the pool.
        struct Give<'a>(&'a ReaderPool, Option<Connection>);
        impl Drop for Give<'_> {
            fn drop(&mut self) {
                let mut state = self.0.state.lock().unwrap_or_else(|p| p.into_inner());
                match self.1.take() {
                    Some(c) if !std::thread::panicking() => state.idle.push(c),
                    _ => state.open -= 1,
                }
                self.0.returned.notify_one();
            }
        }
        let give = Give(self, Some(conn));
        let result = f(give
            .1
            .as_ref()
            .expect("the connection is held until the read ends"));
        drop(give);
        Ok(result?)
    }
}

fn open_reader(path: &Path) -> Result<Connection, StoreError> {
    let open_failed = |source| StoreError::OpenFailed {
        path: path.to_path_buf(),
        source,
    };
    let conn = Connection::open(path).map_err(open_failed)?;
    configure(&conn).map_err(open_failed)?;
    Ok(conn)
}

impl Store {
    /// Opens (creating and migrating as needed) the database at `path`, with
    /// its own event bus.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, EventBus::new(), &journal::new_origin())
    }

    /// Opens the database, publishing committed changes on `events` and
    /// naming this process `origin` in the journal.
    pub fn open_with(path: &Path, events: EventBus, origin: &str) -> Result<Store, StoreError> {
        let open_failed = |source| StoreError::OpenFailed {
            path: path.to_path_buf(),
            source,
        };
        let mut writer_conn = Connection::open(path).map_err(open_failed)?;
        configure(&writer_conn).map_err(open_failed)?;
        migrations::migrate(&mut writer_conn, path)?;
        journal::prune(&writer_conn)?;
        let reader = open_reader(path)?;

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
                readers: ReaderPool::new(path, reader),
                events,
                origin: origin.into(),
            }),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// The bus on which committed changes (this process's, and other
    /// processes' once a [`journal::Tail`] follows them) are published.
    pub fn events(&self) -> &EventBus {
        &self.inner.events
    }

    /// This process's name in the journal.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// Runs `f` on the writer and returns its result once committed.
    pub async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        self.change(move |c| f(c).map(|v| (v, Vec::new()))).await
    }

    /// Runs `f` on the writer, journals the events it returns in the same
    /// savepoint, and returns its value once committed. The events are
    /// published after the commit.
    pub(crate) async fn change<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<(T, Vec<Event>)> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let bus = self.inner.events.clone();
        let origin = self.inner.origin.clone();
        let run = Box::new(move |conn: &Connection| {
            let result = f(conn).and_then(|(v, events)| {
                journal::append(conn, &origin, &events)?;
                Ok((v, events))
            });
            match result {
                Ok((v, events)) => {
                    let done: Done = Box::new(move |committed| {
                        if committed.is_ok() {
                            for e in events {
                                bus.publish(e);
                            }
                        }
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
            }
        });
        self.inner
            .writer
            .send(Op { waited: true, run })
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
        self.send_change(what, move |c| f(c).map(|()| Vec::new())).await
    }

    /// Queues `f` on the writer without waiting for it; the events it
    /// returns are journaled with it and published once it is committed.
    pub(crate) async fn send_change<F>(&self, what: &'static str, f: F)
    where
        F: FnOnce(&Connection) -> rusqlite::Result<Vec<Event>> + Send + 'static,
    {
        let bus = self.inner.events.clone();
        let origin = self.inner.origin.clone();
        let run = Box::new(move |conn: &Connection| {
            match f(conn).and_then(|events| journal::append(conn, &origin, &events).map(|()| events)) {
                Ok(events) if events.is_empty() => (Outcome::Keep, None),
                Ok(events) => {
                    let done: Done = Box::new(move |committed| {
                        if committed.is_ok() {
                            for e in events {
                                bus.publish(e);
                            }
                        }
                    });
                    (Outcome::Keep, Some(done))
                }
                Err(e) => {
                    tracing::error!(error = %e, "history write failed: {what}");
                    (Outcome::RollBack, None)
                }
            }
        });
        if self.inner.writer.send(Op { waited: false, run }).await.is_err() {
            tracing::error!("history write dropped, the writer has stopped: {what}");
        }
    }

    /// Waits until everything queued so far is committed.
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.write(|_| Ok(())).await
    }

    /// Runs a read-only query on a reading connection, on a blocking thread
    /// (never on the async runtime's own threads).
    pub async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.read_blocking(f))
            .await
            .map_err(|e| StoreError::ReadFailed(e.to_string()))?
    }

    /// Runs a read-only query on the calling thread. Only for code that
    /// already runs on a blocking thread (or outside any async runtime).
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        self.inner.readers.with(f)
    }
}

fn writer_loop(conn: Connection, mut rx: mpsc::Receiver<Op>) {
    let mut last_prune = Instant::now();
    while let Some(first) = rx.blocking_recv() {
        let mut batch = vec![first];
        // Writes nobody waits for (state changes, log chunks) come in
        // bursts; gathering a burst into one transaction writes each page
        // once instead of once per change. A write someone waits for ends
        // the gathering at once.
        let gather_until = Instant::now() + GATHER;
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(op) => batch.push(op),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    if batch.iter().any(|op| op.waited) || Instant::now() >= gather_until {
                        break;
                    }
                    std::thread::sleep(GATHER_STEP);
                }
            }
        }
        if let Err(e) = conn
            .prepare_cached("BEGIN IMMEDIATE")
            .and_then(|mut st| st.execute([]))
        {
            tracing::error!(error = %e, "history transaction could not start; writing one by one");
            for op in batch {
                if let (_, Some(done)) = (op.run)(&conn) {
                    done(Ok(()));
                }
            }
            continue;
        }
        let mut waiting: Vec<Done> = Vec::new();
        for op in batch {
            if let Err(e) = conn
                .prepare_cached("SAVEPOINT op")
                .and_then(|mut st| st.execute([]))
            {
                tracing::error!(error = %e, "history savepoint failed");
                continue;
            }
            let (outcome, done) = (op.run)(&conn);
            if let Outcome::RollBack = outcome {
                let _ = conn
                    .prepare_cached("ROLLBACK TO op")
                    .and_then(|mut st| st.execute([]));
            }
            let _ = conn
                .prepare_cached("RELEASE op")
                .and_then(|mut st| st.execute([]));
            waiting.extend(done);
        }
        match conn.prepare_cached("COMMIT").and_then(|mut st| st.execute([])) {
            Ok(_) => waiting.into_iter().for_each(|done| done(Ok(()))),
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
        if last_prune.elapsed() > journal::PRUNE_EVERY {
            last_prune = Instant::now();
            if let Err(e) = journal::prune(&conn) {
                tracing::warn!(error = %e, "could not prune the change journal");
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
