//! Switchyard's monitoring: Prometheus sources and their credentials
//! ([`sources`]), a client of Prometheus' HTTP API ([`prometheus`]), live
//! series polled incrementally ([`live`]) and charts drawn with `plotters`
//! ([`chart`]). The CLI and the desktop app both call [`range_chart`] and
//! the chart functions, so what one exports is what the other shows.
//!
//! Deployments (their analysis) use the same [`prometheus::Client`].

pub mod alerts;
pub mod analysis;
pub mod chart;
pub mod dashboards;
pub mod live;
pub mod prometheus;
pub mod report;
pub mod rules;
pub mod sources;
pub mod webhooks;

use switchyard_engine::{Engine, EngineError};

use crate::chart::{ChartError, ChartKind, ChartSpec, Unit};
use crate::prometheus::{PromError, Series};

/// Why a chart (or a query) could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MonitoringError {
    /// The engine refused (no such source, a keyring problem).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Prometheus refused or could not be reached.
    #[error(transparent)]
    Prometheus(#[from] PromError),
    /// Drawing or writing failed.
    #[error(transparent)]
    Chart(#[from] ChartError),
    /// The request itself is wrong (a range of zero).
    #[error("{0}")]
    Invalid(String),
}

impl MonitoringError {
    /// Whether the person asking can fix it by asking differently (exit 2 in
    /// the CLI): a bad query, an unknown source, a bad file name.
    pub fn is_input_error(&self) -> bool {
        match self {
            MonitoringError::Engine(e) => e.is_input_error(),
            MonitoringError::Prometheus(PromError::Query { error_type, .. }) => error_type == "bad_data",
            MonitoringError::Prometheus(_) => false,
            MonitoringError::Chart(ChartError::Format(_) | ChartError::Size(..)) => true,
            MonitoringError::Chart(_) => false,
            MonitoringError::Invalid(_) => true,
        }
    }
}

/// A chart of a query over the last `range_ms`.
#[derive(Debug, Clone)]
pub struct ChartRequest {
    /// The source; the default one when `None`.
    pub source: Option<String>,
    /// PromQL.
    pub query: String,
    /// How far back, ms.
    pub range_ms: i64,
    /// The step, ms; chosen from the width when `None`.
    pub step_ms: Option<i64>,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// How values are written.
    pub unit: Unit,
    /// Lines or areas.
    pub kind: ChartKind,
    /// A title.
    pub title: String,
}

impl ChartRequest {
    /// A line chart of `query` over the last hour, 1200×400, on the default
    /// source.
    pub fn new(query: impl Into<String>) -> ChartRequest {
        ChartRequest {
            source: None,
            query: query.into(),
            range_ms: 3_600_000,
            step_ms: None,
            width: 1200,
            height: 400,
            unit: Unit::Si,
            kind: ChartKind::Line,
            title: String::new(),
        }
    }
}

/// A chart's data, ready to draw or export.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ChartData {
    /// The source that answered.
    pub source: String,
    /// What to draw.
    pub spec: ChartSpec,
    /// The series.
    pub series: Vec<Series>,
}

/// The step a request asks for: its own, else one from its width; checked
/// against Prometheus' 11,000 points.
pub fn step_for(request: &ChartRequest) -> Result<i64, MonitoringError> {
    if request.range_ms <= 0 {
        return Err(MonitoringError::Invalid(
            "the range must be longer than zero".into(),
        ));
    }
    match request.step_ms {
        Some(step) if step <= 0 => Err(MonitoringError::Invalid(
            "the step must be longer than zero".into(),
        )),
        Some(step) if live::points_in(request.range_ms, step) > prometheus::MAX_POINTS => {
            Err(MonitoringError::Invalid(format!(
                "a step of {} over {} gives {} points per series; Prometheus answers at most {}: use a step of at least {}",
                humantime_ms(step),
                humantime_ms(request.range_ms),
                live::points_in(request.range_ms, step),
                prometheus::MAX_POINTS,
                humantime_ms(live::choose_step(request.range_ms, u32::MAX, 0)),
            )))
        }
        Some(step) => Ok(step),
        None => Ok(live::choose_step(request.range_ms, request.width, 0)),
    }
}

fn humantime_ms(ms: i64) -> String {
    humantime::format_duration(std::time::Duration::from_millis(ms.max(0) as u64)).to_string()
}

/// Most runs (and most deployments) marked on one chart.
pub const MAX_MARKERS: u32 = 100;

/// The runs and deployments that started in `[start, end]` (ms) as chart
/// markers: `#12 shop`, `deploy web 2.0 → production`; red when the run
/// failed or the deployment failed or was rolled back.
pub async fn run_markers(engine: &Engine, start: i64, end: i64) -> Result<Vec<chart::Marker>, EngineError> {
    use switchyard_engine::status::{DeploymentStatus, RunStatus};
    let mut markers: Vec<chart::Marker> = engine
        .runs_between(start, end, MAX_MARKERS)
        .await?
        .into_iter()
        .map(|r| chart::Marker {
            t: r.started_at,
            label: format!("#{} {}", r.id, r.project),
            bad: matches!(r.status, RunStatus::Failed | RunStatus::Interrupted),
        })
        .collect();
    // Deployments, by when they started: what shipped when the line moved.
    for d in engine.deployments_between(start, end, MAX_MARKERS).await? {
        let t = d
            .created_at
            .parse::<jiff::Timestamp>()
            .map(|t| t.as_millisecond())
            .unwrap_or(start);
        markers.push(chart::Marker {
            t,
            label: format!("deploy {} {} → {}", d.app, d.version, d.environment),
            bad: matches!(d.status, DeploymentStatus::Failed | DeploymentStatus::RolledBack),
        });
    }
    markers.sort_by_key(|m| m.t);
    Ok(markers)
}

/// Fetches `request.query` over the last `range_ms` up to `now_ms` (the
/// window aligned to the step) and returns it ready to draw.
pub async fn range_chart(
    engine: &Engine,
    request: &ChartRequest,
    now_ms: i64,
) -> Result<ChartData, MonitoringError> {
    let step = step_for(request)?;
    let client = sources::client(engine, request.source.as_deref()).await?;
    let end = now_ms.div_euclid(step) * step;
    let start = end - request.range_ms;
    let series = client.query_range(&request.query, start, end, step).await?;
    let markers = run_markers(engine, start, end).await?;
    Ok(ChartData {
        source: client.name().to_string(),
        spec: ChartSpec {
            title: request.title.clone(),
            query: request.query.clone(),
            unit: request.unit,
            kind: request.kind,
            start,
            end,
            step,
            width: request.width,
            height: request.height,
            markers,
        },
        series,
    })
}
