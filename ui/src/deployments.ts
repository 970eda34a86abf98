// The Deployments view's data: the canary's traffic and the analysis
// measurements read from a deployment's events (their messages are the
// engine's log lines, see docs/deployments.md), the latest deployment of each
// app and environment, and the words the view shows.

import type { DeploymentEvent } from "./bindings/DeploymentEvent";
import type { DeploymentRecord } from "./bindings/DeploymentRecord";
import type { DeploymentStatus } from "./bindings/DeploymentStatus";
import type { DeploymentTarget } from "./bindings/DeploymentTarget";

/** How many deployments the list asks for. */
export const DEPLOYMENTS_LIMIT = 100;

/** What the view suggests when there is no deployment yet. */
export const DEPLOY_COMMAND = "switchyard deploy DIR --env ENV --image REF";

/** A deploy job, as docs/deployments.md shows it. */
export const EXAMPLE_DEPLOY_JOB = `jobs:
  staging:
    deploy:
      app: web
      environment: staging
      manifests: deploy
      images: [registry.example/acme/web]
      targets: staging-eu`;

// ---- Traffic (`weight` events) ---------------------------------------------

/** A canary's share of the traffic: `step 2/3: canary 50%, stable 50%`. */
export interface Weight {
  /** The step (1-based; 0 when the canary was aborted before its first step). */
  step: number;
  /** How many steps the canary has. */
  of: number;
  /** The canary's share, in percent. */
  canary: number;
  /** The stable version's share, in percent. */
  stable: number;
}

const WEIGHT = /^step (\d+)\/(\d+): canary (\d+)%, stable (\d+)%$/;

/** A `weight` event's message; null for anything else. */
export function parseWeight(message: string | null | undefined): Weight | null {
  if (!message) return null;
  const m = WEIGHT.exec(message.trim());
  if (!m) return null;
  const [step, of, canary, stable] = m.slice(1).map(Number);
  if (canary > 100 || stable > 100) return null;
  return { step, of, canary, stable };
}

/** The traffic of one target: its latest weight and when it was set. */
export interface TargetWeight {
  weight: Weight;
  at: string;
}

/** The latest weight of each target (by name) among `events` (oldest first). */
export function latestWeights(events: DeploymentEvent[]): Map<string, TargetWeight> {
  const latest = new Map<string, TargetWeight>();
  for (const e of events) {
    if (e.status !== "weight") continue;
    const weight = parseWeight(e.message);
    if (weight) latest.set(e.target ?? "", { weight, at: e.at });
  }
  return latest;
}

// ---- Analysis (`measurement` events) ---------------------------------------

export type Comparison = "<" | "<=" | ">" | ">=" | "==";

/** A check's success condition: `< 0.05`. */
export interface Condition {
  op: Comparison;
  threshold: number;
  /** As the engine wrote it. */
  text: string;
}

/** What a measurement said: within the condition, outside it, nothing to measure, or an error. */
export type MeasurementOutcome = "passed" | "failed" | "no_data" | "error";

/**
 * One measurement: `measurement 1/3 of step 1: error-ratio = 0.2 (< 0.05): failed`,
 * `...: errors: no data`, `...: errors: cannot measure: <why>`.
 */
export interface Measurement {
  /** The round (1-based) of `rounds`. */
  round: number;
  rounds: number;
  /** The canary step measured. */
  step: number;
  /** The check's (the query's) name. */
  check: string;
  /** The value measured (null: no data or an error). */
  value: number | null;
  /** The value as the engine wrote it. */
  valueText: string | null;
  condition: Condition | null;
  outcome: MeasurementOutcome;
  /** Why it could not be measured (`error`). */
  error: string | null;
}

const MEASUREMENT = /^measurement (\d+)\/(\d+) of step (\d+): ([\s\S]*)$/;
const MEASURED = /^(.+) = (\S+) \(((?:<=|>=|==|<|>) ?\S+)\): (passed|failed)$/;
const NO_DATA = /^(.+): no data$/;
const CANNOT = /^(.+?): cannot measure: ([\s\S]*)$/;
const CONDITION = /^(<=|>=|==|<|>) ?(\S+)$/;

