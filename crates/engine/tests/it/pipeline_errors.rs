//! Every kind of pipeline problem is reported with file, line, column and a
//! reason; good files plan into the expected DAG.

use std::path::Path;

use proptest::prelude::*;
use switchyard_engine::pipeline::plan::Plan;
use switchyard_engine::pipeline::{self, Pipeline};

fn errors(yaml: &str) -> Vec<String> {
    match pipeline::load(Path::new("switchyard.yaml"), yaml) {
        Ok(p) => panic!("expected errors, got {p:#?}"),
        Err(e) => e.diagnostics.iter().map(|d| d.to_string()).collect(),
    }
}

fn ok(yaml: &str) -> Pipeline {
    pipeline::load(Path::new("switchyard.yaml"), yaml).unwrap_or_else(|e| panic!("unexpected errors:\n{e}"))
}

#[test]
fn yaml_syntax_errors_point_at_the_problem() {
    let e = errors("jobs:\n  build:\n    steps: [echo hi\n  test: {}\n");
    assert_eq!(e.len(), 1);
    assert!(e[0].starts_with("switchyard.yaml:4:"), "{e:?}");
    assert!(e[0].contains("YAML syntax error"), "{e:?}");

    let e = errors("jobs:\n  build:\n\tsteps: []\n");
    assert!(e[0].starts_with("switchyard.yaml:3:"), "{e:?}");
}

#[test]
fn unknown_keys_suggest_the_intended_key() {
    let e = errors("jobs:\n  build:\n    nedds: [x]\n    steps:\n      - runn: make\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:3:5: unknown key `nedds` in job `build`; did you mean `needs`?",
            "switchyard.yaml:5:9: step 1 of job `build` has no `run:`; give it a shell command",
            "switchyard.yaml:5:9: unknown key `runn` in step 1 of job `build`; did you mean `run`?",
        ]
    );
    let e = errors("nmae: x\njobs:\n  a: {steps: [x]}\n");
    assert_eq!(
        e,
        vec!["switchyard.yaml:1:1: unknown key `nmae` in the pipeline; did you mean `name`?"]
    );
    let e = errors("jobs:\n  a:\n    steps: [x]\n    colour: red\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:4:5: unknown key `colour` in job `a`; expected one of: needs, runner, image, env, working_dir, timeout, retry, if, secrets, artifacts, reports, matrix, steps, approval, deploy, resources, node_selector, tolerations, service_account, image_pull_secrets"
        ]
    );
}

#[test]
fn cycles_are_named() {
    let e = errors(
        "jobs:\n  a: {needs: c, steps: [x]}\n  b: {needs: a, steps: [x]}\n  c: {needs: b, steps: [x]}\n",
    );
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(
        e[0],
        "switchyard.yaml:2:14: jobs form a cycle: a -> b -> c -> a; remove one of these `needs`"
    );
    let e = errors("jobs:\n  a: {needs: a, steps: [x]}\n");
    assert_eq!(
        e,
        vec!["switchyard.yaml:2:14: job `a` needs itself; remove it from `needs`"]
    );
}

#[test]
fn needs_naming_no_job() {
    let e = errors("jobs:\n  build: {steps: [x]}\n  test:\n    needs: [biuld, deploy]\n    steps: [x]\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:4:13: job `test` needs `biuld`, but no job has that name; did you mean `build`?",
            "switchyard.yaml:4:20: job `test` needs `deploy`, but no job has that name",
        ]
    );
}

#[test]
fn duplicate_names_are_reported_at_the_second_one() {
    let e = errors("jobs:\n  build: {steps: [x]}\n  build: {steps: [y]}\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:3:3: duplicate job name `build` (first defined on line 2); job names must be unique"
        ]
    );
    let e = errors("jobs:\n  a:\n    steps: [x]\n    steps: [y]\n");
    assert_eq!(
        e,
        vec!["switchyard.yaml:4:5: duplicate key `steps` in job `a` (first set on line 3); keep one"]
    );
    let e = errors("jobs:\n  t:\n    matrix: {v: [1, 1]}\n    steps: [x]\n");
    assert_eq!(
        e,
        vec!["switchyard.yaml:3:21: value `1` appears twice in matrix variable `v`"]
    );
}

