//! Alert rules over series: what each kind of rule says about a series'
//! recent points ([`evaluate`]), and how an alert's state moves over
//! evaluations ([`AlertTracker`]).
//!
//! Four kinds, after Prometheus' own and the anomaly detectors ops teams use:
//! - **threshold**: the newest value against a bound;
//! - **rate of change**: how fast the value moved over a window, per second;
//! - **anomaly**: how far the newest value is from a rolling baseline of the
//!   window, in robust standard deviations (median and MAD, or an EWMA and
//!   its deviation), against a sensitivity;
//! - **prediction**: a least-squares line through the window, extended by a
//!   horizon, against a bound (Prometheus' `predict_linear`).
//!
//! No data, or a source that cannot be read, is never "fine": the alert goes
//! [`AlertState::Unknown`], and only a real evaluation resolves it.

use crate::prometheus::Point;

pub use switchyard_engine::alerts::{AlertState, Baseline, Op, RuleKind};

/// What one evaluation found for one series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Verdict {
    /// The rule's condition holds; the value that made it so.
    Breached(f64),
    /// The condition does not hold; the value looked at.
    Fine(f64),
    /// Too few points to say (nothing, or fewer than the kind needs).
    NoData,
}

fn finite(points: &[Point]) -> Vec<Point> {
    points.iter().copied().filter(|p| p.v.is_finite()).collect()
}

/// Evaluates `kind` over `points` (the window, oldest first).
pub fn evaluate(kind: &RuleKind, points: &[Point]) -> Verdict {
    let points = finite(points);
    let Some(last) = points.last().copied() else {
        return Verdict::NoData;
    };
    match *kind {
        RuleKind::Threshold { op, value } => verdict(op.breached(last.v, value), last.v),
        RuleKind::RateOfChange { op, per_second } => {
            let first = points[0];
            if points.len() < 2 || last.t == first.t {
                return Verdict::NoData;
            }
            let rate = (last.v - first.v) / ((last.t - first.t) as f64 / 1000.0);
            verdict(op.breached(rate, per_second), rate)
        }
        RuleKind::Anomaly {
            baseline,
            sensitivity,
        } => {
            let history: Vec<f64> = points[..points.len() - 1].iter().map(|p| p.v).collect();
            if history.len() < 5 {
                return Verdict::NoData;
            }
            let (center, spread) = match baseline {
                Baseline::Mad => {
                    let median = median(&history);
                    let deviations: Vec<f64> = history.iter().map(|v| (v - median).abs()).collect();
                    (median, 1.4826 * self::median(&deviations))
                }
                Baseline::Ewma => ewma(&history),
            };
            let distance = (last.v - center).abs();
            // A flat history: any change at all is a deviation.
            let score = if spread > f64::EPSILON {
                distance / spread
            } else if distance > f64::EPSILON * center.abs().max(1.0) {
                f64::INFINITY
            } else {
                0.0
            };
            verdict(score > sensitivity, last.v)
        }
        RuleKind::Prediction {
            op,
            value,
            horizon_secs,
        } => {
            if points.len() < 3 {
                return Verdict::NoData;
            }
            let Some((slope, intercept)) = least_squares(&points, last.t) else {
                return Verdict::NoData;
            };
            let predicted = intercept + slope * horizon_secs;
            verdict(op.breached(predicted, value), predicted)
        }
    }
}

fn verdict(breached: bool, value: f64) -> Verdict {
    if breached {
        Verdict::Breached(value)
    } else {
        Verdict::Fine(value)
    }
}

fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// The exponentially weighted mean and standard deviation.
fn ewma(values: &[f64]) -> (f64, f64) {
    let alpha = 2.0 / (values.len() as f64 + 1.0);
    let mut mean = values[0];
    let mut var = 0.0;
    for &v in &values[1..] {
        let diff = v - mean;
        let incr = alpha * diff;
        mean += incr;
        var = (1.0 - alpha) * (var + diff * incr);
    }
    (mean, var.sqrt())
}

/// The least-squares line through the points with time in seconds relative
/// to `origin`: (slope per second, value at `origin`).
fn least_squares(points: &[Point], origin: i64) -> Option<(f64, f64)> {
    let n = points.len() as f64;
    let xs: Vec<f64> = points.iter().map(|p| (p.t - origin) as f64 / 1000.0).collect();
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|p| p.v).sum::<f64>() / n;
    let mut sxx = 0.0;
    let mut sxy = 0.0;
    for (x, p) in xs.iter().zip(points) {
        sxx += (x - mean_x) * (x - mean_x);
        sxy += (x - mean_x) * (p.v - mean_y);
    }
    if sxx.abs() < f64::EPSILON {
        return None;
    }
    let slope = sxy / sxx;
    Some((slope, mean_y - slope * mean_x))
}

