//! Hermetic test environments: a temp data dir and a temp project per test.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use switchyard_engine::logs::{self, LogLine};
use switchyard_engine::runner::RunnerFactory;
use switchyard_engine::store::{JobRecord, RunDetails};
use switchyard_engine::{Engine, EngineConfig, Home, RunOptions};
use tempfile::TempDir;

pub struct Env {
    _dir: TempDir,
    pub home: PathBuf,
    pub project: PathBuf,
}

impl Env {
    pub fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let project = dir.path().join("project");
        std::fs::create_dir_all(&project).unwrap();
        Env {
            _dir: dir,
            home,
            project,
        }
    }

    /// Writes the project's switchyard.yaml.
    pub fn pipeline(&self, yaml: &str) -> &Self {
        self.file("switchyard.yaml", yaml)
    }

    pub fn file(&self, rel: &str, content: &str) -> &Self {
        let path = self.project.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Runs git in the project folder (with a fixed identity) and returns
    /// its trimmed stdout; fails the test with git's stderr if it fails.
    pub fn git(&self, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&self.project)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    pub async fn engine(&self) -> Engine {
        Engine::open(EngineConfig::new(Home::at(self.home.clone())))
            .await
            .unwrap()
    }

    /// An engine whose secret store holds exactly these values.
    pub async fn engine_with_secrets(&self, secrets: &[(&str, &str)]) -> Engine {
        let mut config = EngineConfig::new(Home::at(self.home.clone()));
        config.secrets = Arc::new(MapSecrets(
            secrets
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ));
        Engine::open(config).await.unwrap()
    }

    /// An engine whose every runner (local and Kubernetes) is `runners`.
    pub async fn engine_with(&self, runners: Arc<dyn RunnerFactory>, parallelism: usize) -> Engine {
        let mut config = EngineConfig::new(Home::at(self.home.clone()));
        config
            .runners
            .register("local", runners.clone())
            .register("kubernetes", runners);
        config.parallelism = Some(parallelism);
        Engine::open(config).await.unwrap()
    }

    /// Imports the project, runs it to the end and returns the run.
    pub async fn run(&self, engine: &Engine, options: RunOptions) -> RunDetails {
        let project = engine.import(&self.project, None).await.unwrap();
        let handle = engine.start_run(&project, options).await.unwrap();
        let id = handle.id;
        tokio::time::timeout(std::time::Duration::from_secs(60), handle.wait())
            .await
            .expect("run did not finish within 60s");
        engine.flush().await.unwrap();
        engine.run(id).await.unwrap()
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

pub fn pid_alive(pid: i32) -> bool {
    // A zombie is dead for our purposes.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => false,
        Ok(stat) => {
            let state = stat.rsplit(')').next().and_then(|s| s.split_whitespace().next());
            state != Some("Z")
        }
    }
}

pub fn read_pids(path: &Path) -> Vec<i32> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Secrets from a map, for tests that must not touch the process environment.
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
