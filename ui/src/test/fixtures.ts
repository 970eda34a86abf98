import type { AlertsView } from "../bindings/AlertsView";
import type { AlertView } from "../bindings/AlertView";
import type { DeploymentDetailDto } from "../bindings/DeploymentDetailDto";
import type { DeploymentEvent } from "../bindings/DeploymentEvent";
import type { DeploymentRecord } from "../bindings/DeploymentRecord";
import type { DeploymentTarget } from "../bindings/DeploymentTarget";
import type { DoraView } from "../bindings/DoraView";
import type { FolderView } from "../bindings/FolderView";
import type { IncidentView } from "../bindings/IncidentView";
import type { KubeContextDto } from "../bindings/KubeContextDto";
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
import type { StatsView } from "../bindings/StatsView";
import type { TargetCheckDto } from "../bindings/TargetCheckDto";
import type { TargetDto } from "../bindings/TargetDto";
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
    outputs: {},
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

/** A target `prod`: context `prod-admin` of the default kubeconfig, the context's namespace, no environment. */
export function target(partial: Partial<TargetDto> = {}): TargetDto {
  return { name: "prod", cloud: "kubeconfig", context: "prod-admin", kubeconfig: null, namespace: null, environment: null, ...partial };
}

/** The verbs a check asks about (the Kubernetes runner's Role), in check order. */
export const CHECKED_VERBS = [
  "create pods", "get pods", "list pods", "watch pods", "delete pods", "deletecollection pods",
  "create pods/exec", "get pods/exec",
  "create secrets", "patch secrets", "delete secrets", "deletecollection secrets",
  "list events",
];

/** A passing check of target `prod`: every verb allowed; `denied` ones are not (and named in a problem). */
export function targetCheck(partial: Partial<TargetCheckDto> = {}, denied: string[] = []): TargetCheckDto {
  const allowed: [string, boolean][] = CHECKED_VERBS.map((v) => [v, !denied.includes(v)]);
  const problems =
    denied.length > 0
      ? [`not allowed in namespace \`default\`: ${denied.join(", ")}; grant the Role of docs/kubernetes-runner.md to this identity`]
      : [];
  return {
    name: "prod",
    ok: denied.length === 0,
    server_version: "v1.30.2",
    expires_at: null,
    problems,
    allowed,
    ...partial,
  };
}