/// When the breach the newest point shows began, for a threshold: the
/// first point of the unbroken run of breaching points that ends at the
/// newest one. `None` when the newest point does not breach (or for other
/// kinds, whose breach is a property of the whole window).
pub fn breach_started(kind: &RuleKind, points: &[Point]) -> Option<i64> {
    let RuleKind::Threshold { op, value } = *kind else {
        return None;
    };
    let points = finite(points);
    let mut since = None;
    for p in points.iter().rev() {
        if op.breached(p.v, value) {
            since = Some(p.t);
        } else {
            break;
        }
    }
    since
}

/// Moves one alert's state with each evaluation.
#[derive(Debug, Clone)]
pub struct AlertTracker {
    /// How long the condition must hold before it fires (ms).
    pub for_ms: i64,
    /// The state now.
    pub state: AlertState,
}

impl AlertTracker {
    /// A new, inactive alert with a `for` of `for_ms`.
    pub fn new(for_ms: i64) -> AlertTracker {
        AlertTracker {
            for_ms: for_ms.max(0),
            state: AlertState::Inactive,
        }
    }

    /// Applies an evaluation at `now` (`None`: the source could not be
    /// read, which makes it unknown; [`Verdict::NoData`]: too few points,
    /// which changes nothing). Returns the new state when it changed.
    pub fn observe(&mut self, verdict: Option<Verdict>, now: i64) -> Option<AlertState> {
        self.observe_since(verdict, now, now)
    }

    /// As [`observe`](Self::observe), for a breach the series shows started
    /// at `breach_started` (≤ `now`): an alert seen for the first time with
    /// a condition that has held for a while is as far along its `for` as
    /// the data says.
    pub fn observe_since(
        &mut self,
        verdict: Option<Verdict>,
        now: i64,
        breach_started: i64,
    ) -> Option<AlertState> {
        let started = breach_started.min(now);
        let before = self.state;
        let firing_since = match before {
            AlertState::Firing { since, .. } => Some(since),
            AlertState::Unknown { firing_since, .. } => firing_since,
            _ => None,
        };
        let firing_before = firing_since.is_some();
        self.state = match (verdict, before) {
            // Too few points to judge (a series just born, an anomaly
            // without its baseline yet): nothing changes.
            (Some(Verdict::NoData), _) => before,
            (None, AlertState::Unknown { .. }) => before,
            (None, _) => AlertState::Unknown {
                since: now,
                firing_since,
            },
            (Some(Verdict::Breached(value)), AlertState::Pending { since, .. })
            | (Some(Verdict::Breached(value)), AlertState::Firing { since, .. }) => {
                if now - since >= self.for_ms {
                    AlertState::Firing { since, value }
                } else {
                    AlertState::Pending { since, value }
                }
            }
            (
                Some(Verdict::Breached(value)),
                AlertState::Unknown {
                    firing_since: Some(since),
                    ..
                },
            ) => AlertState::Firing { since, value },
            (Some(Verdict::Breached(value)), _) => {
                if now - started >= self.for_ms {
                    AlertState::Firing {
                        since: started,
                        value,
                    }
                } else {
                    AlertState::Pending {
                        since: started,
                        value,
                    }
                }
            }
            (Some(Verdict::Fine(_)), _) if firing_before => AlertState::Resolved { at: now },
            (Some(Verdict::Fine(_)), AlertState::Resolved { at }) => AlertState::Resolved { at },
            (Some(Verdict::Fine(_)), _) => AlertState::Inactive,
        };
        (self.state != before).then_some(self.state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pts(values: &[f64]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(i, &v)| Point {
                t: i as i64 * 10_000,
                v,
            })
            .collect()
    }

    #[test]
    fn threshold_looks_at_the_newest_value() {
        let k = RuleKind::Threshold {
            op: Op::Above,
            value: 0.05,
        };
        assert_eq!(evaluate(&k, &pts(&[0.9, 0.01])), Verdict::Fine(0.01));
        assert_eq!(evaluate(&k, &pts(&[0.01, 0.2])), Verdict::Breached(0.2));
        assert_eq!(
            evaluate(&k, &pts(&[0.2, f64::NAN])),
            Verdict::Breached(0.2),
            "NaN is skipped"
        );
        assert_eq!(evaluate(&k, &[]), Verdict::NoData);
    }

    #[test]
    fn rate_of_change_is_per_second_over_the_window() {
        // From 10 to 70 in 60 s: 1 per second.
        let k = RuleKind::RateOfChange {
            op: Op::Above,
            per_second: 0.5,
        };
        assert_eq!(
            evaluate(&k, &pts(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0])),
            Verdict::Breached(1.0)
        );
        assert_eq!(evaluate(&k, &pts(&[10.0])), Verdict::NoData);
    }

