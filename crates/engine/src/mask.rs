//! Hides secret values in output before anything stores or shows it.
//!
//! A [`LineMasker`] takes raw bytes as they are read from a process, in
//! whatever pieces the pipe delivers, and hands back whole lines with every
//! secret replaced by `***`. Because masking happens on assembled lines, a
//! secret split across two reads is still found. Lines longer than
//! [`MAX_LINE`] are cut, but the cut keeps back enough bytes that a secret
//! straddling it is never emitted half-masked.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use secrecy::{ExposeSecret, SecretString};

/// What a secret is replaced with.
pub const MASK: &str = "***";

/// Longest line kept whole; longer output is split into several lines.
pub const MAX_LINE: usize = 64 * 1024;

/// The secret values of a job, ready for fast matching.
#[derive(Clone, Default)]
pub struct Secrets {
    matcher: Option<AhoCorasick>,
    longest: usize,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets(longest={})", self.longest)
    }
}

impl Secrets {
    /// Builds the matcher. A multi-line value is also masked line by line,
    /// since output is split into lines before masking.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a SecretString>) -> Secrets {
        let mut patterns: Vec<String> = Vec::new();
        for v in values {
            let v = v.expose_secret();
            if v.is_empty() {
                continue;
            }
            if v.contains('\n') {
                for line in v.split('\n') {
                    let line = line.trim_end_matches('\r');
                    if !line.is_empty() {
                        patterns.push(line.to_string());
                    }
                }
            } else {
                patterns.push(v.to_string());
            }
        }
        patterns.sort();
        patterns.dedup();
        if patterns.is_empty() {
            return Secrets::default();
        }
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        let matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Secrets { matcher, longest }
    }

    /// Whether there is anything to mask.
    pub fn is_empty(&self) -> bool {
        self.matcher.is_none()
    }

    /// Masks every secret in `bytes`.
    pub fn mask(&self, bytes: &[u8]) -> Vec<u8> {
        match &self.matcher {
            None => bytes.to_vec(),
            Some(m) => {
                let mut out = Vec::with_capacity(bytes.len());
                m.replace_all_with_bytes(bytes, &mut out, |_, _, dst| {
                    dst.extend_from_slice(MASK.as_bytes());
                    true
                });
                out
            }
        }
    }

    /// Masks every secret in a string.
    pub fn mask_str(&self, text: &str) -> String {
        if self.is_empty() {
            return text.to_string();
        }
        String::from_utf8_lossy(&self.mask(text.as_bytes())).into_owned()
    }
}

/// Turns a stream of byte pieces into masked lines.
#[derive(Debug)]
pub struct LineMasker {
    secrets: Secrets,
    pending: Vec<u8>,
}

impl LineMasker {
    /// A masker for one output stream.
    pub fn new(secrets: Secrets) -> LineMasker {
        LineMasker {
            secrets,
            pending: Vec::new(),
        }
    }

    /// Feeds a piece of output; calls `emit` with each finished, masked line
    /// (without its newline).
    pub fn feed(&mut self, data: &[u8], mut emit: impl FnMut(&[u8])) {
        let mut rest = data;
        while let Some(nl) = memchr::memchr(b'\n', rest) {
            if self.pending.is_empty() {
                self.emit_line(&rest[..nl], &mut emit);
            } else {
                self.pending.extend_from_slice(&rest[..nl]);
                let line = std::mem::take(&mut self.pending);
                self.emit_line(&line, &mut emit);
            }
            rest = &rest[nl + 1..];
        }
        self.pending.extend_from_slice(rest);
        while self.pending.len() > MAX_LINE {
            self.cut_long_line(&mut emit);
        }
    }

    /// Emits what is left (output that did not end with a newline).
    pub fn finish(&mut self, mut emit: impl FnMut(&[u8])) {
        if !self.pending.is_empty() {
            let line = std::mem::take(&mut self.pending);
            self.emit_line(&line, &mut emit);
        }
    }

