//! Integration tests of the engine: one binary, one module per area.

mod alerting;
mod analytics;
mod dag;
mod deploys;
mod fake;
mod gates;
mod history;
mod junit_reports;
mod kustomize;
mod live;
mod local;
mod pipeline_errors;
mod support;
