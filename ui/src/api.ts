// The one module that talks to the Tauri shell, typed end to end by the
// generated contract in bindings/ipc.ts: `call` takes a command's exact name
// and argument object (`Commands`), `on` an event's key and payload
// (`EVENT_NAMES`, `EventPayloads`); a wrong name, argument or field does not
// compile. Every rejection is an `ErrorDto`; callers branch on `code`.

import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";

import type { ErrorCode } from "./bindings/ErrorCode";
import type { ErrorDto } from "./bindings/ErrorDto";
import { ERROR_CODES, EVENT_NAMES, type Commands, type EventPayloads } from "./bindings/ipc";

export type { UnlistenFn };

/** The codes of the contract (generated with it): anything else is not the shell's `ErrorDto`. */
const KNOWN_CODES: ReadonlySet<string> = new Set<ErrorCode>(ERROR_CODES);

/** Whether a rejection has the shape of the shell's `ErrorDto`. */
export function isErrorDto(value: unknown): value is ErrorDto {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && KNOWN_CODES.has(v.code) && typeof v.message === "string";
}

/** Any rejection as an `ErrorDto` (an unexpected one becomes `internal`). */
export function toErrorDto(error: unknown): ErrorDto {
  if (isErrorDto(error)) {
    return { code: error.code, message: error.message, diagnostics: Array.isArray(error.diagnostics) ? error.diagnostics : [] };
  }
  let message = "Switchyard did not answer as expected. Try again; if it keeps failing, restart Switchyard.";
  if (typeof error === "string" && error.trim() !== "") message = error;
  else if (error instanceof Error && error.message) message = error.message;
  return { code: "internal", message, diagnostics: [] };
}

/** A command's name. */
export type Command = keyof Commands;

/** A command's argument object. */
export type CommandArgs<K extends Command> = Commands[K]["args"];

/** A command's result. */
export type CommandResult<K extends Command> = Commands[K]["result"];

/** `call`'s arguments after the name: none for a command without arguments, else its argument object. */
type ArgsOf<K extends Command> = CommandArgs<K> extends Record<string, never> ? [] : [args: CommandArgs<K>];

/** Invokes a command of the contract; rejects with an `ErrorDto`. */
export async function call<K extends Command>(name: K, ...args: ArgsOf<K>): Promise<CommandResult<K>> {
  try {
    return await invoke<CommandResult<K>>(name, (args as unknown[])[0] as InvokeArgs | undefined);
  } catch (error) {
    throw toErrorDto(error);
  }
}

// ---- Commands -------------------------------------------------------------

export const overview = () => call("overview");

export const listProjects = () => call("list_projects");

export const inspectFolder = (path: string) => call("inspect_folder", { path });

export const importProject = (path: string, pipelineYaml: string | null) =>
  call("import_project", { path, pipeline_yaml: pipelineYaml });

export const projectDetail = (name: string) => call("project_detail", { name });

/**
 * A project's switchyard.yaml for the editor: its text, the version it was
 * read at (what a save names) and whether it loads. No file yet: `text` and
 * `version` empty, `pipeline.state` `missing`. Rejects with `not_found` (no
 * such project), `invalid_input` (over 1 MiB) or `internal` (not UTF-8).
 */
export const pipelineFile = (project: string) => call("pipeline_file", { project });

/** What `text` would be as the project's pipeline (valid with its plan, or its problems); nothing is written. */
export const checkPipeline = (project: string, text: string) => call("check_pipeline", { project, text });

/**
 * Saves `text` as the project's switchyard.yaml over `version` (empty: there
 * was no file, it is created). Resolves to the file as saved, with its new
 * version. Rejects with `invalid_pipeline` (with the diagnostics) for a text
 * that does not load, and `conflict` when the file changed on disk since
 * `version` was read. The shell then emits `projects`.
 */
export const savePipeline = (project: string, text: string, version: string) =>
  call("save_pipeline", { project, text, version });

export type ListRunsArgs = CommandArgs<"list_runs">;

