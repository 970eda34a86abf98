import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { DecisionView } from "../bindings/DecisionView";
import type { RunView } from "../bindings/RunView";
import { formatDateTime } from "../format";
import { emitEvent, errorDto, mockBackend, type Backend } from "../test/backend";
import { gate, iso, job, NOW, run } from "../test/fixtures";
import { currentSearch, renderApp } from "../test/render";

const emptyLog = () => ({ lines: [], total: 0 });

/** Run 12: `build` succeeded, `release` (a gate) waits, `ship` needs it; `lint` still runs beside them. */
function waitingRun(): RunView {
  return run({
    id: 12,
    status: "running",
    finished_at: null,
    duration_ms: null,
    jobs: [
      job({ id: 10, name: "build" }),
      job({ id: 11, name: "lint", status: "running", finished_at: null, duration_ms: null }),
      gate({ id: 20, name: "release", needs: ["build"] }),
      job({ id: 30, name: "ship", status: "queued", needs: ["release"], started_at: null, finished_at: null, duration_ms: null }),
    ],
  });
}

/** The run once `release` was decided. */
function decidedRun(decision: DecisionView): RunView {
  const r = waitingRun();
  return {
    ...r,
    jobs: r.jobs.map((j) =>
      j.id === 20
        ? {
            ...j,
            status: decision.approved ? ("succeeded" as const) : ("failed" as const),
            finished_at: decision.at,
            duration_ms: 30_000,
            reason: `${decision.approved ? "approved" : "rejected"} by ${decision.by}${decision.comment ? `: ${decision.comment}` : ""}`,
            approval: { message: "Ship this build to production?", decision },
          }
        : j,
    ),
  };
}

function node(name: string): HTMLElement {
  return screen.getAllByTestId("job-node").find((n) => n.getAttribute("data-job") === name) as HTMLElement;
}

