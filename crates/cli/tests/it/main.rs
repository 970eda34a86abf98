//! End-to-end tests of the `switchyard` binary: the CLI contract as users
//! and scripts rely on it. One test binary; one module per area.

mod commands;
mod deploy;
#[path = "../../../../tests/prometheus/harness.rs"]
mod harness;
mod monitoring;
mod processes;
mod secrets;
mod support;
mod validate;