export const listRuns = (args: ListRunsArgs) =>
  call("list_runs", {
    project: args.project,
    status: args.status,
    branch: args.branch,
    before: args.before,
    limit: args.limit,
  });

export const getRun = (id: number) => call("get_run", { id });

/**
 * Starts a run; `jobs` empty means the whole pipeline. Resolves to the run's id.
 * `fromLink`: started from a dialog that a `switchyard://` link opened (the run
 * is recorded as started from a link, else from the app). No link opens a
 * dialog that starts a run today (a project link only shows the project, where
 * the user presses Run), so every caller passes false. `parallelism`: most
 * jobs of this run at once (1..1024); null: no cap of its own (the runners'
 * limits still apply, e.g. the local runner's `concurrency`).
 */
/** `target`: run the Kubernetes jobs on this target instead of the ones the pipeline names. */
export const startRun = (
  project: string,
  jobs: string[],
  inPlace: boolean,
  fromLink: boolean,
  parallelism: number | null,
  target: string | null = null,
) => call("start_run", { project, jobs, in_place: inPlace, from_link: fromLink, parallelism, target });

/**
 * What a re-run repeats: `same` (the run's chosen jobs, place and options),
 * `failed` (only its jobs that did not succeed) or `{ job }` (that one job);
 * what those need runs too.
 */
export type RerunMode = "same" | "failed" | { job: string };

/**
 * Starts a run that repeats run `runId`; resolves to the new run's id. Rejects
 * with `invalid_input` when there is nothing to re-run (`failed` of a run whose
 * jobs all succeeded, an unknown job) and `not_found` for an unknown run.
 */
export const rerun = (runId: number, mode: RerunMode) =>
  call(
    "rerun",
    typeof mode === "string" ? { run_id: runId, mode, job: null } : { run_id: runId, mode: "job", job: mode.job },
  );

/**
 * Copies run `runId`'s artifacts into folder `dir` (absolute): every job's
 * (`job` null) as `dir/<job>/<path>`, or one job's as `dir/<path>`. Resolves to
 * what was written. Rejects with `invalid_input` when a file there has other
 * content (nothing is overwritten).
 */
export const saveArtifacts = (runId: number, job: string | null, dir: string) =>
  call("save_artifacts", { run_id: runId, job, dir });

/**
 * Opens artifact `path` of job `jobId` with the system's handler, or (`reveal`)
 * shows it in the file manager. Resolves to the path of the copy opened.
 */
export const openArtifact = (jobId: number, path: string, reveal: boolean) =>
  call("open_artifact", { job_id: jobId, path, reveal });

/**
 * Removes project `name` from the list. Its runs stay in the history (a run
 * still opens by id; importing the folder again brings them back) unless
 * `deleteHistory`: then its runs, logs, test results and artifacts are deleted.
 * Nothing in the project folder is touched. Rejects with `invalid_input` while
 * a run of it is going, `not_found` for an unknown project.
 */
export const removeProject = (name: string, deleteHistory: boolean) =>
  call("remove_project", { name, delete_history: deleteHistory });

export const cancelRun = (id: number) => call("cancel_run", { id });

/** Longest comment `decide_job` accepts, in characters. */
export const DECISION_COMMENT_MAX = 2000;

/**
 * Approves or rejects a waiting approval job (by name) of run `runId`.
 * Rejects with `not_found` when there is no such run or the run has no job of
 * that name, and with `conflict` when the job is not a waiting gate (not an
 * approval job, already decided, ended, not waiting yet).
 */
export const decideJob = (runId: number, job: string, approved: boolean, comment: string | null) =>
  call("decide_job", { run_id: runId, job, approved, comment });

/** Largest `count` the shell accepts for `read_log`. */
export const READ_LOG_MAX = 5000;

export const readLog = (jobId: number, from: number, count: number) =>
  call("read_log", { job_id: jobId, from, count: Math.min(count, READ_LOG_MAX) });

export const searchLog = (jobId: number, query: string, from: number, backwards: boolean) =>
  call("search_log", { job_id: jobId, query, from, backwards });

export const saveLog = (jobId: number, path: string) => call("save_log", { job_id: jobId, path });

