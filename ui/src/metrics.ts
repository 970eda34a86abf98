// The Metrics view's rules: the ranges and units offered, how often a live
// chart or a dashboard is fetched again (and how it backs off while its
// source is down), the chart as an image, a dashboard's grid, the export's
// file name, and what is remembered between visits (localStorage: the mode,
// query, range, unit, area, source and dashboard; never a token).

/** The ranges offered, shortest first. */
export const RANGES = [
  { key: "5m", secs: 5 * 60 },
  { key: "15m", secs: 15 * 60 },
  { key: "1h", secs: 60 * 60 },
  { key: "6h", secs: 6 * 60 * 60 },
  { key: "24h", secs: 24 * 60 * 60 },
  { key: "7d", secs: 7 * 24 * 60 * 60 },
] as const;

export type RangeKey = (typeof RANGES)[number]["key"];

export const DEFAULT_RANGE: RangeKey = "1h";

/** The units the engine writes values in (`ChartRequestDto.unit`). */
export const UNITS = [
  { value: "si", label: "Number (k, M, G)" },
  { value: "percent", label: "Percent" },
  { value: "bytes", label: "Bytes" },
  { value: "seconds", label: "Seconds" },
] as const;

export type Unit = (typeof UNITS)[number]["value"];

export const DEFAULT_UNIT: Unit = "si";

export const DEFAULT_QUERY = "up";

/** The chart's height in pixels, and the narrowest width asked for. */
export const CHART_HEIGHT = 360;
export const MIN_CHART_WIDTH = 400;

/** A live chart is fetched again every step, but not more often than this (seconds)... */
export const MIN_POLL_SECS = 5;
/** ...and, while its source is unavailable, at least this often (seconds). */
export const MAX_BACKOFF_SECS = 60;

export function rangeSecs(key: RangeKey): number {
  return RANGES.find((r) => r.key === key)?.secs ?? 3600;
}

export function isRangeKey(value: unknown): value is RangeKey {
  return RANGES.some((r) => r.key === value);
}

export function isUnit(value: unknown): value is Unit {
  return UNITS.some((u) => u.value === value);
}

/** Seconds between two fetches of a live chart of step `stepSecs`. */
export function pollSecs(stepSecs: number | null | undefined): number {
  return Math.max(MIN_POLL_SECS, Number.isFinite(stepSecs) ? (stepSecs as number) : 0);
}

/**
 * Seconds to wait after `failures` (1, 2, ...) failures in a row: the interval
 * doubled each time, up to 60 seconds (never shorter than the interval itself).
 */
export function backoffSecs(intervalSecs: number, failures: number): number {
  return Math.max(intervalSecs, Math.min(MAX_BACKOFF_SECS, intervalSecs * 2 ** Math.max(1, failures)));
}

