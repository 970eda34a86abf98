import { beforeEach, describe, expect, it } from "vitest";

import {
  APP_DASHBOARD,
  backoffSecs,
  chartDataUri,
  dashboardFileName,
  dashboardLayout,
  DEFAULT_PREFS,
  exportFileName,
  formatLatency,
  formatStep,
  loadPrefs,
  pollSecs,
  PREFS_KEY,
  rangeSecs,
  savePrefs,
  sourceUrlProblem,
  updatePrefs,
  withExportExtension,
} from "./metrics";

describe("live chart timing", () => {
  it("fetches again every step, at most every 5 s", () => {
    expect(pollSecs(15)).toBe(15);
    expect(pollSecs(1)).toBe(5);
    expect(pollSecs(600)).toBe(600);
  });

  it("doubles the interval after each failure, up to 60 s, never below the interval", () => {
    expect([1, 2, 3, 4].map((n) => backoffSecs(5, n))).toEqual([10, 20, 40, 60]);
    expect([1, 2, 3].map((n) => backoffSecs(15, n))).toEqual([30, 60, 60]);
    expect(backoffSecs(300, 1)).toBe(300);
  });

  it("knows the ranges", () => {
    expect(rangeSecs("1h")).toBe(3600);
    expect(rangeSecs("7d")).toBe(604_800);
  });
});

describe("chart helpers", () => {
  it("makes the SVG an image URL with every special character encoded", () => {
    const uri = chartDataUri('<svg><path fill="#fff"/><text>50% & more</text></svg>');
    expect(uri.startsWith("data:image/svg+xml;charset=utf-8,")).toBe(true);
    expect(uri).not.toMatch(/[#<>"% ](?![0-9A-F]{2})/);
    expect(decodeURIComponent(uri.slice(uri.indexOf(",") + 1))).toContain("50% & more");
  });

  it("writes steps and latencies short", () => {
    expect(formatStep(15)).toBe("15s");
    expect(formatStep(60)).toBe("1m");
    expect(formatStep(90)).toBe("1m 30s");
    expect(formatStep(3600)).toBe("1h");
    expect(formatStep(86_400 + 3600)).toBe("1d 1h");
    expect(formatLatency(12.4)).toBe("12 ms");
    expect(formatLatency(1234)).toBe("1.2 s");
  });

  it("names an export after its query, and gives a path without a known extension a .png", () => {
    expect(exportFileName("up")).toBe("up.png");
    expect(exportFileName("sum by (job) (rate(http_requests_total[5m]))")).toBe("sum_by_job_rate_http_requests_total_5m.png");
    expect(exportFileName("{}", "csv")).toBe("chart.csv");
    expect(withExportExtension("/tmp/a.CSV")).toBe("/tmp/a.CSV");
    expect(withExportExtension("/tmp/a.json")).toBe("/tmp/a.json");
    expect(withExportExtension("/tmp/chart")).toBe("/tmp/chart.png");
    expect(withExportExtension("/tmp/v1.2")).toBe("/tmp/v1.2.png");
  });

  it("accepts only http and https source URLs", () => {
    expect(sourceUrlProblem("http://localhost:9090")).toBeNull();
    expect(sourceUrlProblem(" https://prom.example.com/prometheus ")).toBeNull();
    expect(sourceUrlProblem("")).toMatch(/Enter the server's URL/);
    expect(sourceUrlProblem("localhost:9090")).toMatch(/http/);
    expect(sourceUrlProblem("not a url")).toMatch(/Not a URL/);
  });
});

describe("remembered view", () => {
  beforeEach(() => window.localStorage.clear());

  it("starts in query mode with up over the last hour", () => {
    expect(loadPrefs()).toEqual({
      mode: "query",
      query: "up",
      range: "1h",
      unit: "si",
      area: false,
      source: null,
      dashboard: null,
      dashboardApp: null,
    });
  });

  it("remembers what was saved and drops what it does not know", () => {
    const saved = {
      mode: "dashboard" as const,
      query: "rate(x[5m])",
      range: "6h" as const,
      unit: "bytes" as const,
      area: true,
      source: "prod",
      dashboard: APP_DASHBOARD,
      dashboardApp: { app: "shop", namespace: "prod", target: null },
    };
    savePrefs(saved);
    expect(loadPrefs()).toEqual(saved);
    window.localStorage.setItem(
      PREFS_KEY,
      JSON.stringify({ mode: "grid", query: "", range: "2y", unit: "furlongs", area: "yes", dashboard: 3, dashboardApp: { app: " " } }),
    );
    expect(loadPrefs()).toEqual(DEFAULT_PREFS);
    window.localStorage.setItem(PREFS_KEY, "{not json");
    expect(loadPrefs()).toEqual(DEFAULT_PREFS);
  });

  it("updates part of what is remembered, keeping the rest", () => {
    updatePrefs({ query: "rate(x[5m])", range: "24h" });
    updatePrefs({ mode: "dashboard", dashboard: "shop" });
    expect(loadPrefs()).toEqual({ ...DEFAULT_PREFS, query: "rate(x[5m])", range: "24h", mode: "dashboard", dashboard: "shop" });
  });
});

describe("dashboards", () => {
  it("shows panels one a row below 1100 px, two from there on, each chart as wide as its card", () => {
    expect(dashboardLayout(1000)).toEqual({ columns: 1, panelWidth: 998 });
    expect(dashboardLayout(1099)).toEqual({ columns: 1, panelWidth: 1097 });
    expect(dashboardLayout(1100)).toEqual({ columns: 2, panelWidth: 540 });
    expect(dashboardLayout(1600)).toEqual({ columns: 2, panelWidth: 790 });
    // Never narrower than the narrowest chart.
    expect(dashboardLayout(0)).toEqual({ columns: 1, panelWidth: 300 });
  });

  it("names the export after the dashboard, or the app and where it runs", () => {
    expect(dashboardFileName("shop", null)).toBe("shop.png");
    expect(dashboardFileName(null, { app: "shop", namespace: "prod", target: null })).toBe("shop-prod.png");
    expect(dashboardFileName(null, { app: "shop", namespace: "prod", target: "aws-prod" })).toBe("shop-aws-prod.png");
    expect(dashboardFileName(null, { app: "shop", namespace: null, target: null })).toBe("shop-default.png");
    expect(dashboardFileName(null, null)).toBe("dashboard.png");
  });
});
