//! Jobs that run to the end: output, exit codes, the working tree, artifacts
//! and reports, secrets.

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Api;
use kube::api::ListParams;
use switchyard_engine::RunOptions;
use switchyard_engine::logs::Stream;
use switchyard_engine::status::{JobStatus, RunStatus, StepStatus};

use crate::support::*;

const LIMIT: Duration = Duration::from_secs(90);

/// Steps run in order in one pod, with the job's and the step's variables,
/// their own working directories, stdout and stderr kept apart, and the
/// pod deleted afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_step_job_streams_real_output_with_exit_codes() {
    let t = TestEnv::new("steps").await;
    t.file("sub/data.txt", "from the project\n");
    t.pipeline(
        r#"
jobs:
  build:
    runner: kubernetes:it
    image: busybox:1.37
    env: {GREETING: hello}
    steps:
      - run: echo "$GREETING from $SWITCHYARD_JOB"; echo "to stderr" >&2
      - name: in sub
        run: cat data.txt; basename "$PWD"; echo "$STEP_VAR"; echo made > ../made.txt; echo "from=sub" >> "$SWITCHYARD_OUTPUT"
        working_dir: sub
        env: {STEP_VAR: "it's step-only"}
      - run: cat made.txt; test -z "$STEP_VAR" && echo "no step var here"; echo "image=registry.local/acme/web:$SWITCHYARD_RUN_ID" >> "$SWITCHYARD_OUTPUT"
"#,
    );
    let (engine, provider) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    let job = job(&run, "build");
    let lines = log(&engine, job).await;
    let texts: Vec<(Stream, Option<u32>, &str)> = lines
        .iter()
        .map(|l| (l.stream, l.step, l.text.as_str()))
        .collect();
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}\n{texts:#?}");
    let want = [
        (Stream::Stdout, Some(0), "hello from build"),
        (Stream::Stderr, Some(0), "to stderr"),
        (Stream::Stdout, Some(1), "from the project"),
        (Stream::Stdout, Some(1), "sub"),
        (Stream::Stdout, Some(1), "it's step-only"),
        (Stream::Stdout, Some(2), "made"),
        (Stream::Stdout, Some(2), "no step var here"),
    ];
    for w in want {
        assert!(texts.contains(&w), "missing {w:?} in {texts:#?}");
    }
    // Outputs come back from the pod, whatever folder the step ran in.
    assert_eq!(
        job.outputs,
        [
            ("from".to_string(), "sub".to_string()),
            (
                "image".to_string(),
                format!("registry.local/acme/web:{}", run.summary.id)
            )
        ]
        .into()
    );
    assert_eq!(job.runner, "kubernetes:it");
    let system: Vec<&str> = texts
        .iter()
        .filter(|(s, _, _)| *s == Stream::System)
        .map(|(_, _, t)| *t)
        .collect();
    assert!(
        system.iter().any(|t| t.contains("is running on node"))
            && system.iter().any(|t| t.starts_with("uploaded the working tree")),
        "what preparing did is in the log: {system:#?}"
    );
    for s in &job.steps {
        assert_eq!((s.status, s.exit_code), (StepStatus::Succeeded, Some(0)), "{s:?}");
    }
    assert!(
        provider.api_calls() > 5,
        "API calls are counted: {}",
        provider.api_calls()
    );
    t.assert_no_pods_left().await;
}

/// A failing step fails the job with its exit code, its output is kept and
/// the later steps are skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failing_step_fails_the_job_with_its_exit_code() {
    let t = TestEnv::new("fail").await;
    t.pipeline(
        r#"
jobs:
  test:
    runner: kubernetes:it
    image: busybox:1.37
    steps:
      - echo first
      - echo "about to fail" >&2; exit 7
      - echo never
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert_eq!(run.summary.status, RunStatus::Failed);
    let job = job(&run, "test");
    assert_eq!(job.status, JobStatus::Failed);
    let statuses: Vec<_> = job.steps.iter().map(|s| (s.status, s.exit_code)).collect();
    assert_eq!(
        statuses,
        [
            (StepStatus::Succeeded, Some(0)),
            (StepStatus::Failed, Some(7)),
            (StepStatus::Skipped, None)
        ]
    );
    assert!(
        job.reason.as_deref().unwrap_or("").contains("exited with code 7"),
        "{:?}",
        job.reason
    );
    let texts = log_texts(&engine, job).await;
    assert!(texts.contains(&"about to fail".to_string()), "{texts:?}");
    assert!(!texts.contains(&"never".to_string()), "{texts:?}");
    t.assert_no_pods_left().await;
}

