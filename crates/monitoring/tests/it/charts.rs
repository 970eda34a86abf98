//! Charts, checked by reading what they draw: the SVG's lines, points and
//! labels, and the PNG's pixels.

use std::collections::BTreeMap;

use quick_xml::events::Event;
use switchyard_monitoring::chart::{self, ChartKind, ChartSpec, PALETTE, Unit};
use switchyard_monitoring::prometheus::{Client, Credential, Endpoint, Point, Series};

use crate::harness::Prometheus;

/// One `<polyline>`: its stroke colour and how many points it has.
#[derive(Debug)]
struct Line {
    stroke: String,
    points: usize,
}

fn parse_svg(svg: &str) -> (Vec<Line>, Vec<String>) {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut lines = Vec::new();
    let mut texts = Vec::new();
    let mut text: Option<String> = None;
    loop {
        match reader.read_event().expect("the SVG parses") {
            Event::Eof => break,
            Event::Empty(e) | Event::Start(e) if e.local_name().as_ref() == "polyline" => {
                let attr = |name: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == name)
                        .and_then(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok())
                        .map(|v| v.into_owned())
                        .unwrap_or_default()
                };
                lines.push(Line {
                    stroke: attr("stroke").to_ascii_uppercase(),
                    points: attr("points").split_whitespace().count(),
                });
            }
            Event::Start(e) if e.local_name().as_ref() == "text" => text = Some(String::new()),
            Event::Text(t) => {
                if let Some(buf) = text.as_mut() {
                    buf.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(r) => {
                if let Some(buf) = text.as_mut() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => buf.push(c),
                        _ => buf.push_str(quick_xml::escape::resolve_predefined_entity(&r).unwrap_or("")),
                    }
                }
            }
            Event::End(e) if e.local_name().as_ref() == "text" => {
                texts.extend(text.take().map(|t| t.trim().to_string()))
            }
            _ => {}
        }
    }
    (lines, texts)
}

fn hex(i: usize) -> String {
    let c = PALETTE[i];
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

fn spec(start: i64, end: i64, step: i64) -> ChartSpec {
    ChartSpec {
        title: "errors".into(),
        query: "errors_ratio".into(),
        unit: Unit::Percent,
        kind: ChartKind::Line,
        start,
        end,
        step,
        width: 1200,
        height: 400,
        markers: vec![],
    }
}

fn synthetic(series: usize, points: usize, step: i64) -> Vec<Series> {
    (0..series)
        .map(|s| Series {
            labels: BTreeMap::from([
                ("__name__".to_string(), "errors_ratio".to_string()),
                ("job".to_string(), "api".to_string()),
                ("pod".to_string(), format!("api-{s}")),
            ]),
            points: (0..points)
                .map(|i| Point {
                    t: 1_700_000_000_000 + i as i64 * step,
                    v: ((i as f64 / 50.0).sin() + 1.0) / 4.0 + s as f64 * 0.01,
                })
                .collect(),
        })
        .collect()
}

#[test]
fn ten_full_series_are_drawn_one_line_each_down_sampled_to_the_width() {
    let series = synthetic(10, 11_000, 1_000);
    let s = spec(1_700_000_000_000, 1_700_000_000_000 + 10_999 * 1_000, 1_000);
    let svg = chart::svg(&s, &series).expect("an SVG");
    let (lines, texts) = parse_svg(&svg);
    for i in 0..10 {
        let mine: Vec<&Line> = lines.iter().filter(|l| l.stroke == hex(i)).collect();
        assert_eq!(mine.len(), 1, "series {i} is one unbroken line: {lines:?}");
        assert!(
            mine[0].points > 1_000 && mine[0].points <= 2 * 1_200 + 2,
            "series {i} is down-sampled to the pixel width (min and max per column): {} points",
            mine[0].points
        );
    }
    // Legend: only what tells series apart (job is shared).
    assert!(
        texts.iter().any(|t| t == "errors_ratio{pod=\"api-3\"}"),
        "{texts:?}"
    );
    assert!(
        !texts.iter().any(|t| t.contains("job=")),
        "shared labels stay out of the legend"
    );
    // Percent axis and time axis labels.
    assert!(
        texts.iter().any(|t| t.ends_with('%')),
        "percent labels: {texts:?}"
    );
    assert!(
        texts.iter().any(|t| t.len() == 5 && t.as_bytes()[2] == b':'),
        "HH:MM time labels: {texts:?}"
    );
    assert!(texts.iter().any(|t| t == "errors"), "the title");
}

#[test]
fn an_empty_chart_says_no_data() {
    let s = spec(0, 3_600_000, 15_000);
    let svg = chart::svg(&s, &[]).expect("an SVG");
    let (lines, texts) = parse_svg(&svg);
    assert!(
        !lines
            .iter()
            .any(|l| (0..PALETTE.len()).any(|i| l.stroke == hex(i))),
        "no series lines: {lines:?}"
    );
    assert!(texts.iter().any(|t| t == "No data"), "{texts:?}");
}

#[test]
fn a_png_has_the_series_drawn_with_the_embedded_font() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("chart.png");
    let series = synthetic(2, 600, 5_000);
    let s = spec(1_700_000_000_000, 1_700_000_000_000 + 599 * 5_000, 5_000);
    let format = chart::write(&s, &series, &path).expect("a PNG");
    assert_eq!(format, chart::Format::Png);
    let image = image::open(&path).expect("a readable PNG").to_rgb8();
    assert_eq!(image.dimensions(), (1200, 400));
    let count = |c: plotters::style::RGBColor| image.pixels().filter(|p| p.0 == [c.0, c.1, c.2]).count();
    assert!(count(PALETTE[0]) > 500, "the first series is drawn");
    assert!(count(PALETTE[1]) > 500, "the second series is drawn");
    let dark = image.pixels().filter(|p| p.0.iter().all(|&c| c < 120)).count();
    assert!(dark > 200, "there is text (labels, legend): {dark} dark pixels");
}

