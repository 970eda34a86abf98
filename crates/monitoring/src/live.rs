//! Live series: a query over a sliding window ("the last hour"), polled
//! incrementally. The first poll fetches the whole window; later polls fetch
//! only the steps after the last one fetched and append them, dropping
//! points that slid out of the window. Window edges are aligned to the step,
//! so every poll's points fall on the same grid.
//!
//! [`LiveCache`] keeps a bounded number of live queries (least recently used
//! goes first), so an app that opens many charts holds at most
//! `capacity × series × points per window` points.

use std::collections::BTreeMap;

use crate::prometheus::{Client, MAX_POINTS, Point, PromError, Series};

/// Steps a chart's resolution is rounded up to, in milliseconds.
const NICE_STEPS: &[i64] = &[
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/// The step for a window `range_ms` wide drawn `width_px` pixels wide: about
/// one point per pixel, at least `min_step_ms`, rounded up to a step people
/// read easily (15s, 1m, 5m...), and never more than Prometheus' 11,000
/// points per series.
pub fn choose_step(range_ms: i64, width_px: u32, min_step_ms: i64) -> i64 {
    let range_ms = range_ms.max(1_000);
    let per_pixel = ceil_div(range_ms, i64::from(width_px.max(1)));
    let by_limit = ceil_div(range_ms, MAX_POINTS - 1);
    let want = per_pixel.max(by_limit).max(min_step_ms).max(1_000);
    NICE_STEPS
        .iter()
        .copied()
        .find(|s| *s >= want)
        .unwrap_or_else(|| ceil_div(want, 86_400_000) * 86_400_000)
}

/// `a / b` rounded up, for positive `b`.
pub fn ceil_div(a: i64, b: i64) -> i64 {
    -((-a).div_euclid(b))
}

/// How many points a window holds per series at a step.
pub fn points_in(range_ms: i64, step_ms: i64) -> i64 {
    range_ms / step_ms.max(1) + 1
}

/// What one poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollStats {
    /// The window asked for, `[start, end]` in ms; `None` when no new step
    /// had passed and nothing was asked.
    pub fetched: Option<(i64, i64)>,
    /// Points that came back.
    pub points: usize,
}

/// A query over a sliding window.
#[derive(Debug, Clone)]
pub struct LiveQuery {
    query: String,
    range_ms: i64,
    step_ms: i64,
    /// By labels, so a series that appears later is kept in order.
    series: BTreeMap<BTreeMap<String, String>, Vec<Point>>,
    /// The last step fetched (aligned).
    last_end: Option<i64>,
}

impl LiveQuery {
    /// A live query of the last `range_ms` at `step_ms`.
    pub fn new(query: impl Into<String>, range_ms: i64, step_ms: i64) -> LiveQuery {
        LiveQuery {
            query: query.into(),
            range_ms: range_ms.max(1_000),
            step_ms: step_ms.max(1_000),
            series: BTreeMap::new(),
            last_end: None,
        }
    }

    /// The query.
    pub fn query(&self) -> &str {
        &self.query
    }

    /// The step in ms.
    pub fn step_ms(&self) -> i64 {
        self.step_ms
    }

    /// The window `[start, end]` in ms as of the last poll.
    pub fn window(&self, now_ms: i64) -> (i64, i64) {
        let end = self.last_end.unwrap_or_else(|| self.align(now_ms));
        (end - self.range_ms, end)
    }

    fn align(&self, t: i64) -> i64 {
        t.div_euclid(self.step_ms) * self.step_ms
    }

    /// What the next poll at `now_ms` asks for, or `None` when no step has
    /// passed since the last one.
    pub fn next_window(&self, now_ms: i64) -> Option<(i64, i64)> {
        let end = self.align(now_ms);
        let start = match self.last_end {
            // A gap longer than the window: start over.
            Some(last) if end - last <= self.range_ms => last + self.step_ms,
            _ => end - self.range_ms,
        };
        (start <= end).then_some((start, end))
    }

    /// Fetches what is new and appends it.
    pub async fn poll(&mut self, client: &Client, now_ms: i64) -> Result<PollStats, PromError> {
        let Some((start, end)) = self.next_window(now_ms) else {
            return Ok(PollStats {
                fetched: None,
                points: 0,
            });
        };
        let fetched = client.query_range(&self.query, start, end, self.step_ms).await?;
        let points = fetched.iter().map(|s| s.points.len()).sum();
        self.merge(start, end, fetched);
        Ok(PollStats {
            fetched: Some((start, end)),
            points,
        })
    }

    /// Appends `fetched` (the answer for `[start, end]`) and drops what slid
    /// out of the window.
    pub fn merge(&mut self, start: i64, end: i64, fetched: Vec<Series>) {
        if self.last_end.is_none_or(|last| start > last + self.step_ms) {
            // A fresh window (first poll, or after a long pause).
            self.series.clear();
        }
        for s in fetched {
            let points = self.series.entry(s.labels).or_default();
            let after = points.last().map_or(i64::MIN, |p| p.t);
            points.extend(s.points.into_iter().filter(|p| p.t > after));
        }
        let oldest = end - self.range_ms;
        for points in self.series.values_mut() {
            let cut = points.partition_point(|p| p.t < oldest);
            points.drain(..cut);
        }
        self.series.retain(|_, p| !p.is_empty());
        self.last_end = Some(end);
    }

