import { describe, expect, it } from "vitest";

import {
  alertsOf,
  alertState,
  formatValue,
  incidentIdOf,
  incidentState,
  isSilenced,
  keyPartLabel,
  parseIncidentKey,
  severityOf,
  shownLabels,
  sortAlerts,
} from "./alerts";
import { alert, incident, NOW } from "./test/fixtures";

describe("alert rules of the view", () => {
  it("reads an incident's key as its labels, or its rule", () => {
    expect(parseIncidentKey("app=shop,environment=production")).toEqual([
      { name: "app", value: "shop" },
      { name: "environment", value: "production" },
    ]);
    expect(parseIncidentKey("rule=error-ratio").map(keyPartLabel)).toEqual(["rule: error-ratio"]);
    // A comma inside a value does not start a new part; `=` in a value stays in it.
    expect(parseIncidentKey("app=a,b,target=x=y").map(keyPartLabel)).toEqual(["app: a,b", "target: x=y"]);
    expect(parseIncidentKey("odd").map(keyPartLabel)).toEqual(["odd"]);
    expect(parseIncidentKey("")).toEqual([]);
  });

  it("tells an incident's state: resolved over acknowledged over open", () => {
    expect(incidentState(incident())).toBe("open");
    expect(incidentState(incident({ acknowledged_at: NOW }))).toBe("acknowledged");
    expect(incidentState(incident({ acknowledged_at: NOW, resolved_at: NOW }))).toBe("resolved");
  });

  it("reads a state or severity it does not know as unknown / info", () => {
    expect(["firing", "pending", "resolved", "unknown", "inactive", ""].map(alertState)).toEqual([
      "firing",
      "pending",
      "resolved",
      "unknown",
      "unknown",
      "unknown",
    ]);
    expect(["critical", "warning", "info", "page"].map(severityOf)).toEqual(["critical", "warning", "info", "info"]);
  });

  it("lists firing alerts first, the most severe first, else in the shell's order", () => {
    const list = [
      alert({ id: 1, state: "resolved", severity: "critical" }),
      alert({ id: 2, state: "pending", severity: "info" }),
      alert({ id: 3, state: "firing", severity: "warning" }),
      alert({ id: 4, state: "unknown", severity: "critical" }),
      alert({ id: 5, state: "firing", severity: "critical" }),
      alert({ id: 6, state: "firing", severity: "warning" }),
      alert({ id: 7, state: "pending", severity: "critical" }),
    ];
    expect(sortAlerts(list).map((a) => a.id)).toEqual([5, 3, 6, 7, 2, 4, 1]);
  });

  it("shows labels by name, without __name__", () => {
    expect(shownLabels({ job: "api", __name__: "up", app: "shop" })).toEqual([
      ["app", "shop"],
      ["job", "api"],
    ]);
    expect(shownLabels({ __name__: "up" })).toEqual([]);
  });

  it("finds an incident's alerts in its order, leaving out those no longer listed", () => {
    const list = [alert({ id: 1 }), alert({ id: 2 }), alert({ id: 3 })];
    expect(alertsOf(incident({ alerts: [3, 9, 1] }), list).map((a) => a.id)).toEqual([3, 1]);
  });

  it("knows whether a silence is still on", () => {
    expect(isSilenced(alert({ silenced_until: null }), NOW)).toBe(false);
    expect(isSilenced(alert({ silenced_until: NOW + 1 }), NOW)).toBe(true);
    expect(isSilenced(alert({ silenced_until: NOW }), NOW)).toBe(false);
  });

  it("writes values compactly", () => {
    expect(formatValue(0.0734)).toBe("0.0734");
    expect(formatValue(0.05)).toBe("0.05");
    expect(formatValue(12.345)).toBe("12.3");
    expect(formatValue(1234.5)).toBe("1.23K");
    expect(formatValue(4_500_000)).toBe("4.5M");
    expect(formatValue(0)).toBe("0");
    expect(formatValue(-3.21)).toBe("-3.21");
    expect(formatValue(0.000012)).toBe("1.2e-5");
    expect(formatValue(2e18)).toBe("2e18");
    expect(formatValue(Number.NaN)).toBe("NaN");
    expect(formatValue(Number.POSITIVE_INFINITY)).toBe("+Inf");
    expect(formatValue(null)).toBe("—");
  });

  it("reads an incident id from the route", () => {
    expect(incidentIdOf("7")).toBe(7);
    expect(incidentIdOf(undefined)).toBeNull();
    expect(incidentIdOf("0")).toBeNull();
    expect(incidentIdOf("7x")).toBeNull();
    expect(incidentIdOf("-1")).toBeNull();
    expect(incidentIdOf("99999999999999999")).toBeNull();
  });
});
