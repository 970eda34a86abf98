//! Switchyard's cloud side: what runs work in (and later deploys to)
//! clusters, over the traits the engine defines.
//!
//! The engine never depends on this crate: front ends (the CLI, the desktop
//! app) build a [`kubernetes::Provider`], which serves `runner: local` with
//! the engine's own local runner and `runner: kubernetes:<target>` with a
//! [`kubernetes::KubernetesRunner`] per target, and hand it to the engine as
//! its [`switchyard_engine::runner::RunnerProvider`].

pub mod kubernetes;
