//! Evaluating the alert rules of config.toml: each rule's query over its
//! window from its source, each series one alert, its new state recorded in
//! the history (where the engine groups firing alerts into incidents).
//!
//! Both front ends call [`evaluate`]: `switchyard alerts` once, the desktop
//! app every `[alerts] evaluate_every_secs`. A source that cannot be read
//! makes that rule's alerts `unknown`; it never resolves them.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use switchyard_engine::alerts::{AlertOutcome, AlertRecord, AlertState, AlertUpdate, EventRule, Rule};
use switchyard_engine::{Engine, EngineError};

use crate::prometheus::Client;
use crate::rules::{AlertTracker, Verdict, breach_started, evaluate as verdict_of};

/// What one evaluation round did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evaluation {
    /// Rules evaluated.
    pub rules: usize,
    /// Series looked at.
    pub series: usize,
    /// Rules whose source could not be read, with why.
    pub unreadable: Vec<(String, String)>,
    /// Alerts whose state changed, and incidents opened and resolved.
    #[serde(skip)]
    pub outcome: AlertOutcome,
    /// Webhook deliveries of opened and resolved incidents.
    pub deliveries: Vec<crate::webhooks::Delivery>,
}

/// The step a rule's window is read at: about 240 points, at least 1 s.
fn step_for(window_ms: i64) -> i64 {
    crate::live::choose_step(window_ms, 240, 1_000)
}

/// One rule's alerts from its series (or from the failure to read them).
fn updates_for(
    rule: &Rule,
    fetched: Result<Vec<crate::prometheus::Series>, String>,
    known: &[&AlertRecord],
    now: i64,
) -> (Vec<AlertUpdate>, usize) {
    let mut updates = Vec::new();
    let update = |labels: BTreeMap<String, String>, state: AlertState| AlertUpdate {
        rule: rule.name.clone(),
        labels,
        severity: rule.severity,
        state,
    };
    match fetched {
        Err(_) => {
            for r in known {
                let mut t = AlertTracker {
                    for_ms: rule.for_ms,
                    state: r.state,
                };
                t.observe(None, now);
                updates.push(update(r.labels.clone(), t.state));
            }
            (updates, 0)
        }
        Ok(series) => {
            let count = series.len();
            let mut seen = Vec::new();
            for s in series {
                let mut labels = s.labels.clone();
                for (k, v) in &rule.labels {
                    labels.insert(k.clone(), v.clone());
                }
                let before = known
                    .iter()
                    .find(|r| r.labels == labels)
                    .map_or(AlertState::Inactive, |r| r.state);
                let mut t = AlertTracker {
                    for_ms: rule.for_ms,
                    state: before,
                };
                let verdict = verdict_of(&rule.kind, &s.points);
                let started = breach_started(&rule.kind, &s.points).unwrap_or(now);
                t.observe_since(Some(verdict), now, started);
                seen.push(labels.clone());
                updates.push(update(labels, t.state));
            }
            // A series that is gone no longer breaches: it resolves (as in
            // Prometheus), unless it was never more than pending.
            for r in known.iter().filter(|r| !seen.contains(&r.labels)) {
                let mut t = AlertTracker {
                    for_ms: rule.for_ms,
                    state: r.state,
                };
                t.observe(Some(Verdict::Fine(f64::NAN)), now);
                updates.push(update(r.labels.clone(), t.state));
            }
            (updates, count)
        }
    }
}

