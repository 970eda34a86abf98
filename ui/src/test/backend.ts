// A stand-in for the Tauri shell: commands answered by handlers through the
// real `invoke` path (@tauri-apps/api/mocks), events emitted through the real
// `listen` path.

import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { act } from "@testing-library/react";

import type { ErrorDto } from "../bindings/ErrorDto";
import { settings } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (args: any) => unknown;

export interface Call {
  cmd: string;
  args: Record<string, unknown>;
}

export interface Backend {
  calls: Call[];
  handlers: Record<string, Handler>;
  /** Arguments of every call to `cmd`, in order. */
  argsOf: (cmd: string) => Record<string, unknown>[];
  /** Commands called, without the event plumbing. */
  commands: () => string[];
}

const DEFAULTS: Record<string, Handler> = {
  get_settings: () => settings(),
  pending_deep_link: () => null,
  ui_ready: () => null,
  first_run: () => ({ empty: false, demoAvailable: true }),
  overview: () => ({ active: [], recent: [], failingBranches: [], projects: 1 }),
  list_projects: () => [],
};

export function mockBackend(handlers: Record<string, Handler> = {}): Backend {
  mockWindows("main");
  const backend: Backend = {
    calls: [],
    handlers: { ...DEFAULTS, ...handlers },
    argsOf: (cmd) => backend.calls.filter((c) => c.cmd === cmd).map((c) => c.args),
    commands: () => backend.calls.map((c) => c.cmd),
  };
  mockIPC(
    (cmd, args) => {
      const a = (args ?? {}) as Record<string, unknown>;
      backend.calls.push({ cmd, args: a });
      const handler = backend.handlers[cmd];
      if (!handler) {
        const error: ErrorDto = { code: "internal", message: `no mock for ${cmd}`, diagnostics: [] };
        throw error;
      }
      return handler(a);
    },
    { shouldMockEvents: true },
  );
  return backend;
}

/** Emits a shell event and lets React apply it. */
export async function emitEvent(name: string, payload: unknown): Promise<void> {
  await act(async () => {
    await emit(name, payload);
  });
}

export function errorDto(code: ErrorDto["code"], message: string, diagnostics: ErrorDto["diagnostics"] = []): ErrorDto {
  return { code, message, diagnostics };
}
