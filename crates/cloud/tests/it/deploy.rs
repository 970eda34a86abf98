//! Deploy jobs against the real control plane: Deployments, ReplicaSets
//! and their rollouts are the real controllers' work; kwok plays the
//! kubelets, and keeps pods labelled `kwok.switchyard.local/unready` from
//! ever getting ready (a version that fails its readiness checks).

use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use kube::Api;
use kube::api::{Patch, PatchParams};
use switchyard_engine::deploy::{DeploymentRecord, DeploymentStatus, TargetStatus};
use switchyard_engine::status::{JobStatus, RunStatus};
use switchyard_engine::store::RunDetails;
use switchyard_engine::{DeployOptions, Engine, RunOptions};

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(120);

fn pipeline(targets: &str) -> String {
    format!(
        r#"
name: shop
jobs:
  build:
    steps: ['echo built']
  ship:
    needs: build
    deploy:
      app: web
      environment: staging
      manifests: deploy
      images: [registry.local/acme/web]
      targets: {targets}
"#
    )
}

/// The app's manifests: a Service and a Deployment of `replicas` pods; with
/// `unready`, the pods never get ready and the rollout's deadline is 8 s.
fn manifests(t: &TestEnv, replicas: u32, unready: bool) {
    let extra = if unready {
        ", kwok.switchyard.local/unready: \"yes\""
    } else {
        ""
    };
    t.file(
        "deploy/web.yaml",
        &format!(
            r#"apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {{app: web}}
  ports: [{{port: 80, targetPort: 8080}}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: {replicas}
  progressDeadlineSeconds: 8
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web{extra}}}}}
    spec:
      containers:
      - name: web
        image: registry.local/acme/web:0.0
      - name: proxy
        image: envoy:1.30
"#
        ),
    );
}

async fn deploy(
    t: &TestEnv,
    engine: &Engine,
    image: &str,
    dry_run: bool,
    force: bool,
) -> (RunDetails, Vec<DeploymentRecord>) {
    let project = engine.import(&t.project, None).await.unwrap();
    let options = RunOptions {
        deploy: DeployOptions {
            image: Some(image.into()),
            dry_run,
            force,
            rollback_to: None,
        },
        ..Default::default()
    };
    let handle = engine.start_deploy(&project, "staging", options).await.unwrap();
    let id = handle.id;
    if tokio::time::timeout(LIMIT, handle.wait()).await.is_err() {
        panic!(
            "deploy run {id} did not finish within {LIMIT:?}: {:#?}",
            engine.run(id).await
        );
    }
    engine.flush().await.unwrap();
    (
        engine.run(id).await.unwrap(),
        engine.deployments_of_run(id).await.unwrap(),
    )
}

async fn live(t: &TestEnv) -> Deployment {
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    api.get("web").await.unwrap()
}

fn image_of(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap()
}