/// Evaluates every rule at `now` (ms), concurrently, and records the result.
pub async fn evaluate(engine: &Engine, now: i64) -> Result<Evaluation, EngineError> {
    let config = engine.config();
    let rules: Vec<Rule> = config
        .alerts
        .rules
        .iter()
        .filter_map(|(name, r)| r.rule(name).ok())
        .collect();
    if rules.is_empty() {
        return Ok(Evaluation::default());
    }
    let records = engine.alert_records().await?;
    let mut clients: HashMap<Option<String>, Result<Client, String>> = HashMap::new();
    for rule in rules.iter().filter(|r| r.event.is_none()) {
        if !clients.contains_key(&rule.source) {
            let client = crate::sources::client(engine, rule.source.as_deref())
                .await
                .map_err(|e| e.to_string());
            clients.insert(rule.source.clone(), client);
        }
    }
    let failing = if rules
        .iter()
        .any(|r| r.event == Some(EventRule::RunFailedOnDefaultBranch))
    {
        Some(engine.attention().await?.failing)
    } else {
        None
    };
    let rolled_back = if rules
        .iter()
        .any(|r| r.event == Some(EventRule::DeploymentRolledBack))
    {
        Some(engine.rolled_back_deployments().await?)
    } else {
        None
    };
    let fetches = rules.iter().map(|rule| {
        let client = clients.get(&rule.source).cloned();
        let failing = failing.clone();
        let rolled_back = rolled_back.clone();
        async move {
            if let Some(EventRule::DeploymentRolledBack) = rule.event {
                // One series per app and environment whose latest deployment went wrong.
                return Ok(rolled_back
                    .unwrap_or_default()
                    .into_iter()
                    .map(|d| crate::prometheus::Series {
                        labels: BTreeMap::from([
                            ("app".to_string(), d.app.clone()),
                            ("environment".to_string(), d.environment.clone()),
                            ("deployment".to_string(), d.id.to_string()),
                        ]),
                        points: vec![crate::prometheus::Point { t: now, v: 1.0 }],
                    })
                    .collect());
            }
            if let Some(EventRule::RunFailedOnDefaultBranch) = rule.event {
                // One series per failing project, valued 1 at its failed run.
                return Ok(failing
                    .unwrap_or_default()
                    .into_iter()
                    .map(|run| crate::prometheus::Series {
                        labels: BTreeMap::from([
                            ("project".to_string(), run.project.clone()),
                            ("branch".to_string(), run.branch.clone().unwrap_or_default()),
                        ]),
                        points: vec![crate::prometheus::Point { t: now, v: 1.0 }],
                    })
                    .collect());
            }
            // The window ends now (not on a whole step): the newest point
            // is the freshest value Prometheus has.
            let step = step_for(rule.window_ms);
            match client {
                Some(Ok(c)) => c
                    .query_range(&rule.query, now - rule.window_ms, now, step)
                    .await
                    .map_err(|e| e.to_string()),
                Some(Err(e)) => Err(e),
                None => Err("no source".to_string()),
            }
        }
    });
    let results = futures::future::join_all(fetches).await;
    let mut evaluation = Evaluation {
        rules: rules.len(),
        ..Default::default()
    };
    let mut updates = Vec::new();
    for (rule, fetched) in rules.iter().zip(results) {
        if let Err(e) = &fetched {
            tracing::warn!(rule = %rule.name, error = %e, "alert rule's source cannot be read");
            evaluation.unreadable.push((rule.name.clone(), e.clone()));
        }
        let known: Vec<&AlertRecord> = records.iter().filter(|r| r.rule == rule.name).collect();
        let (u, series) = updates_for(rule, fetched, &known, now);
        evaluation.series += series;
        updates.extend(u);
    }
    evaluation.outcome = engine.record_alerts(updates, now).await?;
    // Chat: incidents that opened needing attention, and those resolved.
    let o = &evaluation.outcome;
    let anything = !o.opened.is_empty() || !o.resolved.is_empty();
    if anything && !config.webhooks.is_empty() {
        let view = engine.alerts_view(1000).await?;
        let told = o
            .opened
            .iter()
            .filter(|id| view.incidents.iter().any(|i| i.id == **id && i.needs_attention))
            .map(|id| (*id, false))
            .chain(o.resolved.iter().map(|id| (*id, true)));
        for (id, resolved) in told.collect::<Vec<_>>() {
            if let Some(n) = switchyard_engine::alerts::incident_summary(&view, id) {
                let d = crate::webhooks::deliver(engine, &n, resolved, None).await;
                evaluation.deliveries.extend(d);
            }
        }
    }
    Ok(evaluation)
}
