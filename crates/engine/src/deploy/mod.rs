//! Deployments: a deploy job ships an app's manifests to cluster targets,
//! wave after wave, with a strategy, and the history keeps every revision.
//!
//! The engine knows no cluster. It loads and checks the manifests
//! ([`manifests`]), sets the images and stamps Switchyard's labels on every
//! object, records the deployment and its targets in SQLite, and asks a
//! [`Deployer`] (implemented by `switchyard-cloud` over the Kubernetes API)
//! to roll the objects out on each target. A wave starts when every target
//! of the wave before succeeded; a failure stops the later waves, which are
//! recorded as skipped with the reason.
//!
//! Lifecycles: [`DeploymentStatus`] for a deployment, [`TargetStatus`] for
//! each of its targets; the database stores their names.

pub mod analysis;
pub mod dora;
pub mod kustomize;
pub mod manifests;

use std::fmt;

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::Engine;
use crate::pipeline::Strategy;
pub use crate::status::{DeploymentStatus, TargetStatus};
use crate::store::{StoreError, now_ms};

pub use analysis::{Metrics, StepChecks, Vars, Verdict};
pub use manifests::{Manifest, ManifestError};

/// Label on everything Switchyard applies: the app's name.
pub const LABEL_APP: &str = "switchyard.dev/app";
/// Label: the version (the image's tag, else `r<revision>`).
pub const LABEL_VERSION: &str = "switchyard.dev/version";
/// Label: the environment.
pub const LABEL_ENVIRONMENT: &str = "switchyard.dev/environment";
/// Label: the id of the deployment that applied the object.
pub const LABEL_DEPLOYMENT: &str = "switchyard.dev/deployment-id";
/// Annotation: the app's revision in its environment.
pub const ANNOTATION_REVISION: &str = "switchyard.dev/revision";
/// The field manager of server-side apply.
pub const FIELD_MANAGER: &str = "switchyard";

/// Whether an environment's name says production (`production`, `prod`):
/// its deployments ask for approval by default and notify when live.
pub fn is_production(environment: &str) -> bool {
    matches!(environment.to_ascii_lowercase().as_str(), "production" | "prod")
}

/// A container image reference: `registry/repo[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// Everything before the tag and digest (`ghcr.io/acme/web`).
    pub repository: String,
    /// The tag, when there is one.
    pub tag: Option<String>,
    /// The digest (`sha256:...`), when there is one.
    pub digest: Option<String>,
}

impl ImageRef {
    /// Parses a reference; the error says what is wrong with it.
    pub fn parse(text: &str) -> Result<ImageRef, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("is empty; give an image like `ghcr.io/acme/web:1.4`".into());
        }
        if t.len() > 512 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("is not an image reference; give one like `ghcr.io/acme/web:1.4`".into());
        }
        let (rest, digest) = match t.split_once('@') {
            Some((r, d)) => {
                if !d.contains(':') || d.ends_with(':') {
                    return Err(format!("has a bad digest `{d}`; write it as `sha256:<hex>`"));
                }
                (r, Some(d.to_string()))
            }
            None => (t, None),
        };
        // A tag follows the last `:` after the last `/` (a `:` before it is a port).
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (repository, tag) = match rest[slash..].rfind(':') {
            Some(i) => {
                let tag = &rest[slash + i + 1..];
                if tag.is_empty() {
                    return Err("ends with `:` but has no tag".into());
                }
                (&rest[..slash + i], Some(tag.to_string()))
            }
            None => (rest, None),
        };
        if repository.is_empty() || repository.ends_with('/') || repository.starts_with('/') {
            return Err("has no repository name".into());
        }
        if !repository
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':'))
        {
            return Err("has characters an image repository may not hold".into());
        }
        Ok(ImageRef {
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// Whether it names one image (a tag or a digest), not only a repository.
    pub fn is_pinned(&self) -> bool {
        self.tag.is_some() || self.digest.is_some()
    }

    /// The version it stands for, as a label value: the tag, else the
    /// digest's first 12 hex digits.
    pub fn version(&self) -> Option<String> {
        let raw = match (&self.tag, &self.digest) {
            (Some(t), _) => t.clone(),
            (None, Some(d)) => d.rsplit(':').next().unwrap_or(d).chars().take(12).collect(),
            (None, None) => return None,
        };
        let cleaned: String = raw
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '-'
                }
            })
            .take(63)
            .collect();
        let cleaned = cleaned
            .trim_matches(|c: char| !c.is_ascii_alphanumeric())
            .to_string();
        (!cleaned.is_empty()).then_some(cleaned)
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

