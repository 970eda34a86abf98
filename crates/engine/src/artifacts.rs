//! Files kept after a job: finding them by glob and storing them by content.
//!
//! The artifact store is content-addressed (`artifacts/ab/abcdef…` under the
//! data dir, named by SHA-256), so the same file kept by many runs is stored
//! once. Files are hashed while they are copied into a temporary file, which
//! is then renamed into place: a crash never leaves a half-written artifact
//! under its final name.

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use sha2::{Digest, Sha256};

/// A file that matched a job's patterns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedFile {
    /// Path relative to the workspace, with `/` separators.
    pub rel: String,
    /// Where it is on disk now.
    pub path: PathBuf,
}

/// The files under `root` that match any of `patterns` (globs relative to
/// `root`; `**` crosses directories). `.git` is never searched. Each pattern
/// is walked from its literal prefix, so `target/*.tar` does not read the
/// whole tree.
pub fn find(root: &Path, patterns: &[String]) -> io::Result<Vec<MatchedFile>> {
    let mut out: Vec<MatchedFile> = Vec::new();
    for pattern in patterns {
        let glob = Glob::new(pattern).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let set: GlobSet = GlobSetBuilder::new()
            .add(glob)
            .build()
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        let base = root.join(literal_prefix(pattern));
        if !base.exists() {
            continue;
        }
        let walker = ignore::WalkBuilder::new(&base)
            .standard_filters(false)
            .follow_links(false)
            .filter_entry(|e| e.file_name() != ".git")
            .build();
        for entry in walker {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                continue;
            }
            let Ok(rel) = entry.path().strip_prefix(root) else {
                continue;
            };
            let rel_text = rel
                .components()
                .filter_map(|c| match c {
                    Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect::<Vec<_>>()
                .join("/");
            if set.is_match(&rel_text) && !out.iter().any(|m| m.rel == rel_text) {
                out.push(MatchedFile {
                    rel: rel_text,
                    path: entry.path().to_path_buf(),
                });
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok(out)
}

/// The directories of a glob before its first wildcard (`dist/**/*.js` -> `dist`).
fn literal_prefix(pattern: &str) -> PathBuf {
    let mut prefix = PathBuf::new();
    let parts: Vec<&str> = pattern.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if i == parts.len() - 1 || part.contains(['*', '?', '[', '{', '\\']) {
            break;
        }
        if !part.is_empty() && *part != "." {
            prefix.push(part);
        }
    }
    prefix
}

/// The content-addressed store of kept files.
#[derive(Debug, Clone)]
pub struct ArtifactStore {
    root: PathBuf,
}

impl ArtifactStore {
    /// A store rooted at `root` (created on first use).
    pub fn new(root: PathBuf) -> ArtifactStore {
        ArtifactStore { root }
    }

    /// Where the content with this hash is stored.
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(sha256)
    }

    /// Copies a file into the store; returns its size and SHA-256.
    pub fn put(&self, src: &Path) -> io::Result<(u64, String)> {
        let tmp_dir = self.root.join("tmp");
        fs::create_dir_all(&tmp_dir)?;
        let mut tmp = tempfile::NamedTempFile::new_in(&tmp_dir)?;
        let mut input = File::open(src)?;
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        let mut size = 0u64;
        loop {
            let n = input.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            tmp.write_all(&buf[..n])?;
            size += n as u64;
        }
        let sha = hex::encode(hasher.finalize());
        let dest = self.path_of(&sha);
        if dest.exists() {
            return Ok((size, sha));
        }
        if let Some(parent) = dest.parent() {
            fs::create_dir_all(parent)?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(&dest).map_err(|e| e.error)?;
        Ok((size, sha))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_stops_at_the_first_wildcard() {
        assert_eq!(literal_prefix("dist/**/*.js"), PathBuf::from("dist"));
        assert_eq!(literal_prefix("*.txt"), PathBuf::new());
        assert_eq!(literal_prefix("out/report.xml"), PathBuf::from("out"));
        assert_eq!(literal_prefix("./a/b?/c"), PathBuf::from("a"));
    }

    #[test]
    fn finds_and_stores_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let ws = dir.path().join("ws");
        fs::create_dir_all(ws.join("out/sub")).unwrap();
        fs::create_dir_all(ws.join(".git")).unwrap();
        fs::write(ws.join("out/a.txt"), "same").unwrap();
        fs::write(ws.join("out/sub/b.txt"), "same").unwrap();
        fs::write(ws.join("out/c.log"), "other").unwrap();
        fs::write(ws.join(".git/x.txt"), "no").unwrap();
        let found = find(&ws, &["out/**/*.txt".into(), "**/*.txt".into()]).unwrap();
        let rels: Vec<&str> = found.iter().map(|m| m.rel.as_str()).collect();
        assert_eq!(rels, vec!["out/a.txt", "out/sub/b.txt"]);

        let store = ArtifactStore::new(dir.path().join("store"));
        let (size, sha) = store.put(&found[0].path).unwrap();
        let (_, sha2) = store.put(&found[1].path).unwrap();
        assert_eq!(size, 4);
        assert_eq!(sha, sha2, "same content, same address");
        assert_eq!(
            sha,
            "0967115f2813a3541eaef77de9d9d5773f1c0c04314b0bbfe4ff3b3b1c55b5d5"
        );
        assert_eq!(fs::read(store.path_of(&sha)).unwrap(), b"same");
    }
}