export const testResults = (jobId: number) => call("test_results", { job_id: jobId });

/** Every secret's name, scope and age (never a value); `environment` ones are `SWITCHYARD_SECRET_<NAME>` variables. */
export const listSecrets = () => call("list_secrets");

/**
 * Stores a secret in the OS keyring (`project` null: global); an existing
 * name in that scope is rotated. The value goes to the shell once and never
 * comes back. Rejects with `invalid_input` (bad name, empty value),
 * `not_found` (unknown project) or `secret_store` (no keyring, locked).
 */
export const setSecret = (name: string, project: string | null, value: string) =>
  call("set_secret", { name, project, value });

/** Removes a stored secret; false when there was none. */
export const removeSecret = (name: string, project: string | null) => call("remove_secret", { name, project });

// ---- Targets: named clusters (`runner: kubernetes:<name>`, deploy jobs) ----

/** The cluster targets of config.toml (`[targets.<name>]`), never a credential. */
export const listTargets = () => call("list_targets");

/**
 * The contexts of a kubeconfig a target can be made from, each with the
 * target already made from it (null: none). `kubeconfig` null: the default
 * one (`KUBECONFIG`, else `~/.kube/config`); else an absolute path. Rejects
 * with `invalid_input` (a relative path, a file that cannot be read).
 */
export const kubeContexts = (kubeconfig: string | null) => call("kube_contexts", { kubeconfig });

export type NewTarget = CommandArgs<"add_target">;

/**
 * Adds a target from a kubeconfig context; `kubeconfig`, `namespace` and
 * `environment` null: the default kubeconfig, the context's namespace, no
 * label. Rejects with `invalid_input` (a bad or taken name, a bad namespace,
 * a context the kubeconfig lacks).
 */
export const addTarget = (target: NewTarget) =>
  call("add_target", {
    name: target.name,
    context: target.context,
    kubeconfig: target.kubeconfig,
    namespace: target.namespace,
    environment: target.environment,
  });

/** Removes a target from config.toml (the kubeconfig and the cluster are not touched); false when there was none. */
export const removeTarget = (name: string) => call("remove_target", { name });

/**
 * Checks the named targets (`names` empty: all), concurrently: whether the
 * credentials resolve, the API server answers and the runner's verbs are
 * allowed. Takes a few seconds for a slow cluster. Rejects with
 * `invalid_input` for a name that is not a target.
 */
export const checkTargets = (names: string[]) => call("check_targets", { names });

// ---- Metrics: Prometheus sources and live charts ---------------------------

/** The Prometheus sources, as config.toml lists them (never a token). */
export const listSources = () => call("list_sources");

/**
 * Adds a Prometheus source (`isDefault`: the one a chart uses when it names
 * none). `token`: a bearer token the server asks for, kept only in the OS
 * keyring; null for none. Rejects with `invalid_input` (bad name or URL, a
 * name taken) or `secret_store` (no keyring for the token).
 */
export const addSource = (name: string, url: string, isDefault: boolean, token: string | null) =>
  call("add_source", { name, url, default: isDefault, token });

/** Removes a source (and its token); false when there was none. */
export const removeSource = (name: string) => call("remove_source", { name });

/** Asks every source whether it answers as Prometheus does: its version and latency, or what is wrong. */
export const checkSources = () => call("check_sources");

export type ChartRequest = CommandArgs<"live_chart">["request"];

/**
 * Draws `request`'s chart. The shell keeps what it fetched: the same request
 * again only fetches the points that are new since, so a live view simply
 * calls it again. Rejects with `invalid_input` (the query does not parse:
 * Prometheus' message) or `source_unavailable` (down, slow, refused).
 */
export const liveChart = (request: ChartRequest) => call("live_chart", { request });

/**
 * Writes `request`'s chart to `path` (absolute) as PNG, SVG, CSV or JSON by
 * its extension; resolves to the path written.
 */
export const exportChart = (request: ChartRequest, path: string) => call("export_chart", { request, path });

