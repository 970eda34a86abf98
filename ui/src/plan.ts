import type { PlanJobView } from "./bindings/PlanJobView";
import type { GraphJob } from "./components/JobGraph";

/** What a plan job does: "approval" for a gate (no steps, no runner), else "2 steps · local". */
export function planJobSummary(job: PlanJobView): string {
  if (job.kind === "approval") return "approval";
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
