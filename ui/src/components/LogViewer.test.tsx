import { fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";

import type { CommandArgs } from "../api";
import type { JobStatus } from "../bindings/JobStatus";
import type { LogLine } from "../bindings/LogLine";
import type { LogPage } from "../bindings/LogPage";
import type { LogSection } from "../bindings/LogSection";
import type { RunStatus } from "../bindings/RunStatus";
import type { StepView } from "../bindings/StepView";
import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { iso, job, logLine, NOW, run } from "../test/fixtures";
import { renderApp } from "../test/render";

const E = "\u001b";

/** A log of `total` lines made up on demand, like the shell's store. */
function generatedLog(
  total: () => number,
  text: (n: number) => string = (n) => `line ${n}`,
): (args: CommandArgs<"read_log">) => LogPage {
  return ({ from, count }) => {
    const t = total();
    const lines: LogLine[] = [];
    for (let n = from; n < from + count && n <= t; n++) lines.push(logLine(n, text(n)));
    return { lines, total: t };
  };
}

function runWithJob(
  status: RunStatus & JobStatus,
  steps: StepView[] = [{ idx: 0, name: "build", status, exit_code: null, started_at: null, finished_at: null, duration_ms: null }],
) {
  return run({
    id: 5,
    status,
    jobs: [job({ id: 10, name: "build", status, steps })],
  });
}

function lineNumbers(): number[] {
  return screen.getAllByTestId("log-line").map((l) => Number(l.getAttribute("data-line")));
}

function lineEl(n: number): HTMLElement | null {
  return screen.getByTestId("log-viewer").querySelector(`[data-line="${n}"]`);
}

describe("Log viewer", () => {
  it("opens a 1,000,000-line log with only a window of lines in the DOM", async () => {
    const backend = mockBackend({ get_run: () => runWithJob("succeeded"), read_log: generatedLog(() => 1_000_000) });
    renderApp("/runs/5");
    const viewer = await screen.findByTestId("log-viewer");
    await waitFor(() => expect(viewer).toHaveAttribute("data-total", "1000000"));
    expect(screen.getByTestId("log-total")).toHaveTextContent("1,000,000 lines");
    await waitFor(() => expect(lineEl(1)).toHaveTextContent("line 1"));
    expect(screen.getAllByTestId("log-line").length).toBeLessThan(150);
    for (const args of backend.argsOf("read_log")) {
      expect(args.job_id).toBe(10);
      expect(args.count as number).toBeLessThanOrEqual(5000);
    }

    // Scroll to the middle: the lines there are fetched and drawn, still only a window of them.
    const scroller = viewer;
    scroller.scrollTop = Math.round((scroller.scrollHeight || 8_000_000) / 2);
    fireEvent.scroll(scroller);
    await waitFor(() => {
      const nums = lineNumbers();
      expect(Math.min(...nums)).toBeGreaterThan(490_000);
      expect(Math.max(...nums)).toBeLessThan(510_000);
    });
    const middle = lineNumbers()[40];
    await waitFor(() => expect(lineEl(middle)).toHaveTextContent(`line ${middle}`));
    expect(screen.getAllByTestId("log-line").length).toBeLessThan(150);
    expect(backend.argsOf("read_log").length).toBeLessThan(6);
  });

  it("shows ANSI colours as styled text and never the escape codes", async () => {
    const texts: Record<number, string> = {
      1: `${E}[32m✔ compiled${E}[0m in 2.1s`,
      2: `${E}[1;31merror${E}[0m: <b>not bold</b>`,
      3: `${E}]0;title${"\u0007"}${E}[2Kprogress 100%`,
    };
    mockBackend({ get_run: () => runWithJob("failed"), read_log: generatedLog(() => 3, (n) => texts[n]) });
    renderApp("/runs/5");
    await waitFor(() => expect(lineEl(3)).toHaveTextContent("progress 100%"));
    const viewer = screen.getByTestId("log-viewer");
    expect(viewer.textContent).not.toContain("\u001b");
    expect(viewer.textContent).not.toContain("[0m");
    const error = within(lineEl(2) as HTMLElement).getByText("error");
    expect(error.style.fontWeight).toBe("700");
    expect(error.style.color).not.toBe("");
    expect(lineEl(2)?.querySelector("b")).toBeNull();
    expect(lineEl(2)).toHaveTextContent("error: <b>not bold</b>");
  });

  it("searches with next/previous through search_log and scrolls to the hit", async () => {
    const hits = [250_000, 750_000];
    const backend = mockBackend({
      get_run: () => runWithJob("succeeded"),
      read_log: generatedLog(() => 1_000_000, (n) => (hits.includes(n) ? `found the Needle at ${n}` : `line ${n}`)),
      search_log: ({ from, backwards }) =>
        (backwards ? [...hits].reverse().find((h) => h < from) : hits.find((h) => h > from)) ?? null,
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    await user.type(screen.getByTestId("log-search-input"), "needle");
    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(lineEl(250_000)).toHaveAttribute("data-hit", "true"));
    expect(backend.argsOf("search_log")[0]).toEqual({ job_id: 10, query: "needle", from: 0, backwards: false });
    await waitFor(() => expect(lineEl(250_000)?.querySelector("mark")).toHaveTextContent("Needle"));
    expect(screen.getByTestId("log-search-status")).toHaveTextContent("Line 250,000");

    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(lineEl(750_000)).toHaveAttribute("data-hit", "true"));
    expect(backend.argsOf("search_log")[1]).toEqual({ job_id: 10, query: "needle", from: 250_000, backwards: false });
    expect(lineEl(250_000)).toBeNull();

    await user.click(screen.getByTestId("log-search-prev"));
    await waitFor(() => expect(lineEl(250_000)).toHaveAttribute("data-hit", "true"));
    expect(backend.argsOf("search_log")[2]).toEqual({ job_id: 10, query: "needle", from: 750_000, backwards: true });

    // n from the keyboard; past the last hit it wraps to the start.
    (document.activeElement as HTMLElement).blur();
    await user.keyboard("n");
    await waitFor(() => expect(lineEl(750_000)).toHaveAttribute("data-hit", "true"));
    await user.keyboard("n");
    await waitFor(() => expect(screen.getByTestId("log-search-status")).toHaveTextContent("Wrapped to the start"));
    expect(backend.argsOf("search_log").slice(-2)).toEqual([
      { job_id: 10, query: "needle", from: 750_000, backwards: false },
      { job_id: 10, query: "needle", from: 0, backwards: false },
    ]);
  });

  it("says when nothing matches", async () => {
    mockBackend({ get_run: () => runWithJob("succeeded"), read_log: generatedLog(() => 10), search_log: () => null });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    await user.type(screen.getByTestId("log-search-input"), "nothing{Enter}");
    await waitFor(() => expect(screen.getByTestId("log-search-status")).toHaveTextContent("No matches"));
  });

  it("follows new lines while the job runs and stops when the user scrolls up", async () => {
    let total = 100;
    mockBackend({ get_run: () => runWithJob("running"), read_log: generatedLog(() => total) });
    const { user } = renderApp("/runs/5");
    const follow = await screen.findByTestId("log-follow");
    expect(follow).toHaveAttribute("aria-pressed", "true");
    await waitFor(() => expect(lineEl(100)).toHaveTextContent("line 100"));

    const append = async (from: number, to: number) => {
      const lines = [];
      for (let n = from; n <= to; n++) lines.push(logLine(n, `live ${n}`));
      total = to;
      await emitEvent("switchyard://log/10", { run_id: 5, job_id: 10, total: to, lines });
    };
    await append(101, 400);
    expect(lineEl(400)).toHaveTextContent("live 400");
    expect(lineEl(1)).toBeNull();

    // The user scrolls up: follow turns off and new lines no longer move the view.
    fireEvent.wheel(screen.getByTestId("log-viewer"), { deltaY: -120 });
    expect(follow).toHaveAttribute("aria-pressed", "false");
    await append(401, 1000);
    expect(screen.getByTestId("log-total")).toHaveTextContent("1,000 lines");
    expect(lineEl(1000)).toBeNull();
    expect(lineEl(400)).not.toBeNull();

    // f turns it back on and jumps to the end.
    await user.keyboard("f");
    expect(follow).toHaveAttribute("aria-pressed", "true");
    expect(lineEl(1000)).toHaveTextContent("live 1000");
  });

  it("stops following when the log is scrolled up with the scrollbar", async () => {
    mockBackend({ get_run: () => runWithJob("running"), read_log: generatedLog(() => 5000) });
    renderApp("/runs/5");
    const viewer = await screen.findByTestId("log-viewer");
    await waitFor(() => expect(lineEl(5000)).not.toBeNull());
    viewer.scrollTop = 0;
    fireEvent.scroll(viewer);
    expect(screen.getByTestId("log-follow")).toHaveAttribute("aria-pressed", "false");
    await waitFor(() => expect(lineEl(1)).toHaveTextContent("line 1"));
  });

  it("shows and hides timestamps", async () => {
    mockBackend({ get_run: () => runWithJob("succeeded"), read_log: generatedLog(() => 3) });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(3)).not.toBeNull());
    expect(screen.queryAllByTestId("log-timestamp")).toHaveLength(0);
    await user.click(screen.getByTestId("log-timestamps"));
    const stamps = screen.getAllByTestId("log-timestamp");
    expect(stamps).toHaveLength(3);
    expect(stamps[0].textContent).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    await user.click(screen.getByTestId("log-timestamps"));
    expect(screen.queryAllByTestId("log-timestamp")).toHaveLength(0);
  });

  it("marks where each step starts", async () => {
    const steps = [
      { idx: 0, name: "compile", status: "succeeded" as const, exit_code: 0, started_at: iso(NOW + 1), finished_at: iso(NOW + 2), duration_ms: 1 },
      { idx: 1, name: "unit tests", status: "failed" as const, exit_code: 1, started_at: iso(NOW + 2), finished_at: iso(NOW + 3), duration_ms: 1 },
    ];
    mockBackend({
      get_run: () => runWithJob("failed", steps),
      read_log: ({ from }) => ({
        lines: [1, 2, 3, 4].filter((n) => n >= from).map((n) => logLine(n, `out ${n}`, { step: n <= 2 ? 0 : 1 })),
        total: 4,
      }),
    });
    renderApp("/runs/5");
    await waitFor(() => expect(lineEl(4)).not.toBeNull());
    const markers = screen.getAllByTestId("log-step-marker");
    expect(markers.map((m) => m.textContent)).toEqual(["Step 1: compile", "Step 2: unit tests"]);
    expect(lineEl(3)).toContainElement(markers[1]);
  });

  it("downloads the log through the save dialog", async () => {
    let path: string | null = "/home/dev/build.log";
    const backend = mockBackend({
      get_run: () => runWithJob("succeeded"),
      read_log: generatedLog(() => 3),
      "plugin:dialog|save": () => path,
      save_log: () => null,
    });
    const { user } = renderApp("/runs/5");
    await user.click(await screen.findByTestId("log-download"));
    await waitFor(() => expect(backend.argsOf("save_log")).toEqual([{ job_id: 10, path: "/home/dev/build.log" }]));
    expect(await screen.findByText("Log saved to /home/dev/build.log")).toBeInTheDocument();

    path = null;
    await user.click(screen.getByTestId("log-download"));
    await waitFor(() => expect(backend.argsOf("plugin:dialog|save")).toHaveLength(2));
    expect(backend.argsOf("save_log")).toHaveLength(1);
  });

  it("focuses the search box with /", async () => {
    mockBackend({ get_run: () => runWithJob("succeeded"), read_log: generatedLog(() => 3) });
    const { user } = renderApp("/runs/5");
    await screen.findByTestId("log-viewer");
    await user.keyboard("/");
    expect(screen.getByTestId("log-search-input")).toHaveFocus();
  });
});

