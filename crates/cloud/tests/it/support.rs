//! Per-test namespaces, data dirs and projects, and readers of the results.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Pod, Secret};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig, NamedContext};
use kube::{Api, Client};
use switchyard_cloud::kubernetes::{Provider, RetryPolicy, Settings};
use switchyard_engine::logs::{self, LogLine};
use switchyard_engine::store::{JobRecord, RunDetails};
use switchyard_engine::{Engine, EngineConfig, Home, RunOptions};
use tempfile::TempDir;

/// The context name tests use in their pipelines: `runner: kubernetes:it`.
pub const CONTEXT: &str = "it";

/// The kubeconfig of the test cluster, or a failure that says how to get one.
pub fn kubeconfig() -> PathBuf {
    match std::env::var_os("SWITCHYARD_TEST_KUBECONFIG") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => panic!(
            "SWITCHYARD_TEST_KUBECONFIG is not set. These tests run against a real Kubernetes API server: \
             start the local one with `export SWITCHYARD_TEST_KUBECONFIG=$(tests/cluster/up)` \
             (stop it with `tests/cluster/down`), or point it at any cluster's kubeconfig \
             (see docs/kubernetes-runner.md)."
        ),
    }
}

/// One test's world: a namespace in the cluster, a kubeconfig whose context
/// `it` uses it, a data dir and a project folder.
pub struct TestEnv {
    _dir: TempDir,
    pub home: PathBuf,
    pub project: PathBuf,
    pub kubeconfig: PathBuf,
    pub namespace: String,
    pub client: Client,
    pub instance: String,
    /// The base context (the cluster `it` points at).
    base_context: String,
    /// Clients of further clusters whose namespace of this name is deleted
    /// on drop too.
    others: Vec<Client>,
}

impl TestEnv {
    pub async fn new(name: &str) -> TestEnv {
        // SWITCHYARD_LOG=switchyard_cloud=debug shows what the runner does.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_env("SWITCHYARD_LOG"))
            .with_test_writer()
            .try_init();
        let source = kubeconfig();
        let mut kc = Kubeconfig::read_from(&source)
            .unwrap_or_else(|e| panic!("cannot read SWITCHYARD_TEST_KUBECONFIG={}: {e}", source.display()));
        let base = std::env::var("SWITCHYARD_TEST_CONTEXT")
            .ok()
            .or_else(|| kc.current_context.clone())
            .expect("the kubeconfig has no current-context; set SWITCHYARD_TEST_CONTEXT");
        let mut ctx: NamedContext = kc
            .contexts
            .iter()
            .find(|c| c.name == base)
            .unwrap_or_else(|| panic!("no context `{base}` in {}", source.display()))
            .clone();
        let suffix = format!(
            "{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
                % 0xffffff
        );
        let namespace = format!("sy-it-{name}-{suffix}").replace('_', "-");
        ctx.name = CONTEXT.into();
        if let Some(c) = ctx.context.as_mut() {
            c.namespace = Some(namespace.clone());
        }
        kc.contexts.retain(|c| c.name != CONTEXT);
        kc.contexts.push(ctx);
        kc.current_context = Some(CONTEXT.into());
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        // JSON is YAML: kube reads it back as a kubeconfig.
        std::fs::write(&kubeconfig, serde_json::to_vec(&kc).unwrap()).unwrap();
        let config = kube::Config::from_custom_kubeconfig(
            kc,
            &KubeConfigOptions {
                context: Some(CONTEXT.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let client = Client::try_from(config).unwrap();
        let nss: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "metadata": {"name": namespace, "labels": {"switchyard.dev/test": "true"}}
        }))
        .unwrap();
        nss.create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("cannot create namespace {namespace} (is the cluster up?): {e}"));
        // The namespace's default ServiceAccount must exist before pods can be created.
        let sas: Api<k8s_openapi::api::core::v1::ServiceAccount> =
            Api::namespaced(client.clone(), &namespace);
        for _ in 0..100 {
            if sas.get_opt("default").await.ok().flatten().is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        TestEnv {
            _dir: dir,
            home,
            project,
            kubeconfig,
            namespace,
            client,
            instance: format!("t{suffix}"),
            base_context: base,
            others: Vec::new(),
        }
    }

