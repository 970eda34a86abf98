//! Switchyard's cloud side: what runs work in and deploys to clusters,
//! over the traits the engine defines.
//!
//! The engine never depends on this crate. Both front ends (the CLI, the
//! desktop app) open their engine with [`open`], which wires what this build
//! has: the history, the configuration, the secret sources (the OS keyring,
//! [`keyring`]), and the
//! runners (the engine's own `local`, and `kubernetes:<target>` from
//! [`kubernetes::Provider`]), and the deployer of deploy jobs
//! ([`kubernetes::deploy`]).

pub mod keyring;
pub mod kubernetes;
pub mod targets;

use std::sync::Arc;

use switchyard_engine::config::ConfigFile;
use switchyard_engine::pipeline::RunnerRef;
use switchyard_engine::{Engine, EngineConfig, EngineError, Home};

/// Opens the engine on `home` with every runner and secret source of this
/// build: the one way both front ends open it, so a run behaves the same
/// whichever started it.
pub async fn open(home: Home) -> Result<Engine, EngineError> {
    open_with(engine_config(home)).await
}

/// The engine's options as both front ends start from: the embedded
/// defaults, with secrets from the OS keyring (after the environment).
pub fn engine_config(home: Home) -> EngineConfig {
    let mut config = EngineConfig::new(home);
    config.secrets = Arc::new(keyring::KeyringStore::new());
    config
}

/// [`open`] with the engine's options set by the caller (a run's
/// parallelism, a test's secrets); the cloud runners are added here.
pub async fn open_with(mut config: EngineConfig) -> Result<Engine, EngineError> {
    let config_file = match config.config.clone() {
        Some(c) => c,
        None => {
            let path = config.home.config_file()?;
            let file = tokio::task::spawn_blocking(move || ConfigFile::open(path))
                .await
                .map_err(|e| EngineError::Io {
                    what: "cannot read the configuration".into(),
                    source: std::io::Error::other(e.to_string()),
                })??;
            Arc::new(file)
        }
    };
    let home = config.home.clone();
    let instance = tokio::task::spawn_blocking(move || home.instance_id())
        .await
        .map_err(|e| EngineError::Io {
            what: "cannot read the installation id".into(),
            source: std::io::Error::other(e.to_string()),
        })??;
    let settings = kubernetes::Settings::new(&instance);
    let provider = kubernetes::Provider::with_config(settings, config_file.clone());
    if config.deployer.is_none() {
        config.deployer = Some(Arc::new(provider.deployer()));
    }
    config.runners.register(RunnerRef::KUBERNETES, Arc::new(provider));
    config.config = Some(config_file);
    Engine::open(config).await
}
