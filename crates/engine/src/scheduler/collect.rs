//! What a job leaves: artifacts kept in the content-addressed store and
//! JUnit reports read into test results, after its steps (also failed ones).

use crate::artifacts::ArtifactStore;
use crate::junit;
use crate::logs::LogWriter;
use crate::runner::Runner;
use crate::store::{ArtifactRecord, TestResultRecord};

use super::steps::JobRun;

impl JobRun {
    /// Keeps artifacts and reads JUnit reports, after the steps (also failed ones).
    /// `warnings` are the job's earlier ones (its outputs'), kept with these.
    pub(super) async fn collect(&self, runner: &dyn Runner, logs: &mut LogWriter, mut warnings: Vec<String>) {
        if self.job.artifacts.is_empty() && self.job.junit.is_empty() {
            if !warnings.is_empty() {
                for w in &warnings {
                    logs.system(None, &format!("warning: {w}")).await;
                }
                self.inner.store.job_warnings(self.job_id, warnings).await;
            }
            return;
        }
        let staging = self
            .inner
            .home
            .workspaces()
            .join(format!("collect-{}", self.job_id));

        if !self.job.artifacts.is_empty() {
            let store = ArtifactStore::new(self.inner.home.artifacts());
            let mut kept: Vec<ArtifactRecord> = Vec::new();
            for pattern in &self.job.artifacts {
                match runner
                    .collect(self.key(), std::slice::from_ref(pattern), &staging)
                    .await
                {
                    Ok(files) if files.is_empty() => {
                        warnings.push(format!("artifact pattern `{pattern}` matched no files"));
                    }
                    Ok(files) => {
                        for f in files {
                            if kept.iter().any(|k| k.path == f.rel) {
                                continue;
                            }
                            let st = store.clone();
                            let path = f.path.clone();
                            match tokio::task::spawn_blocking(move || st.put(&path)).await {
                                Ok(Ok((size, sha256))) => kept.push(ArtifactRecord {
                                    path: f.rel,
                                    size,
                                    sha256,
                                }),
                                Ok(Err(e)) => {
                                    warnings.push(format!("could not keep artifact {}: {e}", f.rel))
                                }
                                Err(e) => warnings.push(format!("could not keep artifact {}: {e}", f.rel)),
                            }
                        }
                    }
                    Err(e) => warnings.push(format!("could not collect artifacts `{pattern}`: {e}")),
                }
            }
            if !kept.is_empty() {
                let total: u64 = kept.iter().map(|a| a.size).sum();
                logs.system(
                    None,
                    &format!(
                        "kept {} artifact{} ({total} bytes)",
                        kept.len(),
                        if kept.len() == 1 { "" } else { "s" }
                    ),
                )
                .await;
            }
            self.inner.store.artifacts_replace(self.job_id, kept).await;
        }

        if !self.job.junit.is_empty() {
            let mut results: Vec<TestResultRecord> = Vec::new();
            let mut reports = 0usize;
            for pattern in &self.job.junit {
                match runner
                    .collect(self.key(), std::slice::from_ref(pattern), &staging)
                    .await
                {
                    Ok(files) if files.is_empty() => {
                        warnings.push(format!("no JUnit report matched `{pattern}`"));
                    }
                    Ok(files) => {
                        for f in files {
                            let path = f.path.clone();
                            let parsed = tokio::task::spawn_blocking(move || {
                                std::fs::read(&path)
                                    .map_err(|e| e.to_string())
                                    .and_then(|bytes| junit::parse(&bytes).map_err(|e| e.to_string()))
                            })
                            .await
                            .unwrap_or_else(|e| Err(e.to_string()));
                            match parsed {
                                Ok(cases) => {
                                    reports += 1;
                                    results.extend(cases.into_iter().map(|c| TestResultRecord {
                                        report: f.rel.clone(),
                                        suite: c.suite,
                                        classname: c.classname,
                                        name: c.name,
                                        status: c.outcome.as_str().into(),
                                        duration_ms: c.duration_ms,
                                        message: c.message,
                                        details: c.details,
                                    }));
                                }
                                Err(e) => {
                                    warnings.push(format!("JUnit report {} could not be read: {e}", f.rel))
                                }
                            }
                        }
                    }
                    Err(e) => warnings.push(format!("could not collect JUnit reports `{pattern}`: {e}")),
                }
            }
            let failed = results.iter().filter(|r| r.status == "failed").count();
            let skipped = results.iter().filter(|r| r.status == "skipped").count();
            if reports > 0 {
                logs.system(
                    None,
                    &format!(
                        "read {} test result{} from {reports} report{}: {} passed, {failed} failed, {skipped} skipped",
                        results.len(),
                        if results.len() == 1 { "" } else { "s" },
                        if reports == 1 { "" } else { "s" },
                        results.len() - failed - skipped
                    ),
                )
                .await;
            }
            self.inner.store.test_results_replace(self.job_id, results).await;
        }
        for w in &warnings {
            logs.system(None, &format!("warning: {w}")).await;
        }
        self.inner.store.job_warnings(self.job_id, warnings).await;
        let _ = tokio::fs::remove_dir_all(&staging).await;
    }
}