/// The working tree goes up as it is: uncommitted changes and untracked
/// files included, `.gitignore`d files and `.git` left out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dirty_working_tree_is_uploaded_respecting_gitignore() {
    let t = TestEnv::new("tree").await;
    t.file(".gitignore", "target/\n*.log\n");
    t.file("src/lib.txt", "committed\n");
    t.pipeline(
        r#"
jobs:
  ls:
    runner: kubernetes:it
    image: busybox:1.37
    steps:
      - find . -path ./.switchyard -prune -o -type f -print | sort
      - cat src/lib.txt
"#,
    );
    git(&t.project, &["init", "-q"]);
    git(&t.project, &["add", "."]);
    git(&t.project, &["commit", "-q", "-m", "first"]);
    t.file("src/lib.txt", "changed, not committed\n");
    t.file("new.txt", "untracked\n");
    t.file("target/big.bin", "ignored\n");
    t.file("debug.log", "ignored\n");
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    let job = job(&run, "ls");
    let texts = log_texts(&engine, job).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}\n{texts:#?}");
    for want in [
        "./.gitignore",
        "./new.txt",
        "./src/lib.txt",
        "./switchyard.yaml",
        "changed, not committed",
    ] {
        assert!(texts.iter().any(|l| l == want), "missing {want:?} in {texts:#?}");
    }
    for unwanted in ["target", "debug.log", ".git/"] {
        assert!(
            !texts.iter().any(|l| l.contains(unwanted)),
            "{unwanted:?} was uploaded: {texts:#?}"
        );
    }
}

