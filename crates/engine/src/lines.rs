//! The lines of a job's log and the chunks they are stored in: the
//! encoding both sides agree on. A leaf module: the history stores chunks,
//! events carry them, and the log readers decode them, all through here.
//!
//! Chunk encoding, one record per line:
//! `<ms after the chunk's ts>\t<o|e|s>\t<step index or ->\t<text>\n`.

use serde::Serialize;

/// A stored chunk of a job's log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogChunk {
    /// Attempt it belongs to (1-based).
    pub attempt: u32,
    /// Order within the job.
    pub seq: i64,
    /// Number of the first line (1-based, across the job's attempts).
    pub first_line: i64,
    /// Lines in the chunk.
    pub line_count: i64,
    /// Time of the first line (Unix ms).
    pub ts: i64,
    /// Whether `data` is LZ4-compressed (as stored) or plain.
    pub compressed: bool,
    /// Encoded lines (see the module documentation), compressed when `compressed`.
    pub data: Vec<u8>,
}

/// Where a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// The process's standard output.
    Stdout,
    /// The process's standard error.
    Stderr,
    /// Switchyard itself (retries, reports found, timeouts).
    System,
}

impl Stream {
    pub(crate) fn code(self) -> u8 {
        match self {
            Stream::Stdout => b'o',
            Stream::Stderr => b'e',
            Stream::System => b's',
        }
    }

    fn from_code(c: &[u8]) -> Stream {
        match c {
            b"e" => Stream::Stderr,
            b"s" => Stream::System,
            _ => Stream::Stdout,
        }
    }
}

/// One line of a job's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogLine {
    /// Line number in the job's log (1-based).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub number: i64,
    /// When it was read (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub ts: i64,
    /// Which stream.
    pub stream: Stream,
    /// The attempt it belongs to.
    pub attempt: u32,
    /// The step (0-based), or none for job-level messages.
    pub step: Option<u32>,
    /// The text, secrets masked.
    pub text: String,
}

/// Decodes a chunk (stored or announced) into lines. A stored chunk whose
/// compressed data is damaged yields one line saying so.
pub fn decode(chunk: &LogChunk) -> Vec<LogLine> {
    let mut lines = Vec::with_capacity(chunk.line_count.max(0) as usize);
    let mut number = chunk.first_line;
    let plain;
    let data: &[u8] = if chunk.compressed {
        match lz4_flex::block::decompress_size_prepended(&chunk.data) {
            Ok(d) => {
                plain = d;
                &plain
            }
            Err(e) => {
                lines.push(LogLine {
                    number,
                    ts: chunk.ts,
                    stream: Stream::System,
                    attempt: chunk.attempt,
                    step: None,
                    text: format!("[{} log lines could not be read: {e}]", chunk.line_count),
                });
                return lines;
            }
        }
    } else {
        &chunk.data
    };
    for record in data.split(|&b| b == b'\n') {
        if record.is_empty() {
            continue;
        }
        let mut parts = record.splitn(4, |&b| b == b'\t');
        let delta = parts
            .next()
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| d.parse::<i64>().ok())
            .unwrap_or(0);
        let stream = Stream::from_code(parts.next().unwrap_or(b"o"));
        let step = parts
            .next()
            .and_then(|s| std::str::from_utf8(s).ok())
            .and_then(|s| s.parse::<u32>().ok());
        let text = String::from_utf8_lossy(parts.next().unwrap_or(b"")).into_owned();
        lines.push(LogLine {
            number,
            ts: chunk.ts + delta,
            stream,
            attempt: chunk.attempt,
            step,
            text,
        });
        number += 1;
    }
    lines
}
