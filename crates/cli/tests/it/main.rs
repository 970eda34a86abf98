//! End-to-end tests of the `switchyard` binary: the CLI contract as users
//! and scripts rely on it. One test binary; one module per area.

mod commands;
mod processes;
mod secrets;
mod support;
mod validate;