/** The custom dashboards of config.toml (`[dashboards.<name>]`): name, title, panel titles. */
export const listDashboards = () => call("list_dashboards");

export type DashboardRequest = CommandArgs<"dashboard_charts">["request"];

/**
 * Draws every panel of a dashboard (a custom one by `name`, else `app`'s
 * default one) over the last `range_secs`, each `width` pixels wide. Not
 * incremental: every call fetches the whole range again. Rejects with
 * `invalid_input` (no such dashboard or target, a query refused) or
 * `source_unavailable`.
 */
export const dashboardCharts = (request: DashboardRequest) => call("dashboard_charts", { request });

/**
 * Writes the whole dashboard to `path` (absolute): PNG or SVG (its charts
 * stacked), CSV or JSON by the extension; resolves to the format written.
 */
export const exportDashboard = (request: DashboardRequest, path: string) =>
  call("export_dashboard", { request, path });

// ---- Alerts: rules evaluated by the shell, incidents ------------------------

/** Most minutes `silenceAlert` accepts (a week). */
export const SILENCE_MAX_MINUTES = 10080;

/** Every alert that is not inactive, and the recent incidents (open ones first). */
export const alertsView = () => call("alerts_view");

/** Evaluates the alert rules now, then answers as `alertsView`. */
export const evaluateAlerts = () => call("evaluate_alerts");

/**
 * Silences alert `id` for `minutes` (1..10080): it stays tracked and listed
 * but tells no one. False when there is no such alert; `invalid_input` for
 * minutes out of range.
 */
export const silenceAlert = (id: number, minutes: number) => call("silence_alert", { id, minutes });

/** Acknowledges incident `id` (someone is on it); false when it already was, or is no more. */
export const acknowledgeIncident = (id: number) => call("acknowledge_incident", { id });

// ---- Deployments: deploy jobs' rollouts, recorded by the engine -------------

/**
 * Recent deployments, newest first: of one app and one environment when
 * given (null: all), at most `limit` (1..1000).
 */
export const listDeployments = (app: string | null, environment: string | null, limit: number) =>
  call("list_deployments", { app, environment, limit });

/**
 * One deployment with its events (oldest first), the question it waits on
 * (null when it does not wait for a person) and its project. Rejects with
 * `not_found` for an unknown id.
 */
export const deploymentDetail = (id: number) => call("deployment_detail", { id });

/**
 * Promotes (`goOn`) a deployment that waits for a person, or (not `goOn`)
 * aborts a waiting one or stops a running one: the stable version takes the
 * traffic back. Resolves to what happened: "promoted", "aborted" or
 * "stopping". The window asks for a confirmation first.
 */
export const decideDeployment = (id: number, goOn: boolean, comment: string | null) =>
  call("decide_deployment", { id, go_on: goOn, comment });

/**
 * The DORA figures of `environment` over the last `days` days (1..3650):
 * deployment frequency, lead time for changes, change failure rate and time
 * to restore, with the counts they come from. Rejects with `invalid_input`
 * for days out of range.
 */
/** DORA figures of an environment (of one app, or all when null) over the last `days` days. */
export const deploymentStats = (environment: string, days: number, app: string | null = null) =>
  call("deployment_stats", { environment, app, days });

// ---- Analytics: delivery figures from the local history --------------------

/** Most days `deliveryStats` and `exportReport` accept (ten years). */
export const STATS_MAX_DAYS = 3650;

/**
 * Delivery figures of the runs created in the last `days` days (1..3650), of
 * one project or (null) all: counts, success rate, duration and queue time
 * percentiles, day by day, the slowest steps and the flaky tests. Rejects with
 * `not_found` for an unknown project, `invalid_input` for days out of range.
 */
export const deliveryStats = (project: string | null, days: number) => call("delivery_stats", { project, days });

/**
 * Writes the same figures as a self-contained HTML report (charts inline) to
 * `path` (absolute).
 */
export const exportReport = (project: string | null, days: number, path: string) =>
  call("export_report", { project, days, path });

export const getSettings = () => call("get_settings");

