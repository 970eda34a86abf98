//! Integration tests of the engine: one binary, one module per area.

mod dag;
mod fake;
mod gates;
mod history;
mod junit_reports;
mod live;
mod local;
mod pipeline_errors;
mod support;
