import { describe, expect, it } from "vitest";

import { applyRunEvent, mergeRun } from "./runEvents";
import { gate, iso, job, NOW, run } from "./test/fixtures";

const step = (status: "queued" | "running" | "succeeded" | "failed", exit_code: number | null = null) => ({
  idx: 0,
  name: "compile",
  status,
  exit_code,
  started_at: status === "queued" ? null : iso(NOW),
  finished_at: status === "succeeded" || status === "failed" ? iso(NOW + 1000) : null,
  duration_ms: status === "succeeded" || status === "failed" ? 1000 : null,
});

describe("run events", () => {
  it("applies run, job and step events of its own run only", () => {
    const shown = run({ id: 7, status: "running", jobs: [job({ id: 70, status: "running", steps: [step("running")] })] });
    expect(applyRunEvent(shown, { kind: "run", run_id: 8, status: "failed" })).toBe(shown);
    expect(applyRunEvent(shown, { kind: "run", run_id: 7, status: "failed" }).status).toBe("failed");
    const job70 = applyRunEvent(shown, {
      kind: "job", run_id: 7, job_id: 70, job: "build", status: "failed", attempt: 1, reason: "step `compile` exited with 2",
    }).jobs[0];
    expect(job70).toMatchObject({ status: "failed", reason: "step `compile` exited with 2", attempts: 1 });
    const stepped = applyRunEvent(shown, {
      kind: "step", run_id: 7, job_id: 70, job: "build", attempt: 1, step: 0, name: "compile", status: "failed", exit_code: 2,
    });
    expect(stepped.jobs[0].steps[0]).toMatchObject({ status: "failed", exit_code: 2, started_at: iso(NOW) });
  });

  it("resets the steps when a job starts a new attempt", () => {
    const shown = run({ id: 7, jobs: [job({ id: 70, status: "failed", attempts: 1, steps: [step("failed", 1)] })] });
    const retried = applyRunEvent(shown, {
      kind: "job", run_id: 7, job_id: 70, job: "build", status: "running", attempt: 2, reason: null,
    }).jobs[0];
    expect(retried.attempts).toBe(2);
    expect(retried.steps[0]).toEqual({ ...step("queued"), exit_code: null });
  });

  it("keeps a status that events moved forward when a reload is older", () => {
    const shown = run({ id: 7, status: "succeeded", jobs: [job({ id: 70, status: "succeeded", steps: [step("succeeded", 0)] })] });
    const stale = run({
      id: 7,
      status: "running",
      finished_at: null,
      duration_ms: null,
      jobs: [job({ id: 70, status: "running", steps: [step("running")] })],
    });
    const merged = mergeRun(shown, stale);
    expect(merged.status).toBe("succeeded");
    expect(merged.finished_at).toBeNull();
    expect(merged.jobs[0].status).toBe("succeeded");
    expect(merged.jobs[0].steps[0]).toMatchObject({ status: "succeeded", exit_code: 0 });
    // A newer reload wins.
    expect(mergeRun(stale, shown)).toEqual(shown);
  });

  it("keeps a gate's wait and its decision when a reload is older", () => {
    const queued = run({ id: 7, status: "running", jobs: [gate({ id: 70, status: "queued", started_at: null })] });
    const waiting = applyRunEvent(queued, {
      kind: "job", run_id: 7, job_id: 70, job: "release", status: "waiting", attempt: 1, reason: null,
    });
    expect(waiting.jobs[0].status).toBe("waiting");
    // Waiting is ahead of queued: an older reload does not take it back.
    expect(mergeRun(waiting, queued).jobs[0].status).toBe("waiting");

    const decision = { approved: true, by: "ana (desktop)", comment: null, at: iso(NOW) };
    const decided = run({
      id: 7,
      status: "running",
      jobs: [gate({ id: 70, status: "succeeded", reason: "approved by ana (desktop)", approval: { message: "Ship?", decision } })],
    });
    const stale = run({ id: 7, status: "running", jobs: [gate({ id: 70, approval: { message: "Ship?", decision: null } })] });
    const merged = mergeRun(decided, stale).jobs[0];
    expect(merged.status).toBe("succeeded");
    expect(merged.approval?.decision).toEqual(decision);
    expect(mergeRun(stale, decided).jobs[0]).toEqual(decided.jobs[0]);
  });
});