    /// The series as they stand.
    pub fn series(&self) -> Vec<Series> {
        self.series
            .iter()
            .map(|(labels, points)| Series {
                labels: labels.clone(),
                points: points.clone(),
            })
            .collect()
    }

    /// Points held, all series together.
    pub fn point_count(&self) -> usize {
        self.series.values().map(Vec::len).sum()
    }
}

/// A bounded set of live queries keyed by (source, query, range, step).
#[derive(Debug)]
pub struct LiveCache {
    capacity: usize,
    /// Most recently used last.
    entries: Vec<((String, String, i64, i64), LiveQuery)>,
}

impl LiveCache {
    /// A cache of at most `capacity` live queries.
    pub fn new(capacity: usize) -> LiveCache {
        LiveCache {
            capacity: capacity.max(1),
            entries: Vec::new(),
        }
    }

    /// Takes the live query for this key out (a new one if there is none);
    /// give it back with [`LiveCache::put`] after polling.
    pub fn take(&mut self, source: &str, query: &str, range_ms: i64, step_ms: i64) -> LiveQuery {
        let key = (source.to_string(), query.to_string(), range_ms, step_ms);
        match self.entries.iter().position(|(k, _)| *k == key) {
            Some(i) => self.entries.remove(i).1,
            None => LiveQuery::new(query, range_ms, step_ms),
        }
    }

    /// Puts a live query back as the most recently used, dropping the least
    /// recently used beyond the capacity.
    pub fn put(&mut self, source: &str, live: LiveQuery) {
        let key = (
            source.to_string(),
            live.query.clone(),
            live.range_ms,
            live.step_ms,
        );
        self.entries.retain(|(k, _)| *k != key);
        self.entries.push((key, live));
        while self.entries.len() > self.capacity {
            self.entries.remove(0);
        }
    }

    /// How many live queries are kept.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(points: &[(i64, f64)]) -> Series {
        Series {
            labels: BTreeMap::from([("job".into(), "a".into())]),
            points: points.iter().map(|&(t, v)| Point { t, v }).collect(),
        }
    }

    #[test]
    fn step_follows_the_width_and_the_point_limit() {
        // An hour over 1200 px: 3 s a pixel, rounded up to 5 s.
        assert_eq!(choose_step(3_600_000, 1200, 0), 5_000);
        // A minimum step wins.
        assert_eq!(choose_step(3_600_000, 1200, 15_000), 15_000);
        // 30 days over a huge width still stays within 11,000 points.
        let step = choose_step(30 * 86_400_000, 100_000, 0);
        assert!(points_in(30 * 86_400_000, step) <= MAX_POINTS, "step {step}");
    }

    #[test]
    fn polls_after_the_first_ask_only_for_new_steps() {
        let mut live = LiveQuery::new("up", 60_000, 10_000);
        assert_eq!(
            live.next_window(1_000_005_000),
            Some((999_940_000, 1_000_000_000))
        );
        live.merge(
            999_940_000,
            1_000_000_000,
            vec![series(&[(999_940_000, 1.0), (1_000_000_000, 2.0)])],
        );
        // Less than a step later: nothing to ask.
        assert_eq!(live.next_window(1_000_009_999), None);
        // Two steps later: just those two.
        assert_eq!(
            live.next_window(1_000_020_000),
            Some((1_000_010_000, 1_000_020_000))
        );
        live.merge(
            1_000_010_000,
            1_000_020_000,
            vec![series(&[(1_000_010_000, 3.0), (1_000_020_000, 4.0)])],
        );
        let s = live.series();
        // The oldest point slid out of the 60 s window.
        assert_eq!(
            s[0].points.iter().map(|p| p.t).collect::<Vec<_>>(),
            vec![1_000_000_000, 1_000_010_000, 1_000_020_000]
        );
    }

    #[test]
    fn a_pause_longer_than_the_window_starts_over() {
        let mut live = LiveQuery::new("up", 60_000, 10_000);
        live.merge(0, 60_000, vec![series(&[(0, 1.0), (60_000, 1.0)])]);
        assert_eq!(live.next_window(600_000), Some((540_000, 600_000)));
        live.merge(540_000, 600_000, vec![series(&[(600_000, 5.0)])]);
        assert_eq!(live.point_count(), 1);
    }

    #[test]
    fn the_cache_is_bounded() {
        let mut cache = LiveCache::new(2);
        for q in ["a", "b", "c"] {
            let live = cache.take("p", q, 60_000, 10_000);
            cache.put("p", live);
        }
        assert_eq!(cache.len(), 2);
        // `a` went first.
        let again = cache.take("p", "a", 60_000, 10_000);
        assert_eq!(again.point_count(), 0);
    }
}
