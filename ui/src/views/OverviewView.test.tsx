import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { WaitingGateView } from "../bindings/WaitingGateView";
import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { gate, iso, job, overviewOf, project, run, summary, waitingGate } from "../test/fixtures";
import { currentPath, currentSearch, renderApp } from "../test/render";

describe("Overview", () => {
  it("shows runs in progress, failing main branches and recent runs, each linking to its run", async () => {
    mockBackend({
      overview: () => ({
        active: [summary({ id: 31, status: "running", finished_at: null, duration_ms: null })],
        recent: [summary({ id: 30, status: "succeeded" }), summary({ id: 29, project: "api", status: "failed" })],
        failing: [summary({ id: 29, project: "api", status: "failed" })],
        waiting: [],
        default_branches: ["main", "trunk"],
        projects: 2,
      }),
    });
    const { user } = renderApp("/");

    const active = await screen.findByTestId("overview-active");
    const activeRow = within(active).getByTestId("run-row");
    expect(activeRow).toHaveAttribute("data-run-id", "31");
    expect(within(activeRow).getByText("shop #31")).toBeInTheDocument();
    expect(within(activeRow).getByText("Running")).toBeInTheDocument();

    const failing = screen.getByTestId("overview-failing");
    expect(within(failing).getByText("api #29")).toBeInTheDocument();
    expect(within(failing).getByText("Failed")).toBeInTheDocument();
    // What "failing" means, with the main branches from the config.
    expect(within(failing).getByTestId("overview-default-branches")).toHaveTextContent("main, trunk");
    expect(within(failing).getByTestId("overview-failing-rule")).toHaveTextContent(
      "Projects whose latest finished run on a main branch (main, trunk) did not succeed",
    );

    const recent = screen.getByTestId("overview-recent");
    expect(within(recent).getAllByTestId("run-row").map((r) => r.getAttribute("data-run-id"))).toEqual(["30", "29"]);

    expect(screen.queryByTestId("first-run-demo")).not.toBeInTheDocument();
    // No gate waits: no such section.
    expect(screen.queryByTestId("overview-waiting")).not.toBeInTheDocument();
    expect(screen.queryByText(/Waiting for approval/)).not.toBeInTheDocument();
    await user.click(activeRow);
    expect(currentPath()).toBe("/runs/31");
  });

  it("lists the gates waiting for approval above the runs in progress, oldest first, each opening its run on the gate", async () => {
    const started = Date.now();
    mockBackend({
      overview: () =>
        overviewOf({
          active: [summary({ id: 12, status: "running", finished_at: null, duration_ms: null })],
          waiting: [
            waitingGate({
              run: summary({ id: 9, project: "api", status: "running", finished_at: null, duration_ms: null }),
              job: "deploy (eu)",
              message: "Deploy to the EU cluster?",
              since: iso(started - 2 * 3_600_000 - 3 * 60_000),
            }),
            waitingGate({ since: iso(started - 65_000) }),
            waitingGate({ job: "announce", message: "Tell the customers?", since: null }),
          ],
        }),
      get_run: () =>
        run({
          id: 9,
          project: "api",
          status: "running",
          finished_at: null,
          duration_ms: null,
          jobs: [
            job({ id: 90, name: "build" }),
            gate({ id: 91, name: "deploy", approval: { message: "Deploy?", decision: null } }),
            gate({ id: 92, name: "deploy (eu)", approval: { message: "Deploy to the EU cluster?", decision: null } }),
          ],
        }),
      read_log: () => ({ lines: [], total: 0 }),
    });
    const { user } = renderApp("/");

    const waiting = await screen.findByTestId("overview-waiting");
    expect(within(waiting).getByRole("heading")).toHaveTextContent("Waiting for approval (3)");
    // Above "In progress", which stays as it is.
    const active = screen.getByTestId("overview-active");
    expect(waiting.compareDocumentPosition(active) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    expect(within(active).getByText("shop #12")).toBeInTheDocument();

    const rows = within(waiting).getAllByTestId("waiting-gate");
    expect(rows.map((r) => [r.getAttribute("data-run-id"), r.getAttribute("data-job")])).toEqual([
      ["9", "deploy (eu)"],
      ["12", "release"],
      ["12", "announce"],
    ]);
    expect(within(rows[0]).getByText("api #9 · deploy (eu)")).toBeInTheDocument();
    expect(within(rows[0]).getByTestId("waiting-gate-message")).toHaveTextContent("Deploy to the EU cluster?");
    expect(within(rows[0]).getByTestId("waiting-gate-age")).toHaveTextContent("waiting 2h 03m");
    expect(within(rows[0]).getByLabelText("Waiting for approval")).toBeInTheDocument();
    expect(within(rows[1]).getByText("shop #12 · release")).toBeInTheDocument();
    expect(within(rows[1]).getByTestId("waiting-gate-age")).toHaveTextContent(/^waiting 1m 0\ds$/);
    // Not known since when: no time.
    expect(within(rows[2]).queryByTestId("waiting-gate-age")).not.toBeInTheDocument();
    expect(rows[0]).toHaveAttribute("href", expect.stringMatching(/\/runs\/9\?job_name=deploy\+%28eu%29$/));

    await user.click(rows[0]);
    expect(currentPath()).toBe("/runs/9");
    expect(new URLSearchParams(currentSearch() ?? "").get("job_name")).toBe("deploy (eu)");
    // The run page opens on that gate, not on the first waiting one.
    const gatePanel = await screen.findByTestId("gate-panel");
    expect(within(gatePanel).getByTestId("gate-message")).toHaveTextContent("Deploy to the EU cluster?");
  });

  it("shows a gate when it starts waiting and drops it once decided (runs event)", async () => {
    let waiting: WaitingGateView[] = [];
    const backend = mockBackend({ overview: () => overviewOf({ waiting }) });
    renderApp("/");
    expect(await screen.findByTestId("overview-active")).toBeInTheDocument();
    expect(screen.queryByTestId("overview-waiting")).not.toBeInTheDocument();
    const before = backend.argsOf("overview").length;

    waiting = [waitingGate({ since: iso(Date.now()) })];
    await emitEvent("switchyard://runs", summary({ id: 12, status: "running", finished_at: null, duration_ms: null }));
    const section = await screen.findByTestId("overview-waiting");
    expect(within(section).getByRole("heading")).toHaveTextContent("Waiting for approval (1)");
    expect(within(section).getByTestId("waiting-gate")).toHaveTextContent("shop #12 · release");

    waiting = [];
    await emitEvent("switchyard://runs", summary({ id: 12, status: "running", finished_at: null, duration_ms: null }));
    await waitFor(() => expect(screen.queryByTestId("overview-waiting")).not.toBeInTheDocument());
    expect(backend.argsOf("overview").length).toBe(before + 2);
  });

  it("refreshes when a run changes (event), without polling", async () => {
    let active = [summary({ id: 5, status: "running", finished_at: null, duration_ms: null })];
    const backend = mockBackend({
      overview: () => ({ active, recent: [], failing: [], waiting: [], default_branches: ["main"], projects: 1 }),
    });
    renderApp("/");
    expect(await screen.findByText("shop #5")).toBeInTheDocument();
    const before = backend.argsOf("overview").length;

    active = [];
    await emitEvent("switchyard://runs", summary({ id: 5, status: "succeeded" }));
    await waitFor(() => expect(screen.getByText("Nothing is running.")).toBeInTheDocument());
    expect(backend.argsOf("overview").length).toBe(before + 1);
  });

  it("reloads when a project is imported or changed elsewhere (the CLI), without polling", async () => {
    let projects = 0;
    const backend = mockBackend({
      overview: () => ({ active: [], recent: [], failing: [], waiting: [], default_branches: ["main"], projects }),
      first_run: () => ({ empty: projects === 0, demo_available: false }),
    });
    renderApp("/");
    expect(await screen.findByTestId("overview-empty")).toBeInTheDocument();
    const before = backend.argsOf("overview").length;

    projects = 1;
    await emitEvent("switchyard://projects", { name: "shop" });
    await waitFor(() => expect(screen.getByText("1 project")).toBeInTheDocument());
    expect(screen.queryByTestId("overview-empty")).not.toBeInTheDocument();
    expect(backend.argsOf("overview").length).toBe(before + 1);
  });

  it("shows a run's age and a running run's elapsed time from its RFC 3339 times", async () => {
    const started = Date.now() - 65_000;
    mockBackend({
      overview: () => ({
        active: [
          summary({
            id: 8,
            status: "running",
            created_at: iso(started - 1000),
            started_at: iso(started),
            finished_at: null,
            duration_ms: null,
          }),
        ],
        recent: [],
        failing: [],
        waiting: [],
        default_branches: ["main"],
        projects: 1,
      }),
    });
    renderApp("/");
    const row = within(await screen.findByTestId("overview-active")).getByTestId("run-row");
    expect(row).toHaveTextContent(/main · 01234567 · (1|2) minutes? ago · 1m \d\ds/);
    // The elapsed time keeps counting while the run goes.
    const seconds = () => Number(/1m (\d\d)s/.exec(row.textContent ?? "")?.[1]);
    const first = seconds();
    expect(first).toBeGreaterThanOrEqual(5);
    await waitFor(() => expect(seconds()).toBeGreaterThan(first), { timeout: 3000 });
  });

  it("explains what to do to a new user and imports through the dialog", async () => {
    mockBackend({
      overview: () => ({ active: [], recent: [], failing: [], waiting: [], default_branches: ["main"], projects: 0 }),
      first_run: () => ({ empty: true, demo_available: false }),
    });
    const { user } = renderApp("/");
    const empty = await screen.findByTestId("overview-empty");
    expect(within(empty).getByText(/Start by importing a project folder/)).toBeInTheDocument();
    expect(screen.queryByTestId("first-run-demo")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("overview-import"));
    expect(await screen.findByTestId("import-path-input")).toBeInTheDocument();
  });

  it("on first start imports the demo project, runs it and opens the run", async () => {
    const backend = mockBackend({
      overview: () => ({ active: [], recent: [], failing: [], waiting: [], default_branches: ["main"], projects: 0 }),
      first_run: () => ({ empty: true, demo_available: true }),
      import_demo: () => project({ name: "demo", last_run: null }),
      start_run: () => 42,
      get_run: () => run({ id: 42, project: "demo", status: "queued", jobs: [] }),
    });
    const { user } = renderApp("/");
    await user.click(await screen.findByTestId("first-run-demo"));
    await waitFor(() => expect(currentPath()).toBe("/runs/42"));
    expect(backend.argsOf("start_run")).toEqual([{ project: "demo", jobs: [], in_place: false, from_link: false, parallelism: null, target: null }]);
    expect(backend.commands().indexOf("import_demo")).toBeLessThan(backend.commands().indexOf("start_run"));
  });

  it("says why the demo could not start", async () => {
    mockBackend({
      overview: () => ({ active: [], recent: [], failing: [], waiting: [], default_branches: ["main"], projects: 0 }),
      first_run: () => ({ empty: true, demo_available: true }),
      import_demo: () => {
        throw errorDto("internal", "could not copy the demo project into /data: disk full");
      },
    });
    const { user } = renderApp("/");
    await user.click(await screen.findByTestId("first-run-demo"));
    expect(await screen.findByText(/disk full/)).toBeInTheDocument();
    expect(currentPath()).toBe("/");
  });
});
