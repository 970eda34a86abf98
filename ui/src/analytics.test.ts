import { describe, expect, it } from "vitest";

import { CHART, chartLayout, daysOfWindow, formatRate, isWindowDays, otherRuns, utcDay, withHtmlExtension } from "./analytics";
import type { DayStats } from "./bindings/DayStats";

const DAY = 86_400_000;

function day(partial: Partial<DayStats> = {}): DayStats {
  return { day: "2025-01-14", runs: 2, succeeded: 1, failed: 1, p50_duration_ms: 60_000, tests: 0, ...partial };
}

describe("figures", () => {
  it("writes a rate as a percent with at most one decimal, and none as a dash", () => {
    expect(formatRate(2 / 3)).toBe("66.7%");
    expect(formatRate(1)).toBe("100%");
    expect(formatRate(0.5)).toBe("50%");
    expect(formatRate(0)).toBe("0%");
    expect(formatRate(0.9996)).toBe("100%");
    expect(formatRate(null)).toBe("—");
    expect(formatRate(Number.NaN)).toBe("—");
  });

  it("knows the windows offered", () => {
    expect(isWindowDays(30)).toBe(true);
    expect(isWindowDays(31)).toBe(false);
    expect(isWindowDays("30")).toBe(false);
  });

  it("counts the runs of a day that neither succeeded nor failed", () => {
    expect(otherRuns(day({ runs: 4, succeeded: 2, failed: 1 }))).toBe(1);
    expect(otherRuns(day({ runs: 1, succeeded: 1, failed: 1 }))).toBe(0);
  });
});

describe("report file", () => {
  it("adds .html unless the path ends in .html or .htm", () => {
    expect(withHtmlExtension("/home/dev/report")).toBe("/home/dev/report.html");
    expect(withHtmlExtension("/home/dev/report.html")).toBe("/home/dev/report.html");
    expect(withHtmlExtension("/home/dev/report.HTM")).toBe("/home/dev/report.HTM");
    expect(withHtmlExtension("C:\\Users\\dev\\report.v2")).toBe("C:\\Users\\dev\\report.v2.html");
  });
});

describe("days of the window", () => {
  it("lists every UTC day from since to until (exclusive)", () => {
    const until = Date.UTC(2025, 0, 15, 12) + 1;
    expect(daysOfWindow(until - 3 * DAY, until)).toEqual(["2025-01-12", "2025-01-13", "2025-01-14", "2025-01-15"]);
    // Ending at midnight: that day is not in it.
    expect(daysOfWindow(Date.UTC(2025, 0, 1), Date.UTC(2025, 0, 3))).toEqual(["2025-01-01", "2025-01-02"]);
    expect(daysOfWindow(until, until)).toEqual([]);
    expect(daysOfWindow(until - 10 * DAY, until, 2)).toEqual(["2025-01-14", "2025-01-15"]);
    expect(utcDay(Date.UTC(2024, 11, 31, 23, 59))).toBe("2024-12-31");
  });
});

describe("chart layout", () => {
  const until = Date.UTC(2025, 0, 15, 12) + 1;
  const since = until - 3 * DAY;

  it("places each day's bar in its slot, stacked bottom up and scaled to the busiest day", () => {
    const layout = chartLayout({
      since,
      until,
      days: [
        day({ day: "2025-01-13", runs: 4, succeeded: 3, failed: 1, p50_duration_ms: 30_000 }),
        day({ day: "2025-01-15", runs: 2, succeeded: 0, failed: 1, p50_duration_ms: 60_000 }),
      ],
    });
    expect(layout.slots).toEqual(["2025-01-12", "2025-01-13", "2025-01-14", "2025-01-15"]);
    expect(layout.maxRuns).toBe(4);
    expect(layout.maxDurationMs).toBe(60_000);
    const { plot } = layout;
    const bottom = plot.y + plot.height;
    expect(plot).toEqual({
      x: CHART.left,
      y: CHART.top,
      width: CHART.width - CHART.left - CHART.right,
      height: CHART.height - CHART.top - CHART.bottom,
    });
    const slot = plot.width / 4;
    expect(layout.bars.map((b) => b.day.day)).toEqual(["2025-01-13", "2025-01-15"]);
    const [first, last] = layout.bars;
    expect(first.x + first.width / 2).toBeCloseTo(plot.x + slot * 1.5);
    expect(last.x + last.width / 2).toBeCloseTo(plot.x + slot * 3.5);
    // The busiest day fills the height: 3 succeeded, then 1 failed on top.
    expect(first.segments.map((s) => s.kind)).toEqual(["succeeded", "failed"]);
    expect(first.segments[0].height).toBeCloseTo((plot.height * 3) / 4);
    expect(first.segments[1].y).toBeCloseTo(plot.y);
    // Nothing succeeded: no empty segment; the one not ended on top.
    expect(last.segments.map((s) => s.kind)).toEqual(["failed", "other"]);
    expect(last.segments[1].y).toBeCloseTo(bottom - plot.height / 2);
    // The longest median at the top, the other at half its height.
    expect(layout.line.map((p) => [p.day, p.ms])).toEqual([
      ["2025-01-13", 30_000],
      ["2025-01-15", 60_000],
    ]);
    expect(layout.line[0].y).toBeCloseTo(bottom - plot.height / 2);
    expect(layout.line[1].y).toBeCloseTo(plot.y);
  });

  it("draws nothing for an empty window, and still draws days sent outside it", () => {
    const empty = chartLayout({ since, until, days: [] });
    expect(empty.bars).toEqual([]);
    expect(empty.line).toEqual([]);
    expect(empty.maxRuns).toBe(1);
    expect(empty.maxDurationMs).toBeNull();

    const outside = chartLayout({ since, until, days: [day({ day: "2025-01-20", p50_duration_ms: null })] });
    expect(outside.slots.at(-1)).toBe("2025-01-20");
    expect(outside.bars.map((b) => b.day.day)).toEqual(["2025-01-20"]);
    expect(outside.line).toEqual([]);
  });
});
