import type { RunEventDto } from "./bindings/RunEventDto";
import type { RunView } from "./bindings/RunView";
import type { Status } from "./status";

/** A run with one live event applied (the next `get_run` brings times and counts). */
export function applyRunEvent(run: RunView, event: RunEventDto): RunView {
  if (event.run_id !== run.id) return run;
  switch (event.kind) {
    case "run":
      return { ...run, status: event.status };
    case "job":
      return {
        ...run,
        jobs: run.jobs.map((j) => {
          if (j.id !== event.job_id) return j;
          const newAttempt = event.attempt > j.attempts;
          return {
            ...j,
            status: event.status,
            reason: event.reason,
            attempts: Math.max(j.attempts, event.attempt),
            steps: newAttempt
              ? j.steps.map((s) => ({
                  ...s,
                  status: "queued" as const,
                  exit_code: null,
                  started_at: null,
                  finished_at: null,
                  duration_ms: null,
                }))
              : j.steps,
          };
        }),
      };
    case "step":
      return {
        ...run,
        jobs: run.jobs.map((j) => {
          if (j.id !== event.job_id) return j;
          const exists = j.steps.some((s) => s.idx === event.step);
          const steps = exists
            ? j.steps.map((s) =>
                s.idx === event.step ? { ...s, name: event.name, status: event.status, exit_code: event.exit_code } : s,
              )
            : [
                ...j.steps,
                {
                  idx: event.step,
                  name: event.name,
                  status: event.status,
                  exit_code: event.exit_code,
                  started_at: null,
                  finished_at: null,
                  duration_ms: null,
                },
              ].sort((a, b) => a.idx - b.idx);
          return { ...j, steps };
        }),
      };
  }
}

/** queued < running / waiting < ended: within one attempt a status never goes back. */
function progress(status: Status): number {
  return status === "queued" ? 0 : status === "running" || status === "waiting" ? 1 : 2;
}

/**
 * A reloaded run merged with the one shown: a status that live events already
 * moved forward is kept when the reload is older than those events (same
 * attempt); everything else comes from the reload.
 */
export function mergeRun(shown: RunView, reloaded: RunView): RunView {
  const status = progress(shown.status) > progress(reloaded.status) ? shown.status : reloaded.status;
  const jobs = reloaded.jobs.map((j) => {
    const before = shown.jobs.find((b) => b.id === j.id);
    if (!before || j.attempts > before.attempts) return j;
    const ahead = progress(before.status) > progress(j.status);
    const steps = j.steps.map((s) => {
      const b = before.steps.find((x) => x.idx === s.idx);
      return b && progress(b.status) > progress(s.status) ? { ...s, status: b.status, exit_code: b.exit_code } : s;
    });
    for (const b of before.steps) if (!steps.some((s) => s.idx === b.idx)) steps.push(b);
    steps.sort((a, b) => a.idx - b.idx);
    // A gate's decision is final: one already shown is kept over an older reload without it.
    const approval = j.approval && !j.approval.decision && before.approval?.decision ? before.approval : j.approval;
    return ahead
      ? { ...j, status: before.status, reason: before.reason ?? j.reason, steps, approval }
      : { ...j, steps, approval };
  });
  return { ...reloaded, status, jobs };
}
