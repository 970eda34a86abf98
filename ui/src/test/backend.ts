// A stand-in for the Tauri shell: commands answered by handlers through the
// real `invoke` path (@tauri-apps/api/mocks), events emitted through the real
// `listen` path.

import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { act } from "@testing-library/react";

import type { Command, CommandArgs, CommandResult, EventKey } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { SecretView } from "../bindings/SecretView";
import type { EVENT_NAMES, EventPayloads } from "../bindings/ipc";
import { iso, overviewOf, rotations, settings } from "./fixtures";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Handler = (args: any) => unknown;

/**
 * Handlers by command: a command of the contract must answer its exact
 * result type (so a test cannot answer in an old shape), at once or later (a
 * promise, to look at the UI while a call is in flight); anything else
 * (plugin commands) is free.
 */
export type Handlers = {
  [K in Command]?: (args: CommandArgs<K>) => CommandResult<K> | Promise<CommandResult<K>>;
} & Record<string, Handler>;

/** An event name with its `{id}` / `{job_id}` filled in with a number. */
type Filled<S extends string> = S extends `${infer A}{${string}}${infer B}` ? `${A}${number}${B}` : S;

/** The payload type of the event named `N` (never for a name outside the contract). */
type PayloadOf<N extends string> = {
  [K in EventKey]: N extends Filled<(typeof EVENT_NAMES)[K]> ? EventPayloads[K] : never;
}[EventKey];

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

const DEFAULTS: Handlers = {
  get_settings: () => settings(),
  pending_deep_link: () => null,
  ui_ready: () => null,
  first_run: () => ({ empty: false, demo_available: true }),
  overview: () => overviewOf(),
  list_projects: () => [],
  list_secrets: () => [],
};

export function mockBackend(handlers: Handlers = {}): Backend {
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

/** Emits a shell event and lets React apply it; a contract event's payload must have its exact type. */
export async function emitEvent<N extends string>(
  name: N,
  payload: [PayloadOf<N>] extends [never] ? unknown : PayloadOf<N>,
): Promise<void> {
  await act(async () => {
    await emit(name, payload);
  });
}

export function errorDto(code: ErrorDto["code"], message: string, diagnostics: ErrorDto["diagnostics"] = []): ErrorDto {
  return { code, message, diagnostics };
}

export interface FakeSecrets {
  /** What `list_secrets` answers (index order, then the environment), as the shell keeps it. */
  secrets: SecretView[];
  /** Every value set, in order: only a test may look (the shell never sends one back). */
  values: { name: string; project: string | null; value: string }[];
  handlers: Pick<Handlers, "list_secrets" | "set_secret" | "remove_secret">;
}

/**
 * The secrets commands with the shell's rules: the same name rule, an empty
 * value and an unknown project refused, setting an existing name in a scope
 * rotates it, environment entries (`SWITCHYARD_SECRET_*`) are never touched.
 */
export function fakeSecrets(initial: SecretView[] = [], projects: string[] = ["shop", "api"]): FakeSecrets {
  const fake: FakeSecrets = {
    secrets: [...initial],
    values: [],
    handlers: {
      list_secrets: () => fake.secrets.map((s) => ({ ...s })),
      set_secret: ({ name, project, value }) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name) || name.length > 128) {
          throw errorDto("invalid_input", `\`${name}\` is not a valid secret name: use letters, digits and \`_\` (not starting with a digit), at most 128 characters, e.g. API_TOKEN`);
        }
        if (value === "") throw errorDto("invalid_input", `the value of secret \`${name}\` is empty`);
        if (project !== null && !projects.includes(project)) throw errorDto("not_found", `no project named \`${project}\``);
        fake.values.push({ name, project, value });
        const scope = project === null ? "global" : "project";
        const now = iso(Date.now());
        const i = fake.secrets.findIndex((s) => s.scope === scope && s.name === name && s.project === project);
        const view: SecretView =
          i >= 0
            ? { ...fake.secrets[i], updated_at: now, rotations: rotations(Number(fake.secrets[i].rotations) + 1) }
            : { name, scope, project, created_at: now, updated_at: now, rotations: rotations(0) };
        if (i >= 0) fake.secrets[i] = view;
        else fake.secrets.unshift(view);
        return view;
      },
      remove_secret: ({ name, project }) => {
        const scope = project === null ? "global" : "project";
        const before = fake.secrets.length;
        fake.secrets = fake.secrets.filter((s) => !(s.scope === scope && s.name === name && s.project === project));
        return fake.secrets.length < before;
      },
    },
  };
  return fake;
}
