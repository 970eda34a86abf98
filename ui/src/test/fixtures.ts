import type { FolderView } from "../bindings/FolderView";
import type { JobView } from "../bindings/JobView";
import type { LogLine } from "../bindings/LogLine";
import type { OverviewView } from "../bindings/OverviewView";
import type { PlanJobView } from "../bindings/PlanJobView";
import type { ProjectDetailView } from "../bindings/ProjectDetailView";
import type { ProjectView } from "../bindings/ProjectView";
import type { RunSummaryView } from "../bindings/RunSummaryView";
import type { RunView } from "../bindings/RunView";
import type { SecretView } from "../bindings/SecretView";
import type { SettingsDto } from "../bindings/SettingsDto";
import type { WaitingGateView } from "../bindings/WaitingGateView";

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

/** A Unix-ms time as the shell sends it (RFC 3339, UTC, milliseconds). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function summary(partial: Partial<RunSummaryView> = {}): RunSummaryView {
  return {
    id: 1,
    project: "shop",
    status: "succeeded",
    commit: "0123456789abcdef0123456789abcdef01234567",
    branch: "main",
    dirty: false,
    created_at: iso(NOW - 120_000),
    started_at: iso(NOW - 110_000),
    finished_at: iso(NOW - 50_000),
    duration_ms: 60_000,
    trigger: "app",
    chosen_jobs: [],
    in_place: false,
    rerun_of: null,
    ...partial,
  };
}

export function job(partial: Partial<JobView> = {}): JobView {
  return {
    id: 10,
    name: "build",
    status: "succeeded",
    runner: "local",
    needs: [],
    started_at: iso(NOW - 100_000),
    finished_at: iso(NOW - 60_000),
    duration_ms: 40_000,
    attempts: 1,
    reason: null,
    warnings: [],
    steps: [],
    tests: { passed: 0, failed: 0, skipped: 0 },
    artifacts: [],
    kind: "steps",
    approval: null,
    ...partial,
  };
}

/**
 * An approval job (a gate): no steps, no runner; `waiting` for a person
 * unless `partial` says otherwise.
 */
export function gate(partial: Partial<JobView> = {}): JobView {
  return job({
    id: 20,
    name: "release",
    status: "waiting",
    runner: "",
    needs: ["build"],
    started_at: iso(NOW - 30_000),
    finished_at: null,
    duration_ms: null,
    kind: "approval",
    approval: { message: "Ship this build to production?", decision: null },
    ...partial,
  });
}

/** A run (the one form `get_run` and `switchyard show --json` share). */
export function run(partial: Partial<RunView> = {}): RunView {
  return { ...summary(), error: null, jobs: [job()], ...partial };
}

/** The Overview: one project, nothing going, no gate waiting. */
export function overviewOf(partial: Partial<OverviewView> = {}): OverviewView {
  return { active: [], waiting: [], recent: [], failing: [], default_branches: ["main", "master"], projects: 1, ...partial };
}

/** A gate of the Overview: `release` of run 12, waiting for 30 s. */
export function waitingGate(partial: Partial<WaitingGateView> = {}): WaitingGateView {
  return {
    run: summary({ id: 12, status: "running", finished_at: null, duration_ms: null }),
    job: "release",
    message: "Ship this build to production?",
    since: iso(NOW - 30_000),
    ...partial,
  };
}

/** A job of a plan: a `steps` job on `local`. */
export function planJob(partial: Partial<PlanJobView> = {}): PlanJobView {
  return { name: "build", needs: [], stage: 1, runner: "local", kind: "steps", condition: "success", steps: ["compile"], ...partial };
}

/** An approval job of a plan: no runner, no steps. */
export function planGate(partial: Partial<PlanJobView> = {}): PlanJobView {
  return planJob({ name: "release", needs: ["build"], stage: 2, runner: "", kind: "approval", steps: [], ...partial });
}

export function project(partial: Partial<ProjectView> = {}): ProjectView {
  return {
    name: "shop",
    path: "/home/dev/src/shop",
    remote: "git@example.invalid:dev/shop.git",
    imported_at: iso(NOW - 86_400_000),
    last_run: summary(),
    ...partial,
  };
}

/** `rotations` as the shell sends it: a JSON number. */
export function rotations(n: number): number {
  return n;
}

/** A stored global secret `API_TOKEN`, set 3 days ago and never rotated. */
export function secret(partial: Partial<SecretView> = {}): SecretView {
  const set = iso(NOW - 3 * 86_400_000);
  return { name: "API_TOKEN", scope: "global", project: null, created_at: set, updated_at: set, rotations: rotations(0), ...partial };
}

/** A `SWITCHYARD_SECRET_<NAME>` variable of the shell's process: no times, read-only. */
export function envSecret(name: string): SecretView {
  return { name, scope: "environment", project: null, created_at: null, updated_at: null, rotations: rotations(0) };
}

export function settings(partial: Partial<SettingsDto> = {}): SettingsDto {
  return {
    theme: "system",
    notify_on_failure: true,
    notify_on_fixed: true,
    close_to_tray: false,
    notifications_paused_until: null,
    data_dir: "/home/dev/.local/share/switchyard",
    config_file: "/home/dev/.config/switchyard/config.toml",
    config_problem: null,
    local_concurrency: null,
    cpus: 8,
    ...partial,
  };
}

export function folder(partial: Partial<FolderView> = {}): FolderView {
  return {
    path: "/home/dev/src/shop",
    name: "shop",
    git: {
      branch: "main",
      remote: "git@example.invalid:dev/shop.git",
      dirty: true,
      commits: [
        { id: "aaaaaaaa11111111", summary: "Add checkout", author: "Ada", time: iso(NOW - 3_600_000) },
        { id: "bbbbbbbb22222222", summary: "Fix cart totals", author: "Grace", time: iso(NOW - 7_200_000) },
      ],
    },
    pipeline: {
      state: "valid",
      diagnostics: [],
      plan: [
        { name: "build", needs: [], stage: 1, runner: "local", kind: "steps", condition: "success", steps: ["compile"] },
        { name: "test", needs: ["build"], stage: 2, runner: "local", kind: "steps", condition: "success", steps: ["unit", "e2e"] },
      ],
    },
    starter: null,
    imported_as: null,
    warnings: [],
    ...partial,
  };
}

export function detail(partial: Partial<ProjectDetailView> = {}): ProjectDetailView {
  const f = folder();
  return {
    project: project(),
    git: f.git,
    pipeline: f.pipeline,
    branches: ["main", "feature/cart"],
    ...partial,
  };
}

export function logLine(n: number, text = `line ${n}`, partial: Partial<LogLine> = {}): LogLine {
  return { number: n, ts: NOW + n, stream: "stdout", attempt: 1, step: 0, text, ...partial };
}
