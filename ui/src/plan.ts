import type { PlanJobView } from "./bindings/PlanJobView";
import type { GraphJob } from "./components/JobGraph";

/** What a plan job does: "approval" for a gate, "deploy" for a deployment (no steps, no runner), else "2 steps · local". */
export function planJobSummary(job: PlanJobView): string {
  if (job.kind === "approval") return "approval";
  if (job.kind === "deploy") return "deploy";
  return `${job.steps.length} step${job.steps.length === 1 ? "" : "s"} · ${job.runner}`;
}

/** A plan's jobs as graph boxes (a gate drawn with a hand); `conditions` adds "if failure" / "if always". */
export function planGraphJobs(plan: PlanJobView[], { conditions = false }: { conditions?: boolean } = {}): GraphJob[] {
  return plan.map((j) => ({
    key: j.name,
    name: j.name,
    needs: j.needs,
    stage: j.stage,
    kind: j.kind,
    detail: planJobSummary(j) + (conditions && j.condition !== "success" ? ` · if ${j.condition}` : ""),
  }));
}

/**
 * For each job that will run because a chosen job needs it (directly or
 * through other jobs) but that was not chosen itself: the chosen or needed
 * jobs that need it directly. The engine runs the chosen jobs and everything
 * they need, transitively; this is what the dialog shows and counts.
 */
export function neededBy(plan: PlanJobView[], chosen: ReadonlySet<string>): Map<string, string[]> {
  const byName = new Map(plan.map((j) => [j.name, j]));
  const running = new Set<string>();
  const visit = (name: string) => {
    if (running.has(name) || !byName.has(name)) return;
    running.add(name);
    for (const need of byName.get(name)?.needs ?? []) visit(need);
  };
  for (const name of chosen) visit(name);
  const result = new Map<string, string[]>();
  for (const j of plan) {
    if (!running.has(j.name) || chosen.has(j.name)) continue;
    result.set(
      j.name,
      plan.filter((d) => running.has(d.name) && d.needs.includes(j.name)).map((d) => d.name),
    );
  }
  return result;
}
