//! Alert rules as configured: what each kind checks (the evaluation itself
//! is in `switchyard-monitoring`, which reads the series), parsed from
//! `[alerts.rules.<name>]` of config.toml in one place, so a rule the file
//! loads is one that can be evaluated.

use std::collections::BTreeMap;

use rusqlite::OptionalExtension as _;
use serde::{Deserialize, Serialize};

use crate::config::AlertRuleConfig;

/// Which side of a bound is bad.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    /// Above the bound.
    Above,
    /// Below the bound.
    Below,
}

impl Op {
    /// Whether `value` is on the bad side of `bound`.
    pub fn breached(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Above => value > bound,
            Op::Below => value < bound,
        }
    }
}

/// How an anomaly's baseline is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The window's median; spread is the median absolute deviation × 1.4826.
    Mad,
    /// An exponentially weighted mean (α = 2 / (n + 1)) and deviation.
    Ewma,
}

/// What a rule checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RuleKind {
    /// The newest value `op` `value`.
    Threshold {
        /// Which side is bad.
        op: Op,
        /// The bound.
        value: f64,
    },
    /// The change per second over the window `op` `per_second`.
    RateOfChange {
        /// Which side is bad.
        op: Op,
        /// The bound, in units per second.
        per_second: f64,
    },
    /// The newest value is more than `sensitivity` deviations from the
    /// baseline of the points before it (either side).
    Anomaly {
        /// How the baseline is kept.
        baseline: Baseline,
        /// How many deviations count as an anomaly (3 is usual).
        sensitivity: f64,
    },
    /// The trend line of the window, `horizon_secs` ahead, `op` `value`.
    Prediction {
        /// Which side is bad.
        op: Op,
        /// The bound.
        value: f64,
        /// How far ahead, in seconds.
        horizon_secs: f64,
    },
}

/// The lifecycle of one alert (a rule on one series):
/// `Inactive -> Pending -> Firing -> Resolved`, and `Unknown` whenever the
/// source cannot be read or has no data.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum AlertState {
    /// The condition does not hold (and never did, or resolved long ago).
    Inactive,
    /// The condition holds, for less than the rule's `for`.
    Pending {
        /// When it started holding (ms).
        since: i64,
        /// The value that breached.
        value: f64,
    },
    /// The condition has held for the rule's `for`: people are told.
    Firing {
        /// When it started holding (ms).
        since: i64,
        /// The latest value that breached.
        value: f64,
    },
    /// It fired and the condition stopped holding.
    Resolved {
        /// When (ms).
        at: i64,
    },
    /// The source could not be read or had no data: no one can say whether
    /// it holds. Never turns into `Resolved` by itself.
    Unknown {
        /// Since when (ms).
        since: i64,
        /// When the alert started firing, if it was firing before.
        firing_since: Option<i64>,
    },
}

impl AlertState {
    /// The state's name as stored and printed.
    pub fn name(&self) -> &'static str {
        match self {
            AlertState::Inactive => "inactive",
            AlertState::Pending { .. } => "pending",
            AlertState::Firing { .. } => "firing",
            AlertState::Resolved { .. } => "resolved",
            AlertState::Unknown { .. } => "unknown",
        }
    }
}

/// How bad an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record.
    Info,
    /// Someone should look.
    Warning,
    /// Someone should look now.
    Critical,
}

impl Severity {
    /// The name as stored and printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// Switchyard's own events a rule can watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventRule {
    /// A project's latest run on a default branch failed (one alert per
    /// project, labelled `project` and `branch`; it resolves when a run there
    /// succeeds): the Overview's "failing" rule.
    RunFailedOnDefaultBranch,
    /// An app's latest deployment to an environment was rolled back or
    /// failed (one alert per app and environment, labelled `app` and
    /// `environment`; it resolves when a later deployment there succeeds).
    DeploymentRolledBack,
}

/// A rule ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Its name.
    pub name: String,
    /// PromQL (empty for an event rule).
    pub query: String,
    /// The event watched instead of a query; its alerts' value is 1 while
    /// the event's condition holds ([`RuleKind::Threshold`] above 0.5).
    pub event: Option<EventRule>,
    /// The source (default: the default source).
    pub source: Option<String>,
    /// What it checks.
    pub kind: RuleKind,
    /// How long it must hold before it fires (ms).
    pub for_ms: i64,
    /// How much history an evaluation looks at (ms).
    pub window_ms: i64,
    /// How bad.
    pub severity: Severity,
    /// Labels added to its alerts.
    pub labels: Vec<(String, String)>,
}