describe("Log viewer: line links, match count, first error", () => {
  function matrixRun(status: RunStatus & JobStatus = "succeeded") {
    return run({ id: 5, status, jobs: [job({ id: 10, name: "test (py=3.12)", status })] });
  }

  it("copies a link to a line of a matrix job with the job's name encoded, and says so", async () => {
    mockBackend({ get_run: () => matrixRun(), read_log: generatedLog(() => 40) });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(17)).toHaveTextContent("line 17"));
    const button = within(lineEl(17) as HTMLElement).getByTestId("log-line-link");
    expect(button).toHaveAccessibleName("Copy a link to line 17");
    await user.click(button);
    expect(await navigator.clipboard.readText()).toBe("switchyard://runs/5/jobs/test%20(py%3D3.12)#L17");
    expect(await screen.findByTestId("notice")).toHaveTextContent("Link to line 17 copied");
  });

  it("shows the link when the clipboard refuses it instead of claiming it was copied", async () => {
    mockBackend({ get_run: () => matrixRun(), read_log: generatedLog(() => 5) });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(2)).not.toBeNull());
    const writeText = vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new Error("not allowed"));
    await user.click(within(lineEl(2) as HTMLElement).getByTestId("log-line-link"));
    const notice = await screen.findByTestId("notice");
    expect(notice).toHaveTextContent("switchyard://runs/5/jobs/test%20(py%3D3.12)#L2");
    expect(notice).not.toHaveTextContent("Link to line 2 copied");
    writeText.mockRestore();
  });

  it("shows '3 / 41' beside the search from the shell's count, and updates it as the hit moves and the text changes", async () => {
    const hits = [100, 200, 300];
    const backend = mockBackend({
      get_run: () => runWithJob("succeeded"),
      read_log: generatedLog(() => 1000),
      search_log: ({ from, backwards }) =>
        (backwards ? [...hits].reverse().find((h) => h < from) : hits.find((h) => h > from)) ?? null,
      // 41 matches; 2 of them before line 100, then one at each hit.
      count_log_matches: ({ query, at }) =>
        query === "needle" ? { total: 41, position: at === 0 ? 0 : 2 + hits.filter((h) => h <= at).length } : { total: 0, position: 0 },
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    const count = screen.getByTestId("log-search-count");
    await user.type(screen.getByTestId("log-search-input"), "needle");
    await waitFor(() => expect(count).toHaveTextContent("41 matches"));
    // Counted once the typing stopped, not once per key.
    expect(backend.argsOf("count_log_matches")).toEqual([{ job_id: 10, query: "needle", at: 0 }]);

    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(count).toHaveTextContent("3 / 41"));
    expect(backend.argsOf("count_log_matches").at(-1)).toEqual({ job_id: 10, query: "needle", at: 100 });
    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(count).toHaveTextContent("4 / 41"));
    await user.click(screen.getByTestId("log-search-prev"));
    await waitFor(() => expect(count).toHaveTextContent("3 / 41"));

    await user.clear(screen.getByTestId("log-search-input"));
    await user.type(screen.getByTestId("log-search-input"), "absent");
    await waitFor(() => expect(count).toHaveTextContent("No matches"));
  });

  it("opens a failed job's log at its first error instead of the top of 5,000 lines", async () => {
    const backend = mockBackend({
      get_run: () => runWithJob("failed"),
      read_log: generatedLog(() => 5000, (n) => (n === 4200 ? "Error: the build broke" : `line ${n}`)),
      search_log: ({ query, from }) => (query === "error" && from < 4200 ? 4200 : null),
    });
    renderApp("/runs/5");
    await waitFor(() => expect(lineEl(4200)).toHaveAttribute("data-first-error", "true"));
    await waitFor(() => expect(lineEl(4200)).toHaveTextContent("Error: the build broke"));
    expect(lineEl(1)).toBeNull();
    expect(backend.argsOf("search_log")).toEqual([{ job_id: 10, query: "error", from: 0, backwards: false }]);
    expect(screen.getByTestId("log-follow")).toHaveAttribute("aria-pressed", "false");
  });

  it("opens a failed job's log at its end when no line says error", async () => {
    mockBackend({ get_run: () => runWithJob("failed"), read_log: generatedLog(() => 5000), search_log: () => null });
    renderApp("/runs/5");
    await waitFor(() => expect(lineEl(5000)).toHaveTextContent("line 5000"));
    expect(lineEl(1)).toBeNull();
    expect(screen.getByTestId("log-viewer").querySelector("[data-first-error]")).toBeNull();
  });

  it("opens a succeeded job's log at the top without looking for errors", async () => {
    const backend = mockBackend({ get_run: () => runWithJob("succeeded"), read_log: generatedLog(() => 5000), search_log: () => 10 });
    renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).toHaveTextContent("line 1"));
    expect(backend.argsOf("search_log")).toEqual([]);
  });

  it("opens at the linked line (?line=) and marks it, rather than at the first error", async () => {
    const backend = mockBackend({ get_run: () => runWithJob("failed"), read_log: generatedLog(() => 5000), search_log: () => 4200 });
    renderApp("/runs/5?job_name=build&line=2500");
    await waitFor(() => expect(lineEl(2500)).toHaveAttribute("data-linked", "true"));
    await waitFor(() => expect(lineEl(2500)).toHaveTextContent("line 2500"));
    expect(screen.getByTestId("log-viewer").querySelectorAll("[data-linked]")).toHaveLength(1);
    expect(backend.argsOf("search_log")).toEqual([]);
  });
});

