//! Per-run workspaces: a private copy of the project for each run.
//!
//! The copy holds what git would see (tracked and untracked files, with
//! `.gitignore` respected, so `target/` or `node_modules/` are not copied) and
//! never `.git` itself. Jobs of a run share the workspace, so a build job's
//! output is there for the test job that needs it. `--in-place` skips the
//! copy and runs in the project folder itself.

use std::fmt;
use std::fs;
use std::io;
use std::path::Path;

/// Where a remote runner (Kubernetes) gets the project's files from. The
/// local runner always uses the run's workspace copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WorkspaceSource {
    /// The working tree as it is, uncommitted changes included and
    /// `.gitignore` respected, streamed to where the job runs (the default).
    #[default]
    Tree,
    /// The project's git remote at the run's exact commit, fetched where
    /// the job runs.
    Commit,
}

impl WorkspaceSource {
    /// The name used on the command line and in the run's snapshot.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceSource::Tree => "tree",
            WorkspaceSource::Commit => "commit",
        }
    }
}

impl fmt::Display for WorkspaceSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for WorkspaceSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "tree" => Ok(WorkspaceSource::Tree),
            "commit" => Ok(WorkspaceSource::Commit),
            other => Err(format!(
                "unknown workspace source `{other}`; use `tree` (the working tree, default) or `commit` (the git remote at the run's commit)"
            )),
        }
    }
}

/// Walks what git would see in the project at `src`: tracked and untracked
/// files, `.gitignore` respected, never `.git` nor any entry named in `skip`.
/// Symlinks are reported, not followed. Shared by the local copy and the
/// Kubernetes runner's upload, so both send the same files.
pub fn walk_project(src: &Path, skip: &'static [&'static str]) -> ignore::Walk {
    ignore::WalkBuilder::new(src)
        .hidden(false)
        .git_ignore(true)
        .git_global(false)
        .git_exclude(true)
        .ignore(false)
        .parents(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(move |e| e.file_name() != ".git" && !skip.iter().any(|s| e.file_name() == *s))
        .build()
}

/// Copies the project at `src` into the (new) directory `dest`; returns the
/// number of files copied.
pub fn copy_project(src: &Path, dest: &Path) -> io::Result<u64> {
    fs::create_dir_all(dest)?;
    let walker = walk_project(src, &[]);
    let mut files = 0u64;
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        let Ok(rel) = entry.path().strip_prefix(src) else {
            continue;
        };
        if rel.as_os_str().is_empty() {
            continue;
        }
        let target = dest.join(rel);
        let Some(ft) = entry.file_type() else { continue };
        if ft.is_dir() {
            fs::create_dir_all(&target)?;
        } else if ft.is_symlink() {
            let link = fs::read_link(entry.path())?;
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            #[cfg(unix)]
            std::os::unix::fs::symlink(&link, &target)?;
            #[cfg(not(unix))]
            let _ = link;
        } else if ft.is_file() {
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent)?;
            }
            fs::copy(entry.path(), &target)?;
            files += 1;
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_git_would_see() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("p");
        fs::create_dir_all(src.join("target")).unwrap();
        fs::create_dir_all(src.join(".git")).unwrap();
        fs::create_dir_all(src.join("src")).unwrap();
        fs::write(src.join(".gitignore"), "target/\n*.log\n").unwrap();
        fs::write(src.join("target/big"), "x").unwrap();
        fs::write(src.join(".git/HEAD"), "x").unwrap();
        fs::write(src.join("src/main.rs"), "fn main(){}").unwrap();
        fs::write(src.join("debug.log"), "x").unwrap();
        fs::write(src.join(".env.example"), "A=1").unwrap();
        let dest = dir.path().join("ws");
        let n = copy_project(&src, &dest).unwrap();
        assert_eq!(n, 3, ".gitignore, src/main.rs and .env.example");
        assert!(dest.join("src/main.rs").exists());
        assert!(dest.join(".env.example").exists());
        assert!(!dest.join("target").exists());
        assert!(!dest.join(".git").exists());
        assert!(!dest.join("debug.log").exists());
    }
}