/// What a [`Deployer`] is asked to do on one target.
#[derive(Clone)]
pub struct DeployRequest {
    /// The deployment (0 for a dry run, which is not recorded).
    pub deployment_id: i64,
    /// The app's revision in its environment (0 for a dry run).
    pub revision: i64,
    /// The app.
    pub app: String,
    /// The environment.
    pub environment: String,
    /// The target's name (a configured target or a kubeconfig context).
    pub target: String,
    /// The objects to apply: images set and labels stamped, in apply order.
    pub objects: Vec<Manifest>,
    /// The strategy.
    pub strategy: Strategy,
    /// Only compute and report the diff.
    pub dry_run: bool,
    /// Take over fields another field manager owns instead of failing.
    pub force: bool,
    /// The checks to run at each canary step, when the job has an analysis.
    pub checks: Option<std::sync::Arc<dyn StepChecks>>,
}

/// What a deployer reports while it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeployEvent {
    /// A line for the job's log.
    Line(String),
    /// A canary's share of the traffic changed (recorded in the history).
    Weight {
        /// The step (1-based) of `of`.
        step: u32,
        /// How many steps the canary has.
        of: u32,
        /// The canary's share, in percent.
        canary: u8,
    },
}

/// Where a deployer reports what it does (a target's log and history).
#[derive(Debug, Clone)]
pub struct Progress(mpsc::Sender<DeployEvent>);

impl Progress {
    /// Progress into `tx`.
    pub fn new(tx: mpsc::Sender<DeployEvent>) -> Progress {
        Progress(tx)
    }

    /// A line for the job's log.
    pub async fn say(&self, text: impl Into<String>) {
        let _ = self.0.send(DeployEvent::Line(text.into())).await;
    }

    /// The canary's share of the traffic is now `canary`%.
    pub async fn weight(&self, step: u32, of: u32, canary: u8) {
        let _ = self.0.send(DeployEvent::Weight { step, of, canary }).await;
    }
}

/// How one target's rollout ended (a failed rollout is data, not an `Err`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome {
    /// How it ended.
    pub status: TargetStatus,
    /// Why, for anything but success.
    pub reason: Option<String>,
}

/// Why a deployer could not do its work at all.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The target is not known or cannot be reached.
    #[error("target `{target}`: {reason}")]
    TargetUnavailable {
        /// The target.
        target: String,
        /// Why, and what to do.
        reason: String,
    },
}

/// Rolls objects out on a target. Implemented by `switchyard-cloud`.
#[async_trait]
pub trait Deployer: Send + Sync {
    /// Applies `request.objects` to the target with the strategy and waits
    /// for the rollout, reporting progress lines; a failed rollout is
    /// rolled back by the deployer when it can. Stops (and rolls back)
    /// when `cancel` fires.
    async fn deploy(
        &self,
        request: DeployRequest,
        progress: Progress,
        cancel: CancellationToken,
    ) -> Result<TargetOutcome, DeployError>;
}

/// A recorded deployment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeploymentRecord {
    /// Its id.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// The app.
    pub app: String,
    /// The environment.
    pub environment: String,
    /// The app's revision in this environment (1, 2, ...).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub revision: i64,
    /// Where it is in its life.
    pub status: DeploymentStatus,
    /// The strategy.
    pub strategy: String,
    /// The image set (the first, when several were).
    pub image: Option<String>,
    /// The version label.
    pub version: String,
    /// The commit the manifests came from.
    pub commit: Option<String>,
    /// The run and job that made it.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub run_id: i64,
    /// The deploy job.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub job_id: i64,
    /// Why, when it did not succeed.
    pub reason: Option<String>,
    /// When it was recorded (RFC 3339).
    pub created_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: Option<String>,
    /// Its targets, in wave order.
    pub targets: Vec<DeploymentTarget>,
}

/// One target of a recorded deployment.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeploymentTarget {
    /// The target's name.
    pub name: String,
    /// Its wave (1-based).
    pub wave: u32,
    /// Where it is.
    pub status: TargetStatus,
    /// Why, when it did not succeed.
    pub reason: Option<String>,
}

