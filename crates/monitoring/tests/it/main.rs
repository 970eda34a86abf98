//! Monitoring against a real Prometheus (Debian's `prometheus`, started per
//! test by tests/prometheus/harness.rs), and charts checked by reading the
//! SVG and PNG they produce. One test binary; one module per area.

#[path = "../../../../tests/prometheus/harness.rs"]
mod harness;

mod alerts;
mod charts;
mod prometheus;
