//! The delivery report: one self-contained HTML file (no scripts, no
//! outside resources; charts inline as SVG drawn by [`crate::chart`]) with
//! the figures of [`switchyard_engine::Engine::stats`], for a weekly review.
//! `switchyard report` and the app's Analytics view write the same file.

use std::collections::BTreeMap;
use std::path::Path;

use switchyard_engine::analytics::StatsView;

use crate::chart::{self, ChartError, ChartKind, ChartSpec, Unit};
use crate::prometheus::{Point, Series};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn ms_text(ms: Option<i64>) -> String {
    match ms {
        None => "–".into(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) => format!("{}m {:02}s", ms / 60_000, ms % 60_000 / 1000),
    }
}

fn day_ms(day: &str) -> Option<i64> {
    let date: jiff::civil::Date = day.parse().ok()?;
    Some(
        date.to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .ok()?
            .timestamp()
            .as_millisecond(),
    )
}

fn series(name: &str, points: Vec<Point>) -> Series {
    Series {
        labels: BTreeMap::from([("__name__".to_string(), name.to_string())]),
        points,
    }
}

/// The day-by-day charts of a report, as SVG: runs (succeeded and failed)
/// and the median duration.
pub fn charts(stats: &StatsView) -> Result<Vec<(String, String)>, ChartError> {
    const DAY: i64 = 86_400_000;
    let start = stats.since.div_euclid(DAY) * DAY;
    let end = (stats.until.div_euclid(DAY) * DAY).max(start + DAY);
    let spec = |title: &str, unit: Unit, kind: ChartKind, query: &str| ChartSpec {
        title: title.to_string(),
        query: query.to_string(),
        unit,
        kind,
        start,
        end,
        step: DAY,
        width: 900,
        height: 260,
        markers: Vec::new(),
    };
    let points = |f: &dyn Fn(&switchyard_engine::analytics::DayStats) -> Option<f64>| -> Vec<Point> {
        stats
            .days
            .iter()
            .filter_map(|d| {
                Some(Point {
                    t: day_ms(&d.day)?,
                    v: f(d)?,
                })
            })
            .collect()
    };
    let runs = vec![
        series("succeeded", points(&|d| Some(f64::from(d.succeeded)))),
        series("failed", points(&|d| Some(f64::from(d.failed)))),
    ];
    let duration = vec![series(
        "median duration",
        points(&|d| d.p50_duration_ms.map(|ms| ms as f64 / 1000.0)),
    )];
    Ok(vec![
        (
            "Runs per day".to_string(),
            chart::svg(&spec("", Unit::Si, ChartKind::Line, "runs"), &runs)?,
        ),
        (
            "Median run duration per day".to_string(),
            chart::svg(&spec("", Unit::Seconds, ChartKind::Area, "duration"), &duration)?,
        ),
    ])
}

/// The report as HTML.
pub fn html(stats: &StatsView) -> Result<String, ChartError> {
    let when = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_default()
    };
    let scope = escape(stats.project.as_deref().unwrap_or("all projects"));
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    out.push_str(&format!("<title>Switchyard delivery report: {scope}</title>"));
    out.push_str(
        "<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}\
         table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{padding:.25em .8em;border-bottom:1px solid #ddd;text-align:left}\
         th{font-weight:600}.n{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1em 0}\
         .figures{display:flex;gap:2em;flex-wrap:wrap}.figure b{display:block;font-size:1.6em}</style></head><body>",
    );
    out.push_str(&format!(
        "<h1>Delivery report: {scope}</h1><p>{} to {}</p>",
        when(stats.since),
        when(stats.until)
    ));
    let rate = stats
        .success_rate
        .map(|r| format!("{:.1}%", r * 100.0))
        .unwrap_or_else(|| "–".into());
    out.push_str("<div class=\"figures\">");
    for (label, value) in [
        ("runs", stats.runs.to_string()),
        ("success rate", rate),
        ("median duration", ms_text(stats.duration.p50_ms)),
        ("p95 duration", ms_text(stats.duration.p95_ms)),
        ("median queue time", ms_text(stats.queue.p50_ms)),
        ("flaky tests", stats.flaky_tests.len().to_string()),
    ] {
        out.push_str(&format!(
            "<div class=\"figure\"><b>{}</b>{label}</div>",
            escape(&value)
        ));
    }
    out.push_str("</div>");
    out.push_str(
        "<p>Deployment figures (DORA) come with deployments, which this build does not record yet.</p>",
    );
    for (title, svg) in charts(stats)? {
        out.push_str(&format!(
            "<figure><figcaption>{}</figcaption>{svg}</figure>",
            escape(&title)
        ));
    }
    out.push_str("<h2>Day by day</h2><table><tr><th>day</th><th class=\"n\">runs</th><th class=\"n\">succeeded</th><th class=\"n\">failed</th><th class=\"n\">median</th><th class=\"n\">tests</th></tr>");
    for d in &stats.days {
        out.push_str(&format!(
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            escape(&d.day),
            d.runs,
            d.succeeded,
            d.failed,
            ms_text(d.p50_duration_ms),
            d.tests
        ));
    }
    out.push_str("</table><h2>Slowest steps</h2>");
    if stats.slowest_steps.is_empty() {
        out.push_str("<p>No finished steps in this window.</p>");
    } else {
        out.push_str("<table><tr><th>project</th><th>job</th><th>step</th><th class=\"n\">median</th><th class=\"n\">p95</th><th class=\"n\">runs</th></tr>");
        for s in &stats.slowest_steps {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&s.project),
                escape(&s.job),
                escape(&s.step),
                ms_text(s.spread.p50_ms),
                ms_text(s.spread.p95_ms),
                s.spread.count
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("<h2>Flaky tests</h2>");
    if stats.flaky_tests.is_empty() {
        out.push_str("<p>No test both passed and failed on one commit.</p>");
    } else {
        out.push_str("<table><tr><th>project</th><th>test</th><th class=\"n\">passed</th><th class=\"n\">failed</th><th class=\"n\">commits</th></tr>");
        for t in &stats.flaky_tests {
            out.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                escape(&t.project),
                escape(&t.test),
                t.passed,
                t.failed,
                t.commits
            ));
        }
        out.push_str("</table>");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

/// Writes the report to `path`, whole or not at all.
pub fn write(stats: &StatsView, path: &Path) -> Result<(), ChartError> {
    let text = html(stats)?;
    chart::write_whole(path, |tmp| std::fs::write(tmp, text).map_err(|e| e.to_string()))
}
