import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { UNKNOWN_HINT } from "../alerts";
import type { AlertsView } from "../bindings/AlertsView";
import { formatClock, formatDateTime } from "../format";
import { emitEvent, errorDto, mockBackend, type Handlers } from "../test/backend";
import { alert, alertsOf, incident, NOW } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const HOUR = 3_600_000;

/** Three incidents (open and firing, acknowledged, resolved) and their four alerts, sent in another order than shown. */
function fixture(): AlertsView {
  return alertsOf({
    incidents: [
      incident({ id: 7, alerts: [1, 2], firing: 1, deployment: 12 }),
      incident({
        id: 5,
        key: "rule=disk-full",
        started_at: NOW - 2 * HOUR,
        acknowledged_at: NOW - HOUR,
        alerts: [3],
        firing: 0,
        needs_attention: false,
        deployment: null,
      }),
      incident({
        id: 3,
        key: "app=api,target=eu-1",
        started_at: NOW - 30 * 60_000,
        resolved_at: NOW - 20 * 60_000,
        alerts: [4],
        firing: 0,
        needs_attention: false,
        deployment: null,
      }),
    ],
    alerts: [
      alert({
        id: 4,
        rule: "latency",
        labels: { app: "api", target: "eu-1" },
        severity: "warning",
        state: "resolved",
        since: NOW - 20 * 60_000,
        value: 0.2,
        incident_id: 3,
      }),
      alert({
        id: 3,
        rule: "disk-full",
        labels: { instance: "db-1:9100" },
        severity: "info",
        state: "unknown",
        since: null,
        value: null,
        incident_id: 5,
        silenced_until: NOW + 2 * HOUR,
      }),
      alert({ id: 2, rule: "latency-p99", severity: "warning", state: "pending", since: NOW - 60_000, value: 1234.5 }),
      alert({ id: 1 }),
    ],
    firing: 1,
  });
}

function setup(route = "/alerts", handlers: Handlers = {}, view: AlertsView = fixture()) {
  const backend = mockBackend({ alerts_view: () => view, ...handlers });
  return { backend, ...renderApp(route) };
}

function incidentRow(id: number): HTMLElement {
  const row = screen.getAllByTestId("incident").find((r) => r.dataset.id === String(id));
  if (!row) throw new Error(`no incident ${id}`);
  return row;
}

function alertRow(id: number): HTMLElement {
  const row = screen.getAllByTestId("alert").find((r) => r.dataset.id === String(id));
  if (!row) throw new Error(`no alert ${id}`);
  return row;
}

const texts = (els: HTMLElement[]) => els.map((e) => e.textContent);