export const updateSettings = (settings: CommandArgs<"update_settings">["settings"]) =>
  call("update_settings", { settings });

export const pauseNotifications = (minutes: number) => call("pause_notifications", { minutes });

export const firstRun = () => call("first_run");

export const importDemo = () => call("import_demo");

export const pendingDeepLink = () => call("pending_deep_link");

export const uiReady = () => call("ui_ready");

let uiReadySent = false;

/** Tells the shell the first view is drawn; only the first call sends. */
export function uiReadyOnce(): void {
  if (uiReadySent) return;
  uiReadySent = true;
  uiReady().catch(() => {
    // Only the start-up benchmark uses it; nothing for the user to do.
  });
}

// ---- Dialogs (dialog plugin) ----------------------------------------------

/** Native folder picker; null when cancelled. */
export async function pickFolder(title = "Choose a project folder"): Promise<string | null> {
  try {
    const picked = await openDialog({ directory: true, multiple: false, title });
    if (Array.isArray(picked)) return picked[0] ?? null;
    return picked ?? null;
  } catch (error) {
    throw toErrorDto(error);
  }
}

/** Native file picker for a kubeconfig file (any name: kubeconfigs rarely have an extension); null when cancelled. */
export async function pickKubeconfig(): Promise<string | null> {
  try {
    const picked = await openDialog({ directory: false, multiple: false, title: "Choose a kubeconfig file" });
    if (Array.isArray(picked)) return picked[0] ?? null;
    return picked ?? null;
  } catch (error) {
    throw toErrorDto(error);
  }
}

/** Native save dialog for a log file; null when cancelled. */
export async function pickLogSavePath(defaultName: string): Promise<string | null> {
  try {
    const path = await saveDialog({
      title: "Save log",
      defaultPath: defaultName,
      filters: [{ name: "Log", extensions: ["log", "txt"] }],
    });
    return path ?? null;
  } catch (error) {
    throw toErrorDto(error);
  }
}

/** What a chart can be exported as, by the file's extension (the first is the default). */
export const CHART_EXPORT_FORMATS = [
  { name: "PNG image", extensions: ["png"] },
  { name: "SVG image", extensions: ["svg"] },
  { name: "CSV (the data)", extensions: ["csv"] },
  { name: "JSON (the data)", extensions: ["json"] },
];

/** Native save dialog for a chart (or dashboard) export; null when cancelled. */
export async function pickChartExportPath(defaultName: string, title = "Export chart"): Promise<string | null> {
  try {
    const path = await saveDialog({ title, defaultPath: defaultName, filters: CHART_EXPORT_FORMATS });
    return path ?? null;
  } catch (error) {
    throw toErrorDto(error);
  }
}

/** Native save dialog for the delivery report (HTML); null when cancelled. */
export async function pickReportPath(defaultName: string): Promise<string | null> {
  try {
    const path = await saveDialog({
      title: "Export report",
      defaultPath: defaultName,
      filters: [{ name: "HTML", extensions: ["html"] }],
    });
    return path ?? null;
  } catch (error) {
    throw toErrorDto(error);
  }
}

// ---- Events ---------------------------------------------------------------

/** An event's key. */
export type EventKey = keyof EventPayloads;

/** The events whose name carries an id (`{id}`, `{job_id}`). */
export type EventWithId = {
  [K in EventKey]: (typeof EVENT_NAMES)[K] extends `${string}{${string}}${string}` ? K : never;
}[EventKey];

type Handler<K extends EventKey> = (payload: EventPayloads[K]) => void;

/** `on`'s arguments after the key: the id for an event whose name carries one, then the handler. */
type OnArgs<K extends EventKey> = K extends EventWithId ? [id: number, handler: Handler<K>] : [handler: Handler<K>];

/** An event's name, with its `{id}` / `{job_id}` filled in. */
export function eventName(key: EventKey, id?: number): string {
  const name: string = EVENT_NAMES[key];
  if (id === undefined) return name;
  return name.replace(/\{(id|job_id)\}/, String(id));
}

