import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { describe, expect, it, vi } from "vitest";

import { ANSI_LIGHT } from "../ansi";
import type { JobView } from "../bindings/JobView";
import type { TestOutcomeView } from "../bindings/TestOutcomeView";
import type { TestResultRecord } from "../bindings/TestResultRecord";
import { errorDto, mockBackend, type Handlers } from "../test/backend";
import { iso, job, NOW } from "../test/fixtures";
import { logQueries, TestResults } from "./TestResults";

const E = "\u001b";

function failure(partial: Partial<TestResultRecord>): TestResultRecord {
  return {
    report: "reports/pytest.xml",
    suite: "pytest",
    classname: "test_sample",
    name: "test_division_result",
    status: "failed",
    duration_ms: 3,
    message: null,
    details: null,
    ...partial,
  };
}

/** The tests tab of run 12 (in a router, for the history's links). */
function renderTab(jobs: JobView[], handlers: Handlers, onOpenLog?: (jobId: number) => void) {
  const backend = mockBackend({ test_history: () => [], ...handlers });
  const user = userEvent.setup();
  const router = createMemoryRouter(
    [
      { path: "/", element: <TestResults jobs={jobs} refreshKey="1" runId={12} onOpenLog={onOpenLog} /> },
      { path: "/runs/:id", element: <div data-testid="run-page" /> },
    ],
    { initialEntries: ["/"] },
  );
  render(<RouterProvider router={router} />);
  return { user, router, backend };
}

function renderTests(records: TestResultRecord[]) {
  return renderTab([job({ id: 10, tests: { passed: 0, failed: records.length, skipped: 0 } })], { test_results: () => records });
}

/** The colour of the span around `text`, as the browser reports it. */
function colorOf(container: HTMLElement, text: string): string | undefined {
  const span = [...container.querySelectorAll("span")].find((s) => s.textContent === text);
  return span?.style.color;
}

const rgb = (hex: string) =>
  `rgb(${parseInt(hex.slice(1, 3), 16)}, ${parseInt(hex.slice(3, 5), 16)}, ${parseInt(hex.slice(5, 7), 16)})`;

