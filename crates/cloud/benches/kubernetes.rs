//! Benchmark of the Kubernetes runner against a real API server.
//!
//! `SWITCHYARD_TEST_KUBECONFIG=$(tests/cluster/up) cargo bench -p switchyard-cloud --bench kubernetes`
//! (optionally `SWITCHYARD_TEST_CONTEXT`; `SWITCHYARD_BENCH_MB` for the
//! working tree's size, default 100). It reports:
//!
//! * pod-to-first-log latency: from the run's start (the pod is the first
//!   thing created) to the first line of the first step in the history;
//! * API requests per job, counted by the client's request-counting layer,
//!   for a one-step job and for a three-step job with artifacts and a JUnit
//!   report;
//! * tar upload throughput of a working tree of incompressible files;
//! * fan-out: 64 one-step jobs on one target against a single such job,
//!   and how many pods ran at once (each target has its own limit, 32 by
//!   default, whatever the workstation's number of CPUs).
//!
//! * deployments (`deploy`): diff-and-apply time of a 50-object manifest
//!   (a first deploy, then one that changes every object), and API requests
//!   per canary step (a 4-step canary by replica ratio).
//!
//! Each measurement works in a namespace of its own, deleted afterwards.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use switchyard_cloud::kubernetes::{Provider, Settings};
use switchyard_engine::events::Event;
use switchyard_engine::status::RunStatus;
use switchyard_engine::{Engine, EngineConfig, Home, RunOptions};

struct Bench {
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
    client: Client,
    namespace: String,
}

impl Bench {
    async fn new(name: &str) -> Bench {
        let source = std::env::var_os("SWITCHYARD_TEST_KUBECONFIG")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                eprintln!("set SWITCHYARD_TEST_KUBECONFIG (e.g. `export SWITCHYARD_TEST_KUBECONFIG=$(tests/cluster/up)`)");
                std::process::exit(2);
            });
        let mut kc = Kubeconfig::read_from(&source).unwrap();
        let base = std::env::var("SWITCHYARD_TEST_CONTEXT")
            .ok()
            .or_else(|| kc.current_context.clone())
            .unwrap();
        let mut ctx = kc.contexts.iter().find(|c| c.name == base).unwrap().clone();
        let namespace = format!("sy-bench-{name}-{}", std::process::id());
        ctx.name = "bench".into();
        ctx.context.as_mut().unwrap().namespace = Some(namespace.clone());
        kc.contexts.push(ctx);
        kc.current_context = Some("bench".into());
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(&kubeconfig, serde_json::to_vec(&kc).unwrap()).unwrap();
        let opts = KubeConfigOptions {
            context: Some("bench".into()),
            ..Default::default()
        };
        let client =
            Client::try_from(kube::Config::from_custom_kubeconfig(kc, &opts).await.unwrap()).unwrap();
        let ns: Namespace =
            serde_json::from_value(serde_json::json!({"metadata": {"name": namespace}})).unwrap();
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await
            .unwrap();
        let sas: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(client.clone(), &namespace);
        while sas.get_opt("default").await.ok().flatten().is_none() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Bench {
            _dir: dir,
            kubeconfig,
            client,
            namespace,
        }
    }

    fn project(&self, pipeline: &str) -> PathBuf {
        let p = self._dir.path().join("project");
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(p.join("switchyard.yaml"), pipeline).unwrap();
        p
    }

    async fn engine(&self) -> (Engine, Arc<Provider>) {
        let mut settings = Settings::new("bench");
        settings.kubeconfig = Some(self.kubeconfig.clone());
        let provider = Arc::new(Provider::new(settings));
        let mut config = EngineConfig::new(Home::at(self._dir.path().join("home")));
        config.runners.register("kubernetes", provider.clone());
        (Engine::open(config).await.unwrap(), provider)
    }

    async fn done(self) {
        let _ = Api::<Namespace>::all(self.client.clone())
            .delete(&self.namespace, &DeleteParams::background())
            .await;
    }
}

/// Runs the project once; returns the time to the first step output line.
async fn run_once(engine: &Engine, project: &std::path::Path) -> Duration {
    let mut events = engine.subscribe();
    let p = engine.import(project, None).await.unwrap();
    let started = Instant::now();
    let handle = engine.start_run(&p, RunOptions::default()).await.unwrap();
    let mut first = None;
    let wait = handle.wait();
    tokio::pin!(wait);
    let status = loop {
        tokio::select! {
            s = &mut wait => break s,
            e = events.recv() => {
                if let Ok(Event::Log { chunk, .. }) = e
                    && first.is_none()
                    && switchyard_engine::logs::decode(&chunk).iter().any(|l| l.step.is_some())
                {
                    first = Some(started.elapsed());
                }
            }
        }
    };
    assert_eq!(status, RunStatus::Succeeded, "the benchmark's run failed");
    first.expect("no step output")
}