    /// A second cluster as the context `it-b` of this test's kubeconfig, in
    /// a namespace of the same name (created here). The cluster is
    /// `SWITCHYARD_TEST_SECOND_CONTEXT`, else the kubeconfig's first context
    /// on another cluster (`tests/cluster/up a b` starts two; the README's
    /// test command does).
    pub async fn second_cluster(&mut self) -> Client {
        let mut kc = Kubeconfig::read_from(&self.kubeconfig).unwrap();
        let cluster_of = |name: &str| {
            kc.contexts
                .iter()
                .find(|c| c.name == name)
                .and_then(|c| c.context.as_ref())
                .map(|c| c.cluster.clone())
        };
        let base_cluster = cluster_of(&self.base_context);
        let name = std::env::var("SWITCHYARD_TEST_SECOND_CONTEXT")
            .ok()
            .filter(|n| !n.is_empty())
            .or_else(|| {
                kc.contexts
                    .iter()
                    .filter(|c| c.name != CONTEXT)
                    .find(|c| c.context.as_ref().map(|x| x.cluster.clone()) != base_cluster)
                    .map(|c| c.name.clone())
            })
            .unwrap_or_else(|| {
                panic!(
                    "this test needs a second cluster and {} has one: start two with \
                     `export SWITCHYARD_TEST_KUBECONFIG=$(tests/cluster/up dev dev-b | tail -n1)` \
                     or set SWITCHYARD_TEST_SECOND_CONTEXT",
                    kubeconfig().display()
                )
            });
        let mut ctx = kc
            .contexts
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no context `{name}` in {}", kubeconfig().display()))
            .clone();
        ctx.name = format!("{CONTEXT}-b");
        if let Some(c) = ctx.context.as_mut() {
            c.namespace = Some(self.namespace.clone());
        }
        kc.contexts.retain(|c| c.name != ctx.name);
        kc.contexts.push(ctx.clone());
        std::fs::write(&self.kubeconfig, serde_json::to_vec(&kc).unwrap()).unwrap();
        let config = kube::Config::from_custom_kubeconfig(
            kc,
            &KubeConfigOptions {
                context: Some(ctx.name.clone()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let client = Client::try_from(config).unwrap();
        let nss: Api<Namespace> = Api::all(client.clone());
        let ns: Namespace = serde_json::from_value(serde_json::json!({
            "metadata": {"name": self.namespace, "labels": {"switchyard.dev/test": "true"}}
        }))
        .unwrap();
        nss.create(&PostParams::default(), &ns)
            .await
            .unwrap_or_else(|e| panic!("cannot create namespace {} in `{name}`: {e}", self.namespace));
        self.others.push(client.clone());
        client
    }

    pub fn settings(&self) -> Settings {
        let mut s = Settings::new(&self.instance);
        s.kubeconfig = Some(self.kubeconfig.clone());
        s.retry = RetryPolicy {
            min_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            give_up_after: Duration::from_secs(20),
        };
        s
    }

    /// Writes a file of the project.
    pub fn file(&self, rel: &str, content: &str) -> &Self {
        let path = self.project.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    pub fn pipeline(&self, yaml: &str) -> &Self {
        self.file("switchyard.yaml", yaml)
    }

    /// An engine over the Kubernetes provider, with these secrets.
    pub async fn engine(&self, settings: Settings, secrets: &[(&str, &str)]) -> (Engine, Arc<Provider>) {
        let provider = Arc::new(Provider::new(settings));
        let mut config = EngineConfig::new(Home::at(self.home.clone()));
        config.runners.register("kubernetes", provider.clone());
        config.deployer = Some(Arc::new(provider.deployer()));
        config.secrets = Arc::new(MapSecrets(
            secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
        (Engine::open(config).await.unwrap(), provider)
    }

    /// Imports the project, runs it to the end (within `limit`) and returns the run.
    pub async fn run(&self, engine: &Engine, options: RunOptions, limit: Duration) -> RunDetails {
        let project = engine.import(&self.project, None).await.unwrap();
        let handle = engine.start_run(&project, options).await.unwrap();
        let id = handle.id;
        if tokio::time::timeout(limit, handle.wait()).await.is_err() {
            panic!(
                "run {id} did not finish within {limit:?}: {:#?}",
                engine.run(id).await
            );
        }
        engine.flush().await.unwrap();
        engine.run(id).await.unwrap()
    }

    pub async fn pods(&self) -> Vec<Pod> {
        let api: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        api.list(&ListParams::default()).await.unwrap().items
    }

    pub async fn secrets(&self) -> Vec<Secret> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        api.list(&ListParams::default().labels("app.kubernetes.io/managed-by=switchyard"))
            .await
            .unwrap()
            .items
    }

    /// Waits until no pod is left in the namespace (deletion is asynchronous).
    pub async fn assert_no_pods_left(&self) {
        for _ in 0..100 {
            if self.pods().await.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let names: Vec<_> = self.pods().await.into_iter().map(|p| p.metadata.name).collect();
        panic!("pods left in {}: {names:?}", self.namespace);
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Deleting the namespace deletes everything in it.
        let mut clients = vec![self.client.clone()];
        clients.append(&mut self.others);
        let ns = self.namespace.clone();
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                for client in clients {
                    let nss: Api<Namespace> = Api::all(client);
                    let _ = nss.delete(&ns, &DeleteParams::background()).await;
                }
            });
        })
        .join();
    }
}

pub fn job<'a>(run: &'a RunDetails, name: &str) -> &'a JobRecord {
    run.job(name)
        .unwrap_or_else(|| panic!("no job {name} in {:#?}", run.jobs))
}

