//! `switchyard deploy`: the CLI contract (exit codes, `--json`), input
//! errors, and a Switchyard killed in the middle of a rollout. The rollouts
//! run on the local control plane (`SWITCHYARD_TEST_KUBECONFIG`, started by
//! the README's test command); each test deploys into a namespace of its
//! own, which its manifests create.

use std::path::PathBuf;

use crate::harness::Prometheus;
use crate::support::*;

fn kubeconfig() -> PathBuf {
    match std::env::var_os("SWITCHYARD_TEST_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "SWITCHYARD_TEST_KUBECONFIG is not set; start a cluster with `export SWITCHYARD_TEST_KUBECONFIG=$(tests/cluster/up)`"
        ),
    }
}

/// A project `shop` deploying app `web` to `staging` on the cluster's
/// current context, in namespace `ns` (which its manifests create); with
/// `unready`, the new pods never get ready and the deadline is 6 s.
fn project(sb: &Sandbox, ns: &str, unready: bool) -> PathBuf {
    project_with(sb, ns, unready, "")
}

/// [`project`] with more of the deploy job (`strategy`, `analysis`), as
/// YAML lines indented under `deploy:`.
fn project_with(sb: &Sandbox, ns: &str, unready: bool, more: &str) -> PathBuf {
    let kc = kubeconfig();
    let text = std::fs::read_to_string(&kc).unwrap();
    let context = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("current-context:"))
        .map(|c| c.trim().trim_matches('"').to_string())
        .expect("the test kubeconfig names a current-context");
    std::fs::create_dir_all(&sb.home).unwrap();
    std::fs::write(
        sb.home.join("config.toml"),
        format!(
            "[targets.stage]\ncontext = \"{context}\"\nkubeconfig = \"{}\"\nnamespace = \"{ns}\"\n",
            kc.display()
        ),
    )
    .unwrap();
    let dir = sb.project(
        "shop",
        &format!("name: shop\njobs:\n  ship:\n    deploy:\n      app: web\n      environment: staging\n      manifests: k8s\n      images: [registry.local/acme/web]\n      targets: stage\n{more}"),
    );
    let extra = if unready {
        ", kwok.switchyard.local/unready: \"yes\""
    } else {
        ""
    };
    std::fs::create_dir_all(dir.join("k8s")).unwrap();
    std::fs::write(
        dir.join("k8s/app.yaml"),
        format!(
            "apiVersion: v1\nkind: Namespace\nmetadata: {{name: {ns}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 2\n  progressDeadlineSeconds: 6\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web{extra}}}}}\n    spec:\n      containers: [{{name: web, image: 'registry.local/acme/web:0'}}]\n"
        ),
    )
    .unwrap();
    dir
}

fn unique(prefix: &str) -> String {
    let n = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
        % 0xffffff;
    format!("{prefix}-{n:x}")
}

