import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { RunView } from "../bindings/RunView";
import { errorDto, mockBackend } from "../test/backend";
import { iso, job, run } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const emptyLog = () => ({ lines: [], total: 0 });

/** Run 12: `build` succeeded, `test` failed, `deploy` was skipped. */
function failedRun(partial: Partial<RunView> = {}): RunView {
  return run({
    id: 12,
    status: "failed",
    jobs: [
      job({ id: 100, name: "build" }),
      job({ id: 101, name: "test", status: "failed", needs: ["build"], reason: "step `unit` exited with 1" }),
      job({ id: 102, name: "deploy", status: "skipped", needs: ["test"] }),
    ],
    ...partial,
  });
}

/** Run 12 with every job succeeded. */
function greenRun(): RunView {
  return run({ id: 12, jobs: [job({ id: 100, name: "build" }), job({ id: 101, name: "test", needs: ["build"] })] });
}

describe("Run again menu", () => {
  it("re-runs only the failed jobs of the run", async () => {
    const backend = mockBackend({ get_run: ({ id }) => (id === 12 ? failedRun() : run({ id })), read_log: emptyLog, rerun: () => 13 });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-again-menu"));
    const item = await screen.findByTestId("rerun-failed");
    expect(item).not.toHaveAttribute("aria-disabled", "true");
    await user.click(item);
    await waitFor(() => expect(currentPath()).toBe("/runs/13"));
    expect(backend.argsOf("rerun")).toEqual([{ run_id: 12, mode: "failed", job: null }]);
  });

  it("re-runs the job selected on the page", async () => {
    const backend = mockBackend({ get_run: ({ id }) => (id === 12 ? failedRun() : run({ id })), read_log: emptyLog, rerun: () => 14 });
    const { user } = renderApp("/runs/12?job=100");
    await user.click(await screen.findByTestId("run-again-menu"));
    const item = await screen.findByTestId("rerun-job");
    expect(item).toHaveTextContent("Re-run build");
    expect(item).toHaveAttribute("data-job", "build");
    await user.click(item);
    await waitFor(() => expect(currentPath()).toBe("/runs/14"));
    expect(backend.argsOf("rerun")).toEqual([{ run_id: 12, mode: "job", job: "build" }]);
  });

  it("follows the selection: another job picked in the graph is the one re-run", async () => {
    const backend = mockBackend({ get_run: ({ id }) => (id === 12 ? failedRun() : run({ id })), read_log: emptyLog, rerun: () => 15 });
    const { user } = renderApp("/runs/12");
    // The failed job is picked by default.
    await user.click(await screen.findByTestId("run-again-menu"));
    expect(await screen.findByTestId("rerun-job")).toHaveTextContent("Re-run test");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("rerun-job")).not.toBeInTheDocument());
    await user.click(screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === "deploy") as HTMLElement);
    await user.click(screen.getByTestId("run-again-menu"));
    await user.click(await screen.findByTestId("rerun-job"));
    await waitFor(() => expect(currentPath()).toBe("/runs/15"));
    expect(backend.argsOf("rerun")).toEqual([{ run_id: 12, mode: "job", job: "deploy" }]);
  });

  it("disables Re-run failed jobs when every job succeeded", async () => {
    const backend = mockBackend({ get_run: () => greenRun(), read_log: emptyLog, rerun: () => 13 });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-again-menu"));
    const item = await screen.findByTestId("rerun-failed");
    expect(item).toHaveAttribute("aria-disabled", "true");
    expect(item).toHaveTextContent("Every job succeeded");
    // The other ways stay open.
    expect(screen.getByTestId("rerun-job")).not.toHaveAttribute("aria-disabled", "true");
    expect(backend.argsOf("rerun")).toEqual([]);
  });

  it("offers no re-run while the run is going, only Cancel", async () => {
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          status: "running",
          finished_at: null,
          duration_ms: null,
          jobs: [
            job({ id: 100, name: "build", status: "failed" }),
            job({ id: 101, name: "test", status: "running", finished_at: null, duration_ms: null }),
          ],
        }),
      read_log: emptyLog,
    });
    renderApp("/runs/12");
    expect(await screen.findByTestId("run-cancel")).toBeInTheDocument();
    expect(screen.queryByTestId("run-again")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run-again-menu")).not.toBeInTheDocument();
    expect(screen.queryByTestId("rerun-failed")).not.toBeInTheDocument();
  });

  it("shows why the shell refused a re-run and stays on the run", async () => {
    mockBackend({
      get_run: () => greenRun(),
      read_log: emptyLog,
      rerun: () => {
        throw errorDto("invalid_input", "nothing to re-run of run 12: every job of it succeeded");
      },
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-again"));
    const error = await screen.findByTestId("error-message");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("nothing to re-run of run 12: every job of it succeeded");
    expect(currentPath()).toBe("/runs/12");
  });

  it("runs again with Shift+R once the run ended, and cancels with x while it runs", async () => {
    const going = run({ id: 13, status: "running", finished_at: null, duration_ms: null, jobs: [job({ id: 200, status: "running", finished_at: null })] });
    const backend = mockBackend({
      get_run: ({ id }) => (id === 12 ? failedRun() : going),
      read_log: emptyLog,
      rerun: () => 13,
      cancel_run: () => null,
    });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("run-again");
    await user.keyboard("?");
    const help = await screen.findByTestId("shortcuts-dialog");
    expect(help).toHaveTextContent("Run again (the same jobs, in the same place)");
    expect(help).not.toHaveTextContent("Cancel this run");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).not.toBeInTheDocument());
    // x does nothing on an ended run.
    await user.keyboard("x");
    expect(backend.argsOf("cancel_run")).toEqual([]);
    await user.keyboard("{Shift>}R{/Shift}");
    await waitFor(() => expect(currentPath()).toBe("/runs/13"));
    expect(backend.argsOf("rerun")).toEqual([{ run_id: 12, mode: "same", job: null }]);

    // Run 13 is going: x cancels it, Shift+R does nothing.
    await screen.findByTestId("run-cancel");
    await user.keyboard("{Shift>}R{/Shift}");
    expect(backend.argsOf("rerun")).toHaveLength(1);
    await user.keyboard("x");
    await waitFor(() => expect(backend.argsOf("cancel_run")).toEqual([{ id: 13 }]));
  });
});

