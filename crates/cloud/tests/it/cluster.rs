//! When Switchyard or the connection to the cluster goes away: re-attaching
//! after a restart, cleaning up what ended runs left, dropped connections
//! and clusters that stay unreachable.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Pod, Secret};
use kube::Api;
use kube::api::PostParams;
use switchyard_engine::RunOptions;
use switchyard_engine::logs::Stream;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};
use tokio::net::{TcpListener, TcpStream};

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(90);

/// The hard case: the engine stops (its process dies) while a step runs in
/// the pod. The step goes on; a new engine on the same data dir finds the
/// run, re-attaches to the pod, resumes the log exactly after the last line
/// the history holds (no line lost, none twice), runs the remaining steps
/// and records the result.
#[test]
fn restarted_engine_reattaches_to_a_running_job_and_records_its_result() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestEnv::new("reattach"));
    t.pipeline(
        r#"
jobs:
  long:
    runner: kubernetes:it
    image: busybox:1.37
    secrets: [TOKEN]
    steps:
      - echo one
      - name: ticks
        run: for i in 1 2 3 4 5 6 7 8; do echo "tick $i"; echo "err $i" >&2; sleep 0.5; done
      - echo "three $TOKEN"
"#,
    );
    let secrets = [("TOKEN", "tok-123-tok")];

    // Engine A, in a runtime of its own, dies while `ticks` runs.
    let engine_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let id = engine_rt.block_on(async {
        let (engine, _) = t.engine(t.settings(), &secrets).await;
        let project = engine.import(&t.project, None).await.unwrap();
        let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
        wait_for_line(&engine, handle.id, "long", "tick 3", LIMIT).await;
        handle.id
    });
    // Every task of engine A stops where it is, as when its process is killed.
    engine_rt.shutdown_timeout(Duration::from_secs(5));

    rt.block_on(async {
        let (engine, _) = t.engine(t.settings(), &secrets).await;
        let before = engine.run(id).await.unwrap();
        assert_eq!(
            before.summary.status,
            RunStatus::Running,
            "left for resuming, not interrupted"
        );
        assert_eq!(t.pods().await.len(), 1, "the pod went on without Switchyard");
        let handles = engine.resume_runs().await.unwrap();
        assert_eq!(handles.iter().map(|h| h.id).collect::<Vec<_>>(), [id]);
        let status = tokio::time::timeout(LIMIT, handles.into_iter().next().unwrap().wait())
            .await
            .unwrap();
        engine.flush().await.unwrap();
        let run = engine.run(id).await.unwrap();
        let job = job(&run, "long");
        let lines = log(&engine, job).await;
        let texts: Vec<(Stream, &str)> = lines.iter().map(|l| (l.stream, l.text.as_str())).collect();
        assert_eq!(status, RunStatus::Succeeded, "{run:#?}\n{texts:#?}");
        assert_eq!(job.status, JobStatus::Succeeded);
        assert_eq!(job.attempts, 1, "the same attempt went on");
        let steps: Vec<_> = job.steps.iter().map(|s| (s.status, s.exit_code)).collect();
        assert_eq!(steps, [(StepStatus::Succeeded, Some(0)); 3]);
        for i in 1..=8 {
            for (stream, text) in [
                (Stream::Stdout, format!("tick {i}")),
                (Stream::Stderr, format!("err {i}")),
            ] {
                let n = texts.iter().filter(|(s, l)| *s == stream && *l == text).count();
                assert_eq!(n, 1, "{text:?} appears {n} times: {texts:#?}");
            }
        }
        let ticks: Vec<&str> = texts
            .iter()
            .filter(|(_, l)| l.starts_with("tick"))
            .map(|(_, l)| *l)
            .collect();
        assert_eq!(
            ticks,
            (1..=8).map(|i| format!("tick {i}")).collect::<Vec<_>>(),
            "in order"
        );
        assert!(
            texts.contains(&(Stream::Stdout, "three ***")),
            "secrets still masked: {texts:#?}"
        );
        assert!(
            texts
                .iter()
                .any(|(s, l)| *s == Stream::System && l.contains("re-attached")),
            "{texts:#?}"
        );
        let numbers: Vec<i64> = lines.iter().map(|l| l.number).collect();
        assert_eq!(
            numbers,
            (1..=lines.len() as i64).collect::<Vec<_>>(),
            "line numbers go on without a gap"
        );
        t.assert_no_pods_left().await;
    });
}