#[test]
fn deploy_json_prints_the_deployment_and_the_exit_code_says_how_it_ended() {
    let sb = Sandbox::new();
    let ns = unique("sy-cli-deploy");
    let dir = project(&sb, &ns, false);
    let d = dir.to_str().unwrap();
    let ran = sb
        .run(&[
            "deploy",
            d,
            "--env",
            "staging",
            "--image",
            "registry.local/acme/web:1.0",
            "--json",
        ])
        .expect_code(0);
    let json = ran.json();
    assert_eq!(json["app"], "web");
    assert_eq!(json["environment"], "staging");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["revision"], 1);
    assert_eq!(json["strategy"], "rolling");
    assert_eq!(json["image"], "registry.local/acme/web:1.0");
    assert_eq!(json["targets"][0]["name"], "stage");
    assert_eq!(json["targets"][0]["status"], "succeeded");
    assert_eq!(json["targets"][0]["wave"], 1);
    assert!(
        json["steps"].as_array().is_some_and(|s| !s.is_empty()),
        "{json:#}"
    );
    assert!(
        ran.stderr.contains("ship"),
        "progress goes to stderr: {}",
        ran.stderr
    );

    // A dry run: the diff, exit 0, nothing recorded.
    let ran = sb
        .run(&[
            "deploy",
            d,
            "--env",
            "staging",
            "--image",
            "registry.local/acme/web:2.0",
            "--dry-run",
            "--json",
        ])
        .expect_code(0);
    assert_eq!(ran.json()["status"], "dry_run");
    assert!(ran.json()["id"].is_null());
    let logs = sb.run(&["logs", "2", "--job", "ship"]).expect_code(0);
    assert!(
        logs.stdout
            .contains(r#""registry.local/acme/web:1.0" -> "registry.local/acme/web:2.0""#),
        "{}",
        logs.stdout
    );

    // A version that never gets ready: rolled back, exit 1.
    let dir = project(&sb, &ns, true);
    let ran = sb
        .run(&[
            "deploy",
            dir.to_str().unwrap(),
            "--env",
            "staging",
            "--image",
            "registry.local/acme/web:3.0",
            "--json",
        ])
        .expect_code(1);
    let json = ran.json();
    assert_eq!(json["status"], "rolled_back", "{json:#}");
    assert_eq!(json["revision"], 2);

    let history = sb
        .run(&["deploy", "history", "web", "--json"])
        .expect_code(0)
        .json();
    let statuses: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["rolled_back", "succeeded"]);
    let status = sb.run(&["deploy", "status", "web"]).expect_code(0);
    status.stdout_has("web 3.0 -> staging (revision 2, rolling): rolled back");

    // A healthy 4.0, then a manual rollback: to the latest succeeded
    // revision before it (1.0), directly.
    let dir = project(&sb, &ns, false);
    let d = dir.to_str().unwrap();
    sb.run(&[
        "deploy",
        d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:4.0",
    ])
    .expect_code(0);
    let ran = sb
        .run(&["deploy", "rollback", "web", "--env", "staging", "--json"])
        .expect_code(0);
    ran.stderr_has("rolling web back to revision 1 (registry.local/acme/web:1.0) in staging");
    let json = ran.json();
    assert_eq!(
        (
            json["revision"].as_i64(),
            json["image"].as_str(),
            json["status"].as_str()
        ),
        (Some(4), Some("registry.local/acme/web:1.0"), Some("succeeded"))
    );
    assert!(
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "rollback"
                && s["message"].as_str().unwrap_or_default().contains("revision 1")),
        "{json:#}"
    );
    sb.run(&["deploy", "rollback", "web", "--env", "staging", "--to", "9"])
        .expect_code(2)
        .stderr_has("`web` has no revision 9 in `staging`");
    sb.run(&["deploy", "rollback", "web", "--env", "prod"])
        .expect_code(2)
        .stderr_has("nothing to roll back");
}

