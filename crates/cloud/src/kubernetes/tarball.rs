//! Tar streams in and out of pods, the way `kubectl cp` moves files.
//!
//! The working tree goes in as one tar on an exec's stdin: what git would see
//! (tracked and untracked files, `.gitignore` respected, never `.git`), plus
//! the runner's scripts under `.switchyard/`. Files come back as a tar on an
//! exec's stdout and are unpacked with path checks (no absolute paths, no
//! `..`), so a pod cannot write outside the staging directory.

use std::io::{self, Write};
use std::path::Path;

use tokio::sync::mpsc;

use super::scripts;

/// Size of the pieces the tar is cut into on its way to the pod.
const PIECE: usize = 256 * 1024;

/// A `Write` that sends what it gets, in pieces, to an async receiver.
struct ChannelWriter {
    tx: mpsc::Sender<Vec<u8>>,
    buf: Vec<u8>,
    bytes: u64,
}

impl ChannelWriter {
    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let piece = std::mem::replace(&mut self.buf, Vec::with_capacity(PIECE));
        self.bytes += piece.len() as u64;
        self.tx
            .blocking_send(piece)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the upload was abandoned"))
    }
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= PIECE {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}

/// Writes the runner's scripts under `.switchyard/`.
fn append_scripts<W: Write>(tar: &mut tar::Builder<W>) -> io::Result<()> {
    let mut dir = tar::Header::new_gnu();
    dir.set_entry_type(tar::EntryType::Directory);
    dir.set_mode(0o755);
    dir.set_size(0);
    tar.append_data(&mut dir, format!("{}/", scripts::STATE_DIR), io::empty())?;
    for (name, text) in scripts::ALL {
        let mut h = tar::Header::new_gnu();
        h.set_mode(0o755);
        h.set_size(text.len() as u64);
        h.set_mtime(0);
        tar.append_data(&mut h, format!("{}/{name}", scripts::STATE_DIR), text.as_bytes())?;
    }
    Ok(())
}

/// Streams a tar of `root` (when given: the files git would see) and of the
/// runner's scripts into `tx`. Blocking: run it on a blocking thread.
/// Returns the number of bytes sent.
pub fn stream(root: Option<&Path>, tx: mpsc::Sender<Vec<u8>>) -> io::Result<u64> {
    let mut tar = tar::Builder::new(ChannelWriter {
        tx,
        buf: Vec::with_capacity(PIECE),
        bytes: 0,
    });
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    if let Some(root) = root {
        let walker = switchyard_engine::workspace::walk_project(root, &[scripts::STATE_DIR]);
        for entry in walker {
            let entry = entry.map_err(io::Error::other)?;
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            if rel.as_os_str().is_empty() {
                continue;
            }
            let Some(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                tar.append_dir(rel, entry.path())?;
            } else if ft.is_file() || ft.is_symlink() {
                tar.append_path_with_name(entry.path(), rel)?;
            }
        }
    }
    append_scripts(&mut tar)?;
    tar.finish()?;
    let mut w = tar.into_inner()?;
    w.flush()?;
    Ok(w.bytes)
}

/// Unpacks a tar read from a pod into `dest`; returns the regular files
/// written, as paths relative to `dest` with `/` separators.
pub fn unpack(data: impl io::Read, dest: &Path) -> io::Result<Vec<String>> {
    std::fs::create_dir_all(dest)?;
    let mut archive = tar::Archive::new(data);
    archive.set_preserve_permissions(false);
    archive.set_overwrite(true);
    let mut files = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let is_file = entry.header().entry_type().is_file();
        // `unpack_in` refuses absolute paths and `..`.
        if entry.unpack_in(dest).map_err(with_cause)? && is_file {
            let rel: Vec<String> = path
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            files.push(rel.join("/"));
        }
    }
    Ok(files)
}

/// tar's "failed to unpack `x`" hides why (a cut-off archive, a full
/// disk): keep the cause in the message.
fn with_cause(e: io::Error) -> io::Error {
    use std::error::Error as _;
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    io::Error::new(e.kind(), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_what_git_would_see_and_the_scripts() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("p");
        std::fs::create_dir_all(src.join("target")).unwrap();
        std::fs::create_dir_all(src.join(".git")).unwrap();
        std::fs::write(src.join(".gitignore"), "target/\n").unwrap();
        std::fs::write(src.join("target/big"), "x").unwrap();
        std::fs::write(src.join(".git/HEAD"), "x").unwrap();
        std::fs::write(src.join("main.c"), "int main;").unwrap();
        let (tx, mut rx) = mpsc::channel(1024);
        let bytes = stream(Some(&src), tx).unwrap();
        let mut data = Vec::new();
        while let Ok(piece) = rx.try_recv() {
            data.extend(piece);
        }
        assert_eq!(bytes as usize, data.len());
        let out = dir.path().join("out");
        let mut files = unpack(&data[..], &out).unwrap();
        files.sort();
        assert!(files.contains(&"main.c".to_string()), "{files:?}");
        assert!(files.contains(&".gitignore".to_string()), "{files:?}");
        assert!(files.contains(&".switchyard/follow".to_string()), "{files:?}");
        assert!(
            !files
                .iter()
                .any(|f| f.starts_with("target") || f.starts_with(".git/")),
            "{files:?}"
        );
    }

    /// A tar cut short in transit once gave "failed to unpack `out/blob`"
    /// and nothing else; the message must say why.
    #[test]
    fn a_cut_off_archive_says_why_it_cannot_be_unpacked() {
        let dir = tempfile::tempdir().unwrap();
        let mut tar = tar::Builder::new(Vec::new());
        let mut header = tar::Header::new_gnu();
        header.set_size(64 * 1024);
        header.set_mode(0o644);
        header.set_cksum();
        tar.append_data(&mut header, "out/blob", &vec![7u8; 64 * 1024][..])
            .unwrap();
        let data = tar.into_inner().unwrap();
        let err = unpack(&data[..20 * 1024], &dir.path().join("x")).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("out/blob"), "{message}");
        assert!(
            message.len() > "failed to unpack `out/blob`".len() + 40,
            "{message}"
        );
    }
}