/// The default history an evaluation looks at.
pub const DEFAULT_WINDOW_MS: i64 = 10 * 60_000;

fn duration_ms(what: &str, text: &str) -> Result<i64, String> {
    humantime::parse_duration(text)
        .map(|d| d.as_millis() as i64)
        .map_err(|e| {
            format!("`{what} = \"{text}\"` is not a duration ({e}); write e.g. \"90s\", \"5m\" or \"2h\"")
        })
}

impl AlertRuleConfig {
    /// The rule this configures, or what is wrong with it.
    pub fn rule(&self, name: &str) -> Result<Rule, String> {
        let event = match (self.kind.as_str(), self.event.as_deref()) {
            ("event", Some("run_failed_on_default_branch")) => Some(EventRule::RunFailedOnDefaultBranch),
            ("event", Some("deployment_rolled_back")) => Some(EventRule::DeploymentRolledBack),
            ("event", Some(other)) => {
                return Err(format!(
                    "`event = \"{other}\"` is not an event Switchyard raises: use run_failed_on_default_branch or deployment_rolled_back"
                ));
            }
            ("event", None) => {
                return Err("kind `event` needs `event`, e.g. \"run_failed_on_default_branch\"".into());
            }
            (_, Some(_)) => return Err("has `event`, which only a rule of `kind = \"event\"` takes".into()),
            _ => None,
        };
        if event.is_none() && self.query.trim().is_empty() {
            return Err("needs `query`, the PromQL whose series it watches".into());
        }
        if event.is_some() && !self.query.trim().is_empty() {
            return Err("is an event rule and takes no `query`".into());
        }
        let op = || -> Result<Op, String> {
            match self.op.as_deref() {
                Some("above") => Ok(Op::Above),
                Some("below") => Ok(Op::Below),
                Some(other) => Err(format!("`op = \"{other}\"`: use \"above\" or \"below\"")),
                None => Err(format!(
                    "kind `{}` needs `op` (\"above\" or \"below\")",
                    self.kind
                )),
            }
        };
        let value = || -> Result<f64, String> {
            self.value
                .filter(|v| v.is_finite())
                .ok_or_else(|| format!("kind `{}` needs `value`, a number", self.kind))
        };
        let kind = match self.kind.as_str() {
            "event" => RuleKind::Threshold {
                op: Op::Above,
                value: 0.5,
            },
            "threshold" => RuleKind::Threshold {
                op: op()?,
                value: value()?,
            },
            "rate_of_change" => RuleKind::RateOfChange {
                op: op()?,
                per_second: value()?,
            },
            "anomaly" => RuleKind::Anomaly {
                baseline: match self.baseline.as_deref() {
                    None | Some("mad") => Baseline::Mad,
                    Some("ewma") => Baseline::Ewma,
                    Some(other) => return Err(format!("`baseline = \"{other}\"`: use \"mad\" or \"ewma\"")),
                },
                sensitivity: match self.sensitivity {
                    None => 3.0,
                    Some(s) if s.is_finite() && s > 0.0 => s,
                    Some(s) => {
                        return Err(format!(
                            "`sensitivity = {s}` must be a number above 0 (3 is usual)"
                        ));
                    }
                },
            },
            "prediction" => RuleKind::Prediction {
                op: op()?,
                value: value()?,
                horizon_secs: match &self.horizon {
                    Some(h) => duration_ms("horizon", h)? as f64 / 1000.0,
                    None => {
                        return Err("kind `prediction` needs `horizon`, how far ahead, e.g. \"4h\"".into());
                    }
                },
            },
            "" => return Err("needs `kind`: threshold, rate_of_change, anomaly, prediction or event".into()),
            other => {
                return Err(format!(
                    "`kind = \"{other}\"` is not a rule kind: use threshold, rate_of_change, anomaly, prediction or event"
                ));
            }
        };
        let for_ms = match &self.for_ {
            Some(f) => duration_ms("for", f)?,
            None => 0,
        };
        let window_ms = match &self.window {
            Some(w) => duration_ms("window", w)?,
            None => DEFAULT_WINDOW_MS.max(for_ms * 2),
        };
        if window_ms < 1_000 {
            return Err("`window` must be at least 1s".into());
        }
        let severity = match self.severity.as_deref() {
            None | Some("warning") => Severity::Warning,
            Some("critical") => Severity::Critical,
            Some("info") => Severity::Info,
            Some(other) => return Err(format!("`severity = \"{other}\"`: use critical, warning or info")),
        };
        Ok(Rule {
            name: name.to_string(),
            query: self.query.clone(),
            event,
            source: self.source.clone(),
            kind,
            for_ms,
            window_ms: window_ms.max(for_ms),
            severity,
            labels: self.labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
        })
    }
}

