//! Charts of series, drawn with `plotters`: SVG for the app, PNG and SVG
//! for export, and the same data as CSV or JSON. The CLI and the app call
//! the same functions, so an export is what the app shows.
//!
//! - Time runs along x in local time; values along y in the chart's
//!   [`Unit`] (SI prefixes, percent, bytes, seconds).
//! - A gap in the data (a missing step, or a `NaN`) is drawn as a gap: each
//!   unbroken run of points is its own line, never joined across.
//! - Each line is down-sampled to the pixel width first: per pixel column
//!   the lowest and the highest point are kept (in time order), so a spike
//!   one sample wide still shows.
//! - PNG text uses DejaVu Sans embedded in the binary: no system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;
use serde::Serialize;

use crate::prometheus::{Point, Series};

/// The embedded font (DejaVu Sans, see fonts/LICENSE-DejaVu.txt).
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");
const FAMILY: &str = "sans-serif";
static REGISTER: Once = Once::new();

/// Most legend entries drawn; the rest are counted.
const MAX_LEGEND: usize = 12;

/// Series colours, in order (colour-blind-friendly, after Tableau 10).
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// How values are written on the axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// SI prefixes: 1.5k, 2M, 300m.
    #[default]
    Si,
    /// A ratio from 0 to 1, written as percent.
    Percent,
    /// Bytes, binary prefixes: KiB, MiB, GiB.
    Bytes,
    /// Seconds, SI prefixes: 250 ms, 1.5 s.
    Seconds,
}

impl std::str::FromStr for Unit {
    type Err = String;
    fn from_str(s: &str) -> Result<Unit, String> {
        match s {
            "si" | "" => Ok(Unit::Si),
            "percent" | "%" => Ok(Unit::Percent),
            "bytes" => Ok(Unit::Bytes),
            "seconds" | "s" => Ok(Unit::Seconds),
            other => Err(format!(
                "unknown unit `{other}`: use si, percent, bytes or seconds"
            )),
        }
    }
}

impl Unit {
    /// A value as written on the axis and in tooltips.
    pub fn format(self, v: f64) -> String {
        match self {
            Unit::Si => si(v, ""),
            Unit::Seconds => si(v, "s"),
            Unit::Percent => format!("{}%", trim(v * 100.0)),
            Unit::Bytes => {
                let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
                let mut x = v.abs();
                let mut i = 0;
                while x >= 1024.0 && i + 1 < units.len() {
                    x /= 1024.0;
                    i += 1;
                }
                let sign = if v < 0.0 { "-" } else { "" };
                format!("{sign}{} {}", trim(x), units[i])
            }
        }
    }
}

fn trim(x: f64) -> String {
    let s = if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn si(v: f64, unit: &str) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{}{}{unit}", trim(v), if unit.is_empty() { "" } else { " " });
    }
    let prefixes = [
        (1e12, "T"),
        (1e9, "G"),
        (1e6, "M"),
        (1e3, "k"),
        (1.0, ""),
        (1e-3, "m"),
        (1e-6, "µ"),
        (1e-9, "n"),
    ];
    let a = v.abs();
    let (scale, p) = prefixes
        .iter()
        .copied()
        .find(|(s, _)| a >= *s * 0.9995)
        .unwrap_or((1e-9, "n"));
    let space = if unit.is_empty() { "" } else { " " };
    format!("{}{space}{p}{unit}", trim(v / scale))
}

/// Lines or filled areas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Lines.
    #[default]
    Line,
    /// Areas filled down to zero.
    Area,
}

/// A vertical marker: a run or a deployment at a time.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Marker {
    /// When, ms.
    pub t: i64,
    /// A short label ("#12 failed").
    pub label: String,
    /// Whether it marks something that went wrong (drawn red).
    pub bad: bool,
}

/// What to draw.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct ChartSpec {
    /// A title; none when empty.
    pub title: String,
    /// The query (names a series that has no labels, and goes into JSON).
    pub query: String,
    /// How values are written.
    pub unit: Unit,
    /// Lines or areas.
    pub kind: ChartKind,
    /// The window, ms.
    pub start: i64,
    /// The window's end, ms.
    pub end: i64,
    /// The data's step, ms (a longer distance between points is a gap).
    pub step: i64,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// Runs and deployments to mark.
    pub markers: Vec<Marker>,
}

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// Drawing failed.
    #[error("cannot draw the chart: {0}")]
    Draw(String),
    /// The file could not be written.
    #[error("cannot write {path}: {reason}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The file name says no format we write.
    #[error("cannot tell the format of {0}: end the name in .png, .svg, .csv or .json")]
    Format(String),
    /// The size is not drawable.
    #[error("a chart must be between 100×80 and 8000×8000 pixels (asked: {0}×{1})")]
    Size(u32, u32),
}

