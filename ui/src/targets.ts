// Cluster targets as the UI shows them: the name proposed for a kubeconfig
// context, a check's state, and a check's verbs grouped by resource. Whether
// a name is valid is the shell's call (`add_target` says why not); the name
// proposed here only aims to pass it.

import type { TargetCheckDto } from "./bindings/TargetCheckDto";

/** The longest target name the shell accepts (`valid_target_name`). */
export const TARGET_NAME_MAX = 63;

/** Environment labels offered when adding a target (any other text is fine too). */
export const ENVIRONMENT_SUGGESTIONS = ["staging", "production"] as const;

/**
 * A target name made from a kubeconfig context's name: lowercase, every run of
 * other characters than letters, digits, `-`, `_` and `.` turned into one `-`,
 * at most 63 characters, no separator at either end
 * (`arn:aws:eks:eu-west-1:1234:cluster/Prod` → `arn-aws-eks-eu-west-1-1234-cluster-prod`).
 * When `taken` has it already, `-2`, `-3`... is added. Empty when nothing is left.
 */
export function targetNameFor(context: string, taken: readonly string[] = []): string {
  const trim = (s: string) => s.replace(/^[-_.]+/, "").replace(/[-_.]+$/, "");
  const base = trim(
    context
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/-{2,}/g, "-"),
  );
  const fit = (s: string, room: number) => trim(s.slice(0, room));
  let name = fit(base, TARGET_NAME_MAX);
  if (name === "") return "";
  const used = new Set(taken);
  for (let n = 2; used.has(name); n++) {
    const suffix = `-${n}`;
    name = `${fit(base, TARGET_NAME_MAX - suffix.length)}${suffix}`;
  }
  return name;
}

/** A target's check as its badge shows it (`data-state`). */
export type CheckState = "ok" | "problems" | "unchecked" | "checking";

export function checkStateOf(check: TargetCheckDto | undefined, checking: boolean): CheckState {
  if (checking) return "checking";
  if (!check) return "unchecked";
  return check.ok ? "ok" : "problems";
}

/** "3 problems", "1 problem" (a failed check always counts at least one). */
export function problemsLabel(check: TargetCheckDto): string {
  const n = Math.max(check.problems.length, 1);
  return `${n} problem${n === 1 ? "" : "s"}`;
}

/** One verb of a check: `"create pods/exec"` → verb `create`, resource `pods/exec`. */
export interface CheckedVerb {
  key: string;
  verb: string;
  allowed: boolean;
}

/** A check's verbs by resource, in check order (`pods: create get list…`). */
export function verbsByResource(allowed: TargetCheckDto["allowed"]): { resource: string; verbs: CheckedVerb[] }[] {
  const groups: { resource: string; verbs: CheckedVerb[] }[] = [];
  for (const [key, ok] of allowed) {
    const space = key.indexOf(" ");
    const verb = space < 0 ? key : key.slice(0, space);
    const resource = space < 0 ? "" : key.slice(space + 1);
    let group = groups.find((g) => g.resource === resource);
    if (!group) {
      group = { resource, verbs: [] };
      groups.push(group);
    }
    group.verbs.push({ key, verb, allowed: ok });
  }
  return groups;
}
