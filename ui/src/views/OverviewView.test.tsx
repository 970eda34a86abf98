import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { project, summary } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

describe("Overview", () => {
  it("shows runs in progress, failing main branches and recent runs, each linking to its run", async () => {
    mockBackend({
      overview: () => ({
        active: [summary({ id: 31, status: "running", finishedAt: null, durationMs: null })],
        recent: [summary({ id: 30, status: "succeeded" }), summary({ id: 29, project: "api", status: "failed" })],
        failingBranches: [summary({ id: 29, project: "api", status: "failed" })],
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

    const recent = screen.getByTestId("overview-recent");
    expect(within(recent).getAllByTestId("run-row").map((r) => r.getAttribute("data-run-id"))).toEqual(["30", "29"]);

    expect(screen.queryByTestId("first-run-demo")).not.toBeInTheDocument();
    await user.click(activeRow);
    expect(currentPath()).toBe("/runs/31");
  });

  it("refreshes when a run changes (event), without polling", async () => {
    let active = [summary({ id: 5, status: "running", finishedAt: null, durationMs: null })];
    const backend = mockBackend({
      overview: () => ({ active, recent: [], failingBranches: [], projects: 1 }),
    });
    renderApp("/");
    expect(await screen.findByText("shop #5")).toBeInTheDocument();
    const before = backend.argsOf("overview").length;

    active = [];
    await emitEvent("switchyard://runs", summary({ id: 5, status: "succeeded" }));
    await waitFor(() => expect(screen.getByText("Nothing is running.")).toBeInTheDocument());
    expect(backend.argsOf("overview").length).toBe(before + 1);
  });

  it("explains what to do to a new user and imports through the dialog", async () => {
    mockBackend({
      overview: () => ({ active: [], recent: [], failingBranches: [], projects: 0 }),
      first_run: () => ({ empty: true, demoAvailable: false }),
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
      overview: () => ({ active: [], recent: [], failingBranches: [], projects: 0 }),
      first_run: () => ({ empty: true, demoAvailable: true }),
      import_demo: () => project({ name: "demo", lastRun: null }),
      start_run: () => 42,
      get_run: () => ({ summary: summary({ id: 42, project: "demo", status: "queued" }), error: null, jobs: [] }),
    });
    const { user } = renderApp("/");
    await user.click(await screen.findByTestId("first-run-demo"));
    await waitFor(() => expect(currentPath()).toBe("/runs/42"));
    expect(backend.argsOf("start_run")).toEqual([{ project: "demo", jobs: [], inPlace: false }]);
    expect(backend.commands().indexOf("import_demo")).toBeLessThan(backend.commands().indexOf("start_run"));
  });

  it("says why the demo could not start", async () => {
    mockBackend({
      overview: () => ({ active: [], recent: [], failingBranches: [], projects: 0 }),
      first_run: () => ({ empty: true, demoAvailable: true }),
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