beforeEach(() => {
  // Only the clock is fixed: timers stay real (MUI's transitions, user-event, waitFor).
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Alerts view", () => {
  it("lists the incidents, open first, with their key, times, firing count and state", async () => {
    const { user } = setup();
    await screen.findAllByTestId("incident");
    const rows = screen.getAllByTestId("incident");
    expect(rows.map((r) => [r.dataset.id, r.dataset.state, r.dataset.attention])).toEqual([
      ["7", "open", "true"],
      ["5", "acknowledged", "false"],
      ["3", "resolved", "false"],
    ]);

    const open = incidentRow(7);
    expect(texts(within(open).getAllByTestId("incident-key-label"))).toEqual(["app: shop", "environment: production"]);
    expect(within(open).getByTestId("incident-firing")).toHaveTextContent("1 firing of 2");
    expect(within(open).getByTestId("incident-started")).toHaveTextContent(`Started ${formatDateTime(NOW - 4 * 60_000)}`);
    expect(within(open).getByTestId("incident-duration")).toHaveTextContent("Open for 4m 00s");
    expect(within(open).getByTestId("incident-state")).toHaveTextContent("Open");
    expect(within(open).getByTestId("incident-ack")).toHaveTextContent("Acknowledge");

    const acked = incidentRow(5);
    expect(texts(within(acked).getAllByTestId("incident-key-label"))).toEqual(["rule: disk-full"]);
    expect(within(acked).getByTestId("incident-firing")).toHaveTextContent("0 firing of 1");
    expect(within(acked).getByTestId("incident-state")).toHaveTextContent("Acknowledged");
    expect(within(acked).queryByTestId("incident-ack")).not.toBeInTheDocument();

    const resolved = incidentRow(3);
    expect(texts(within(resolved).getAllByTestId("incident-key-label"))).toEqual(["app: api", "target: eu-1"]);
    expect(within(resolved).getByTestId("incident-duration")).toHaveTextContent(
      `Resolved ${formatDateTime(NOW - 20 * 60_000)} · lasted 10m 00s`,
    );
    expect(within(resolved).queryByTestId("incident-ack")).not.toBeInTheDocument();

    // Collapsed until asked; then its alerts.
    expect(within(acked).queryByTestId("incident-alerts")).not.toBeInTheDocument();
    const toggle = within(acked).getByTestId("incident-toggle");
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const inside = within(acked).getAllByTestId("incident-alert");
    expect(inside.map((r) => [r.dataset.id, r.dataset.state, r.dataset.rule])).toEqual([["3", "unknown", "disk-full"]]);
    await user.click(toggle);
    expect(within(acked).queryByTestId("incident-alerts")).not.toBeInTheDocument();
  });

  it("lists the alerts, firing first, with state, severity, value, since, labels and silence", async () => {
    const { user } = setup();
    await screen.findAllByTestId("alert");
    const rows = screen.getAllByTestId("alert");
    expect(rows.map((r) => [r.dataset.id, r.dataset.state, r.dataset.rule])).toEqual([
      ["1", "firing", "error-ratio"],
      ["2", "pending", "latency-p99"],
      ["3", "unknown", "disk-full"],
      ["4", "resolved", "latency"],
    ]);
    expect(texts(rows.map((r) => within(r).getByTestId("alert-state")))).toEqual(["Firing", "Pending", "Unknown", "Resolved"]);
    expect(texts(rows.map((r) => within(r).getByTestId("alert-severity")))).toEqual(["critical", "warning", "info", "warning"]);
    expect(texts(rows.map((r) => within(r).getByTestId("alert-value")))).toEqual(["0.0734", "1.23K", "—", "0.2"]);

    const firing = alertRow(1);
    // The metric's name is not a label worth showing.
    expect(texts(within(firing).getAllByTestId("alert-label"))).toEqual(["app: shop", "environment: production"]);
    expect(within(firing).getByTestId("alert-since")).toHaveTextContent("5 minutes ago");
    expect(within(firing).getByTestId("alert-since")).toHaveTextContent(formatDateTime(NOW - 5 * 60_000));
    expect(within(firing).getByTestId("alert-incident")).toHaveTextContent("Incident #7");
    expect(within(firing).queryByTestId("alert-silenced")).not.toBeInTheDocument();

    const unknown = alertRow(3);
    expect(within(unknown).getByTestId("alert-since")).toHaveTextContent("—");
    expect(within(unknown).getByTestId("alert-silenced")).toHaveTextContent(`Silenced until ${formatClock(NOW + 2 * HOUR, NOW)}`);
    await user.hover(within(unknown).getByTestId("alert-state"));
    expect(await screen.findByRole("tooltip")).toHaveTextContent(UNKNOWN_HINT);

    // A resolved alert has nothing to silence.
    expect(within(alertRow(4)).queryByTestId("alert-silence")).not.toBeInTheDocument();
    expect(within(alertRow(2)).getByTestId("alert-silence")).toBeInTheDocument();
  });

  it("acknowledges an open incident, says so and reloads", async () => {
    let view = fixture();
    const { user, backend } = setup("/alerts", {
      alerts_view: () => view,
      acknowledge_incident: ({ id }) => {
        view = { ...view, firing: 0, incidents: view.incidents.map((i) => (i.id === id ? { ...i, acknowledged_at: NOW, needs_attention: false } : i)) };
        return true;
      },
    });
    await screen.findAllByTestId("incident");
    expect(screen.getByTestId("nav-alerts-badge")).toHaveTextContent("1");
    const loads = backend.argsOf("alerts_view").length;

    await user.click(within(incidentRow(7)).getByTestId("incident-ack"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Incident #7 acknowledged");
    expect(backend.argsOf("acknowledge_incident")).toEqual([{ id: 7 }]);
    await waitFor(() => expect(incidentRow(7)).toHaveAttribute("data-state", "acknowledged"));
    expect(backend.argsOf("alerts_view").length).toBe(loads + 1);
    expect(within(incidentRow(7)).queryByTestId("incident-ack")).not.toBeInTheDocument();
    expect(incidentRow(7)).toHaveAttribute("data-attention", "false");
    // The navigation's badge follows the same answer.
    expect(screen.queryByTestId("nav-alerts-badge")).not.toBeInTheDocument();
  });

  it("silences an alert for 1 hour from its menu and names when the silence ends", async () => {
    let view = fixture();
    const { user, backend } = setup("/alerts", {
      alerts_view: () => view,
      silence_alert: ({ id, minutes }) => {
        view = { ...view, alerts: view.alerts.map((a) => (a.id === id ? { ...a, silenced_until: Date.now() + minutes * 60_000 } : a)) };
        return true;
      },
    });
    await screen.findAllByTestId("alert");
    const loads = backend.argsOf("alerts_view").length;
    await user.click(within(alertRow(1)).getByTestId("alert-silence"));
    const options = await screen.findAllByRole("menuitem");
    expect(options.map((o) => [o.dataset.testid, o.textContent])).toEqual([
      ["alert-silence-30", "For 30 minutes"],
      ["alert-silence-60", "For 1 hour"],
      ["alert-silence-240", "For 4 hours"],
      ["alert-silence-1440", "For 1 day"],
    ]);
    await user.click(screen.getByTestId("alert-silence-60"));

    const until = formatClock(NOW + HOUR, NOW);
    expect(until).toMatch(/^\d\d:\d\d$/);
    expect(await screen.findByTestId("notice")).toHaveTextContent(`Alert 1 silenced until ${until}`);
    expect(backend.argsOf("silence_alert")).toEqual([{ id: 1, minutes: 60 }]);
    await waitFor(() => expect(within(alertRow(1)).getByTestId("alert-silenced")).toHaveTextContent(`Silenced until ${until}`));
    expect(backend.argsOf("alerts_view").length).toBe(loads + 1);
  });

  it("shows why an action failed where it happened", async () => {
    const { user } = setup("/alerts", {
      silence_alert: () => {
        throw errorDto("invalid_input", "silence for 1 to 10080 minutes");
      },
    });
    await screen.findAllByTestId("alert");
    await user.click(within(alertRow(2)).getByTestId("alert-silence"));
    await user.click(await screen.findByTestId("alert-silence-1440"));
    const error = await screen.findByTestId("alerts-action-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("Alert 2 could not be silenced");
    expect(error).toHaveTextContent("silence for 1 to 10080 minutes");
  });

  it("reads the alerts again when the alerts event arrives", async () => {
    let view = alertsOf();
    const { backend } = setup("/alerts", { alerts_view: () => view });
    await screen.findByTestId("alerts-empty");
    const loads = backend.argsOf("alerts_view").length;
    view = fixture();
    await emitEvent("switchyard://alerts", { opened: [7] });
    expect(await screen.findAllByTestId("incident")).toHaveLength(3);
    expect(backend.argsOf("alerts_view").length).toBe(loads + 1);
    expect(screen.queryByTestId("alerts-empty")).not.toBeInTheDocument();
    expect(screen.getByTestId("nav-alerts-badge")).toHaveTextContent("1");
  });

  it("evaluates the rules now and shows their answer", async () => {
    const { user, backend } = setup("/alerts", { evaluate_alerts: () => fixture() }, alertsOf());
    await screen.findByTestId("alerts-empty");
    const loads = backend.argsOf("alerts_view").length;
    await user.click(screen.getByTestId("alerts-evaluate"));
    expect(await screen.findAllByTestId("incident")).toHaveLength(3);
    expect(backend.argsOf("evaluate_alerts")).toEqual([{}]);
    // Its answer is the view: not read again.
    expect(backend.argsOf("alerts_view").length).toBe(loads);
    expect(await screen.findByTestId("notice")).toHaveTextContent("Alert rules evaluated: 1 incident needs attention");
  });

  it("says why the rules could not be evaluated", async () => {
    const { user } = setup("/alerts", {
      evaluate_alerts: () => {
        throw errorDto("source_unavailable", "Prometheus at http://localhost:9090 did not answer within 10 s: is it running?");
      },
    });
    await screen.findAllByTestId("incident");
    await user.click(screen.getByTestId("alerts-evaluate"));
    const error = await screen.findByTestId("alerts-action-error");
    expect(error).toHaveAttribute("data-code", "source_unavailable");
    expect(error).toHaveTextContent("did not answer within 10 s");
    // What was shown stays.
    expect(screen.getAllByTestId("incident")).toHaveLength(3);
  });

  it("selects, expands and scrolls to the incident of /alerts/<id>", async () => {
    const original = Element.prototype.scrollIntoView;
    const scrolled: Element[] = [];
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
    try {
      setup("/alerts/5");
      await screen.findAllByTestId("incident");
      const row = incidentRow(5);
      expect(row).toHaveAttribute("data-selected", "true");
      expect(row).toHaveAttribute("aria-current", "true");
      expect(within(row).getByTestId("incident-toggle")).toHaveAttribute("aria-expanded", "true");
      expect(within(row).getAllByTestId("incident-alert").map((r) => r.dataset.id)).toEqual(["3"]);
      expect(incidentRow(7)).toHaveAttribute("data-selected", "false");
      expect(within(incidentRow(7)).queryByTestId("incident-alerts")).not.toBeInTheDocument();
      await waitFor(() => expect(scrolled).toContain(row));
      expect(screen.getByTestId("nav-alerts")).toHaveAttribute("aria-current", "page");
      expect(screen.queryByTestId("alerts-incident-missing")).not.toBeInTheDocument();
    } finally {
      Element.prototype.scrollIntoView = original;
    }
  });

  it("goes to an incident by its link, and says when the one asked for is not listed", async () => {
    const { user } = setup("/alerts/99");
    const missing = await screen.findByTestId("alerts-incident-missing");
    expect(missing).toHaveTextContent("Incident #99 is not among the recent incidents.");
    expect(screen.getAllByTestId("incident").every((r) => r.dataset.selected === "false")).toBe(true);

    await user.click(within(incidentRow(7)).getByTestId("incident-link"));
    await waitFor(() => expect(currentPath()).toBe("/alerts/7"));
    expect(incidentRow(7)).toHaveAttribute("data-selected", "true");
    expect(screen.queryByTestId("alerts-incident-missing")).not.toBeInTheDocument();
  });

  it("goes to the incident a notification names (navigate event)", async () => {
    setup("/");
    await screen.findByText("Overview", { selector: "h1" });
    await emitEvent("switchyard://navigate", { route: "/alerts/7" });
    await waitFor(() => expect(currentPath()).toBe("/alerts/7"));
    expect(await screen.findByTestId("incident-alerts")).toBeInTheDocument();
    expect(incidentRow(7)).toHaveAttribute("data-selected", "true");
  });

  it("explains how to add a rule when there is nothing yet", async () => {
    setup("/alerts", {}, alertsOf());
    const empty = await screen.findByTestId("alerts-empty");
    expect(empty).toHaveTextContent("No alerts yet");
    expect(empty).toHaveTextContent("config.toml");
    const example = screen.getByTestId("alerts-empty-example");
    expect(example.textContent).toContain("[alerts.rules.error-ratio]");
    expect(example.textContent).toContain('kind = "threshold"    # threshold | rate_of_change | anomaly | prediction');
    expect(example.textContent).toContain("labels = { environment = \"production\" }");
    expect(screen.queryByTestId("alerts-incidents")).not.toBeInTheDocument();
    expect(screen.queryByTestId("alerts-table")).not.toBeInTheDocument();
    expect(screen.queryByTestId("nav-alerts-badge")).not.toBeInTheDocument();
    expect(screen.getByTestId("alerts-evaluate")).toBeEnabled();
  });

  it("shows a load error with a retry", async () => {
    let fail = true;
    const { user } = setup("/alerts", {
      alerts_view: () => {
        if (fail) throw errorDto("internal", "database is locked");
        return fixture();
      },
    });
    const error = await screen.findByTestId("error-message");
    expect(error).toHaveTextContent("The alerts could not be loaded");
    expect(error).toHaveTextContent("database is locked");
    fail = false;
    await user.click(within(error).getByRole("button", { name: "Try again" }));
    expect(await screen.findAllByTestId("incident")).toHaveLength(3);
    expect(screen.queryByTestId("error-message")).not.toBeInTheDocument();
  });
});

describe("Alerts in the navigation", () => {
  it("shows how many incidents need attention on the Alerts entry, from any page, live", async () => {
    let view = fixture();
    setup("/settings", { alerts_view: () => view });
    await screen.findByTestId("settings-data-dir");
    const badge = await screen.findByTestId("nav-alerts-badge");
    expect(badge).toHaveTextContent("1");
    expect(badge).toHaveAttribute("aria-label", "1 incident needs attention");
    expect(screen.getByTestId("nav-alerts")).toContainElement(badge);

    view = { ...view, firing: 3 };
    await emitEvent("switchyard://alerts", { opened: [8, 9] });
    await waitFor(() => expect(screen.getByTestId("nav-alerts-badge")).toHaveTextContent("3"));

    view = { ...view, firing: 0 };
    await emitEvent("switchyard://alerts", { opened: [] });
    await waitFor(() => expect(screen.queryByTestId("nav-alerts-badge")).not.toBeInTheDocument());
  });

  it("is behind g a and in the command palette", async () => {
    const { user } = setup("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("ga");
    expect(currentPath()).toBe("/alerts");
    expect(await screen.findAllByTestId("incident")).toHaveLength(3);
    expect(screen.getByTestId("nav-alerts")).toHaveAttribute("aria-current", "page");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Go to Alerts");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).not.toBeInTheDocument());

    await user.click(screen.getByTestId("nav-overview"));
    await waitFor(() => expect(currentPath()).toBe("/"));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "incidents");
    const items = screen.getAllByTestId("command-palette-item");
    expect(items.map((i) => i.dataset.id)).toEqual(["go-alerts"]);
    expect(items[0]).toHaveTextContent("Go to Alerts");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/alerts"));
  });
});


describe("an incident's deployment", () => {
  it("links to the deployment that was running when it started, and only when there was one", async () => {
    setup();
    const link = await within(await waitFor(() => incidentRow(7))).findByTestId("incident-deployment");
    expect(link.textContent).toBe("During deployment #12");
    expect(link.getAttribute("href")).toMatch(/\/deployments\/12$/);
    expect(within(incidentRow(5)).queryByTestId("incident-deployment")).toBeNull();
  });
});