fn draw_error(e: impl std::fmt::Display) -> ChartError {
    ChartError::Draw(e.to_string())
}

fn register_font() {
    REGISTER.call_once(|| {
        // The font is part of the binary; it always parses.
        let _ = plotters::style::register_font(FAMILY, FontStyle::Normal, FONT);
    });
}

/// Splits points into unbroken runs: a distance of more than 1.5 steps, or
/// a value that is not finite, ends a run.
pub fn segments(points: &[Point], step: i64) -> Vec<Vec<Point>> {
    let max_gap = step.max(1) * 3 / 2;
    let mut out: Vec<Vec<Point>> = Vec::new();
    let mut current: Vec<Point> = Vec::new();
    for p in points {
        if !p.v.is_finite() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        if let Some(last) = current.last()
            && p.t - last.t > max_gap
        {
            out.push(std::mem::take(&mut current));
        }
        current.push(*p);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Down-samples an unbroken run to `width` pixel columns over
/// `[start, end]`: per column its lowest and highest point, in time order
/// (one point when they are the same), so peaks survive.
pub fn downsample(points: &[Point], start: i64, end: i64, width: u32) -> Vec<Point> {
    let width = i64::from(width.max(1));
    if points.len() as i64 <= 2 * width || end <= start {
        return points.to_vec();
    }
    let span = end - start;
    let column = |t: i64| ((t - start).clamp(0, span) as i128 * width as i128 / span as i128) as i64;
    let mut out = Vec::with_capacity(2 * width as usize + 2);
    let mut i = 0;
    while i < points.len() {
        let c = column(points[i].t);
        let (mut lo, mut hi) = (i, i);
        let mut j = i + 1;
        while j < points.len() && column(points[j].t) == c {
            if points[j].v < points[lo].v {
                lo = j;
            }
            if points[j].v > points[hi].v {
                hi = j;
            }
            j += 1;
        }
        let (a, b) = if lo <= hi { (lo, hi) } else { (hi, lo) };
        out.push(points[a]);
        if b != a {
            out.push(points[b]);
        }
        i = j;
    }
    out
}

/// Labels every series shares, left out of the legend.
pub fn shared_labels(series: &[Series]) -> Vec<String> {
    let Some(first) = series.first() else {
        return Vec::new();
    };
    if series.len() < 2 {
        return Vec::new();
    }
    first
        .labels
        .iter()
        .filter(|(k, v)| k.as_str() != "__name__" && series.iter().all(|s| s.labels.get(*k) == Some(*v)))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Legend names of the series, in order; a series with no labels left is
/// named by the query.
pub fn legend_names(series: &[Series], query: &str) -> Vec<String> {
    let shared = shared_labels(series);
    let omit: Vec<&str> = shared.iter().map(String::as_str).collect();
    series
        .iter()
        .map(|s| {
            let name = s.display_name(&omit);
            if name == "{}" && !query.is_empty() {
                query.to_string()
            } else {
                name
            }
        })
        .collect()
}

/// A time as the axis writes it, in local time.
pub fn format_time(ms: i64, span_ms: i64) -> String {
    let Ok(ts) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let zoned = ts.to_zoned_datetime(jiff::tz::TimeZone::system());
    let pattern = if span_ms <= 15 * 60_000 {
        "%H:%M:%S"
    } else if span_ms <= 86_400_000 {
        "%H:%M"
    } else {
        "%m-%d %H:%M"
    };
    zoned.strftime(pattern).to_string()
}

/// Round local times for the x axis: about `want` of them, on a step people
/// read (every 10 s, 5 min, 1 h, 1 day...), aligned to the local clock.
pub fn time_ticks(start: i64, end: i64, want: u32) -> Vec<i64> {
    #[rustfmt::skip]
    const STEPS: &[i64] = &[
        1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
        3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
    ];
    let span = (end - start).max(1);
    let step = STEPS
        .iter()
        .copied()
        .find(|s| span / s <= i64::from(want.max(1)))
        .unwrap_or(604_800_000);
    // The local clock's offset from UTC at the start, so 10:00 is a tick in
    // Berlin as in UTC.
    let offset = jiff::Timestamp::from_millisecond(start)
        .map(|t| i64::from(jiff::tz::TimeZone::system().to_offset(t).seconds()) * 1000)
        .unwrap_or(0);
    let first = (start + offset).div_euclid(step) * step - offset;
    let mut ticks = Vec::new();
    let mut t = if first < start { first + step } else { first };
    while t <= end {
        ticks.push(t);
        t += step;
    }
    ticks
}

fn check_size(spec: &ChartSpec) -> Result<(), ChartError> {
    if !(100..=8000).contains(&spec.width) || !(80..=8000).contains(&spec.height) {
        return Err(ChartError::Size(spec.width, spec.height));
    }
    Ok(())
}

/// The chart as SVG text.
pub fn svg(spec: &ChartSpec, series: &[Series]) -> Result<String, ChartError> {
    svg_stack(&[(spec, series)])
}

/// Charts stacked top to bottom (a dashboard) as one SVG.
pub fn svg_stack(charts: &[(&ChartSpec, &[Series])]) -> Result<String, ChartError> {
    let (w, h) = stack_size(charts)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw_stack(&root, charts)?;
        root.present().map_err(draw_error)?;
    }
    Ok(out)
}

/// The chart as a PNG file.
pub fn png(spec: &ChartSpec, series: &[Series], path: &Path) -> Result<(), ChartError> {
    png_stack(&[(spec, series)], path)
}

/// Charts stacked top to bottom (a dashboard) as one PNG file.
pub fn png_stack(charts: &[(&ChartSpec, &[Series])], path: &Path) -> Result<(), ChartError> {
    let (w, h) = stack_size(charts)?;
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_stack(&root, charts)?;
        root.present().map_err(draw_error)?;
    }
    let cannot = |reason: String| ChartError::Write {
        path: path.display().to_string(),
        reason,
    };
    let file = std::fs::File::create(path).map_err(|e| cannot(e.to_string()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| cannot(e.to_string()))?;
    writer.write_image_data(&rgb).map_err(|e| cannot(e.to_string()))?;
    writer.finish().map_err(|e| cannot(e.to_string()))
}

/// The size of charts stacked: the widest, and every height added up.
fn stack_size(charts: &[(&ChartSpec, &[Series])]) -> Result<(u32, u32), ChartError> {
    for (spec, _) in charts {
        check_size(spec)?;
    }
    let w = charts.iter().map(|(s, _)| s.width).max().unwrap_or(0);
    let h: u32 = charts.iter().map(|(s, _)| s.height).sum();
    if charts.is_empty() || h > 32_000 {
        return Err(ChartError::Size(w, h));
    }
    register_font();
    Ok((w, h))
}

fn draw_stack<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    charts: &[(&ChartSpec, &[Series])],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_error)?;
    let mut rest = root.clone();
    for (spec, series) in charts {
        let (row, below) = rest.split_vertically(spec.height);
        draw(&row, spec, series)?;
        rest = below;
    }
    Ok(())
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    spec: &ChartSpec,
    series: &[Series],
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE).map_err(draw_error)?;
    let names = legend_names(series, &spec.query);
    let legend_rows = legend_layout(&names, spec.width).len() as u32;
    let legend_height = if series.is_empty() {
        0
    } else {
        legend_rows * 18 + 8
    };
    let (plot, legend) = root.split_vertically(spec.height.saturating_sub(legend_height).max(40));

    let span = (spec.end - spec.start).max(1);
    let lines: Vec<Vec<Vec<Point>>> = series
        .iter()
        .map(|s| {
            segments(&s.points, spec.step)
                .into_iter()
                .map(|seg| downsample(&seg, spec.start, spec.end, spec.width))
                .collect()
        })
        .collect();
    let (y_min, y_max) = y_range(&lines, spec.kind);

    let mut builder = ChartBuilder::on(&plot);
    builder
        .margin(8)
        .margin_right(16)
        .x_label_area_size(28)
        .y_label_area_size(64);
    if !spec.title.is_empty() {
        builder.caption(&spec.title, (FAMILY, 15));
    }
    let ticks = time_ticks(spec.start, spec.end, (spec.width / 140).max(2));
    let mut chart = builder
        .build_cartesian_2d((spec.start..spec.end).with_key_points(ticks), y_min..y_max)
        .map_err(draw_error)?;
    let unit = spec.unit;
    let x_fmt = move |x: &i64| format_time(*x, span);
    let y_fmt = move |y: &f64| unit.format(*y);
    chart
        .configure_mesh()
        .y_labels(((spec.height / 60).max(2)) as usize)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style((FAMILY, 11).into_font().color(&RGBColor(90, 90, 90)))
        .light_line_style(WHITE)
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(draw_error)?;

    let baseline = if y_min > 0.0 { y_min } else { 0.0_f64.min(y_max) };
    for (i, segs) in lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        for seg in segs {
            let coords = seg.iter().map(|p| (p.t, p.v));
            match spec.kind {
                ChartKind::Line if seg.len() == 1 => {
                    chart
                        .draw_series(coords.map(|c| Circle::new(c, 2, color.filled())))
                        .map_err(draw_error)?;
                }
                ChartKind::Line => {
                    chart
                        .draw_series(LineSeries::new(coords, color.stroke_width(2)))
                        .map_err(draw_error)?;
                }
                ChartKind::Area => {
                    chart
                        .draw_series(
                            AreaSeries::new(coords, baseline, color.mix(0.25))
                                .border_style(color.stroke_width(2)),
                        )
                        .map_err(draw_error)?;
                }
            }
        }
    }

    // Oldest first, a label only where it does not run into the last one.
    let mut markers: Vec<&Marker> = spec
        .markers
        .iter()
        .filter(|m| m.t >= spec.start && m.t <= spec.end)
        .collect();
    markers.sort_by_key(|m| m.t);
    let label_gap = span * 90 / i64::from(spec.width.max(1));
    let mut last_label = i64::MIN;
    for m in markers {
        let color = if m.bad {
            RGBColor(214, 39, 40)
        } else {
            RGBColor(90, 90, 90)
        };
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(m.t, y_min), (m.t, y_max)],
                color.mix(0.6).stroke_width(1),
            )))
            .map_err(draw_error)?;
        if last_label == i64::MIN || m.t - last_label >= label_gap {
            last_label = m.t;
            chart
                .draw_series(std::iter::once(Text::new(
                    m.label.chars().take(24).collect::<String>(),
                    (m.t, y_max),
                    (FAMILY, 10).into_font().color(&color),
                )))
                .map_err(draw_error)?;
        }
    }

    if series.iter().all(|s| s.points.is_empty()) {
        let (w, h) = plot.dim_in_pixel();
        plot.draw(&Text::new(
            "No data",
            (w as i32 / 2 - 28, h as i32 / 2 - 8),
            (FAMILY, 16).into_font().color(&RGBColor(120, 120, 120)),
        ))
        .map_err(draw_error)?;
    }

    draw_legend(&legend, &names, spec.width)?;
    Ok(())
}

