//! Analysis of a canary's steps: PromQL checks measured against the
//! Prometheus source of the target, and the question a person answers when
//! the data cannot say (no data, or Prometheus unreachable).
//!
//! The engine knows no Prometheus: it asks a [`Metrics`] (implemented by
//! `switchyard-monitoring`). A deployer runs a step's checks through the
//! [`StepChecks`] it is given; every measurement is recorded in the
//! deployment's history. Missing data never passes: the step's verdict is
//! [`Verdict::Inconclusive`], and the rollout waits (the deploy job's
//! `waiting` state) until someone promotes or aborts it.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

use super::Progress;
use crate::Engine;
use crate::pipeline::{Analysis, format_duration};
use crate::status::JobStatus;
use crate::store::JobUpdate;

/// Reads metrics for analyses.
#[async_trait]
pub trait Metrics: Send + Sync {
    /// The value of an instant query now, from `source` (none: the target's
    /// source, else the default one): `Ok(None)` when it has no data; `Err`
    /// (what failed) when the source cannot be read.
    async fn instant(
        &self,
        engine: &Engine,
        source: Option<&str>,
        target: &str,
        query: &str,
    ) -> Result<Option<f64>, String>;
}

/// What a step's checks said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every check passed often enough.
    Passed,
    /// A check failed more often than allowed: abort.
    Failed(String),
    /// The data could not say: a person decides.
    Inconclusive(String),
}

/// The values put into the checks' queries.
#[derive(Debug, Clone, Default)]
pub struct Vars {
    /// The canary's version (`{{version}}`).
    pub version: String,
    /// The stable version (`{{stable_version}}`).
    pub stable_version: String,
    /// The app (`{{app}}`).
    pub app: String,
    /// The namespace (`{{namespace}}`).
    pub namespace: String,
}

impl Vars {
    /// `query` with its placeholders replaced.
    pub fn apply(&self, query: &str) -> String {
        query
            .replace("{{version}}", &self.version)
            .replace("{{stable_version}}", &self.stable_version)
            .replace("{{app}}", &self.app)
            .replace("{{namespace}}", &self.namespace)
    }
}

/// A step's checks, and the person to ask when they cannot decide.
#[async_trait]
pub trait StepChecks: Send + Sync {
    /// Measures every check of step `step` and says how it went.
    async fn check(&self, step: u32, vars: &Vars, progress: &Progress, cancel: &CancellationToken)
    -> Verdict;

    /// Waits for a person to decide, after `why`: `Some(true)` go on,
    /// `Some(false)` abort, `None` when `cancel` fired first.
    async fn ask(&self, why: &str, cancel: &CancellationToken) -> Option<bool>;
}

/// The engine's [`StepChecks`] for one target of one deployment.
pub(crate) struct Analyzer {
    pub engine: Engine,
    pub metrics: Arc<dyn Metrics>,
    pub spec: Analysis,
    pub target: String,
    pub deployment_id: i64,
    pub run_id: i64,
    pub job_id: i64,
    pub job: Arc<str>,
    pub started_at: i64,
}

#[async_trait]
impl StepChecks for Analyzer {
    async fn check(
        &self,
        step: u32,
        vars: &Vars,
        progress: &Progress,
        cancel: &CancellationToken,
    ) -> Verdict {
        let mut failures = vec![0u32; self.spec.checks.len()];
        for round in 0..self.spec.count {
            if round > 0 {
                tokio::select! {
                    _ = tokio::time::sleep(self.spec.interval) => {}
                    _ = cancel.cancelled() => return Verdict::Failed("the deployment was stopped".into()),
                }
            }
            for (i, check) in self.spec.checks.iter().enumerate() {
                let query = vars.apply(&check.query);
                let got = self
                    .metrics
                    .instant(&self.engine, self.spec.source.as_deref(), &self.target, &query)
                    .await;
                let (text, verdict) = match got {
                    Ok(Some(v)) if check.success.holds(v) => {
                        (format!("{} = {v} ({}): passed", check.name, check.success), None)
                    }
                    Ok(Some(v)) => {
                        failures[i] += 1;
                        let text = format!("{} = {v} ({}): failed", check.name, check.success);
                        if failures[i] > self.spec.failure_limit {
                            (
                                text.clone(),
                                Some(Verdict::Failed(format!(
                                    "analysis failed at step {step}: {text} ({} of {} measurements failed; {} allowed)",
                                    failures[i],
                                    round + 1,
                                    self.spec.failure_limit
                                ))),
                            )
                        } else {
                            (text, None)
                        }
                    }
                    Ok(None) => {
                        let text = format!("{}: no data", check.name);
                        (
                            text,
                            Some(Verdict::Inconclusive(format!(
                                "analysis at step {step} is inconclusive: `{}` returned no data",
                                check.name
                            ))),
                        )
                    }
                    Err(e) => (
                        format!("{}: cannot measure: {e}", check.name),
                        Some(Verdict::Inconclusive(format!(
                            "analysis at step {step} is inconclusive: {e}"
                        ))),
                    ),
                };
                let line = format!(
                    "measurement {}/{} of step {step}: {text}",
                    round + 1,
                    self.spec.count
                );
                self.engine
                    .inner
                    .store
                    .deployment_event(
                        self.deployment_id,
                        Some(self.target.clone()),
                        "measurement",
                        line.clone(),
                    )
                    .await;
                progress.say(line).await;
                if let Some(v) = verdict {
                    return v;
                }
            }
        }
        Verdict::Passed
    }

