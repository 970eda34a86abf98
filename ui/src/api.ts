// The one typed module that talks to the Tauri shell: a function per command of
// docs/desktop-ipc.md (exact names and argument objects) and a typed `listen`
// per event. Every rejection is an `ErrorDto`; callers branch on `code`.

import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";

import type { DeepLinkDto } from "./bindings/DeepLinkDto";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { ErrorDto } from "./bindings/ErrorDto";
import type { FirstRunDto } from "./bindings/FirstRunDto";
import type { FolderDto } from "./bindings/FolderDto";
import type { LogAppendDto } from "./bindings/LogAppendDto";
import type { LogPageDto } from "./bindings/LogPageDto";
import type { NavigateDto } from "./bindings/NavigateDto";
import type { OverviewDto } from "./bindings/OverviewDto";
import type { ProjectDetailDto } from "./bindings/ProjectDetailDto";
import type { ProjectDto } from "./bindings/ProjectDto";
import type { RunDto } from "./bindings/RunDto";
import type { RunEventDto } from "./bindings/RunEventDto";
import type { RunPageDto } from "./bindings/RunPageDto";
import type { RunSummaryDto } from "./bindings/RunSummaryDto";
import type { SettingsDto } from "./bindings/SettingsDto";
import type { StatusDto } from "./bindings/StatusDto";
import type { TestResultDto } from "./bindings/TestResultDto";

export type { UnlistenFn };

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "not_found",
  "invalid_input",
  "invalid_pipeline",
  "conflict",
  "already_finished",
  "internal",
]);

/** Whether a rejection has the shape of the shell's `ErrorDto`. */
export function isErrorDto(value: unknown): value is ErrorDto {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.code === "string" && ERROR_CODES.has(v.code) && typeof v.message === "string";
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

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    throw toErrorDto(error);
  }
}

// ---- Commands -------------------------------------------------------------

export const overview = () => call<OverviewDto>("overview");

export const listProjects = () => call<ProjectDto[]>("list_projects");

export const inspectFolder = (path: string) => call<FolderDto>("inspect_folder", { path });

export const importProject = (path: string, pipelineYaml: string | null) =>
  call<ProjectDto>("import_project", { path, pipelineYaml });

export const projectDetail = (name: string) => call<ProjectDetailDto>("project_detail", { name });

export interface ListRunsArgs {
  project: string | null;
  status: StatusDto | null;
  branch: string | null;
  before: number | null;
  limit: number;
}

export const listRuns = (args: ListRunsArgs) =>
  call<RunPageDto>("list_runs", {
    project: args.project,
    status: args.status,
    branch: args.branch,
    before: args.before,
    limit: args.limit,
  });

export const getRun = (id: number) => call<RunDto>("get_run", { id });

/** Starts a run; `jobs` empty means the whole pipeline. Resolves to the run's id. */
export const startRun = (project: string, jobs: string[], inPlace: boolean) =>
  call<number>("start_run", { project, jobs, inPlace });

export const cancelRun = (id: number) => call<null>("cancel_run", { id });

/** Largest `count` the shell accepts for `read_log`. */
export const READ_LOG_MAX = 5000;

export const readLog = (jobId: number, from: number, count: number) =>
  call<LogPageDto>("read_log", { jobId, from, count: Math.min(count, READ_LOG_MAX) });

export const searchLog = (jobId: number, query: string, from: number, backwards: boolean) =>
  call<number | null>("search_log", { jobId, query, from, backwards });

export const saveLog = (jobId: number, path: string) => call<null>("save_log", { jobId, path });

export const testResults = (jobId: number) => call<TestResultDto[]>("test_results", { jobId });

export const getSettings = () => call<SettingsDto>("get_settings");

export const updateSettings = (settings: SettingsDto) => call<SettingsDto>("update_settings", { settings });

export const pauseNotifications = (minutes: number) => call<SettingsDto>("pause_notifications", { minutes });

export const firstRun = () => call<FirstRunDto>("first_run");

export const importDemo = () => call<ProjectDto>("import_demo");

export const pendingDeepLink = () => call<DeepLinkDto | null>("pending_deep_link");

export const uiReady = () => call<null>("ui_ready");

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
export async function pickFolder(): Promise<string | null> {
  try {
    const picked = await openDialog({ directory: true, multiple: false, title: "Choose a project folder" });
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

export const EVENTS = {
  runs: "switchyard://runs",
  run: (id: number) => `switchyard://run/${id}`,
  log: (jobId: number) => `switchyard://log/${jobId}`,
  deepLink: "switchyard://deep-link",
  navigate: "switchyard://navigate",
  settings: "switchyard://settings",
} as const;

export type Subscribe<T> = (handler: (payload: T) => void) => Promise<UnlistenFn>;

function on<T>(event: string, handler: (payload: T) => void): Promise<UnlistenFn> {
  return listen<T>(event, (e) => handler(e.payload));
}

/** Any run was created or changed status. */
export const onRuns: Subscribe<RunSummaryDto> = (handler) => on(EVENTS.runs, handler);

/** A job or step of run `id` changed state. */
export const onRunEvent = (id: number, handler: (e: RunEventDto) => void) => on(EVENTS.run(id), handler);

/** New lines of job `jobId`'s log. */
export const onLog = (jobId: number, handler: (e: LogAppendDto) => void) => on(EVENTS.log(jobId), handler);

/** A `switchyard://` link was opened while the app runs. */
export const onDeepLink: Subscribe<DeepLinkDto> = (handler) => on(EVENTS.deepLink, handler);

/** The tray or a notification asks to show a view. */
export const onNavigate: Subscribe<NavigateDto> = (handler) => on(EVENTS.navigate, handler);

/** The settings in force changed (config.toml edited by hand or elsewhere). */
export const onSettings: Subscribe<SettingsDto> = (handler) => on(EVENTS.settings, handler);

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
