//! `switchyard sources` and `switchyard chart` against a real Prometheus
//! (tests/prometheus/harness.rs) and against servers that refuse.

use std::time::Duration;

use crate::harness::{FakeServer, Prometheus};
use crate::secrets::{require_test_keyring, unique};
use crate::support::Sandbox;

#[test]
fn sources_are_added_listed_checked_and_removed() {
    let prom = Prometheus::start();
    let sb = Sandbox::new();
    sb.run(&["sources", "add", "local", "--url", &prom.url, "--default"])
        .expect_code(0)
        .stdout_has("added source local");
    sb.run(&["sources", "add", "dead", "--url", "http://127.0.0.1:9"])
        .expect_code(0);
    let list = sb.run(&["sources", "list", "--json"]).expect_code(0).json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| s["name"].as_str())
        .collect();
    assert_eq!(names, ["dead", "local"], "sorted by name");
    assert_eq!(list[1]["default"], true);
    assert_eq!(list[0]["default"], false);

    let ok = sb
        .run(&["sources", "check", "local", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(ok[0]["ok"], true);
    assert!(
        ok[0]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with('2') || v.starts_with('3')),
        "the server's version: {ok}"
    );
    let all = sb.run(&["sources", "check"]).expect_code(1);
    all.stdout_has("✓ local (Prometheus")
        .stdout_has("✗ dead")
        .stdout_has("cannot reach");

    sb.run(&["sources", "rm", "dead"]).expect_code(0);
    sb.run(&["sources", "rm", "dead"])
        .expect_code(1)
        .stderr_has("no source named dead");
    sb.run(&["sources", "add", "x y", "--url", &prom.url])
        .expect_code(2)
        .stderr_has("not a source name");
    sb.run(&["sources", "add", "bad", "--url", "localhost:9090"])
        .expect_code(2)
        .stderr_has("not a Prometheus URL");
}

#[test]
fn chart_writes_what_prometheus_holds_as_svg_csv_and_png() {
    let prom = Prometheus::start();
    prom.exporter.set("shop_errors{app=\"shop\"}", 2.0);
    prom.wait_for_data("shop_errors", 30);
    std::thread::sleep(Duration::from_millis(2_100));
    let sb = Sandbox::new();
    sb.run(&["sources", "add", "local", "--url", &prom.url, "--default"])
        .expect_code(0);
    // Runs in the window are marked on the chart.
    let ok = sb.project("shop", "jobs:\n  a: {steps: ['true']}\n");
    sb.run(&["run", ok.to_str().unwrap()]).expect_code(0);
    let bad = sb.project("cart", "jobs:\n  a: {steps: ['false']}\n");
    sb.run(&["run", bad.to_str().unwrap()]).expect_code(1);

    let svg = sb.path().join("errors.svg");
    let ran = sb
        .run(&[
            "chart",
            "shop_errors",
            "--range",
            "2m",
            "--out",
            svg.to_str().unwrap(),
            "--json",
        ])
        .expect_code(0)
        .json();
    assert_eq!(ran["series"], 1);
    assert!(ran["points"].as_u64().is_some_and(|n| n >= 2), "{ran}");
    let text = std::fs::read_to_string(&svg).expect("the SVG");
    assert!(
        text.starts_with("<svg") && text.contains("shop_errors"),
        "a chart naming its series"
    );

    let csv = sb.path().join("errors.csv");
    sb.run(&[
        "chart",
        "shop_errors",
        "--range",
        "2m",
        "--step",
        "1s",
        "--out",
        csv.to_str().unwrap(),
    ])
    .expect_code(0)
    .stderr_has("step 1s");
    let rows = std::fs::read_to_string(&csv).expect("the CSV");
    let data: Vec<&str> = rows.lines().skip(1).collect();
    assert!(
        data.len() >= 2 && data.iter().all(|r| r.ends_with(",2")),
        "{rows}"
    );

    let png = sb.path().join("errors.png");
    sb.run(&["chart", "shop_errors", "--out", png.to_str().unwrap()])
        .expect_code(0);
    let bytes = std::fs::read(&png).expect("the PNG");
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
}