fn label<'a>(d: &'a Deployment, key: &str) -> Option<&'a str> {
    d.metadata.labels.as_ref()?.get(key).map(String::as_str)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_deploy_sets_the_image_labels_every_object_and_waits_for_ready_pods() {
    let t = TestEnv::new("deploy-rolling").await;
    t.pipeline(&pipeline("it"));
    manifests(&t, 3, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{texts:#?}");
    assert_eq!(deployments.len(), 1);
    let d = &deployments[0];
    assert_eq!(
        (d.status, d.revision, d.version.as_str()),
        (DeploymentStatus::Succeeded, 1, "1.0")
    );
    assert_eq!(d.targets[0].status, TargetStatus::Succeeded);
    assert!(
        texts.iter().any(|l| l == "+ Deployment/web (new)"),
        "the diff is shown: {texts:#?}"
    );
    assert!(
        texts.iter().any(|l| l.contains("rolled out, 3/3 ready")),
        "{texts:#?}"
    );

    let live = live(&t).await;
    assert_eq!(image_of(&live), "registry.local/acme/web:1.0");
    let proxy = live
        .spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[1]
        .image
        .clone();
    assert_eq!(
        proxy.as_deref(),
        Some("envoy:1.30"),
        "other images are left alone"
    );
    assert_eq!(label(&live, "switchyard.dev/app"), Some("web"));
    assert_eq!(label(&live, "switchyard.dev/version"), Some("1.0"));
    assert_eq!(
        label(&live, "switchyard.dev/deployment-id"),
        Some(d.id.to_string().as_str())
    );
    let status = live.status.unwrap();
    assert_eq!(
        (status.ready_replicas, status.updated_replicas),
        (Some(3), Some(3))
    );
    let owners = live.metadata.managed_fields.unwrap_or_default();
    assert!(
        owners
            .iter()
            .any(|m| m.manager.as_deref() == Some("switchyard") && m.operation.as_deref() == Some("Apply"))
    );

    // The same version again changes nothing and is a new revision.
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(deployments[0].revision, 2);
    assert!(
        texts
            .iter()
            .any(|l| l.contains("0 to create, 0 to change, 2 unchanged")),
        "{texts:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_whose_pods_never_get_ready_is_rolled_back_to_the_one_before() {
    let t = TestEnv::new("deploy-rollback").await;
    t.pipeline(&pipeline("it"));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, _) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);

    manifests(&t, 2, true);
    let started = Instant::now();
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    let took = started.elapsed();
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Failed, "{texts:#?}");
    assert_eq!(job(&run, "ship").status, JobStatus::Failed);
    let d = &deployments[0];
    assert_eq!(d.status, DeploymentStatus::RolledBack, "{d:#?}");
    let reason = d.targets[0].reason.clone().unwrap_or_default();
    assert!(reason.contains("progress deadline of 8s"), "{reason}");
    assert!(reason.contains("not ready"), "the unready pod is named: {reason}");
    assert!(reason.contains("1.0 is back and ready"), "{reason}");
    let live = live(&t).await;
    assert_eq!(
        image_of(&live),
        "registry.local/acme/web:1.0",
        "the old version runs again"
    );
    assert_eq!(label(&live, "switchyard.dev/version"), Some("1.0"));
    assert_eq!(live.status.unwrap().ready_replicas, Some(2));
    // Within the deadline and a little: the rollout is watched, not polled slowly.
    assert!(took < Duration::from_secs(40), "took {took:?}");
    let events = engine.deployment_events(d.id).await.unwrap();
    let kinds: Vec<&str> = events.iter().map(|e| e.status.as_str()).collect();
    assert_eq!(
        kinds,
        ["progressing", "progressing", "rolled_back", "rolled_back"],
        "{events:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_the_diff_and_changes_and_records_nothing() {
    let t = TestEnv::new("deploy-dry").await;
    t.pipeline(&pipeline("it"));
    manifests(&t, 1, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let before = live(&t).await;
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:2.0", true, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{texts:#?}");
    assert!(
        deployments.is_empty(),
        "a dry run is not a deployment: {deployments:#?}"
    );
    assert!(
        texts.iter().any(|l| l.trim() == r#"spec.template.spec.containers[0].image: "registry.local/acme/web:1.0" -> "registry.local/acme/web:2.0""#),
        "{texts:#?}"
    );
    assert!(texts.iter().any(|l| l == "~ Deployment/web"), "{texts:#?}");
    let after = live(&t).await;
    assert_eq!(image_of(&after), "registry.local/acme/web:1.0");
    assert_eq!(
        after.metadata.resource_version, before.metadata.resource_version,
        "nothing was written"
    );
    assert_eq!(engine.deployments(Some("web"), None, 10).await.unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_field_another_manager_owns_is_a_conflict_unless_forced() {
    let t = TestEnv::new("deploy-conflict").await;
    t.pipeline(&pipeline("it"));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    // Someone scales it by hand, as `kubectl scale` does.
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    let by_hand = PatchParams {
        field_manager: Some("kubectl-scale".into()),
        ..Default::default()
    };
    api.patch(
        "web",
        &by_hand,
        &Patch::Merge(serde_json::json!({"spec": {"replicas": 4}})),
    )
    .await
    .unwrap();

    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Failed, "{texts:#?}");
    let reason = deployments[0].targets[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("kubectl-scale") && reason.contains(".spec.replicas"),
        "{reason}"
    );
    assert!(
        reason.contains("deploy/web.yaml:9") && reason.contains("--force-conflicts"),
        "{reason}"
    );
    let live_now = live(&t).await;
    assert_eq!(
        image_of(&live_now),
        "registry.local/acme/web:1.0",
        "nothing was applied"
    );
    assert_eq!(live_now.spec.unwrap().replicas, Some(4));

    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, true).await;
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "{:#?}",
        log_texts(&engine, job(&run, "ship")).await
    );
    assert_eq!(deployments[0].status, DeploymentStatus::Succeeded);
    let live_now = live(&t).await;
    assert_eq!(image_of(&live_now), "registry.local/acme/web:2.0");
    assert_eq!(
        live_now.spec.unwrap().replicas,
        Some(2),
        "forced: the manifest's value wins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_in_the_first_wave_stops_the_later_waves() {
    let t = TestEnv::new("deploy-waves").await;
    t.pipeline(&pipeline("[[nowhere], [it]]"));
    manifests(&t, 1, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Failed, "{texts:#?}");
    let d = &deployments[0];
    assert_eq!(d.status, DeploymentStatus::Failed);
    let targets: Vec<(&str, u32, TargetStatus)> = d
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.wave, t.status))
        .collect();
    assert_eq!(
        targets,
        [
            ("nowhere", 1, TargetStatus::Failed),
            ("it", 2, TargetStatus::Skipped)
        ]
    );
    assert!(
        d.targets[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("nowhere"),
        "{d:#?}"
    );
    assert!(
        d.targets[1]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("`nowhere` failed"),
        "{d:#?}"
    );
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(
        api.get_opt("web").await.unwrap().is_none(),
        "wave 2 never applied anything"
    );
}

/// Two real clusters in two waves: the second gets the version only after
/// the first rolled it out; a version that fails in wave 1 is rolled back
/// there and never reaches wave 2, which keeps what it ran.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waves_across_two_clusters_ship_in_order_and_a_failure_stops_the_second() {
    let mut t = TestEnv::new("deploy-two-clusters").await;
    let b = t.second_cluster().await;
    t.pipeline(&pipeline("[[it], [it-b]]"));
    manifests(&t, 1, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{texts:#?}");
    let targets: Vec<(&str, u32, TargetStatus)> = deployments[0]
        .targets
        .iter()
        .map(|t| (t.name.as_str(), t.wave, t.status))
        .collect();
    assert_eq!(
        targets,
        [
            ("it", 1, TargetStatus::Succeeded),
            ("it-b", 2, TargetStatus::Succeeded)
        ]
    );
    let on_b: Api<Deployment> = Api::namespaced(b.clone(), &t.namespace);
    let web_b = on_b.get("web").await.unwrap();
    assert_eq!(image_of(&live(&t).await), "registry.local/acme/web:1.0");
    assert_eq!(image_of(&web_b), "registry.local/acme/web:1.0");
    assert_eq!(
        label(&web_b, "switchyard.dev/deployment-id"),
        label(&live(&t).await, "switchyard.dev/deployment-id"),
        "one deployment over both clusters"
    );
    // Wave 1 finished before wave 2 began.
    let first_b = texts
        .iter()
        .position(|l| l.contains("it-b"))
        .expect("wave 2 is in the log");
    let ready_a = texts
        .iter()
        .position(|l| l.contains("rolled out"))
        .expect("wave 1 rolled out");
    assert!(ready_a < first_b, "{texts:#?}");

    manifests(&t, 1, true);
    let (run, deployments) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    assert_eq!(run.summary.status, RunStatus::Failed);
    let d = &deployments[0];
    assert_eq!(d.status, DeploymentStatus::RolledBack, "{d:#?}");
    assert_eq!(d.targets[0].status, TargetStatus::RolledBack, "{d:#?}");
    assert_eq!(d.targets[1].status, TargetStatus::Skipped, "{d:#?}");
    assert_eq!(image_of(&live(&t).await), "registry.local/acme/web:1.0");
    assert_eq!(
        image_of(&on_b.get("web").await.unwrap()),
        "registry.local/acme/web:1.0",
        "wave 2 was never touched"
    );
}

fn canary_pipeline(settings: &str) -> String {
    format!(
        r#"
name: shop
jobs:
  ship:
    deploy:
      app: web
      environment: staging
      manifests: deploy
      images: [registry.local/acme/web]
      targets: it
      strategy:
        canary: {settings}
"#
    )
}

/// Extra manifests for a mesh or a gateway, beside `deploy/web.yaml`.
fn route_manifest(t: &TestEnv) {
    t.file(
        "deploy/route.yaml",
        r#"apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: web
spec:
  parentRefs: [{name: shop-gateway}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /}}]
    backendRefs: [{name: web, port: 80}]
"#,
    );
}

