//! The client and live series against a real Prometheus, and against
//! servers that misbehave.

use std::time::Duration;

use switchyard_monitoring::live::LiveQuery;
use switchyard_monitoring::prometheus::{Client, Credential, Endpoint, PromError};

use crate::harness::{FakeServer, Prometheus};

fn client(url: &str) -> Client {
    client_with(url, Credential::None, Duration::from_secs(5))
}

fn client_with(url: &str, credential: Credential, timeout: Duration) -> Client {
    Client::new(Endpoint {
        name: "test".into(),
        url: url.parse().expect("a URL"),
        credential,
        ca_file: None,
        insecure_skip_tls_verify: false,
        timeout,
    })
    .expect("a client")
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

#[tokio::test]
async fn after_the_first_window_a_live_query_fetches_only_new_steps() {
    let prom = Prometheus::start();
    prom.exporter.set("shop_requests{app=\"shop\"}", 1.0);
    prom.wait_for_data("shop_requests", 30);
    // The window ends on a whole step: let the first scrape fall before one.
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let c = client(&prom.url);
    let mut live = LiveQuery::new("shop_requests", 60_000, 1_000);

    let first = live.poll(&c, now_ms()).await.expect("first poll");
    let (start1, end1) = first.fetched.expect("the whole window");
    assert_eq!(end1 - start1, 60_000, "the first poll asks for the whole window");
    assert!(first.points >= 1, "data came back: {first:?}");

    prom.exporter.set("shop_requests{app=\"shop\"}", 7.0);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let second = live.poll(&c, now_ms()).await.expect("second poll");
    let (start2, end2) = second.fetched.expect("new steps");
    assert_eq!(start2, end1 + 1_000, "it starts one step after the last fetch");
    assert!(end2 - start2 <= 5_000, "only the new steps: {start2}..{end2}");
    assert!(
        (2..=6).contains(&second.points),
        "a few new points, not the window again: {second:?}"
    );

    let series = live.series();
    assert_eq!(series.len(), 1);
    let points = &series[0].points;
    assert!(
        points.windows(2).all(|w| w[1].t - w[0].t == 1_000),
        "one point per step, no duplicates"
    );
    assert_eq!(points.last().map(|p| p.v), Some(7.0), "the new value arrived");
}

#[tokio::test]
async fn a_promql_error_carries_prometheus_own_message() {
    let prom = Prometheus::start();
    let err = client(&prom.url)
        .query_range("rate(shop_requests[5m]", now_ms() - 60_000, now_ms(), 1_000)
        .await
        .expect_err("a bad query");
    match &err {
        PromError::Query { error_type, message } => {
            assert_eq!(error_type, "bad_data");
            assert!(message.contains("parse error"), "Prometheus' words: {message}");
        }
        other => panic!("expected a query error, got {other:?}"),
    }
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn prometheus_killed_mid_poll_is_an_unavailable_source_not_a_crash() {
    let mut prom = Prometheus::start();
    prom.wait_for_data("switchyard_test_up", 30);
    let c = client(&prom.url);
    let mut live = LiveQuery::new("switchyard_test_up", 60_000, 1_000);
    live.poll(&c, now_ms()).await.expect("first poll");
    let held = live.point_count();
    prom.kill();
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let err = live.poll(&c, now_ms()).await.expect_err("the source is gone");
    assert!(err.is_unavailable() && err.is_retryable(), "{err:?}");
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert_eq!(live.point_count(), held, "what was fetched is kept");
}

#[tokio::test]
async fn a_malformed_answer_is_named_as_not_prometheus() {
    let server = FakeServer::start(|_, _| (200, "<html>hello</html>".into(), Duration::ZERO));
    let err = client(&server.url)
        .build_info()
        .await
        .expect_err("not Prometheus");
    assert!(matches!(err, PromError::NotPrometheus { .. }), "{err:?}");
    assert!(err.to_string().contains("not JSON"), "{err}");

    let truncated = FakeServer::start(|_, _| {
        (200, "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":{},\"values\":[[1,".into(), Duration::ZERO)
    });
    let err = client(&truncated.url)
        .query_range("up", 0, 1_000, 1_000)
        .await
        .expect_err("a cut-off answer");
    assert!(matches!(err, PromError::NotPrometheus { .. }), "{err:?}");
}

#[tokio::test]
async fn a_slow_source_times_out_with_advice() {
    let server = FakeServer::start(|_, _| (200, "{}".into(), Duration::from_secs(4)));
    let c = client_with(&server.url, Credential::None, Duration::from_secs(1));
    let started = std::time::Instant::now();
    let err = c.build_info().await.expect_err("too slow");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "it gave up at the limit"
    );
    assert!(matches!(err, PromError::TimedOut { secs: 1, .. }), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_bearer_token_is_sent_and_a_refusal_is_explained() {
    let server = FakeServer::start(|_, headers| {
        if headers.get("authorization").map(String::as_str) == Some("Bearer s3cr3t-t0ken") {
            (
                200,
                r#"{"status":"success","data":{"version":"9.9.9"}}"#.into(),
                Duration::ZERO,
            )
        } else {
            (401, "unauthorized".into(), Duration::ZERO)
        }
    });
    let good = client_with(
        &server.url,
        Credential::Bearer("s3cr3t-t0ken".to_string().into()),
        Duration::from_secs(5),
    );
    assert_eq!(good.build_info().await.expect("accepted").version, "9.9.9");
    let bad = client_with(
        &server.url,
        Credential::Bearer("wrong".to_string().into()),
        Duration::from_secs(5),
    );
    let err = bad.build_info().await.expect_err("refused");
    assert!(
        matches!(err, PromError::Unauthorized { status: 401, .. }),
        "{err:?}"
    );
    assert!(
        !err.to_string().contains("wrong"),
        "the token never appears in messages: {err}"
    );
}
