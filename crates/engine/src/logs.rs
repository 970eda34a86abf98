//! Job logs: how lines are grouped into chunks, stored and read back.
//!
//! Each line keeps its time, its stream (stdout, stderr, or a message from
//! Switchyard itself) and the step it came from. Lines are packed into chunks
//! of up to [`CHUNK_BYTES`] that are written to the history as they fill, and
//! at least every [`FLUSH_INTERVAL`] while output trickles, so a log can be
//! read (and followed) while the job runs.
//!
//! Chunk encoding, one record per line:
//! `<ms after the chunk's ts>\t<o|e|s>\t<step index or ->\t<text>\n`.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

pub use crate::lines::{LogLine, Stream, decode};
use crate::store::{CHUNK_COLUMNS, LogChunk, Store, StoreError, chunk_from_row, now_ms};

/// Chunk size at which a chunk is written.
pub const CHUNK_BYTES: usize = 64 * 1024;
/// Chunks at least this big are stored LZ4-compressed.
const COMPRESS_FROM: usize = 512;
/// Longest time a line waits in memory before it is written.
pub const FLUSH_INTERVAL: Duration = Duration::from_millis(200);

/// A window of a job's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogPage {
    /// The lines, in order (fewer than asked at the end of the log).
    pub lines: Vec<LogLine>,
    /// Lines stored so far for the job.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: i64,
}

/// Every line of a job's log, in order (for tails and tests; the UI reads
/// windows with [`page`]).
pub async fn all_lines(store: &Store, job_id: i64) -> Result<Vec<LogLine>, StoreError> {
    Ok(store
        .log_chunks(job_id, None)
        .await?
        .iter()
        .flat_map(decode)
        .collect())
}

/// Lines `from..from + count` (1-based) of a job's log, and how many there are.
/// Only the chunks holding those lines are read, so any window of a log of a
/// million lines comes back as fast as the first.
pub async fn page(store: &Store, job_id: i64, from: i64, count: usize) -> Result<LogPage, StoreError> {
    let from = from.max(1);
    let end = from + count as i64;
    let (total, chunks) = store
        .read(move |c| {
            let total: i64 = c.query_row(
                "SELECT COALESCE(MAX(first_line + line_count - 1), 0) FROM log_chunks WHERE job_id = ?1",
                [job_id],
                |r| r.get(0),
            )?;
            let mut st = c.prepare_cached(&format!(
                "SELECT {CHUNK_COLUMNS} FROM log_chunks
             WHERE job_id = ?1 AND first_line < ?3 AND first_line + line_count > ?2 ORDER BY first_line"
            ))?;
            let chunks = st
                .query_map(rusqlite::params![job_id, from, end], chunk_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok((total, chunks))
        })
        .await?;
    let lines = chunks
        .iter()
        .flat_map(decode)
        .filter(|l| l.number >= from && l.number < end)
        .collect();
    Ok(LogPage { lines, total })
}

/// The number of the next line (after `from`, or before it when `backwards`)
/// that contains `needle`, ignoring case. `None` when there is none. Runs
/// on a blocking thread.
pub async fn search(
    store: &Store,
    job_id: i64,
    needle: &str,
    from: i64,
    backwards: bool,
) -> Result<Option<i64>, StoreError> {
    if needle.is_empty() {
        return Ok(None);
    }
    let needle = needle.to_lowercase();
    let store = store.clone();
    tokio::task::spawn_blocking(move || search_blocking(&store, job_id, &needle, from, backwards))
        .await
        .map_err(|e| StoreError::ReadFailed(e.to_string()))?
}

/// One chunk of a job's log, read on the calling (blocking) thread, so
/// searches and counts hold one chunk in memory at a time.
fn read_chunk(store: &Store, job_id: i64, seq: i64) -> Result<LogChunk, StoreError> {
    store.read_blocking(|c| {
        c.query_row(
            &format!("SELECT {CHUNK_COLUMNS} FROM log_chunks WHERE job_id = ?1 AND seq = ?2"),
            rusqlite::params![job_id, seq],
            chunk_from_row,
        )
    })
}

fn search_blocking(
    store: &Store,
    job_id: i64,
    needle: &str,
    from: i64,
    backwards: bool,
) -> Result<Option<i64>, StoreError> {
    // Chunks are read one at a time so memory stays flat on huge logs.
    let seqs: Vec<(i64, i64, i64)> = store.read_blocking(|c| {
        let mut st = c.prepare_cached(
            "SELECT seq, first_line, line_count FROM log_chunks WHERE job_id = ?1 ORDER BY first_line",
        )?;
        st.query_map([job_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect()
    })?;
    let candidates: Vec<i64> = if backwards {
        seqs.iter()
            .rev()
            .filter(|(_, first, _)| *first < from)
            .map(|(s, _, _)| *s)
            .collect()
    } else {
        seqs.iter()
            .filter(|(_, first, n)| first + n - 1 > from)
            .map(|(s, _, _)| *s)
            .collect()
    };
    for seq in candidates {
        let chunk = read_chunk(store, job_id, seq)?;
        let lines = decode(&chunk);
        let hit = if backwards {
            lines
                .iter()
                .rev()
                .find(|l| l.number < from && l.text.to_lowercase().contains(needle))
        } else {
            lines
                .iter()
                .find(|l| l.number > from && l.text.to_lowercase().contains(needle))
        };
        if let Some(l) = hit {
            return Ok(Some(l.number));
        }
    }
    Ok(None)
}

/// Calls `visit` with every line of a job's log from line `from` on, in
/// order, reading one chunk at a time so memory stays flat on huge logs
/// (chunks before `from` are not read). Runs on a blocking thread.
async fn scan<T: Send + 'static>(
    store: &Store,
    job_id: i64,
    from: i64,
    mut state: T,
    mut visit: impl FnMut(&mut T, &LogLine) + Send + 'static,
) -> Result<T, StoreError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let seqs: Vec<i64> = store.read_blocking(|c| {
            c.prepare_cached(
                "SELECT seq FROM log_chunks WHERE job_id = ?1 AND first_line + line_count > ?2 ORDER BY first_line",
            )?
            .query_map(rusqlite::params![job_id, from], |r| r.get(0))?
            .collect()
        })?;
        for seq in seqs {
            let chunk = read_chunk(&store, job_id, seq)?;
            for line in decode(&chunk).iter().filter(|l| l.number >= from) {
                visit(&mut state, line);
            }
        }
        Ok(state)
    })
    .await
    .map_err(|e| StoreError::ReadFailed(e.to_string()))?
}

