//! Benchmarks of charts and Prometheus fetches.
//!
//! `cargo bench -p switchyard-monitoring --bench charts` starts a real
//! Prometheus (tests/prometheus/harness.rs) backfilled with 10 series of
//! 11,000 points at 1 s (Prometheus' most per series), then reports the
//! median time to fetch that range (`query_range`) and to draw it as a
//! 1200-pixel SVG, and their ratio (target: drawing under half of the
//! fetch). Measurements to report, not pass/fail tests.

#[path = "../../../tests/prometheus/harness.rs"]
mod harness;

use std::time::{Duration, Instant};

use switchyard_monitoring::chart::{self, ChartKind, ChartSpec, Unit};
use switchyard_monitoring::prometheus::{Client, Credential, Endpoint};

const SERIES: usize = 10;
const POINTS: i64 = 11_000;
const ROUNDS: usize = 7;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// 1,000 rules (the four kinds in turn), each over a 1-hour window of 15 s
/// points, evaluated and tracked: the in-process cost of one evaluation
/// round, without the fetches.
fn rules() {
    use switchyard_monitoring::prometheus::Point;
    use switchyard_monitoring::rules::{AlertTracker, Baseline, Op, RuleKind, evaluate};
    let kinds = [
        RuleKind::Threshold {
            op: Op::Above,
            value: 0.9,
        },
        RuleKind::RateOfChange {
            op: Op::Above,
            per_second: 0.01,
        },
        RuleKind::Anomaly {
            baseline: Baseline::Mad,
            sensitivity: 3.0,
        },
        RuleKind::Prediction {
            op: Op::Above,
            value: 1.0,
            horizon_secs: 3600.0,
        },
    ];
    let windows: Vec<Vec<Point>> = (0..1000)
        .map(|r| {
            (0..240)
                .map(|i| Point {
                    t: i * 15_000,
                    v: ((i + r) as f64 / 20.0).sin() * 0.5 + 0.5,
                })
                .collect()
        })
        .collect();
    let mut trackers: Vec<AlertTracker> = (0..1000).map(|_| AlertTracker::new(60_000)).collect();
    let mut rounds = Vec::new();
    let mut breached = 0;
    for round in 0..ROUNDS {
        let t = Instant::now();
        breached = 0;
        for (i, (w, tracker)) in windows.iter().zip(trackers.iter_mut()).enumerate() {
            let verdict = evaluate(&kinds[i % kinds.len()], w);
            if matches!(verdict, switchyard_monitoring::rules::Verdict::Breached(_)) {
                breached += 1;
            }
            tracker.observe(Some(verdict), round as i64 * 15_000);
        }
        rounds.push(t.elapsed());
    }
    println!(
        "rules  1,000 rules over 240-point windows, evaluated and tracked: median {:?} ({breached} breached)",
        median(rounds)
    );
}

fn main() {
    rules();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    // Old enough to be all history, recent enough for the retention.
    let end = now - 600;
    let start = end - (POINTS - 1);
    let mut history = String::from("# TYPE bench_latency_seconds gauge\n");
    for t in start..=end {
        for s in 0..SERIES {
            let v = ((t as f64 / 300.0 + s as f64).sin() + 1.5) * 0.1;
            history.push_str(&format!("bench_latency_seconds{{pod=\"api-{s}\"}} {v:.6} {t}\n"));
        }
    }
    history.push_str("# EOF\n");
    eprintln!("backfilling {SERIES} × {POINTS} points…");
    let prom = harness::Prometheus::start_with_history(Some(&history));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let client = Client::new(Endpoint {
        name: "bench".into(),
        url: prom.url.parse().expect("url"),
        credential: Credential::None,
        ca_file: None,
        insecure_skip_tls_verify: false,
        timeout: Duration::from_secs(60),
    })
    .expect("client");

    let mut fetches = Vec::new();
    let mut series = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        series = rt
            .block_on(client.query_range("bench_latency_seconds", start * 1000, end * 1000, 1000))
            .unwrap_or_else(|e| panic!("query failed: {e}\n{}", prom.log()));
        fetches.push(t.elapsed());
    }
    let points: usize = series.iter().map(|s| s.points.len()).sum();
    assert_eq!(series.len(), SERIES, "every series came back");
    let spec = ChartSpec {
        title: "latency".into(),
        query: "bench_latency_seconds".into(),
        unit: Unit::Seconds,
        kind: ChartKind::Line,
        start: start * 1000,
        end: end * 1000,
        step: 1000,
        width: 1200,
        height: 400,
        markers: vec![],
    };
    let mut draws = Vec::new();
    let mut bytes = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        bytes = chart::svg(&spec, &series).expect("svg").len();
        draws.push(t.elapsed());
    }
    let (fetch, draw) = (median(fetches), median(draws));
    println!(
        "fetch  {SERIES} series × {} points from the local Prometheus: median {fetch:?}",
        points / SERIES
    );
    println!(
        "draw   the same as a 1200 px SVG ({} KiB): median {draw:?}",
        bytes / 1024
    );
    println!(
        "ratio  draw / fetch = {:.2} (target: under 0.5)",
        draw.as_secs_f64() / fetch.as_secs_f64()
    );
}
