//! DORA metrics of an environment, from the local history of deployments
//! (`switchyard stats --env ENV`, the Analytics view):
//!
//! - deployment frequency: succeeded deployments per day of the window;
//! - lead time for changes: from the first run of the deployed commit (the
//!   first time Switchyard saw that code) to the deployment's success;
//! - change failure rate: deployments that failed or were rolled back, over
//!   those that ended (cancelled ones and dry runs left out);
//! - time to restore: from an incident's start to its resolution, for the
//!   incidents of the environment (their key names it, and the app when one
//!   is asked for); without such incidents, from a failed or rolled-back
//!   deployment to the next successful one of the same app
//!   ([`DoraView::restore_from`] says which).
//!
//! One pass over the window's deployments, in the order of their index
//! (environment, app, time); lead time starts at `first_seen_at`, found
//! when the deployment was recorded.

use rusqlite::params;
use serde::Serialize;

use crate::EngineError;
use crate::analytics::Spread;

/// The DORA figures of one environment over a window.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DoraView {
    /// The environment.
    pub environment: String,
    /// From (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub since: i64,
    /// Until (Unix ms).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub until: i64,
    /// Deployments that ended in the window (dry runs and cancelled ones left out).
    pub deployments: u32,
    /// Of which succeeded.
    pub succeeded: u32,
    /// Of which failed or were rolled back.
    pub failed: u32,
    /// Succeeded deployments per day.
    pub per_day: f64,
    /// From the deployed commit's first run to success.
    pub lead_time: Spread,
    /// Failed over ended; none without one.
    pub change_failure_rate: Option<f64>,
    /// From an incident's start to its resolution (or from a failed
    /// deployment to the next success of its app: see `restore_from`).
    pub time_to_restore: Spread,
    /// What `time_to_restore` was measured on: `incidents` or `deployments`.
    pub restore_from: String,
}

impl crate::Engine {
    /// The DORA figures of `environment` (of one app, or all) for
    /// deployments created in `since..until` (Unix ms).
    pub async fn dora(
        &self,
        environment: &str,
        app: Option<&str>,
        since: i64,
        until: i64,
    ) -> Result<DoraView, EngineError> {
        let env = environment.to_string();
        let only = app.map(str::to_string);
        let (env2, only2) = (env.clone(), only.clone());
        // One pass in the read, without copying rows out.
        let (succeeded, failed, mut lead, mut restore) = self
            .store()
            .read(move |c| {
                // By app, then time: the index's order, no sort.
                let mut st = c.prepare_cached(
                    "SELECT app, status, created_at, finished_at, first_seen_at
                     FROM deployments INDEXED BY deployments_by_environment
                     WHERE environment = ?1 AND created_at >= ?2 AND created_at < ?3 AND (?4 IS NULL OR app = ?4)
                     ORDER BY app, created_at",
                )?;
                let mut rows = st.query(params![env, since, until, only])?;
                let (mut succeeded, mut failed) = (0u32, 0u32);
                let (mut lead, mut restore) = (Vec::new(), Vec::new());
                let mut app: Vec<u8> = Vec::new();
                // When the app being walked went down (rows are by app, then time).
                let mut down: Option<i64> = None;
                while let Some(r) = rows.next()? {
                    let this = r.get_ref(0)?.as_bytes().unwrap_or_default();
                    if this != app.as_slice() {
                        app.clear();
                        app.extend_from_slice(this);
                        down = None;
                    }
                    let created: i64 = r.get(2)?;
                    let finished: Option<i64> = r.get(3)?;
                    match r.get_ref(1)?.as_bytes().unwrap_or_default() {
                        b"succeeded" => {
                            succeeded += 1;
                            let done = finished.unwrap_or(created);
                            let first: Option<i64> = r.get(4)?;
                            lead.push((done - first.unwrap_or(created).min(created)).max(0));
                            if let Some(since) = down.take() {
                                restore.push((done - since).max(0));
                            }
                        }
                        b"failed" | b"rolled_back" => {
                            failed += 1;
                            down.get_or_insert(finished.unwrap_or(created));
                        }
                        _ => {}
                    }
                }
                Ok((succeeded, failed, lead, restore))
            })
            .await?;
        // Incidents of the environment (and app), started in the window and resolved.
        let mut incidents: Vec<i64> = self
            .store()
            .read(move |c| {
                let mut st = c.prepare_cached(
                    "SELECT key, resolved_at - started_at FROM incidents
                     WHERE started_at >= ?1 AND started_at < ?2 AND resolved_at IS NOT NULL",
                )?;
                let env_part = format!("environment={env2}");
                let app_part = only2.map(|a| format!("app={a}"));
                let rows = st.query_map(params![since, until], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))
                })?;
                let mut out = Vec::new();
                for row in rows {
                    let (key, took) = row?;
                    let parts: Vec<&str> = key.split(',').collect();
                    if parts.contains(&env_part.as_str())
                        && app_part.as_deref().is_none_or(|a| parts.contains(&a))
                    {
                        out.push(took.max(0));
                    }
                }
                Ok(out)
            })
            .await?;
        let restore_from = if incidents.is_empty() {
            "deployments"
        } else {
            "incidents"
        };
        if !incidents.is_empty() {
            restore = std::mem::take(&mut incidents);
        }
        let ended = succeeded + failed;
        let days = ((until - since).max(1) as f64) / 86_400_000.0;
        Ok(DoraView {
            environment: environment.to_string(),
            since,
            until,
            deployments: ended,
            succeeded,
            failed,
            per_day: f64::from(succeeded) / days,
            lead_time: Spread::of(&mut lead),
            change_failure_rate: (ended > 0).then(|| f64::from(failed) / f64::from(ended)),
            time_to_restore: Spread::of(&mut restore),
            restore_from: restore_from.into(),
        })
    }
}