/// A deployment about to be recorded.
pub(crate) struct NewDeployment {
    pub app: String,
    pub environment: String,
    pub strategy: Strategy,
    pub image: Option<String>,
    pub version: Option<String>,
    pub commit: Option<String>,
    pub run_id: i64,
    pub job_id: i64,
    pub waves: Vec<Vec<String>>,
}

fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

const DEPLOYMENT_COLUMNS: &str = "id, app, environment, revision, status, strategy, image, version, commit_sha, run_id, job_id, reason, created_at, finished_at";

fn deployment_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeploymentRecord> {
    let status: String = r.get(4)?;
    Ok(DeploymentRecord {
        id: r.get(0)?,
        app: r.get(1)?,
        environment: r.get(2)?,
        revision: r.get(3)?,
        status: status.parse().unwrap_or(DeploymentStatus::Failed),
        strategy: r.get(5)?,
        image: r.get(6)?,
        version: r.get(7)?,
        commit: r.get(8)?,
        run_id: r.get(9)?,
        job_id: r.get(10)?,
        reason: r.get(11)?,
        created_at: rfc3339(r.get(12)?),
        finished_at: r.get::<_, Option<i64>>(13)?.map(rfc3339),
        targets: Vec::new(),
    })
}

fn with_targets(c: &rusqlite::Connection, mut d: DeploymentRecord) -> rusqlite::Result<DeploymentRecord> {
    let mut st = c.prepare_cached(
        "SELECT target, wave, status, reason FROM deployment_targets WHERE deployment_id = ?1 ORDER BY wave, position",
    )?;
    d.targets = st
        .query_map([d.id], |r| {
            let status: String = r.get(2)?;
            Ok(DeploymentTarget {
                name: r.get(0)?,
                wave: r.get(1)?,
                status: status.parse().unwrap_or(TargetStatus::Failed),
                reason: r.get(3)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(d)
}

impl crate::store::Store {
    /// Records a new deployment with its targets (all `pending`) and gives
    /// it the app's next revision in its environment.
    pub(crate) async fn create_deployment(&self, d: NewDeployment) -> Result<(i64, i64, String), StoreError> {
        self.write(move |c| {
            let revision: i64 = c.query_row(
                "SELECT COALESCE(MAX(revision), 0) + 1 FROM deployments WHERE app = ?1 AND environment = ?2",
                params![d.app, d.environment],
                |r| r.get(0),
            )?;
            let version = d.version.clone().unwrap_or_else(|| format!("r{revision}"));
            let now = now_ms();
            // The first run of the deployed commit (else this run): where lead time starts.
            let first_seen: Option<i64> = match &d.commit {
                Some(commit) => c.query_row(
                    "SELECT MIN(created_at) FROM runs WHERE commit_sha = ?1",
                    [commit],
                    |r| r.get(0),
                )?,
                None => c.query_row("SELECT created_at FROM runs WHERE id = ?1", [d.run_id], |r| r.get(0)).optional()?,
            };
            c.execute(
                "INSERT INTO deployments (app, environment, revision, status, strategy, image, version, commit_sha, run_id, job_id, created_at, first_seen_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![d.app, d.environment, revision, d.strategy.as_str(), d.image, version, d.commit, d.run_id, d.job_id, now, first_seen.unwrap_or(now)],
            )?;
            let id = c.last_insert_rowid();
            let mut st = c.prepare_cached(
                "INSERT INTO deployment_targets (deployment_id, target, wave, position, status) VALUES (?1, ?2, ?3, ?4, 'pending')",
            )?;
            let mut position = 0i64;
            for (w, wave) in d.waves.iter().enumerate() {
                for t in wave {
                    st.execute(params![id, t, w as i64 + 1, position])?;
                    position += 1;
                }
            }
            Ok((id, revision, version))
        })
        .await
    }

    /// The unfinished deployment a deploy job recorded (a run resumed after
    /// a restart): id, revision and version.
    pub(crate) async fn deployment_of_job(
        &self,
        job_id: i64,
    ) -> Result<Option<(i64, i64, String)>, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT id, revision, version FROM deployments WHERE job_id = ?1 AND status IN ('pending', 'progressing')",
                [job_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .await
    }

    /// Records a target's new state, and a line of the deployment's events.
    pub(crate) async fn deployment_target_state(
        &self,
        id: i64,
        target: String,
        status: TargetStatus,
        reason: Option<String>,
    ) {
        self.send("deployment target state", move |c| {
            let now = now_ms();
            c.prepare_cached(
                "UPDATE deployment_targets SET status = ?3, reason = ?4,
                   started_at = COALESCE(started_at, ?5),
                   finished_at = CASE WHEN ?3 IN ('pending', 'progressing') THEN NULL ELSE ?5 END
                 WHERE deployment_id = ?1 AND target = ?2",
            )?
            .execute(params![id, target, status.as_str(), reason, now])?;
            c.prepare_cached("INSERT INTO deployment_events (deployment_id, target, at, kind, message) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![id, target, now, status.as_str(), reason])?;
            Ok(())
        })
        .await;
    }

    /// Records something that happened to a deployment's target (a weight
    /// change, a measurement).
    pub(crate) async fn deployment_event(
        &self,
        id: i64,
        target: Option<String>,
        kind: &'static str,
        message: String,
    ) {
        self.send("deployment event", move |c| {
            c.prepare_cached("INSERT INTO deployment_events (deployment_id, target, at, kind, message) VALUES (?1, ?2, ?3, ?4, ?5)")?
                .execute(params![id, target, now_ms(), kind, message])?;
            Ok(())
        })
        .await;
    }

    /// Whether something of `kind` happened to a deployment (it was
    /// approved, say).
    pub(crate) async fn deployment_has_event(&self, id: i64, kind: &'static str) -> Result<bool, StoreError> {
        self.read(move |c| {
            c.query_row(
                "SELECT EXISTS (SELECT 1 FROM deployment_events WHERE deployment_id = ?1 AND kind = ?2)",
                params![id, kind],
                |r| r.get(0),
            )
        })
        .await
    }

    /// Records a deployment's new state.
    pub(crate) async fn deployment_state(
        &self,
        id: i64,
        status: DeploymentStatus,
        reason: Option<String>,
    ) -> Result<(), StoreError> {
        self.write(move |c| {
            let now = now_ms();
            let ended = !matches!(status, DeploymentStatus::Pending | DeploymentStatus::Progressing);
            c.prepare_cached("UPDATE deployments SET status = ?2, reason = ?3, finished_at = CASE WHEN ?4 THEN ?5 ELSE NULL END WHERE id = ?1")?
                .execute(params![id, status.as_str(), reason, ended, now])?;
            c.prepare_cached("INSERT INTO deployment_events (deployment_id, target, at, kind, message) VALUES (?1, NULL, ?2, ?3, ?4)")?
                .execute(params![id, now, status.as_str(), reason])?;
            Ok(())
        })
        .await
    }
}

/// What a decision on a deployment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeploymentDecision {
    /// It was waiting and goes on.
    WentOn,
    /// It was waiting and is aborted: the stable version comes back.
    Aborted,
    /// It was running and is being stopped (and put back).
    Stopping,
}

/// One thing that happened to a deployment (or one of its targets).
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeploymentEvent {
    /// When (RFC 3339).
    pub at: String,
    /// The target, for a target's event.
    pub target: Option<String>,
    /// The state it entered.
    pub status: String,
    /// Why, or what was done.
    pub message: Option<String>,
}

impl Engine {
    /// Starts deploying a project to an environment: a run of the project's
    /// deploy jobs for that environment (and the jobs they need). The
    /// deployments it makes are [`Engine::deployments_of_run`].
    pub async fn start_deploy(
        &self,
        project: &crate::store::Project,
        environment: &str,
        mut options: crate::RunOptions,
    ) -> Result<crate::RunHandle, crate::EngineError> {
        use crate::pipeline::plan::JobKind;
        let plan = self.plan(project, &[])?;
        let mut environments: Vec<&str> = Vec::new();
        let mut jobs = Vec::new();
        for j in &plan.jobs {
            if let JobKind::Deploy(d) = &j.kind {
                if d.environment == environment {
                    jobs.push(j.name.clone());
                } else if !environments.contains(&d.environment.as_str()) {
                    environments.push(&d.environment);
                }
            }
        }
        if jobs.is_empty() {
            return Err(crate::EngineError::InvalidArgument(if environments.is_empty() {
                format!(
                    "project `{}` has no deploy job; add a job with `deploy:` to its switchyard.yaml (see docs/deployments.md)",
                    project.name
                )
            } else {
                format!(
                    "project `{}` has no deploy job for environment `{environment}`; its deploy jobs deploy to: {}",
                    project.name,
                    environments.join(", ")
                )
            }));
        }
        options.jobs = jobs;
        self.start_run(project, options).await
    }

    /// A person's decision on a deployment: one that waits (an inconclusive
    /// analysis, an approval) goes on (`go_on`) or is aborted; one that
    /// runs can only be stopped (its run is cancelled, which aborts a
    /// canary and rolls a rolling update back).
    pub async fn decide_deployment(
        &self,
        id: i64,
        go_on: bool,
        comment: Option<String>,
        via: &str,
    ) -> Result<DeploymentDecision, crate::EngineError> {
        use crate::EngineError::InvalidArgument;
        let Some(d) = self.deployment(id).await? else {
            return Err(InvalidArgument(format!(
                "no deployment with id {id}; `switchyard deploy history APP` lists them"
            )));
        };
        if d.status.is_terminal() {
            return Err(InvalidArgument(format!(
                "deployment #{id} has already ended ({})",
                d.status.as_str().replace('_', " ")
            )));
        }
        let run = self.run(d.run_id).await?;
        let Some(job) = run.jobs.iter().find(|j| j.id == d.job_id) else {
            return Err(InvalidArgument(format!(
                "deployment #{id}'s job is not in run {}",
                d.run_id
            )));
        };
        if job.status == crate::status::JobStatus::Waiting {
            self.decide(d.run_id, &job.name, go_on, comment, via).await?;
            return Ok(if go_on {
                DeploymentDecision::WentOn
            } else {
                DeploymentDecision::Aborted
            });
        }
        if go_on {
            return Err(InvalidArgument(format!(
                "deployment #{id} is not waiting for a decision; it goes on by itself through its steps"
            )));
        }
        self.cancel(d.run_id).await?;
        Ok(DeploymentDecision::Stopping)
    }

    /// Starts rolling an app back in an environment to a recorded revision
    /// (`to`; default: the latest succeeded revision before the current
    /// one): its image is deployed again with the project's manifests,
    /// directly (no canary, analysis or approval). Returns the run and the
    /// revision it goes back to.
    pub async fn start_rollback(
        &self,
        app: &str,
        environment: &str,
        to: Option<i64>,
        mut options: crate::RunOptions,
    ) -> Result<(crate::RunHandle, DeploymentRecord), crate::EngineError> {
        use crate::EngineError::InvalidArgument;
        let history = self.deployments(Some(app), Some(environment), 10_000).await?;
        let Some(current) = history.first() else {
            return Err(InvalidArgument(format!(
                "no deployment of `{app}` to `{environment}` is recorded; there is nothing to roll back"
            )));
        };
        let target = match to {
            Some(rev) => history.iter().find(|d| d.revision == rev).ok_or_else(|| {
                InvalidArgument(format!(
                    "`{app}` has no revision {rev} in `{environment}`; `switchyard deploy history {app} --env {environment}` lists them"
                ))
            })?,
            None => history
                .iter()
                .skip(1)
                .find(|d| d.status == DeploymentStatus::Succeeded)
                .ok_or_else(|| {
                    InvalidArgument(format!(
                        "`{app}` has no succeeded revision in `{environment}` before revision {}; name one with --to",
                        current.revision
                    ))
                })?,
        };
        let Some(image) = target.image.clone() else {
            return Err(InvalidArgument(format!(
                "revision {} of `{app}` set no image, so there is nothing to put back",
                target.revision
            )));
        };
        let run = self.run(target.run_id).await?;
        let project = self.project(&run.summary.project).await?;
        options.deploy.image = Some(image);
        options.deploy.rollback_to = Some(target.revision);
        options.deploy.dry_run = false;
        let handle = self.start_deploy(&project, environment, options).await?;
        Ok((handle, target.clone()))
    }

    /// What happened to a deployment, oldest first.
    pub async fn deployment_events(&self, id: i64) -> Result<Vec<DeploymentEvent>, crate::EngineError> {
        Ok(self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT at, target, kind, message FROM deployment_events WHERE deployment_id = ?1 ORDER BY id",
                )?;
                st.query_map([id], |r| {
                    Ok(DeploymentEvent {
                        at: rfc3339(r.get(0)?),
                        target: r.get(1)?,
                        status: r.get(2)?,
                        message: r.get(3)?,
                    })
                })?
                .collect()
            })
            .await?)
    }

    /// One deployment, with its targets.
    pub async fn deployment(&self, id: i64) -> Result<Option<DeploymentRecord>, crate::EngineError> {
        Ok(self
            .store()
            .read(move |c| {
                let d = c
                    .query_row(
                        &format!("SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE id = ?1"),
                        [id],
                        deployment_from_row,
                    )
                    .optional()?;
                d.map(|d| with_targets(c, d)).transpose()
            })
            .await?)
    }

    /// Deployments created in `start..end` (Unix ms), oldest first, at most
    /// `limit`: for markers on charts.
    pub async fn deployments_between(
        &self,
        start: i64,
        end: i64,
        limit: u32,
    ) -> Result<Vec<DeploymentRecord>, crate::EngineError> {
        Ok(self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(&format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE created_at >= ?1 AND created_at < ?2 ORDER BY created_at LIMIT ?3"
                ))?;
                st.query_map(params![start, end, i64::from(limit)], deployment_from_row)?.collect()
            })
            .await?)
    }

    /// The latest deployment of each app and environment, when it was
    /// rolled back or failed (what the `deployment_rolled_back` alert
    /// rule watches).
    pub async fn rolled_back_deployments(&self) -> Result<Vec<DeploymentRecord>, crate::EngineError> {
        Ok(self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(&format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments d
                     WHERE d.status IN ('rolled_back', 'failed')
                       AND d.id = (SELECT MAX(id) FROM deployments l
                                   WHERE l.app = d.app AND l.environment = d.environment
                                     AND l.status NOT IN ('pending', 'progressing', 'dry_run', 'cancelled'))
                     ORDER BY d.app, d.environment"
                ))?;
                st.query_map([], deployment_from_row)?.collect()
            })
            .await?)
    }

    /// The deployments a run made, in job order.
    pub async fn deployments_of_run(&self, run_id: i64) -> Result<Vec<DeploymentRecord>, crate::EngineError> {
        Ok(self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(&format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE run_id = ?1 ORDER BY id"
                ))?;
                let rows: Vec<DeploymentRecord> = st
                    .query_map([run_id], deployment_from_row)?
                    .collect::<Result<_, _>>()?;
                rows.into_iter().map(|d| with_targets(c, d)).collect()
            })
            .await?)
    }

    /// Deployments, newest first: of one app (or all), in one environment
    /// (or all).
    pub async fn deployments(
        &self,
        app: Option<&str>,
        environment: Option<&str>,
        limit: u32,
    ) -> Result<Vec<DeploymentRecord>, crate::EngineError> {
        let (app, env) = (app.map(str::to_string), environment.map(str::to_string));
        let limit = i64::from(limit.clamp(1, 10_000));
        Ok(self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(&format!(
                    "SELECT {DEPLOYMENT_COLUMNS} FROM deployments
                     WHERE (?1 IS NULL OR app = ?1) AND (?2 IS NULL OR environment = ?2)
                     ORDER BY id DESC LIMIT ?3"
                ))?;
                let rows: Vec<DeploymentRecord> = st
                    .query_map(params![app, env, limit], deployment_from_row)?
                    .collect::<Result<_, _>>()?;
                rows.into_iter().map(|d| with_targets(c, d)).collect()
            })
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references_split_into_repository_tag_and_digest() {
        let r = ImageRef::parse("registry.local:5000/acme/web:1.4.2").unwrap();
        assert_eq!(r.repository, "registry.local:5000/acme/web");
        assert_eq!(r.tag.as_deref(), Some("1.4.2"));
        assert_eq!(r.version().as_deref(), Some("1.4.2"));
        let r = ImageRef::parse("registry.local:5000/acme/web").unwrap();
        assert_eq!(r.repository, "registry.local:5000/acme/web");
        assert!(!r.is_pinned());
        let r = ImageRef::parse("web@sha256:0123456789abcdef0123").unwrap();
        assert_eq!(r.repository, "web");
        assert_eq!(r.version().as_deref(), Some("0123456789ab"));
        assert_eq!(r.to_string(), "web@sha256:0123456789abcdef0123");
        for bad in ["", "web:", "/web", "we b:1", "web@nothex", "ac$me/web"] {
            assert!(ImageRef::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn statuses_round_trip_through_their_names() {
        for s in [
            DeploymentStatus::RolledBack,
            DeploymentStatus::DryRun,
            DeploymentStatus::Succeeded,
        ] {
            assert_eq!(s.as_str().parse::<DeploymentStatus>().unwrap(), s);
        }
        assert_eq!("skipped".parse::<TargetStatus>().unwrap(), TargetStatus::Skipped);
    }
}