#[test]
fn bad_durations_say_how_to_write_one() {
    let e = errors("jobs:\n  a:\n    timeout: 90\n    steps: [x]\n  b:\n    timeout: soon\n    steps: [x]\n");
    assert_eq!(e.len(), 2, "{e:?}");
    assert_eq!(
        e[0],
        "switchyard.yaml:3:14: bad `timeout` of job `a`: `90` has no unit; write it like `90s`, `90m` or `90h`"
    );
    assert!(
        e[1].starts_with("switchyard.yaml:6:14: bad `timeout` of job `b`: `soon` is not a duration"),
        "{e:?}"
    );
    let e = errors("jobs:\n  a:\n    steps:\n      - run: x\n        timeout: 0s\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:5:18: bad `timeout` of step 1 of job `a`: `0s` is zero; a limit must be longer than that"
        ]
    );
}

#[test]
fn empty_steps_and_empty_jobs() {
    assert_eq!(
        errors("jobs:\n  a:\n    steps: []\n"),
        vec!["switchyard.yaml:3:12: `steps` of job `a` is empty; add at least one step with `run:`"]
    );
    assert_eq!(
        errors("jobs:\n  a:\n    steps:\n"),
        vec!["switchyard.yaml:3:10: `steps` of job `a` is empty; add at least one step with `run:`"]
    );
    assert_eq!(
        errors("jobs:\n  a:\n    needs: []\n"),
        vec!["switchyard.yaml:2:3: job `a` has no `steps:`; add at least one step with `run:`"]
    );
    assert_eq!(
        errors("jobs:\n  a:\n"),
        vec!["switchyard.yaml:2:3: job `a` is empty; give it `steps:`"]
    );
    assert_eq!(
        errors("jobs:\n  a:\n    steps:\n      - run: ''\n"),
        vec!["switchyard.yaml:4:14: `run` of step 1 of job `a` is empty"]
    );
    assert_eq!(
        errors(""),
        vec![
            "switchyard.yaml:1:1: the pipeline file is empty; it needs at least `jobs:` with one job (see docs/pipeline-format.md)"
        ]
    );
    assert_eq!(
        errors("jobs: {}\n"),
        vec!["switchyard.yaml:1:7: `jobs` is empty; add at least one job"]
    );
}

#[test]
fn wrong_types_and_values() {
    let e = errors(
        "jobs:\n  a:\n    retry: many\n    if: allways\n    runner: docker\n    env: [A]\n    working_dir: /abs\n    artifacts: ['../up']\n    secrets: [bad-name]\n    steps: [x]\n",
    );
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:3:12: `retry` of job `a` must be a whole number of retries (0 to 20), found `many`",
            "switchyard.yaml:4:9: unknown condition `if: allways`; did you mean `always`?",
            "switchyard.yaml:5:13: unknown runner `docker`; use `local` or `kubernetes:<target>`",
            "switchyard.yaml:6:10: `env` of job `a` must be a mapping of NAME: value, found a list",
            "switchyard.yaml:7:18: `working_dir` of job `a` `/abs` must be relative to the workspace, not absolute",
            "switchyard.yaml:8:17: pattern `../up` in `artifacts` of job `a` must stay inside the workspace (no `..`)",
            "switchyard.yaml:9:15: secret name `bad-name` must be a valid environment variable name (letters, digits, `_`)",
        ]
    );
}

#[test]
fn all_problems_are_reported_at_once() {
    let e = errors(
        "jobs:\n  a: {needs: zz, steps: []}\n  b: {timeout: x, steps: [y]}\n  c: {if: sometimes, steps: [z]}\n",
    );
    assert_eq!(e.len(), 4, "{e:?}");
}