#[test]
fn deploy_input_errors_say_what_to_do() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "site",
        "jobs:\n  ship:\n    deploy: {app: site, environment: prod, manifests: k8s, images: [acme/site], targets: nowhere}\n",
    );
    let d = dir.to_str().unwrap();
    sb.run(&["deploy", d])
        .expect_code(2)
        .stderr_has("needs `--env ENV`");
    sb.run(&["deploy", d, "--env", "staging"])
        .expect_code(2)
        .stderr_has("no deploy job for environment `staging`; its deploy jobs deploy to: prod");
    // No tag to ship: the job fails before touching a cluster, and says why.
    let ran = sb.run(&["deploy", d, "--env", "prod", "--json"]).expect_code(1);
    assert_eq!(
        ran.json().as_array().map(Vec::len),
        Some(0),
        "nothing was recorded: {}",
        ran.stdout
    );
    let show = sb.run(&["show", "1", "--json"]).expect_code(0).json();
    let reason = show["jobs"][0]["reason"].as_str().unwrap_or_default().to_string();
    assert!(reason.contains("--image acme/site:<tag>"), "{reason}");
    sb.run(&["deploy", "history", "site"])
        .expect_code(0)
        .stderr_has("no deployment of `site`");
    sb.run(&["deploy", "status", "site"])
        .expect_code(2)
        .stderr_has("switchyard deploy --env ENV");
    // A pipeline mistake points at its line.
    let bad = sb.project("bad", "jobs:\n  ship:\n    deploy: {app: x, environment: prod, manifests: k8s, targets: a, strategy: canery}\n");
    sb.run(&["validate", bad.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("switchyard.yaml:3:");
}

/// `deploy.manifests` naming a kustomize overlay: it is rendered in-process
/// (no kustomize installed) and what ships is the overlay's objects, with
/// their new names, references and patches.
#[test]
fn a_kustomize_overlay_is_rendered_and_shipped() {
    let sb = Sandbox::new();
    let ns = unique("sy-cli-kustomize");
    let dir = project(&sb, &ns, false);
    let k8s = dir.join("k8s");
    std::fs::create_dir_all(k8s.join("base")).unwrap();
    let app = std::fs::read_to_string(k8s.join("app.yaml")).unwrap();
    std::fs::remove_file(k8s.join("app.yaml")).unwrap();
    let app = app.replace(
        "containers: [{name: web, image: 'registry.local/acme/web:0'}]",
        "containers: [{name: web, image: 'registry.local/acme/web:0', envFrom: [{configMapRef: {name: cfg}}]}]",
    );
    std::fs::write(
        k8s.join("base/app.yaml"),
        format!(
            "{app}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cfg}}\ndata: {{greeting: hello}}\n"
        ),
    )
    .unwrap();
    std::fs::write(k8s.join("base/kustomization.yaml"), "resources: [app.yaml]\n").unwrap();
    std::fs::write(
        k8s.join("kustomization.yaml"),
        format!(
            "resources: [base]\nnamespace: {ns}\nnamePrefix: shop-\nlabels:\n- pairs: {{team: shop}}\nreplicas:\n- name: web\n  count: 1\npatches:\n- target: {{kind: ConfigMap, name: cfg}}\n  patch: |-\n    - op: replace\n      path: /data/greeting\n      value: hello from staging\n"
        ),
    )
    .unwrap();
    let ran = sb
        .run(&[
            "deploy",
            dir.to_str().unwrap(),
            "--env",
            "staging",
            "--image",
            "registry.local/acme/web:1.0",
        ])
        .expect_code(0);
    let logs = sb.run(&["logs", "1", "--job", "ship"]).expect_code(0).stdout;
    assert!(logs.contains("+ ConfigMap/shop-cfg"), "{logs}\n{}", ran.stderr);
    assert!(
        logs.contains("Deployment/shop-web: rolled out, 1/1 ready"),
        "{logs}"
    );
    let out = std::process::Command::new(kubectl())
        .args(["--kubeconfig", kubeconfig().to_str().unwrap(), "-n", &ns])
        .args(["get", "deployment/shop-web", "configmap/shop-cfg", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let live: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = live["items"].as_array().unwrap();
    let web = &items[0];
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["image"], "registry.local/acme/web:1.0");
    assert_eq!(container["envFrom"][0]["configMapRef"]["name"], "shop-cfg");
    assert_eq!(web["metadata"]["labels"]["team"], "shop");
    assert_eq!(web["spec"]["replicas"], 1);
    assert_eq!(items[1]["data"]["greeting"], "hello from staging");
}

fn kubectl() -> PathBuf {
    match std::env::var_os("SWITCHYARD_TEST_KUBECTL") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from("kubectl"),
    }
}

/// A Switchyard killed in the middle of a rollout: the next `resume` finds
/// the deployment it recorded and goes on with it (same id and revision)
/// from the cluster's state, here to the rollback the stuck version needs.
#[test]
fn a_rollout_survives_a_killed_switchyard_and_resume_finishes_it() {
    let sb = Sandbox::new();
    let ns = unique("sy-cli-resume");
    let dir = project(&sb, &ns, false);
    let d = dir.to_str().unwrap().to_string();
    sb.run(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
    ])
    .expect_code(0);
    let dir = project(&sb, &ns, true);
    let child = sb.spawn(&[
        "deploy",
        dir.to_str().unwrap(),
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:2.0",
    ]);
    assert!(
        wait_for(30, || sb
            .run(&["logs", "2", "--job", "ship"])
            .stdout
            .contains("applied 2 objects")),
        "the rollout never started: {}",
        sb.run(&["logs", "2"]).stdout
    );
    kill_hard(child.id());
    let _ = finish(child, "switchyard deploy (killed)");
    let runs = sb.run(&["runs", "--json"]).expect_code(0).json();
    assert_eq!(
        runs[0]["status"], "running",
        "a rollout is left for resuming, not interrupted: {runs:#}"
    );

    let ran = sb.run(&["resume", "--json"]).expect_code(1);
    ran.stderr_has("resuming run 2");
    let history = sb
        .run(&["deploy", "history", "web", "--json"])
        .expect_code(0)
        .json();
    let list = history.as_array().unwrap();
    assert_eq!(
        list.len(),
        2,
        "the resumed rollout is the same deployment: {history:#}"
    );
    assert_eq!(list[0]["revision"], 2);
    assert_eq!(list[0]["status"], "rolled_back", "{history:#}");
    let logs = sb.run(&["logs", "2", "--job", "ship"]).expect_code(0);
    assert!(
        logs.stdout
            .contains("resuming deployment #2 (revision 2) after a restart"),
        "{}",
        logs.stdout
    );
    assert!(logs.stdout.contains("1.0 is back and ready"), "{}", logs.stdout);
}

