//! Dashboards: several charts shown together. Custom ones come from
//! `[dashboards.<name>]` of config.toml; every app on a target gets a
//! default one over the usual metric names (HTTP request rate, error ratio
//! and latency from `http_requests_total` and
//! `http_request_duration_seconds`, CPU and memory from cAdvisor, restarts
//! from kube-state-metrics), whose queries can be copied into a custom
//! dashboard and edited.

use serde::Serialize;
use switchyard_engine::config::{DashboardConfig, PanelConfig};
use switchyard_engine::{Engine, EngineError};

use crate::chart::{ChartKind, Unit};
use crate::{ChartData, ChartRequest, MonitoringError};

/// A dashboard ready to draw.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Its name (`default` for an app's default one).
    pub name: String,
    /// Its title.
    pub title: String,
    /// Its source (default: the default source).
    pub source: Option<String>,
    /// Its panels, queries with the variables filled in.
    pub panels: Vec<Panel>,
}

/// One chart of a dashboard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Panel {
    /// Its title.
    pub title: String,
    /// PromQL.
    pub query: String,
    /// How values are written.
    pub unit: Unit,
    /// Lines or areas.
    pub kind: ChartKind,
}

/// Replaces `$name` by its value (longest names first, so `$app_name` is
/// not taken for `$app`).
fn fill(query: &str, variables: &[(String, String)]) -> String {
    let mut vars: Vec<&(String, String)> = variables.iter().collect();
    vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut out = query.to_string();
    for (k, v) in vars {
        out = out.replace(&format!("${k}"), v);
    }
    out
}

fn panel(p: &PanelConfig, variables: &[(String, String)]) -> Panel {
    Panel {
        title: p.title.clone(),
        query: fill(&p.query, variables),
        unit: p.unit.as_deref().and_then(|u| u.parse().ok()).unwrap_or_default(),
        kind: if p.area { ChartKind::Area } else { ChartKind::Line },
    }
}

/// The default dashboard of an app (its pods named `<app>-...`) in a
/// namespace.
pub fn default_for(app: &str, namespace: &str) -> Dashboard {
    let sel = format!("namespace=\"{namespace}\", app=\"{app}\"");
    let pods = format!("namespace=\"{namespace}\", pod=~\"{app}-.*\"");
    let p = |title: &str, query: String, unit: Unit, kind: ChartKind| Panel {
        title: title.into(),
        query,
        unit,
        kind,
    };
    Dashboard {
        name: "default".into(),
        title: format!("{app} in {namespace}"),
        source: None,
        panels: vec![
            p(
                "Requests per second",
                format!("sum by (code) (rate(http_requests_total{{{sel}}}[5m]))"),
                Unit::Si,
                ChartKind::Area,
            ),
            p(
                "Error ratio (5xx)",
                format!(
                    "sum(rate(http_requests_total{{{sel}, code=~\"5..\"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m]))"
                ),
                Unit::Percent,
                ChartKind::Line,
            ),
            p(
                "Latency p50, p95, p99",
                format!(
                    "label_replace(histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m]))), \"quantile\", \"p50\", \"\", \"\") \
                     or label_replace(histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m]))), \"quantile\", \"p95\", \"\", \"\") \
                     or label_replace(histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{{{sel}}}[5m]))), \"quantile\", \"p99\", \"\", \"\")"
                ),
                Unit::Seconds,
                ChartKind::Line,
            ),
            p(
                "CPU (cores)",
                format!(
                    "sum by (pod) (rate(container_cpu_usage_seconds_total{{{pods}, container!=\"\"}}[5m]))"
                ),
                Unit::Si,
                ChartKind::Line,
            ),
            p(
                "Memory (working set)",
                format!("sum by (pod) (container_memory_working_set_bytes{{{pods}, container!=\"\"}})"),
                Unit::Bytes,
                ChartKind::Line,
            ),
            p(
                "Restarts",
                format!("sum by (pod) (kube_pod_container_status_restarts_total{{{pods}}})"),
                Unit::Si,
                ChartKind::Line,
            ),
        ],
    }
}

/// The custom dashboards of config.toml.
pub fn list(engine: &Engine) -> Vec<Dashboard> {
    engine
        .config()
        .dashboards
        .iter()
        .map(|(name, d)| custom(name, d))
        .collect()
}

fn custom(name: &str, d: &DashboardConfig) -> Dashboard {
    let vars: Vec<(String, String)> = d.variables.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    Dashboard {
        name: name.to_string(),
        title: d.title.clone().unwrap_or_else(|| name.to_string()),
        source: d.source.clone(),
        panels: d.panels.iter().map(|p| panel(p, &vars)).collect(),
    }
}