/// One alert's new state, as an evaluation hands it in.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertUpdate {
    /// The rule.
    pub rule: String,
    /// The series' labels with the rule's own.
    pub labels: BTreeMap<String, String>,
    /// How bad.
    pub severity: Severity,
    /// Its state now.
    pub state: AlertState,
}

/// An alert as recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    /// Its id.
    pub id: i64,
    /// The rule.
    pub rule: String,
    /// Its labels.
    pub labels: BTreeMap<String, String>,
    /// Its state.
    pub state: AlertState,
}

/// What recording an evaluation changed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertOutcome {
    /// Alerts whose state changed: (id, from, to).
    pub changed: Vec<(i64, &'static str, &'static str)>,
    /// Incidents that opened.
    pub opened: Vec<i64>,
    /// Incidents that resolved.
    pub resolved: Vec<i64>,
}

/// The labels that group firing alerts into one incident.
pub const INCIDENT_LABELS: &[&str] = &["app", "target", "environment"];

/// The incident key of an alert: its app, target and environment labels;
/// an alert with none of them is grouped by its rule.
pub fn incident_key(rule: &str, labels: &BTreeMap<String, String>) -> String {
    let parts: Vec<String> = INCIDENT_LABELS
        .iter()
        .filter_map(|k| labels.get(*k).map(|v| format!("{k}={v}")))
        .collect();
    if parts.is_empty() {
        format!("rule={rule}")
    } else {
        parts.join(",")
    }
}

fn fingerprint(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).unwrap_or_default()
}

fn state_columns(state: &AlertState) -> (Option<i64>, Option<i64>, Option<f64>) {
    match *state {
        AlertState::Inactive => (None, None, None),
        AlertState::Pending { since, value } => (Some(since), None, Some(value)),
        AlertState::Firing { since, value } => (Some(since), Some(since), Some(value)),
        AlertState::Resolved { at } => (Some(at), None, None),
        AlertState::Unknown { since, firing_since } => (Some(since), firing_since, None),
    }
}

fn state_of(name: &str, since: Option<i64>, firing_since: Option<i64>, value: Option<f64>) -> AlertState {
    match name {
        "pending" => AlertState::Pending {
            since: since.unwrap_or(0),
            value: value.unwrap_or(f64::NAN),
        },
        "firing" => AlertState::Firing {
            since: firing_since.or(since).unwrap_or(0),
            value: value.unwrap_or(f64::NAN),
        },
        "resolved" => AlertState::Resolved {
            at: since.unwrap_or(0),
        },
        "unknown" => AlertState::Unknown {
            since: since.unwrap_or(0),
            firing_since,
        },
        _ => AlertState::Inactive,
    }
}

/// Whether an alert in this state keeps its incident open: firing, or
/// unknown after firing (missing data never resolves anything).
fn holds_incident(state: &AlertState) -> bool {
    matches!(
        state,
        AlertState::Firing { .. }
            | AlertState::Unknown {
                firing_since: Some(_),
                ..
            }
    )
}

/// Whether incident `i` needs attention, as SQL over `incidents i` with the
/// time in `?1`: open, not acknowledged, and an alert of it fires that is
/// not silenced. The one rule the tray, notifications and views follow.
const NEEDS_ATTENTION: &str = "(i.resolved_at IS NULL AND i.acknowledged_at IS NULL AND EXISTS (
        SELECT 1 FROM alerts a WHERE a.incident_id = i.id AND a.state = 'firing'
        AND (a.silenced_until IS NULL OR a.silenced_until <= ?1)))";