/// Artifacts and JUnit reports made in the pod are copied back before the
/// pod goes, stored by content and read.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn artifacts_and_junit_reports_are_copied_back() {
    let t = TestEnv::new("artifacts").await;
    t.pipeline(
        r#"
jobs:
  test:
    runner: kubernetes:it
    image: busybox:1.37
    artifacts: [dist/**]
    reports:
      junit: reports/*.xml
    steps:
      - mkdir -p dist/bin reports && printf 'binary' > dist/bin/app && printf 'notes' > dist/NOTES
      - |
        cat > reports/junit.xml <<'XML'
        <testsuite name="unit" tests="3">
          <testcase classname="a" name="passes" time="0.01"/>
          <testcase classname="a" name="fails"><failure message="boom">trace</failure></testcase>
          <testcase classname="a" name="skipped"><skipped/></testcase>
        </testsuite>
        XML
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let job = job(&run, "test");
    let arts: Vec<(&str, u64)> = job.artifacts.iter().map(|a| (a.path.as_str(), a.size)).collect();
    assert_eq!(arts, [("dist/NOTES", 5), ("dist/bin/app", 6)], "{job:#?}");
    let stored = engine.home().artifacts();
    let sha = &job.artifacts[1].sha256;
    assert_eq!(
        std::fs::read(stored.join(&sha[..2]).join(sha)).unwrap(),
        b"binary"
    );
    assert_eq!(
        (job.tests.passed, job.tests.failed, job.tests.skipped),
        (1, 1, 1),
        "{job:#?}"
    );
    let results = engine.store().test_results(job.id).await.unwrap();
    assert!(
        results
            .iter()
            .any(|r| r.name == "fails" && r.message.as_deref() == Some("boom")),
        "{results:#?}"
    );
    t.assert_no_pods_left().await;
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// Regression: the tar of a job's artifacts was held whole in memory on
/// its way back from the pod (and a copy of it while unpacking). A big
/// artifact now streams to disk: the peak memory of Switchyard grows by a
/// small part of its size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_artifact_is_copied_back_without_holding_it_in_memory() {
    const MIB: u64 = 128;
    let t = TestEnv::new("bigart").await;
    t.pipeline(&format!(
        r#"
jobs:
  big:
    runner: kubernetes:it
    image: busybox:1.37
    artifacts: [out/*]
    steps:
      - mkdir -p out && dd if=/dev/zero of=out/blob bs=1048576 count={MIB} 2>/dev/null
"#
    ));
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let before = peak_rss_kib();
    let run = t.run(&engine, RunOptions::default(), LIMIT).await;
    let grew_mib = peak_rss_kib().saturating_sub(before) / 1024;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let job = job(&run, "big");
    assert_eq!(job.artifacts.len(), 1, "{job:#?}");
    assert_eq!(job.artifacts[0].size, MIB * 1024 * 1024);
    assert!(
        grew_mib < MIB / 2,
        "peak memory grew by {grew_mib} MiB while a {MIB} MiB artifact came back"
    );
    t.assert_no_pods_left().await;
}

/// Secret values reach the steps through a Kubernetes Secret (never the pod
/// spec), are masked in the log, and the Secret is deleted with the pod.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_are_masked_and_their_secret_is_deleted() {
    let t = TestEnv::new("secrets").await;
    let value = "s3cr3t-Value-42";
    t.pipeline(
        r#"
jobs:
  deploy:
    runner: kubernetes:it
    image: busybox:1.37
    secrets: [API_TOKEN]
    steps:
      - echo "token=$API_TOKEN"; echo "len=${#API_TOKEN}"
      - echo waiting; sleep 3
"#,
    );
    let (engine, _) = t.engine(t.settings(), &[("API_TOKEN", value)]).await;
    let project = engine.import(&t.project, None).await.unwrap();
    let handle = engine.start_run(&project, RunOptions::default()).await.unwrap();
    let id = handle.id;
    wait_for_line(&engine, id, "deploy", "waiting", LIMIT).await;
    // While the job runs: one Secret, owned by the pod, and no value in the pod spec.
    let secrets = t.secrets().await;
    assert_eq!(secrets.len(), 1, "{secrets:#?}");
    let owners = secrets[0].metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(
        owners.first().map(|o| o.kind.as_str()),
        Some("Pod"),
        "{:#?}",
        secrets[0].metadata
    );
    let pods: Api<Pod> = Api::namespaced(t.client.clone(), &t.namespace);
    let pod = pods.list(&ListParams::default()).await.unwrap().items.remove(0);
    assert!(
        !serde_json::to_string(&pod).unwrap().contains(value),
        "the value is in the pod spec"
    );
    tokio::time::timeout(LIMIT, handle.wait()).await.unwrap();
    engine.flush().await.unwrap();
    let run = engine.run(id).await.unwrap();
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}");
    let texts = log_texts(&engine, job(&run, "deploy")).await;
    assert!(texts.contains(&"token=***".to_string()), "{texts:#?}");
    assert!(
        texts.contains(&format!("len={}", value.len())),
        "the step saw the value: {texts:#?}"
    );
    assert!(!texts.iter().any(|l| l.contains(value)), "{texts:#?}");
    t.assert_no_pods_left().await;
    for _ in 0..50 {
        if t.secrets().await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the job's Secret was not deleted: {:#?}", t.secrets().await);
}

/// `--source commit`: the pod fetches the project's git remote at the run's
/// commit, so uncommitted changes are not in the workspace. The remote is a
/// path on this machine, which only pods of the local control plane (whose
/// exec runs here) can reach: against another cluster, skip this test with
/// `--skip commit_source` (see docs/kubernetes-runner.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_source_fetches_the_remote_at_the_runs_commit() {
    let t = TestEnv::new("commit").await;
    let remote = t.project.with_file_name("remote.git");
    std::fs::create_dir_all(&remote).unwrap();
    git(&remote, &["init", "-q", "--bare"]);
    t.pipeline(
        r#"
jobs:
  k:
    runner: kubernetes:it
    image: alpine/git:2.47.2
    steps:
      - cat file.txt
      - git log -1 --format=%s
"#,
    );
    t.file("file.txt", "committed\n");
    git(&t.project, &["init", "-q"]);
    git(&t.project, &["add", "."]);
    git(&t.project, &["commit", "-q", "-m", "the commit"]);
    git(&t.project, &["remote", "add", "origin", remote.to_str().unwrap()]);
    git(&t.project, &["push", "-q", "origin", "HEAD"]);
    t.file("file.txt", "uncommitted\n");
    let (engine, _) = t.engine(t.settings(), &[]).await;
    let options = RunOptions {
        source: switchyard_engine::workspace::WorkspaceSource::Commit,
        ..Default::default()
    };
    let run = t.run(&engine, options, LIMIT).await;
    let texts = log_texts(&engine, job(&run, "k")).await;
    assert_eq!(run.summary.status, RunStatus::Succeeded, "{run:#?}\n{texts:#?}");
    assert!(texts.contains(&"committed".to_string()), "{texts:#?}");
    assert!(texts.contains(&"the commit".to_string()), "{texts:#?}");
    assert!(!texts.contains(&"uncommitted".to_string()), "{texts:#?}");
}
