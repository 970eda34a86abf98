// The Alerts view's rules: what an alert's and an incident's state mean here,
// how an incident's key reads ("app: shop", "environment: production"), the
// order alerts are listed in, how a value is written, and the silences offered.

import type { AlertView } from "./bindings/AlertView";
import type { AlertsView } from "./bindings/AlertsView";
import type { IncidentView } from "./bindings/IncidentView";

export const EMPTY_ALERTS: AlertsView = { alerts: [], incidents: [], firing: 0 };

/** An alert's state (`AlertView.state`); anything else the shell may send reads as `unknown`. */
export type AlertState = "firing" | "pending" | "unknown" | "resolved";

export const ALERT_STATE_LABEL: Record<AlertState, string> = {
  firing: "Firing",
  pending: "Pending",
  unknown: "Unknown",
  resolved: "Resolved",
};

/** Why an `unknown` alert is not green: said beside its chip. */
export const UNKNOWN_HINT = "the source could not be read; never treated as resolved";

export function alertState(state: string): AlertState {
  return state === "firing" || state === "pending" || state === "resolved" ? state : "unknown";
}

/** An alert's severity (`AlertView.severity`); anything else reads as `info`. */
export type Severity = "critical" | "warning" | "info";

export function severityOf(severity: string): Severity {
  return severity === "critical" || severity === "warning" ? severity : "info";
}

const STATE_RANK: Record<AlertState, number> = { firing: 0, pending: 1, unknown: 2, resolved: 3 };
const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing first, then pending, unknown, resolved; the most severe first in each; else as the shell sent them (latest first). */
export function sortAlerts(alerts: AlertView[]): AlertView[] {
  return alerts
    .map((alert, index) => ({ alert, index }))
    .sort(
      (a, b) =>
        STATE_RANK[alertState(a.alert.state)] - STATE_RANK[alertState(b.alert.state)] ||
        SEVERITY_RANK[severityOf(a.alert.severity)] - SEVERITY_RANK[severityOf(b.alert.severity)] ||
        a.index - b.index,
    )
    .map((x) => x.alert);
}

/** An incident's state: `resolved` once it resolved, else `acknowledged` once someone did, else `open`. */
export type IncidentState = "open" | "acknowledged" | "resolved";

export const INCIDENT_STATE_LABEL: Record<IncidentState, string> = {
  open: "Open",
  acknowledged: "Acknowledged",
  resolved: "Resolved",
};

export function incidentState(incident: IncidentView): IncidentState {
  if (incident.resolved_at !== null) return "resolved";
  if (incident.acknowledged_at !== null) return "acknowledged";
  return "open";
}

/** One part of an incident's key: `app=shop` is `{ name: "app", value: "shop" }`. */
export interface KeyPart {
  name: string;
  value: string;
}

/**
 * An incident's key (`app=shop,environment=production`, `rule=error-ratio`)
 * as its parts. A comma only starts a new part before `name=` (a value may hold one).
 */
export function parseIncidentKey(key: string): KeyPart[] {
  if (key.trim() === "") return [];
  return key.split(/,(?=[A-Za-z_][A-Za-z0-9_]*=)/).map((part) => {
    const eq = part.indexOf("=");
    return eq < 0 ? { name: "", value: part } : { name: part.slice(0, eq), value: part.slice(eq + 1) };
  });
}

/** "app: shop", or the part as is when it has no name. */
export function keyPartLabel(part: KeyPart): string {
  return part.name === "" ? part.value : `${part.name}: ${part.value}`;
}

/** An alert's labels to show, by name, without the metric name (`__name__`). */
export function shownLabels(labels: AlertView["labels"]): [string, string][] {
  return Object.entries(labels)
    .filter(([name]) => name !== "__name__")
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** An incident's alerts, in its order (ids the list no longer has are left out). */
export function alertsOf(incident: IncidentView, alerts: AlertView[]): AlertView[] {
  const byId = new Map(alerts.map((a) => [a.id, a]));
  return incident.alerts.map((id) => byId.get(id)).filter((a): a is AlertView => a !== undefined);
}

/** Whether the alert is silenced at `now`. */
export function isSilenced(alert: AlertView, now: number): boolean {
  return alert.silenced_until !== null && alert.silenced_until > now;
}

const COMPACT = new Intl.NumberFormat("en", { notation: "compact", maximumSignificantDigits: 3 });

/** A value, compactly: "0.0734", "12.3", "1.23K", "4.5M", "1.2e-5"; "—" for none. */
export function formatValue(value: number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  if (Number.isNaN(value)) return "NaN";
  if (!Number.isFinite(value)) return value > 0 ? "+Inf" : "-Inf";
  const abs = Math.abs(value);
  if (abs !== 0 && (abs < 0.001 || abs >= 1e15)) {
    return value.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  }
  return COMPACT.format(value);
}

/** The silences offered, shortest first (minutes, as `silence_alert` takes them). */
export const SILENCE_OPTIONS = [
  { minutes: 30, label: "30 minutes" },
  { minutes: 60, label: "1 hour" },
  { minutes: 240, label: "4 hours" },
  { minutes: 1440, label: "1 day" },
] as const;

/** The incident id of a route (`/alerts/7`): a positive whole number, else null. */
export function incidentIdOf(param: string | undefined): number | null {
  if (param === undefined || !/^\d{1,15}$/.test(param)) return null;
  const n = Number(param);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}
