import type { RunDto } from "./bindings/RunDto";
import type { RunEventDto } from "./bindings/RunEventDto";
import type { StatusDto } from "./bindings/StatusDto";

/** A run with one live event applied (the next `get_run` brings times and counts). */
export function applyRunEvent(run: RunDto, event: RunEventDto): RunDto {
  if (event.runId !== run.summary.id) return run;
  switch (event.kind) {
    case "run":
      return { ...run, summary: { ...run.summary, status: event.status } };
    case "job":
      return {
        ...run,
        jobs: run.jobs.map((j) => {
          if (j.id !== event.jobId) return j;
          const newAttempt = event.attempt > j.attempts;
          return {
            ...j,
            status: event.status,
            reason: event.reason,
            attempts: Math.max(j.attempts, event.attempt),
            steps: newAttempt
              ? j.steps.map((s) => ({ ...s, status: "queued" as const, exitCode: null, startedAt: null, finishedAt: null, durationMs: null }))
              : j.steps,
          };
        }),
      };
    case "step":
      return {
        ...run,
        jobs: run.jobs.map((j) => {
          if (j.id !== event.jobId) return j;
          const exists = j.steps.some((s) => s.idx === event.step);
          const steps = exists
            ? j.steps.map((s) =>
                s.idx === event.step ? { ...s, name: event.name, status: event.status, exitCode: event.exitCode } : s,
              )
            : [
                ...j.steps,
                {
                  idx: event.step,
                  name: event.name,
                  status: event.status,
                  exitCode: event.exitCode,
                  startedAt: null,
                  finishedAt: null,
                  durationMs: null,
                },
              ].sort((a, b) => a.idx - b.idx);
          return { ...j, steps };
        }),
      };
  }
}

/** queued < running < ended: within one attempt a status never goes back. */
function progress(status: StatusDto): number {
  return status === "queued" ? 0 : status === "running" ? 1 : 2;
}

/**
 * A reloaded run merged with the one shown: a status that live events already
 * moved forward is kept when the reload is older than those events (same
 * attempt); everything else comes from the reload.
 */
export function mergeRun(shown: RunDto, reloaded: RunDto): RunDto {
  const summary =
    progress(shown.summary.status) > progress(reloaded.summary.status)
      ? { ...reloaded.summary, status: shown.summary.status }
      : reloaded.summary;
  const jobs = reloaded.jobs.map((j) => {
    const before = shown.jobs.find((b) => b.id === j.id);
    if (!before || j.attempts > before.attempts) return j;
    const ahead = progress(before.status) > progress(j.status);
    const steps = j.steps.map((s) => {
      const b = before.steps.find((x) => x.idx === s.idx);
      return b && progress(b.status) > progress(s.status) ? { ...s, status: b.status, exitCode: b.exitCode } : s;
    });
    for (const b of before.steps) if (!steps.some((s) => s.idx === b.idx)) steps.push(b);
    steps.sort((a, b) => a.idx - b.idx);
    return ahead ? { ...j, status: before.status, reason: before.reason ?? j.reason, steps } : { ...j, steps };
  });
  return { ...reloaded, summary, jobs };
}
