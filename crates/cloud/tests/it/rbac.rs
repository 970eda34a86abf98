//! The minimal Role of docs/kubernetes-runner.md is enough to run a job with
//! every feature (secrets, artifacts, reports, orphan cleanup).

use std::time::Duration;

use k8s_openapi::api::authentication::v1::TokenRequest;
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::Api;
use kube::api::PostParams;
use kube::config::{AuthInfo, Kubeconfig, NamedAuthInfo};
use switchyard_cloud::kubernetes::rbac::{DEPLOY_RULES, RULES};
use switchyard_engine::RunOptions;
use switchyard_engine::status::RunStatus;

use crate::support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_account_with_the_minimal_role_runs_jobs() {
    let t = TestEnv::new("rbac").await;
    let pp = PostParams::default();
    let ns = t.namespace.clone();
    let sas: Api<ServiceAccount> = Api::namespaced(t.client.clone(), &ns);
    let sa: ServiceAccount =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "runner"}})).unwrap();
    sas.create(&pp, &sa).await.unwrap();
    let rules: Vec<serde_json::Value> = RULES
        .iter()
        .map(|r| serde_json::json!({"apiGroups": [r.group], "resources": r.resources, "verbs": r.verbs}))
        .collect();
    let role: Role = serde_json::from_value(
        serde_json::json!({"metadata": {"name": "switchyard-runner"}, "rules": rules}),
    )
    .unwrap();
    Api::<Role>::namespaced(t.client.clone(), &ns)
        .create(&pp, &role)
        .await
        .unwrap();
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": "switchyard-runner"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "switchyard-runner"},
        "subjects": [{"kind": "ServiceAccount", "name": "runner", "namespace": ns}]
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(t.client.clone(), &ns)
        .create(&pp, &binding)
        .await
        .unwrap();
    let request: TokenRequest =
        serde_json::from_value(serde_json::json!({"spec": {"audiences": [], "expirationSeconds": 3600}}))
            .unwrap();
    let token = sas
        .create_token_request("runner", &pp, &request)
        .await
        .unwrap()
        .status
        .unwrap()
        .token;

    // The test kubeconfig, with the ServiceAccount's token as its only credential.
    let mut kc = Kubeconfig::read_from(&t.kubeconfig).unwrap();
    let mut runner: NamedAuthInfo = kc.auth_infos[0].clone();
    runner.name = "runner".into();
    runner.auth_info = Some(AuthInfo {
        token: Some(token.into()),
        ..Default::default()
    });
    kc.auth_infos = vec![runner];
    for c in &mut kc.contexts {
        if let Some(ctx) = c.context.as_mut() {
            ctx.user = Some("runner".into());
        }
    }
    let path = t.kubeconfig.with_file_name("kubeconfig-runner");
    std::fs::write(&path, serde_json::to_vec(&kc).unwrap()).unwrap();

    t.pipeline(
        r#"
jobs:
  all:
    runner: kubernetes:it
    image: busybox:1.37
    secrets: [TOKEN]
    artifacts: [out/*]
    reports:
      junit: out/junit.xml
    steps:
      - mkdir -p out && echo "$TOKEN" | wc -c > out/len.txt
      - echo '<testsuite name="s"><testcase name="t"/></testsuite>' > out/junit.xml
"#,
    );
    let mut settings = t.settings();
    settings.kubeconfig = Some(path);
    let (engine, _) = t.engine(settings, &[("TOKEN", "abc")]).await;
    let run = t
        .run(&engine, RunOptions::default(), Duration::from_secs(90))
        .await;
    let job = job(&run, "all");
    assert_eq!(
        run.summary.status,
        RunStatus::Succeeded,
        "{run:#?}\n{:#?}",
        log_texts(&engine, job).await
    );
    assert_eq!(job.artifacts.len(), 2, "out/len.txt and out/junit.xml: {job:#?}");
    assert_eq!(job.tests.passed, 1);
    assert!(job.warnings.is_empty(), "{:?}", job.warnings);
    engine.collect_orphans().await.unwrap();
    t.assert_no_pods_left().await;
}

/// A kubeconfig with only `token` as its credential, for the test cluster.
fn kubeconfig_with_token(t: &TestEnv, name: &str, token: &str) -> std::path::PathBuf {
    let mut kc = Kubeconfig::read_from(&t.kubeconfig).unwrap();
    let mut user: NamedAuthInfo = kc.auth_infos[0].clone();
    user.name = name.into();
    user.auth_info = Some(AuthInfo {
        token: Some(token.to_string().into()),
        ..Default::default()
    });
    kc.auth_infos = vec![user];
    for c in &mut kc.contexts {
        if let Some(ctx) = c.context.as_mut() {
            ctx.user = Some(name.into());
        }
    }
    let path = t.kubeconfig.with_file_name(format!("kubeconfig-{name}"));
    std::fs::write(&path, serde_json::to_vec(&kc).unwrap()).unwrap();
    path
}

const RETRIED_JOB: &str = r#"
jobs:
  j:
    runner: kubernetes:it
    image: busybox:1.37
    retry: 2
    steps: [echo never]
"#;

/// Regression: a 401 was taken for a passing problem and retried for a
/// minute per API call, and then again for each `retry:` attempt. Credentials
/// the cluster refuses fail the job at once, with the reason, and the job's
/// `retry:` does not try again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_fails_the_job_at_once() {
    let t = TestEnv::new("unauth").await;
    t.pipeline(RETRIED_JOB);
    let mut settings = t.settings();
    settings.kubeconfig = Some(kubeconfig_with_token(
        &t,
        "nobody",
        "not-a-token-the-cluster-knows",
    ));
    let (engine, _) = t.engine(settings, &[]).await;
    let started = std::time::Instant::now();
    let run = t
        .run(&engine, RunOptions::default(), Duration::from_secs(90))
        .await;
    let took = started.elapsed();
    let j = job(&run, "j");
    assert_eq!(j.status, switchyard_engine::status::JobStatus::Failed, "{run:#?}");
    assert_eq!(j.attempts, 1, "a refused credential is not retried: {j:#?}");
    let reason = j.reason.clone().unwrap_or_default();
    assert!(
        reason.contains("Unauthorized") || reason.contains("401"),
        "{reason}"
    );
    assert!(
        took < Duration::from_secs(20),
        "took {took:?}: the 401 was retried"
    );
}

/// A ServiceAccount without the Role: the 403 says what is not allowed, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forbidden_request_fails_the_job_at_once_with_what_is_missing() {
    let t = TestEnv::new("forbid").await;
    let pp = PostParams::default();
    let sas: Api<ServiceAccount> = Api::namespaced(t.client.clone(), &t.namespace);
    let sa: ServiceAccount =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "norole"}})).unwrap();
    sas.create(&pp, &sa).await.unwrap();
    let request: TokenRequest =
        serde_json::from_value(serde_json::json!({"spec": {"audiences": [], "expirationSeconds": 3600}}))
            .unwrap();
    let token = sas
        .create_token_request("norole", &pp, &request)
        .await
        .unwrap()
        .status
        .unwrap()
        .token;
    t.pipeline(RETRIED_JOB);
    let mut settings = t.settings();
    settings.kubeconfig = Some(kubeconfig_with_token(&t, "norole", &token));
    let (engine, _) = t.engine(settings, &[]).await;
    let started = std::time::Instant::now();
    let run = t
        .run(&engine, RunOptions::default(), Duration::from_secs(90))
        .await;
    let took = started.elapsed();
    let j = job(&run, "j");
    assert_eq!(j.attempts, 1, "a 403 is not retried: {j:#?}");
    let reason = j.reason.clone().unwrap_or_default();
    assert!(reason.contains("forbidden"), "{reason}");
    assert!(reason.contains("pods"), "says which resource: {reason}");
    assert!(
        took < Duration::from_secs(20),
        "took {took:?}: the 403 was retried"
    );
}

/// A ServiceAccount with its own Role (these rules), and a kubeconfig whose
/// only credential is its token.
async fn identity_with(t: &TestEnv, name: &str, rules: Vec<serde_json::Value>) -> std::path::PathBuf {
    let pp = PostParams::default();
    let ns = t.namespace.clone();
    let sas: Api<ServiceAccount> = Api::namespaced(t.client.clone(), &ns);
    let sa: ServiceAccount = serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
    sas.create(&pp, &sa).await.unwrap();
    let role: Role =
        serde_json::from_value(serde_json::json!({"metadata": {"name": name}, "rules": rules})).unwrap();
    Api::<Role>::namespaced(t.client.clone(), &ns)
        .create(&pp, &role)
        .await
        .unwrap();
    let binding: RoleBinding = serde_json::from_value(serde_json::json!({
        "metadata": {"name": name},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
        "subjects": [{"kind": "ServiceAccount", "name": name, "namespace": ns}]
    }))
    .unwrap();
    Api::<RoleBinding>::namespaced(t.client.clone(), &ns)
        .create(&pp, &binding)
        .await
        .unwrap();
    let request: TokenRequest =
        serde_json::from_value(serde_json::json!({"spec": {"audiences": [], "expirationSeconds": 3600}}))
            .unwrap();
    let token = sas
        .create_token_request(name, &pp, &request)
        .await
        .unwrap()
        .status
        .unwrap()
        .token;
    kubeconfig_with_token(t, name, &token)
}

/// `targets check` says, per target: the server's version, until when the
/// credential holds, and which verbs the runner needs are allowed; a Role
/// missing one verb names it, and an unreachable server says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn targets_check_names_what_each_identity_may_do() {
    use switchyard_cloud::targets::{self, NewTarget};
    let t = TestEnv::new("check").await;
    let rules = |rules: &[switchyard_cloud::kubernetes::rbac::Rule]| -> Vec<serde_json::Value> {
        rules
            .iter()
            .map(|r| serde_json::json!({"apiGroups": [r.group], "resources": r.resources, "verbs": r.verbs}))
            .collect()
    };
    let runner = rules(RULES);
    let mut all = runner.clone();
    all.extend(rules(DEPLOY_RULES));
    let mut partial = all.clone();
    partial[0]["verbs"] = serde_json::json!(["create", "get", "list", "watch", "delete"]);
    let full_kc = identity_with(&t, "full", all).await;
    let partial_kc = identity_with(&t, "partial", partial).await;
    let runner_kc = identity_with(&t, "runner", runner).await;
    let nowhere_kc = t.kubeconfig_with_server("https://127.0.0.1:9");
    let context = kube::config::Kubeconfig::read_from(&t.kubeconfig)
        .unwrap()
        .current_context
        .unwrap();

    let (engine, _) = t.engine(t.settings(), &[]).await;
    for (name, kc) in [
        ("full", &full_kc),
        ("partial", &partial_kc),
        ("runner", &runner_kc),
        ("nowhere", &nowhere_kc),
    ] {
        targets::add(
            &engine,
            NewTarget {
                name: name.into(),
                context: context.clone(),
                kubeconfig: Some(kc.clone()),
                namespace: Some(t.namespace.clone()),
                environment: Some("test".into()),
            },
        )
        .await
        .unwrap();
    }
    let e = targets::add(
        &engine,
        NewTarget {
            name: "bad".into(),
            context: "no-such-context".into(),
            kubeconfig: Some(full_kc.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("no context `no-such-context`"), "{e}");
    assert_eq!(targets::list(&engine).len(), 4);

    let checks = targets::check(&engine, &[]).await.unwrap();
    let by = |n: &str| checks.iter().find(|c| c.name == n).unwrap().clone();
    let full = by("full");
    assert!(full.ok, "{full:#?}");
    assert!(
        full.server_version.as_deref().is_some_and(|v| v.starts_with('v')),
        "{full:#?}"
    );
    assert!(
        full.expires_at.is_some(),
        "a ServiceAccount token says when it expires: {full:#?}"
    );
    assert!(
        full.allowed.values().all(|a| *a) && full.allowed.contains_key("create pods/exec"),
        "{full:#?}"
    );
    let partial = by("partial");
    assert!(!partial.ok);
    assert_eq!(
        partial.allowed.get("deletecollection pods"),
        Some(&false),
        "{partial:#?}"
    );
    assert!(
        partial
            .problems
            .iter()
            .any(|p| p.contains("deletecollection pods") && !p.contains("delete pods,")),
        "{partial:#?}"
    );
    // The runner's Role alone: jobs run, deployments would not.
    let runner = by("runner");
    assert!(!runner.ok, "{runner:#?}");
    assert_eq!(runner.allowed.get("create pods"), Some(&true));
    assert_eq!(runner.allowed.get("patch deployments.apps"), Some(&false));
    assert_eq!(runner.problems.len(), 1, "{runner:#?}");
    assert!(
        runner.problems[0].starts_with("deployments cannot work in namespace")
            && runner.problems[0].contains("patch deployments.apps")
            && runner.problems[0].contains("docs/deployments.md"),
        "{runner:#?}"
    );
    let nowhere = by("nowhere");
    assert!(!nowhere.ok && nowhere.server_version.is_none());
    assert!(
        nowhere.problems.iter().any(|p| p.contains("unreachable")),
        "{nowhere:#?}"
    );

    assert!(targets::remove(&engine, "nowhere").await.unwrap());
    assert!(!targets::remove(&engine, "nowhere").await.unwrap());
    let config = std::fs::read_to_string(t.home.join("config.toml")).unwrap();
    assert!(
        config.contains("[targets.full]") && !config.contains("nowhere"),
        "{config}"
    );
}