/// A run that cannot be resumed because its pod is gone fails its job with
/// that reason instead of hanging.
#[test]
fn resumed_run_whose_pod_is_gone_fails_the_job_with_the_reason() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let t = rt.block_on(TestEnv::new("gone"));
    t.pipeline("jobs:\n  j:\n    runner: kubernetes:it\n    image: busybox:1.37\n    steps: [echo started; sleep 60]\n");
    let engine_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let id = engine_rt.block_on(async {
        let (engine, _) = t.engine(t.settings(), &[]).await;
        let project = engine.import(&t.project, None).await.unwrap();
        let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
        wait_for_line(&engine, handle.id, "j", "started", LIMIT).await;
        handle.id
    });
    engine_rt.shutdown_timeout(Duration::from_secs(5));
    rt.block_on(async {
        // Someone deletes the pod while no Switchyard watches.
        let pods: Api<Pod> = Api::namespaced(t.client.clone(), &t.namespace);
        for p in t.pods().await {
            pods.delete(&p.metadata.name.unwrap(), &Default::default())
                .await
                .unwrap();
        }
        t.assert_no_pods_left().await;
        let (engine, _) = t.engine(t.settings(), &[]).await;
        let handles = engine.resume_runs().await.unwrap();
        assert_eq!(handles.len(), 1);
        let status = tokio::time::timeout(LIMIT, handles.into_iter().next().unwrap().wait())
            .await
            .unwrap();
        assert_eq!(status, RunStatus::Failed);
        engine.flush().await.unwrap();
        let run = engine.run(id).await.unwrap();
        let reason = job(&run, "j").reason.clone().unwrap_or_default();
        assert!(reason.contains("pod was gone"), "{reason}");
    });
}

fn labelled_pod(name: &str, instance: &str, run: i64, job: i64) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {
            "app.kubernetes.io/managed-by": "switchyard",
            "switchyard.dev/instance": instance,
            "switchyard.dev/run": run.to_string(),
            "switchyard.dev/job": job.to_string(),
        }},
        "spec": {"containers": [{"name": "job", "image": "busybox:1.37", "command": ["sleep", "3600"]}]}
    }))
    .unwrap()
}

/// Pods (and Secrets) that ended or unknown runs left behind are deleted;
/// those of another Switchyard installation sharing the namespace are not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orphaned_pods_of_ended_runs_are_collected() {
    let t = TestEnv::new("orphans").await;
    t.pipeline("jobs:\n  j:\n    runner: kubernetes:it\n    image: busybox:1.37\n    steps: [echo ok]\n");
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded);
    let job_id = job(&run, "j").id;
    t.assert_no_pods_left().await;

    let pods: Api<Pod> = Api::namespaced(t.client.clone(), &t.namespace);
    let pp = PostParams::default();
    pods.create(
        &pp,
        &labelled_pod("left-by-ended-run", &t.instance, run.summary.id, job_id),
    )
    .await
    .unwrap();
    pods.create(&pp, &labelled_pod("left-by-unknown-run", &t.instance, 9999, 9999))
        .await
        .unwrap();
    pods.create(
        &pp,
        &labelled_pod("other-installation", "someoneelse", run.summary.id, job_id),
    )
    .await
    .unwrap();
    let secrets: Api<Secret> = Api::namespaced(t.client.clone(), &t.namespace);
    let secret: Secret = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "left-secret", "labels": {
            "app.kubernetes.io/managed-by": "switchyard",
            "switchyard.dev/instance": t.instance,
            "switchyard.dev/run": run.summary.id.to_string(),
            "switchyard.dev/job": job_id.to_string(),
        }},
        "stringData": {"X": "y"}
    }))
    .unwrap();
    secrets.create(&pp, &secret).await.unwrap();

    let cleaned = engine.collect_orphans().await.unwrap();
    assert_eq!(cleaned, 2, "the ended run's and the unknown run's");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names: Vec<String> = t
            .pods()
            .await
            .into_iter()
            .filter_map(|p| p.metadata.name)
            .collect();
        if names == ["other-installation"] {
            break;
        }
        assert!(Instant::now() < deadline, "pods left: {names:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        t.secrets()
            .await
            .iter()
            .all(|s| s.metadata.name.as_deref() != Some("left-secret"))
    );
}

