//! Kubernetes runners: `runner: kubernetes:<target>` runs a job as a pod in
//! the cluster of the kubeconfig context named `<target>`, in that
//! context's namespace (else `default`), through the Kubernetes API alone:
//! nothing is installed in the cluster.
//!
//! [`Provider`] serves the engine's runners: `local`, and one
//! [`KubernetesRunner`] per target, created on first use. [`Settings`]
//! holds what every target shares: the kubeconfig, this installation's id
//! (a label on everything created, so two workstations sharing a namespace
//! never touch each other's pods), retry and time limits, per-target
//! defaults, and a counter of API requests. See `docs/kubernetes-runner.md`.

pub mod api;
pub mod deploy;
pub mod exec;
pub mod pod;
pub mod rbac;
mod runner;
pub mod scripts;
pub mod tarball;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use api::{Cluster, RetryPolicy};
pub use runner::{KubernetesRunner, Upload};
use switchyard_engine::config::ConfigFile;
use switchyard_engine::pipeline::PodOptions;
use switchyard_engine::runner::{Runner, RunnerError, RunnerFactory};

/// What a target gives jobs that do not say otherwise.
#[derive(Debug, Clone, Default)]
pub struct TargetDefaults {
    /// Image for jobs without `image:`.
    pub image: Option<String>,
    /// Pod options; the job's own override them field by field.
    pub pod: PodOptions,
}

/// What every Kubernetes target shares.
#[derive(Debug)]
pub struct Settings {
    /// The kubeconfig file; `None`: `KUBECONFIG`, else `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// This Switchyard installation's id (lowercase letters and digits, at
    /// most 12): labelled on everything created.
    pub instance: String,
    /// Retries of API calls.
    pub retry: RetryPolicy,
    /// How long a pod may stay Pending before the job fails with the reason
    /// (the job's own timeout applies too).
    pub pending_timeout: Duration,
    /// Upper bound on a pod's life (`activeDeadlineSeconds`), so a pod that
    /// no Switchyard comes back for ends by itself.
    pub max_pod_lifetime: Duration,
    /// Defaults by target name.
    pub defaults: HashMap<String, TargetDefaults>,
    /// API requests sent, over all targets.
    pub calls: Arc<AtomicU64>,
}

impl Settings {
    /// Settings with the defaults: 10 min pending limit, 24 h pod lifetime,
    /// retries for up to 60 s.
    pub fn new(instance: &str) -> Settings {
        let instance: String = instance
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .take(12)
            .collect();
        Settings {
            kubeconfig: None,
            instance: if instance.is_empty() {
                "local".into()
            } else {
                instance
            },
            retry: RetryPolicy::default(),
            pending_timeout: Duration::from_secs(600),
            max_pod_lifetime: Duration::from_secs(24 * 3600),
            defaults: HashMap::new(),
            calls: Arc::new(AtomicU64::new(0)),
        }
    }
}

/// The engine's `kubernetes:<target>` runners, one per target, created on
/// first use. A target's kubeconfig context and default image come from
/// `[targets.<name>]` in the configuration when it is there (context: the
/// target's name otherwise).
pub struct Provider {
    settings: Arc<Settings>,
    config: Option<Arc<ConfigFile>>,
    targets: Mutex<HashMap<String, Arc<KubernetesRunner>>>,
}

impl Provider {
    /// A provider with these settings (and no configuration: every target
    /// is the kubeconfig context of its name).
    pub fn new(settings: Settings) -> Provider {
        Provider {
            settings: Arc::new(settings),
            config: None,
            targets: Mutex::new(HashMap::new()),
        }
    }

    /// A provider that reads targets from the configuration.
    pub fn with_config(settings: Settings, config: Arc<ConfigFile>) -> Provider {
        Provider {
            settings: Arc::new(settings),
            config: Some(config),
            targets: Mutex::new(HashMap::new()),
        }
    }

    /// The shared settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The runner of one target (created on first use).
    pub fn kubernetes(&self, target: &str) -> Arc<KubernetesRunner> {
        let configured = self
            .config
            .as_ref()
            .and_then(|c| c.current().targets.get(target).cloned())
            .unwrap_or_default();
        self.targets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(target.to_string())
            .or_insert_with(|| {
                let context = configured.context.clone().unwrap_or_else(|| target.to_string());
                Arc::new(
                    KubernetesRunner::new(
                        target.to_string(),
                        context,
                        configured.image.clone(),
                        self.settings.clone(),
                    )
                    .in_target(configured.kubeconfig.clone(), configured.namespace.clone()),
                )
            })
            .clone()
    }

    /// The deployer of deploy jobs, sharing these settings and targets.
    pub fn deployer(&self) -> deploy::KubeDeployer {
        deploy::KubeDeployer::new(self.settings.clone(), self.config.clone())
    }

    /// API requests sent so far, over all targets.
    pub fn api_calls(&self) -> u64 {
        self.settings.calls.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl RunnerFactory for Provider {
    fn runner(&self, target: Option<&str>) -> Result<Arc<dyn Runner>, RunnerError> {
        match target {
            Some(target) => Ok(self.kubernetes(target)),
            None => Err(RunnerError::Unavailable {
                runner: "kubernetes".into(),
                reason: "a Kubernetes runner needs a target, like `kubernetes:staging`".into(),
            }),
        }
    }
}
