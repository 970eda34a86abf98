//! Deploy jobs: load the manifests, set the images, record the deployment,
//! then roll it out on each wave's targets through the engine's
//! [`Deployer`](crate::deploy::Deployer), writing what happens to the job's
//! log (one step per target).
//!
//! A deploy job holds no runner slot. A restarted engine that resumes the
//! run finds the deployment its job recorded and goes on with it (same id
//! and revision): applying is idempotent, and the deployer picks the rollout
//! up from the cluster's state.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::deploy::{
    DeployEvent, DeployRequest, DeploymentStatus, ImageRef, NewDeployment, Progress, TargetOutcome,
    TargetStatus, manifests,
};
use crate::logs::LogWriter;
use crate::pipeline::{Deploy, format_duration};
use crate::state::{DeployOptions, Inner};
use crate::status::{JobStatus, StepStatus};
use crate::store::{JobUpdate, StepUpdate, now_ms};

/// One deploy job of a run.
pub(crate) struct DeployJob {
    pub inner: Arc<Inner>,
    pub run_id: i64,
    pub job_id: i64,
    pub name: Arc<str>,
    pub spec: Deploy,
    pub workspace: PathBuf,
    pub commit: Option<String>,
    pub options: DeployOptions,
    pub timeout: Option<Duration>,
    pub token: CancellationToken,
}

/// A line for the job's log: the step it belongs to (none: the job's own).
type Line = (Option<u32>, String);

