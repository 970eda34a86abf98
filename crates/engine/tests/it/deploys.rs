//! Deploy jobs in the engine, with a deployer steered by the target's name
//! (the Kubernetes one is tested against a real cluster in
//! switchyard-cloud): waves, the history, and the notifications that
//! rollbacks, production deployments and questions raise.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use switchyard_engine::deploy::{
    DeployError, DeployRequest, Deployer, Progress, TargetOutcome, TargetStatus,
};
use switchyard_engine::status::{DeploymentStatus, JobStatus, RunStatus};
use switchyard_engine::{DeployOptions, Engine, EngineConfig, Home, RunOptions};
use tokio_util::sync::CancellationToken;

use crate::support::{Env, job};

/// Succeeds, except on targets named `broken-*` (rolled back) and
/// `missing-*` (unreachable). Records what it was asked, in order.
#[derive(Default)]
struct Steered {
    asked: Mutex<Vec<(String, bool, String)>>,
}

#[async_trait]
impl Deployer for Steered {
    async fn deploy(
        &self,
        r: DeployRequest,
        progress: Progress,
        _cancel: CancellationToken,
    ) -> Result<TargetOutcome, DeployError> {
        let image = r.objects[0].object["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        self.asked
            .lock()
            .unwrap()
            .push((r.target.clone(), r.dry_run, image));
        progress.say(format!("applying to {}", r.target)).await;
        if r.target.starts_with("missing-") {
            return Err(DeployError::TargetUnavailable {
                target: r.target,
                reason: "no such context".into(),
            });
        }
        let status = match (r.dry_run, r.target.starts_with("broken-")) {
            (true, _) => TargetStatus::DryRun,
            (false, true) => TargetStatus::RolledBack,
            (false, false) => TargetStatus::Succeeded,
        };
        let reason =
            (status == TargetStatus::RolledBack).then(|| "pods never got ready; 1.0 is back".to_string());
        Ok(TargetOutcome { status, reason })
    }
}

const MANIFEST: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'acme/web:0'}]\n";

fn pipeline(env: &str, targets: &str, approval: &str) -> String {
    format!(
        "jobs:\n  ship:\n    deploy: {{app: web, environment: {env}, manifests: k8s, images: [acme/web], targets: {targets}{approval}}}\n"
    )
}

async fn engine(env: &Env, deployer: Arc<Steered>) -> Engine {
    let mut config = EngineConfig::new(Home::at(env.home.clone()));
    config.deployer = Some(deployer);
    Engine::open(config).await.unwrap()
}