/// A TCP proxy in front of the API server that can drop every connection
/// and refuse new ones for a while: a network blip, a dropped watch and a
/// dropped exec stream at once.
struct Blip {
    addr: std::net::SocketAddr,
    down: Arc<AtomicBool>,
    generation: Arc<std::sync::atomic::AtomicU64>,
}

impl Blip {
    async fn start(upstream: String) -> Blip {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let down = Arc::new(AtomicBool::new(false));
        let generation = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let (d, g) = (down.clone(), generation.clone());
        tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if d.load(Ordering::SeqCst) {
                    continue; // dropped: connection refused, in effect
                }
                let upstream = upstream.clone();
                let born = g.load(Ordering::SeqCst);
                let g = g.clone();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let copy = tokio::io::copy_bidirectional(&mut client, &mut server);
                    let cut = async {
                        while g.load(Ordering::SeqCst) == born {
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    };
                    tokio::select! { _ = copy => {}, _ = cut => {} }
                });
            }
        });
        Blip {
            addr,
            down,
            generation,
        }
    }

    /// Drops every connection and refuses new ones for `d`.
    async fn outage(&self, d: Duration) {
        self.down.store(true, Ordering::SeqCst);
        self.generation.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(d).await;
        self.down.store(false, Ordering::SeqCst);
    }
}

/// Connections to the API server dropped mid-step (the exec stream of the
/// step's output among them) are retried with backoff: the job succeeds and
/// its log has every line once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_connections_are_retried_and_no_output_is_lost() {
    let t = TestEnv::new("blip").await;
    let blip = Blip::start(t.server_addr()).await;
    let proxied = t.kubeconfig_with_server(&format!("https://{}", blip.addr));
    t.pipeline(
        r#"
jobs:
  j:
    runner: kubernetes:it
    image: busybox:1.37
    steps:
      - for i in 1 2 3 4 5 6 7 8 9 10; do echo "line $i"; sleep 0.4; done
      - echo after
"#,
    );
    let mut settings = t.settings();
    settings.kubeconfig = Some(proxied);
    let (engine, _) = t.engine(settings, &[]).await;
    let project = engine.import(&t.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    wait_for_line(&engine, id, "j", "line 2", LIMIT).await;
    blip.outage(Duration::from_secs(2)).await;
    let status = tokio::time::timeout(LIMIT, handle.wait()).await.unwrap();
    engine.flush().await.unwrap();
    let run = engine.run(id).await.unwrap();
    let texts = log_texts(&engine, job(&run, "j")).await;
    assert_eq!(status, RunStatus::Succeeded, "{run:#?}\n{texts:#?}");
    let lines: Vec<&String> = texts.iter().filter(|l| l.starts_with("line ")).collect();
    assert_eq!(
        lines,
        (1..=10)
            .map(|i| format!("line {i}"))
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
    assert!(texts.contains(&"after".to_string()));
    t.assert_no_pods_left().await;
}

/// A cluster that stays unreachable fails the job, with the reason, once
/// the retries give up; it does not hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_cluster_fails_the_job_with_the_reason() {
    let t = TestEnv::new("unreach").await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = t.kubeconfig_with_server(&format!("https://{closed}"));
    t.pipeline("jobs:\n  j:\n    runner: kubernetes:it\n    image: busybox:1.37\n    steps: [echo never]\n");
    let mut settings = t.settings();
    settings.kubeconfig = Some(dead);
    settings.retry.give_up_after = Duration::from_secs(3);
    let (engine, _) = t.engine(settings, &[]).await;
    let started = Instant::now();
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    let job = job(&run, "j");
    assert_eq!(job.status, JobStatus::Failed, "{job:#?}");
    let reason = job.reason.clone().unwrap_or_default();
    assert!(reason.contains("stayed unreachable for 3s"), "{reason}");
    assert!(reason.contains("cannot create the pod"), "{reason}");
}