/** A context `kind-kind` of a kubeconfig: not current, no target made from it. */
export function kubeContext(partial: Partial<KubeContextDto> = {}): KubeContextDto {
  return {
    name: "kind-kind",
    cluster: "kind-kind",
    server: "https://127.0.0.1:6443",
    namespace: null,
    current: false,
    target: null,
    ...partial,
  };
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

export function alert(partial: Partial<AlertView> = {}): AlertView {
  return {
    id: 1,
    rule: "error-ratio",
    labels: { __name__: "http_requests_total", app: "shop", environment: "production" },
    severity: "critical",
    state: "firing",
    since: NOW - 5 * 60_000,
    value: 0.0734,
    incident_id: 7,
    silenced_until: null,
    updated_at: NOW - 10_000,
    ...partial,
  };
}

export function incident(partial: Partial<IncidentView> = {}): IncidentView {
  return {
    id: 7,
    key: "app=shop,environment=production",
    started_at: NOW - 4 * 60_000,
    resolved_at: null,
    acknowledged_at: null,
    alerts: [1],
    firing: 1,
    needs_attention: true,
    deployment: null,
    ...partial,
  };
}

export function alertsOf(partial: Partial<AlertsView> = {}): AlertsView {
  return { alerts: [], incidents: [], firing: 0, ...partial };
}

const DAY = 86_400_000;

/** Delivery figures with nothing in the window (`days` days up to NOW). */
export function emptyStats(project: string | null = null, days = 30): StatsView {
  const spread = { count: 0, p50_ms: null, p95_ms: null, max_ms: null };
  return {
    project,
    since: NOW + 1 - days * DAY,
    until: NOW + 1,
    runs: 0,
    succeeded: 0,
    failed: 0,
    cancelled: 0,
    success_rate: null,
    duration: spread,
    queue: spread,
    days: [],
    slowest_steps: [],
    flaky_tests: [],
  };
}

/**
 * Delivery figures over the last 30 days: 10 runs on three days (6 succeeded,
 * 3 failed, 1 cancelled: 66.7%), two slow steps and a flaky test.
 */
export function stats(partial: Partial<StatsView> = {}): StatsView {
  return {
    ...emptyStats(),
    runs: 10,
    succeeded: 6,
    failed: 3,
    cancelled: 1,
    success_rate: 6 / 9,
    duration: { count: 9, p50_ms: 65_000, p95_ms: 250_000, max_ms: 300_000 },
    queue: { count: 10, p50_ms: 850, p95_ms: 4_200, max_ms: 12_000 },
    days: [
      { day: "2025-01-13", runs: 4, succeeded: 3, failed: 1, p50_duration_ms: 60_000, tests: 40 },
      { day: "2025-01-14", runs: 4, succeeded: 2, failed: 1, p50_duration_ms: 90_500, tests: 52 },
      { day: "2025-01-15", runs: 2, succeeded: 1, failed: 1, p50_duration_ms: null, tests: 0 },
    ],
    slowest_steps: [
      { project: "shop", job: "test", step: "cargo test", spread: { count: 9, p50_ms: 45_000, p95_ms: 120_000, max_ms: 130_000 } },
      { project: "api", job: "build", step: "npm ci", spread: { count: 5, p50_ms: 12_300, p95_ms: 20_000, max_ms: 21_000 } },
    ],
    flaky_tests: [{ project: "shop", test: "checkout.CartTest.total_rounds", commits: 2, passed: 3, failed: 2 }],
    ...partial,
  };
}

/** The DORA figures of `environment` over the last `days` days, with no deployment. */
export function emptyDora(environment = "production", days = 30): DoraView {
  const spread = { count: 0, p50_ms: null, p95_ms: null, max_ms: null };
  return {
    environment,
    since: NOW + 1 - days * DAY,
    until: NOW + 1,
    deployments: 0,
    succeeded: 0,
    failed: 0,
    per_day: 0,
    lead_time: spread,
    change_failure_rate: null,
    time_to_restore: spread,
    restore_from: "deployments",
  };
}

/**
 * DORA figures of production over the last 30 days: 12 deployments (10
 * succeeded, 2 failed), lead time 1h 30m median, 2 restores.
 */
export function dora(partial: Partial<DoraView> = {}): DoraView {
  return {
    ...emptyDora(),
    deployments: 12,
    succeeded: 10,
    failed: 2,
    per_day: 10 / 30,
    lead_time: { count: 10, p50_ms: 5_400_000, p95_ms: 9_000_000, max_ms: 10_800_000 },
    change_failure_rate: 2 / 12,
    time_to_restore: { count: 2, p50_ms: 1_500_000, p95_ms: 2_700_000, max_ms: 2_700_000 },
    restore_from: "incidents",
    ...partial,
  };
}

export function deploymentTarget(partial: Partial<DeploymentTarget> = {}): DeploymentTarget {
  return { name: "staging-eu", wave: 1, status: "succeeded", reason: null, ...partial };
}

/** Deployment 7: web 2.0 to staging, revision 7, rolling, succeeded on staging-eu (run 31, job 88). */
export function deployment(partial: Partial<DeploymentRecord> = {}): DeploymentRecord {
  return {
    id: 7,
    app: "web",
    environment: "staging",
    revision: 7,
    status: "succeeded",
    strategy: "rolling",
    image: "registry.example/acme/web:2.0",
    version: "2.0",
    commit: "4f1c2a9e0123456789abcdef0123456789abcdef",
    run_id: 31,
    job_id: 88,
    reason: null,
    created_at: iso(NOW - 10 * 60_000),
    finished_at: iso(NOW - 6 * 60_000),
    targets: [deploymentTarget()],
    ...partial,
  };
}

/** An event of a deployment, `at` minutes before NOW. */
export function deploymentEvent(minutesAgo: number, status: string, message: string | null = null, target: string | null = "staging-eu"): DeploymentEvent {
  return { at: iso(NOW - minutesAgo * 60_000), target, status, message };
}

export function deploymentDetailOf(partial: Partial<DeploymentDetailDto> = {}): DeploymentDetailDto {
  return { deployment: deployment(), events: [], waiting: null, project: "shop", ...partial };
}
