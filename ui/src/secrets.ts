// Secrets as the UI shows them: the name rule of the shell (the same as
// `switchyard secrets set`), the order of the list, and which secret wins
// where. Never a value: the shell sends none.

import type { SecretView } from "./bindings/SecretView";

export type SecretScope = "global" | "project" | "environment";

/** The longest name the shell accepts. */
export const SECRET_NAME_MAX = 128;

/** The largest value the shell accepts, in bytes (UTF-8). */
export const SECRET_VALUE_MAX = 64 * 1024;

/** Prefix of the environment variables that provide secrets. */
export const SECRET_ENV_PREFIX = "SWITCHYARD_SECRET_";

/** A secret's scope (`SecretView.scope` is a plain string in the contract). */
export function scopeOf(secret: SecretView): SecretScope {
  return secret.scope === "project" || secret.scope === "environment" ? secret.scope : "global";
}

/** How many times its value was replaced (a JSON number from the shell; the binding says bigint). */
export function rotationsOf(secret: SecretView): number {
  return Number(secret.rotations);
}

/**
 * Why `name` is not a valid secret name, or null when it is: what an
 * environment variable may be called (ASCII letters, digits, `_`, not starting
 * with a digit), at most 128 characters.
 */
export function secretNameProblem(name: string): string | null {
  if (name === "") return "Enter a name, e.g. API_TOKEN.";
  const bad = [...name].find((c) => !/^[A-Za-z0-9_]$/.test(c));
  if (bad !== undefined) {
    const shown = bad === " " ? "A space" : `“${bad}”`;
    return `${shown} is not allowed: use letters (A–Z, a–z), digits and _ only.`;
  }
  if (/^[0-9]/.test(name)) return "A name cannot start with a digit.";
  if (name.length > SECRET_NAME_MAX) return `At most ${SECRET_NAME_MAX} characters (this one has ${name.length}).`;
  return null;
}

/** Why `value` cannot be stored, or null when it can. */
export function secretValueProblem(value: string): string | null {
  if (value === "") return "Enter the value.";
  const bytes = new TextEncoder().encode(value).length;
  if (bytes > SECRET_VALUE_MAX) return `The value is ${bytes.toLocaleString()} bytes; at most 64 KiB are accepted.`;
  return null;
}

const SCOPE_RANK: Record<SecretScope, number> = { global: 0, project: 1, environment: 2 };

/** By name, then global, the projects' (by project), the environment's. */
export function sortSecrets(secrets: SecretView[]): SecretView[] {
  return [...secrets].sort(
    (a, b) =>
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) ||
      SCOPE_RANK[scopeOf(a)] - SCOPE_RANK[scopeOf(b)] ||
      (a.project ?? "").localeCompare(b.project ?? ""),
  );
}

export interface SecretNote {
  kind: "shadowed" | "environment";
  text: string;
}

/**
 * Why a stored secret is not always the value a run gets: a project secret of
 * the same name shadows a global one for that project, and a
 * `SWITCHYARD_SECRET_<NAME>` variable wins over both.
 */
export function secretNotes(secret: SecretView, all: SecretView[]): SecretNote[] {
  const scope = scopeOf(secret);
  if (scope === "environment") return [];
  const notes: SecretNote[] = [];
  if (scope === "global") {
    const projects = all
      .filter((s) => scopeOf(s) === "project" && s.name === secret.name && s.project !== null)
      .map((s) => s.project as string)
      .sort((a, b) => a.localeCompare(b));
    if (projects.length > 0) {
      notes.push({
        kind: "shadowed",
        text: `shadowed in ${projects.length === 1 ? "project" : "projects"} ${projects.join(", ")}`,
      });
    }
  }
  if (all.some((s) => scopeOf(s) === "environment" && s.name === secret.name)) {
    notes.push({ kind: "environment", text: "the environment variable wins" });
  }
  return notes;
}

/** "global secret API_TOKEN", "secret API_TOKEN of project shop". */
export function describeSecret(name: string, project: string | null): string {
  return project === null ? `global secret ${name}` : `secret ${name} of project ${project}`;
}