    async fn ask(&self, why: &str, cancel: &CancellationToken) -> Option<bool> {
        let question = format!(
            "{why}; nothing goes on without data: `switchyard deploy promote {id}` goes on, `switchyard deploy abort {id}` puts the stable version back",
            id = self.deployment_id
        );
        let person = Person {
            engine: &self.engine,
            run_id: self.run_id,
            job_id: self.job_id,
            job: self.job.clone(),
            started_at: self.started_at,
            deployment_id: self.deployment_id,
        };
        person
            .ask(
                Some(&self.target),
                &question,
                why,
                ("promoted", "aborted"),
                cancel,
            )
            .await
            .map(|(yes, _)| yes)
    }
}

/// The person a deploy job asks (an approval, an inconclusive analysis):
/// the job waits (`waiting`, the question as its reason) until someone
/// decides with `switchyard deploy promote|abort|approve|reject` or in the
/// app, here or in another process.
pub(crate) struct Person<'a> {
    pub engine: &'a Engine,
    pub run_id: i64,
    pub job_id: i64,
    pub job: Arc<str>,
    pub started_at: i64,
    pub deployment_id: i64,
}

impl Person<'_> {
    async fn job_state(&self, status: JobStatus, reason: Option<String>) {
        self.engine
            .inner
            .store
            .job_state(JobUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.job.clone(),
                status,
                attempts: 1,
                reason,
                started_at: Some(self.started_at),
                finished_at: None,
            })
            .await;
    }

    /// Asks `question` and waits: `Some((true, what))` yes, `Some((false,
    /// what))` no (`what`: who said it, when, why), `None` when `cancel`
    /// fired first. The wait (`why`) and the answer
    /// (`words.0` / `words.1`, who, after how long, their comment) are
    /// recorded in the deployment's history.
    pub(crate) async fn ask(
        &self,
        target: Option<&str>,
        question: &str,
        why: &str,
        words: (&'static str, &'static str),
        cancel: &CancellationToken,
    ) -> Option<(bool, String)> {
        let inner = &self.engine.inner;
        let wake = Arc::new(Notify::new());
        inner.wait_for_decision(self.job_id, wake.clone());
        self.job_state(JobStatus::Waiting, Some(question.to_string()))
            .await;
        let target = target.map(str::to_string);
        inner
            .store
            .deployment_event(self.deployment_id, target.clone(), "waiting", why.to_string())
            .await;
        let asked = tokio::time::Instant::now();
        let answer = loop {
            match inner.store.decision(self.job_id).await {
                Ok(Some(d)) => break Some(d),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "cannot read the decision on a deployment"),
            }
            tokio::select! {
                _ = wake.notified() => {}
                _ = cancel.cancelled() => break None,
            }
        };
        inner.decided(self.job_id);
        let _ = inner.store.clear_decision(self.job_id).await;
        self.job_state(JobStatus::Running, None).await;
        let d = answer?;
        let said = d.comment.map(|c| format!(": {c}")).unwrap_or_default();
        let word = if d.approved { words.0 } else { words.1 };
        let text = format!(
            "{word} by {} after {}{said}",
            d.by,
            format_duration(std::time::Duration::from_secs(asked.elapsed().as_secs().max(1)))
        );
        inner
            .store
            .deployment_event(self.deployment_id, target, word, text.clone())
            .await;
        Some((d.approved, text))
    }
}