fn options(image: &str) -> RunOptions {
    RunOptions {
        deploy: DeployOptions {
            image: Some(image.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_go_in_order_and_a_rollback_stops_the_later_ones_and_notifies() {
    let env = Env::new();
    env.file("k8s/web.yaml", MANIFEST)
        .pipeline(&pipeline("staging", "[[a, broken-b], [c]]", ""));
    let deployer = Arc::new(Steered::default());
    let engine = engine(&env, deployer.clone()).await;
    let run = env.run(&engine, options("acme/web:2.0")).await;
    assert_eq!(run.summary.status, RunStatus::Failed);
    assert_eq!(job(&run, "ship").status, JobStatus::Failed);
    let asked: Vec<String> = deployer
        .asked
        .lock()
        .unwrap()
        .iter()
        .map(|(t, _, _)| t.clone())
        .collect();
    assert_eq!(asked.len(), 2, "wave 2 never started: {asked:?}");
    assert!(asked.iter().all(|t| t != "c"));
    assert!(
        deployer
            .asked
            .lock()
            .unwrap()
            .iter()
            .all(|(_, _, image)| image == "acme/web:2.0"),
        "the image was set"
    );
    let d = &engine.deployments_of_run(run.summary.id).await.unwrap()[0];
    assert_eq!(d.status, DeploymentStatus::RolledBack);
    let states: Vec<(&str, TargetStatus)> = d.targets.iter().map(|t| (t.name.as_str(), t.status)).collect();
    assert_eq!(
        states,
        [
            ("a", TargetStatus::Succeeded),
            ("broken-b", TargetStatus::RolledBack),
            ("c", TargetStatus::Skipped)
        ]
    );
    let n = engine
        .notification_for(run.summary.id)
        .await
        .unwrap()
        .expect("a rollback notifies");
    assert_eq!(n.summary, "web 2.0 → staging was rolled back");
    assert_eq!(n.route, format!("/deployments/{}", d.id));
    assert!(n.body.contains("pods never got ready"), "{}", n.body);
    // What kept the new version, and how to put it back, is offered.
    let reason = job(&run, "ship").reason.clone().unwrap_or_default();
    assert!(
        reason.ends_with(
            "`a` keeps 2.0; `switchyard deploy rollback web --env staging` puts the revision before back"
        ),
        "{reason}"
    );

    // An incident of that app and environment links to the deployment.
    let now = switchyard_engine::store::now_ms();
    let labels = [("app", "web"), ("environment", "staging")].map(|(k, v)| (k.to_string(), v.to_string()));
    engine
        .record_alerts(
            vec![switchyard_engine::alerts::AlertUpdate {
                rule: "errors".into(),
                labels: labels.into_iter().collect(),
                severity: switchyard_engine::alerts::Severity::Critical,
                state: switchyard_engine::alerts::AlertState::Firing {
                    since: now,
                    value: 1.0,
                },
            }],
            now,
        )
        .await
        .unwrap();
    let view = engine.alerts_view(10).await.unwrap();
    assert_eq!(view.incidents[0].deployment, Some(d.id), "{view:#?}");

    // What the `deployment_rolled_back` alert rule watches, and chart markers.
    let down = engine.rolled_back_deployments().await.unwrap();
    assert_eq!(
        down.iter()
            .map(|d| (d.app.as_str(), d.environment.as_str()))
            .collect::<Vec<_>>(),
        [("web", "staging")]
    );
    let marked = engine.deployments_between(0, i64::MAX, 10).await.unwrap();
    assert_eq!(marked.len(), 1);

    // An unreachable target fails the deployment with the deployer's reason.
    env.pipeline(&pipeline("staging", "missing-x", ""));
    let run = env.run(&engine, options("acme/web:2.1")).await;
    let d = &engine.deployments_of_run(run.summary.id).await.unwrap()[0];
    assert_eq!(d.status, DeploymentStatus::Failed);
    assert!(
        d.targets[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("no such context"),
        "{d:?}"
    );
    assert_eq!(d.revision, 2, "revisions count per app and environment");
    // A success there resolves it.
    env.pipeline(&pipeline("staging", "a", ""));
    env.run(&engine, options("acme/web:2.2")).await;
    assert!(engine.rolled_back_deployments().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn production_asks_first_with_the_diff_then_notifies_when_live() {
    let env = Env::new();
    env.file("k8s/web.yaml", MANIFEST)
        .pipeline(&pipeline("production", "[a]", ""));
    let deployer = Arc::new(Steered::default());
    let engine = engine(&env, deployer.clone()).await;
    let project = engine.import(&env.project, None).await.unwrap();
    let handle = engine.start_run(&project, options("acme/web:3.0")).await.unwrap();
    let id = handle.id;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let run = engine.run(id).await.unwrap();
        if job(&run, "ship").status == JobStatus::Waiting {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "production never asked");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        *deployer.asked.lock().unwrap(),
        [("a".to_string(), true, "acme/web:3.0".to_string())],
        "only the diff so far"
    );
    let n = engine
        .gate_notification(id, "ship")
        .await
        .unwrap()
        .expect("the question notifies");
    assert_eq!(n.summary, "web 3.0 → production waits for you");
    assert!(n.body.contains("switchyard deploy approve 1"), "{}", n.body);
    assert_eq!(n.route, "/deployments/1");
    engine
        .decide_deployment(1, true, Some("ok".into()), "cli")
        .await
        .unwrap();
    assert_eq!(handle.wait().await, RunStatus::Succeeded);
    engine.flush().await.unwrap();
    let n = engine
        .notification_for(id)
        .await
        .unwrap()
        .expect("a production deployment notifies");
    assert_eq!(n.summary, "web 3.0 → production is live");
    let events = engine.deployment_events(1).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.status == "approved" && e.message.as_deref().unwrap_or_default().ends_with(": ok")),
        "{events:#?}"
    );

    // `approval: false` does not ask, even in production.
    env.pipeline(&pipeline("production", "[a]", ", approval: false"));
    let run = env.run(&engine, options("acme/web:3.1")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dora_figures_come_from_the_deployments_of_an_environment() {
    let env = Env::new();
    env.file("k8s/web.yaml", MANIFEST);
    let deployer = Arc::new(Steered::default());
    let engine = engine(&env, deployer).await;
    // succeeded, rolled back, succeeded (restored), in staging; one elsewhere.
    for (targets, image) in [
        ("a", "acme/web:1"),
        ("broken-a", "acme/web:2"),
        ("a", "acme/web:3"),
    ] {
        env.pipeline(&pipeline("staging", targets, ""));
        env.run(&engine, options(image)).await;
    }
    env.pipeline(&pipeline("qa", "a", ""));
    env.run(&engine, options("acme/web:4")).await;
    let now = switchyard_engine::store::now_ms();
    let v = engine
        .dora("staging", None, now - 86_400_000, now + 1)
        .await
        .unwrap();
    assert_eq!((v.deployments, v.succeeded, v.failed), (3, 2, 1));
    assert_eq!(v.change_failure_rate, Some(1.0 / 3.0));
    assert_eq!(
        v.time_to_restore.count, 1,
        "the rollback was restored by the next success"
    );
    assert_eq!(v.lead_time.count, 2);
    assert!((v.per_day - 2.0).abs() < 1e-6, "{}", v.per_day);
    let none = engine
        .dora("production", None, now - 86_400_000, now + 1)
        .await
        .unwrap();
    assert_eq!((none.deployments, none.change_failure_rate), (0, None));
    assert_eq!(v.restore_from, "deployments", "no incident was recorded");
    let other = engine
        .dora("staging", Some("other"), now - 86_400_000, now + 1)
        .await
        .unwrap();
    assert_eq!(other.deployments, 0);
    // With incidents of the environment, restore is incident start to resolution.
    let labels = [("app", "web"), ("environment", "staging")].map(|(k, v)| (k.to_string(), v.to_string()));
    let update = |state| switchyard_engine::alerts::AlertUpdate {
        rule: "errors".into(),
        labels: labels.clone().into_iter().collect(),
        severity: switchyard_engine::alerts::Severity::Critical,
        state,
    };
    let t0 = now - 60_000;
    engine
        .record_alerts(
            vec![update(switchyard_engine::alerts::AlertState::Firing {
                since: t0,
                value: 1.0,
            })],
            t0,
        )
        .await
        .unwrap();
    engine
        .record_alerts(
            vec![update(switchyard_engine::alerts::AlertState::Resolved {
                at: t0 + 45_000,
            })],
            t0 + 45_000,
        )
        .await
        .unwrap();
    let v = engine
        .dora("staging", Some("web"), now - 86_400_000, now + 1)
        .await
        .unwrap();
    assert_eq!(v.restore_from, "incidents");
    assert_eq!(v.time_to_restore.p50_ms, Some(45_000), "{v:#?}");
}

/// A build job hands the image it pushed to the deploy job through
/// `$SWITCHYARD_OUTPUT`; the output is kept with the job, and a deploy job
/// naming an output the build never wrote fails with what to write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_from_an_earlier_jobs_output_is_what_ships() {
    let env = Env::new();
    let build = "  build:\n    steps:\n      - echo \"image=acme/web:$SWITCHYARD_RUN_ID.7\" >> \"$SWITCHYARD_OUTPUT\"\n      - printf 'notes<<END\\nline one\\nline two\\nEND\\n' >> \"$SWITCHYARD_OUTPUT\"\n";
    env.file("k8s/web.yaml", MANIFEST).pipeline(&format!(
        "jobs:\n{build}  ship:\n    needs: build\n    deploy: {{app: web, environment: staging, manifests: k8s, images: ['${{{{ needs.build.outputs.image }}}}'], targets: a}}\n"
    ));
    let deployer = Arc::new(Steered::default());
    let engine = engine(&env, deployer.clone()).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let want = format!("acme/web:{}.7", run.summary.id);
    let outputs = &job(&run, "build").outputs;
    assert_eq!(outputs["image"], want);
    assert_eq!(outputs["notes"], "line one\nline two");
    let asked = deployer.asked.lock().unwrap().clone();
    assert_eq!(asked, [("a".to_string(), false, want.clone())]);
    let d = &engine.deployments_of_run(run.summary.id).await.unwrap()[0];
    assert_eq!(d.image.as_deref(), Some(want.as_str()));

    // The build writes no `image`: the deploy job says what to write.
    let env = Env::new();
    env.file("k8s/web.yaml", MANIFEST).pipeline(
        "jobs:\n  build:\n    steps: ['echo tag=1 >> \"$SWITCHYARD_OUTPUT\"']\n  ship:\n    needs: build\n    deploy: {app: web, environment: staging, manifests: k8s, images: ['acme/web:${{ needs.build.outputs.version }}'], targets: a}\n",
    );
    let engine = self::engine(&env, Arc::new(Steered::default())).await;
    let run = env.run(&engine, RunOptions::default()).await;
    let ship = job(&run, "ship");
    assert_eq!(ship.status, JobStatus::Failed);
    assert_eq!(
        ship.reason.as_deref(),
        Some(
            "`acme/web:${{ needs.build.outputs.version }}` in `deploy.images`: job `build` wrote no output `version`; write `version=<image>` to \"$SWITCHYARD_OUTPUT\" in one of its steps"
        )
    );
}

/// An output holding a secret's value is not kept (it would reach the
/// database and later jobs), and malformed outputs are a warning on the job.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_with_a_secret_or_malformed_are_not_kept() {
    let env = Env::new();
    env.pipeline(
        "jobs:\n  a:\n    secrets: [TOKEN]\n    steps: ['echo \"leak=$TOKEN\" >> \"$SWITCHYARD_OUTPUT\"; echo fine=yes >> \"$SWITCHYARD_OUTPUT\"']\n  b:\n    steps: ['echo \"not an output\" >> \"$SWITCHYARD_OUTPUT\"']\n",
    );
    let engine = env.engine_with_secrets(&[("TOKEN", "hunter2-but-longer")]).await;
    let run = env.run(&engine, RunOptions::default()).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let a = job(&run, "a");
    assert_eq!(a.outputs.keys().collect::<Vec<_>>(), ["fine"]);
    assert_eq!(
        a.warnings,
        ["output `leak` holds a secret's value and was not kept"]
    );
    let b = job(&run, "b");
    assert!(b.outputs.is_empty());
    assert!(
        b.warnings[0].starts_with("outputs not kept: line 1 of the outputs is not `name=value`"),
        "{:?}",
        b.warnings
    );
}