    fn emit_line(&self, line: &[u8], emit: &mut impl FnMut(&[u8])) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if self.secrets.is_empty() {
            emit(line);
        } else {
            emit(&self.secrets.mask(line));
        }
    }

    /// Emits the first part of an over-long line. A secret that may still be
    /// completed by the next read starts within the last `longest - 1` bytes,
    /// so those stay pending; a match that crosses the cut is emitted whole.
    fn cut_long_line(&mut self, emit: &mut impl FnMut(&[u8])) {
        let keep = self.secrets.longest.saturating_sub(1);
        let mut cut = MAX_LINE.min(self.pending.len() - keep.min(self.pending.len()));
        if let Some(m) = &self.secrets.matcher {
            for found in m.find_iter(&self.pending[..]) {
                if found.start() < cut && found.end() > cut {
                    cut = found.end();
                }
                if found.start() >= cut {
                    break;
                }
            }
        }
        let cut = cut.max(1);
        let head: Vec<u8> = self.pending.drain(..cut).collect();
        if self.secrets.is_empty() {
            emit(&head);
        } else {
            emit(&self.secrets.mask(&head));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secrets(values: &[&str]) -> Secrets {
        let v: Vec<SecretString> = values.iter().map(|s| SecretString::from(s.to_string())).collect();
        Secrets::new(v.iter())
    }

    fn run(masker: &mut LineMasker, pieces: &[&[u8]]) -> Vec<String> {
        let mut out = Vec::new();
        for p in pieces {
            masker.feed(p, |l| out.push(String::from_utf8_lossy(l).into_owned()));
        }
        masker.finish(|l| out.push(String::from_utf8_lossy(l).into_owned()));
        out
    }

    #[test]
    fn masks_a_secret_split_across_two_reads() {
        let mut m = LineMasker::new(secrets(&["hunter2"]));
        let lines = run(&mut m, &[b"token=hun", b"ter2 ok\nnext\n"]);
        assert_eq!(lines, vec!["token=*** ok", "next"]);
    }

    #[test]
    fn masks_each_line_of_a_multiline_secret() {
        let mut m = LineMasker::new(secrets(&["-----BEGIN KEY-----\nabcdef\n-----END KEY-----"]));
        let lines = run(&mut m, &[b"-----BEGIN KEY-----\nabcdef\n-----END KEY-----\n"]);
        assert_eq!(lines, vec!["***", "***", "***"]);
    }

    #[test]
    fn long_lines_are_cut_without_leaking_a_secret_across_the_cut() {
        let secret = "S3CR3T-VALUE";
        let mut m = LineMasker::new(secrets(&[secret]));
        // Place the secret exactly across the MAX_LINE boundary.
        let mut data = vec![b'x'; MAX_LINE - 5];
        data.extend_from_slice(secret.as_bytes());
        data.extend_from_slice(&vec![b'y'; MAX_LINE]);
        data.push(b'\n');
        // As a pipe delivers it: in reads of at most 4 KiB.
        let pieces: Vec<&[u8]> = data.chunks(4096).collect();
        let lines = run(&mut m, &pieces);
        let joined = lines.concat();
        assert!(!joined.contains("S3CR3T"), "secret leaked");
        assert!(joined.contains(MASK));
        assert!(lines.iter().all(|l| l.len() <= MAX_LINE + secret.len()));
    }

    #[test]
    fn no_secrets_passes_output_through() {
        let mut m = LineMasker::new(Secrets::default());
        assert_eq!(run(&mut m, &[b"a\r\nb", b"c"]), vec!["a", "bc"]);
    }

    proptest! {
        /// Wherever the pipe splits the output, no secret survives and all
        /// other text does.
        #[test]
        fn any_split_masks_every_occurrence(
            words in proptest::collection::vec("[a-z ]{0,12}", 1..8),
            cuts in proptest::collection::vec(0usize..200, 0..6),
        ) {
            let secret = "pa55w0rd";
            let text: String = words.join(&format!("{secret}\n"));
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c % (bytes.len() + 1)).collect();
            points.sort_unstable();
            let mut pieces: Vec<&[u8]> = Vec::new();
            let mut last = 0;
            for p in points { pieces.push(&bytes[last..p]); last = p; }
            pieces.push(&bytes[last..]);
            let mut m = LineMasker::new(secrets(&[secret]));
            let lines = run(&mut m, &pieces);
            let joined = lines.join("\n");
            prop_assert!(!joined.contains(secret));
            let masked = text.replace(secret, MASK);
            prop_assert_eq!(joined.as_str(), masked.strip_suffix('\n').unwrap_or(&masked));
        }
    }
}