fn weights(events: &[switchyard_engine::deploy::DeploymentEvent]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e.status == "weight")
        .map(|e| e.message.clone().unwrap_or_default())
        .collect()
}

/// Reads an object's JSON while a deployment runs, until `stop` is set.
async fn sample(
    client: kube::Client,
    namespace: String,
    (group, kind, plural, name): (&str, &str, &str, &str),
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<serde_json::Value> {
    let ar = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk(group, "v1", kind),
        plural,
    );
    let api: Api<kube::core::DynamicObject> = Api::namespaced_with(client, &namespace, &ar);
    let mut seen = Vec::new();
    loop {
        // One last look after the deployment ended: its final state.
        let last = stop.load(std::sync::atomic::Ordering::SeqCst);
        if let Ok(Some(o)) = api.get_opt(name).await {
            let spec = o.data["spec"].clone();
            if seen.last() != Some(&spec) {
                seen.push(spec);
            }
        }
        if last {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_by_replica_ratio_goes_through_every_step_and_is_promoted() {
    let t = TestEnv::new("canary-replicas").await;
    t.pipeline(&canary_pipeline("{steps: [25, 50], pause: 1s}"));
    manifests(&t, 4, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, d) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "the first version rolls out directly"
    );
    assert_eq!(d[0].strategy, "canary");
    let (run, d) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{texts:#?}");
    let events = engine.deployment_events(d[0].id).await.unwrap();
    assert_eq!(
        weights(&events),
        [
            "step 1/3: canary 25%, stable 75%",
            "step 2/3: canary 50%, stable 50%",
            "step 3/3: canary 100%, stable 0%"
        ],
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|l| l == "canary 1 replicas, stable 3"),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|l| l == "canary 2 replicas, stable 2"),
        "{texts:#?}"
    );
    let live = live(&t).await;
    assert_eq!(image_of(&live), "registry.local/acme/web:2.0");
    assert_eq!(live.spec.as_ref().unwrap().replicas, Some(4));
    assert_eq!(live.status.unwrap().ready_replicas, Some(4));
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(
        api.get_opt("web-canary").await.unwrap().is_none(),
        "the canary Deployment is gone after promotion"
    );
    // The next plain deploy meets no field-manager conflict over replicas.
    let (run, _) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "{:#?}",
        log_texts(&engine, job(&run, "ship")).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_whose_pods_never_get_ready_is_aborted_with_all_traffic_on_stable() {
    let t = TestEnv::new("canary-abort").await;
    t.pipeline(&canary_pipeline("{steps: [50], traffic: istio, service: web}"));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    manifests(&t, 2, true);
    let started = Instant::now();
    let (run, d) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    let took = started.elapsed();
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Failed, "{texts:#?}");
    assert_eq!(d[0].status, DeploymentStatus::RolledBack, "{d:#?}");
    let reason = d[0].targets[0].reason.clone().unwrap_or_default();
    assert!(
        reason.contains("web-canary passed its progress deadline"),
        "{reason}"
    );
    assert!(reason.contains("100% of the traffic is back on 1.0"), "{reason}");
    let events = engine.deployment_events(d[0].id).await.unwrap();
    assert_eq!(
        weights(&events).last().map(String::as_str),
        Some("step 1/2: canary 0%, stable 100%")
    );
    let live = live(&t).await;
    assert_eq!(image_of(&live), "registry.local/acme/web:1.0");
    assert_eq!(live.status.unwrap().ready_replicas, Some(2));
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(api.get_opt("web-canary").await.unwrap().is_none());
    let ar = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("networking.istio.io", "v1", "VirtualService"),
        "virtualservices",
    );
    let vs: Api<kube::core::DynamicObject> = Api::namespaced_with(t.client.clone(), &t.namespace, &ar);
    let vs = vs.get("web").await.unwrap();
    assert_eq!(
        vs.data["spec"]["http"][0]["route"][0]["weight"], 100,
        "{:#}",
        vs.data
    );
    assert_eq!(vs.data["spec"]["http"][0]["route"][1]["weight"], 0);
    println!(
        "bench: from the canary's deadline (8 s) to stable at 100%: {:.1}s of {:.1}s",
        took.as_secs_f64() - 8.0,
        took.as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_with_istio_moves_virtualservice_weights_and_routes_the_test_audience() {
    let t = TestEnv::new("canary-istio").await;
    t.pipeline(&canary_pipeline(
        "{steps: [10, 50], pause: 2s, traffic: istio, service: web, header: {name: x-canary, value: 'yes'}}",
    ));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (client, ns, stop) = (t.client.clone(), t.namespace.clone(), stop.clone());
        let what = ("networking.istio.io", "VirtualService", "virtualservices", "web");
        tokio::spawn(async move { sample(client, ns, what, stop).await })
    };
    let (run, _) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = watcher.await.unwrap();
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "{:#?}",
        log_texts(&engine, job(&run, "ship")).await
    );
    let split: Vec<(i64, i64)> = seen
        .iter()
        .map(|s| {
            let primary = s["http"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["name"] == "primary")
                .unwrap()
                .clone();
            (
                primary["route"][0]["weight"].as_i64().unwrap(),
                primary["route"][1]["weight"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(
        split.contains(&(90, 10)) && split.contains(&(50, 50)),
        "{split:?}"
    );
    assert_eq!(split.last(), Some(&(100, 0)), "{split:?}");
    let during = seen
        .iter()
        .find(|s| s["http"][0]["name"] == "canary-audience")
        .expect("the header route during the canary");
    assert_eq!(
        during["http"][0]["match"][0]["headers"]["x-canary"]["exact"],
        "yes"
    );
    assert_eq!(during["http"][0]["route"][0]["destination"]["subset"], "canary");
    assert_ne!(
        seen.last().unwrap()["http"][0]["name"],
        "canary-audience",
        "no test audience after promotion"
    );
    let ar = kube::core::ApiResource::from_gvk_with_plural(
        &kube::core::GroupVersionKind::gvk("networking.istio.io", "v1", "DestinationRule"),
        "destinationrules",
    );
    let dr: Api<kube::core::DynamicObject> = Api::namespaced_with(t.client.clone(), &t.namespace, &ar);
    let dr = dr.get("web").await.unwrap();
    assert_eq!(
        dr.data["spec"]["subsets"][0]["labels"]["switchyard.dev/version"], "2.0",
        "stable is the new version now"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_with_gateway_api_moves_httproute_backend_weights() {
    let t = TestEnv::new("canary-gateway").await;
    t.pipeline(&canary_pipeline(
        "{steps: [20, 60], pause: 2s, traffic: gateway-api, service: web}",
    ));
    manifests(&t, 2, false);
    route_manifest(&t);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (client, ns, stop) = (t.client.clone(), t.namespace.clone(), stop.clone());
        let what = ("gateway.networking.k8s.io", "HTTPRoute", "httproutes", "web");
        tokio::spawn(async move { sample(client, ns, what, stop).await })
    };
    let (run, _) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = watcher.await.unwrap();
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "{:#?}",
        log_texts(&engine, job(&run, "ship")).await
    );
    // (name, weight) of each backend, as the API server stored them.
    let refs: Vec<Vec<(String, i64)>> = seen
        .iter()
        .map(|s| {
            s["rules"][0]["backendRefs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| {
                    (
                        r["name"].as_str().unwrap().to_string(),
                        r["weight"].as_i64().unwrap_or(1),
                    )
                })
                .collect()
        })
        .collect();
    let pair = |a: i64, b: i64| vec![("web".to_string(), a), ("web-canary".to_string(), b)];
    assert!(
        refs.contains(&pair(80, 20)) && refs.contains(&pair(40, 60)),
        "{refs:?}"
    );
    assert_eq!(
        refs.last().unwrap(),
        &vec![("web".to_string(), 1)],
        "only stable after promotion: {refs:?}"
    );
    assert_eq!(
        seen.last().unwrap()["parentRefs"][0]["name"],
        "shop-gateway",
        "the route's gateway is kept"
    );
    let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(
        services.get_opt("web-canary").await.unwrap().is_none(),
        "the canary's Service is removed after promotion"
    );
}

fn blue_green_pipeline(settings: &str) -> String {
    format!(
        r#"
name: shop
jobs:
  ship:
    deploy:
      app: web
      environment: staging
      manifests: deploy
      images: [registry.local/acme/web]
      targets: it
      strategy:
        blue-green: {settings}
"#
    )
}

async fn service_selector(t: &TestEnv, name: &str) -> Option<std::collections::BTreeMap<String, String>> {
    let api: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(t.client.clone(), &t.namespace);
    api.get_opt(name)
        .await
        .unwrap()
        .and_then(|s| s.spec.and_then(|s| s.selector))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blue_green_switch_previews_switches_at_once_and_removes_the_preview() {
    let t = TestEnv::new("bluegreen").await;
    t.pipeline(&blue_green_pipeline("{keep_old: 2s}"));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let (run, _) = deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (client, ns, stop) = (t.client.clone(), t.namespace.clone(), stop.clone());
        tokio::spawn(async move {
            let api: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client, &ns);
            let mut seen: Vec<Option<String>> = Vec::new();
            loop {
                let last = stop.load(std::sync::atomic::Ordering::SeqCst);
                let v = api
                    .get_opt("web")
                    .await
                    .ok()
                    .flatten()
                    .and_then(|s| s.spec?.selector?.get("switchyard.dev/version").cloned());
                if seen.last() != Some(&v) {
                    seen.push(v);
                }
                if last {
                    return seen;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        })
    };
    let (run, d) = deploy(&t, &engine, "registry.local/acme/web:2.0", false, false).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let seen = watcher.await.unwrap();
    let texts = log_texts(&engine, job(&run, "ship")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{texts:#?}");
    assert_eq!(d[0].strategy, "blue-green");
    let pins: Vec<&str> = seen.iter().flatten().map(String::as_str).collect();
    assert!(
        pins.windows(2).any(|w| w == ["1.0", "2.0"]),
        "the Service stayed on 1.0, then switched to 2.0: {seen:?}"
    );
    assert!(
        texts
            .iter()
            .any(|l| l.starts_with("preview ready: Service/web-preview → 2.0")),
        "{texts:#?}"
    );
    assert!(
        texts.iter().any(|l| l == "Service/web switched to 2.0"),
        "{texts:#?}"
    );
    assert_eq!(image_of(&live(&t).await), "registry.local/acme/web:2.0");
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(
        api.get_opt("web-preview").await.unwrap().is_none(),
        "the preview is removed"
    );
    assert!(
        service_selector(&t, "web-preview").await.is_none(),
        "the preview Service is removed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blue_green_switch_is_undone_at_once_while_the_old_version_is_kept() {
    let t = TestEnv::new("bluegreen-back").await;
    t.pipeline(&blue_green_pipeline("{keep_old: 5m}"));
    manifests(&t, 2, false);
    let (engine, _) = t.engine(t.settings(), &[]).await;
    deploy(&t, &engine, "registry.local/acme/web:1.0", false, false).await;
    let project = engine.import(&t.project, None).await.unwrap();
    let options = RunOptions {
        deploy: DeployOptions {
            image: Some("registry.local/acme/web:2.0".into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let handle = engine.start_deploy(&project, "staging", options).await.unwrap();
    let id = handle.id;
    wait_for_line(&engine, id, "ship", "Service/web switched to 2.0", LIMIT).await;
    assert_eq!(
        service_selector(&t, "web").await.unwrap()["switchyard.dev/version"],
        "2.0"
    );
    let started = Instant::now();
    engine.cancel(id).await.unwrap();
    tokio::time::timeout(LIMIT, handle.wait()).await.unwrap();
    let took = started.elapsed();
    engine.flush().await.unwrap();
    assert_eq!(
        service_selector(&t, "web").await.unwrap()["switchyard.dev/version"],
        "1.0",
        "switched back"
    );
    assert_eq!(image_of(&live(&t).await), "registry.local/acme/web:1.0");
    let d = &engine.deployments_of_run(id).await.unwrap()[0];
    assert_eq!(
        d.status,
        DeploymentStatus::RolledBack,
        "it was live, and went back: {d:#?}"
    );
    let api: Api<Deployment> = Api::namespaced(t.client.clone(), &t.namespace);
    assert!(api.get_opt("web-preview").await.unwrap().is_none());
    println!(
        "bench: blue-green switch back and preview removed in {:.2}s",
        took.as_secs_f64()
    );
}
