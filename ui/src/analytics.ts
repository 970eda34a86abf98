// The Analytics view's rules: the windows offered, how its figures read
// (a rate as a percent, nothing known as "—"), the report's file name, and the
// day-by-day chart's geometry (computed here, drawn as plain SVG by the view).

import type { DayStats } from "./bindings/DayStats";
import type { StatsView } from "./bindings/StatsView";

/** The windows offered, in days, shortest first. */
export const WINDOWS = [7, 30, 90, 365] as const;

export type WindowDays = (typeof WINDOWS)[number];

export const DEFAULT_WINDOW: WindowDays = 30;

/** Reloads on `runs` events at most this often (ms): a busy pipeline sends many. */
export const RELOAD_THROTTLE_MS = 2000;

/** The report's default file name in the save dialog. */
export const REPORT_FILE_NAME = "switchyard-report.html";

/** What a figure shows when it is not known (no run ended, no run started...). */
export const NONE = "—";

export function isWindowDays(value: unknown): value is WindowDays {
  return WINDOWS.some((w) => w === value);
}

/** "7d", "30d". */
export function windowLabel(days: number): string {
  return `${days}d`;
}

/** 0.6667 → "66.7%", 1 → "100%", 0.5 → "50%"; "—" for none. */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined || !Number.isFinite(rate)) return NONE;
  const percent = Math.min(100, Math.max(0, rate * 100));
  return `${percent.toFixed(1).replace(/\.0$/, "")}%`;
}

/** `path` with ".html" added when it does not end in ".html" or ".htm" (a save dialog may leave it off). */
export function withHtmlExtension(path: string): string {
  return /\.html?$/i.test(path) ? path : `${path}.html`;
}

/** "2026-11-29": the UTC day of `ms`, as the shell names days. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

const DAY_MS = 86_400_000;

/**
 * Every UTC day of the window, oldest first: from the day of `since` to the
 * day of `until - 1` (the shell's window is `since <= t < until`), at most
 * `limit` days (the newest ones).
 */
export function daysOfWindow(since: number, until: number, limit = 3660): string[] {
  if (!Number.isFinite(since) || !Number.isFinite(until) || until <= since) return [];
  const first = Math.floor(since / DAY_MS);
  const last = Math.floor((until - 1) / DAY_MS);
  const from = Math.max(first, last - limit + 1);
  const days: string[] = [];
  for (let d = from; d <= last; d++) days.push(utcDay(d * DAY_MS));
  return days;
}

/** Runs of a day that neither succeeded nor failed: cancelled, or not finished yet. */
export function otherRuns(day: DayStats): number {
  return Math.max(0, day.runs - day.succeeded - day.failed);
}

// ---- The day-by-day chart ----------------------------------------------------

/** The chart's drawing box (SVG user units; it scales to its container's width). */
export const CHART = { width: 1000, height: 240, top: 16, right: 64, bottom: 28, left: 44 } as const;

export interface BarLayout {
  day: DayStats;
  /** Left edge and width of the bar. */
  x: number;
  width: number;
  /** The segments, bottom up (zero-height ones left out). */
  segments: { kind: "succeeded" | "failed" | "other"; y: number; height: number }[];
}

export interface ChartLayout {
  /** Every day of the window (empty ones included), oldest first. */
  slots: string[];
  /** One bar per day with runs. */
  bars: BarLayout[];
  /** The most runs in a day (the left axis' top; at least 1). */
  maxRuns: number;
  /** The longest median duration of a day (the right axis' top), null without any. */
  maxDurationMs: number | null;
  /** The median duration line: one point per day that has one, oldest first. */
  line: { day: string; x: number; y: number; ms: number }[];
  /** Where the plot area is. */
  plot: { x: number; y: number; width: number; height: number };
}

/** Where each day's bar and median-duration point go in `CHART`. */
export function chartLayout(stats: Pick<StatsView, "since" | "until" | "days">): ChartLayout {
  const byDay = new Map(stats.days.map((d) => [d.day, d]));
  let slots = daysOfWindow(stats.since, stats.until);
  // Days the shell sent outside the window (a clock moved): still drawn, in order.
  const inWindow = new Set(slots);
  if (stats.days.some((d) => !inWindow.has(d.day))) {
    slots = [...new Set([...slots, ...stats.days.map((d) => d.day)])].sort();
  }
  const plot = {
    x: CHART.left,
    y: CHART.top,
    width: CHART.width - CHART.left - CHART.right,
    height: CHART.height - CHART.top - CHART.bottom,
  };
  const maxRuns = Math.max(1, ...stats.days.map((d) => d.runs));
  const durations = stats.days.map((d) => d.p50_duration_ms).filter((ms): ms is number => ms !== null && Number.isFinite(ms));
  const maxDurationMs = durations.length > 0 ? Math.max(...durations) : null;
  const slot = slots.length > 0 ? plot.width / slots.length : plot.width;
  const barWidth = Math.max(1, Math.min(40, slot * 0.7));
  const bottom = plot.y + plot.height;
  const bars: BarLayout[] = [];
  const line: ChartLayout["line"] = [];
  slots.forEach((name, i) => {
    const day = byDay.get(name);
    if (!day) return;
    const center = plot.x + slot * (i + 0.5);
    let y = bottom;
    const segments: BarLayout["segments"] = [];
    for (const [kind, count] of [
      ["succeeded", day.succeeded],
      ["failed", day.failed],
      ["other", otherRuns(day)],
    ] as const) {
      if (count <= 0) continue;
      const height = (count / maxRuns) * plot.height;
      y -= height;
      segments.push({ kind, y, height });
    }
    bars.push({ day, x: center - barWidth / 2, width: barWidth, segments });
    const ms = day.p50_duration_ms;
    if (ms !== null && Number.isFinite(ms) && maxDurationMs !== null) {
      const y = maxDurationMs > 0 ? bottom - (ms / maxDurationMs) * plot.height : bottom;
      line.push({ day: name, x: center, y, ms });
    }
  });
  return { slots, bars, maxRuns, maxDurationMs, line, plot };
}