#[test]
fn csv_and_json_exports_hold_every_point() {
    let dir = tempfile::tempdir().expect("temp dir");
    let series = synthetic(3, 100, 1_000);
    let s = spec(1_700_000_000_000, 1_700_000_099_000, 1_000);
    chart::write(&s, &series, &dir.path().join("a.csv")).expect("csv");
    let csv = std::fs::read_to_string(dir.path().join("a.csv")).expect("read");
    assert_eq!(csv.lines().count(), 1 + 300);
    assert!(csv.starts_with("time,unix_ms,series,value\n2023-11-14T22:13:20Z,1700000000000,"));
    chart::write(&s, &series, &dir.path().join("a.json")).expect("json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("a.json")).expect("read"))
            .expect("JSON");
    assert_eq!(json["series"].as_array().map(Vec::len), Some(3));
    assert_eq!(json["series"][0]["points"].as_array().map(Vec::len), Some(100));
    let err = chart::write(&s, &series, &dir.path().join("a.gif")).expect_err("no GIF");
    assert!(err.to_string().contains(".png, .svg, .csv or .json"), "{err}");
    assert!(!dir.path().join("a.gif").exists());
}

#[tokio::test]
async fn a_gap_in_prometheus_data_is_drawn_as_a_gap() {
    // A gauge every 15 s for ten minutes, nothing for 25 minutes, then ten
    // minutes more: Prometheus' 5-minute lookback still leaves a gap.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let first = now - 55 * 60;
    let mut history = String::from("# TYPE fixture_gauge gauge\n");
    for t in (first..first + 600)
        .step_by(15)
        .chain((first + 35 * 60..first + 45 * 60).step_by(15))
    {
        history.push_str(&format!("fixture_gauge{{app=\"shop\"}} {} {t}\n", (t % 7) as f64));
    }
    history.push_str("# EOF\n");
    let prom = Prometheus::start_with_history(Some(&history));
    let client = Client::new(Endpoint {
        name: "test".into(),
        url: prom.url.parse().expect("url"),
        credential: Credential::None,
        ca_file: None,
        insecure_skip_tls_verify: false,
        timeout: std::time::Duration::from_secs(10),
    })
    .expect("client");
    let (start, end, step) = ((now - 3_600) * 1_000, now * 1_000, 15_000);
    let series = client
        .query_range("fixture_gauge", start, end, step)
        .await
        .unwrap_or_else(|e| panic!("query failed: {e}\n{}", prom.log()));
    assert_eq!(series.len(), 1, "the backfilled series: {series:?}");
    let svg = chart::svg(&spec(start, end, step), &series).expect("svg");
    let (lines, _) = parse_svg(&svg);
    let mine: Vec<&Line> = lines.iter().filter(|l| l.stroke == hex(0)).collect();
    assert_eq!(
        mine.len(),
        2,
        "two lines with a gap between, never one across it: {mine:?}"
    );
}