/** A number as Rust writes an f64 (`0.2`, `1e-7`, `inf`, `-inf`, `NaN`); null when it is none. */
export function parseNumber(text: string): number | null {
  const t = text.trim();
  if (t === "inf" || t === "+inf") return Infinity;
  if (t === "-inf") return -Infinity;
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return null;
  const n = Number(t);
  return Number.isNaN(n) ? null : n;
}

/** A success condition as the engine writes it (`< 0.05`, `>= 100`); null when unreadable. */
export function parseCondition(text: string): Condition | null {
  const m = CONDITION.exec(text.trim());
  if (!m) return null;
  const threshold = parseNumber(m[2]);
  if (threshold === null) return null;
  return { op: m[1] as Comparison, threshold, text: `${m[1]} ${m[2]}` };
}

/** A `measurement` event's message; null for anything else. */
export function parseMeasurement(message: string | null | undefined): Measurement | null {
  if (!message) return null;
  const m = MEASUREMENT.exec(message.trim());
  if (!m) return null;
  const round = Number(m[1]);
  const rounds = Number(m[2]);
  const step = Number(m[3]);
  const rest = m[4];
  const base = { round, rounds, step };
  const measured = MEASURED.exec(rest);
  if (measured) {
    return {
      ...base,
      check: measured[1],
      value: parseNumber(measured[2]),
      valueText: measured[2],
      condition: parseCondition(measured[3]),
      outcome: measured[4] as "passed" | "failed",
      error: null,
    };
  }
  // An error's text may end with "no data" itself: "cannot measure" is looked for first.
  const cannot = CANNOT.exec(rest);
  if (cannot) {
    return { ...base, check: cannot[1], value: null, valueText: null, condition: null, outcome: "error", error: cannot[2] };
  }
  const none = NO_DATA.exec(rest);
  if (none) {
    return { ...base, check: none[1], value: null, valueText: null, condition: null, outcome: "no_data", error: null };
  }
  return null;
}

/** A measurement with the event it came from. */
export interface MeasurementRow extends Measurement {
  at: string;
  target: string | null;
}

/** Every measurement among `events`, in their order (oldest first). */
export function measurementsOf(events: DeploymentEvent[]): MeasurementRow[] {
  const rows: MeasurementRow[] = [];
  for (const e of events) {
    if (e.status !== "measurement") continue;
    const m = parseMeasurement(e.message);
    if (m) rows.push({ ...m, at: e.at, target: e.target });
  }
  return rows;
}

/** One check's measurements on one target, for its little plot. */
export interface CheckSeries {
  target: string | null;
  check: string;
  /** The last condition seen (the same for every measurement of a check). */
  condition: Condition | null;
  points: MeasurementRow[];
}

/** The measurements grouped by target and check, in the order they first appear. */
export function seriesOf(rows: MeasurementRow[]): CheckSeries[] {
  const byKey = new Map<string, CheckSeries>();
  for (const row of rows) {
    const key = JSON.stringify([row.target, row.check]);
    let series = byKey.get(key);
    if (!series) {
      series = { target: row.target, check: row.check, condition: null, points: [] };
      byKey.set(key, series);
    }
    series.points.push(row);
    if (row.condition) series.condition = row.condition;
  }
  return [...byKey.values()];
}

export const OUTCOME_LABEL: Record<MeasurementOutcome, string> = {
  passed: "passed",
  failed: "failed",
  no_data: "no data",
  error: "cannot measure",
};

/**
 * A value as the table shows it: up to four significant digits, as written
 * when that is shorter ("0.2", "0.0123", "1234", "∞").
 */
export function formatMeasured(value: number | null, text: string | null): string {
  if (value === null) return text ?? "—";
  if (value === Infinity) return "∞";
  if (value === -Infinity) return "−∞";
  const short = Number(value.toPrecision(4)).toString();
  return text !== null && text.length <= short.length ? text : short;
}

// ---- The log lines worth reloading for ------------------------------------

