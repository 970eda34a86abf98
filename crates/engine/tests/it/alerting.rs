//! Alert records: incidents group firing alerts by app, target and
//! environment within the group window; missing data never resolves.

use std::collections::BTreeMap;

use switchyard_engine::alerts::{AlertState, AlertUpdate, Severity};

use crate::support::Env;

fn update(rule: &str, labels: &[(&str, &str)], state: AlertState) -> AlertUpdate {
    AlertUpdate {
        rule: rule.into(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        severity: Severity::Warning,
        state,
    }
}

fn firing(since: i64) -> AlertState {
    AlertState::Firing { since, value: 1.0 }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_broken_rollout_is_one_incident_not_twelve() {
    let env = Env::new();
    let engine = env.engine().await;
    let shop = [("app", "shop"), ("environment", "production")];
    // Twelve alerts of one app and environment, firing a minute apart.
    let mut opened = Vec::new();
    for i in 0..12 {
        let pod = format!("api-{i}");
        let mut labels = shop.to_vec();
        labels.push(("pod", pod.as_str()));
        let out = engine
            .record_alerts(
                vec![update("errors", &labels, firing(i * 60_000))],
                1_000_000 + i * 10_000,
            )
            .await
            .unwrap();
        opened.extend(out.opened);
    }
    assert_eq!(opened.len(), 1, "twelve firing alerts, one incident: {opened:?}");
    // Another app is another incident; so is one past the group window.
    let other = engine
        .record_alerts(vec![update("errors", &[("app", "cart")], firing(0))], 1_200_000)
        .await
        .unwrap();
    assert_eq!(other.opened.len(), 1);
    let late = engine
        .record_alerts(
            vec![update(
                "latency",
                &[("app", "shop"), ("environment", "production")],
                firing(0),
            )],
            1_000_000 + 301_000,
        )
        .await
        .unwrap();
    assert_eq!(
        late.opened.len(),
        1,
        "outside the 5-minute window: a new incident"
    );
    let view = engine.alerts_view(100).await.unwrap();
    assert_eq!(view.incidents.len(), 3);
    let first = view.incidents.iter().find(|i| i.id == opened[0]).unwrap();
    assert_eq!(first.alerts.len(), 12);
    assert_eq!(first.key, "app=shop,environment=production");
    assert_eq!(view.firing, 3);
    assert_eq!(engine.incidents_needing_attention().await.unwrap(), 3);
    assert_eq!(
        engine.attention().await.unwrap().incidents,
        3,
        "the tray's rule counts them"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_keeps_an_incident_open_and_only_a_real_evaluation_resolves_it() {
    let env = Env::new();
    let engine = env.engine().await;
    let labels = [("app", "shop")];
    let out = engine
        .record_alerts(vec![update("errors", &labels, firing(0))], 10_000)
        .await
        .unwrap();
    let incident = out.opened[0];
    let out = engine
        .record_alerts(
            vec![update(
                "errors",
                &labels,
                AlertState::Unknown {
                    since: 20_000,
                    firing_since: Some(0),
                },
            )],
            20_000,
        )
        .await
        .unwrap();
    assert!(out.resolved.is_empty(), "missing data resolves nothing");
    let view = engine.alerts_view(10).await.unwrap();
    assert_eq!(view.alerts[0].state, "unknown");
    assert!(view.incidents[0].resolved_at.is_none());
    let out = engine
        .record_alerts(
            vec![update("errors", &labels, AlertState::Resolved { at: 30_000 })],
            30_000,
        )
        .await
        .unwrap();
    assert_eq!(out.resolved, vec![incident]);
    assert_eq!(out.changed, vec![(view.alerts[0].id, "unknown", "resolved")]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silenced_or_acknowledged_incident_asks_no_attention() {
    let env = Env::new();
    let engine = env.engine().await;
    let now = switchyard_engine::store::now_ms();
    let out = engine
        .record_alerts(vec![update("a", &[("app", "x")], firing(now))], now)
        .await
        .unwrap();
    engine
        .record_alerts(vec![update("b", &[("app", "y")], firing(now))], now)
        .await
        .unwrap();
    assert_eq!(engine.incidents_needing_attention().await.unwrap(), 2);
    let alert = engine
        .alerts_view(10)
        .await
        .unwrap()
        .alerts
        .iter()
        .find(|a| a.rule == "a")
        .unwrap()
        .id;
    assert!(engine.silence_alert(alert, now + 3_600_000).await.unwrap());
    assert!(engine.acknowledge_incident(out.opened[0] + 1).await.unwrap());
    assert_eq!(engine.incidents_needing_attention().await.unwrap(), 0);
    assert!(
        engine
            .incident_notification(out.opened[0])
            .await
            .unwrap()
            .is_none()
    );
    assert!(!engine.silence_alert(9_999, now).await.unwrap());
}