describe("Log viewer: steps that fold, only matching lines", () => {
  const steps: StepView[] = [
    { idx: 0, name: "compile", status: "succeeded", exit_code: 0, started_at: iso(NOW + 1), finished_at: iso(NOW + 2), duration_ms: 1 },
    { idx: 1, name: "unit tests", status: "succeeded", exit_code: 0, started_at: iso(NOW + 2), finished_at: iso(NOW + 3), duration_ms: 1 },
  ];
  // Switchyard's own lines, then step 1 (3,001 lines), then step 2 (16,999 lines).
  const sections: LogSection[] = [
    { attempt: 1, step: null, first: 1, last: 2 },
    { attempt: 1, step: 0, first: 3, last: 3003 },
    { attempt: 1, step: 1, first: 3004, last: 20_002 },
  ];
  // 41 lines contain "needle".
  const needles = Array.from({ length: 41 }, (_, i) => (i + 1) * 487);

  /** A 20,002-line log whose lines carry the sections' steps. */
  function stepLog({ from, count }: CommandArgs<"read_log">): LogPage {
    const lines: LogLine[] = [];
    for (let n = from; n < from + count && n <= 20_002; n++) {
      const s = sections.find((x) => n >= x.first && n <= x.last);
      const text = needles.includes(n) ? `found the Needle at ${n}` : `line ${n}`;
      lines.push(logLine(n, text, { step: s?.step ?? null, attempt: s?.attempt ?? 1 }));
    }
    return { lines, total: 20_002 };
  }

  function toggleOf(n: number): HTMLElement {
    return within(lineEl(n) as HTMLElement).getByTestId("log-section-toggle");
  }

  it("folds a step to its first line, says how many lines it hides, and unfolds it", async () => {
    const backend = mockBackend({ get_run: () => runWithJob("succeeded", steps), read_log: stepLog, log_sections: () => sections });
    const { user } = renderApp("/runs/5");
    await waitFor(() => toggleOf(3));
    expect(backend.argsOf("log_sections")).toEqual([{ job_id: 10, from: 1 }]);
    const toggle = toggleOf(3);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    expect(toggle).toHaveAccessibleName("Fold step 1: compile");
    expect(toggle).toHaveAttribute("data-step", "0");
    expect(toggle).toHaveAttribute("data-attempt", "1");
    // Switchyard's own lines do not fold.
    expect(screen.getAllByTestId("log-section-toggle")).toHaveLength(1);

    await user.click(toggle);
    expect(toggleOf(3)).toHaveAttribute("aria-expanded", "false");
    expect(toggleOf(3)).toHaveAccessibleName("Unfold step 1: compile");
    expect(within(lineEl(3) as HTMLElement).getByTestId("log-section-folded")).toHaveTextContent("3,000 lines folded");
    expect(lineEl(4)).toBeNull();
    expect(lineNumbers().slice(0, 5)).toEqual([1, 2, 3, 3004, 3005]);
    await waitFor(() => expect(lineEl(3004)).toHaveTextContent("line 3004"));
    expect(within(lineEl(3004) as HTMLElement).getByTestId("log-step-marker")).toHaveTextContent("Step 2: unit tests");
    expect(screen.getAllByTestId("log-line").length).toBeLessThan(150);
    expect(screen.getByTestId("log-total")).toHaveTextContent("20,002 lines");

    await user.click(toggleOf(3));
    expect(toggleOf(3)).toHaveAttribute("aria-expanded", "true");
    expect(screen.queryByTestId("log-section-folded")).toBeNull();
    expect(lineNumbers().slice(0, 5)).toEqual([1, 2, 3, 4, 5]);
    await waitFor(() => expect(lineEl(4)).toHaveTextContent("line 4"));
  });

  it("folds and unfolds every step with Fold all / Unfold all", async () => {
    mockBackend({ get_run: () => runWithJob("succeeded", steps), read_log: stepLog, log_sections: () => sections });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(screen.getByTestId("log-fold-all")).toBeEnabled());
    await user.click(screen.getByTestId("log-fold-all"));
    expect(lineNumbers()).toEqual([1, 2, 3, 3004]);
    expect(screen.getAllByTestId("log-section-toggle").map((t) => t.getAttribute("aria-expanded"))).toEqual(["false", "false"]);
    expect(screen.getAllByTestId("log-section-folded").map((f) => f.textContent)).toEqual([
      "3,000 lines folded",
      "16,998 lines folded",
    ]);
    expect(toggleOf(3004)).toHaveAccessibleName("Unfold step 2: unit tests");

    await user.click(screen.getByTestId("log-unfold-all"));
    expect(screen.queryAllByTestId("log-section-folded")).toHaveLength(0);
    expect(lineNumbers().slice(0, 4)).toEqual([1, 2, 3, 4]);
  });

  it("unfolds a folded step to show a search hit inside it", async () => {
    mockBackend({
      get_run: () => runWithJob("succeeded", steps),
      read_log: stepLog,
      log_sections: () => sections,
      search_log: ({ from, backwards }) => (!backwards && from < 1461 ? 1461 : null),
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => toggleOf(3));
    await user.click(toggleOf(3));
    expect(lineEl(1461)).toBeNull();

    await user.type(screen.getByTestId("log-search-input"), "needle{Enter}");
    await waitFor(() => expect(lineEl(1461)).toHaveAttribute("data-hit", "true"));
    await waitFor(() => expect(lineEl(1461)).toHaveTextContent("found the Needle at 1461"));
    expect(lineEl(1460)).not.toBeNull();
    expect(screen.queryByTestId("log-section-folded")).toBeNull();
  });

  it("keeps following the end with the steps folded, and shows lines that come after the known sections", async () => {
    let total = 100;
    const stepOf = (n: number) => (n <= 2 ? null : n <= 100 ? 0 : 1);
    const backend = mockBackend({
      get_run: () => runWithJob("running", steps),
      read_log: ({ from, count }) => {
        const lines: LogLine[] = [];
        for (let n = from; n < from + count && n <= total; n++) lines.push(logLine(n, `line ${n}`, { step: stepOf(n) }));
        return { lines, total };
      },
      // The sections of the log as it is, from line `from` on (cut there).
      log_sections: ({ from }) =>
        [
          { attempt: 1, step: null, first: 1, last: 2 },
          { attempt: 1, step: 0, first: 3, last: 100 },
          ...(total > 100 ? [{ attempt: 1, step: 1, first: 101, last: total }] : []),
        ]
          .filter((s) => s.last >= from)
          .map((s) => ({ ...s, first: Math.max(s.first, from) })),
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(screen.getByTestId("log-fold-all")).toBeEnabled());
    await user.click(screen.getByTestId("log-fold-all"));
    expect(lineNumbers()).toEqual([1, 2, 3]);
    expect(screen.getByTestId("log-follow")).toHaveAttribute("aria-pressed", "true");

    const lines = [];
    for (let n = 101; n <= 400; n++) lines.push(logLine(n, `live ${n}`, { step: 1 }));
    total = 400;
    await emitEvent("switchyard://log/10", { run_id: 5, job_id: 10, total, lines });
    expect(lineEl(400)).toHaveTextContent("live 400");
    expect(screen.getByTestId("log-follow")).toHaveAttribute("aria-pressed", "true");
    // Back at the top: the folded step, then the new one.
    const viewer = screen.getByTestId("log-viewer");
    viewer.scrollTop = 0;
    fireEvent.scroll(viewer);
    await waitFor(() => expect(lineNumbers().slice(0, 4)).toEqual([1, 2, 3, 101]));
    expect(within(lineEl(101) as HTMLElement).getByTestId("log-step-marker")).toHaveTextContent("Step 2: unit tests");
    // The live refresh asks only from the last line it knew, and the new
    // step then folds like the others.
    await waitFor(() => expect(backend.argsOf("log_sections")).toContainEqual({ job_id: 10, from: 100 }), { timeout: 6000 });
    expect(backend.argsOf("log_sections")[0]).toEqual({ job_id: 10, from: 1 });
    await waitFor(() => expect(screen.getByTestId("log-fold-all")).toBeEnabled());
    await user.click(screen.getByTestId("log-fold-all"));
    await waitFor(() => expect(lineNumbers()).toEqual([1, 2, 3, 101]));
  }, 15_000);

  it("shows only the lines containing the search text, with their real numbers, and goes back to the log at the hit", async () => {
    const backend = mockBackend({
      get_run: () => runWithJob("succeeded", steps),
      read_log: stepLog,
      log_sections: () => sections,
      filter_log: ({ query }) => (query === "needle" ? { lines: needles, total: needles.length } : { lines: [], total: 0 }),
      count_log_matches: ({ at }) => ({ total: 41, position: needles.filter((n) => n <= at).length }),
    });
    const { user } = renderApp("/runs/5");
    const filter = await screen.findByTestId("log-filter");
    expect(filter).toBeDisabled();
    expect(filter).toHaveAttribute("aria-pressed", "false");
    await waitFor(() => toggleOf(3));

    await user.type(screen.getByTestId("log-search-input"), "needle");
    expect(filter).toBeEnabled();
    await user.click(filter);
    expect(filter).toHaveAttribute("aria-pressed", "true");
    const status = await screen.findByText("41 of 20,002 lines match");
    expect(status).toHaveAttribute("data-testid", "log-filter-status");
    expect(lineNumbers()).toEqual(needles);
    await waitFor(() => expect(lineEl(974)).toHaveTextContent("found the Needle at 974"));
    expect(backend.argsOf("filter_log")).toEqual([{ job_id: 10, query: "needle" }]);
    // Nothing folds here.
    expect(screen.queryAllByTestId("log-section-toggle")).toHaveLength(0);
    expect(screen.getByTestId("log-fold-all")).toBeDisabled();

    // Next and previous move among the lines shown, and the count follows.
    const count = screen.getByTestId("log-search-count");
    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(lineEl(487)).toHaveAttribute("data-hit", "true"));
    await user.click(screen.getByTestId("log-search-next"));
    await waitFor(() => expect(lineEl(974)).toHaveAttribute("data-hit", "true"));
    await waitFor(() => expect(count).toHaveTextContent("2 / 41"));
    expect(backend.argsOf("search_log")).toEqual([]);

    // A line's link has its real number.
    await user.click(within(lineEl(974) as HTMLElement).getByTestId("log-line-link"));
    expect(await navigator.clipboard.readText()).toBe("switchyard://runs/5/jobs/build#L974");

    // Off: the whole log again, at the hit.
    await user.click(filter);
    expect(filter).toHaveAttribute("aria-pressed", "false");
    expect(screen.queryByTestId("log-filter-status")).toBeNull();
    expect(lineEl(974)).toHaveAttribute("data-hit", "true");
    expect(lineEl(975)).not.toBeNull();
    await waitFor(() => expect(lineEl(975)).toHaveTextContent("line 975"));
  });

  it("refetches as the text changes, and says when no line matches", async () => {
    const backend = mockBackend({
      get_run: () => runWithJob("succeeded", steps),
      read_log: stepLog,
      filter_log: ({ query }) => (query === "needle" ? { lines: needles, total: needles.length } : { lines: [], total: 0 }),
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    await user.type(screen.getByTestId("log-search-input"), "needle");
    await user.click(screen.getByTestId("log-filter"));
    await waitFor(() => expect(screen.getByTestId("log-filter-status")).toHaveTextContent("41 of 20,002 lines match"));

    await user.type(screen.getByTestId("log-search-input"), "xyz");
    await waitFor(() => expect(screen.getByTestId("log-filter-status")).toHaveTextContent("No line matches"));
    expect(screen.queryAllByTestId("log-line")).toHaveLength(0);
    expect(screen.queryByTestId("error-message")).toBeNull();
    // Asked once the typing stopped, not once per key.
    expect(backend.argsOf("filter_log")).toEqual([
      { job_id: 10, query: "needle" },
      { job_id: 10, query: "needlexyz" },
    ]);

    // An empty search box turns the filter off (and it cannot be turned on).
    await user.clear(screen.getByTestId("log-search-input"));
    expect(screen.getByTestId("log-filter")).toHaveAttribute("aria-pressed", "false");
    expect(screen.getByTestId("log-filter")).toBeDisabled();
    expect(screen.queryByTestId("log-filter-status")).toBeNull();
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
  });

  it("says when only the first 100,000 matching lines are shown", async () => {
    mockBackend({
      get_run: () => runWithJob("succeeded"),
      read_log: generatedLog(() => 300_000),
      filter_log: () => ({ lines: Array.from({ length: 100_000 }, (_, i) => 2 * i + 1), total: 123_456 }),
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    await user.type(screen.getByTestId("log-search-input"), "line");
    await user.click(screen.getByTestId("log-filter"));
    await waitFor(() =>
      expect(screen.getByTestId("log-filter-status")).toHaveTextContent("Showing the first 100,000 of 123,456 matching lines"),
    );
    expect(lineNumbers().slice(0, 3)).toEqual([1, 3, 5]);
    expect(screen.getAllByTestId("log-line").length).toBeLessThan(150);
    await waitFor(() => expect(lineEl(5)).toHaveTextContent("line 5"));
  });

  it("shows why the lines could not be filtered", async () => {
    mockBackend({
      get_run: () => runWithJob("succeeded"),
      read_log: generatedLog(() => 100),
      filter_log: () => {
        throw errorDto("internal", "the log could not be read");
      },
    });
    const { user } = renderApp("/runs/5");
    await waitFor(() => expect(lineEl(1)).not.toBeNull());
    await user.type(screen.getByTestId("log-search-input"), "line");
    await user.click(screen.getByTestId("log-filter"));
    expect(await screen.findByTestId("error-message")).toHaveTextContent("the log could not be read");
    expect(screen.queryByTestId("log-filter-status")).toBeNull();
  });
});