/// What to say about an incident (a notification, a chat message): its key
/// and its firing alerts with their values; `None` when there is no such
/// incident in `view`.
pub fn incident_summary(view: &crate::views::AlertsView, id: i64) -> Option<crate::views::Notification> {
    let incident = view.incidents.iter().find(|i| i.id == id)?;
    let firing: Vec<String> = view
        .alerts
        .iter()
        .filter(|a| a.incident_id == Some(id) && a.state == "firing")
        .map(|a| match a.value {
            Some(v) => format!("{} ({})", a.rule, trim_value(v)),
            None => a.rule.clone(),
        })
        .collect();
    let what = if incident.resolved_at.is_some() {
        "resolved"
    } else {
        "firing"
    };
    Some(crate::views::Notification {
        run_id: 0,
        route: format!("/alerts/{id}"),
        summary: format!("Incident #{id} {what}: {}", incident.key.replace(',', ", ")),
        body: if firing.is_empty() {
            "no alert fires any more".to_string()
        } else {
            format!(
                "{} alert{} firing: {}",
                firing.len(),
                if firing.len() == 1 { "" } else { "s" },
                firing.join(", ")
            )
        },
    })
}

fn trim_value(v: f64) -> String {
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn labels_of(text: &str) -> BTreeMap<String, String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn value_or_none(v: Option<f64>) -> Option<f64> {
    v.filter(|x| x.is_finite())
}

impl crate::Engine {
    /// Every alert recorded, with its state (the evaluator's memory).
    pub async fn alert_records(&self) -> Result<Vec<AlertRecord>, crate::EngineError> {
        Ok(self
            .inner
            .store
            .read(|c| {
                let mut st = c.prepare_cached(
                    "SELECT id, rule, labels, state, since, firing_since, value FROM alerts ORDER BY id",
                )?;
                let rows = st
                    .query_map([], |r| {
                        Ok(AlertRecord {
                            id: r.get(0)?,
                            rule: r.get(1)?,
                            labels: labels_of(&r.get::<_, String>(2)?),
                            state: state_of(&r.get::<_, String>(3)?, r.get(4)?, r.get(5)?, r.get(6)?),
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                Ok(rows)
            })
            .await?)
    }

    /// Records an evaluation at `now`: each alert's new state (with the
    /// values that triggered it), firing alerts grouped into incidents (by
    /// [`incident_key`], when they start within the config's group window
    /// of the incident), and incidents resolved once none of their alerts
    /// holds them. One transaction; [`Event::Alerts`](crate::events::Event)
    /// follows the commit.
    pub async fn record_alerts(
        &self,
        updates: Vec<AlertUpdate>,
        now: i64,
    ) -> Result<AlertOutcome, crate::EngineError> {
        let window = i64::from(self.config().alerts.group_window_secs) * 1000;
        Ok(self
            .inner
            .store
            .change(move |c| {
                let mut out = AlertOutcome::default();
                for u in &updates {
                    let fp = fingerprint(&u.labels);
                    let existing: Option<(i64, String, Option<i64>)> = c
                        .query_row(
                            "SELECT id, state, incident_id FROM alerts WHERE rule = ?1 AND fingerprint = ?2",
                            rusqlite::params![u.rule, fp],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?;
                    let (since, firing_since, value) = state_columns(&u.state);
                    let new = u.state.name();
                    let (id, old, incident) = match existing {
                        None if matches!(u.state, AlertState::Inactive) => continue,
                        None => {
                            c.execute(
                                "INSERT INTO alerts (rule, fingerprint, labels, severity, state, since, firing_since, value, updated_at)
                                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                                rusqlite::params![u.rule, fp, fp, u.severity.as_str(), new, since, firing_since, value_or_none(value), now],
                            )?;
                            (c.last_insert_rowid(), "inactive", None)
                        }
                        Some((id, old, incident)) => {
                            c.execute(
                                "UPDATE alerts SET state = ?2, since = ?3, firing_since = ?4, value = ?5, severity = ?6, updated_at = ?7 WHERE id = ?1",
                                rusqlite::params![id, new, since, firing_since, value_or_none(value), u.severity.as_str(), now],
                            )?;
                            let old = ["inactive", "pending", "firing", "resolved", "unknown"]
                                .into_iter()
                                .find(|s| *s == old)
                                .unwrap_or("inactive");
                            (id, old, incident)
                        }
                    };
                    if old != new {
                        c.execute(
                            "INSERT INTO alert_events (alert_id, at, state, value) VALUES (?1, ?2, ?3, ?4)",
                            rusqlite::params![id, now, new, value_or_none(value)],
                        )?;
                        out.changed.push((id, old, new));
                    }
                    // A newly firing alert joins (or opens) its incident.
                    let open_incident = match incident {
                        Some(i) => c
                            .query_row("SELECT resolved_at IS NULL FROM incidents WHERE id = ?1", [i], |r| {
                                r.get::<_, bool>(0)
                            })
                            .optional()?
                            .unwrap_or(false),
                        None => false,
                    };
                    if matches!(u.state, AlertState::Firing { .. }) && !open_incident {
                        let key = incident_key(&u.rule, &u.labels);
                        let joined: Option<i64> = c
                            .query_row(
                                "SELECT id FROM incidents WHERE key = ?1 AND resolved_at IS NULL AND started_at >= ?2 ORDER BY id DESC LIMIT 1",
                                rusqlite::params![key, now - window],
                                |r| r.get(0),
                            )
                            .optional()?;
                        let incident = match joined {
                            Some(i) => i,
                            None => {
                                c.execute(
                                    "INSERT INTO incidents (key, started_at) VALUES (?1, ?2)",
                                    rusqlite::params![key, now],
                                )?;
                                let i = c.last_insert_rowid();
                                out.opened.push(i);
                                i
                            }
                        };
                        c.execute("UPDATE alerts SET incident_id = ?2 WHERE id = ?1", rusqlite::params![id, incident])?;
                    }
                }
                // Incidents that nothing holds open any more resolve.
                let mut st = c.prepare_cached("SELECT id FROM incidents WHERE resolved_at IS NULL")?;
                let open: Vec<i64> = st.query_map([], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?;
                for i in open {
                    let mut st = c.prepare_cached("SELECT state, since, firing_since, value FROM alerts WHERE incident_id = ?1")?;
                    let held = st
                        .query_map([i], |r| Ok(state_of(&r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                        .collect::<rusqlite::Result<Vec<_>>>()?
                        .iter()
                        .any(holds_incident);
                    if !held {
                        c.execute("UPDATE incidents SET resolved_at = ?2 WHERE id = ?1", rusqlite::params![i, now])?;
                        out.resolved.push(i);
                    }
                }
                let events = if out.changed.is_empty() && out.opened.is_empty() && out.resolved.is_empty() {
                    Vec::new()
                } else {
                    vec![crate::events::Event::Alerts {
                        opened: out.opened.clone(),
                    }]
                };
                Ok((out, events))
            })
            .await?)
    }

    /// Alerts and incidents as the CLI and the Alerts view show them: open
    /// incidents first, then the most recent, at most `limit` incidents.
    pub async fn alerts_view(&self, limit: u32) -> Result<crate::views::AlertsView, crate::EngineError> {
        use crate::views::{AlertView, AlertsView, IncidentView};
        let now = crate::store::now_ms();
        let limit = i64::from(limit.clamp(1, 1000));
        Ok(self
            .inner
            .store
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT id, rule, labels, severity, state, since, firing_since, value, incident_id, silenced_until, updated_at
                     FROM alerts WHERE state <> 'inactive' ORDER BY updated_at DESC, id DESC",
                )?;
                let alerts: Vec<AlertView> = st
                    .query_map([], |r| {
                        let silenced_until: Option<i64> = r.get(9)?;
                        Ok(AlertView {
                            id: r.get(0)?,
                            rule: r.get(1)?,
                            labels: labels_of(&r.get::<_, String>(2)?),
                            severity: r.get(3)?,
                            state: r.get(4)?,
                            since: r.get::<_, Option<i64>>(6)?.or(r.get(5)?),
                            value: r.get(7)?,
                            incident_id: r.get(8)?,
                            silenced_until: silenced_until.filter(|u| *u > now),
                            updated_at: r.get(10)?,
                        })
                    })?
                    .collect::<rusqlite::Result<_>>()?;
                let mut st = c.prepare_cached(&format!(
                    "SELECT i.id, i.key, i.started_at, i.resolved_at, i.acknowledged_at, {NEEDS_ATTENTION} FROM incidents i
                     ORDER BY i.resolved_at IS NULL DESC, i.started_at DESC LIMIT ?2"
                ))?;
                let incidents: Vec<IncidentView> = st
                    .query_map(rusqlite::params![now, limit], |r| {
                        Ok(IncidentView {
                            id: r.get(0)?,
                            key: r.get(1)?,
                            started_at: r.get(2)?,
                            resolved_at: r.get(3)?,
                            acknowledged_at: r.get(4)?,
                            alerts: Vec::new(),
                            firing: 0,
                            needs_attention: r.get(5)?,
                            deployment: None,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?
                    .into_iter()
                    .map(|mut i| {
                        let mine: Vec<&AlertView> = alerts.iter().filter(|a| a.incident_id == Some(i.id)).collect();
                        i.alerts = mine.iter().map(|a| a.id).collect();
                        i.firing = mine.iter().filter(|a| a.state == "firing").count() as u32;
                        i
                    })
                    .collect();
                // The deployment running when each incident started (or just ended).
                let mut dep = c.prepare_cached(
                    "SELECT id FROM deployments
                     WHERE created_at <= ?1 AND (finished_at IS NULL OR finished_at >= ?1 - 1800000)
                       AND status <> 'dry_run'
                       AND (?2 IS NULL OR app = ?2) AND (?3 IS NULL OR environment = ?3)
                     ORDER BY created_at DESC LIMIT 1",
                )?;
                let mut incidents = incidents;
                for i in &mut incidents {
                    let part = |name: &str| {
                        i.key
                            .split(',')
                            .find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
                            .map(str::to_string)
                    };
                    let (app, env) = (part("app"), part("environment"));
                    i.deployment = dep
                        .query_row(rusqlite::params![i.started_at, app, env], |r| r.get(0))
                        .optional()?;
                }
                let firing = incidents.iter().filter(|i| i.needs_attention).count() as u32;
                Ok(AlertsView {
                    alerts,
                    incidents,
                    firing,
                })
            })
            .await?)
    }

    /// How many incidents need attention now (what the tray shows).
    pub async fn incidents_needing_attention(&self) -> Result<u32, crate::EngineError> {
        let now = crate::store::now_ms();
        Ok(self
            .inner
            .store
            .read(move |c| {
                c.query_row(
                    &format!("SELECT COUNT(*) FROM incidents i WHERE {NEEDS_ATTENTION}"),
                    [now],
                    |r| r.get::<_, u32>(0),
                )
            })
            .await?)
    }

    /// The desktop notification due for an incident that opened: while it
    /// needs attention and notifications are not paused.
    pub async fn incident_notification(
        &self,
        id: i64,
    ) -> Result<Option<crate::views::Notification>, crate::EngineError> {
        if self.config().desktop.paused(crate::store::now_ms()) {
            return Ok(None);
        }
        let view = self.alerts_view(1000).await?;
        if !view.incidents.iter().any(|i| i.id == id && i.needs_attention) {
            return Ok(None);
        }
        Ok(incident_summary(&view, id))
    }

    /// Silences an alert until `until` (ms): it stays tracked and listed,
    /// but tells no one. `false` when there is no such alert.
    pub async fn silence_alert(&self, id: i64, until: i64) -> Result<bool, crate::EngineError> {
        let n = self
            .inner
            .store
            .change(move |c| {
                let n = c.execute(
                    "UPDATE alerts SET silenced_until = ?2 WHERE id = ?1",
                    rusqlite::params![id, until],
                )?;
                Ok((n, vec![crate::events::Event::Alerts { opened: Vec::new() }]))
            })
            .await?;
        Ok(n > 0)
    }

    /// Acknowledges an incident: someone is on it (it stops asking for
    /// attention, and resolves as usual). `false` when there is none.
    pub async fn acknowledge_incident(&self, id: i64) -> Result<bool, crate::EngineError> {
        let now = crate::store::now_ms();
        let n = self
            .inner
            .store
            .change(move |c| {
                let n = c.execute(
                    "UPDATE incidents SET acknowledged_at = ?2 WHERE id = ?1 AND acknowledged_at IS NULL",
                    rusqlite::params![id, now],
                )?;
                Ok((n, vec![crate::events::Event::Alerts { opened: Vec::new() }]))
            })
            .await?;
        Ok(n > 0)
    }
}
