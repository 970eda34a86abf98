// A stand-in for the Tauri shell: commands answered by handlers through the
// real `invoke` path (@tauri-apps/api/mocks), events emitted through the real
// `listen` path.

import { emit } from "@tauri-apps/api/event";
import { mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { act } from "@testing-library/react";

import type { Command, CommandArgs, CommandResult, EventKey } from "../api";
import type { ErrorDto } from "../bindings/ErrorDto";
import type { KubeContextDto } from "../bindings/KubeContextDto";
import type { SecretView } from "../bindings/SecretView";
import type { TargetCheckDto } from "../bindings/TargetCheckDto";
import type { TargetDto } from "../bindings/TargetDto";
import type { EVENT_NAMES, EventPayloads } from "../bindings/ipc";
import { emptyDora, emptyStats, iso, overviewOf, rotations, settings, targetCheck } from "./fixtures";

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
  list_targets: () => [],
  list_sources: () => [],
  list_dashboards: () => [],
  alerts_view: () => ({ alerts: [], incidents: [], firing: 0 }),
  list_deployments: () => [],
  delivery_stats: ({ project, days }) => emptyStats(project, days),
  deployment_stats: ({ environment, days }) => emptyDora(environment, days),
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

export interface FakeTargets {
  /** What `list_targets` answers (config.toml's order: a new one last). */
  targets: TargetDto[];
  /** The contexts of each kubeconfig file by path; `""` is the default one. */
  kubeconfigs: Record<string, Omit<KubeContextDto, "target">[]>;
  /** What `check_targets` answers for a target (default: a passing check of it). */
  checks: Record<string, TargetCheckDto>;
  handlers: Required<Pick<Handlers, "list_targets" | "kube_contexts" | "add_target" | "remove_target" | "check_targets">>;
}

/**
 * The targets commands with the shell's rules: a kubeconfig path must be
 * absolute and readable, a name is letters, digits, `-`, `_`, `.` (at most
 * 63) and not taken, a namespace a DNS label, the context one the kubeconfig
 * has; a context lists the target made from it; checking an unknown name is
 * refused.
 */
export function fakeTargets(initial: TargetDto[] = [], kubeconfigs: FakeTargets["kubeconfigs"] = {}): FakeTargets {
  const contextsOf = (kubeconfig: string | null) => {
    if (kubeconfig !== null && !kubeconfig.startsWith("/")) {
      throw errorDto("invalid_input", `\`${kubeconfig}\` is not an absolute path`);
    }
    const contexts = fake.kubeconfigs[kubeconfig ?? ""];
    if (!contexts) {
      throw errorDto(
        "invalid_input",
        kubeconfig === null
          ? "cannot read the kubeconfig (KUBECONFIG or ~/.kube/config): failed to read kubeconfig: No such file or directory (os error 2)"
          : `cannot read the kubeconfig ${kubeconfig}: No such file or directory (os error 2)`,
      );
    }
    return contexts;
  };
  const fake: FakeTargets = {
    targets: [...initial],
    kubeconfigs,
    checks: {},
    handlers: {
      list_targets: () => fake.targets.map((t) => ({ ...t })),
      kube_contexts: ({ kubeconfig }) =>
        contextsOf(kubeconfig).map((c) => ({
          ...c,
          target: fake.targets.find((t) => t.context === c.name && t.kubeconfig === kubeconfig)?.name ?? null,
        })),
      add_target: ({ name, context, kubeconfig, namespace, environment }) => {
        if (!/^[A-Za-z0-9._-]{1,63}$/.test(name)) {
          throw errorDto(
            "invalid_input",
            `\`${name}\` is not a target name: use letters, digits, \`-\`, \`_\` and \`.\` (at most 63), as it is written in \`runner: kubernetes:<name>\``,
          );
        }
        if (fake.targets.some((t) => t.name === name)) {
          throw errorDto("invalid_input", `a target named \`${name}\` exists; \`switchyard targets rm ${name}\` first to replace it`);
        }
        if (namespace !== null && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(namespace)) {
          throw errorDto("invalid_input", `\`${namespace}\` is not a namespace name (lowercase letters, digits and \`-\`, at most 63)`);
        }
        const contexts = contextsOf(kubeconfig);
        if (!contexts.some((c) => c.name === context)) {
          throw errorDto("invalid_input", `the kubeconfig has no context \`${context}\`; its contexts: ${contexts.map((c) => c.name).join(", ")}`);
        }
        const added: TargetDto = { name, cloud: "kubeconfig", context, kubeconfig, namespace, environment };
        fake.targets.push(added);
        return { ...added };
      },
      remove_target: ({ name }) => {
        const before = fake.targets.length;
        fake.targets = fake.targets.filter((t) => t.name !== name);
        return fake.targets.length < before;
      },
      check_targets: ({ names }) => {
        for (const n of names) {
          if (!fake.targets.some((t) => t.name === n)) {
            throw errorDto("invalid_input", `no target named \`${n}\`; targets: ${fake.targets.map((t) => t.name).join(", ") || "none"}`);
          }
        }
        const chosen = names.length === 0 ? fake.targets : fake.targets.filter((t) => names.includes(t.name));
        return chosen.map((t) => fake.checks[t.name] ?? targetCheck({ name: t.name }));
      },
    },
  };
  return fake;
}
