import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { RunView } from "../bindings/RunView";
import { formatDateTime } from "../format";
import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { iso, job, logLine, NOW, run } from "../test/fixtures";
import { currentPath, currentSearch, renderApp } from "../test/render";

const emptyLog = () => ({ lines: [], total: 0 });

function queuedRun(): RunView {
  return run({
    id: 12,
    status: "running",
    started_at: iso(Date.now() - 5000),
    finished_at: null,
    duration_ms: null,
    jobs: [
      job({
        id: 100,
        name: "build",
        status: "running",
        finished_at: null,
        duration_ms: null,
        steps: [
          {
            idx: 0,
            name: "compile",
            status: "running",
            exit_code: null,
            started_at: iso(Date.now() - 4000),
            finished_at: null,
            duration_ms: null,
          },
        ],
      }),
      job({ id: 101, name: "test", status: "queued", needs: ["build"], started_at: null, finished_at: null, duration_ms: null }),
    ],
  });
}

function nodeStatus(name: string): string | null {
  const node = screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === name);
  return node?.getAttribute("data-status") ?? null;
}

describe("Run view", () => {
  it("shows the header, the job graph and the steps with exit codes", async () => {
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          status: "failed",
          branch: "main",
          dirty: true,
          jobs: [
            job({
              id: 100,
              name: "build",
              steps: [
                {
                  idx: 0,
                  name: "compile",
                  status: "succeeded",
                  exit_code: 0,
                  started_at: iso(NOW),
                  finished_at: iso(NOW + 2000),
                  duration_ms: 2000,
                },
              ],
            }),
            job({
              id: 101,
              name: "test",
              status: "failed",
              needs: ["build"],
              reason: "step `unit` exited with 101",
              steps: [
                {
                  idx: 0,
                  name: "unit",
                  status: "failed",
                  exit_code: 101,
                  started_at: iso(NOW),
                  finished_at: iso(NOW + 1500),
                  duration_ms: 1500,
                },
              ],
            }),
          ],
        }),
      read_log: emptyLog,
    });
    renderApp("/runs/12");
    const chip = await screen.findByTestId("run-status");
    expect(chip).toHaveAttribute("data-status", "failed");
    expect(chip).toHaveTextContent("Failed");
    expect(screen.getByText("with uncommitted changes")).toBeInTheDocument();
    expect(screen.getByTestId("run-commit")).toHaveTextContent("01234567");
    expect(screen.queryByTestId("run-cancel")).not.toBeInTheDocument();
    expect(nodeStatus("build")).toBe("succeeded");
    expect(nodeStatus("test")).toBe("failed");
    // The failed job is selected first, with its reason and its steps.
    expect(screen.getByTestId("job-reason")).toHaveTextContent("step `unit` exited with 101");
    const step = screen.getByTestId("step-row");
    expect(within(step).getByTestId("step-exit-code")).toHaveTextContent("101");
    expect(within(step).getByText("1.5 s")).toBeInTheDocument();
  });

  it("follows the run live from its events", async () => {
    let current = queuedRun();
    const backend = mockBackend({ get_run: () => current, read_log: emptyLog });
    renderApp("/runs/12");
    await screen.findByTestId("run-status");
    expect(nodeStatus("build")).toBe("running");

    // The build's step ends, then the build, then the test starts.
    const build = current.jobs[0];
    current = {
      ...current,
      jobs: [
        { ...build, status: "succeeded", steps: [{ ...build.steps[0], status: "succeeded", exit_code: 0 }] },
        { ...current.jobs[1], status: "running" },
      ],
    };
    await emitEvent("switchyard://run/12", {
      kind: "step", run_id: 12, job_id: 100, job: "build", attempt: 1, step: 0, name: "compile", status: "succeeded", exit_code: 0,
    });
    await emitEvent("switchyard://run/12", { kind: "job", run_id: 12, job_id: 100, job: "build", status: "succeeded", attempt: 1, reason: null });
    await emitEvent("switchyard://run/12", { kind: "job", run_id: 12, job_id: 101, job: "test", status: "running", attempt: 1, reason: null });
    expect(nodeStatus("build")).toBe("succeeded");
    expect(nodeStatus("test")).toBe("running");

    // Events of another run change nothing.
    await emitEvent("switchyard://run/13", { kind: "run", run_id: 13, status: "failed" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "running");

    current = { ...current, status: "succeeded", jobs: current.jobs.map((j) => ({ ...j, status: "succeeded" as const })) };
    await emitEvent("switchyard://run/12", { kind: "run", run_id: 12, status: "succeeded" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded");
    await waitFor(() => expect(nodeStatus("test")).toBe("succeeded"));
    expect(screen.queryByTestId("run-cancel")).not.toBeInTheDocument();
    expect(backend.argsOf("get_run").length).toBeGreaterThan(1);
  });

  it("counts a running run's time live from its RFC 3339 start and shows a finished run's stored duration", async () => {
    let current = queuedRun();
    mockBackend({ get_run: () => current, read_log: emptyLog });
    renderApp("/runs/12");
    const duration = await screen.findByTestId("run-duration");
    const seconds = () => parseFloat(duration.textContent ?? "");
    const first = seconds();
    expect(first).toBeGreaterThanOrEqual(5);
    await waitFor(() => expect(seconds()).toBeGreaterThan(first), { timeout: 3000 });
    expect(duration).toHaveTextContent(/^\d+(\.\d)? s$/);
    expect(screen.getByText(formatDateTime(Date.parse(current.created_at)))).toBeInTheDocument();

    current = { ...current, status: "succeeded", finished_at: iso(Date.now()), duration_ms: 65_000 };
    await emitEvent("switchyard://run/12", { kind: "run", run_id: 12, status: "succeeded" });
    await waitFor(() => expect(duration).toHaveTextContent("1m 05s"));
  });

  it("shows a step's exit code as soon as its event arrives", async () => {
    const current = queuedRun();
    mockBackend({ get_run: () => current, read_log: emptyLog });
    renderApp("/runs/12");
    await screen.findByTestId("run-status");
    expect(within(screen.getByTestId("step-row")).getByTestId("step-exit-code")).toHaveTextContent("—");
    // The shell has not stored it yet (get_run still says running): the event alone updates the view.
    await emitEvent("switchyard://run/12", {
      kind: "step", run_id: 12, job_id: 100, job: "build", attempt: 1, step: 0, name: "compile", status: "failed", exit_code: 2,
    });
    const row = screen.getByTestId("step-row");
    expect(row).toHaveAttribute("data-status", "failed");
    expect(within(row).getByTestId("step-exit-code")).toHaveTextContent("2");
  });

  it("cancels a running run", async () => {
    let current = queuedRun();
    const backend = mockBackend({
      get_run: () => current,
      read_log: emptyLog,
      cancel_run: () => {
        current = { ...current, status: "cancelled" };
        return null;
      },
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-cancel"));
    expect(backend.argsOf("cancel_run")).toEqual([{ id: 12 }]);
    await emitEvent("switchyard://run/12", { kind: "run", run_id: 12, status: "cancelled" });
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "cancelled");
    expect(screen.queryByTestId("run-cancel")).not.toBeInTheDocument();
    expect(screen.getByTestId("run-again")).toBeInTheDocument();
  });

  it("does not report an error when the run ended before the cancel arrived", async () => {
    let current = queuedRun();
    mockBackend({
      get_run: () => current,
      read_log: emptyLog,
      cancel_run: () => {
        current = { ...current, status: "succeeded" };
        throw errorDto("already_finished", "run 12 has already finished");
      },
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-cancel"));
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded"));
    expect(screen.queryByText("run 12 has already finished")).not.toBeInTheDocument();
  });

  it("selects a job from the graph and shows its log", async () => {
    const backend = mockBackend({ get_run: () => queuedRun(), read_log: emptyLog });
    const { user } = renderApp("/runs/12");
    await screen.findByTestId("run-status");
    await waitFor(() => expect(backend.argsOf("read_log")[0]).toMatchObject({ job_id: 100 }));
    await user.click(screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === "test") as HTMLElement);
    expect(currentSearch()).toBe("?job=101");
    await waitFor(() => expect(backend.argsOf("read_log").at(-1)).toMatchObject({ job_id: 101 }));
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test");
  });

  it("shows the outputs a job handed on, and none for a job without", async () => {
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          jobs: [
            job({ id: 100, name: "build", outputs: { image: "ghcr.io/acme/web:1.4", notes: "line one\nline two" } }),
            job({ id: 101, name: "test", needs: ["build"] }),
          ],
        }),
      read_log: emptyLog,
    });
    const { user } = renderApp("/runs/12?job=100");
    const table = await screen.findByTestId("job-outputs");
    const rows = within(table).getAllByTestId("job-output");
    expect(rows.map((r) => r.getAttribute("data-name"))).toEqual(["image", "notes"]);
    expect(rows[0]).toHaveTextContent("ghcr.io/acme/web:1.4");
    expect(rows[1]).toHaveTextContent("line one line two");
    await user.click(screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === "test") as HTMLElement);
    await waitFor(() => expect(screen.queryByTestId("job-outputs")).not.toBeInTheDocument());
  });

  it("lists test results with failures first, their message and expandable details", async () => {
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          status: "failed",
          jobs: [job({ id: 100, name: "test", status: "failed", tests: { passed: 2, failed: 1, skipped: 1 } })],
        }),
      read_log: emptyLog,
      test_results: () => [
        { report: "junit.xml", suite: "cart", classname: "cart::totals", name: "adds_tax", status: "passed", duration_ms: 3, message: null, details: null },
        { report: "junit.xml", suite: "cart", classname: "cart::totals", name: "skips", status: "skipped", duration_ms: null, message: null, details: null },
        {
          report: "junit.xml", suite: "cart", classname: "cart::totals", name: "rounds_down", status: "failed", duration_ms: 12,
          message: "assertion failed: left == right", details: "thread panicked at src/cart.rs:42\nleft: 10\nright: 9",
        },
        { report: "junit.xml", suite: "cart", classname: "cart::api", name: "lists", status: "passed", duration_ms: 5, message: null, details: null },
      ],
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("tab-tests"));
    expect(screen.getByTestId("tab-tests")).toHaveTextContent("1 failed");
    const counts = screen.getByTestId("test-counts");
    expect(counts).toHaveTextContent("1 failed");
    expect(counts).toHaveTextContent("2 passed");
    expect(counts).toHaveTextContent("1 skipped");
    const rows = await screen.findAllByTestId("test-row");
    expect(rows.map((r) => r.getAttribute("data-status"))).toEqual(["failed", "skipped", "passed", "passed"]);
    expect(within(rows[0]).getByTestId("test-message")).toHaveTextContent("assertion failed: left == right");
    expect(screen.queryByTestId("test-details")).not.toBeInTheDocument();
    await user.click(within(rows[0]).getByTestId("test-expand"));
    expect(await screen.findByTestId("test-details")).toHaveTextContent("thread panicked at src/cart.rs:42");
  });

  it("opens the job's log at the line where a failed test is reported (Show in log)", async () => {
    const backend = mockBackend({
      get_run: () =>
        run({
          id: 12,
          status: "failed",
          jobs: [
            job({ id: 100, name: "lint" }),
            job({ id: 101, name: "test", status: "failed", tests: { passed: 1, failed: 1, skipped: 0 } }),
          ],
        }),
      read_log: ({ job_id, from, count }) => {
        const total = job_id === 101 ? 300 : 3;
        const lines = [];
        for (let n = from; n < from + count && n <= total; n++) lines.push(logLine(n, n === 240 ? "FAILED tests/test_cart.py::test_rounding" : `line ${n}`));
        return { lines, total };
      },
      search_log: ({ job_id, query }) => (job_id === 101 && query === "test_rounding" ? 240 : null),
      test_results: () => [
        { report: "junit.xml", suite: "pytest", classname: "tests.test_cart", name: "test_rounding", status: "failed", duration_ms: 4, message: "assert 10 == 9", details: null },
        { report: "junit.xml", suite: "pytest", classname: "tests.test_cart", name: "test_total", status: "passed", duration_ms: 2, message: null, details: null },
      ],
    });
    const { user } = renderApp("/runs/12?job=100");
    await user.click(await screen.findByTestId("tab-tests"));
    const link = await screen.findByTestId("test-log-link");
    expect(backend.argsOf("search_log")).toEqual([]);
    await user.click(link);
    await waitFor(() => expect(screen.getByTestId("tab-log")).toHaveAttribute("aria-selected", "true"));
    expect(backend.argsOf("search_log")).toEqual([{ job_id: 101, query: "test_rounding", from: 0, backwards: false }]);
    const params = new URLSearchParams(currentSearch() ?? "");
    expect(params.get("job")).toBe("101");
    expect(params.get("line")).toBe("240");
    expect(params.has("job_name")).toBe(false);
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test");
    const line = () => screen.getByTestId("log-viewer").querySelector('[data-line="240"]');
    await waitFor(() => expect(line()).toHaveAttribute("data-linked", "true"));
    expect(line()).toHaveTextContent("FAILED tests/test_cart.py::test_rounding");
    // The linked line, not the first error, is where the log opened.
    expect(backend.argsOf("search_log")).toHaveLength(1);

    // Again, from the same URL: the Log tab opens again.
    await user.click(screen.getByTestId("tab-tests"));
    await user.click(await screen.findByTestId("test-log-link"));
    await waitFor(() => expect(screen.getByTestId("tab-log")).toHaveAttribute("aria-selected", "true"));
    expect(backend.argsOf("search_log")).toHaveLength(2);
  });

  it("lists the artifacts with path, size and SHA-256", async () => {
    mockBackend({
      get_run: () =>
        run({
          jobs: [
            job({
              id: 100,
              name: "package",
              artifacts: [
                { path: "dist/shop.tar.gz", size: 1_572_864, sha256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
                { path: "dist/checksums.txt", size: 120, sha256: "a".repeat(64) },
              ],
            }),
          ],
        }),
      read_log: emptyLog,
    });
    const { user } = renderApp("/runs/1");
    await user.click(await screen.findByTestId("tab-artifacts"));
    const rows = screen.getAllByTestId("artifact-row");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent("dist/shop.tar.gz");
    expect(rows[0]).toHaveTextContent("1.5 MiB");
    expect(rows[0]).toHaveTextContent("e3b0c44298fc1c14");
    expect(rows[1]).toHaveTextContent("120 B");
  });

  it("Run again repeats the chosen jobs and place instead of running every job", async () => {
    // Run 12 ran only `test` (and what it needs), in the project folder.
    const backend = mockBackend({
      get_run: ({ id }) =>
        run({
          id,
          chosen_jobs: id === 12 ? ["test"] : [],
          in_place: id === 12,
          jobs: [job({ id: 100, name: "build" }), job({ id: 101, name: "test", needs: ["build"] })],
        }),
      read_log: emptyLog,
      rerun: () => 13,
      start_run: () => 99,
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("run-again"));
    await waitFor(() => expect(currentPath()).toBe("/runs/13"));
    // The shell repeats run 12 as it was (its jobs, its place, its options): not a new run of every job in a copy.
    expect(backend.argsOf("rerun")).toEqual([{ run_id: 12, mode: "same", job: null }]);
    expect(backend.argsOf("start_run")).toEqual([]);
  });

  it("says when the run does not exist", async () => {
    mockBackend({
      get_run: () => {
        throw errorDto("not_found", "no run with id 999; `switchyard runs` lists them");
      },
    });
    renderApp("/runs/999");
    expect(await screen.findByText("Run #999 does not exist")).toBeInTheDocument();
    expect(screen.getByText("no run with id 999; `switchyard runs` lists them")).toBeInTheDocument();
  });

  it("keeps the watched job selected when the run ends instead of jumping to the first job", async () => {
    // `build` is done, `test` runs: the page opens on `test`, the job being watched.
    const build = job({ id: 100, name: "build" });
    const test = job({ id: 101, name: "test", status: "running", needs: ["build"], finished_at: null, duration_ms: null });
    let current = run({ id: 12, status: "running", finished_at: null, duration_ms: null, jobs: [build, test] });
    const backend = mockBackend({ get_run: () => current, read_log: emptyLog });
    renderApp("/runs/12");
    await screen.findByTestId("run-status");
    const pressed = () => screen.getAllByTestId("job-node").filter((n) => n.getAttribute("aria-pressed") === "true");
    expect(pressed().map((n) => n.getAttribute("data-job"))).toEqual(["test"]);
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test");
    await waitFor(() => expect(backend.argsOf("read_log").at(-1)).toMatchObject({ job_id: 101 }));

    current = { ...current, status: "succeeded", finished_at: iso(NOW), duration_ms: 60_000, jobs: [build, { ...test, status: "succeeded" }] };
    await emitEvent("switchyard://run/12", { kind: "job", run_id: 12, job_id: 101, job: "test", status: "succeeded", attempt: 1, reason: null });
    await emitEvent("switchyard://run/12", { kind: "run", run_id: 12, status: "succeeded" });
    await waitFor(() => expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "succeeded"));
    await waitFor(() => expect(nodeStatus("test")).toBe("succeeded"));

    expect(pressed().map((n) => n.getAttribute("data-job"))).toEqual(["test"]);
    expect(screen.getByTestId("tab-log")).toHaveTextContent("Log: test");
    expect(screen.getByTestId("job-detail")).toHaveTextContent("test · Succeeded");
    expect(backend.argsOf("read_log").every((a) => a.job_id === 101)).toBe(true);
  });

  it("labels the tests and artifacts tabs as the whole run's, not the selected job's", async () => {
    mockBackend({
      get_run: () =>
        run({
          id: 12,
          jobs: [
            job({ id: 100, name: "lint" }),
            job({
              id: 101,
              name: "test",
              tests: { passed: 2, failed: 0, skipped: 1 },
              artifacts: [{ path: "report.html", size: 10, sha256: "b".repeat(64) }],
            }),
          ],
        }),
      read_log: emptyLog,
      test_results: () => [],
    });
    const { user } = renderApp("/runs/12?job=100");
    const logTab = await screen.findByTestId("tab-log");
    expect(logTab).toHaveTextContent("Log: lint");
    // `lint` has no tests or artifacts: the counts are the run's, and say so.
    expect(screen.getByTestId("tab-tests")).toHaveTextContent(/^Run tests \(3\)$/);
    expect(screen.getByTestId("tab-artifacts")).toHaveTextContent(/^Run artifacts \(1\)$/);
    await user.click(screen.getByTestId("tab-tests"));
    expect(screen.getByTestId("run-scope-note")).toHaveTextContent("Tests of all 2 jobs of run #12, not only lint");
    await user.click(screen.getByTestId("tab-artifacts"));
    expect(screen.getByTestId("run-scope-note")).toHaveTextContent("Artifacts of all 2 jobs of run #12, not only lint");
    await user.click(screen.getByTestId("tab-log"));
    expect(screen.queryByTestId("run-scope-note")).not.toBeInTheDocument();
  });

  it("shows the header's times and the log's timestamps in the one format, YYYY-MM-DD HH:MM:SS", async () => {
    const created = new Date(2025, 0, 15, 9, 3, 7).getTime();
    const lineTime = new Date(2025, 0, 15, 9, 4, 5, 120).getTime();
    mockBackend({
      get_run: () => run({ id: 12, created_at: iso(created), started_at: iso(created + 2000), duration_ms: 65_000 }),
      read_log: () => ({ lines: [logLine(1, "hello", { ts: lineTime })], total: 1 }),
    });
    const { user } = renderApp("/runs/12");
    const header = (await screen.findByTestId("run-duration")).closest(".MuiPaper-root") as HTMLElement;
    expect(within(header).getByText("2025-01-15 09:03:07")).toBeInTheDocument();
    expect(within(header).getByText("2025-01-15 09:03:09")).toBeInTheDocument();
    expect(screen.getByTestId("run-duration")).toHaveTextContent("1m 05s");
    await waitFor(() => expect(screen.getAllByTestId("log-line")).toHaveLength(1));
    await user.click(screen.getByTestId("log-timestamps"));
    expect(screen.getByTestId("log-timestamp")).toHaveTextContent(/^2025-01-15 09:04:05$/);
  });
});
