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
export const startRun = (project: string, jobs: string[], inPlace: boolean, fromLink: boolean, parallelism: number | null) =>
  call("start_run", { project, jobs, in_place: inPlace, from_link: fromLink, parallelism });

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

/** Most outcomes `testHistory` asks for (the shell keeps at most 200). */
export const TEST_HISTORY_LIMIT = 20;

/**
 * The outcomes of one test (by class and name) in the latest runs of the
 * project that job `jobId` belongs to, newest first.
 */
export const testHistory = (jobId: number, classname: string | null, name: string, limit = TEST_HISTORY_LIMIT) =>
  call("test_history", { job_id: jobId, classname, name, limit });