    #[test]
    fn anomaly_flags_a_jump_away_from_a_noisy_baseline_and_not_the_noise() {
        let noisy = [10.0, 10.5, 9.8, 10.2, 9.9, 10.1, 10.4, 9.7, 10.0];
        for baseline in [Baseline::Mad, Baseline::Ewma] {
            let k = RuleKind::Anomaly {
                baseline,
                sensitivity: 3.0,
            };
            let mut calm = noisy.to_vec();
            calm.push(10.3);
            assert!(
                matches!(evaluate(&k, &pts(&calm)), Verdict::Fine(_)),
                "{baseline:?}"
            );
            let mut spike = noisy.to_vec();
            spike.push(25.0);
            assert_eq!(
                evaluate(&k, &pts(&spike)),
                Verdict::Breached(25.0),
                "{baseline:?}"
            );
        }
    }

    #[test]
    fn prediction_extends_the_trend_by_the_horizon() {
        // Disk use growing 1 per 10 s from 50: at the last point (t = 90 s)
        // 59; an hour ahead 59 + 360 = 419.
        let k = RuleKind::Prediction {
            op: Op::Above,
            value: 100.0,
            horizon_secs: 3600.0,
        };
        let v: Vec<f64> = (0..10).map(|i| 50.0 + i as f64).collect();
        match evaluate(&k, &pts(&v)) {
            Verdict::Breached(p) => assert!((p - 419.0).abs() < 1e-6, "{p}"),
            other => panic!("{other:?}"),
        }
        let flat = vec![50.0; 10];
        assert!(matches!(evaluate(&k, &pts(&flat)), Verdict::Fine(_)));
    }

    #[test]
    fn an_alert_is_pending_for_its_for_then_fires_then_resolves() {
        let mut a = AlertTracker::new(60_000);
        assert_eq!(a.observe(Some(Verdict::Fine(0.0)), 0), None);
        assert!(matches!(
            a.observe(Some(Verdict::Breached(1.0)), 10_000),
            Some(AlertState::Pending { since: 10_000, .. })
        ));
        assert_eq!(
            a.observe(Some(Verdict::Breached(2.0)), 40_000),
            Some(AlertState::Pending {
                since: 10_000,
                value: 2.0
            })
        );
        assert!(matches!(
            a.observe(Some(Verdict::Breached(3.0)), 70_000),
            Some(AlertState::Firing { since: 10_000, .. })
        ));
        assert_eq!(
            a.observe(Some(Verdict::Fine(0.0)), 80_000),
            Some(AlertState::Resolved { at: 80_000 })
        );
        // A short blip does not fire again.
        let mut b = AlertTracker::new(60_000);
        b.observe(Some(Verdict::Breached(1.0)), 0);
        assert_eq!(
            b.observe(Some(Verdict::Fine(0.0)), 10_000),
            Some(AlertState::Inactive)
        );
    }

    #[test]
    fn a_breach_already_in_the_history_counts_toward_for() {
        let k = RuleKind::Threshold {
            op: Op::Above,
            value: 1.0,
        };
        // Breaching from t = 20 s on (points every 10 s).
        let p = pts(&[0.0, 0.5, 2.0, 3.0, 2.5, 4.0]);
        assert_eq!(breach_started(&k, &p), Some(20_000));
        let mut a = AlertTracker::new(30_000);
        let now = 50_000;
        let state = a.observe_since(Some(evaluate(&k, &p)), now, breach_started(&k, &p).unwrap_or(now));
        assert!(
            matches!(state, Some(AlertState::Firing { since: 20_000, .. })),
            "{state:?}"
        );
        assert_eq!(breach_started(&k, &pts(&[2.0, 0.0])), None);
    }

    #[test]
    fn an_unreadable_source_is_unknown_and_never_resolves_a_firing_alert() {
        let mut a = AlertTracker::new(0);
        a.observe(Some(Verdict::Breached(5.0)), 0);
        assert!(matches!(a.state, AlertState::Firing { .. }));
        assert_eq!(
            a.observe(None, 10_000),
            Some(AlertState::Unknown {
                since: 10_000,
                firing_since: Some(0)
            })
        );
        assert_eq!(a.observe(Some(Verdict::NoData), 20_000), None, "still unknown");
        // Back with the condition still holding: firing since the start.
        assert!(matches!(
            a.observe(Some(Verdict::Breached(6.0)), 30_000),
            Some(AlertState::Firing { since: 0, .. })
        ));
        a.observe(None, 40_000);
        assert_eq!(
            a.observe(Some(Verdict::Fine(0.0)), 50_000),
            Some(AlertState::Resolved { at: 50_000 })
        );
    }
}
