//! Metrics for the canary analyses of deployments: the engine's
//! [`Metrics`] over the configured Prometheus sources.
//!
//! A check's source is the analysis' `source`, else the target's
//! `prometheus = "..."` in config.toml, else the default source. A query's
//! value is the first series' sample of an instant query now; an empty
//! answer is "no data" (never a pass), and a source that cannot be read is
//! reported with what failed, so the rollout waits for a person.

use async_trait::async_trait;
use switchyard_engine::Engine;
use switchyard_engine::deploy::Metrics;

use crate::sources;

/// Reads analysis metrics from the Prometheus sources of the configuration.
#[derive(Debug, Default, Clone, Copy)]
pub struct PrometheusMetrics;

#[async_trait]
impl Metrics for PrometheusMetrics {
    async fn instant(
        &self,
        engine: &Engine,
        source: Option<&str>,
        target: &str,
        query: &str,
    ) -> Result<Option<f64>, String> {
        let configured = engine
            .config()
            .targets
            .get(target)
            .and_then(|t| t.prometheus.clone());
        let name = source.map(str::to_string).or(configured);
        let client = sources::client(engine, name.as_deref())
            .await
            .map_err(|e| e.to_string())?;
        let series = client
            .query(query, switchyard_engine::store::now_ms())
            .await
            .map_err(|e| format!("Prometheus source `{}`: {e}", client.name()))?;
        Ok(series
            .iter()
            .find_map(|s| s.points.last().map(|p| p.v))
            .filter(|v| v.is_finite()))
    }
}
