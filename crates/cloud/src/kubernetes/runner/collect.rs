//! Copying files back from a job's pod (artifacts, reports): the workspace
//! listed once, the matches read back as one tar streamed to disk.

use std::collections::HashSet;

use super::*;

impl KubernetesRunner {
    pub(super) async fn collect_files(
        &self,
        key: JobKey,
        patterns: &[String],
        dest: &Path,
    ) -> Result<Vec<CollectedFile>, RunnerError> {
        let job = self
            .job(key)
            .ok_or_else(|| RunnerError::CollectFailed("the job is not prepared".into()))?;
        let set = glob_set(patterns)?;
        let cached = lock(&job.listing).clone();
        let listing = match cached {
            Some(l) => l,
            None => {
                let script = "find . -path ./.git -prune -o -path ./.switchyard -prune -o -type f -print";
                let out = self
                    .run_in_pod(&job, "list the workspace", exec::sh(script, &[]), None)
                    .await
                    .map_err(RunnerError::CollectFailed)?;
                if !out.success() {
                    return Err(RunnerError::CollectFailed(format!(
                        "cannot list the workspace in the pod: {}",
                        out.failure()
                    )));
                }
                let files: Vec<String> = String::from_utf8_lossy(&out.stdout)
                    .lines()
                    .map(|l| l.strip_prefix("./").unwrap_or(l).to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
                let files = Arc::new(files);
                *lock(&job.listing) = Some(files.clone());
                files
            }
        };
        let wanted: Vec<&String> = listing.iter().filter(|f| set.is_match(f.as_str())).collect();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }
        let mut list = String::new();
        for f in &wanted {
            list.push_str(f);
            list.push('\n');
        }
        // The tar goes to a file as it arrives, never whole into memory.
        tokio::fs::create_dir_all(dest)
            .await
            .map_err(|e| RunnerError::CollectFailed(format!("cannot create {}: {e}", dest.display())))?;
        let tar_path = dest.with_extension("tar");
        let cmd = exec::sh("tar -cf - -T -", &[]);
        let input = list.into_bytes();
        let out = self
            .settings
            .retry
            .run("copy files back", || {
                exec::output_to_file(&job.api, &job.pod, cmd.clone(), input.clone(), &tar_path)
            })
            .await
            .map_err(|e| RunnerError::CollectFailed(self.unreachable("cannot copy files back", &e)))?
            .map_err(|e| RunnerError::CollectFailed(format!("cannot write {}: {e}", tar_path.display())))?;
        if !out.success() {
            let _ = tokio::fs::remove_file(&tar_path).await;
            return Err(RunnerError::CollectFailed(format!(
                "cannot read files from the pod: {}",
                out.failure()
            )));
        }
        let dest = dest.to_path_buf();
        let unpacked = tokio::task::spawn_blocking(move || {
            let result = std::fs::File::open(&tar_path)
                .map(std::io::BufReader::new)
                .and_then(|r| super::super::tarball::unpack(r, &dest));
            let _ = std::fs::remove_file(&tar_path);
            result.map(|f| (f, dest))
        })
        .await
        .map_err(|e| RunnerError::CollectFailed(e.to_string()))?;
        let files = unpacked
            .map_err(|e| RunnerError::CollectFailed(format!("cannot unpack the files from the pod: {e}")))?;
        let (written, dest) = files;
        let written: HashSet<String> = written.into_iter().collect();
        let mut found: Vec<CollectedFile> = wanted
            .into_iter()
            .filter(|f| written.contains(f.as_str()))
            .map(|f| CollectedFile {
                rel: f.clone(),
                path: dest.join(f),
            })
            .collect();
        found.sort_by(|a, b| a.rel.cmp(&b.rel));
        Ok(found)
    }
}

pub(super) fn glob_set(patterns: &[String]) -> Result<globset::GlobSet, RunnerError> {
    let mut b = globset::GlobSetBuilder::new();
    for p in patterns {
        b.add(
            globset::Glob::new(p)
                .map_err(|e| RunnerError::CollectFailed(format!("bad pattern `{p}`: {e}")))?,
        );
    }
    b.build().map_err(|e| RunnerError::CollectFailed(e.to_string()))
}
