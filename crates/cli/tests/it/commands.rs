//! The commands and their output formats.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::Sandbox;

const PIPELINE: &str = r#"
name: shop
jobs:
  build:
    steps:
      - name: compile
        run: mkdir -p dist && echo binary > dist/app && echo compiled
    artifacts: dist/*
  test:
    needs: build
    steps:
      - name: unit
        run: |
          cat > report.xml <<'XML'
          <testsuite name="unit"><testcase classname="shop" name="adds"/><testcase classname="shop" name="rounds"><failure message="expected 2, got 3">trace</failure></testcase><testcase classname="shop" name="later"><skipped/></testcase></testsuite>
          XML
          echo "1 test failed" >&2
          exit 1
    reports:
      junit: report.xml
  deploy:
    needs: test
    steps: [echo deploying]
"#;

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

fn has_keys(v: &Value, expected: &[&str]) {
    let k = keys(v);
    for e in expected {
        assert!(k.contains(*e), "missing key `{e}` in {v:#}");
    }
}

#[test]
fn run_json_follows_the_contract() {
    let sb = Sandbox::new();
    let dir = sb.project("shop", PIPELINE);
    let ran = sb.run(&["run", dir.to_str().unwrap(), "--json"]).expect_code(1);
    let run = ran.json();
    has_keys(
        &run,
        &[
            "id",
            "project",
            "status",
            "started_at",
            "finished_at",
            "duration_ms",
            "jobs",
        ],
    );
    assert_eq!(run["project"], "shop");
    assert_eq!(run["status"], "failed");
    assert!(run["duration_ms"].as_i64().unwrap() >= 0);
    let jobs = run["jobs"].as_array().unwrap();
    assert_eq!(jobs.len(), 3);
    for job in jobs {
        has_keys(
            job,
            &[
                "name",
                "status",
                "duration_ms",
                "attempts",
                "steps",
                "tests",
                "artifacts",
            ],
        );
        for step in job["steps"].as_array().unwrap() {
            has_keys(step, &["name", "status", "exit_code", "duration_ms"]);
        }
        has_keys(&job["tests"], &["passed", "failed", "skipped"]);
    }
    let build = &jobs[0];
    assert_eq!(build["name"], "build");
    assert_eq!(build["status"], "succeeded");
    assert_eq!(build["attempts"], 1);
    assert_eq!(build["steps"][0]["exit_code"], 0);
    let artifact = &build["artifacts"][0];
    has_keys(artifact, &["path", "size", "sha256"]);
    assert_eq!(artifact["path"], "dist/app");
    assert_eq!(artifact["size"], 7);
    assert_eq!(artifact["sha256"].as_str().unwrap().len(), 64);
    let test = &jobs[1];
    assert_eq!(test["status"], "failed");
    assert_eq!(test["steps"][0]["exit_code"], 1);
    assert_eq!(
        test["tests"],
        serde_json::json!({"passed": 1, "failed": 1, "skipped": 1})
    );
    assert_eq!(jobs[2]["status"], "skipped");
    // Progress went to stderr; stdout held only the JSON.
    assert!(ran.stderr.contains("✗ test failed"), "{}", ran.stderr);

    // `show --json` prints the same record.
    let id = run["id"].as_i64().unwrap().to_string();
    let shown = sb.run(&["show", &id, "--json"]).expect_code(0).json();
    assert_eq!(shown, run);
}

#[test]
fn a_failed_run_exits_1_and_tells_where_to_look() {
    let sb = Sandbox::new();
    let dir = sb.project("shop", PIPELINE);
    let ran = sb.run(&["run", dir.to_str().unwrap()]).expect_code(1);
    ran.stdout_has("[test]   ✗ unit exited with code 1")
        .stdout_has("- deploy skipped: `test` failed")
        .stdout_has("run 1 failed")
        .stdout_has("tests: 1 passed, 1 failed, 1 skipped")
        .stdout_has("switchyard show 1");
    // The failed job's last lines are shown.
    ran.stderr_has("── last lines of test ──")
        .stderr_has("1 test failed");
}

#[test]
fn a_successful_run_exits_0() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "ok",
        "jobs:\n  a: {steps: ['echo fine']}\n  b: {needs: a, steps: ['true']}\n",
    );
    sb.run(&["run", dir.to_str().unwrap()])
        .expect_code(0)
        .stdout_has("run 1 succeeded");
}

#[test]
fn import_projects_runs_show_and_logs() {
    let sb = Sandbox::new();
    let dir = sb.project("shop", PIPELINE);
    let other = sb.project(
        "site",
        "jobs:\n  a: {steps: ['echo one; sleep 0.2; echo two >&2']}\n",
    );
    sb.run(&["import", dir.to_str().unwrap()])
        .expect_code(0)
        .stdout_has("imported shop from");
    sb.run(&["projects"]).expect_code(0).stdout_has("shop");
    // A folder that is not imported yet is imported by `run`, named after the folder.
    sb.run(&["run", other.to_str().unwrap()]).expect_code(0);
    let projects = sb.run(&["projects", "--json"]).expect_code(0).json();
    let names: Vec<&str> = projects
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["shop", "site"]);
    // Runs can be started by project name too.
    sb.run(&["run", "shop"]).expect_code(1);
    sb.run(&["run", "shop"]).expect_code(1);

    let runs = sb.run(&["runs", "--json"]).expect_code(0).json();
    let ids: Vec<i64> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![3, 2, 1], "newest first");
    let runs = sb
        .run(&["runs", "shop", "--limit", "1", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(runs.as_array().unwrap().len(), 1);
    assert_eq!(runs[0]["id"], 3);
    sb.run(&["runs"])
        .expect_code(0)
        .stdout_has("failed")
        .stdout_has("site");

    sb.run(&["show", "3"])
        .expect_code(0)
        .stdout_has("run 3 of shop: failed")
        .stdout_has("✗ shop::rounds: expected 2, got 3")
        .stdout_has("artifact dist/app (7 bytes");

    let logs = sb.run(&["logs", "1"]).expect_code(0);
    assert_eq!(logs.stdout, "one\ntwo\n");
    let logs = sb.run(&["logs", "3", "--job", "build"]).expect_code(0);
    assert!(logs.stdout.starts_with("compiled\n"), "{}", logs.stdout);
    assert!(logs.stdout.contains("» kept 1 artifact"), "{}", logs.stdout);
    let logs = sb.run(&["logs", "3"]).expect_code(0);
    assert!(logs.stdout.contains("[build] compiled"), "{}", logs.stdout);
    assert!(logs.stdout.contains("[test] 1 test failed"), "{}", logs.stdout);
    let logs = sb.run(&["logs", "1", "--timestamps"]).expect_code(0);
    assert!(
        logs.stdout
            .lines()
            .all(|l| l.starts_with("20") && l.contains('T')),
        "{}",
        logs.stdout
    );
}

#[test]
fn input_errors_exit_2_with_one_clear_line() {
    let sb = Sandbox::new();
    let dir = sb.project("shop", PIPELINE);
    let d = dir.to_str().unwrap();
    let e = sb.run(&["show", "999"]).expect_code(2);
    assert_eq!(
        e.stderr,
        "error: no run with id 999; `switchyard runs` lists them\n"
    );
    let e = sb.run(&["run", d, "--job", "tset"]).expect_code(2);
    assert_eq!(
        e.stderr,
        "error: no job named `tset` in the pipeline; did you mean `test`?\n"
    );
    let e = sb.run(&["run", "nosuchproject"]).expect_code(2);
    assert!(
        e.stderr.starts_with("error: no project named `nosuchproject`"),
        "{}",
        e.stderr
    );
    let e = sb.run(&["runs", "shpo"]).expect_code(2);
    assert_eq!(e.stderr, "error: no project named `shpo`; did you mean `shop`?\n");
    let empty = sb.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let e = sb.run(&["import", empty.to_str().unwrap()]).expect_code(2);
    assert!(e.stderr.contains("no switchyard.yaml in"), "{}", e.stderr);
    sb.run(&["cancel", "42"])
        .expect_code(2)
        .stderr_has("no run with id 42");
    sb.run(&["frobnicate"]).expect_code(2);
    // Another folder cannot take a name that is in use.
    let twin = sb.project("twin", "name: shop\njobs:\n  a: {steps: ['true']}\n");
    let e = sb.run(&["import", twin.to_str().unwrap()]).expect_code(2);
    assert!(
        e.stderr
            .contains("a project named `shop` is already imported from"),
        "{}",
        e.stderr
    );
    sb.run(&["import", twin.to_str().unwrap(), "--name", "shop-twin"])
        .expect_code(0);
}

#[test]
fn an_invalid_pipeline_stops_the_run_with_positions() {
    let sb = Sandbox::new();
    let dir = sb.project("bad", "jobs:\n  a:\n    steps: [x]\n    needs: b\n");
    let e = sb.run(&["run", dir.to_str().unwrap()]).expect_code(2);
    assert!(
        e.stderr
            .contains("switchyard.yaml:4:12: job `a` needs `b`, but no job has that name"),
        "{}",
        e.stderr
    );
}

#[test]
fn secrets_from_the_environment_are_masked_and_not_inherited() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "sec",
        "jobs:\n  deploy:\n    secrets: [API_TOKEN]\n    steps:\n      - run: echo \"using $API_TOKEN\"\n      - run: env | grep -c SWITCHYARD_SECRET_ || true\n",
    );
    let mut cmd = sb.command(&["run", dir.to_str().unwrap()]);
    cmd.env("SWITCHYARD_SECRET_API_TOKEN", "tok-9f8e7d6c");
    cmd.env("SWITCHYARD_SECRET_OTHER", "unrelated-value");
    sb.run_with(cmd, &["run"]).expect_code(0);
    let logs = sb.run(&["logs", "1"]).expect_code(0);
    assert_eq!(logs.stdout, "using ***\n0\n");
    let db = std::fs::read(sb.home.join("switchyard.db")).unwrap();
    assert!(!db.windows(12).any(|w| w == b"tok-9f8e7d6c"));

    // Without the variable (nor a keyring item) the run does not start and
    // says where it looked and how to set it.
    let e = sb.run(&["run", dir.to_str().unwrap(), "--json"]).expect_code(2);
    e.stderr_has("secret `API_TOKEN` is not set")
        .stderr_has("SWITCHYARD_SECRET_API_TOKEN in the environment")
        .stderr_has("switchyard secrets set API_TOKEN --project sec");
    let runs = sb.run(&["runs", "--json"]).expect_code(0).json();
    assert_eq!(
        runs.as_array().unwrap().len(),
        1,
        "a run was recorded for the refused start"
    );
}

#[test]
fn the_schema_is_json_schema_and_matches_the_committed_copy() {
    let sb = Sandbox::new();
    let ran = sb.run(&["schema"]).expect_code(0);
    let schema = ran.json();
    assert_eq!(schema["title"], "Switchyard pipeline");
    assert!(schema["$schema"].as_str().unwrap().contains("json-schema.org"));
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/switchyard.schema.json"
    ))
    .expect("docs/switchyard.schema.json should exist; regenerate it with `switchyard schema`");
    assert_eq!(
        serde_json::from_str::<Value>(&committed).unwrap(),
        schema,
        "docs/switchyard.schema.json is stale; regenerate it with `switchyard schema > docs/switchyard.schema.json`"
    );
}

/// `resume` with nothing left going says so and succeeds; a Kubernetes job
/// whose context does not exist fails with a reason that names it (the CLI
/// serves `kubernetes:<context>` runners from the kubeconfig).
#[test]
fn resume_with_nothing_to_resume_and_an_unknown_kubernetes_context() {
    let sb = Sandbox::new();
    sb.run(&["resume"]).expect_code(0).stderr_has("no run to resume");
    let dir = sb.project(
        "remote",
        "jobs:\n  k:\n    runner: kubernetes:no-such-context\n    image: busybox\n    steps: [echo hi]\n  lint: {steps: [echo lint]}\n",
    );
    let empty = sb.path().join("empty-kubeconfig");
    std::fs::write(
        &empty,
        "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n",
    )
    .unwrap();
    let args = ["run", dir.to_str().unwrap()];
    let mut cmd = sb.command(&args);
    cmd.env("KUBECONFIG", &empty);
    let ran = sb.run_with(cmd, &args).expect_code(1);
    ran.stdout_has("no-such-context");

    // `--on` sends the Kubernetes jobs to another target: the failure now
    // names that one, and the job's runner in the history says where it ran.
    let args = ["run", dir.to_str().unwrap(), "--on", "other-cluster", "--json"];
    let mut cmd = sb.command(&args);
    cmd.env("KUBECONFIG", &empty);
    let ran = sb.run_with(cmd, &args).expect_code(1);
    let run = ran.json();
    assert_eq!(run["jobs"][0]["runner"], "kubernetes:other-cluster", "{run}");
    let text = run.to_string();
    assert!(!text.contains("no-such-context"), "{text}");
    // A re-run repeats where it ran.
    let id = run["id"].to_string();
    let args = ["rerun", &id, "--json"];
    let mut cmd = sb.command(&args);
    cmd.env("KUBECONFIG", &empty);
    let again = sb.run_with(cmd, &args).expect_code(1).json();
    assert_eq!(again["rerun_of"], run["id"]);
    assert_eq!(again["jobs"][0]["runner"], "kubernetes:other-cluster", "{again}");
    // An EKS context's name (an ARN) is a name `--on` takes, as `runner:` does.
    let arn = "arn:aws:eks:eu-west-1:123456789012:cluster/prod";
    let args = ["run", dir.to_str().unwrap(), "--on", arn, "--json"];
    let mut cmd = sb.command(&args);
    cmd.env("KUBECONFIG", &empty);
    let on_arn = sb.run_with(cmd, &args).expect_code(1).json();
    assert_eq!(
        on_arn["jobs"][0]["runner"],
        format!("kubernetes:{arn}"),
        "{on_arn}"
    );
    // Re-running only its local job is not refused for the target it
    // inherited (regression: "local jobs stay local" refused it).
    let local_again = sb
        .run(&["rerun", &id, "--job", "lint", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(local_again["jobs"][0]["runner"], "local", "{local_again}");
    // A run without Kubernetes jobs cannot be moved, and says why.
    let local = sb.project("local-only", "jobs:\n  a: {steps: [echo hi]}\n");
    sb.run(&["run", local.to_str().unwrap(), "--on", "other-cluster"])
        .expect_code(2)
        .stderr_has("local jobs stay local");
    sb.run(&["run", local.to_str().unwrap(), "--on", "two words"])
        .expect_code(2)
        .stderr_has("is not a target or kubeconfig context name");
}

/// The packages install completions and manual pages generated by these two
/// commands; a subcommand missing from them would be missing for users.
#[test]
fn completions_and_manual_pages_cover_every_command() {
    let sb = Sandbox::new();
    let commands = [
        "import",
        "run",
        "runs",
        "show",
        "logs",
        "cancel",
        "approve",
        "validate",
        "completions",
    ];
    for shell in ["bash", "zsh", "fish"] {
        let ran = sb.run(&["completions", shell]).expect_code(0);
        for c in commands {
            ran.stdout_has(c);
        }
    }
    sb.run(&["completions", "tcsh"]).expect_code(2).stderr_has("tcsh");
    let dir = sb.path().join("man");
    std::fs::create_dir_all(&dir).unwrap();
    sb.run(&["man", dir.to_str().unwrap()]).expect_code(0);
    for c in commands {
        let page = std::fs::read_to_string(dir.join(format!("switchyard-{c}.1"))).unwrap();
        assert!(
            page.contains(".TH"),
            "switchyard-{c}.1 is not a manual page:\n{page}"
        );
    }
    let main = std::fs::read_to_string(dir.join("switchyard.1")).unwrap();
    assert!(
        main.contains("switchyard\\-run(1)"),
        "switchyard.1 does not list run:\n{main}"
    );
    sb.run(&["--version"])
        .expect_code(0)
        .stdout_has(&format!("switchyard {}", env!("CARGO_PKG_VERSION")));
}

/// "Run again" of a run of one chosen job ran every job and ignored where it
/// ran; a re-run repeats what was run, and says what started each run.
#[test]
fn rerun_repeats_the_chosen_jobs_or_only_the_failed_ones() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "again",
        "jobs:\n  build: {steps: ['echo built']}\n  test: {needs: build, steps: ['test -f ok']}\n  lint: {steps: ['true']}\n  docs: {steps: ['true']}\n",
    );
    let d = dir.to_str().unwrap();
    // One chosen job (and what it needs), in place; it fails.
    sb.run(&["run", d, "--job", "test", "--in-place"]).expect_code(1);
    let same = sb.run(&["rerun", "1", "--json"]).expect_code(1).json();
    let names = |run: &Value| -> BTreeSet<String> {
        run["jobs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        names(&same),
        BTreeSet::from(["build".to_string(), "test".to_string()])
    );
    assert_eq!(same["chosen_jobs"], serde_json::json!(["test"]));
    assert_eq!(same["in_place"], true);
    assert_eq!(same["rerun_of"], 1);
    assert_eq!(same["trigger"], "cli");
    // Mend the project (in place, so the file is seen) and re-run the failures only.
    std::fs::write(dir.join("ok"), "").unwrap();
    sb.run(&["run", d]).expect_code(0);
    std::fs::remove_file(dir.join("ok")).unwrap();
    let all = sb.run(&["run", d, "--in-place", "--json"]).expect_code(1).json();
    assert_eq!(names(&all).len(), 4);
    std::fs::write(dir.join("ok"), "").unwrap();
    let id = all["id"].as_i64().unwrap().to_string();
    let failed = sb
        .run(&["rerun", &id, "--failed", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(
        names(&failed),
        BTreeSet::from(["build".to_string(), "test".to_string()])
    );
    // One job of it; a job it does not have is refused.
    let one = sb
        .run(&["rerun", &id, "--job", "lint", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(names(&one), BTreeSet::from(["lint".to_string()]));
    sb.run(&["rerun", &id, "--job", "nope"])
        .expect_code(2)
        .stderr_has("no job `nope`");
    let ok = failed["id"].as_i64().unwrap().to_string();
    sb.run(&["rerun", &ok, "--failed"])
        .expect_code(2)
        .stderr_has("every job of it succeeded");
    sb.run(&["show", "2"])
        .expect_code(0)
        .stdout_has("started from cli; jobs chosen: test; in the project folder; re-run of run 1");
}

/// `switchyard show 1 | head -1` used to end with a panic and a backtrace.
#[test]
fn a_closed_stdout_ends_quietly() {
    let sb = Sandbox::new();
    let dir = sb.project("pipe", "jobs:\n  a: {steps: ['true']}\n  b: {steps: ['true']}\n");
    sb.run(&["run", dir.to_str().unwrap()]).expect_code(0);
    let mut child = sb
        .command(&["show", "1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("backtrace"),
        "{stderr}"
    );
}

#[test]
fn artifacts_are_listed_and_copied_out_checked() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "arts",
        "jobs:\n  build:\n    steps: ['mkdir -p dist && printf app > dist/app.bin']\n    artifacts: ['dist/*']\n  docs:\n    steps: ['mkdir -p site && printf html > site/index.html']\n    artifacts: ['site/**']\n",
    );
    sb.run(&["run", dir.to_str().unwrap()]).expect_code(0);
    let list = sb.run(&["artifacts", "1", "--json"]).expect_code(0).json();
    let paths: BTreeSet<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}:{}", a["job"].as_str().unwrap(), a["path"].as_str().unwrap()))
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "build:dist/app.bin".to_string(),
            "docs:site/index.html".to_string()
        ])
    );

    // Every job's, each in its job's folder.
    let all = sb.path().join("all");
    sb.run(&["artifacts", "1", "--out", all.to_str().unwrap()])
        .expect_code(0)
        .stdout_has("SHA-256 checked");
    assert_eq!(
        std::fs::read_to_string(all.join("build/dist/app.bin")).unwrap(),
        "app"
    );
    assert_eq!(
        std::fs::read_to_string(all.join("docs/site/index.html")).unwrap(),
        "html"
    );
    // One job's, directly; again is fine (same content); other content is kept unless --force.
    let one = sb.path().join("one");
    sb.run(&["artifacts", "1", "--job", "build", "--out", one.to_str().unwrap()])
        .expect_code(0);
    assert_eq!(std::fs::read_to_string(one.join("dist/app.bin")).unwrap(), "app");
    sb.run(&["artifacts", "1", "--job", "build", "--out", one.to_str().unwrap()])
        .expect_code(0);
    std::fs::write(one.join("dist/app.bin"), "mine").unwrap();
    sb.run(&["artifacts", "1", "--job", "build", "--out", one.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("exists with other content");
    assert_eq!(std::fs::read_to_string(one.join("dist/app.bin")).unwrap(), "mine");
    sb.run(&[
        "artifacts",
        "1",
        "--job",
        "build",
        "--out",
        one.to_str().unwrap(),
        "--force",
    ])
    .expect_code(0);
    assert_eq!(std::fs::read_to_string(one.join("dist/app.bin")).unwrap(), "app");
    sb.run(&["artifacts", "1", "--job", "nope", "--out", one.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("no job `nope`");
    sb.run(&["artifacts", "9", "--json"]).expect_code(2);
}

#[test]
fn a_removed_project_keeps_or_deletes_its_history() {
    let sb = Sandbox::new();
    let keep = sb.project(
        "keep",
        "jobs:\n  a: {steps: ['mkdir -p out && printf k > out/k'], artifacts: ['out/*']}\n",
    );
    let gone = sb.project(
        "gone",
        "jobs:\n  a: {steps: ['mkdir -p out && printf g > out/g'], artifacts: ['out/*']}\n",
    );
    sb.run(&["run", keep.to_str().unwrap()]).expect_code(0);
    sb.run(&["run", gone.to_str().unwrap()]).expect_code(0);
    let store_files = || -> usize {
        fn count(d: &std::path::Path) -> usize {
            std::fs::read_dir(d).map_or(0, |it| {
                it.flatten()
                    .map(|e| if e.path().is_dir() { count(&e.path()) } else { 1 })
                    .sum()
            })
        }
        count(&sb.home.join("artifacts"))
    };
    assert_eq!(store_files(), 2);

    // Kept: gone from the list, its run still opens; importing brings it back.
    sb.run(&["remove", "keep"])
        .expect_code(0)
        .stdout_has("1 runs stay in the history");
    let projects = sb.run(&["projects", "--json"]).expect_code(0).json();
    assert!(!projects.to_string().contains("\"keep\""), "{projects}");
    sb.run(&["show", "1"]).expect_code(0);
    sb.run(&["import", keep.to_str().unwrap()]).expect_code(0);
    assert_eq!(
        sb.run(&["runs", "keep", "--json"])
            .expect_code(0)
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Deleted: its runs and the artifact files only it kept go.
    let removed = sb
        .run(&["remove", "gone", "--delete-history", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(removed["runs"], 1);
    assert_eq!(removed["artifact_files_deleted"], 1);
    sb.run(&["show", "2"]).expect_code(2);
    assert_eq!(store_files(), 1);
    sb.run(&["remove", "nope"])
        .expect_code(2)
        .stderr_has("no project named `nope`");
}

#[test]
fn targets_are_added_listed_and_removed_in_config_toml() {
    let sb = Sandbox::new();
    let kc = sb.path().join("kubeconfig");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: prod-ctx\n  context: {cluster: c, user: u}\ncurrent-context: prod-ctx\n",
    )
    .unwrap();
    let k = kc.to_str().unwrap();
    sb.run(&[
        "targets",
        "add",
        "prod",
        "--context",
        "prod-ctx",
        "--kubeconfig",
        k,
        "--namespace",
        "ci",
        "--env",
        "production",
    ])
    .expect_code(0);
    let list = sb.run(&["targets", "list", "--json"]).expect_code(0).json();
    assert_eq!(list[0]["name"], "prod");
    assert_eq!(list[0]["context"], "prod-ctx");
    assert_eq!(list[0]["namespace"], "ci");
    assert_eq!(list[0]["environment"], "production");
    let config = std::fs::read_to_string(sb.home.join("config.toml")).unwrap();
    assert!(
        config.contains("[targets.prod]") && config.contains("namespace = \"ci\""),
        "{config}"
    );

    sb.run(&[
        "targets",
        "add",
        "prod",
        "--context",
        "prod-ctx",
        "--kubeconfig",
        k,
    ])
    .expect_code(2)
    .stderr_has("exists");
    sb.run(&["targets", "add", "other", "--context", "nope", "--kubeconfig", k])
        .expect_code(2)
        .stderr_has("no context `nope`; its contexts: prod-ctx");
    sb.run(&[
        "targets",
        "add",
        "bad name",
        "--context",
        "prod-ctx",
        "--kubeconfig",
        k,
    ])
    .expect_code(2);
    sb.run(&[
        "targets",
        "add",
        "x",
        "--context",
        "prod-ctx",
        "--kubeconfig",
        k,
        "--namespace",
        "Bad_NS",
    ])
    .expect_code(2)
    .stderr_has("not a namespace name");
    sb.run(&["targets", "add", "e", "--eks", "c", "--region", "eu-west-1"])
        .expect_code(2)
        .stderr_has("use --context");
    // An unreachable server: the check fails with the reason.
    let check = sb.run(&["targets", "check", "--json"]).expect_code(1).json();
    assert_eq!(check[0]["ok"], false);
    assert!(
        check[0]["problems"][0].as_str().unwrap().contains("unreachable"),
        "{check}"
    );
    sb.run(&["targets", "check", "nope"])
        .expect_code(2)
        .stderr_has("no target named `nope`");
    sb.run(&["targets", "rm", "prod"]).expect_code(0);
    sb.run(&["targets", "rm", "prod"]).expect_code(1);
    assert_eq!(
        sb.run(&["targets", "list", "--json"]).expect_code(0).json(),
        serde_json::json!([])
    );
}
