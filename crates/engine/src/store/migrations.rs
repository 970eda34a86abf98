//! Versioned schema migrations, tracked in SQLite's `user_version`.
//!
//! Each entry moves the schema one version up and runs in its own
//! transaction; entries are never edited once released, only appended.

use std::path::Path;

use rusqlite::{Connection, Transaction};

use super::StoreError;

/// One step up the schema.
enum Migration {
    /// SQL statements.
    Sql(&'static str),
    /// SQL statements, then a change of the data made in Rust.
    SqlThen(&'static str, fn(&Transaction<'_>) -> rusqlite::Result<()>),
}

use Migration::{Sql, SqlThen};

const MIGRATIONS: &[Migration] = &[
    // 1: the first schema.
    Sql(r#"
CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    path        TEXT NOT NULL UNIQUE,
    remote      TEXT,
    created_at  INTEGER NOT NULL
);

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    project_id       INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    commit_sha       TEXT,
    branch           TEXT,
    dirty            INTEGER,
    in_place         INTEGER NOT NULL DEFAULT 0,
    owner            TEXT,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    error            TEXT,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX runs_by_project ON runs(project_id, id DESC);
CREATE INDEX runs_by_branch ON runs(project_id, branch, id DESC);
CREATE INDEX runs_unfinished ON runs(status) WHERE status IN ('queued', 'running');

CREATE TABLE jobs (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    idx            INTEGER NOT NULL,
    name           TEXT NOT NULL,
    runner         TEXT NOT NULL,
    needs          TEXT NOT NULL DEFAULT '[]',
    status         TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    reason         TEXT,
    warnings       TEXT NOT NULL DEFAULT '[]',
    tests_passed   INTEGER NOT NULL DEFAULT 0,
    tests_failed   INTEGER NOT NULL DEFAULT 0,
    tests_skipped  INTEGER NOT NULL DEFAULT 0,
    started_at     INTEGER,
    finished_at    INTEGER,
    UNIQUE (run_id, idx)
);

CREATE TABLE steps (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    idx          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    exit_code    INTEGER,
    started_at   INTEGER,
    finished_at  INTEGER,
    UNIQUE (job_id, attempt, idx)
);

CREATE TABLE log_chunks (
    id          INTEGER PRIMARY KEY,
    job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    first_line  INTEGER NOT NULL,
    line_count  INTEGER NOT NULL,
    ts          INTEGER NOT NULL,
    compression TEXT NOT NULL DEFAULT 'none',
    data        BLOB NOT NULL,
    UNIQUE (job_id, seq)
);
CREATE INDEX log_chunks_by_line ON log_chunks(job_id, first_line);

CREATE TABLE test_results (
    id           INTEGER PRIMARY KEY,
    job_id       INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    report       TEXT NOT NULL,
    suite        TEXT,
    classname    TEXT,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    duration_ms  INTEGER,
    message      TEXT,
    details      TEXT
);
CREATE INDEX test_results_by_job ON test_results(job_id);

CREATE TABLE artifacts (
    id       INTEGER PRIMARY KEY,
    job_id   INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    path     TEXT NOT NULL,
    size     INTEGER NOT NULL,
    sha256   TEXT NOT NULL
);
CREATE INDEX artifacts_by_job ON artifacts(job_id);
CREATE INDEX artifacts_by_hash ON artifacts(sha256);
"#),
    // 2: what a restarted engine needs to resume a run whose jobs go on
    // without it (Kubernetes pods): the pipeline text as planned, the job
    // selection and the run's options, as JSON.
    Sql(r#"
ALTER TABLE runs ADD COLUMN snapshot TEXT;
"#),
    // 3: the journal of changes other processes follow (see journal.rs),
    // and no credentials in stored remote URLs (earlier versions kept
    // `https://user:token@host/...` as `git remote` gave it).
    SqlThen(
        r#"
CREATE TABLE journal (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    origin  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    body    TEXT NOT NULL
);
"#,
        redact_stored_remotes,
    ),
    // 4: job kinds. An approval job keeps what it asks and, once someone
    // decided, the decision (JSON: approved, by, comment, at).
    Sql(r#"
ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'steps';
ALTER TABLE jobs ADD COLUMN prompt TEXT;
ALTER TABLE jobs ADD COLUMN decision TEXT;
"#),
    // 5: which secrets exist and when they were set or rotated. Never a
    // value: values live in the OS keyring. `project` is '' for global ones.
    Sql(r#"
CREATE TABLE secrets (
    scope      TEXT NOT NULL,
    project    TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    rotations  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, project, name)
);
"#),
    // 6: what started a run (cli, app, link), which jobs were chosen (JSON
    // array; NULL: all) and the run it repeats.
    Sql(r#"
ALTER TABLE runs ADD COLUMN trigger TEXT;
ALTER TABLE runs ADD COLUMN selection TEXT;
ALTER TABLE runs ADD COLUMN rerun_of INTEGER;
"#),
    // 7: a project removed from the list with its history kept.
    Sql(r#"
ALTER TABLE projects ADD COLUMN removed_at INTEGER;
"#),
    // 8: a test's history across runs.
    Sql(r#"
CREATE INDEX test_results_by_name ON test_results(name);
"#),
    // 9: runs by start time (markers on charts, analytics over a window).
    Sql(r#"
CREATE INDEX runs_by_start ON runs(started_at);
"#),
    // 10: alerts (one per rule and series), their state changes, incidents
    // (alerts grouped by app, target and environment) and silences.
    Sql(r#"
CREATE TABLE incidents (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL,
    started_at      INTEGER NOT NULL,
    resolved_at     INTEGER,
    acknowledged_at INTEGER,
    run_id          INTEGER
);
CREATE INDEX incidents_open ON incidents(key) WHERE resolved_at IS NULL;
CREATE TABLE alerts (
    id           INTEGER PRIMARY KEY,
    rule         TEXT NOT NULL,
    fingerprint  TEXT NOT NULL,
    labels       TEXT NOT NULL,
    severity     TEXT NOT NULL,
    state        TEXT NOT NULL,
    since        INTEGER,
    firing_since INTEGER,
    value        REAL,
    incident_id  INTEGER REFERENCES incidents(id),
    silenced_until INTEGER,
    updated_at   INTEGER NOT NULL,
    UNIQUE (rule, fingerprint)
);
CREATE TABLE alert_events (
    alert_id INTEGER NOT NULL REFERENCES alerts(id) ON DELETE CASCADE,
    at       INTEGER NOT NULL,
    state    TEXT NOT NULL,
    value    REAL
);
CREATE INDEX alert_events_by_alert ON alert_events(alert_id, at);
"#),
    // 11: runs by creation time (delivery figures over a window).
    Sql(r#"
CREATE INDEX runs_by_created ON runs(created_at);
"#),
    // 12: the last data of each dashboard (or chart), so it opens offline.
    Sql(r#"
CREATE TABLE metric_snapshots (
    key      TEXT PRIMARY KEY,
    taken_at INTEGER NOT NULL,
    data     TEXT NOT NULL
);
"#),
    // 13: deployments, their targets, and what happened to them.
    Sql(r#"
CREATE TABLE deployments (
    id          INTEGER PRIMARY KEY,
    app         TEXT NOT NULL,
    environment TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    status      TEXT NOT NULL,
    strategy    TEXT NOT NULL,
    image       TEXT,
    version     TEXT NOT NULL,
    commit_sha  TEXT,
    -- No cascade: a deployment's record outlives its run's pruning.
    run_id      INTEGER NOT NULL,
    job_id      INTEGER NOT NULL,
    reason      TEXT,
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    -- When the deployed commit was first seen (its first run): lead time.
    first_seen_at INTEGER,
    UNIQUE (app, environment, revision)
);
CREATE INDEX deployments_by_run ON deployments(run_id);
CREATE TABLE deployment_targets (
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    target        TEXT NOT NULL,
    wave          INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT,
    started_at    INTEGER,
    finished_at   INTEGER,
    PRIMARY KEY (deployment_id, target)
);
CREATE TABLE deployment_events (
    id            INTEGER PRIMARY KEY,
    deployment_id INTEGER NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
    target        TEXT,
    at            INTEGER NOT NULL,
    kind          TEXT NOT NULL,
    message       TEXT
);
CREATE INDEX deployment_events_by_deployment ON deployment_events(deployment_id, id);
-- Covers what DORA reads: one index scan, no table lookups.
CREATE INDEX deployments_by_environment ON deployments(environment, app, created_at, status, finished_at, first_seen_at);
CREATE INDEX deployments_by_job ON deployments(job_id);
CREATE INDEX deployments_by_time ON deployments(created_at);
-- Lead time: the first run of a deployed commit.
CREATE INDEX runs_by_commit ON runs(commit_sha, created_at);
"#),
    // 14: a job's outputs (JSON object of name -> value), for the jobs that need it.
    Sql(r#"
ALTER TABLE jobs ADD COLUMN outputs TEXT;
"#),
];

fn redact_stored_remotes(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    let remotes: Vec<(i64, String)> = tx
        .prepare("SELECT id, remote FROM projects WHERE remote IS NOT NULL")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<Result<_, _>>()?;
    for (id, remote) in remotes {
        let clean = crate::gitinfo::redact_remote(&remote);
        if clean != remote {
            tx.execute(
                "UPDATE projects SET remote = ?2 WHERE id = ?1",
                rusqlite::params![id, clean],
            )?;
        }
    }
    Ok(())
}

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

pub(super) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for (i, migration) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let version = i as i64 + 1;
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
        // Another process may have migrated while we waited for the lock.
        let now: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if now >= version {
            tx.commit()?;
            continue;
        }
        match migration {
            Sql(sql) => tx.execute_batch(sql)?,
            SqlThen(sql, then) => {
                tx.execute_batch(sql)?;
                then(&tx)?;
            }
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
        tracing::info!(version, "history database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_from_empty_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn, &path).unwrap();
        migrate(&mut conn, &path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    /// Regression: a project's `origin` URL with a token in it was stored
    /// and shown as it was.
    #[test]
    fn credentials_in_stored_remotes_are_removed_on_upgrade() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut conn = Connection::open(&path).unwrap();
        // A database as version 2 left it.
        for m in &MIGRATIONS[..2] {
            let Sql(sql) = m else {
                unreachable!("the first two are plain SQL")
            };
            conn.execute_batch(sql).unwrap();
        }
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO projects (name, path, remote, created_at) VALUES
               ('a', '/a', 'https://bot:ghp_s3cr3tT0ken@github.example/org/a.git', 0),
               ('b', '/b', 'git@github.example:org/b.git', 0)",
            [],
        )
        .unwrap();
        migrate(&mut conn, &path).unwrap();
        let remotes: Vec<String> = conn
            .prepare("SELECT remote FROM projects ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(
            remotes,
            ["https://github.example/org/a.git", "git@github.example:org/b.git"]
        );
    }

    #[test]
    fn refuses_a_newer_schema() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.db");
        let mut conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
        let err = migrate(&mut conn, &path).unwrap_err();
        assert!(matches!(err, StoreError::TooNew { .. }), "{err}");
        assert!(err.to_string().contains("upgrade Switchyard"));
    }
}