describe("Test results", () => {
  it("renders the colours of pytest --color=yes failures instead of raw #x1B escape codes", async () => {
    // pytest's junitxml writes ESC, which XML 1.0 forbids, as the text "#x1B".
    const { user } = renderTests([
      failure({
        message: "#x1B[91mAssertionError#x1B[0m: integer division gave the wrong quotient",
        details:
          "def test_division_result():\n>       #x1B[94massert#x1B[39;49;00m (#x1B[94m10#x1B[39;49;00m // #x1B[94m4#x1B[39;49;00m) == #x1B[94m3#x1B[39;49;00m\n#x1B[1m#x1B[31mE       AssertionError#x1B[0m",
      }),
    ]);
    const message = await screen.findByTestId("test-message");
    expect(message).toHaveTextContent("AssertionError: integer division gave the wrong quotient");
    expect(message.textContent).not.toContain("#x1B");
    expect(colorOf(message, "AssertionError")).toBe(rgb(ANSI_LIGHT[9]));

    await user.click(screen.getByTestId("test-expand"));
    const details = screen.getByTestId("test-details");
    expect(details.textContent).toBe(
      "def test_division_result():\n>       assert (10 // 4) == 3\nE       AssertionError",
    );
    expect(colorOf(details, "assert")).toBe(rgb(ANSI_LIGHT[12]));
    expect(colorOf(details, "E       AssertionError")).toBe(rgb(ANSI_LIGHT[1]));
    const bold = [...details.querySelectorAll("span")].find((s) => s.textContent === "E       AssertionError");
    expect(bold?.style.fontWeight).toBe("700");
  });

  it("renders real ESC characters and literal &#x1B; entities in failure details as colour, not as codes", async () => {
    const { user } = renderTests([
      failure({
        message: `${E}[31mexpected 1, got 2${E}[0m`,
        details: `first &#x1B;[32mgreen&#x1B;[0m line\nsecond ${E}[33myellow${E}[0m line`,
      }),
    ]);
    const message = await screen.findByTestId("test-message");
    expect(message.textContent).toBe("expected 1, got 2");
    expect(colorOf(message, "expected 1, got 2")).toBe(rgb(ANSI_LIGHT[1]));

    await user.click(screen.getByTestId("test-expand"));
    const details = screen.getByTestId("test-details");
    expect(details.textContent).toBe("first green line\nsecond yellow line");
    expect(colorOf(details, "green")).toBe(rgb(ANSI_LIGHT[2]));
    expect(colorOf(details, "yellow")).toBe(rgb(ANSI_LIGHT[3]));
  });

  it("keeps a #x1B that is not an escape sequence as text", async () => {
    renderTests([failure({ message: "colour #x1B is not a sequence; nor is #x1B[ alone" })]);
    expect(await screen.findByTestId("test-message")).toHaveTextContent("colour #x1B is not a sequence; nor is #x1B[ alone");
  });

  describe("finding, grouping and following a test", () => {
    const PY = ["3.10", "3.11", "3.12"];
    const matrix = PY.map((py, i) => job({ id: 20 + i, name: `test (py=${py})`, status: "failed", tests: { passed: 2, failed: 1, skipped: 0 } }));
    /** Each matrix job: `test_rounding` fails (its message names the version), two tests pass. */
    const results = ({ job_id }: { job_id: number }): TestResultRecord[] => {
      const py = PY[job_id - 20];
      return [
        failure({ classname: "tests.test_cart", name: "test_rounding", message: `assert 10 == 9 on ${py}` }),
        failure({ classname: "tests.test_cart", name: "test_total", status: "passed", message: null }),
        failure({ classname: "tests.test_api", name: "test_lists", status: "passed", message: null }),
      ];
    };

    it("shows a test that failed in 3 matrix jobs once, naming the jobs, instead of three identical rows", async () => {
      renderTab(matrix, { test_results: results });
      const groups = await screen.findAllByTestId("test-group");
      expect(groups).toHaveLength(1);
      expect(groups[0]).toHaveAttribute("data-count", "3");
      expect(groups[0]).toHaveTextContent("failed in 3 jobs: test (py=3.10), test (py=3.11), test (py=3.12)");
      const rows = screen.getAllByTestId("test-row");
      expect(rows.map((r) => r.getAttribute("data-status"))).toEqual(["failed", "passed", "passed", "passed", "passed", "passed", "passed"]);
      expect(within(rows[0]).getAllByTestId("test-message")).toHaveLength(1);
    });

    it("keeps a test that failed in one job only as its own row with that job", async () => {
      renderTab(matrix.slice(0, 1), { test_results: results });
      const row = (await screen.findAllByTestId("test-row"))[0];
      expect(row).toHaveAttribute("data-status", "failed");
      expect(within(row).queryByTestId("test-group")).not.toBeInTheDocument();
    });

    it("filters by name, class and failure message as the user types", async () => {
      const { user } = renderTab(matrix, { test_results: results });
      await screen.findAllByTestId("test-group");
      const search = screen.getByTestId("test-search");
      const names = () => screen.queryAllByTestId("test-row").map((r) => r.textContent ?? "");

      await user.type(search, "ROUNDING");
      expect(names()).toHaveLength(1);
      expect(names()[0]).toContain("test_rounding");

      await user.clear(search);
      await user.type(search, "test_api");
      expect(names()).toHaveLength(3);
      expect(names().every((n) => n.includes("test_lists"))).toBe(true);

      // The message of any of the grouped failures.
      await user.clear(search);
      await user.type(search, "on 3.12");
      expect(names()).toHaveLength(1);
      expect(screen.getByTestId("test-group")).toHaveAttribute("data-count", "3");

      await user.clear(search);
      await user.type(search, "nothing like this");
      expect(names()).toHaveLength(0);
      expect(screen.getByText("No test matches “nothing like this”.")).toBeInTheDocument();

      await user.clear(search);
      expect(names()).toHaveLength(7);
    });

    it("opens the log of the job a failure happened in", async () => {
      const onOpenLog = vi.fn();
      const { user } = renderTab(matrix.slice(1, 2), { test_results: results }, onOpenLog);
      const open = await screen.findByTestId("test-open-log");
      expect(open).toHaveAttribute("data-job", "test (py=3.11)");
      await user.click(open);
      expect(onOpenLog).toHaveBeenCalledWith(21);
      // Only failures have it.
      expect(screen.getAllByTestId("test-open-log")).toHaveLength(1);
    });

    it("shows a test's recent outcomes as squares linking to each run, newest first", async () => {
      const history: TestOutcomeView[] = [
        { run_id: 12, job: "test (py=3.12)", status: "failed", created_at: iso(NOW), commit: "a".repeat(40) },
        { run_id: 11, job: "test (py=3.12)", status: "passed", created_at: iso(NOW - 60_000), commit: "b".repeat(40) },
        { run_id: 10, job: "test (py=3.12)", status: "skipped", created_at: iso(NOW - 120_000), commit: null },
        { run_id: 9, job: "test (py=3.12)", status: "error", created_at: iso(NOW - 180_000), commit: null },
      ];
      const { user, router, backend } = renderTab(matrix.slice(2), { test_results: results, test_history: () => history });
      const row = (await screen.findAllByTestId("test-row"))[0];
      expect(screen.queryByTestId("test-history")).not.toBeInTheDocument();
      // A passing test can be expanded for its history too.
      expect(screen.getAllByTestId("test-expand")).toHaveLength(3);
      await user.click(within(row).getByTestId("test-expand"));
      const strip = await screen.findByTestId("test-history");
      await waitFor(() => expect(within(strip).getAllByTestId("test-history-item")).toHaveLength(4));
      expect(backend.argsOf("test_history")).toEqual([{ job_id: 22, classname: "tests.test_cart", name: "test_rounding", limit: 20 }]);
      const items = within(strip).getAllByTestId("test-history-item");
      expect(items.map((i) => [i.getAttribute("data-run-id"), i.getAttribute("data-status")])).toEqual([
        ["12", "failed"],
        ["11", "passed"],
        ["10", "skipped"],
        ["9", "error"],
      ]);
      expect(items[1]).toHaveTextContent("#11");
      expect(items[1]).toHaveAttribute("href", "/runs/11?job_name=test+%28py%3D3.12%29");
      await user.click(items[1]);
      expect(router.state.location.pathname).toBe("/runs/11");
      expect(new URLSearchParams(router.state.location.search).get("job_name")).toBe("test (py=3.12)");
    });
  });

  describe("showing a failure in its job's log", () => {
    const jobs = [
      job({ id: 30, name: "unit", status: "failed", tests: { passed: 1, failed: 2, skipped: 0 } }),
      job({ id: 31, name: "lint", status: "succeeded" }),
    ];
    const records = (): TestResultRecord[] => [
      failure({ classname: "tests.test_auth", name: "test_login", message: `${E}[31mAssertionError: expected 200, got 401${E}[0m\nmore` }),
      failure({ classname: "tests.test_auth", name: "test_logout", message: null }),
      failure({ classname: "tests.test_auth", name: "test_signup", status: "passed" }),
    ];
    const rowOf = async (name: string) =>
      (await screen.findAllByTestId("test-row")).find((r) => r.textContent?.includes(name)) as HTMLElement;

    it("searches nothing until clicked, then opens the job's log at the line naming the test", async () => {
      const onOpenLog = vi.fn();
      const { user, backend } = renderTab(jobs, { test_results: records, search_log: ({ query }) => (query === "test_login" ? 57 : null) }, onOpenLog);
      const row = await rowOf("test_login");
      // Only failures have it, and a run can have hundreds: no search before a click.
      expect(screen.getAllByTestId("test-log-link")).toHaveLength(2);
      expect(backend.argsOf("search_log")).toEqual([]);

      const link = within(row).getByTestId("test-log-link");
      expect(link).toHaveAttribute("data-job", "unit");
      await user.click(link);
      await waitFor(() => expect(onOpenLog).toHaveBeenCalledWith(30, 57));
      expect(backend.argsOf("search_log")).toEqual([{ job_id: 30, query: "test_login", from: 0, backwards: false }]);
      expect(screen.queryByTestId("test-log-not-found")).not.toBeInTheDocument();
    });

    it("falls back to the message's first line without escape codes, then the class, when the name is not in the log", async () => {
      const onOpenLog = vi.fn();
      const { user, backend } = renderTab(
        jobs,
        { test_results: records, search_log: ({ query }) => (query === "AssertionError: expected 200, got 401" ? 12 : null) },
        onOpenLog,
      );
      await user.click(within(await rowOf("test_login")).getByTestId("test-log-link"));
      await waitFor(() => expect(onOpenLog).toHaveBeenCalledWith(30, 12));
      expect(backend.argsOf("search_log").map((a) => a.query)).toEqual(["test_login", "AssertionError: expected 200, got 401"]);
    });

    it("says the failure was not found in the job's log when no search finds it", async () => {
      const onOpenLog = vi.fn();
      const { user, backend } = renderTab(jobs, { test_results: records, search_log: () => null }, onOpenLog);
      const row = await rowOf("test_login");
      await user.click(within(row).getByTestId("test-log-link"));
      expect(await within(row).findByTestId("test-log-not-found")).toHaveTextContent("Not found in the log of unit");
      expect(backend.argsOf("search_log").map((a) => a.query)).toEqual([
        "test_login",
        "AssertionError: expected 200, got 401",
        "tests.test_auth",
      ]);
      expect(within(row).getByTestId("test-log-link")).toBeEnabled();
      expect(onOpenLog).not.toHaveBeenCalled();
      // Only that row says so.
      expect(screen.getAllByTestId("test-log-not-found")).toHaveLength(1);
    });

    it("disables the action and shows a spinner while searching, and shows the shell's error when the search fails", async () => {
      let fail: (e: unknown) => void = () => {};
      const { user } = renderTab(
        jobs,
        {
          test_results: records,
          search_log: () =>
            new Promise<number | null>((_, reject) => {
              fail = reject;
            }),
        },
        vi.fn(),
      );
      const row = await rowOf("test_logout");
      const link = within(row).getByTestId("test-log-link");
      await user.click(link);
      expect(link).toBeDisabled();
      expect(within(row).getByTestId("test-log-searching")).toBeInTheDocument();
      fail(errorDto("not_found", "no job with id 30"));
      const error = await within(row).findByTestId("test-log-error");
      expect(error).toHaveTextContent("The log could not be searched");
      expect(error).toHaveTextContent("no job with id 30");
      expect(link).toBeEnabled();
      expect(within(row).queryByTestId("test-log-searching")).not.toBeInTheDocument();
    });

    it("searches for the name, the message's first non-empty line (at most 120 characters) and the class, each once", () => {
      expect(
        logQueries({ name: "test_x", classname: "test_x", message: `\n  #x1B[91m${"a".repeat(200)}#x1B[0m\nsecond` }),
      ).toEqual(["test_x", "a".repeat(120)]);
      expect(logQueries({ name: "adds_tax", classname: null, message: "   \n" })).toEqual(["adds_tax"]);
    });
  });
});
