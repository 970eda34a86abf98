import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { TestResultRecord } from "../bindings/TestResultRecord";
import { mockBackend } from "../test/backend";
import { iso, job, run } from "../test/fixtures";
import { currentSearch, renderApp } from "../test/render";

const emptyLog = () => ({ lines: [], total: 0 });

const SLOT_REASON = "waiting for a free local slot: 2 of 2 busy (runners.local.concurrency in config.toml)";
const LIMIT_REASON = "waiting: this run runs at most 1 job at once (its parallelism); 1 running";

function node(name: string): HTMLElement {
  const found = screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === name);
  if (!found) throw new Error(`no job node ${name}`);
  return found;
}

function pressed(): (string | null)[] {
  return screen
    .getAllByTestId("job-node")
    .filter((n) => n.getAttribute("aria-pressed") === "true")
    .map((n) => n.getAttribute("data-job"));
}

describe("Run page: queued jobs say why they wait", () => {
  function waitingRun() {
    const running = { started_at: iso(Date.now() - 5000), finished_at: null, duration_ms: null };
    const queued = { status: "queued" as const, started_at: null, finished_at: null, duration_ms: null };
    return run({
      id: 12,
      status: "running",
      ...running,
      jobs: [
        job({ id: 100, name: "lint", status: "running", ...running }),
        job({ id: 101, name: "unit", ...queued, reason: SLOT_REASON }),
        job({ id: 102, name: "e2e", ...queued, reason: LIMIT_REASON }),
        job({ id: 103, name: "deploy", ...queued, needs: ["unit"] }),
      ],
    });
  }

  it("shows 'waiting for a slot' on a queued job instead of a bare 'Queued' that looked stuck", async () => {
    mockBackend({ get_run: waitingRun, read_log: emptyLog });
    renderApp("/runs/12");
    await screen.findByTestId("job-graph");
    const slot = within(node("unit")).getByTestId("job-node-waiting");
    expect(slot).toHaveTextContent("waiting for a slot");
    expect(slot).toHaveAttribute("title", SLOT_REASON);
    expect(node("unit")).toHaveTextContent("Queued · waiting for a slot");
    const limit = within(node("e2e")).getByTestId("job-node-waiting");
    expect(limit).toHaveTextContent("waiting (run limit)");
    expect(limit).toHaveAttribute("title", LIMIT_REASON);
    // A job waiting for its needs has no slot to wait for.
    expect(within(node("deploy")).queryByTestId("job-node-waiting")).not.toBeInTheDocument();
    expect(within(node("lint")).queryByTestId("job-node-waiting")).not.toBeInTheDocument();
  });

  it("shows the full reason in the selected job's header", async () => {
    mockBackend({ get_run: waitingRun, read_log: emptyLog });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("job-graph");
    expect(screen.queryByTestId("job-waiting-reason")).not.toBeInTheDocument();
    await user.click(node("unit"));
    expect(screen.getByTestId("job-waiting-reason")).toHaveTextContent(SLOT_REASON);
    expect(screen.queryByTestId("job-reason")).not.toBeInTheDocument();
    await user.click(node("e2e"));
    expect(screen.getByTestId("job-waiting-reason")).toHaveTextContent(LIMIT_REASON);
    await user.click(node("deploy"));
    expect(screen.queryByTestId("job-waiting-reason")).not.toBeInTheDocument();
  });
});

describe("Run page: j / k", () => {
  const threeJobs = () =>
    run({
      id: 12,
      jobs: [job({ id: 100, name: "build" }), job({ id: 101, name: "test", needs: ["build"] }), job({ id: 102, name: "package", needs: ["test"] })],
    });

  it("selects the next and previous job in the plan's order, stopping at the ends", async () => {
    const backend = mockBackend({ get_run: threeJobs, read_log: emptyLog });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("job-graph");
    expect(pressed()).toEqual(["build"]);
    await user.keyboard("j");
    expect(pressed()).toEqual(["test"]);
    expect(currentSearch()).toBe("?job=101");
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test");
    await user.keyboard("j");
    expect(pressed()).toEqual(["package"]);
    await user.keyboard("j");
    expect(pressed()).toEqual(["package"]);
    await user.keyboard("k");
    await user.keyboard("k");
    expect(pressed()).toEqual(["build"]);
    await user.keyboard("k");
    expect(pressed()).toEqual(["build"]);
    await waitFor(() => expect(backend.argsOf("read_log").at(-1)).toMatchObject({ job_id: 100 }));
  });

  it("leaves j and k to the search box while typing in it", async () => {
    mockBackend({ get_run: threeJobs, read_log: emptyLog });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("job-graph");
    await user.type(screen.getByTestId("log-search-input"), "jk");
    expect(screen.getByTestId("log-search-input")).toHaveValue("jk");
    expect(pressed()).toEqual(["build"]);
  });

  it("lists j and k in the shortcuts help", async () => {
    mockBackend({ get_run: threeJobs, read_log: emptyLog });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("job-graph");
    await user.keyboard("?");
    const help = await screen.findByTestId("shortcuts-dialog");
    expect(help).toHaveTextContent("Select the next job of this run");
    expect(help).toHaveTextContent("Select the previous job of this run");
  });
});

describe("Run page: tests tab", () => {
  function failure(partial: Partial<TestResultRecord> = {}): TestResultRecord {
    return {
      report: "reports/junit.xml",
      suite: "cart",
      classname: "tests.test_cart",
      name: "test_rounding",
      status: "failed",
      duration_ms: 4,
      message: "assert 10 == 9",
      details: null,
      ...partial,
    };
  }

  const matrix = () =>
    run({
      id: 12,
      status: "failed",
      jobs: [
        job({ id: 100, name: "build" }),
        job({ id: 101, name: "test (py=3.11)", status: "failed", needs: ["build"], tests: { passed: 1, failed: 1, skipped: 0 } }),
        job({ id: 102, name: "test (py=3.12)", status: "failed", needs: ["build"], tests: { passed: 1, failed: 1, skipped: 0 } }),
      ],
    });

  it("shows a test failing in both matrix jobs once and opens either job's log from it", async () => {
    const backend = mockBackend({
      get_run: matrix,
      read_log: emptyLog,
      search_log: () => null,
      test_results: () => [failure(), failure({ name: "test_total", status: "passed", message: null })],
    });
    const { user } = renderApp("/runs/12?job=100");
    await user.click(await screen.findByTestId("tab-tests"));
    const failed = (await screen.findAllByTestId("test-row")).filter((r) => r.getAttribute("data-status") === "failed");
    expect(failed).toHaveLength(1);
    const group = within(failed[0]).getByTestId("test-group");
    expect(group).toHaveAttribute("data-count", "2");
    expect(group).toHaveTextContent("failed in 2 jobs: test (py=3.11), test (py=3.12)");

    await user.click(within(failed[0]).getByTestId("test-open-log"));
    expect(screen.getByTestId("tab-log")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test (py=3.11)");
    expect(pressed()).toEqual(["test (py=3.11)"]);
    await waitFor(() => expect(backend.argsOf("read_log").at(-1)).toMatchObject({ job_id: 101 }));

    await user.click(screen.getByTestId("tab-tests"));
    const row = (await screen.findAllByTestId("test-row")).find((r) => r.getAttribute("data-status") === "failed") as HTMLElement;
    const second = within(row)
      .getAllByTestId("test-group-job")
      .find((b) => b.getAttribute("data-job") === "test (py=3.12)") as HTMLElement;
    await user.click(second);
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test (py=3.12)");
    expect(pressed()).toEqual(["test (py=3.12)"]);
  });
});
