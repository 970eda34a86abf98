import { describe, expect, it } from "vitest";

import {
  decisionNotice,
  deploymentTitle,
  formatMeasured,
  isDeploymentLogLine,
  latestPerAppEnv,
  latestWeights,
  measurementsOf,
  parseCondition,
  parseMeasurement,
  parseNumber,
  parseWeight,
  seriesOf,
  targetNames,
  targetsByWave,
  waitKind,
} from "./deployments";
import { deployment, deploymentEvent, deploymentTarget } from "./test/fixtures";

describe("parseWeight", () => {
  it("reads a weight event's message", () => {
    expect(parseWeight("step 2/3: canary 50%, stable 50%")).toEqual({ step: 2, of: 3, canary: 50, stable: 50 });
    expect(parseWeight("step 1/4: canary 10%, stable 90%")).toEqual({ step: 1, of: 4, canary: 10, stable: 90 });
    // Promotion, and an abort before the first step.
    expect(parseWeight("step 3/3: canary 100%, stable 0%")).toEqual({ step: 3, of: 3, canary: 100, stable: 0 });
    expect(parseWeight("step 0/3: canary 0%, stable 100%")).toEqual({ step: 0, of: 3, canary: 0, stable: 100 });
  });

  it("is null for anything else", () => {
    for (const text of [null, undefined, "", "canary 1 replicas, stable 3", "step 2/3: canary 50%", "step x/3: canary 50%, stable 50%", "step 1/3: canary 150%, stable 0%"]) {
      expect(parseWeight(text)).toBeNull();
    }
  });
});

describe("parseMeasurement", () => {
  it("reads a failed measurement", () => {
    expect(parseMeasurement("measurement 1/3 of step 1: error-ratio = 0.2 (< 0.05): failed")).toEqual({
      round: 1,
      rounds: 3,
      step: 1,
      check: "error-ratio",
      value: 0.2,
      valueText: "0.2",
      condition: { op: "<", threshold: 0.05, text: "< 0.05" },
      outcome: "failed",
      error: null,
    });
  });

  it("reads a passed one with every comparison", () => {
    const m = parseMeasurement("measurement 3/3 of step 2: p95-latency = 0.123 (<= 0.3): passed");
    expect(m).toMatchObject({ round: 3, rounds: 3, step: 2, check: "p95-latency", value: 0.123, outcome: "passed" });
    expect(m?.condition).toEqual({ op: "<=", threshold: 0.3, text: "<= 0.3" });
    expect(parseMeasurement("measurement 1/1 of step 1: rps = 120 (> 100): passed")?.condition?.op).toBe(">");
    expect(parseMeasurement("measurement 1/1 of step 1: rps = 120 (>= 100): passed")?.condition?.op).toBe(">=");
    expect(parseMeasurement("measurement 1/1 of step 1: up = 1 (== 1): passed")?.condition).toEqual({ op: "==", threshold: 1, text: "== 1" });
    expect(parseMeasurement("measurement 1/1 of step 1: errors = 0 (< 0.01): passed")?.value).toBe(0);
    expect(parseMeasurement("measurement 1/1 of step 1: drift = -0.5 (> -1): passed")).toMatchObject({
      value: -0.5,
      condition: { op: ">", threshold: -1 },
    });
    expect(parseMeasurement("measurement 1/1 of step 1: latency = inf (< 1): failed")?.value).toBe(Infinity);
  });

  it("reads no data and a source that cannot be read", () => {
    expect(parseMeasurement("measurement 2/3 of step 1: errors: no data")).toEqual({
      round: 2,
      rounds: 3,
      step: 1,
      check: "errors",
      value: null,
      valueText: null,
      condition: null,
      outcome: "no_data",
      error: null,
    });
    expect(
      parseMeasurement("measurement 1/3 of step 2: errors: cannot measure: Prometheus at http://localhost:9090 did not answer: no data"),
    ).toMatchObject({
      check: "errors",
      outcome: "error",
      error: "Prometheus at http://localhost:9090 did not answer: no data",
      value: null,
    });
  });

  it("is null for anything else", () => {
    for (const text of [null, "", "step 2/3: canary 50%, stable 50%", "measurement 1/3 of step 1: something odd", "analysis of step 1 passed"]) {
      expect(parseMeasurement(text)).toBeNull();
    }
  });
});