fn y_range(lines: &[Vec<Vec<Point>>], kind: ChartKind) -> (f64, f64) {
    let mut lo = f64::INFINITY;
    let mut hi = f64::NEG_INFINITY;
    for p in lines.iter().flatten().flatten() {
        lo = lo.min(p.v);
        hi = hi.max(p.v);
    }
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if kind == ChartKind::Area || lo >= 0.0 {
        lo = lo.min(0.0);
    }
    if (hi - lo).abs() < f64::EPSILON {
        let pad = if hi == 0.0 { 1.0 } else { hi.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (if lo == 0.0 { 0.0 } else { lo - pad }, hi + pad)
}

/// Legend entries per row: about 7 px a character at 11 px, 30 px for the
/// swatch and spacing, wrapped at the width.
fn legend_layout(names: &[String], width: u32) -> Vec<Vec<usize>> {
    let mut rows: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 8u32;
    for (i, name) in names.iter().enumerate().take(MAX_LEGEND) {
        let w = 30 + 7 * name.chars().count().min(90) as u32;
        if used + w > width && !rows.last().is_some_and(Vec::is_empty) {
            rows.push(Vec::new());
            used = 8;
        }
        rows.last_mut().expect("a row").push(i);
        used += w;
    }
    if names.len() > MAX_LEGEND {
        rows.push(Vec::new());
    }
    if names.is_empty() {
        rows.clear();
    }
    rows
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    names: &[String],
    width: u32,
) -> Result<(), ChartError>
where
    DB::ErrorType: 'static,
{
    let font = (FAMILY, 11).into_font().color(&RGBColor(60, 60, 60));
    for (row, entries) in legend_layout(names, width).iter().enumerate() {
        let y = 4 + row as i32 * 18;
        let mut x = 8i32;
        if entries.is_empty() {
            area.draw(&Text::new(
                format!("and {} more series", names.len() - MAX_LEGEND),
                (x, y),
                font.clone(),
            ))
            .map_err(draw_error)?;
        }
        for &i in entries {
            let color = PALETTE[i % PALETTE.len()];
            area.draw(&Rectangle::new([(x, y + 3), (x + 14, y + 9)], color.filled()))
                .map_err(draw_error)?;
            let name: String = names[i].chars().take(90).collect();
            let w = 30 + 7 * name.chars().count() as i32;
            area.draw(&Text::new(name, (x + 20, y), font.clone()))
                .map_err(draw_error)?;
            x += w;
        }
    }
    Ok(())
}

/// The series as CSV: `time,unix_ms,series,value`, one row per point, the
/// time in RFC 3339 (UTC); a missing value is an empty field.
pub fn csv(spec: &ChartSpec, series: &[Series]) -> String {
    csv_stack(&[(spec, series)])
}

/// Several charts' series as one CSV; with more than one chart, a first
/// column `panel` names each row's chart (its title, else its query).
pub fn csv_stack(charts: &[(&ChartSpec, &[Series])]) -> String {
    let many = charts.len() > 1;
    let mut out = String::from(if many {
        "panel,time,unix_ms,series,value\n"
    } else {
        "time,unix_ms,series,value\n"
    });
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    for (spec, series) in charts {
        let panel = if many {
            format!(
                "{},",
                quote(if spec.title.is_empty() {
                    &spec.query
                } else {
                    &spec.title
                })
            )
        } else {
            String::new()
        };
        let names = legend_names(series, &spec.query);
        for (s, name) in series.iter().zip(&names) {
            let quoted = quote(name);
            for p in &s.points {
                let time = jiff::Timestamp::from_millisecond(p.t)
                    .map(|t| t.to_string())
                    .unwrap_or_default();
                let value = if p.v.is_finite() {
                    p.v.to_string()
                } else {
                    String::new()
                };
                out.push_str(&format!("{panel}{time},{},{quoted},{value}\n", p.t));
            }
        }
    }
    out
}

fn json_value(spec: &ChartSpec, series: &[Series]) -> serde_json::Value {
    let names = legend_names(series, &spec.query);
    let items: Vec<serde_json::Value> = series
        .iter()
        .zip(&names)
        .map(|(s, name)| {
            serde_json::json!({
                "name": name,
                "labels": s.labels,
                "points": s.points.iter().map(|p| serde_json::json!([p.t, if p.v.is_finite() { Some(p.v) } else { None }])).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({
        "title": spec.title,
        "query": spec.query,
        "start": spec.start,
        "end": spec.end,
        "step": spec.step,
        "series": items,
    })
}

/// The series as JSON: `{"title","query","start","end","step","series":[{"name","labels","points":[[ms, value|null]]}]}`.
pub fn json(spec: &ChartSpec, series: &[Series]) -> String {
    serde_json::to_string_pretty(&json_value(spec, series)).unwrap_or_default()
}

/// Several charts as JSON: `{"panels": [<each as json>]}`.
pub fn json_stack(charts: &[(&ChartSpec, &[Series])]) -> String {
    let panels: Vec<serde_json::Value> = charts.iter().map(|(s, series)| json_value(s, series)).collect();
    serde_json::to_string_pretty(&serde_json::json!({ "panels": panels })).unwrap_or_default()
}

/// The formats [`write`] knows, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A PNG image.
    Png,
    /// An SVG image.
    Svg,
    /// CSV data.
    Csv,
    /// JSON data.
    Json,
}

impl Format {
    /// The format a file name asks for.
    pub fn of(path: &Path) -> Result<Format, ChartError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("png") => Ok(Format::Png),
            Some("svg") => Ok(Format::Svg),
            Some("csv") => Ok(Format::Csv),
            Some("json") => Ok(Format::Json),
            _ => Err(ChartError::Format(path.display().to_string())),
        }
    }
}

/// Writes the chart (or its data) to `path`, in the format its name ends
/// with. The file appears whole or not at all.
pub fn write(spec: &ChartSpec, series: &[Series], path: &Path) -> Result<Format, ChartError> {
    write_stack(&[(spec, series)], path)
}

/// Writes charts stacked (a dashboard) to `path`: one image, or all their
/// data in one CSV or JSON file. Whole or not at all.
pub fn write_stack(charts: &[(&ChartSpec, &[Series])], path: &Path) -> Result<Format, ChartError> {
    let format = Format::of(path)?;
    // A size that cannot be drawn is the caller's to fix, not a write error.
    stack_size(charts)?;
    let text = match format {
        Format::Png => None,
        Format::Svg => Some(svg_stack(charts)?),
        Format::Csv => Some(csv_stack(charts)),
        Format::Json if charts.len() == 1 => Some(json(charts[0].0, charts[0].1)),
        Format::Json => Some(json_stack(charts)),
    };
    write_whole(path, |tmp| match text {
        Some(t) => std::fs::write(tmp, t).map_err(|e| e.to_string()),
        None => png_stack(charts, tmp).map_err(|e| e.to_string()),
    })?;
    Ok(format)
}

/// Writes `path` whole or not at all: `fill` writes a temporary file beside
/// it, which then takes its place.
pub(crate) fn write_whole(
    path: &Path,
    fill: impl FnOnce(&Path) -> Result<(), String>,
) -> Result<(), ChartError> {
    let cannot = |reason: String| ChartError::Write {
        path: path.display().to_string(),
        reason,
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let tmp = tempfile::Builder::new()
        .prefix(".switchyard-")
        .suffix(&format!(
            ".{}",
            path.extension().and_then(|e| e.to_str()).unwrap_or("tmp")
        ))
        .tempfile_in(dir)
        .map_err(|e| cannot(e.to_string()))?;
    fill(tmp.path()).map_err(cannot)?;
    tmp.persist(path).map_err(|e| cannot(e.error.to_string()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(v: &[(i64, f64)]) -> Vec<Point> {
        v.iter().map(|&(t, v)| Point { t, v }).collect()
    }

    #[test]
    fn a_missing_step_or_nan_splits_the_line() {
        let p = pts(&[
            (0, 1.0),
            (10, 2.0),
            (40, 3.0),
            (50, f64::NAN),
            (60, 4.0),
            (70, 5.0),
        ]);
        let s = segments(&p, 10);
        let lens: Vec<usize> = s.iter().map(Vec::len).collect();
        assert_eq!(lens, vec![2, 1, 2]);
    }

    #[test]
    fn downsampling_keeps_a_one_sample_spike() {
        let mut p: Vec<Point> = (0..10_000).map(|i| Point { t: i, v: 1.0 }).collect();
        p[5_001].v = 100.0;
        p[7_003].v = -50.0;
        let d = downsample(&p, 0, 9_999, 100);
        assert!(d.len() <= 200, "{} points", d.len());
        assert!(d.iter().any(|q| q.v == 100.0));
        assert!(d.iter().any(|q| q.v == -50.0));
        assert!(d.windows(2).all(|w| w[0].t < w[1].t), "time order kept");
    }

    #[test]
    fn time_ticks_fall_on_round_times() {
        // An hour from 12:03:20 UTC: ticks every 10 minutes, on the minute.
        let start = 1_700_000_000_000;
        let ticks = time_ticks(start, start + 3_600_000, 8);
        assert!((4..=8).contains(&ticks.len()), "{ticks:?}");
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == ticks[1] - ticks[0]));
        assert!(ticks.iter().all(|t| t % 60_000 == 0), "{ticks:?}");
        assert!(ticks[0] >= start && *ticks.last().unwrap() <= start + 3_600_000);
    }

    #[test]
    fn units_read_like_a_person_writes_them() {
        assert_eq!(Unit::Si.format(1500.0), "1.5k");
        assert_eq!(Unit::Si.format(0.25), "250m");
        assert_eq!(Unit::Si.format(0.0), "0");
        assert_eq!(Unit::Percent.format(0.125), "12.5%");
        assert_eq!(Unit::Bytes.format(3.0 * 1024.0 * 1024.0), "3 MiB");
        assert_eq!(Unit::Seconds.format(0.25), "250 ms");
        assert_eq!(Unit::Seconds.format(2.0), "2 s");
    }

    #[test]
    fn csv_quotes_series_names() {
        let s = vec![Series {
            labels: [("job".to_string(), "a,\"b\"".to_string())].into(),
            points: pts(&[(1_000, 1.5), (2_000, f64::NAN)]),
        }];
        let spec = ChartSpec {
            title: String::new(),
            query: "q".into(),
            unit: Unit::Si,
            kind: ChartKind::Line,
            start: 0,
            end: 2_000,
            step: 1_000,
            width: 200,
            height: 100,
            markers: vec![],
        };
        let text = csv(&spec, &s);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[1],
            "1970-01-01T00:00:01Z,1000,\"{job=\"\"a,\"\"b\"\"\"\"}\",1.5"
        );
        assert!(lines[2].ends_with(','), "a missing value is empty: {}", lines[2]);
    }
}