/** Whether anything asked for a log or listened to one (a gate has none). */
function logTraffic(backend: Backend, jobId: number): unknown[] {
  return backend.calls.filter(
    (c) =>
      ((c.cmd === "read_log" || c.cmd === "search_log" || c.cmd === "save_log") && c.args.job_id === jobId) ||
      (c.cmd === "plugin:event|listen" && c.args.event === `switchyard://log/${jobId}`),
  );
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("Approval gates on the run page", () => {
  it("shows a waiting gate everywhere as waiting, selects it first, and shows its question instead of a log", async () => {
    const backend = mockBackend({ get_run: () => waitingRun(), read_log: emptyLog });
    renderApp("/runs/12");

    const panel = await screen.findByTestId("gate-panel");
    // A run with a waiting gate is still running.
    expect(screen.getByTestId("run-status")).toHaveAttribute("data-status", "running");
    expect(screen.getByTestId("run-cancel")).toBeInTheDocument();
    // The graph: its own status, label and icon.
    const release = node("release");
    expect(release).toHaveAttribute("data-status", "waiting");
    expect(release).toHaveAttribute("aria-label", "release: Waiting for approval");
    expect(release).toHaveAttribute("data-kind", "approval");
    expect(node("lint")).toHaveAttribute("data-kind", "steps");
    expect(release).toHaveAttribute("aria-pressed", "true");
    expect(within(release).getByText(/^Waiting for approval/)).toBeInTheDocument();
    expect(within(release).getByTestId("PanToolOutlinedIcon")).toBeInTheDocument();
    expect(within(node("lint")).queryByTestId("PanToolOutlinedIcon")).not.toBeInTheDocument();
    // The gate, not the running job, is selected: it is what needs a person.
    expect(currentSearch()).toBe("");
    const detail = screen.getByTestId("job-detail");
    expect(detail).toHaveTextContent("release · Waiting for approval · approval");
    expect(detail).not.toHaveTextContent("runs on");
    expect(screen.queryAllByTestId("step-row")).toHaveLength(0);
    expect(screen.queryByText("No step has started yet.")).not.toBeInTheDocument();

    expect(screen.getByTestId("tab-log")).toHaveTextContent("Approval: release");
    expect(within(panel).getByTestId("gate-message")).toHaveTextContent("Ship this build to production?");
    expect(within(panel).getByTestId("gate-approve")).toBeEnabled();
    expect(within(panel).getByTestId("gate-reject")).toBeEnabled();
    expect(within(panel).getByTestId("gate-comment")).toHaveValue("");
    expect(within(panel).queryByTestId("gate-decision")).not.toBeInTheDocument();
    expect(screen.queryByTestId("log-panel")).not.toBeInTheDocument();
    expect(screen.queryByTestId("run-waiting-gates")).not.toBeInTheDocument();
    expect(logTraffic(backend, 20)).toEqual([]);
  });

  it("approves with the exact arguments, disabled while the call is in flight, then shows the decision", async () => {
    let current = waitingRun();
    const answer = deferred<null>();
    const backend = mockBackend({ get_run: () => current, read_log: emptyLog, decide_job: () => answer.promise });
    const { user } = renderApp("/runs/12");

    await user.type(await screen.findByTestId("gate-comment"), "  looks good  ");
    await user.click(screen.getByTestId("gate-approve"));
    // No confirmation for approving: the call goes out at once.
    await waitFor(() => expect(backend.argsOf("decide_job")).toHaveLength(1));
    expect(backend.argsOf("decide_job")[0]).toEqual({ run_id: 12, job: "release", approved: true, comment: "looks good" });
    expect(screen.getByTestId("gate-approve")).toBeDisabled();
    expect(screen.getByTestId("gate-approve")).toHaveTextContent("Approving…");
    expect(screen.getByTestId("gate-reject")).toBeDisabled();

    const decision = { approved: true, by: "ana (desktop)", comment: "looks good", at: iso(NOW) };
    current = decidedRun(decision);
    answer.resolve(null);
    await emitEvent("switchyard://run/12", {
      kind: "job", run_id: 12, job_id: 20, job: "release", status: "succeeded", attempt: 1, reason: "approved by ana (desktop): looks good",
    });
    const shown = await screen.findByTestId("gate-decision");
    expect(shown).toHaveAttribute("data-approved", "true");
    expect(shown).toHaveTextContent(`Approved by ana (desktop) · looks good · ${formatDateTime(NOW)}`);
    expect(node("release")).toHaveAttribute("data-status", "succeeded");
    expect(screen.queryByTestId("gate-approve")).not.toBeInTheDocument();
    expect(screen.queryByTestId("gate-reject")).not.toBeInTheDocument();
    expect(screen.queryByTestId("gate-comment")).not.toBeInTheDocument();
    expect(backend.argsOf("decide_job")).toHaveLength(1);
    // The page stays on the gate although it no longer waits.
    expect(currentSearch()).toBe("?job=20");
    expect(logTraffic(backend, 20)).toEqual([]);
  });

  it("sends no comment as null", async () => {
    const backend = mockBackend({ get_run: () => waitingRun(), read_log: emptyLog, decide_job: () => null });
    const { user } = renderApp("/runs/12");
    await user.type(await screen.findByTestId("gate-comment"), "   ");
    await user.click(screen.getByTestId("gate-approve"));
    await waitFor(() => expect(backend.argsOf("decide_job")).toEqual([{ run_id: 12, job: "release", approved: true, comment: null }]));
  });

  it("rejects only after a confirmation, with approved: false", async () => {
    const backend = mockBackend({ get_run: () => waitingRun(), read_log: emptyLog, decide_job: () => null });
    const { user } = renderApp("/runs/12");
    await user.type(await screen.findByTestId("gate-comment"), "not on a Friday");

    // Asked first; cancelling sends nothing.
    await user.click(screen.getByTestId("gate-reject"));
    const dialog = await screen.findByRole("dialog");
    expect(dialog).toHaveTextContent("Reject “release”?");
    expect(dialog).toHaveTextContent("the jobs that need it are skipped");
    await user.click(within(dialog).getByTestId("gate-reject-cancel"));
    await waitFor(() => expect(screen.queryByRole("dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("decide_job")).toEqual([]);
    expect(screen.getByTestId("gate-comment")).toHaveValue("not on a Friday");

    await user.click(screen.getByTestId("gate-reject"));
    await user.click(within(await screen.findByRole("dialog")).getByTestId("gate-reject-confirm"));
    await waitFor(() => expect(backend.argsOf("decide_job")).toHaveLength(1));
    expect(backend.argsOf("decide_job")[0]).toEqual({ run_id: 12, job: "release", approved: false, comment: "not on a Friday" });
  });

  it("shows a conflict in place and keeps the comment", async () => {
    const backend = mockBackend({
      get_run: () => waitingRun(),
      read_log: emptyLog,
      decide_job: () => {
        throw errorDto("conflict", "job `release` of run 12 was decided by someone else just now");
      },
    });
    const { user } = renderApp("/runs/12");
    await user.type(await screen.findByTestId("gate-comment"), "ship it");
    await user.click(screen.getByTestId("gate-approve"));

    const panel = screen.getByTestId("gate-panel");
    const error = await within(panel).findByTestId("error-message");
    expect(error).toHaveAttribute("data-code", "conflict");
    expect(error).toHaveTextContent("job `release` of run 12 was decided by someone else just now");
    expect(within(panel).getByTestId("gate-comment")).toHaveValue("ship it");
    // Still waiting (as the reload says): it can be tried again.
    await waitFor(() => expect(within(panel).getByTestId("gate-approve")).toBeEnabled());
    expect(backend.argsOf("decide_job")).toHaveLength(1);
  });

  it("keeps the comment in view when the gate was decided by someone else meanwhile", async () => {
    let current = waitingRun();
    mockBackend({
      get_run: () => current,
      read_log: emptyLog,
      decide_job: () => {
        current = decidedRun({ approved: false, by: "bob (cli)", comment: "tests are flaky", at: iso(NOW) });
        throw errorDto("conflict", "job `release` of run 12 has already ended (failed)");
      },
    });
    const { user } = renderApp("/runs/12");
    await user.type(await screen.findByTestId("gate-comment"), "ship it");
    await user.click(screen.getByTestId("gate-approve"));

    const decision = await screen.findByTestId("gate-decision");
    expect(decision).toHaveAttribute("data-approved", "false");
    expect(decision).toHaveTextContent("Rejected by bob (cli) · tests are flaky");
    expect(screen.getByTestId("error-message")).toHaveAttribute("data-code", "conflict");
    expect(screen.getByTestId("gate-comment")).toHaveValue("ship it");
    expect(screen.queryByTestId("gate-approve")).not.toBeInTheDocument();
  });

  it("shows a decided gate's decision without buttons, and no log", async () => {
    const decision = { approved: false, by: "bob (cli)", comment: "not on a Friday", at: iso(NOW - 5000) };
    const backend = mockBackend({
      get_run: () => ({ ...decidedRun(decision), status: "failed" as const, finished_at: iso(NOW), duration_ms: 60_000 }),
      read_log: emptyLog,
    });
    const { user } = renderApp("/runs/12?job=20");
    const shown = await screen.findByTestId("gate-decision");
    expect(shown).toHaveTextContent(`Rejected by bob (cli) · not on a Friday · ${formatDateTime(NOW - 5000)}`);
    expect(screen.getByTestId("gate-panel")).toHaveAttribute("data-status", "failed");
    expect(screen.getByTestId("gate-message")).toHaveTextContent("Ship this build to production?");
    expect(screen.queryByTestId("gate-approve")).not.toBeInTheDocument();
    expect(screen.queryByTestId("gate-reject")).not.toBeInTheDocument();
    expect(screen.queryByTestId("gate-comment")).not.toBeInTheDocument();
    // The decision is the job's reason: said once, in the panel.
    expect(screen.queryByTestId("job-reason")).not.toBeInTheDocument();

    // Another job shows its log again.
    await user.click(node("build"));
    await waitFor(() => expect(backend.argsOf("read_log").at(-1)).toMatchObject({ job_id: 10 }));
    expect(screen.queryByTestId("gate-panel")).not.toBeInTheDocument();
    expect(logTraffic(backend, 20)).toEqual([]);
  });

  it("points at a waiting gate while another job is shown", async () => {
    mockBackend({ get_run: () => waitingRun(), read_log: emptyLog });
    const { user } = renderApp("/runs/12?job=11");
    const banner = await screen.findByTestId("run-waiting-gates");
    expect(banner).toHaveTextContent("Waiting for approval: release");
    expect(screen.queryByTestId("gate-panel")).not.toBeInTheDocument();
    await user.click(within(banner).getByRole("button", { name: "release" }));
    expect(currentSearch()).toBe("?job=20");
    expect(await screen.findByTestId("gate-panel")).toBeInTheDocument();
    expect(screen.queryByTestId("run-waiting-gates")).not.toBeInTheDocument();
  });

  it("opens on the gate named by `?job_name=` (a link from the Overview), then selects by id", async () => {
    const twoGates = (): RunView => ({
      ...waitingRun(),
      jobs: [
        ...waitingRun().jobs,
        gate({ id: 21, name: "release (eu)", needs: ["build"], approval: { message: "Ship to the EU?", decision: null } }),
      ],
    });
    mockBackend({ get_run: twoGates, read_log: emptyLog });
    const { user } = renderApp(`/runs/12?${new URLSearchParams({ job_name: "release (eu)" })}`);
    expect(await screen.findByTestId("gate-message")).toHaveTextContent("Ship to the EU?");
    expect(node("release (eu)")).toHaveAttribute("aria-pressed", "true");
    expect(node("release")).toHaveAttribute("aria-pressed", "false");
    // The other waiting gate is pointed at.
    expect(screen.getByTestId("run-waiting-gates")).toHaveTextContent("Waiting for approval: release");

    await user.click(node("build"));
    expect(currentSearch()).toBe("?job=10");
    expect(node("build")).toHaveAttribute("aria-pressed", "true");
  });

  it("falls back to the first waiting gate when `?job_name=` names no job of the run", async () => {
    mockBackend({ get_run: () => waitingRun(), read_log: emptyLog });
    renderApp("/runs/12?job_name=gone");
    expect(await screen.findByTestId("gate-panel")).toBeInTheDocument();
    expect(node("release")).toHaveAttribute("aria-pressed", "true");
  });

  it("shows in place that the run has no such job (`not_found`)", async () => {
    mockBackend({
      get_run: () => waitingRun(),
      read_log: emptyLog,
      decide_job: () => {
        throw errorDto("not_found", "run 12 has no job `release`");
      },
    });
    const { user } = renderApp("/runs/12");
    await user.click(await screen.findByTestId("gate-approve"));
    const error = await within(screen.getByTestId("gate-panel")).findByTestId("error-message");
    expect(error).toHaveAttribute("data-code", "not_found");
    expect(error).toHaveTextContent("run 12 has no job `release`");
  });

  it("follows a gate from queued to waiting through its events", async () => {
    let current: RunView = {
      ...waitingRun(),
      jobs: waitingRun().jobs.map((j) => (j.id === 20 ? { ...j, status: "queued" as const, started_at: null } : j)),
    };
    mockBackend({ get_run: () => current, read_log: emptyLog });
    renderApp("/runs/12?job=20");
    const panel = await screen.findByTestId("gate-panel");
    expect(panel).toHaveAttribute("data-status", "queued");
    expect(within(panel).queryByTestId("gate-approve")).not.toBeInTheDocument();
    expect(node("release")).toHaveTextContent("Queued · approval");

    current = waitingRun();
    await emitEvent("switchyard://run/12", { kind: "job", run_id: 12, job_id: 20, job: "release", status: "waiting", attempt: 1, reason: null });
    expect(node("release")).toHaveAttribute("data-status", "waiting");
    expect(await within(screen.getByTestId("gate-panel")).findByTestId("gate-approve")).toBeEnabled();
  });
});