pub async fn log(engine: &Engine, job: &JobRecord) -> Vec<LogLine> {
    logs::all_lines(engine.store(), job.id).await.unwrap()
}

pub async fn log_texts(engine: &Engine, job: &JobRecord) -> Vec<String> {
    log(engine, job).await.into_iter().map(|l| l.text).collect()
}

/// Waits until the job's log has a line containing `needle`.
pub async fn wait_for_line(engine: &Engine, run_id: i64, job_name: &str, needle: &str, limit: Duration) {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let run = engine.run(run_id).await.unwrap();
        if let Some(j) = run.jobs.iter().find(|j| j.name == job_name)
            && log_texts(engine, j).await.iter().any(|l| l.contains(needle))
        {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("no log line with {needle:?} within {limit:?}: {run:#?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Secrets from a map, so tests never touch the process environment.
pub struct MapSecrets(pub std::collections::HashMap<String, String>);

impl switchyard_engine::secrets::SecretStore for MapSecrets {
    /// Keys: `NAME` for a global secret, `PROJECT/NAME` for a project's.
    fn get(
        &self,
        scope: &switchyard_engine::secrets::SecretScope,
        name: &str,
    ) -> Result<Option<secrecy::SecretString>, switchyard_engine::secrets::SecretError> {
        let key = match scope {
            switchyard_engine::secrets::SecretScope::Global => name.to_string(),
            switchyard_engine::secrets::SecretScope::Project(p) => format!("{p}/{name}"),
            switchyard_engine::secrets::SecretScope::Source(s) => format!("source:{s}/{name}"),
            switchyard_engine::secrets::SecretScope::Webhook(w) => format!("webhook:{w}/{name}"),
        };
        Ok(self.0.get(&key).map(|v| secrecy::SecretString::from(v.clone())))
    }

    fn set(
        &self,
        _scope: &switchyard_engine::secrets::SecretScope,
        name: &str,
        _value: &secrecy::SecretString,
    ) -> Result<(), switchyard_engine::secrets::SecretError> {
        Err(switchyard_engine::secrets::SecretError {
            action: "store",
            name: name.to_string(),
            store: self.describe(),
            reason: "the test's map is read-only".into(),
        })
    }

    fn remove(
        &self,
        _scope: &switchyard_engine::secrets::SecretScope,
        _name: &str,
    ) -> Result<bool, switchyard_engine::secrets::SecretError> {
        Ok(false)
    }

    fn describe(&self) -> String {
        "the test's map".into()
    }
}

/// Runs `git` in `dir`, failing the test with its output when it fails.
pub fn git(dir: &Path, args: &[&str]) {
    let out = std::process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl TestEnv {
    /// `host:port` of the API server.
    pub fn server_addr(&self) -> String {
        let kc = kube::config::Kubeconfig::read_from(&self.kubeconfig).unwrap();
        let ctx = kc.contexts.iter().find(|c| c.name == CONTEXT).unwrap();
        let cluster_name = ctx.context.as_ref().unwrap().cluster.clone();
        let cluster = kc.clusters.iter().find(|c| c.name == cluster_name).unwrap();
        let server = cluster.cluster.as_ref().unwrap().server.clone().unwrap();
        server
            .trim_start_matches("https://")
            .trim_end_matches('/')
            .to_string()
    }

    /// A copy of the test kubeconfig whose clusters point at `server`.
    pub fn kubeconfig_with_server(&self, server: &str) -> PathBuf {
        let mut kc = kube::config::Kubeconfig::read_from(&self.kubeconfig).unwrap();
        for c in &mut kc.clusters {
            if let Some(cluster) = c.cluster.as_mut() {
                // The certificate names the real server, not the proxy.
                let host = cluster.server.as_deref().map(|s| {
                    let rest = s.split("://").nth(1).unwrap_or(s);
                    let authority = rest.split('/').next().unwrap_or(rest);
                    match authority.strip_prefix('[') {
                        Some(v6) => v6.split(']').next().unwrap_or(v6).to_string(),
                        None => authority.split(':').next().unwrap_or(authority).to_string(),
                    }
                });
                if cluster.tls_server_name.is_none() {
                    cluster.tls_server_name = host.filter(|h| h.parse::<std::net::IpAddr>().is_err());
                }
                cluster.server = Some(server.to_string());
            }
        }
        let path = self
            .kubeconfig
            .with_file_name(format!("kubeconfig-{}", server.replace([':', '/', '.'], "_")));
        std::fs::write(&path, serde_json::to_vec(&kc).unwrap()).unwrap();
        path
    }
}