#[test]
fn a_bad_query_gets_prometheus_message_and_writes_nothing() {
    let prom = Prometheus::start();
    let sb = Sandbox::new();
    sb.run(&["sources", "add", "local", "--url", &prom.url])
        .expect_code(0);
    let out = sb.path().join("x.svg");
    sb.run(&["chart", "rate(up[5m]", "--out", out.to_str().unwrap()])
        .expect_code(2)
        .stderr_has("parse error");
    assert!(!out.exists(), "no file for a failed chart");
    sb.run(&["chart", "up", "--out", "x.gif"])
        .expect_code(2)
        .stderr_has(".png, .svg, .csv or .json");
    sb.run(&["chart", "up", "--range", "30d", "--step", "1s", "--out", "x.svg"])
        .expect_code(2)
        .stderr_has("at most 11000");
    prom.exporter.remove("switchyard_test_up");
    drop(prom);
    sb.run(&["chart", "up", "--out", out.to_str().unwrap()])
        .expect_code(1)
        .stderr_has("cannot reach Prometheus source `local`");
}

#[test]
fn a_source_token_lives_in_the_keyring_only() {
    require_test_keyring();
    let token = unique("prom-token");
    let expected = format!("Bearer {token}");
    let server = FakeServer::start(move |_, headers| {
        if headers.get("authorization") == Some(&expected) {
            (
                200,
                r#"{"status":"success","data":{"version":"2.99.0"}}"#.into(),
                Duration::ZERO,
            )
        } else {
            (401, "missing or wrong token".into(), Duration::ZERO)
        }
    });
    let sb = Sandbox::new();
    let add = sb
        .run_stdin(
            &[
                "sources",
                "add",
                "secured",
                "--url",
                &server.url,
                "--bearer-token-stdin",
            ],
            &format!("{token}\n"),
        )
        .expect_code(0);
    let check = sb.run(&["sources", "check", "--json"]).expect_code(0);
    assert_eq!(check.json()[0]["version"], "2.99.0");
    let config = std::fs::read_to_string(sb.home.join("config.toml")).expect("config.toml");
    assert!(config.contains("auth = \"bearer\""), "{config}");
    for (what, text) in [
        ("config.toml", &config),
        ("add output", &add.stdout),
        ("check output", &check.stdout),
    ] {
        assert!(!text.contains(&token), "the token leaked into {what}");
    }
    // Without its token the source is refused, with what to do.
    sb.run(&["sources", "add", "secured", "--url", &server.url])
        .expect_code(0);
    sb.run(&["sources", "check", "secured"])
        .expect_code(1)
        .stdout_has("refused the request (HTTP 401)");
}