/// How many lines of a job's log contain `needle` (case-insensitive), and
/// how many of those are at or before line `at` (the "3" of "3 / 41").
pub async fn count_matches(
    store: &Store,
    job_id: i64,
    needle: &str,
    at: i64,
) -> Result<(u64, u64), StoreError> {
    if needle.is_empty() {
        return Ok((0, 0));
    }
    let needle = needle.to_lowercase();
    scan(store, job_id, 1, (0u64, 0u64), move |(total, upto), l| {
        if l.text.to_lowercase().contains(&needle) {
            *total += 1;
            if l.number <= at {
                *upto += 1;
            }
        }
    })
    .await
}

/// Most line numbers [`filter`] returns: a filter matching more lines than
/// this shows the first ones and says how many there are in all.
pub const MAX_FILTERED_LINES: usize = 100_000;

/// The lines of a job's log that contain a text, for "show only matching
/// lines".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogFilter {
    /// Numbers of the matching lines, in order (the first
    /// [`MAX_FILTERED_LINES`]).
    #[cfg_attr(feature = "ts", ts(type = "Array<number>"))]
    pub lines: Vec<i64>,
    /// How many lines match in all (more than `lines` holds when capped).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
}

/// The numbers of the lines holding `needle` (case-insensitive).
pub async fn filter(store: &Store, job_id: i64, needle: &str) -> Result<LogFilter, StoreError> {
    if needle.is_empty() {
        return Ok(LogFilter {
            lines: Vec::new(),
            total: 0,
        });
    }
    let needle = needle.to_lowercase();
    let empty = LogFilter {
        lines: Vec::new(),
        total: 0,
    };
    scan(store, job_id, 1, empty, move |f, l| {
        if l.text.to_lowercase().contains(&needle) {
            f.total += 1;
            if f.lines.len() < MAX_FILTERED_LINES {
                f.lines.push(l.number);
            }
        }
    })
    .await
}

/// Consecutive lines of a job's log that came from the same step of the
/// same attempt: what the log viewer folds as one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogSection {
    /// The attempt the lines belong to (1-based).
    pub attempt: u32,
    /// The step (0-based), or none for Switchyard's own messages about the
    /// job (preparing the workspace, artifacts, the outcome).
    pub step: Option<u32>,
    /// First line (1-based).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub first: i64,
    /// Last line.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub last: i64,
}

/// Where each step's lines are in a job's log, in order, from line `from`
/// on: a live log is asked again only from the last line it knew (the
/// first section answered then continues the last one known).
pub async fn sections(store: &Store, job_id: i64, from: i64) -> Result<Vec<LogSection>, StoreError> {
    scan(
        store,
        job_id,
        from.max(1),
        Vec::<LogSection>::new(),
        |sections, l| match sections.last_mut() {
            Some(s) if s.attempt == l.attempt && s.step == l.step && s.last + 1 == l.number => {
                s.last = l.number
            }
            _ => sections.push(LogSection {
                attempt: l.attempt,
                step: l.step,
                first: l.number,
                last: l.number,
            }),
        },
    )
    .await
}

/// Collects a job's lines into chunks and writes them to the history (which
/// announces each chunk once it is committed).
pub struct LogWriter {
    store: Store,
    run_id: i64,
    job_id: i64,
    job_name: Arc<str>,
    attempt: u32,
    next_line: i64,
    next_seq: i64,
    buf: Vec<u8>,
    buf_lines: i64,
    buf_first_line: i64,
    buf_ts: i64,
}

