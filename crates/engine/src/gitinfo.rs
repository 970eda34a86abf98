//! What git says about a project: commit, branch, dirtiness and remote.
//!
//! Read with libgit2 (no `git` binary, no parsing of its output). A project
//! that is not a git repository simply has no git facts; a repository that
//! cannot be read is logged and treated the same way, since a run must not
//! fail because of it.

use std::path::Path;

use git2::{Repository, StatusOptions};

/// Git facts about a project folder at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GitInfo {
    /// The checked-out commit (full hex id); none in a repository without commits.
    pub commit: Option<String>,
    /// The checked-out branch; none when HEAD is detached.
    pub branch: Option<String>,
    /// Whether tracked files are modified or untracked files exist (ignored files don't count).
    pub dirty: bool,
    /// URL of the `origin` remote (or the only remote), as git has it: it
    /// may hold a credential (`https://user:token@host/...`). Use it to
    /// fetch; store and show [`redact_remote`] of it.
    pub remote: Option<String>,
}

/// A remote URL without credentials, safe to store and show.
///
/// `https://user:token@host/org/repo.git` becomes `https://host/org/repo.git`
/// (for http, https, ftp and git URLs any user part can be a token); an ssh
/// URL keeps its user name (the account ssh logs in as) but loses a
/// password; scp-like `git@host:org/repo` has no secret and stays as it is.
pub fn redact_remote(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let Some(at) = authority.rfind('@') else {
        return url.to_string();
    };
    let (userinfo, host) = (&authority[..at], &authority[at + 1..]);
    let keep_user = match scheme.to_ascii_lowercase().as_str() {
        "http" | "https" | "ftp" | "ftps" | "git" => None,
        _ => Some(userinfo.split(':').next().unwrap_or("")),
    };
    match keep_user {
        Some(user) if !user.is_empty() => format!("{scheme}://{user}@{host}{path}"),
        _ => format!("{scheme}://{host}{path}"),
    }
}

/// Reads the repository containing `dir`, or `None` when there is none.
pub fn read(dir: &Path) -> Option<GitInfo> {
    let repo = match Repository::discover(dir) {
        Ok(r) => r,
        Err(e) if e.code() == git2::ErrorCode::NotFound => return None,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot read the git repository");
            return None;
        }
    };
    if repo.is_bare() {
        return None;
    }
    let mut info = GitInfo::default();
    match repo.head() {
        Ok(head) => {
            info.commit = head.peel_to_commit().ok().map(|c| c.id().to_string());
            if head.is_branch() {
                info.branch = head.shorthand().ok().map(str::to_string);
            }
        }
        Err(_) => {
            // An unborn branch: HEAD names a branch that has no commit yet.
            if let Ok(reference) = repo.find_reference("HEAD")
                && let Ok(Some(target)) = reference.symbolic_target()
            {
                info.branch = target.strip_prefix("refs/heads/").map(str::to_string);
            }
        }
    }
    let mut opts = StatusOptions::new();
    opts.include_untracked(true)
        .recurse_untracked_dirs(false)
        .include_ignored(false)
        .exclude_submodules(true);
    info.dirty = match repo.statuses(Some(&mut opts)) {
        Ok(statuses) => !statuses.is_empty(),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot read git status");
            false
        }
    };
    info.remote = repo
        .find_remote("origin")
        .ok()
        .and_then(|r| r.url().ok().map(str::to_string))
        .or_else(|| {
            let names = repo.remotes().ok()?;
            let first = names.iter().flatten().flatten().next()?.to_string();
            repo.find_remote(&first).ok()?.url().ok().map(str::to_string)
        });
    Some(info)
}

/// The credential part of a remote URL (what [`redact_remote`] takes out
/// beyond a kept ssh user name), for masking in logs; `None` when it has none.
pub fn remote_credential(url: &str) -> Option<String> {
    let (_, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    let at = authority.rfind('@')?;
    let userinfo = &authority[..at];
    if redact_remote(url) == url || userinfo.is_empty() {
        return None;
    }
    // `user:token` or a bare token; the ssh user name alone is no secret.
    match userinfo.split_once(':') {
        Some((_, secret)) if !secret.is_empty() => Some(secret.to_string()),
        Some(_) => None,
        None => Some(userinfo.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::{redact_remote, remote_credential};

    #[test]
    fn the_credential_of_a_remote_is_found_for_masking() {
        assert_eq!(
            remote_credential("https://bot:ghp_tok3n@github.example/r.git").as_deref(),
            Some("ghp_tok3n")
        );
        assert_eq!(
            remote_credential("https://ghp_tok3n@github.example/r.git").as_deref(),
            Some("ghp_tok3n")
        );
        assert_eq!(remote_credential("ssh://git@host/r.git"), None);
        assert_eq!(remote_credential("https://host/r.git"), None);
    }

    #[test]
    fn credentials_never_survive_redaction() {
        for (raw, clean) in [
            (
                "https://bot:ghp_tok3n@github.example/org/r.git",
                "https://github.example/org/r.git",
            ),
            (
                "https://ghp_tok3n@github.example/org/r.git",
                "https://github.example/org/r.git",
            ),
            ("http://u:p@host:8080/r?x=1", "http://host:8080/r?x=1"),
            ("ssh://git:pw@host/r.git", "ssh://git@host/r.git"),
            ("ssh://git@host/r.git", "ssh://git@host/r.git"),
            ("git@host:org/r.git", "git@host:org/r.git"),
            ("https://host/path@v1/r.git", "https://host/path@v1/r.git"),
            ("/srv/git/r.git", "/srv/git/r.git"),
            ("https://a:b@c@host/r", "https://host/r"),
        ] {
            assert_eq!(redact_remote(raw), clean, "{raw}");
        }
    }
}

/// One commit, as shown in a project's overview.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitInfo {
    /// Full hex id.
    pub id: String,
    /// First line of the message.
    pub summary: String,
    /// Author name.
    pub author: String,
    /// Commit time (Unix ms).
    pub time: i64,
}

/// The last `n` commits reachable from HEAD, newest first (empty when the
/// folder is not in a repository or has no commits).
pub fn recent_commits(dir: &Path, n: usize) -> Vec<CommitInfo> {
    let Ok(repo) = Repository::discover(dir) else {
        return Vec::new();
    };
    let Ok(mut walk) = repo.revwalk() else {
        return Vec::new();
    };
    if walk.push_head().is_err() {
        return Vec::new();
    }
    let _ = walk.set_sorting(git2::Sort::TIME);
    walk.flatten()
        .take(n)
        .filter_map(|oid| repo.find_commit(oid).ok())
        .map(|c| CommitInfo {
            id: c.id().to_string(),
            summary: c.summary().ok().flatten().unwrap_or("").to_string(),
            author: c.author().name().ok().unwrap_or("").to_string(),
            time: c.time().seconds() * 1000,
        })
        .collect()
}