/// The pod fields of a Kubernetes job reach the plan as written.
#[test]
fn kubernetes_pod_fields_are_read() {
    let p = ok(r#"
jobs:
  gpu:
    runner: kubernetes:lab
    image: nvidia/cuda:12.6.0-base-ubuntu24.04
    resources:
      requests: {cpu: 500m, memory: 1Gi}
      limits: {nvidia.com/gpu: 1, memory: 2.5Gi}
    node_selector: {kubernetes.io/arch: amd64, pool: ""}
    tolerations:
      - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
      - {key: dedicated, value: ci, effect: NoExecute, toleration_seconds: 60}
    service_account: ci-runner
    image_pull_secrets: regcred
    steps: [nvidia-smi]
"#);
    let plan = Plan::new(&p);
    let pod = &plan.jobs[0].pod;
    assert_eq!(pod.requests.get("cpu").map(String::as_str), Some("500m"));
    assert_eq!(pod.limits.get("nvidia.com/gpu").map(String::as_str), Some("1"));
    assert_eq!(pod.limits.get("memory").map(String::as_str), Some("2.5Gi"));
    assert_eq!(pod.node_selector.len(), 2);
    assert_eq!(pod.tolerations.len(), 2);
    assert_eq!(pod.tolerations[0].operator.as_deref(), Some("Exists"));
    assert_eq!(pod.tolerations[1].toleration_seconds, Some(60));
    assert_eq!(pod.service_account.as_deref(), Some("ci-runner"));
    assert_eq!(pod.image_pull_secrets, ["regcred"]);
}

/// Mistakes in the pod fields are caught when the file is loaded, at their
/// line and column, not by the cluster in the middle of a run.
#[test]
fn kubernetes_pod_field_mistakes_point_at_the_value() {
    let e = errors(
        r#"jobs:
  a:
    runner: kubernetes:lab
    resources:
      requests: {cpu: lots, memroy: 1Gi}
      limit: {}
    node_selector: {"bad key!": x}
    tolerations:
      - {operator: Equal}
      - {key: k, operator: Maybe, effect: Never}
    service_account: CI_Runner
    steps: [x]
  b:
    node_selector: {pool: ci}
    steps: [x]
"#,
    );
    assert_eq!(
        e,
        [
            "switchyard.yaml:5:23: `lots` in `requests` of `resources` of job `a` is not a Kubernetes quantity; write it like `500m`, `2`, `512Mi` or `1Gi`",
            "switchyard.yaml:6:7: unknown key `limit` in `resources` of job `a`; did you mean `limits`?",
            "switchyard.yaml:7:21: `bad key!` in `node_selector` of job `a` is not a valid label name (like `kubernetes.io/arch` or `pool`)",
            "switchyard.yaml:9:9: toleration 1 of `tolerations` of job `a` has no `key`; give one, or `operator: Exists` to tolerate every taint",
            "switchyard.yaml:10:28: `operator: Maybe` in toleration 2 of `tolerations` of job `a` must be `Equal` or `Exists`",
            "switchyard.yaml:10:43: `effect: Never` in toleration 2 of `tolerations` of job `a` must be `NoSchedule`, `PreferNoSchedule` or `NoExecute`",
            "switchyard.yaml:11:22: `service_account: CI_Runner` in job `a` is not a valid ServiceAccount name; use lowercase letters, digits, `-` and `.`",
            "switchyard.yaml:14:5: `node_selector` of job `b` only applies to Kubernetes jobs; add `runner: kubernetes:<target>` or remove it",
        ]
    );
}

#[test]
fn kubernetes_runner_is_accepted_by_the_parser() {
    let p =
        ok("jobs:\n  remote:\n    runner: kubernetes:staging\n    image: alpine:3\n    steps: [echo hi]\n");
    assert_eq!(
        p.jobs[0].runner,
        pipeline::RunnerRef::Kubernetes {
            target: "staging".into()
        }
    );
}

#[test]
fn anchors_and_merge_keys_work() {
    let p = ok("x-defaults: &d\n  timeout: 5m\n  retry: 2\njobs:\n  a:\n    <<: *d\n    steps: [make]\n");
    assert_eq!(p.jobs[0].retry, 2);
    assert_eq!(p.jobs[0].timeout, Some(std::time::Duration::from_secs(300)));
}

#[test]
fn the_plan_fans_out_matrices_and_orders_by_stage() {
    let p = ok(r#"
name: shop
jobs:
  lint: {steps: [make lint]}
  build: {steps: [make]}
  test:
    needs: build
    matrix: {os: [linux, mac], db: [pg, sqlite]}
    steps:
      - name: test on ${{ matrix.os }}
        run: make test DB=${{ matrix.db }}
  package: {needs: [test, lint], steps: [make dist]}
  notify: {needs: package, if: failure, steps: [echo failed]}
  remote: {runner: "kubernetes:prod", needs: build, steps: [deploy]}
"#);
    let plan = Plan::new(&p);
    // Structural facts the snapshot must agree with: 4 test instances, each
    // needing build, and package needing all of them plus lint.
    let tests: Vec<&str> = plan
        .jobs
        .iter()
        .filter(|j| j.base == "test")
        .map(|j| j.name.as_str())
        .collect();
    assert_eq!(
        tests,
        vec![
            "test (linux, pg)",
            "test (linux, sqlite)",
            "test (mac, pg)",
            "test (mac, sqlite)"
        ]
    );
    let package = plan.jobs.iter().find(|j| j.name == "package").unwrap();
    assert_eq!(package.needs.len(), 5);
    let t = plan.jobs.iter().find(|j| j.name == "test (mac, sqlite)").unwrap();
    assert_eq!(t.steps[0].name, "test on mac");
    assert_eq!(t.steps[0].run, "make test DB=sqlite");
    assert_eq!(t.env.get("MATRIX_OS").map(String::as_str), Some("mac"));
    insta::assert_snapshot!(plan.render(), @r"
    9 jobs, 9 steps, 4 stages
      stage 1: lint, build
      stage 2: test (linux, pg), test (linux, sqlite), test (mac, pg), test (mac, sqlite), remote [kubernetes:prod]
      stage 3: package
      stage 4: notify [if failure]
    ");
}

/// The demo project and every complete pipeline shown in the docs must be
/// valid, so the docs never show a file that would be rejected.
#[test]
fn example_pipelines_in_the_repository_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let demo = root.join("examples/demo/switchyard.yaml");
    pipeline::load_file(&demo).unwrap_or_else(|e| panic!("examples/demo: {e}"));
    for (doc, at_least) in [("docs/pipeline-format.md", 5), ("docs/deployments.md", 2)] {
        let docs = std::fs::read_to_string(root.join(doc)).unwrap();
        let mut checked = 0;
        for block in docs.split("```yaml\n").skip(1) {
            let yaml = block.split("```").next().unwrap();
            if yaml.contains("jobs:") {
                pipeline::load(Path::new(doc), yaml)
                    .unwrap_or_else(|e| panic!("example in {doc} is invalid:\n{yaml}\n{e}"));
                checked += 1;
            }
        }
        assert!(
            checked >= at_least,
            "expected the examples of {doc}, found {checked}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// Any text at all gives a pipeline or positioned diagnostics, never a panic.
    #[test]
    fn arbitrary_text_never_panics(text in "(?s).{0,400}") {
        check_never_panics(&text);
    }

    /// Mutations of a valid file (the interesting neighbourhood) never panic either.
    #[test]
    fn mutated_pipelines_never_panic(
        cuts in proptest::collection::vec((0usize..600, "[\\[\\]{}:&*!|>\\-#'\" \n\ta-z0-9]{0,3}"), 1..6)
    ) {
        let mut text = String::from(SAMPLE);
        for (at, insert) in cuts {
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) { at -= 1; }
            text.insert_str(at, &insert);
        }
        check_never_panics(&text);
    }
}

const SAMPLE: &str = "name: x\nenv: {A: 1}\njobs:\n  a: &a\n    steps: [echo a]\n    timeout: 1m\n  b:\n    <<: *a\n    needs: [a]\n    matrix: {v: [1, 2]}\n    reports: {junit: 'r/*.xml'}\n    steps:\n      - name: s\n        run: |\n          echo ${{ matrix.v }}\n";

fn check_never_panics(text: &str) {
    match pipeline::load(Path::new("f.yaml"), text) {
        Ok(p) => {
            let _ = Plan::new(&p).render();
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty());
            for d in &e.diagnostics {
                assert!(d.pos.line >= 1 && d.pos.column >= 1, "{d}");
                assert!(!d.message.is_empty());
            }
        }
    }
}

#[test]
fn approval_jobs_are_gates_with_a_message_and_nothing_to_run() {
    let p = ok(
        "jobs:\n  test: {steps: [make test]}\n  gate:\n    needs: test\n    timeout: 2h\n    approval: {message: 'Ship to production?'}\n  ship: {needs: gate, steps: [make ship]}\n",
    );
    let plan = Plan::new(&p);
    let gate = plan.jobs.iter().find(|j| j.name == "gate").unwrap();
    assert_eq!(
        gate.kind,
        pipeline::plan::JobKind::Approval {
            message: "Ship to production?".into()
        }
    );
    assert!(gate.steps.is_empty());
    assert_eq!(gate.timeout, Some(std::time::Duration::from_secs(7200)));

    let e = errors("jobs:\n  gate:\n    approval: {message: ok?}\n    steps: [make]\n    retry: 2\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:4:5: `steps` cannot be used in job `gate`, an approval job (it waits for a person and runs nothing); move the work to a job that `needs: gate`",
            "switchyard.yaml:5:5: `retry` cannot be used in job `gate`, an approval job (it waits for a person and runs nothing); move the work to a job that `needs: gate`",
        ]
    );
    let e = errors("jobs:\n  gate:\n    approval: {mesage: ok?}\n");
    assert_eq!(
        e,
        vec![
            "switchyard.yaml:3:5: `approval` of job `gate` needs a `message:` saying what is asked, e.g. `message: Ship to production?`",
            "switchyard.yaml:3:16: unknown key `mesage` in `approval` of job `gate`; did you mean `message`?",
        ]
    );
    let e = errors("jobs:\n  gate:\n    approval: yes\n");
    assert!(
        e[0].starts_with("switchyard.yaml:3:15: `approval` of job `gate` must be a mapping"),
        "{e:?}"
    );
}

#[test]
fn deploy_jobs_plan_waves_of_targets_and_nothing_to_run() {
    let p = ok(
        "jobs:\n  test: {steps: [make test]}\n  ship:\n    needs: test\n    timeout: 30m\n    deploy:\n      app: web\n      environment: production\n      manifests: k8s/prod\n      images: [ghcr.io/acme/web, 'envoyproxy/envoy:v1.30']\n      targets: [[eks-prod], [aks-prod, gke-prod], dr]\n",
    );
    let plan = Plan::new(&p);
    let ship = plan.jobs.iter().find(|j| j.name == "ship").unwrap();
    let pipeline::plan::JobKind::Deploy(d) = &ship.kind else {
        panic!("not a deploy job: {ship:#?}")
    };
    assert_eq!(
        d.waves,
        vec![
            vec!["eks-prod".to_string()],
            vec!["aks-prod".into(), "gke-prod".into()],
            vec!["dr".into()]
        ]
    );
    assert_eq!(
        (d.app.as_str(), d.environment.as_str(), d.manifests.as_str()),
        ("web", "production", "k8s/prod")
    );
    assert_eq!(d.strategy, pipeline::Strategy::Rolling);
    assert!(ship.steps.is_empty());
    // One name is one wave of one target.
    let p = ok("jobs:\n  ship: {deploy: {app: web, environment: dev, manifests: k8s, targets: kind-dev}}\n");
    assert_eq!(
        p.jobs[0].deploy.as_ref().unwrap().waves,
        vec![vec!["kind-dev".to_string()]]
    );
}

#[test]
fn deploy_job_mistakes_point_at_their_line() {
    let e = errors(
        "jobs:\n  ship:\n    steps: [make]\n    deploy:\n      app: Web App\n      environment: prod\n      manifests: ../k8s\n      images: ['ghcr.io/acme/web:']\n      targets: [[a, b], [b], []]\n      strategy: blue-gren\n      replicas: 2\n",
    );
    let text = e.join("\n");
    for expected in [
        "switchyard.yaml:3:5: `steps` cannot be used in job `ship`, a deploy job",
        "switchyard.yaml:5:12: `deploy.app` of job `ship` `Web App` must be a Kubernetes label value",
        "switchyard.yaml:7:18: `deploy.manifests` of job `ship` `../k8s`",
        "switchyard.yaml:8:16: `ghcr.io/acme/web:` in `deploy.images` of job `ship` ends with `:` but has no tag",
        "switchyard.yaml:9:26: target `b` is named twice",
        "switchyard.yaml:9:30: a wave of `deploy.targets` of job `ship` is empty",
        "switchyard.yaml:10:17: unknown `deploy.strategy` of job `ship` `blue-gren`; did you mean `blue-green`?",
        "switchyard.yaml:11:7: unknown key `replicas` in `deploy` of job `ship`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let e = errors("jobs:\n  ship:\n    deploy: {app: web}\n");
    assert_eq!(
        e,
        [
            "switchyard.yaml:3:5: `deploy` of job `ship` needs `environment`, `manifests` (a folder of YAML), `targets`"
        ]
    );
}

#[test]
fn deploy_images_from_outputs_must_name_a_needed_job() {
    let p = ok(
        "jobs:\n  build: {steps: [make]}\n  ship:\n    needs: build\n    deploy: {app: web, environment: dev, manifests: k8s, targets: a, images: ['${{ needs.build.outputs.image }}', 'ghcr.io/acme/api:${{needs.build.outputs.tag}}']}\n",
    );
    assert_eq!(p.jobs[1].deploy.as_ref().unwrap().images.len(), 2);
    let e = errors(
        "jobs:\n  build: {steps: [make]}\n  ship:\n    deploy:\n      app: web\n      environment: dev\n      manifests: k8s\n      targets: a\n      images:\n        - ${{ needs.build.outputs.image }}\n        - ${{ matrix.os }}\n        - 'a b:${{ needs.build.outputs.tag }}'\n",
    );
    assert_eq!(
        e,
        [
            "switchyard.yaml:10:11: `${{ needs.build.outputs.image }}` in `deploy.images` of job `ship` uses an output of `build`, which this job does not need; add `needs: build`",
            "switchyard.yaml:11:11: `${{ matrix.os }}` is not an output reference; write `${{ needs.<job>.outputs.<name> }}` (in `deploy.images` of job `ship`)",
            "switchyard.yaml:12:11: `a b:${{ needs.build.outputs.tag }}` in `deploy.images` of job `ship` is not an image reference; give one like `ghcr.io/acme/web:1.4`",
            "switchyard.yaml:12:11: `a b:${{ needs.build.outputs.tag }}` in `deploy.images` of job `ship` uses an output of `build`, which this job does not need; add `needs: build`",
        ]
    );
}

#[test]
fn canary_strategies_read_their_steps_and_traffic() {
    let p = ok(
        "jobs:\n  ship:\n    deploy:\n      app: web\n      environment: prod\n      manifests: k8s\n      targets: a\n      strategy:\n        canary: {steps: [10, 25%, 50], pause: 5m, traffic: istio, header: {name: x-canary, value: 'yes'}}\n",
    );
    let pipeline::Strategy::Canary(c) = &p.jobs[0].deploy.as_ref().unwrap().strategy else {
        panic!("not a canary")
    };
    assert_eq!(c.steps, [10, 25, 50, 100], "promotion is the last step");
    assert_eq!(c.pause, Some(std::time::Duration::from_secs(300)));
    assert_eq!(c.traffic, pipeline::Traffic::Istio);
    assert_eq!(c.header, Some(("x-canary".into(), "yes".into())));
    let p = ok(
        "jobs:\n  ship: {deploy: {app: web, environment: prod, manifests: k8s, targets: a, strategy: canary}}\n",
    );
    let pipeline::Strategy::Canary(c) = &p.jobs[0].deploy.as_ref().unwrap().strategy else {
        panic!("not a canary")
    };
    assert_eq!(
        (c.steps.as_slice(), c.traffic),
        ([25, 50, 100].as_slice(), pipeline::Traffic::Replicas)
    );

    let e = errors(
        "jobs:\n  ship:\n    deploy:\n      app: web\n      environment: prod\n      manifests: k8s\n      targets: a\n      strategy:\n        canary: {steps: [50, 20, 120], traffic: linkerd, header: {name: x}}\n",
    );
    let text = e.join("\n");
    for expected in [
        "9:30: `canary.steps` of job `ship` must rise step by step; 20 follows 50",
        "9:34: `canary.steps` of job `ship`: `120` is not a share of the traffic from 1 to 100",
        "9:49: unknown `canary.traffic` of job `ship` `linkerd`",
        "`canary.header` of job `ship` needs `name` and `value`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let e = errors(
        "jobs:\n  ship:\n    deploy:\n      app: web\n      environment: prod\n      manifests: k8s\n      targets: a\n      strategy:\n        canary: {header: {name: x, value: y}}\n",
    );
    assert!(
        e[0].contains("`header` routes a test audience with Istio only; add `traffic: istio`"),
        "{e:?}"
    );
}

#[test]
fn analyses_read_their_checks_and_refuse_what_cannot_be_measured() {
    let p = ok(
        "jobs:\n  ship:\n    deploy:\n      app: web\n      environment: prod\n      manifests: k8s\n      targets: a\n      strategy: canary\n      analysis:\n        interval: 10s\n        count: 4\n        queries:\n          - {name: errors, query: 'sum(rate(x{version=\"{{version}}\"}[1m]))', success: '< 0.01'}\n          - {query: up, success: '>= 1'}\n",
    );
    let a = p.jobs[0].deploy.as_ref().unwrap().analysis.clone().unwrap();
    assert_eq!(
        (a.interval, a.count, a.failure_limit),
        (std::time::Duration::from_secs(10), 4, 0)
    );
    assert_eq!(a.checks[0].success.to_string(), "< 0.01");
    assert!(a.checks[0].success.holds(0.001) && !a.checks[0].success.holds(0.01));
    assert_eq!(a.checks[1].name, "check 2");
    assert!(a.checks[1].success.holds(1.0));

    let e = errors(
        "jobs:\n  ship:\n    deploy:\n      app: web\n      environment: prod\n      manifests: k8s\n      targets: a\n      analysis:\n        count: 0\n        queries:\n          - {name: errors, query: up, success: 'about 1'}\n          - {name: latency}\n",
    );
    let text = e.join("\n");
    for expected in [
        "8:7: `analysis` of job `ship` runs at a canary's steps or before a blue-green switch",
        "9:16: `analysis.count` of job `ship` must be a whole number (1 to 100), found `0`",
        "`about 1` is not a condition; write it like `< 0.01`",
        "check 2 of `analysis.queries` of job `ship` needs `query` and `success`",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}