/// A Switchyard killed mid-canary: the canary Deployment carries the step
/// it was on, so `resume` goes on from that step (not from the first) with
/// the same deployment, and promotes.
#[test]
fn a_canary_survives_a_killed_switchyard_and_resume_goes_on_from_its_step() {
    let sb = Sandbox::new();
    let ns = unique("sy-cli-canary-kill");
    let more = "      strategy:\n        canary: {steps: [25, 50, 75], pause: 3s}\n";
    let dir = project_with(&sb, &ns, false, more);
    let d = dir.to_str().unwrap().to_string();
    let first = [
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
    ];
    sb.run(&first).expect_code(0);
    let child = sb.spawn(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:2.0",
    ]);
    assert!(
        wait_for(60, || sb
            .run(&["logs", "2", "--job", "ship"])
            .stdout
            .contains("step 2/4: canary 50%")),
        "the canary never reached 50%: {}",
        sb.run(&["logs", "2"]).stdout
    );
    kill_hard(child.id());
    let _ = finish(child, "switchyard deploy (killed)");

    let resumed = sb.run(&["resume", "--json"]);
    let logs = sb.run(&["logs", "2", "--job", "ship"]).expect_code(0);
    assert_eq!(resumed.code, Some(0), "{}\n{}", resumed.stderr, logs.stdout);
    resumed.stderr_has("resuming run 2");
    assert!(
        logs.stdout.contains("going on from step 2 of 4"),
        "{}",
        logs.stdout
    );
    let status = sb
        .run(&["deploy", "status", "web", "--env", "staging", "--json"])
        .expect_code(0)
        .json();
    let d = &status[0];
    assert_eq!(d["revision"], 2, "the same deployment went on: {status:#}");
    assert_eq!(d["status"], "succeeded", "{status:#}");
    assert_eq!(d["version"], "2.0", "{status:#}");
    let weights: Vec<&str> = d["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["status"] == "weight")
        .map(|s| s["message"].as_str().unwrap())
        .collect();
    // Step 1 once; step 2 before the kill and again when resumed (the step
    // is redone, never skipped); then step 3 and the promotion.
    let count = |step: &str| weights.iter().filter(|w| w.starts_with(step)).count();
    assert_eq!(
        (
            count("step 1/4"),
            count("step 2/4"),
            count("step 3/4"),
            count("step 4/4")
        ),
        (1, 2, 1, 1),
        "{status:#}"
    );
    let history = sb
        .run(&["deploy", "history", "web", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(history.as_array().unwrap().len(), 2, "{history:#}");
}

fn kill_hard(pid: u32) {
    let ok = std::process::Command::new("kill")
        .args(["-s", "KILL", &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill -9 {pid} failed");
}

/// A canary whose error rate (measured by a real Prometheus scraping an
/// exporter whose value the test sets per version) fails its analysis is
/// aborted: exit 1, `rolled_back`, every measurement in the history.
#[test]
fn a_canary_failing_its_analysis_is_aborted_and_every_measurement_is_kept() {
    let prom = Prometheus::start();
    prom.exporter
        .set("switchyard_test_error_ratio{version=\"1.0\"}", 0.0);
    prom.exporter
        .set("switchyard_test_error_ratio{version=\"2.0\"}", 0.2);
    prom.wait_for_data("switchyard_test_error_ratio{version=\"2.0\"}", 30);
    let sb = Sandbox::new();
    let ns = unique("sy-cli-analysis");
    let more = "      strategy:\n        canary: {steps: [50]}\n      analysis:\n        interval: 1s\n        count: 3\n        failure_limit: 1\n        queries:\n          - name: error-ratio\n            query: max(switchyard_test_error_ratio{version=\"{{version}}\"})\n            success: < 0.05\n";
    let dir = project_with(&sb, &ns, false, more);
    sb.run(&["sources", "add", "prom", "--url", &prom.url, "--default"])
        .expect_code(0);
    let d = dir.to_str().unwrap();
    sb.run(&[
        "deploy",
        d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
    ])
    .expect_code(0);
    let ran = sb
        .run(&[
            "deploy",
            d,
            "--env",
            "staging",
            "--image",
            "registry.local/acme/web:2.0",
            "--json",
        ])
        .expect_code(1);
    let json = ran.json();
    assert_eq!(json["status"], "rolled_back", "{json:#}");
    let reason = json["targets"][0]["reason"].as_str().unwrap_or_default();
    assert!(reason.contains("analysis failed at step 1: error-ratio = 0.2 (< 0.05): failed (2 of 2 measurements failed; 1 allowed)"), "{reason}");
    assert!(reason.contains("100% of the traffic is back on 1.0"), "{reason}");
    let steps = json["steps"].as_array().unwrap();
    let measured: Vec<&str> = steps
        .iter()
        .filter(|s| s["status"] == "measurement")
        .map(|s| s["message"].as_str().unwrap())
        .collect();
    assert_eq!(measured.len(), 2, "{measured:#?}");
    assert!(
        measured[0].starts_with("measurement 1/3 of step 1: error-ratio = 0.2"),
        "{measured:#?}"
    );
    // Benchmark: from the failing measurement to stable back at 100%.
    let at = |s: &serde_json::Value| s["at"].as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    let failed_at = steps
        .iter()
        .rfind(|s| s["status"] == "measurement")
        .map(at)
        .unwrap();
    let back_at = steps.iter().rfind(|s| s["status"] == "weight").map(at).unwrap();
    let ended_at = steps
        .iter()
        .rfind(|s| s["status"] == "rolled_back")
        .map(at)
        .unwrap();
    println!(
        "bench: analysis failed -> traffic 100% stable in {} ms, -> stable ready and recorded in {} ms",
        back_at.duration_since(failed_at).as_millis(),
        ended_at.duration_since(failed_at).as_millis()
    );
}

/// With Prometheus stopped the analysis cannot say: the deployment waits
/// for a person (never promotes by itself), and `deploy promote` lets it go on.
#[test]
fn an_inconclusive_analysis_waits_until_a_person_promotes() {
    let mut prom = Prometheus::start();
    let sb = Sandbox::new();
    let ns = unique("sy-cli-inconclusive");
    let more = "      strategy:\n        canary: {steps: [50]}\n      analysis:\n        interval: 1s\n        count: 1\n        queries:\n          - {name: errors, query: 'vector(0)', success: '< 1'}\n";
    let dir = project_with(&sb, &ns, false, more);
    sb.run(&["sources", "add", "prom", "--url", &prom.url, "--default"])
        .expect_code(0);
    let d = dir.to_str().unwrap().to_string();
    sb.run(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
    ])
    .expect_code(0);
    prom.kill();
    let child = sb.spawn(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:2.0",
        "--json",
    ]);
    let waiting = || {
        let shown = sb.run(&["show", "2", "--json"]);
        serde_json::from_str::<serde_json::Value>(&shown.stdout)
            .is_ok_and(|run| run["jobs"][0]["status"] == "waiting")
    };
    assert!(
        wait_for(60, waiting),
        "the deployment never waited: {}",
        sb.run(&["logs", "2"]).stdout
    );
    let run = sb.run(&["show", "2", "--json"]).expect_code(0).json();
    let reason = run["jobs"][0]["reason"].as_str().unwrap_or_default().to_string();
    assert!(
        reason.contains("inconclusive") && reason.contains("switchyard deploy promote 2"),
        "{reason}"
    );
    // Still waiting a while later: missing data never promotes by itself.
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert!(waiting());
    sb.run(&["deploy", "promote", "2", "--comment", "checked the dashboards"])
        .expect_code(0)
        .stdout_has("deployment #2: promoted");
    let ran = finish(child, "switchyard deploy (promoted)").expect_code(0);
    assert_eq!(ran.json()["status"], "succeeded");
    let steps = ran.json()["steps"].clone();
    assert!(
        steps.as_array().unwrap().iter().any(|s| s["status"] == "promoted"
            && s["message"]
                .as_str()
                .unwrap_or_default()
                .contains("checked the dashboards")),
        "{steps:#}"
    );
    sb.run(&["deploy", "promote", "2"])
        .expect_code(2)
        .stderr_has("has already ended");
}

/// A deployment that needs approval shows its diff, waits for a person,
/// applies nothing when rejected, and rolls out once approved; who decided
/// is kept.
#[test]
fn an_approval_gate_rejected_applies_nothing_and_approved_ships() {
    let sb = Sandbox::new();
    let ns = unique("sy-cli-approval");
    let dir = project_with(&sb, &ns, false, "      approval: true\n");
    let d = dir.to_str().unwrap().to_string();
    let waiting = |run: &str| {
        let shown = sb.run(&["show", run, "--json"]);
        serde_json::from_str::<serde_json::Value>(&shown.stdout)
            .is_ok_and(|r| r["jobs"][0]["status"] == "waiting")
    };

    let child = sb.spawn(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
        "--json",
    ]);
    assert!(
        wait_for(60, || waiting("1")),
        "it never asked: {}",
        sb.run(&["logs", "1"]).stdout
    );
    let shown = sb.run(&["show", "1", "--json"]).json();
    let question = shown["jobs"][0]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        question.contains("Ship web 1.0 to staging (stage)?")
            && question.contains("switchyard deploy approve 1"),
        "{question}"
    );
    let logs = sb.run(&["logs", "1", "--job", "ship"]).expect_code(0).stdout;
    assert!(
        logs.contains("[stage] + Deployment/web (new)"),
        "the diff comes before the question: {logs}"
    );
    sb.run(&["deploy", "reject", "1", "--comment", "not on a Friday"])
        .expect_code(0);
    let ran = finish(child, "switchyard deploy (rejected)").expect_code(1);
    let json = ran.json();
    assert_eq!(json["status"], "cancelled", "{json:#}");
    assert!(
        json["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("rejected by"),
        "{json:#}"
    );
    assert!(
        json["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not on a Friday"),
        "{json:#}"
    );
    assert_eq!(json["targets"][0]["status"], "skipped");
    assert!(
        !json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "progressing" && s["target"] == "stage"),
        "nothing was applied: {json:#}"
    );

    let child = sb.spawn(&[
        "deploy",
        &d,
        "--env",
        "staging",
        "--image",
        "registry.local/acme/web:1.0",
        "--json",
    ]);
    assert!(wait_for(60, || waiting("2")), "it never asked again");
    sb.run(&["deploy", "approve", "2"]).expect_code(0);
    let ran = finish(child, "switchyard deploy (approved)").expect_code(0);
    let json = ran.json();
    assert_eq!(json["status"], "succeeded", "{json:#}");
    assert!(
        json["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["status"] == "approved"),
        "{json:#}"
    );
    sb.run(&["deploy", "approve", "2"])
        .expect_code(2)
        .stderr_has("has already ended");
}