#[test]
fn alerts_fire_group_into_one_incident_resolve_and_go_unknown_when_the_source_dies() {
    let mut prom = Prometheus::start();
    let labels = "app=\"shop\",environment=\"production\"";
    prom.exporter.set(&format!("shop_errors{{{labels}}}"), 0.2);
    prom.exporter.set(&format!("shop_latency{{{labels}}}"), 2.0);
    prom.exporter.set("cart_errors{app=\"cart\"}", 0.0);
    prom.wait_for_data("shop_latency", 30);
    std::thread::sleep(Duration::from_millis(2_100));
    let sb = Sandbox::new();
    std::fs::create_dir_all(&sb.home).unwrap();
    std::fs::write(
        sb.home.join("config.toml"),
        format!(
            r#"[sources.local]
url = "{}"

[alerts.rules.errors]
query = "shop_errors or cart_errors"
kind = "threshold"
op = "above"
value = 0.1

[alerts.rules.latency]
query = "shop_latency"
kind = "threshold"
op = "above"
value = 1
severity = "critical"

[alerts.rules.slow-burn]
query = "shop_latency"
kind = "threshold"
op = "above"
value = 1.5
for = "1h"
labels = {{ app = "billing" }}
"#,
            prom.url
        ),
    )
    .unwrap();

    let first = sb.run(&["alerts", "--json"]).expect_code(0).json();
    assert_eq!(first["evaluated"]["rules"], 3, "{first}");
    let alerts = first["alerts"].as_array().unwrap();
    let state_of = |v: &serde_json::Value, rule: &str| {
        v["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["rule"] == rule)
            .map(|a| a["state"].as_str().unwrap().to_string())
    };
    assert_eq!(alerts.len(), 3, "cart's healthy series is no alert: {first}");
    assert_eq!(state_of(&first, "errors").as_deref(), Some("firing"));
    assert_eq!(state_of(&first, "latency").as_deref(), Some("firing"));
    assert_eq!(
        state_of(&first, "slow-burn").as_deref(),
        Some("pending"),
        "for = 1h has not passed"
    );
    let incidents = first["incidents"].as_array().unwrap();
    assert_eq!(
        incidents.len(),
        1,
        "two firing alerts of one app and environment are one incident: {first}"
    );
    assert_eq!(incidents[0]["key"], "app=shop,environment=production");
    assert_eq!(incidents[0]["alerts"].as_array().unwrap().len(), 2);
    assert_eq!(first["firing"], 1);
    let errors = alerts.iter().find(|a| a["rule"] == "errors").unwrap();
    assert_eq!(errors["value"], 0.2, "the value that triggered it is recorded");

    // The errors stop: that alert resolves, the incident stays open.
    prom.exporter.set(&format!("shop_errors{{{labels}}}"), 0.0);
    std::thread::sleep(Duration::from_millis(6_000));
    let second = sb.run(&["alerts", "--json"]).expect_code(0).json();
    assert_eq!(
        state_of(&second, "errors").as_deref(),
        Some("resolved"),
        "{second}"
    );
    assert!(second["incidents"][0]["resolved_at"].is_null());

    // Silenced, it asks no one's attention.
    let latency_id = second["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["rule"] == "latency")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    sb.run(&["alerts", "silence", &latency_id.to_string(), "--for", "1h"])
        .expect_code(0);
    let silenced = sb
        .run(&["alerts", "--no-evaluate", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(silenced["firing"], 0, "{silenced}");

    // Prometheus dies: unknown, never resolved.
    prom.kill();
    let blind = sb.run(&["alerts", "--json"]).expect_code(0).json();
    assert_eq!(state_of(&blind, "latency").as_deref(), Some("unknown"), "{blind}");
    assert!(
        blind["incidents"][0]["resolved_at"].is_null(),
        "missing data resolves nothing"
    );
    assert_eq!(blind["evaluated"]["unreadable"].as_array().map(Vec::len), Some(3));
    let text = sb.run(&["alerts", "--no-evaluate"]).expect_code(0);
    text.stdout_has("app=shop,environment=production")
        .stdout_has("unknown");
}

#[test]
fn an_event_rule_fires_while_the_default_branch_fails_and_resolves_when_fixed() {
    let sb = Sandbox::new();
    let dir = sb.project("shop", "jobs:\n  a: {steps: ['test -f ok']}\n");
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q", "-b", "main"]);
    git(&["add", "."]);
    git(&["commit", "-qm", "broken"]);
    std::fs::create_dir_all(&sb.home).unwrap();
    std::fs::write(
        sb.home.join("config.toml"),
        "[alerts.rules.ci]\nkind = \"event\"\nevent = \"run_failed_on_default_branch\"\nseverity = \"critical\"\n",
    )
    .unwrap();
    sb.run(&["run", dir.to_str().unwrap()]).expect_code(1);
    let failing = sb.run(&["alerts", "--json"]).expect_code(0).json();
    let alert = &failing["alerts"][0];
    assert_eq!(alert["state"], "firing", "{failing}");
    assert_eq!(alert["labels"]["project"], "shop");
    assert_eq!(alert["labels"]["branch"], "main");
    assert_eq!(failing["firing"], 1);

    std::fs::write(dir.join("ok"), "").unwrap();
    git(&["add", "."]);
    git(&["commit", "-qm", "fixed"]);
    sb.run(&["run", dir.to_str().unwrap()]).expect_code(0);
    let fixed = sb.run(&["alerts", "--json"]).expect_code(0).json();
    assert_eq!(fixed["alerts"][0]["state"], "resolved", "{fixed}");
    assert!(fixed["incidents"][0]["resolved_at"].is_i64());
    assert_eq!(fixed["firing"], 0);
}

#[test]
fn a_webhook_hears_of_an_incident_with_a_link_back_and_its_address_stays_secret() {
    require_test_keyring();
    let prom = Prometheus::start();
    prom.exporter.set("shop_errors{app=\"shop\"}", 0.5);
    prom.wait_for_data("shop_errors", 30);
    std::thread::sleep(Duration::from_millis(2_100));
    let (chat, received) = FakeServer::recording(200);
    // The address carries a token, as Slack's do.
    let secret = unique("T0KEN");
    let address = format!("{}/services/{secret}", chat.url);
    let sb = Sandbox::new();
    sb.run_stdin(&["webhooks", "add", "ops"], &format!("{address}\n"))
        .expect_code(0);
    sb.run(&["webhooks", "test", "ops"])
        .expect_code(0)
        .stdout_has("sent a test message");
    assert_eq!(received.lock().unwrap().len(), 1);
    let config = format!(
        "{}\n[sources.local]\nurl = \"{}\"\n\n[alerts.rules.errors]\nquery = \"shop_errors\"\nkind = \"threshold\"\nop = \"above\"\nvalue = 0.1\n",
        std::fs::read_to_string(sb.home.join("config.toml")).unwrap(),
        prom.url
    );
    assert!(!config.contains(&secret), "the address is not in config.toml");
    std::fs::write(sb.home.join("config.toml"), config).unwrap();

    let ran = sb.run(&["alerts", "--json"]).expect_code(0);
    let view = ran.json();
    let incident = view["incidents"][0]["id"].as_i64().expect("an incident");
    assert_eq!(view["evaluated"]["deliveries"][0]["ok"], true, "{view}");
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "the test message and the incident");
    let (line, body) = &got[1];
    assert!(line.starts_with(&format!("POST /services/{secret}")), "{line}");
    let message: serde_json::Value = serde_json::from_str(body).expect("JSON");
    let text = message["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Incident #{incident} firing: app=shop")),
        "{text}"
    );
    assert!(
        text.contains(&format!("switchyard://alerts/{incident}")),
        "a link back into the app: {text}"
    );
    assert!(
        message["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .contains("|Open in Switchyard>")
    );
    // Evaluated again with nothing new: no second message.
    sb.run(&["alerts"]).expect_code(0);
    assert_eq!(received.lock().unwrap().len(), 2);
    for out in [&ran.stdout, &ran.stderr] {
        assert!(!out.contains(&secret), "the address never shows");
    }
    // A refusing webhook is reported, not retried forever, and the address stays hidden.
    let (refusing, _) = FakeServer::recording(403);
    sb.run_stdin(
        &["webhooks", "add", "ops"],
        &format!("{}/services/{secret}\n", refusing.url),
    )
    .expect_code(0);
    let failed = sb.run(&["webhooks", "test", "ops"]).expect_code(1);
    failed.stderr_has("HTTP 403");
    assert!(!failed.stderr.contains(&secret));
}

#[test]
fn stats_and_the_report_tell_how_runs_went() {
    let sb = Sandbox::new();
    let ok = sb.project(
        "shop",
        "jobs:\n  build: {steps: [{name: compile, run: 'sleep 0.2'}]}\n",
    );
    let bad = sb.project("cart", "jobs:\n  test: {steps: ['false']}\n");
    sb.run(&["run", ok.to_str().unwrap()]).expect_code(0);
    sb.run(&["run", ok.to_str().unwrap()]).expect_code(0);
    sb.run(&["run", bad.to_str().unwrap()]).expect_code(1);
    let all = sb.run(&["stats", "--json"]).expect_code(0).json();
    assert_eq!(all["runs"], 3);
    assert_eq!(all["succeeded"], 2);
    assert_eq!(all["failed"], 1);
    assert!((all["success_rate"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(all["slowest_steps"][0]["step"], "compile", "{all}");
    assert!(all["slowest_steps"][0]["spread"]["p50_ms"].as_i64().unwrap() >= 200);
    let shop = sb
        .run(&["stats", "shop", "--since", "1d", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(shop["runs"], 2);
    assert_eq!(shop["success_rate"], 1.0);
    sb.run(&["stats", "nope"]).expect_code(2);
    // No deployment recorded in production yet: zeros, not an error.
    let dora = sb
        .run(&["stats", "--env", "production", "--json"])
        .expect_code(0)
        .json();
    assert_eq!(
        (dora["environment"].as_str(), dora["deployments"].as_i64()),
        (Some("production"), Some(0))
    );
    assert!(dora["change_failure_rate"].is_null(), "{dora}");
    sb.run(&["stats", "--env", "production"])
        .expect_code(0)
        .stdout_has("change failure rate: none");
    sb.run(&["stats"])
        .expect_code(0)
        .stdout_has("success rate  66.7%");

    let out = sb.path().join("weekly.html");
    sb.run(&["report", "--out", out.to_str().unwrap()]).expect_code(0);
    let html = std::fs::read_to_string(&out).expect("the report");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(html.matches("<svg").count(), 2, "two inline charts");
    assert!(html.contains("66.7%") && html.contains("compile"));
    for outside in ["<script", "<link", " src=", "href=", "url("] {
        assert!(
            !html.contains(outside),
            "self-contained: no scripts, nothing fetched ({outside})"
        );
    }
}

#[test]
fn a_dashboard_draws_all_its_panels_into_one_file_and_opens_offline() {
    let mut prom = Prometheus::start();
    prom.exporter.set("shop_requests{app=\"shop\"}", 12.0);
    prom.exporter
        .set("shop_memory_bytes{app=\"shop\"}", 3.0 * 1024.0 * 1024.0);
    prom.wait_for_data("shop_memory_bytes", 30);
    std::thread::sleep(Duration::from_millis(2_100));
    let sb = Sandbox::new();
    std::fs::create_dir_all(&sb.home).unwrap();
    std::fs::write(
        sb.home.join("config.toml"),
        format!(
            r#"[sources.local]
url = "{}"

[dashboards.shop]
title = "Shop"
variables = {{ app = "shop" }}

[[dashboards.shop.panels]]
title = "Requests"
query = 'shop_requests{{app="$app"}}'

[[dashboards.shop.panels]]
title = "Memory"
query = 'shop_memory_bytes{{app="$app"}}'
unit = "bytes"
area = true
"#,
            prom.url
        ),
    )
    .unwrap();
    sb.run(&["dashboard"])
        .expect_code(0)
        .stdout_has("shop  Shop (2 panels)");
    let svg = sb.path().join("shop.svg");
    sb.run(&[
        "dashboard",
        "shop",
        "--range",
        "5m",
        "--out",
        svg.to_str().unwrap(),
    ])
    .expect_code(0)
    .stderr_has("2 panels of Shop");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert_eq!(text.matches("<svg").count(), 1, "one image");
    assert!(
        text.contains("Requests") && text.contains("Memory"),
        "both panels' titles"
    );
    assert!(text.contains("MiB"), "the memory panel's unit");
    let json = sb.path().join("shop.json");
    sb.run(&[
        "dashboard",
        "shop",
        "--range",
        "5m",
        "--out",
        json.to_str().unwrap(),
    ])
    .expect_code(0);
    let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(data["panels"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        data["panels"][0]["query"], "shop_requests{app=\"shop\"}",
        "variables filled in"
    );
    let csv = sb.path().join("shop.csv");
    sb.run(&[
        "dashboard",
        "shop",
        "--range",
        "5m",
        "--out",
        csv.to_str().unwrap(),
    ])
    .expect_code(0);
    let rows = std::fs::read_to_string(&csv).unwrap();
    assert!(
        rows.starts_with("panel,time,unix_ms,series,value\n\"Requests\","),
        "{rows}"
    );
    // An app's default dashboard: six panels, drawn even where a metric is missing.
    let png = sb.path().join("default.png");
    sb.run(&[
        "dashboard",
        "--app",
        "shop",
        "--namespace",
        "prod",
        "--out",
        png.to_str().unwrap(),
    ])
    .expect_code(0)
    .stderr_has("6 panels of shop in prod");
    sb.run(&["dashboard", "nope", "--out", "x.svg"])
        .expect_code(2)
        .stderr_has("no dashboard named `nope`");
    // Prometheus gone: the dashboard is drawn from its last snapshot, and says so.
    prom.kill();
    let offline = sb.path().join("offline.json");
    sb.run(&[
        "dashboard",
        "shop",
        "--range",
        "5m",
        "--out",
        offline.to_str().unwrap(),
    ])
    .expect_code(0)
    .stderr_has("drawn from the snapshot taken at");
    let data: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&offline).unwrap()).unwrap();
    assert!(
        data["panels"][1]["series"][0]["points"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "the snapshot holds the data: {data}"
    );
    // A window never drawn has no snapshot: the source's error.
    sb.run(&[
        "dashboard",
        "shop",
        "--range",
        "2h",
        "--out",
        offline.to_str().unwrap(),
    ])
    .expect_code(1)
    .stderr_has("cannot reach Prometheus source `local`");
}