/**
 * Whether a line of the deploy job's log tells of a change the detail shows
 * (a weight, a measurement, an abort, a target's end), with or without the
 * `[target] ` prefix of a wave of several targets. Other lines (rollout
 * progress, the diff) are not worth a reload.
 */
export function isDeploymentLogLine(text: string): boolean {
  const t = text.replace(/^\[[^\]]*\] /, "");
  return (
    WEIGHT.test(t) ||
    MEASUREMENT.test(t) ||
    /^(aborting: |promoting |promoted by |analysis )/.test(t) ||
    /; waiting for a person to promote or abort$/.test(t) ||
    / is stable on \d+ replicas$/.test(t)
  );
}

// ---- Deployments ------------------------------------------------------------

/** The latest deployment of each app and environment, from a list that is newest first. */
export function latestPerAppEnv(records: DeploymentRecord[]): DeploymentRecord[] {
  const seen = new Set<string>();
  const latest: DeploymentRecord[] = [];
  for (const r of records) {
    const key = JSON.stringify([r.app, r.environment]);
    if (seen.has(key)) continue;
    seen.add(key);
    latest.push(r);
  }
  return latest.sort((a, b) => a.app.localeCompare(b.app) || a.environment.localeCompare(b.environment));
}

/** Targets by wave, in wave order (the order within a wave kept). */
export function targetsByWave(targets: DeploymentTarget[]): { wave: number; targets: DeploymentTarget[] }[] {
  const waves = new Map<number, DeploymentTarget[]>();
  for (const t of targets) {
    const list = waves.get(t.wave);
    if (list) list.push(t);
    else waves.set(t.wave, [t]);
  }
  return [...waves.entries()].sort(([a], [b]) => a - b).map(([wave, list]) => ({ wave, targets: list }));
}

/** Pending or progressing: may still change, and may be stopped. */
export function isDeploymentActive(status: DeploymentStatus): boolean {
  return status === "pending" || status === "progressing";
}

export function isCanary(record: Pick<DeploymentRecord, "strategy">): boolean {
  return record.strategy === "canary";
}

/** "web 2.0 → staging · revision 7 · canary". */
export function deploymentTitle(record: DeploymentRecord): string {
  return `${record.app} ${record.version} → ${record.environment} · revision ${record.revision} · ${record.strategy}`;
}

/** "staging-eu, staging-us" (or "no target"). */
export function targetNames(record: Pick<DeploymentRecord, "targets">): string {
  return record.targets.length === 0 ? "no target" : record.targets.map((t) => t.name).join(", ");
}

/** What a person can do to a deployment: go on (promote), abort a waiting one, or stop a running one. */
export type DeploymentAction = "promote" | "abort" | "stop";

/**
 * What a waiting deployment waits for: an approval before anything is
 * applied (`deploy approve|reject`), or a person where the canary's analysis
 * could not decide (`deploy promote|abort`). Read from its latest `waiting`
 * event (an approval's says "waiting for approval"); null when it does not wait.
 */
export type WaitKind = "approval" | "analysis";

export const APPROVAL_WAIT = "waiting for approval";

export function waitKind(events: DeploymentEvent[], waiting: string | null): WaitKind | null {
  if (waiting === null) return null;
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.status === "waiting") return e.message === APPROVAL_WAIT ? "approval" : "analysis";
  }
  return /^Ship /.test(waiting) ? "approval" : "analysis";
}

/** What `decide_deployment` answered, as a sentence for the notice (`kind`: what it waited for). */
export function decisionNotice(record: DeploymentRecord, word: string, kind: WaitKind | null = null): string {
  const what = `${record.app} ${record.version} in ${record.environment}`;
  if (kind === "approval" && word === "promoted") return `Approved ${what}: it is being applied`;
  if (kind === "approval" && word === "aborted") return `Rejected ${what}: nothing is applied`;
  switch (word) {
    case "promoted":
      return `Promoted ${what}: the canary goes on with its next step`;
    case "aborted":
      return `Aborted ${what}: the stable version takes the traffic back`;
    case "stopping":
      return `Stopping ${what}: the stable version takes the traffic back`;
    default:
      return `Deployment #${record.id}: ${word}`;
  }
}