/// A custom dashboard by name.
pub fn named(engine: &Engine, name: &str) -> Result<Dashboard, EngineError> {
    let config = engine.config();
    match config.dashboards.get(name) {
        Some(d) => Ok(custom(name, d)),
        None => Err(EngineError::InvalidArgument(format!(
            "no dashboard named `{name}` in config.toml ({}); or use --app APP [--namespace NS] for an app's default one",
            if config.dashboards.is_empty() {
                "it has none".to_string()
            } else {
                format!(
                    "it has {}",
                    config.dashboards.keys().cloned().collect::<Vec<_>>().join(", ")
                )
            }
        ))),
    }
}

/// Fetches every panel over the last `range_ms` (concurrently), each
/// `width` pixels wide and `height` high, as charts ready to draw.
pub async fn fetch(
    engine: &Engine,
    dashboard: &Dashboard,
    range_ms: i64,
    width: u32,
    height: u32,
    now_ms: i64,
) -> Result<Vec<ChartData>, MonitoringError> {
    let requests: Vec<ChartRequest> = dashboard
        .panels
        .iter()
        .map(|p| ChartRequest {
            source: dashboard.source.clone(),
            query: p.query.clone(),
            range_ms,
            step_ms: None,
            width,
            height,
            unit: p.unit,
            kind: p.kind,
            title: p.title.clone(),
        })
        .collect();
    let results =
        futures::future::join_all(requests.iter().map(|r| crate::range_chart(engine, r, now_ms))).await;
    results.into_iter().collect()
}

/// A dashboard's charts, and when they were taken if they come from the
/// last snapshot because the source could not be read.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The charts.
    pub charts: Vec<ChartData>,
    /// `Some(ms)`: drawn from the snapshot taken then (the source is down).
    pub snapshot_taken_at: Option<i64>,
}

/// As [`fetch`], keeping the result as the dashboard's snapshot in the
/// history; when the source cannot be read, the last snapshot (if any) is
/// returned instead, so a dashboard opens offline. `key` names the
/// dashboard and its window.
#[allow(clippy::too_many_arguments)]
pub async fn fetch_or_snapshot(
    engine: &Engine,
    dashboard: &Dashboard,
    key: &str,
    range_ms: i64,
    width: u32,
    height: u32,
    now_ms: i64,
) -> Result<Fetched, MonitoringError> {
    match fetch(engine, dashboard, range_ms, width, height, now_ms).await {
        Ok(charts) => {
            // NaN is not JSON: a missing value is a gap either way.
            let kept: Vec<ChartData> = charts
                .iter()
                .cloned()
                .map(|mut c| {
                    for s in &mut c.series {
                        s.points.retain(|p| p.v.is_finite());
                    }
                    c
                })
                .collect();
            if let Ok(text) = serde_json::to_string(&kept)
                && let Err(e) = engine.save_snapshot(key, text).await
            {
                tracing::warn!(error = %e, "cannot keep the dashboard's snapshot");
            }
            Ok(Fetched {
                charts,
                snapshot_taken_at: None,
            })
        }
        Err(MonitoringError::Prometheus(e)) if e.is_unavailable() => match engine.snapshot(key).await? {
            Some((taken_at, text)) => match serde_json::from_str::<Vec<ChartData>>(&text) {
                Ok(charts) => Ok(Fetched {
                    charts,
                    snapshot_taken_at: Some(taken_at),
                }),
                Err(_) => Err(MonitoringError::Prometheus(e)),
            },
            None => Err(MonitoringError::Prometheus(e)),
        },
        Err(e) => Err(e),
    }
}

/// The snapshot key of a dashboard over a window.
pub fn snapshot_key(dashboard: &Dashboard, range_ms: i64) -> String {
    format!("dashboard:{}:{}:{range_ms}", dashboard.name, dashboard.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_fill_the_queries_longest_name_first() {
        let vars = vec![
            ("app".to_string(), "shop".to_string()),
            ("app_ns".to_string(), "prod".to_string()),
        ];
        assert_eq!(
            fill("up{app=\"$app\", ns=\"$app_ns\"}", &vars),
            "up{app=\"shop\", ns=\"prod\"}"
        );
    }

    #[test]
    fn the_default_dashboard_covers_traffic_errors_latency_and_resources() {
        let d = default_for("shop", "prod");
        let titles: Vec<&str> = d.panels.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Requests per second",
                "Error ratio (5xx)",
                "Latency p50, p95, p99",
                "CPU (cores)",
                "Memory (working set)",
                "Restarts"
            ]
        );
        assert!(d.panels.iter().all(|p| p.query.contains("prod")));
        assert_eq!(d.panels[1].unit, Unit::Percent);
        assert_eq!(d.panels[4].unit, Unit::Bytes);
    }
}