/** The engine's SVG as an image URL (shown by an `<img>`: labels come from outside, never as markup). */
export function chartDataUri(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

// ---- Dashboards ---------------------------------------------------------------

/** A dashboard is drawn again this often (seconds): the whole of it, every panel. */
export const DASHBOARD_POLL_SECS = 30;

/** Each panel's height in pixels, as the shell draws it. */
export const PANEL_HEIGHT = 300;

/** From this width (pixels) of the grid on, panels are shown two a row. */
export const TWO_COLUMNS_FROM = 1100;

/** The space between panels (pixels), and a panel card's borders (both sides). */
export const PANEL_GAP = 16;
const PANEL_BORDERS = 2;

/** The narrowest panel asked for. */
export const MIN_PANEL_WIDTH = 300;

/** How many panels a row in a grid `width` pixels wide, and the width to ask each chart in. */
export function dashboardLayout(width: number): { columns: 1 | 2; panelWidth: number } {
  const columns = width >= TWO_COLUMNS_FROM ? 2 : 1;
  const column = Math.floor((width - PANEL_GAP * (columns - 1)) / columns);
  return { columns, panelWidth: Math.max(MIN_PANEL_WIDTH, column - PANEL_BORDERS) };
}

/** The picker's value for an app's default dashboard (a dashboard's name cannot hold a colon). */
export const APP_DASHBOARD = ":app";

/** An app's default dashboard: in `target`'s namespace, else `namespace`, else `default`. */
export interface AppDashboard {
  app: string;
  namespace: string | null;
  target: string | null;
}

/** A file name for a dashboard's export: "shop.png"; "shop-prod.png" for app shop's default one in prod. */
export function dashboardFileName(name: string | null, app: AppDashboard | null, extension = "png"): string {
  if (name !== null) return exportFileName(name, extension);
  if (app !== null) return exportFileName(`${app.app}-${app.target ?? app.namespace ?? "default"}`, extension);
  return `dashboard.${extension}`;
}

/** A step in seconds as "15s", "1m", "1m 30s", "2h", "1d". */
export function formatStep(secs: number): string {
  if (!Number.isFinite(secs) || secs <= 0) return "—";
  const units: [number, string][] = [
    [86_400, "d"],
    [3600, "h"],
    [60, "m"],
    [1, "s"],
  ];
  const parts: string[] = [];
  let rest = Math.round(secs);
  for (const [size, suffix] of units) {
    if (rest >= size) {
      parts.push(`${Math.floor(rest / size)}${suffix}`);
      rest %= size;
    }
    if (parts.length === 2) break;
  }
  return parts.length > 0 ? parts.join(" ") : `${secs}s`;
}

const EXPORT_EXTENSIONS = ["png", "svg", "csv", "json"];

/** A file name for `query`'s chart: "up.png", "rate_http_requests_total_5m_.png"; "chart.png" for nothing usable. */
export function exportFileName(query: string, extension = "png"): string {
  const base = query
    .replace(/[^A-Za-z0-9_-]+/g, "_")
    .replace(/^_+|_+$/g, "")
    .slice(0, 60);
  return `${base || "chart"}.${extension}`;
}

/** `path` with ".png" added when it does not end in an extension the export knows. */
export function withExportExtension(path: string): string {
  const m = /\.([A-Za-z0-9]+)$/.exec(path);
  return m && EXPORT_EXTENSIONS.includes(m[1].toLowerCase()) ? path : `${path}.png`;
}

// ---- Remembered between visits ---------------------------------------------

/** Query: one live PromQL chart; dashboard: several charts drawn together. */
export type MetricsMode = "query" | "dashboard";

export interface MetricsPrefs {
  mode: MetricsMode;
  query: string;
  range: RangeKey;
  unit: Unit;
  area: boolean;
  /** The source chosen; null: the default one. */
  source: string | null;
  /** The dashboard chosen: a custom one's name or `APP_DASHBOARD`; null: none yet (the first one). */
  dashboard: string | null;
  /** The app whose default dashboard was shown last. */
  dashboardApp: AppDashboard | null;
}

export const PREFS_KEY = "switchyard.metrics";

export const DEFAULT_PREFS: MetricsPrefs = {
  mode: "query",
  query: DEFAULT_QUERY,
  range: DEFAULT_RANGE,
  unit: DEFAULT_UNIT,
  area: false,
  source: null,
  dashboard: null,
  dashboardApp: null,
};

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

function appDashboardOf(value: unknown): AppDashboard | null {
  if (typeof value !== "object" || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.app !== "string" || v.app.trim() === "") return null;
  const text = (x: unknown) => (typeof x === "string" && x.trim() !== "" ? x : null);
  return { app: v.app, namespace: text(v.namespace), target: text(v.target) };
}

/** What the view showed last time; the defaults for anything missing or unreadable. */
export function loadPrefs(): MetricsPrefs {
  try {
    const raw = storage()?.getItem(PREFS_KEY);
    if (!raw) return { ...DEFAULT_PREFS };
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v !== "object" || v === null) return { ...DEFAULT_PREFS };
    return {
      mode: v.mode === "dashboard" ? "dashboard" : "query",
      query: typeof v.query === "string" && v.query.trim() !== "" ? v.query : DEFAULT_PREFS.query,
      range: isRangeKey(v.range) ? v.range : DEFAULT_PREFS.range,
      unit: isUnit(v.unit) ? v.unit : DEFAULT_PREFS.unit,
      area: typeof v.area === "boolean" ? v.area : DEFAULT_PREFS.area,
      source: typeof v.source === "string" ? v.source : null,
      dashboard: typeof v.dashboard === "string" && v.dashboard !== "" ? v.dashboard : null,
      dashboardApp: appDashboardOf(v.dashboardApp),
    };
  } catch {
    return { ...DEFAULT_PREFS };
  }
}

/** Remembers what the view shows (quietly does nothing when storage is unavailable or full). */
export function savePrefs(prefs: MetricsPrefs): void {
  try {
    storage()?.setItem(PREFS_KEY, JSON.stringify(prefs));
  } catch {
    // Private mode or full: the view still works, it just forgets.
  }
}

/** Remembers part of what the view shows, keeping the rest as it was. */
export function updatePrefs(prefs: Partial<MetricsPrefs>): void {
  savePrefs({ ...loadPrefs(), ...prefs });
}

// ---- Sources ----------------------------------------------------------------

/** Why `url` is not a Prometheus URL the form accepts, or null when it is (http or https). */
export function sourceUrlProblem(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === "") return "Enter the server's URL, e.g. http://localhost:9090.";
  let parsed: URL;
  try {
    parsed = new URL(trimmed);
  } catch {
    return "Not a URL: write it in full, e.g. http://localhost:9090.";
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return "Use an http:// or https:// URL.";
  return null;
}

/** "12 ms", "1.2 s". */
export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