impl DeployJob {
    async fn publish(&self, status: JobStatus, reason: Option<String>, started: i64, finished: Option<i64>) {
        self.inner
            .store
            .job_state(JobUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.name.clone(),
                status,
                attempts: 1,
                reason,
                started_at: Some(started),
                finished_at: finished,
            })
            .await;
    }

    async fn step(&self, idx: u32, name: &str, status: StepStatus) {
        let now = now_ms();
        self.inner
            .store
            .step_state(StepUpdate {
                run_id: self.run_id,
                job_id: self.job_id,
                job: self.name.clone(),
                name: name.into(),
                attempt: 1,
                idx,
                status,
                exit_code: None,
                started_at: Some(now),
                finished_at: status.is_terminal().then_some(now),
            })
            .await;
    }

    pub(crate) async fn run(self) -> JobStatus {
        let started = now_ms();
        self.publish(JobStatus::Running, None, started, None).await;
        // The log is written by its own task, so targets deploying at once
        // can all report.
        let (lines, mut rx) = mpsc::channel::<Line>(256);
        let mut log = LogWriter::new(
            self.inner.store.clone(),
            self.run_id,
            self.job_id,
            self.name.clone(),
        );
        if let Ok(state) = self.inner.store.log_state(self.job_id).await {
            log.continue_at(state.next_line, state.next_seq);
        }
        let writer = tokio::spawn(async move {
            while let Some((step, line)) = rx.recv().await {
                log.system(step, &line).await;
                while let Ok((step, line)) = rx.try_recv() {
                    log.system(step, &line).await;
                }
                log.flush().await;
            }
        });
        let cancel = self.token.child_token();
        let work = self.work(&lines, &cancel, started);
        let (status, reason) = match self.timeout {
            Some(limit) => {
                tokio::pin!(work);
                tokio::select! {
                    r = &mut work => r,
                    _ = tokio::time::sleep(limit) => {
                        // Stop the rollouts (they roll back) and let them end.
                        cancel.cancel();
                        let _ = work.await;
                        (JobStatus::TimedOut, Some(format!("the deployment passed the job's timeout of {}", format_duration(limit))))
                    }
                }
            }
            None => work.await,
        };
        if let Some(r) = &reason {
            let _ = lines.send((None, r.clone())).await;
        }
        drop(lines);
        let _ = writer.await;
        self.publish(status, reason, started, Some(now_ms())).await;
        status
    }

    /// The strategy: a rollback goes straight back (rolling).
    fn strategy(&self) -> crate::pipeline::Strategy {
        match self.options.rollback_to {
            Some(_) => crate::pipeline::Strategy::Rolling,
            None => self.spec.strategy.clone(),
        }
    }

    /// Whether a person approves this deployment before anything is applied.
    fn needs_approval(&self) -> bool {
        self.spec.approval.unwrap_or_else(|| {
            let production = crate::deploy::is_production;
            let config = self.inner.config.current();
            production(&self.spec.environment)
                || self.spec.waves.iter().flatten().any(|t| {
                    config
                        .targets
                        .get(t)
                        .and_then(|c| c.environment.as_deref())
                        .is_some_and(production)
                })
        })
    }

    /// Shows the diff of every target, then waits for a person. `Err`: the
    /// job's status, and the deployment's status and reason.
    #[allow(clippy::too_many_arguments)]
    async fn approve(
        &self,
        deployer: &Arc<dyn crate::deploy::Deployer>,
        objects: &[crate::deploy::Manifest],
        id: i64,
        revision: i64,
        version: &str,
        lines: &mpsc::Sender<Line>,
        cancel: &CancellationToken,
        started: i64,
    ) -> Result<(), (JobStatus, DeploymentStatus, String)> {
        let targets: Vec<&String> = self.spec.waves.iter().flatten().collect();
        for target in &targets {
            let (tx, mut rx) = mpsc::channel::<DeployEvent>(64);
            let forward = {
                let lines = lines.clone();
                let prefix = format!("[{target}] ");
                tokio::spawn(async move {
                    while let Some(event) = rx.recv().await {
                        if let DeployEvent::Line(l) = event {
                            let _ = lines.send((None, format!("{prefix}{l}"))).await;
                        }
                    }
                })
            };
            let request = DeployRequest {
                checks: None,
                deployment_id: id,
                revision,
                app: self.spec.app.clone(),
                environment: self.spec.environment.clone(),
                target: (*target).clone(),
                objects: objects.to_vec(),
                strategy: self.spec.strategy.clone(),
                dry_run: true,
                force: self.options.force,
            };
            let result = deployer.deploy(request, Progress::new(tx), cancel.clone()).await;
            let _ = forward.await;
            let why = match result {
                Ok(o) if o.status == TargetStatus::DryRun => continue,
                Ok(o) => o
                    .reason
                    .unwrap_or_else(|| format!("the diff of `{target}` could not be computed")),
                Err(e) => e.to_string(),
            };
            let _ = lines.send((None, why.clone())).await;
            let why = format!("`{target}` failed before approval: {why}");
            return Err((JobStatus::Failed, DeploymentStatus::Failed, why));
        }
        let person = crate::deploy::analysis::Person {
            engine: &crate::Engine {
                inner: self.inner.clone(),
            },
            run_id: self.run_id,
            job_id: self.job_id,
            job: self.name.clone(),
            started_at: started,
            deployment_id: id,
        };
        let names: Vec<&str> = targets.iter().map(|t| t.as_str()).collect();
        let question = format!(
            "Ship {} {version} to {} ({})? The diff is above. `switchyard deploy approve {id}` or `switchyard deploy reject {id}`",
            self.spec.app,
            self.spec.environment,
            names.join(", ")
        );
        let _ = lines.send((None, question.clone())).await;
        match person
            .ask(
                None,
                &question,
                "waiting for approval",
                ("approved", "rejected"),
                cancel,
            )
            .await
        {
            Some((true, text)) => {
                let _ = lines.send((None, text)).await;
                Ok(())
            }
            Some((false, text)) => Err((JobStatus::Failed, DeploymentStatus::Cancelled, text)),
            None => Err((
                JobStatus::Cancelled,
                DeploymentStatus::Cancelled,
                "the deployment was stopped while it waited for approval".into(),
            )),
        }
    }

    /// The outputs of the jobs of this run that this one's images name.
    async fn needed_outputs(
        &self,
    ) -> Result<std::collections::HashMap<String, std::collections::BTreeMap<String, String>>, String> {
        if !self.spec.images.iter().any(|i| i.contains("${{")) {
            return Ok(Default::default());
        }
        let run = self
            .inner
            .store
            .run(self.run_id)
            .await
            .map_err(|e| format!("cannot read the run's jobs: {e}"))?
            .ok_or_else(|| format!("run {} is gone", self.run_id))?;
        Ok(run.jobs.into_iter().map(|j| (j.name, j.outputs)).collect())
    }

    /// The images to set: `--image`, else the job's own pinned `images`
    /// (with the outputs of the jobs they name).
    fn images(
        &self,
        outputs: &std::collections::HashMap<String, std::collections::BTreeMap<String, String>>,
    ) -> Result<Vec<ImageRef>, String> {
        let mut images: Vec<ImageRef> = Vec::new();
        let given = match &self.options.image {
            Some(text) => Some(ImageRef::parse(text).map_err(|r| format!("--image `{text}` {r}"))?),
            None => None,
        };
        for written in &self.spec.images {
            let text = &crate::outputs::expand(written, |r| {
                let Some(job) = outputs.get(&r.job) else {
                    return Err(format!(
                        "`{written}` in `deploy.images` names job `{}`, which is not in this run (a matrix job's outputs cannot be named)",
                        r.job
                    ));
                };
                job.get(&r.name).cloned().ok_or_else(|| {
                    format!(
                        "`{written}` in `deploy.images`: job `{}` wrote no output `{}`; write `{}=<image>` to \"$SWITCHYARD_OUTPUT\" in one of its steps",
                        r.job, r.name, r.name
                    )
                })
            })?;
            let image = ImageRef::parse(text).map_err(|r| {
                if text == written {
                    format!("`{text}` in `deploy.images` {r}")
                } else {
                    format!("`{text}` (from `{written}` in `deploy.images`) {r}")
                }
            })?;
            if given.as_ref().is_some_and(|g| g.repository == image.repository) {
                continue;
            }
            if !image.is_pinned() {
                return Err(format!(
                    "`deploy.images` names `{text}` without a tag or digest; give the version to ship with `--image {text}:<tag>`"
                ));
            }
            images.push(image);
        }
        if let Some(g) = given {
            if !g.is_pinned() {
                return Err(format!(
                    "--image `{g}` has no tag or digest; give the version to ship, like `{g}:1.4`"
                ));
            }
            images.insert(0, g);
        }
        Ok(images)
    }

    async fn work(
        &self,
        lines: &mpsc::Sender<Line>,
        cancel: &CancellationToken,
        started: i64,
    ) -> (JobStatus, Option<String>) {
        let say = |step: Option<u32>, text: String| {
            let lines = lines.clone();
            async move {
                let _ = lines.send((step, text)).await;
            }
        };
        let targets: Vec<(u32, String)> = self
            .spec
            .waves
            .iter()
            .enumerate()
            .flat_map(|(w, wave)| wave.iter().map(move |t| (w as u32 + 1, t.clone())))
            .collect();
        let step_name = |wave: u32, target: &str| format!("deploy to {target} (wave {wave})");
        self.inner
            .store
            .steps_planned(
                self.job_id,
                1,
                targets.iter().map(|(w, t)| step_name(*w, t)).collect(),
            )
            .await;

        if self.spec.analysis.is_some() && self.inner.metrics.is_none() {
            return (
                JobStatus::Failed,
                Some("this build of Switchyard cannot read metrics for the analysis; use the `switchyard` command or the desktop app".into()),
            );
        }
        let Some(deployer) = self.inner.deployer.clone() else {
            return (
                JobStatus::Failed,
                Some("this build of Switchyard cannot deploy (no deployer); use the `switchyard` command or the desktop app".into()),
            );
        };
        // The objects: read, checked, images set.
        let (root, rel) = (self.workspace.clone(), self.spec.manifests.clone());
        let images = match self.needed_outputs().await.and_then(|o| self.images(&o)) {
            Ok(i) => i,
            Err(e) => return (JobStatus::Failed, Some(e)),
        };
        let loaded = tokio::task::spawn_blocking(move || {
            let mut objects = manifests::load(&root, &rel)?;
            let set = manifests::set_images(&mut objects, &images)
                .map_err(|m| manifests::ManifestError { problems: vec![m] })?;
            manifests::sort_for_apply(&mut objects);
            Ok::<_, manifests::ManifestError>((objects, set, images))
        })
        .await;
        let (mut objects, set, images) = match loaded {
            Ok(Ok(v)) => v,
            Ok(Err(e)) => {
                for p in &e.problems {
                    say(None, p.clone()).await;
                }
                let first = e.problems.first().cloned().unwrap_or_default();
                return (
                    JobStatus::Failed,
                    Some(format!("the manifests cannot be applied: {first}")),
                );
            }
            Err(e) => {
                return (
                    JobStatus::Failed,
                    Some(format!("reading the manifests failed: {e}")),
                );
            }
        };
        say(
            None,
            format!(
                "{} objects from {}{}",
                objects.len(),
                self.spec.manifests,
                if set.is_empty() {
                    String::new()
                } else {
                    format!("; images: {}", set.join(", "))
                }
            ),
        )
        .await;
        let version = images.first().and_then(ImageRef::version);

        // Recorded (or found again, when a restarted engine resumes the run).
        let (id, revision, version) = if self.options.dry_run {
            (0, 0, version.unwrap_or_else(|| "dry-run".into()))
        } else {
            match self.inner.store.deployment_of_job(self.job_id).await {
                Ok(Some(d)) => {
                    say(
                        None,
                        format!("resuming deployment #{} (revision {}) after a restart", d.0, d.1),
                    )
                    .await;
                    d
                }
                _ => {
                    let new = NewDeployment {
                        app: self.spec.app.clone(),
                        environment: self.spec.environment.clone(),
                        strategy: self.strategy(),
                        image: set.first().cloned(),
                        version,
                        commit: self.commit.clone(),
                        run_id: self.run_id,
                        job_id: self.job_id,
                        waves: self.spec.waves.clone(),
                    };
                    match self.inner.store.create_deployment(new).await {
                        Ok(d) => d,
                        Err(e) => {
                            return (
                                JobStatus::Failed,
                                Some(format!("cannot record the deployment: {e}")),
                            );
                        }
                    }
                }
            }
        };
        manifests::stamp(
            &mut objects,
            &self.spec.app,
            &self.spec.environment,
            &version,
            id,
            revision,
        );
        if id > 0 {
            say(
                None,
                format!(
                    "deployment #{id}: {} {version} to {} (revision {revision}, {})",
                    self.spec.app,
                    self.spec.environment,
                    self.strategy().as_str()
                ),
            )
            .await;
            if let Some(to) = self.options.rollback_to {
                let text = format!("rollback to revision {to}: its image again, rolled out directly");
                say(None, text.clone()).await;
                self.inner
                    .store
                    .deployment_event(id, None, "rollback", text)
                    .await;
            }
            let _ = self
                .inner
                .store
                .deployment_state(id, DeploymentStatus::Progressing, None)
                .await;
        }

        // A deployment approved before a restart is not asked about again.
        let approved_before = id > 0
            && self
                .inner
                .store
                .deployment_has_event(id, "approved")
                .await
                .unwrap_or(false);
        if id > 0
            && self.options.rollback_to.is_none()
            && self.needs_approval()
            && !approved_before
            && let Err((job, deployment, why)) = self
                .approve(
                    &deployer, &objects, id, revision, &version, lines, cancel, started,
                )
                .await
        {
            for t in self.spec.waves.iter().flatten() {
                self.inner
                    .store
                    .deployment_target_state(id, t.clone(), TargetStatus::Skipped, Some(why.clone()))
                    .await;
            }
            let _ = self
                .inner
                .store
                .deployment_state(id, deployment, Some(why.clone()))
                .await;
            say(
                None,
                format!("deployment #{id}: {}", deployment.as_str().replace('_', " ")),
            )
            .await;
            return (job, Some(why));
        }

        let mut failure: Option<(TargetStatus, String)> = None;
        // Targets of finished waves that run the new version now.
        let mut shipped: Vec<String> = Vec::new();
        let mut idx = 0u32;
        for (w, wave) in self.spec.waves.iter().enumerate() {
            let wave_no = w as u32 + 1;
            let first_idx = idx;
            idx += wave.len() as u32;
            if let Some((_, why)) = &failure {
                for (k, t) in wave.iter().enumerate() {
                    let reason = format!("not started: {why}");
                    self.step(first_idx + k as u32, &step_name(wave_no, t), StepStatus::Skipped)
                        .await;
                    if id > 0 {
                        self.inner
                            .store
                            .deployment_target_state(id, t.clone(), TargetStatus::Skipped, Some(reason))
                            .await;
                    }
                }
                continue;
            }
            if cancel.is_cancelled() {
                failure = Some((TargetStatus::Cancelled, "the deployment was stopped".into()));
                continue;
            }
            if self.spec.waves.len() > 1 {
                say(None, format!("wave {wave_no}: {}", wave.join(", "))).await;
            }
            let rollouts = wave.iter().enumerate().map(|(k, target)| {
                let step = first_idx + k as u32;
                let checks: Option<Arc<dyn crate::deploy::StepChecks>> =
                    match (&self.spec.analysis, &self.inner.metrics) {
                        (Some(spec), Some(metrics)) if id > 0 && self.options.rollback_to.is_none() => {
                            Some(Arc::new(crate::deploy::analysis::Analyzer {
                                engine: crate::Engine {
                                    inner: self.inner.clone(),
                                },
                                metrics: metrics.clone(),
                                spec: spec.clone(),
                                target: target.clone(),
                                deployment_id: id,
                                run_id: self.run_id,
                                job_id: self.job_id,
                                job: self.name.clone(),
                                started_at: started,
                            }))
                        }
                        _ => None,
                    };
                let request = DeployRequest {
                    checks,
                    deployment_id: id,
                    revision,
                    app: self.spec.app.clone(),
                    environment: self.spec.environment.clone(),
                    target: target.clone(),
                    objects: objects.clone(),
                    strategy: self.strategy(),
                    dry_run: self.options.dry_run,
                    force: self.options.force,
                };
                let deployer = deployer.clone();
                let cancel = cancel.clone();
                let lines = lines.clone();
                let name = step_name(wave_no, target);
                async move {
                    self.step(step, &name, StepStatus::Running).await;
                    if id > 0 {
                        self.inner
                            .store
                            .deployment_target_state(id, target.clone(), TargetStatus::Progressing, None)
                            .await;
                    }
                    let (tx, mut rx) = mpsc::channel::<DeployEvent>(64);
                    let forward = {
                        let lines = lines.clone();
                        let store = self.inner.store.clone();
                        let target = target.clone();
                        let prefix = if wave.len() > 1 {
                            format!("[{target}] ")
                        } else {
                            String::new()
                        };
                        tokio::spawn(async move {
                            while let Some(event) = rx.recv().await {
                                let line = match event {
                                    DeployEvent::Line(l) => l,
                                    DeployEvent::Weight { step: k, of, canary } => {
                                        let text = format!(
                                            "step {k}/{of}: canary {canary}%, stable {}%",
                                            100 - u32::from(canary)
                                        );
                                        if id > 0 {
                                            store
                                                .deployment_event(
                                                    id,
                                                    Some(target.clone()),
                                                    "weight",
                                                    text.clone(),
                                                )
                                                .await;
                                        }
                                        text
                                    }
                                };
                                let _ = lines.send((Some(step), format!("{prefix}{line}"))).await;
                            }
                        })
                    };
                    // The deployer reports why a rollout failed as it goes;
                    // a deployer that could not work at all is reported here.
                    let result = deployer.deploy(request, Progress::new(tx), cancel).await;
                    let _ = forward.await;
                    let outcome = match result {
                        Ok(o) => o,
                        Err(e) => {
                            let _ = lines.send((Some(step), e.to_string())).await;
                            TargetOutcome {
                                status: TargetStatus::Failed,
                                reason: Some(e.to_string()),
                            }
                        }
                    };
                    let step_status = match outcome.status {
                        TargetStatus::Succeeded | TargetStatus::DryRun => StepStatus::Succeeded,
                        TargetStatus::Cancelled => StepStatus::Cancelled,
                        _ => StepStatus::Failed,
                    };
                    self.step(step, &name, step_status).await;
                    if id > 0 {
                        self.inner
                            .store
                            .deployment_target_state(
                                id,
                                target.clone(),
                                outcome.status,
                                outcome.reason.clone(),
                            )
                            .await;
                    }
                    (target.clone(), outcome)
                }
            });
            for (target, outcome) in join_all(rollouts).await {
                if outcome.status == TargetStatus::Succeeded {
                    shipped.push(target.clone());
                }
                if !matches!(outcome.status, TargetStatus::Succeeded | TargetStatus::DryRun)
                    && failure.is_none()
                {
                    let why = match outcome.status {
                        TargetStatus::RolledBack => format!("`{target}` was rolled back"),
                        TargetStatus::Cancelled => "the deployment was stopped".to_string(),
                        _ => format!("`{target}` failed"),
                    };
                    let why = match outcome.reason {
                        Some(r) => format!("{why}: {r}"),
                        None => why,
                    };
                    failure = Some((outcome.status, why));
                }
            }
        }

        // A later wave failed: the earlier ones keep the new version, and
        // putting them back is offered, not done.
        let failure = match failure {
            Some((status, why)) if !shipped.is_empty() && status != TargetStatus::Cancelled => {
                let offer = format!(
                    "{} {} {version}; `switchyard deploy rollback {} --env {}` puts the revision before back",
                    shipped
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if shipped.len() == 1 { "keeps" } else { "keep" },
                    self.spec.app,
                    self.spec.environment
                );
                say(None, offer.clone()).await;
                Some((status, format!("{why}; {offer}")))
            }
            other => other,
        };
        let (deployment, job, reason) = match failure {
            None if self.options.dry_run => (DeploymentStatus::DryRun, JobStatus::Succeeded, None),
            None => (DeploymentStatus::Succeeded, JobStatus::Succeeded, None),
            Some((TargetStatus::Cancelled, why)) => {
                (DeploymentStatus::Cancelled, JobStatus::Cancelled, Some(why))
            }
            Some((TargetStatus::RolledBack, why)) => {
                (DeploymentStatus::RolledBack, JobStatus::Failed, Some(why))
            }
            Some((_, why)) => (DeploymentStatus::Failed, JobStatus::Failed, Some(why)),
        };
        if id > 0 {
            if let Err(e) = self
                .inner
                .store
                .deployment_state(id, deployment, reason.clone())
                .await
            {
                tracing::error!(error = %e, deployment = id, "cannot record the end of a deployment");
            }
            say(
                None,
                format!("deployment #{id}: {}", deployment.as_str().replace('_', " ")),
            )
            .await;
        }
        (job, reason)
    }
}