describe("numbers and conditions", () => {
  it("reads numbers as Rust writes an f64", () => {
    expect(parseNumber("0.2")).toBe(0.2);
    expect(parseNumber("1e-7")).toBe(1e-7);
    expect(parseNumber("-3")).toBe(-3);
    expect(parseNumber("inf")).toBe(Infinity);
    expect(parseNumber("-inf")).toBe(-Infinity);
    expect(parseNumber("NaN")).toBeNull();
    expect(parseNumber("0x10")).toBeNull();
    expect(parseNumber("")).toBeNull();
  });

  it("reads a condition", () => {
    expect(parseCondition("< 0.05")).toEqual({ op: "<", threshold: 0.05, text: "< 0.05" });
    expect(parseCondition(">=10")).toEqual({ op: ">=", threshold: 10, text: ">= 10" });
    expect(parseCondition("about 3")).toBeNull();
    expect(parseCondition("< x")).toBeNull();
  });

  it("formats a measured value short", () => {
    expect(formatMeasured(0.2, "0.2")).toBe("0.2");
    expect(formatMeasured(0.123456789, "0.123456789")).toBe("0.1235");
    expect(formatMeasured(1234.5678, "1234.5678")).toBe("1235");
    expect(formatMeasured(Infinity, "inf")).toBe("∞");
    expect(formatMeasured(null, null)).toBe("—");
  });
});

describe("events", () => {
  const events = [
    deploymentEvent(9, "progressing", null, null),
    deploymentEvent(8, "weight", "step 1/3: canary 25%, stable 75%"),
    deploymentEvent(7, "measurement", "measurement 1/2 of step 1: error-ratio = 0.01 (< 0.05): passed"),
    deploymentEvent(7, "weight", "step 1/2: canary 10%, stable 90%", "staging-us"),
    deploymentEvent(6, "measurement", "measurement 2/2 of step 1: error-ratio = 0.2 (< 0.05): failed"),
    deploymentEvent(6, "measurement", "measurement 1/2 of step 1: error-ratio = 0.03 (< 0.05): passed", "staging-us"),
    deploymentEvent(5, "weight", "step 2/3: canary 50%, stable 50%"),
    deploymentEvent(4, "weight", "not a weight"),
    deploymentEvent(3, "measurement", "measurement 1/2 of step 2: latency: no data"),
  ];

  it("keeps each target's latest weight", () => {
    const w = latestWeights(events);
    expect([...w.keys()]).toEqual(["staging-eu", "staging-us"]);
    expect(w.get("staging-eu")).toEqual({ weight: { step: 2, of: 3, canary: 50, stable: 50 }, at: events[6].at });
    expect(w.get("staging-us")?.weight).toEqual({ step: 1, of: 2, canary: 10, stable: 90 });
  });

  it("lists the measurements in order, and groups them by target and check", () => {
    const rows = measurementsOf(events);
    expect(rows.map((r) => [r.target, r.step, r.round, r.check, r.outcome])).toEqual([
      ["staging-eu", 1, 1, "error-ratio", "passed"],
      ["staging-eu", 1, 2, "error-ratio", "failed"],
      ["staging-us", 1, 1, "error-ratio", "passed"],
      ["staging-eu", 2, 1, "latency", "no_data"],
    ]);
    expect(rows[1].at).toBe(events[4].at);
    const series = seriesOf(rows);
    expect(series.map((s) => [s.target, s.check, s.points.length, s.condition?.text ?? null])).toEqual([
      ["staging-eu", "error-ratio", 2, "< 0.05"],
      ["staging-us", "error-ratio", 1, "< 0.05"],
      ["staging-eu", "latency", 1, null],
    ]);
  });

  it("knows the log lines worth reading the deployment again for", () => {
    expect(isDeploymentLogLine("step 2/3: canary 50%, stable 50%")).toBe(true);
    expect(isDeploymentLogLine("[staging-eu] step 2/3: canary 50%, stable 50%")).toBe(true);
    expect(isDeploymentLogLine("measurement 1/3 of step 1: error-ratio = 0.2 (< 0.05): failed")).toBe(true);
    expect(isDeploymentLogLine("aborting: analysis failed at step 1")).toBe(true);
    expect(isDeploymentLogLine("analysis at step 1 is inconclusive: x; waiting for a person to promote or abort")).toBe(true);
    expect(isDeploymentLogLine("2.0 is stable on 4 replicas")).toBe(true);
    expect(isDeploymentLogLine("Deployment/web: 1/3 updated, 3 ready, 3 available")).toBe(false);
    expect(isDeploymentLogLine("~ Deployment/web")).toBe(false);
  });
});