/** Listens to an event of the contract: `on("runs", h)`, `on("run", runId, h)`, `on("log", jobId, h)`. */
export function on<K extends EventKey>(key: K, ...args: OnArgs<K>): Promise<UnlistenFn> {
  const [id, handler] = (args.length === 2 ? args : [undefined, args[0]]) as [number | undefined, Handler<K>];
  return listen<EventPayloads[K]>(eventName(key, id), (e) => handler(e.payload));
}

export type Subscribe<T> = (handler: (payload: T) => void) => Promise<UnlistenFn>;

/** Any run was created or changed status (this app's runs and the CLI's). */
export const onRuns: Subscribe<EventPayloads["runs"]> = (handler) => on("runs", handler);

/** A job or step of run `id` changed state. */
export const onRunEvent = (id: number, handler: Handler<"run">) => on("run", id, handler);

/** New lines of job `jobId`'s log. */
export const onLog = (jobId: number, handler: Handler<"log">) => on("log", jobId, handler);

/** A project was imported or changed, here or by another process (the CLI). */
export const onProjects: Subscribe<EventPayloads["projects"]> = (handler) => on("projects", handler);

/** A `switchyard://` link was opened while the app runs. */
export const onDeepLink: Subscribe<EventPayloads["deep_link"]> = (handler) => on("deep_link", handler);

/** The tray or a notification asks to show a view. */
export const onNavigate: Subscribe<EventPayloads["navigate"]> = (handler) => on("navigate", handler);

/** The settings in force changed (config.toml edited by hand or elsewhere). */
export const onSettings: Subscribe<EventPayloads["settings"]> = (handler) => on("settings", handler);

/** Alerts or incidents changed (evaluated, silenced, acknowledged, here or by the CLI): read `alertsView` again. */
export const onAlerts: Subscribe<EventPayloads["alerts"]> = (handler) => on("alerts", handler);

export type FolderDragEvent =
  | { type: "enter"; paths: string[] }
  | { type: "over" }
  | { type: "drop"; paths: string[] }
  | { type: "leave" };

/** Files or folders dragged over / dropped onto the window. */
export const onFolderDrag: Subscribe<FolderDragEvent> = async (handler) => {
  const unlisten = await getCurrentWebview().onDragDropEvent((event) => {
    const p = event.payload;
    if (p.type === "enter") handler({ type: "enter", paths: p.paths });
    else if (p.type === "over") handler({ type: "over" });
    else if (p.type === "drop") handler({ type: "drop", paths: p.paths });
    else handler({ type: "leave" });
  });
  return unlisten;
};

// ---- Run page: log match counts, test history -----------------------------

/**
 * How many lines of job `jobId`'s log contain `query` (ignoring case):
 * `total`, and `position` = how many of those are at or before line `at`
 * (1-based; 0 for none), for "3 / 41" beside the log search.
 */
export const countLogMatches = (jobId: number, query: string, at: number) =>
  call("count_log_matches", { job_id: jobId, query, at });

/**
 * Where each step's lines are in job `jobId`'s log: runs of consecutive lines
 * of the same attempt and step, in order, covering the log (`step` null for
 * Switchyard's own lines). The shell reads the whole log for it.
 */
/** Where each step's lines are, from line `from` on (a live log is asked again from the last line known). */
export const logSections = (jobId: number, from = 1) => call("log_sections", { job_id: jobId, from });

/**
 * The lines of job `jobId`'s log that contain `query` (ignoring case), for
 * "Only matching lines": the first 100,000 line numbers, and how many match
 * in all. The shell reads the whole log for it.
 */
export const filterLog = (jobId: number, query: string) => call("filter_log", { job_id: jobId, query });

/** Most outcomes `testHistory` asks for (the shell keeps at most 200). */
export const TEST_HISTORY_LIMIT = 20;

/**
 * The outcomes of one test (by class and name) in the latest runs of the
 * project that job `jobId` belongs to, newest first.
 */
export const testHistory = (jobId: number, classname: string | null, name: string, limit = TEST_HISTORY_LIMIT) =>
  call("test_history", { job_id: jobId, classname, name, limit });
