//! Switchyard's engine: everything that works without a cloud.
//!
//! A project's `switchyard.yaml` is loaded into a [`pipeline::Pipeline`] and
//! planned into a DAG of jobs ([`pipeline::plan::Plan`]). The [`Engine`]
//! records a run in the SQLite history ([`store`]), and its scheduler starts
//! ready jobs on a [`runner::Runner`] (the local runner here; Kubernetes in
//! `switchyard-cloud`), streams their output through secret masking into
//! chunked logs, keeps artifacts in a content-addressed store and reads
//! JUnit reports. Every state change is published on the [`events`] bus, which
//! the CLI and the desktop app subscribe to.

pub mod alerts;
pub mod analytics;
pub mod artifacts;
pub mod config;
pub mod deploy;
mod engine;
mod error;
pub mod events;
pub mod gitinfo;
mod home;
pub mod junit;
pub mod lines;
pub mod logs;
pub mod mask;
pub mod outputs;
pub mod pipeline;
pub mod runner;
mod scheduler;
pub mod secrets;
pub mod starter;
mod state;
pub mod status;
pub mod store;
pub mod usecases;
pub mod views;
pub mod workspace;

pub use engine::{
    CancelOutcome, DeployOptions, Engine, EngineConfig, EngineError, HOME_ENV, Home, RerunMode, RunHandle,
    RunOptions, Trigger,
};