impl LogWriter {
    /// A writer for one job.
    pub fn new(store: Store, run_id: i64, job_id: i64, job_name: Arc<str>) -> LogWriter {
        LogWriter {
            store,
            run_id,
            job_id,
            job_name,
            attempt: 1,
            next_line: 1,
            next_seq: 0,
            buf: Vec::with_capacity(CHUNK_BYTES + 1024),
            buf_lines: 0,
            buf_first_line: 1,
            buf_ts: 0,
        }
    }

    /// Goes on after what the history already holds for the job (a run
    /// resumed by a restarted engine): the next line number and chunk.
    pub fn continue_at(&mut self, next_line: i64, next_seq: i64) {
        self.next_line = next_line.max(1);
        self.next_seq = next_seq.max(0);
    }

    /// Switches to another attempt (flushes what the last one wrote).
    pub async fn set_attempt(&mut self, attempt: u32) {
        self.flush().await;
        self.attempt = attempt;
    }

    /// Adds one line (already masked, without its newline). Returns true
    /// when the chunk is full and should be [flushed](Self::flush).
    pub fn push(&mut self, ts: i64, stream: Stream, step: Option<u32>, text: &[u8]) -> bool {
        if self.buf_lines == 0 {
            self.buf_ts = ts;
            self.buf_first_line = self.next_line;
        }
        let delta = (ts - self.buf_ts).max(0);
        let mut num = itoa::Buffer::new();
        self.buf.extend_from_slice(num.format(delta).as_bytes());
        self.buf.push(b'\t');
        self.buf.push(stream.code());
        self.buf.push(b'\t');
        match step {
            Some(s) => self.buf.extend_from_slice(num.format(s).as_bytes()),
            None => self.buf.push(b'-'),
        }
        self.buf.push(b'\t');
        self.buf.extend_from_slice(text);
        self.buf.push(b'\n');
        self.buf_lines += 1;
        self.next_line += 1;
        self.buf.len() >= CHUNK_BYTES
    }

    /// A line from Switchyard itself.
    pub async fn system(&mut self, step: Option<u32>, text: &str) {
        if self.push(now_ms(), Stream::System, step, text.as_bytes()) {
            self.flush().await;
        }
    }

    /// Writes whatever is buffered.
    pub async fn flush(&mut self) {
        if self.buf_lines == 0 {
            return;
        }
        let data = std::mem::replace(&mut self.buf, Vec::with_capacity(CHUNK_BYTES + 1024));
        let header = |compressed, data| LogChunk {
            attempt: self.attempt,
            seq: self.next_seq,
            first_line: self.buf_first_line,
            line_count: self.buf_lines,
            ts: self.buf_ts,
            compressed,
            data,
        };
        // Log text compresses several times over; storing it compressed
        // keeps the history small and the writer's disk work low.
        let stored = if data.len() >= COMPRESS_FROM {
            header(true, lz4_flex::block::compress_prepend_size(&data))
        } else {
            header(false, data)
        };
        self.next_seq += 1;
        self.buf_lines = 0;
        self.store
            .append_log(self.run_id, self.job_id, self.job_name.clone(), stored)
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_reads_what_the_encoding_wrote() {
        let chunk = LogChunk {
            attempt: 2,
            seq: 0,
            first_line: 10,
            line_count: 3,
            ts: 1_000,
            compressed: false,
            data: b"0\to\t0\thello\tworld\n5\te\t1\toops\n7\ts\t-\tretrying\n".to_vec(),
        };
        let lines = decode(&chunk);
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].text, "hello\tworld");
        assert_eq!(lines[0].number, 10);
        assert_eq!(lines[1].stream, Stream::Stderr);
        assert_eq!(lines[1].ts, 1_005);
        assert_eq!(lines[1].step, Some(1));
        assert_eq!(lines[2].step, None);
        assert_eq!(lines[2].stream, Stream::System);
        assert_eq!(lines[2].attempt, 2);
    }

    #[test]
    fn compressed_chunks_decode_and_damage_is_reported() {
        let data = b"0\to\t0\tsome output line\n".repeat(100);
        let mut chunk = LogChunk {
            attempt: 1,
            seq: 0,
            first_line: 1,
            line_count: 100,
            ts: 0,
            compressed: true,
            data: lz4_flex::block::compress_prepend_size(&data),
        };
        assert!(chunk.data.len() < data.len() / 4);
        let lines = decode(&chunk);
        assert_eq!(lines.len(), 100);
        assert_eq!(lines[99].text, "some output line");
        chunk.data.truncate(10);
        let lines = decode(&chunk);
        assert_eq!(lines.len(), 1);
        assert!(
            lines[0].text.starts_with("[100 log lines could not be read"),
            "{:?}",
            lines[0]
        );
    }
}