fn stats(mut v: Vec<Duration>) -> String {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.0} ms, min {:.0} ms, max {:.0} ms (n={})",
        ms(v[v.len() / 2]),
        ms(v[0]),
        ms(v[v.len() - 1]),
        v.len()
    )
}

async fn latency_and_calls() {
    let b = Bench::new("latency").await;
    let project = b.project(
        "jobs:\n  one:\n    runner: kubernetes:bench\n    image: busybox:1.37\n    steps: [echo first]\n",
    );
    let (engine, provider) = b.engine().await;
    let mut latencies = Vec::new();
    let mut calls = Vec::new();
    for _ in 0..5 {
        let before = provider.api_calls();
        latencies.push(run_once(&engine, &project).await);
        calls.push(provider.api_calls() - before);
    }
    println!("pod-to-first-log latency: {}", stats(latencies));
    println!("API requests per one-step job: {calls:?}");
    b.done().await;

    let b = Bench::new("calls").await;
    let project = b.project(
        r#"
jobs:
  three:
    runner: kubernetes:bench
    image: busybox:1.37
    secrets: []
    artifacts: [out/*]
    reports:
      junit: out/junit.xml
    steps:
      - mkdir -p out && echo a > out/a.txt
      - echo '<testsuite name="s"><testcase name="t"/></testsuite>' > out/junit.xml
      - echo done
"#,
    );
    let (engine, provider) = b.engine().await;
    let before = provider.api_calls();
    run_once(&engine, &project).await;
    println!(
        "API requests per three-step job with artifacts and JUnit: {}",
        provider.api_calls() - before
    );
    b.done().await;
}

async fn upload_throughput() {
    let mb: usize = std::env::var("SWITCHYARD_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let b = Bench::new("upload").await;
    let project = b.project(
        "jobs:\n  size:\n    runner: kubernetes:bench\n    image: busybox:1.37\n    steps: [du -sk .]\n",
    );
    // Incompressible content (xorshift), in 1 MiB files over a few folders.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..mb {
        let dir = project.join(format!("data/{}", i % 10));
        std::fs::create_dir_all(&dir).unwrap();
        let mut buf = vec![0u8; 1 << 20];
        for chunk in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes()[..chunk.len()]);
        }
        std::fs::write(dir.join(format!("f{i}.bin")), &buf).unwrap();
    }
    let (engine, provider) = b.engine().await;
    run_once(&engine, &project).await;
    let up = provider.kubernetes("bench").uploads();
    let u = up.last().expect("no upload recorded");
    println!(
        "tar upload of a {mb} MiB working tree: {:.1} MiB in {:.2} s = {:.1} MiB/s",
        u.bytes as f64 / 1048576.0,
        u.took.as_secs_f64(),
        u.bytes as f64 / 1048576.0 / u.took.as_secs_f64()
    );
    b.done().await;
}

async fn fan_out() {
    let n: usize = std::env::var("SWITCHYARD_BENCH_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let b = Bench::new("fanout").await;
    let one = b.project(
        "jobs:\n  only:\n    runner: kubernetes:bench\n    image: busybox:1.37\n    steps: [sleep 2]\n",
    );
    let (engine, _) = b.engine().await;
    let p = engine.import(&one, None).await.unwrap();
    let started = Instant::now();
    let status = engine
        .start_run(&p, RunOptions::default())
        .await
        .unwrap()
        .wait()
        .await;
    assert_eq!(status, RunStatus::Succeeded);
    let single = started.elapsed();
    let mut yaml = String::from("jobs:\n");
    for i in 0..n {
        yaml.push_str(&format!(
            "  j{i}:\n    runner: kubernetes:bench\n    image: busybox:1.37\n    steps: [sleep 2]\n"
        ));
    }
    std::fs::write(one.join("switchyard.yaml"), yaml).unwrap();
    let p = engine.import(&one, None).await.unwrap();
    let mut events = engine.subscribe();
    let started = Instant::now();
    let handle = engine.start_run(&p, RunOptions::default()).await.unwrap();
    let id = handle.id;
    let wait = handle.wait();
    tokio::pin!(wait);
    let (mut running, mut most) = (0usize, 0usize);
    let status = loop {
        tokio::select! {
            s = &mut wait => break s,
            e = events.recv() => {
                if let Ok(Event::Job { run_id, status, .. }) = e && run_id == id {
                    use switchyard_engine::status::JobStatus;
                    match status {
                        JobStatus::Running => { running += 1; most = most.max(running); }
                        s if s.is_terminal() => running = running.saturating_sub(1),
                        _ => {}
                    }
                }
            }
        }
    };
    let all = started.elapsed();
    assert_eq!(status, RunStatus::Succeeded, "the fan-out run failed");
    println!(
        "fan-out: 1 one-step job (sleep 2) {:.1} s; {n} such jobs on one target {:.1} s ({:.1}x); at most {most} jobs running at once",
        single.as_secs_f64(),
        all.as_secs_f64(),
        all.as_secs_f64() / single.as_secs_f64()
    );
    b.done().await;
}

/// A deploy job of `objects` ConfigMaps and one Deployment, with `strategy`.
fn deploy_project(b: &Bench, objects: usize, strategy: &str, value: &str) -> PathBuf {
    let p = b.project(&format!(
        "jobs:\n  ship:\n    deploy: {{app: bench, environment: bench, manifests: k8s, images: [bench/web], targets: bench, strategy: {strategy}}}\n"
    ));
    let dir = p.join("k8s");
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = String::new();
    for i in 0..objects.saturating_sub(1) {
        text.push_str(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg-{i}}}\ndata: {{key: '{value}'}}\n---\n"
        ));
    }
    text.push_str("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 4\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: 'bench/web:0'}]\n");
    std::fs::write(dir.join("all.yaml"), text).unwrap();
    p
}

async fn deploy_once(engine: &Engine, project: &std::path::Path, image: &str) -> (Duration, i64) {
    let p = engine.import(project, None).await.unwrap();
    let started = Instant::now();
    let options = RunOptions {
        deploy: switchyard_engine::DeployOptions {
            image: Some(image.into()),
            ..Default::default()
        },
        ..Default::default()
    };
    let handle = engine.start_deploy(&p, "bench", options).await.unwrap();
    let id = handle.id;
    assert_eq!(
        handle.wait().await,
        RunStatus::Succeeded,
        "the benchmark's deployment failed"
    );
    (started.elapsed(), id)
}

async fn deployments() {
    let b = Bench::new("deploy").await;
    let mut settings = Settings::new("bench");
    settings.kubeconfig = Some(b.kubeconfig.clone());
    let provider = Arc::new(Provider::new(settings));
    let mut config = EngineConfig::new(Home::at(b._dir.path().join("home")));
    config.deployer = Some(Arc::new(provider.deployer()));
    let engine = Engine::open(config).await.unwrap();

    let project = deploy_project(&b, 50, "rolling", "a");
    let before = provider.api_calls();
    let (first, _) = deploy_once(&engine, &project, "bench/web:1").await;
    let first_calls = provider.api_calls() - before;
    let project = deploy_project(&b, 50, "rolling", "b");
    let before = provider.api_calls();
    let (changed, _) = deploy_once(&engine, &project, "bench/web:2").await;
    let changed_calls = provider.api_calls() - before;
    println!(
        "deploy: 50 objects, diff and apply and rollout: first {:.0} ms ({first_calls} API calls), all changed {:.0} ms ({changed_calls} API calls)",
        first.as_secs_f64() * 1000.0,
        changed.as_secs_f64() * 1000.0
    );

    let project = deploy_project(&b, 1, "{canary: {steps: [25, 50, 75]}}", "c");
    let before = provider.api_calls();
    let (took, _) = deploy_once(&engine, &project, "bench/web:3").await;
    let calls = provider.api_calls() - before;
    println!(
        "deploy: canary of 4 steps (25/50/75/100%) by replica ratio: {:.0} ms, {calls} API calls ({:.1} per step, diff and promotion included)",
        took.as_secs_f64() * 1000.0,
        calls as f64 / 4.0
    );
    b.done().await;
}

fn main() {
    // `cargo test --benches` runs bench targets with `--bench`-less args; only measure under `cargo bench`.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let which: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
        let want = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
        if want("latency") {
            latency_and_calls().await;
        }
        if want("upload") {
            upload_throughput().await;
        }
        if want("fanout") {
            fan_out().await;
        }
        if want("deploy") {
            deployments().await;
        }
    });
}