describe("deployments", () => {
  it("keeps the latest of each app and environment, by app then environment", () => {
    const list = [
      deployment({ id: 9, app: "web", environment: "production" }),
      deployment({ id: 8, app: "api", environment: "staging" }),
      deployment({ id: 7, app: "web", environment: "staging" }),
      deployment({ id: 6, app: "web", environment: "production" }),
      deployment({ id: 5, app: "api", environment: "staging" }),
    ];
    expect(latestPerAppEnv(list).map((d) => d.id)).toEqual([8, 9, 7]);
  });

  it("groups targets by wave", () => {
    const targets = [
      deploymentTarget({ name: "aks", wave: 2 }),
      deploymentTarget({ name: "eks", wave: 1 }),
      deploymentTarget({ name: "gke", wave: 2 }),
    ];
    expect(targetsByWave(targets).map((w) => [w.wave, w.targets.map((t) => t.name)])).toEqual([
      [1, ["eks"]],
      [2, ["aks", "gke"]],
    ]);
  });

  it("names a deployment and what a decision did", () => {
    const d = deployment({ strategy: "canary", targets: [deploymentTarget(), deploymentTarget({ name: "staging-us" })] });
    expect(deploymentTitle(d)).toBe("web 2.0 → staging · revision 7 · canary");
    expect(targetNames(d)).toBe("staging-eu, staging-us");
    expect(targetNames(deployment({ targets: [] }))).toBe("no target");
    expect(decisionNotice(d, "promoted")).toBe("Promoted web 2.0 in staging: the canary goes on with its next step");
    expect(decisionNotice(d, "aborted")).toBe("Aborted web 2.0 in staging: the stable version takes the traffic back");
    expect(decisionNotice(d, "stopping")).toBe("Stopping web 2.0 in staging: the stable version takes the traffic back");
    expect(decisionNotice(d, "something")).toBe("Deployment #7: something");
    expect(decisionNotice(d, "promoted", "approval")).toBe("Approved web 2.0 in staging: it is being applied");
    expect(decisionNotice(d, "aborted", "approval")).toBe("Rejected web 2.0 in staging: nothing is applied");
    expect(decisionNotice(d, "promoted", "analysis")).toBe("Promoted web 2.0 in staging: the canary goes on with its next step");
  });

  it("tells an approval from an analysis that could not decide", () => {
    const approval = [deploymentEvent(3, "waiting", "waiting for approval", null)];
    const analysis = [...approval, deploymentEvent(2, "approved", "approved by ana after 5s", null), deploymentEvent(1, "waiting", "analysis at step 1 is inconclusive")];
    expect(waitKind(approval, "Ship web 2.0 to staging (staging-eu)? The diff is above.")).toBe("approval");
    expect(waitKind(analysis, "analysis at step 1 is inconclusive; nothing goes on without data")).toBe("analysis");
    expect(waitKind(analysis, null)).toBeNull();
    // No event yet: the question says.
    expect(waitKind([], "Ship web 2.0 to staging (staging-eu)? The diff is above.")).toBe("approval");
    expect(waitKind([], "analysis at step 1 is inconclusive")).toBe("analysis");
  });
});