describe("Run header: what started it", () => {
  it("shows the trigger, the chosen jobs, the place and the run it repeats (a link)", async () => {
    mockBackend({
      get_run: ({ id }) =>
        id === 12 ? failedRun({ trigger: "cli", chosen_jobs: ["test", "lint"], in_place: true, rerun_of: 7 }) : run({ id }),
      read_log: emptyLog,
    });
    const { user } = renderApp("/runs/12");
    const trigger = await screen.findByTestId("run-trigger");
    expect(trigger).toHaveAttribute("data-trigger", "cli");
    expect(trigger).toHaveTextContent("Started from the CLI");
    expect(screen.getByTestId("run-chosen-jobs")).toHaveTextContent("Jobs chosen: test, lint");
    expect(screen.getByTestId("run-in-place")).toHaveTextContent("In the project folder");
    const rerunOf = screen.getByTestId("run-rerun-of");
    expect(rerunOf).toHaveTextContent("Re-run of #7");
    expect(rerunOf).toHaveAttribute("href", "/runs/7");
    await user.click(rerunOf);
    await waitFor(() => expect(currentPath()).toBe("/runs/7"));
  });

  it.each([
    ["app", "Started from the app"],
    ["link", "Started from a link"],
  ])("says a run started from %s", async (from, text) => {
    mockBackend({ get_run: () => run({ id: 12, trigger: from }), read_log: emptyLog });
    renderApp("/runs/12");
    const trigger = await screen.findByTestId("run-trigger");
    expect(trigger).toHaveAttribute("data-trigger", from);
    expect(trigger).toHaveTextContent(text);
  });

  it("shows only what is known: an older run of every job, in a copy, not a re-run", async () => {
    mockBackend({ get_run: () => run({ id: 12, trigger: null, created_at: iso(Date.now() - 60_000) }), read_log: emptyLog });
    renderApp("/runs/12");
    await screen.findByTestId("run-status");
    for (const id of ["run-origin", "run-trigger", "run-chosen-jobs", "run-in-place", "run-rerun-of"]) {
      expect(screen.queryByTestId(id)).not.toBeInTheDocument();
    }
  });

  it("keeps the header facts beside the origin", async () => {
    mockBackend({ get_run: () => run({ id: 12, trigger: "app", chosen_jobs: ["build"] }), read_log: emptyLog });
    renderApp("/runs/12");
    const origin = await screen.findByTestId("run-origin");
    const header = screen.getByTestId("run-duration").closest(".MuiPaper-root") as HTMLElement;
    expect(within(header).getByTestId("run-origin")).toBe(origin);
    expect(within(origin).getByTestId("run-chosen-jobs")).toHaveTextContent("Jobs chosen: build");
  });
});
