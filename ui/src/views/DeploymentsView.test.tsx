import { screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { DeploymentDetailDto } from "../bindings/DeploymentDetailDto";
import type { DeploymentRecord } from "../bindings/DeploymentRecord";
import { resetPendingDeepLinkForTests } from "../components/DeepLinks";
import { formatDateTime } from "../format";
import { emitEvent, errorDto, mockBackend, type Handlers } from "../test/backend";
import { deployment, deploymentDetailOf, deploymentEvent, deploymentTarget, iso, NOW, summary } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const MIN = 60_000;

/** Newest first, as `list_deployments` answers: web in staging twice, web in production, api in staging. */
function list(): DeploymentRecord[] {
  return [
    deployment({
      id: 12,
      status: "progressing",
      strategy: "canary",
      version: "2.1",
      revision: 8,
      image: "registry.example/acme/web:2.1",
      created_at: iso(NOW - 2 * MIN),
      finished_at: null,
      targets: [deploymentTarget({ status: "progressing" }), deploymentTarget({ name: "staging-us", wave: 2, status: "pending" })],
    }),
    deployment({
      id: 11,
      app: "api",
      version: "r3",
      revision: 3,
      image: null,
      created_at: iso(NOW - 60 * MIN),
      finished_at: iso(NOW - 58 * MIN),
    }),
    deployment({
      id: 9,
      environment: "production",
      status: "rolled_back",
      reason: "Deployment/web did not become ready",
      created_at: iso(NOW - 120 * MIN),
      targets: [deploymentTarget({ name: "eks-prod", status: "rolled_back", reason: "Deployment/web did not become ready" })],
    }),
    deployment({ id: 7 }),
  ];
}

/** A canary of web 2.0 on two targets, waiting for a person at step 2 (its analysis had no data). */
function canary(partial: Partial<DeploymentDetailDto> = {}): DeploymentDetailDto {
  return deploymentDetailOf({
    deployment: deployment({
      id: 7,
      status: "progressing",
      strategy: "canary",
      finished_at: null,
      targets: [deploymentTarget({ status: "progressing" }), deploymentTarget({ name: "staging-us", wave: 2, status: "pending" })],
    }),
    waiting:
      "analysis at step 2 is inconclusive: `errors` returned no data; nothing goes on without data: `switchyard deploy promote 7` goes on, `switchyard deploy abort 7` puts the stable version back",
    events: [
      deploymentEvent(9, "progressing", null, null),
      deploymentEvent(9, "progressing"),
      deploymentEvent(8, "weight", "step 1/3: canary 25%, stable 75%"),
      deploymentEvent(7, "measurement", "measurement 1/2 of step 1: error-ratio = 0.01 (< 0.05): passed"),
      deploymentEvent(6, "measurement", "measurement 2/2 of step 1: error-ratio = 0.2 (< 0.05): failed"),
      deploymentEvent(5, "weight", "step 2/3: canary 50%, stable 50%"),
      deploymentEvent(4, "measurement", "measurement 1/2 of step 2: errors: no data"),
      deploymentEvent(4, "waiting", "analysis at step 2 is inconclusive: `errors` returned no data"),
    ],
    ...partial,
  });
}

function setup(route: string, handlers: Handlers = {}) {
  const backend = mockBackend({ list_deployments: () => list(), deployment_detail: () => canary(), ...handlers });
  return { backend, ...renderApp(route) };
}

function row(testId: string, id: number): HTMLElement {
  const found = screen.getAllByTestId(testId).find((r) => r.dataset.id === String(id));
  if (!found) throw new Error(`no ${testId} ${id}`);
  return found;
}

const texts = (els: HTMLElement[]) => els.map((e) => e.textContent);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("Deployments list", () => {
  it("shows the latest of each app and environment, then the recent deployments with their targets", async () => {
    const { backend } = setup("/deployments");
    await screen.findAllByTestId("deployment-row");
    expect(backend.argsOf("list_deployments")).toEqual([{ app: null, environment: null, limit: 100 }]);

    const latest = screen.getAllByTestId("deployment-latest");
    expect(latest.map((r) => [r.dataset.app, r.dataset.environment, r.dataset.id, r.dataset.status])).toEqual([
      ["api", "staging", "11", "succeeded"],
      ["web", "production", "9", "rolled_back"],
      ["web", "staging", "12", "progressing"],
    ]);
    expect(within(screen.getByTestId("deployments-latest")).getByText("Latest per app and environment (3)")).toBeInTheDocument();

    const rows = screen.getAllByTestId("deployment-row");
    expect(rows.map((r) => [r.dataset.id, r.dataset.status])).toEqual([
      ["12", "progressing"],
      ["11", "succeeded"],
      ["9", "rolled_back"],
      ["7", "succeeded"],
    ]);
    const first = row("deployment-row", 12);
    expect(first).toHaveTextContent("#12");
    expect(first).toHaveTextContent("web");
    expect(first).toHaveTextContent("staging");
    expect(first).toHaveTextContent("2.1");
    expect(first).toHaveTextContent("canary");
    expect(within(first).getByTestId("deployment-status")).toHaveTextContent("Progressing");
    const targets = within(first).getAllByTestId("deployment-target-state");
    expect(targets.map((t) => [t.textContent, t.dataset.status])).toEqual([
      ["staging-eu: Progressing", "progressing"],
      ["staging-us: Pending", "pending"],
    ]);
    expect(within(first).getByTestId("deployment-when")).toHaveTextContent("2 minutes ago");
    expect(within(row("deployment-row", 9)).getByTestId("deployment-when")).toHaveTextContent(formatDateTime(NOW - 120 * MIN));
    expect(screen.getByTestId("nav-deployments")).toHaveAttribute("aria-current", "page");
  });

  it("opens a deployment from its row and from its link", async () => {
    const { user } = setup("/deployments");
    await screen.findAllByTestId("deployment-row");
    await user.click(within(row("deployment-row", 9)).getByText("production"));
    await waitFor(() => expect(currentPath()).toBe("/deployments/9"));
    await screen.findByTestId("deployment-detail");
    await user.click(screen.getByTestId("deployment-back"));
    await screen.findAllByTestId("deployment-row");
    await user.click(within(row("deployment-row", 11)).getByTestId("deployment-link"));
    await waitFor(() => expect(currentPath()).toBe("/deployments/11"));
  });

  it("explains how to deploy when there is nothing yet", async () => {
    setup("/deployments", { list_deployments: () => [] });
    const empty = await screen.findByTestId("deployments-empty");
    expect(empty).toHaveTextContent("No deployments yet");
    expect(screen.getByTestId("deployments-empty-command")).toHaveTextContent("switchyard deploy DIR --env ENV --image REF");
    expect(screen.getByTestId("deployments-empty-example")).toHaveTextContent("deploy:");
    expect(screen.queryByTestId("deployments-table")).not.toBeInTheDocument();
  });

  it("reads the list again when a run changes, and on Refresh", async () => {
    let answer: DeploymentRecord[] = [];
    const { backend, user } = setup("/deployments", { list_deployments: () => answer });
    await screen.findByTestId("deployments-empty");
    answer = list();
    await emitEvent("switchyard://runs", summary({ id: 31, status: "running", finished_at: null, duration_ms: null }));
    expect(await screen.findAllByTestId("deployment-row")).toHaveLength(4);
    const loads = backend.argsOf("list_deployments").length;
    await user.click(screen.getByTestId("deployments-refresh"));
    await waitFor(() => expect(backend.argsOf("list_deployments").length).toBe(loads + 1));
  });

  it("says why the list could not be loaded", async () => {
    setup("/deployments", {
      list_deployments: () => {
        throw errorDto("internal", "the history cannot be read");
      },
    });
    expect(await screen.findByTestId("error-message")).toHaveTextContent("the history cannot be read");
  });
});

describe("Deployment detail", () => {
  it("shows what was shipped where, its targets by wave and its events", async () => {
    const detail = deploymentDetailOf({
      deployment: deployment({
        status: "rolled_back",
        reason: "wave 1 failed",
        targets: [
          deploymentTarget({ name: "eks-prod", wave: 1, status: "rolled_back", reason: "Deployment/web: progress deadline exceeded" }),
          deploymentTarget({ name: "aks-prod", wave: 2, status: "skipped" }),
          deploymentTarget({ name: "gke-prod", wave: 2, status: "skipped" }),
        ],
      }),
      events: [
        deploymentEvent(9, "progressing", null, null),
        deploymentEvent(8, "rolled_back", "Deployment/web: progress deadline exceeded", "eks-prod"),
        deploymentEvent(7, "rolled_back", "wave 1 failed", null),
      ],
    });
    const { backend } = setup("/deployments/7", { deployment_detail: () => detail });
    const view = await screen.findByTestId("deployment-detail");
    expect(backend.argsOf("deployment_detail")).toEqual([{ id: 7 }]);
    expect(view).toHaveAttribute("data-status", "rolled_back");
    expect(screen.getByTestId("deployment-title")).toHaveTextContent("web 2.0 → staging · revision 7 · rolling");
    expect(screen.getByTestId("deployment-status")).toHaveTextContent("Rolled back");
    expect(screen.getByTestId("deployment-reason")).toHaveTextContent("wave 1 failed");
    expect(screen.getByTestId("deployment-project")).toHaveTextContent("shop");
    expect(screen.getByTestId("deployment-project")).toHaveAttribute("href", "/projects/shop");
    expect(screen.getByTestId("deployment-run-link")).toHaveTextContent("Run #31");
    expect(screen.getByTestId("deployment-run-link")).toHaveAttribute("href", "/runs/31");
    expect(screen.getByTestId("deployment-image")).toHaveTextContent("registry.example/acme/web:2.0");
    expect(screen.getByTestId("deployment-commit")).toHaveTextContent("4f1c2a9e");
    expect(screen.getByTestId("deployment-created")).toHaveTextContent(formatDateTime(NOW - 10 * MIN));
    expect(screen.getByTestId("deployment-finished")).toHaveTextContent(`${formatDateTime(NOW - 6 * MIN)} · took 4m 00s`);

    const targets = screen.getAllByTestId("deployment-target");
    expect(targets.map((t) => [t.dataset.name, t.dataset.wave, t.dataset.status])).toEqual([
      ["eks-prod", "1", "rolled_back"],
      ["aks-prod", "2", "skipped"],
      ["gke-prod", "2", "skipped"],
    ]);
    expect(within(targets[0]).getByTestId("deployment-target-reason")).toHaveTextContent("progress deadline exceeded");

    // A rolling deployment: no traffic, no measurements, nothing to decide.
    expect(screen.queryByTestId("deployment-traffic")).not.toBeInTheDocument();
    expect(screen.queryByTestId("deployment-measurements")).not.toBeInTheDocument();
    expect(screen.queryByTestId("deployment-waiting")).not.toBeInTheDocument();
    expect(screen.queryByTestId("deployment-stop")).not.toBeInTheDocument();

    const events = screen.getAllByTestId("deployment-event");
    expect(events.map((e) => [e.dataset.status, e.dataset.target])).toEqual([
      ["progressing", ""],
      ["rolled_back", "eks-prod"],
      ["rolled_back", ""],
    ]);
    expect(events[1]).toHaveTextContent(formatDateTime(NOW - 8 * MIN));
    expect(events[1]).toHaveTextContent("Deployment/web: progress deadline exceeded");
    expect(screen.getByTestId("nav-deployments")).toHaveAttribute("aria-current", "page");
  });

  it("draws each target's traffic from its latest weight event", async () => {
    setup("/deployments/7");
    await screen.findByTestId("deployment-detail");
    const bars = screen.getAllByTestId("traffic-bar");
    expect(bars).toHaveLength(1);
    const bar = bars[0];
    expect(bar).toHaveAttribute("data-target", "staging-eu");
    expect(bar).toHaveAttribute("data-canary", "50");
    expect(bar).toHaveAttribute("data-stable", "50");
    expect(within(bar).getByTestId("traffic-stable")).toHaveTextContent("Stable 50%");
    expect(within(bar).getByTestId("traffic-canary")).toHaveTextContent("Canary 2.0 50%");
    expect(within(bar).getByTestId("traffic-note")).toHaveTextContent("step 2 of 3");
    expect(within(bar).getByRole("img")).toHaveAccessibleName("staging-eu: stable 50%, canary 2.0 50% (step 2 of 3)");
    expect(within(bar).getByTestId("traffic-stable-segment")).toHaveStyle({ width: "50%" });
    // The second wave has not started: all its traffic is on the stable version.
    expect(screen.getByTestId("traffic-none")).toHaveAttribute("data-target", "staging-us");
    // The targets table says the same.
    const eu = screen.getAllByTestId("deployment-target")[0];
    expect(eu).toHaveTextContent("50% (step 2/3)");
  });

  it("shows an abort as all the traffic back on stable", async () => {
    const detail = canary();
    detail.waiting = null;
    detail.deployment = { ...detail.deployment, status: "rolled_back", finished_at: iso(NOW) };
    detail.events = [...detail.events, deploymentEvent(1, "weight", "step 2/3: canary 0%, stable 100%")];
    setup("/deployments/7", { deployment_detail: () => detail });
    const bar = await screen.findByTestId("traffic-bar");
    expect(bar).toHaveAttribute("data-canary", "0");
    expect(bar).toHaveAttribute("data-stable", "100");
    expect(within(bar).getByTestId("traffic-note")).toHaveTextContent("all the traffic is back on the stable version");
    expect(within(bar).queryByTestId("traffic-canary-segment")).not.toBeInTheDocument();
  });

  it("draws a blue-green switch as the new version taking all the traffic", async () => {
    const detail = deploymentDetailOf({
      deployment: deployment({ strategy: "blue-green" }),
      events: [deploymentEvent(5, "progressing"), deploymentEvent(4, "weight", "step 1/1: canary 100%, stable 0%")],
    });
    setup("/deployments/7", { deployment_detail: () => detail });
    const bar = await screen.findByTestId("traffic-bar");
    expect(bar).toHaveAttribute("data-canary", "100");
    expect(bar).toHaveAttribute("data-stable", "0");
    expect(within(bar).getByTestId("traffic-canary")).toHaveTextContent("New 2.0 100%");
    expect(within(bar).getByTestId("traffic-note")).toHaveTextContent("promoted: 2.0 takes all the traffic");
    expect(within(bar).queryByTestId("traffic-stable-segment")).not.toBeInTheDocument();
  });

  it("lists the measurements, failed ones highlighted, with a plot per check", async () => {
    setup("/deployments/7");
    const section = await screen.findByTestId("deployment-measurements");
    const rows = within(section).getAllByTestId("measurement");
    expect(rows.map((r) => [r.dataset.step, r.dataset.round, r.dataset.check, r.dataset.value, r.dataset.outcome, r.dataset.highlighted])).toEqual([
      ["1", "1", "error-ratio", "0.01", "passed", "false"],
      ["1", "2", "error-ratio", "0.2", "failed", "true"],
      ["2", "1", "errors", "", "no_data", "false"],
    ]);
    expect(texts(rows.map((r) => within(r).getByTestId("measurement-outcome")))).toEqual(["passed", "failed", "no data"]);
    expect(texts(rows.map((r) => within(r).getByTestId("measurement-value")))).toEqual(["0.01", "0.2", "—"]);
    expect(rows[1]).toHaveTextContent("< 0.05");
    expect(rows[1]).toHaveTextContent("2/2");
    expect(within(section).getByTestId("measurements-failed")).toHaveTextContent("1 failed");

    const plots = within(section).getAllByTestId("measurement-plot");
    expect(plots.map((p) => [p.dataset.check, p.dataset.threshold])).toEqual([
      ["error-ratio", "0.05"],
      ["errors", ""],
    ]);
    const points = within(plots[0]).getAllByTestId("measurement-plot-point");
    expect(points.map((p) => p.getAttribute("data-outcome"))).toEqual(["passed", "failed"]);
    expect(within(plots[0]).getByTestId("measurement-plot-threshold")).toBeInTheDocument();
    // The failed value lies beyond the threshold: drawn above its line (smaller y).
    const thresholdY = Number(within(plots[0]).getByTestId("measurement-plot-threshold").getAttribute("y1"));
    expect(Number(points[1].getAttribute("cy"))).toBeLessThan(thresholdY);
    expect(Number(points[0].getAttribute("cy"))).toBeGreaterThan(thresholdY);
    expect(within(plots[1]).queryByRole("img")).not.toBeInTheDocument();
    expect(plots[1]).toHaveTextContent("No value measured");
  });

  it("asks before promoting, naming the app, the environment and the targets, and only then promotes", async () => {
    let detail = canary();
    const { user, backend } = setup("/deployments/7", {
      deployment_detail: () => detail,
      decide_deployment: () => {
        detail = { ...detail, waiting: null };
        return "promoted";
      },
    });
    const waiting = await screen.findByTestId("deployment-waiting");
    expect(waiting).toHaveTextContent("analysis at step 2 is inconclusive");
    expect(screen.getByTestId("deployment-waiting-chip")).toBeInTheDocument();
    // Waiting: promote or abort, not stop.
    expect(screen.queryByTestId("deployment-stop")).not.toBeInTheDocument();

    await user.click(within(waiting).getByTestId("deployment-promote"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Promote web 2.0 in staging?");
    expect(within(dialog).getByTestId("deployment-confirm-app")).toHaveTextContent("web 2.0");
    expect(within(dialog).getByTestId("deployment-confirm-environment")).toHaveTextContent("staging");
    expect(within(dialog).getByTestId("deployment-confirm-targets")).toHaveTextContent("staging-eu, staging-us");
    expect(dialog).toHaveTextContent("The canary of web 2.0 goes on with its next step");
    expect(backend.argsOf("decide_deployment")).toEqual([]);

    const loads = backend.argsOf("deployment_detail").length;
    await user.click(within(dialog).getByTestId("deployment-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Promoted web 2.0 in staging: the canary goes on with its next step");
    expect(backend.argsOf("decide_deployment")).toEqual([{ id: 7, go_on: true, comment: null }]);
    await waitFor(() => expect(screen.queryByTestId("deployment-waiting")).not.toBeInTheDocument());
    expect(backend.argsOf("deployment_detail").length).toBe(loads + 1);
    // Running again, not waiting: it can be stopped.
    expect(screen.getByTestId("deployment-stop")).toBeInTheDocument();
  });

  it("asks before approving a deployment that waits for approval, in its words", async () => {
    const detail = deploymentDetailOf({
      deployment: deployment({ status: "pending", finished_at: null, targets: [deploymentTarget({ status: "pending" })] }),
      waiting: "Ship web 2.0 to staging (staging-eu)? The diff is above. `switchyard deploy approve 7` or `switchyard deploy reject 7`",
      events: [deploymentEvent(1, "pending", null, null), deploymentEvent(1, "waiting", "waiting for approval", null)],
    });
    const { user, backend } = setup("/deployments/7", { deployment_detail: () => detail, decide_deployment: () => "promoted" });
    const waiting = await screen.findByTestId("deployment-waiting");
    expect(waiting).toHaveTextContent("Waiting for approval: nothing is applied until someone approves");
    expect(waiting).toHaveTextContent("Ship web 2.0 to staging (staging-eu)?");
    expect(screen.getByTestId("deployment-waiting-chip")).toHaveTextContent("Waiting for approval");
    expect(within(waiting).getByTestId("deployment-promote")).toHaveTextContent("Approve");
    expect(within(waiting).getByTestId("deployment-abort")).toHaveTextContent("Reject");
    expect(screen.queryByTestId("deployment-stop")).not.toBeInTheDocument();

    await user.click(within(waiting).getByTestId("deployment-promote"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Approve web 2.0 in staging?");
    expect(within(dialog).getByTestId("deployment-confirm-dialog")).toHaveAttribute("data-kind", "approval");
    expect(dialog).toHaveTextContent("web 2.0 is applied to its targets, wave by wave");
    expect(within(dialog).getByTestId("deployment-confirm-targets")).toHaveTextContent("staging-eu");
    expect(backend.argsOf("decide_deployment")).toEqual([]);
    await user.click(within(dialog).getByTestId("deployment-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Approved web 2.0 in staging: it is being applied");
    expect(backend.argsOf("decide_deployment")).toEqual([{ id: 7, go_on: true, comment: null }]);
  });

  it("does nothing when the confirmation is cancelled", async () => {
    const { user, backend } = setup("/deployments/7", { decide_deployment: () => "aborted" });
    await user.click(await screen.findByTestId("deployment-abort"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Abort web 2.0 in staging?");
    await user.click(within(dialog).getByTestId("deployment-confirm-cancel"));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("decide_deployment")).toEqual([]);
  });

  it("aborts with a comment after the confirmation", async () => {
    const { user, backend } = setup("/deployments/7", { decide_deployment: () => "aborted" });
    await user.click(await screen.findByTestId("deployment-abort"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("100% of the traffic goes back to the stable version");
    expect(within(dialog).getByTestId("deployment-confirm-targets")).toHaveTextContent("staging-eu, staging-us");
    await user.type(within(dialog).getByTestId("deployment-comment"), "  errors are up  ");
    await user.click(within(dialog).getByTestId("deployment-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Aborted web 2.0 in staging: the stable version takes the traffic back");
    expect(backend.argsOf("decide_deployment")).toEqual([{ id: 7, go_on: false, comment: "errors are up" }]);
  });

  it("offers Stop while it progresses without waiting, after a confirmation", async () => {
    const detail = canary({ waiting: null });
    const { user, backend } = setup("/deployments/7", { deployment_detail: () => detail, decide_deployment: () => "stopping" });
    await screen.findByTestId("deployment-detail");
    expect(screen.queryByTestId("deployment-waiting")).not.toBeInTheDocument();
    expect(screen.queryByTestId("deployment-promote")).not.toBeInTheDocument();
    await user.click(screen.getByTestId("deployment-stop"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveAccessibleName("Stop web 2.0 in staging?");
    expect(dialog).toHaveTextContent("staging-eu, staging-us");
    expect(backend.argsOf("decide_deployment")).toEqual([]);
    await user.click(within(dialog).getByTestId("deployment-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Stopping web 2.0 in staging");
    expect(backend.argsOf("decide_deployment")).toEqual([{ id: 7, go_on: false, comment: null }]);
  });

  it("offers Stop for a pending deployment, and nothing for one that ended", async () => {
    let detail = deploymentDetailOf({ deployment: deployment({ status: "pending", finished_at: null }) });
    const { backend } = setup("/deployments/7", { deployment_detail: () => detail });
    expect(await screen.findByTestId("deployment-stop")).toBeInTheDocument();
    detail = deploymentDetailOf();
    await emitEvent("switchyard://run/31", { kind: "run", run_id: 31, status: "succeeded" });
    await waitFor(() => expect(screen.getByTestId("deployment-detail")).toHaveAttribute("data-status", "succeeded"));
    expect(screen.queryByTestId("deployment-stop")).not.toBeInTheDocument();
    expect(backend.argsOf("deployment_detail").length).toBe(2);
  });

  it("reads the deployment again on its run's events and on its weight and measurement log lines", async () => {
    let detail = canary({ waiting: null });
    const { backend } = setup("/deployments/7", { deployment_detail: () => detail });
    await screen.findByTestId("traffic-bar");
    expect(backend.argsOf("deployment_detail")).toHaveLength(1);

    // Another run's events do not matter.
    await emitEvent("switchyard://run/30", { kind: "run", run_id: 30, status: "running" });
    detail = { ...detail, events: [...detail.events, deploymentEvent(1, "weight", "step 3/3: canary 100%, stable 0%")] };
    await emitEvent("switchyard://log/88", {
      run_id: 31,
      job_id: 88,
      total: 2,
      lines: [
        { number: 1, ts: NOW, stream: "stdout", attempt: 1, step: 0, text: "promoting 2.0 to stable" },
        { number: 2, ts: NOW, stream: "stdout", attempt: 1, step: 0, text: "step 3/3: canary 100%, stable 0%" },
      ],
    });
    await waitFor(() => expect(screen.getByTestId("traffic-bar")).toHaveAttribute("data-canary", "100"));
    expect(backend.argsOf("deployment_detail")).toHaveLength(2);

    // A rollout line is not worth it.
    await emitEvent("switchyard://log/88", {
      run_id: 31,
      job_id: 88,
      total: 3,
      lines: [{ number: 3, ts: NOW, stream: "stdout", attempt: 1, step: 0, text: "Deployment/web: 1/3 updated, 3 ready" }],
    });
    detail = { ...detail, waiting: "analysis at step 3 is inconclusive" };
    await emitEvent("switchyard://run/31", {
      kind: "job",
      run_id: 31,
      job_id: 88,
      job: "staging",
      status: "waiting",
      attempt: 1,
      reason: "analysis at step 3 is inconclusive",
    });
    expect(await screen.findByTestId("deployment-waiting")).toHaveTextContent("analysis at step 3 is inconclusive");
    expect(backend.argsOf("deployment_detail")).toHaveLength(3);
  });

  it("shows why a decision was refused, and reads the deployment again", async () => {
    const { user, backend } = setup("/deployments/7", {
      decide_deployment: () => {
        throw errorDto("conflict", "deployment 7 no longer waits");
      },
    });
    await user.click(await screen.findByTestId("deployment-promote"));
    await user.click(within(await screen.findByRole("dialog")).getByTestId("deployment-confirm"));
    const error = await screen.findByTestId("deployment-action-error");
    expect(error).toHaveAttribute("data-code", "conflict");
    expect(error).toHaveTextContent("Deployment #7 could not be promoted");
    expect(error).toHaveTextContent("deployment 7 no longer waits");
    await waitFor(() => expect(backend.argsOf("deployment_detail")).toHaveLength(2));
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
  });

  it("says when there is no such deployment", async () => {
    setup("/deployments/404", {
      deployment_detail: ({ id }) => {
        throw errorDto("not_found", `no deployment with id ${id}`);
      },
    });
    const error = await screen.findByTestId("error-message");
    expect(error).toHaveTextContent("Deployment #404 does not exist");
    expect(error).toHaveTextContent("no deployment with id 404");
  });

  it("does not ask for an id that is not a number", async () => {
    const { backend } = setup("/deployments/abc");
    expect(await screen.findByTestId("deployment-invalid")).toHaveTextContent("“abc” is not a deployment number.");
    expect(backend.argsOf("deployment_detail")).toEqual([]);
  });
});

describe("Getting to the deployments", () => {
  beforeEach(() => resetPendingDeepLinkForTests());

  it("is in the navigation, behind g d and in the command palette", async () => {
    const { user } = setup("/");
    await screen.findByText("Overview", { selector: "h1" });
    await user.keyboard("gd");
    await waitFor(() => expect(currentPath()).toBe("/deployments"));
    await screen.findAllByTestId("deployment-row");
    await user.click(screen.getByTestId("nav-overview"));
    await waitFor(() => expect(currentPath()).toBe("/"));
    await user.click(screen.getByTestId("nav-deployments"));
    await waitFor(() => expect(currentPath()).toBe("/deployments"));
    await user.click(screen.getByTestId("nav-overview"));
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "canary");
    const items = screen.getAllByTestId("command-palette-item");
    expect(items.map((i) => i.dataset.id)).toEqual(["go-deployments"]);
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/deployments"));
  });

  it("opens a deployment from a link, without acting on it", async () => {
    const { backend } = setup("/");
    await screen.findByText("Overview", { selector: "h1" });
    await emitEvent("switchyard://deep-link", { kind: "deployment", id: 7 });
    await waitFor(() => expect(currentPath()).toBe("/deployments/7"));
    expect(await screen.findByTestId("deployment-waiting")).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.argsOf("decide_deployment")).toEqual([]);
    await emitEvent("switchyard://deep-link", { kind: "deployment", id: null });
    await waitFor(() => expect(currentPath()).toBe("/deployments"));
  });

  it("opens the deployment the app was started with", async () => {
    setup("/", { pending_deep_link: () => ({ kind: "deployment", id: 12 }) });
    await waitFor(() => expect(currentPath()).toBe("/deployments/12"));
    expect(await screen.findByTestId("deployment-detail")).toBeInTheDocument();
  });
});
