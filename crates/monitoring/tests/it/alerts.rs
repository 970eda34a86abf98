//! Each kind of alert rule fires and resolves on data a real Prometheus
//! scraped from values this test set, evaluated as the app does.

use std::time::Duration;

use switchyard_engine::{Engine, EngineConfig, Home};

use crate::harness::Prometheus;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

async fn engine(dir: &std::path::Path, prom: &Prometheus, rules: &str) -> Engine {
    std::fs::write(
        dir.join("config.toml"),
        format!("[sources.local]\nurl = \"{}\"\n\n{rules}", prom.url),
    )
    .unwrap();
    Engine::open(EngineConfig::new(Home::at(dir.to_path_buf())))
        .await
        .unwrap()
}

async fn state(engine: &Engine, rule: &str) -> String {
    switchyard_monitoring::alerts::evaluate(engine, now_ms())
        .await
        .unwrap();
    engine
        .alerts_view(100)
        .await
        .unwrap()
        .alerts
        .into_iter()
        .find(|a| a.rule == rule)
        .map_or("inactive".into(), |a| a.state)
}

/// Sets `series` to each value in turn, a second apart (one scrape each).
async fn feed(prom: &Prometheus, series: &str, values: impl IntoIterator<Item = f64>) {
    for v in values {
        prom.exporter.set(series, v);
        tokio::time::sleep(Duration::from_millis(1_050)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anomaly_rate_and_prediction_rules_fire_and_resolve_on_scraped_data() {
    let prom = Prometheus::start();
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(
        dir.path(),
        &prom,
        r#"
[alerts.rules.latency-odd]
query = "latency_seconds"
kind = "anomaly"
sensitivity = 4
window = "30s"

[alerts.rules.queue-growing]
query = "queue_total"
kind = "rate_of_change"
op = "above"
value = 3
window = "8s"

[alerts.rules.disk-filling]
query = "disk_used_ratio"
kind = "prediction"
op = "above"
value = 1
horizon = "60s"
window = "12s"
"#,
    )
    .await;
    // A calm, slightly noisy latency, a flat queue, a disk at half.
    let calm = [0.20, 0.21, 0.19, 0.20, 0.22, 0.20, 0.19, 0.21, 0.20, 0.20];
    prom.exporter.set("queue_total", 100.0);
    prom.exporter.set("disk_used_ratio", 0.5);
    prom.exporter.set("latency_seconds", 0.2);
    prom.wait_for_data("latency_seconds", 30);
    feed(&prom, "latency_seconds", calm).await;
    assert_eq!(
        state(&engine, "latency-odd").await,
        "inactive",
        "noise is no anomaly"
    );
    assert_eq!(state(&engine, "queue-growing").await, "inactive");
    assert_eq!(state(&engine, "disk-filling").await, "inactive");

    // A latency spike; the queue grows 10 a second; the disk 2% a second
    // (at that pace it is full within the minute's horizon).
    prom.exporter.set("latency_seconds", 2.5);
    for i in 1..=6 {
        prom.exporter.set("queue_total", 100.0 + 10.0 * f64::from(i));
        prom.exporter.set("disk_used_ratio", 0.5 + 0.02 * f64::from(i));
        tokio::time::sleep(Duration::from_millis(1_050)).await;
    }
    assert_eq!(state(&engine, "latency-odd").await, "firing");
    assert_eq!(state(&engine, "queue-growing").await, "firing");
    assert_eq!(state(&engine, "disk-filling").await, "firing");

    // Back to normal: the latency calm, the queue and the disk flat for
    // longer than their windows.
    feed(&prom, "latency_seconds", [0.20; 13]).await;
    assert_eq!(state(&engine, "latency-odd").await, "resolved");
    assert_eq!(state(&engine, "queue-growing").await, "resolved");
    assert_eq!(state(&engine, "disk-filling").await, "resolved");
}
