// How many jobs may run at once: a run's own `parallelism` (Run dialog) and
// the local runner's `concurrency` (Settings). Both are a whole number from 1
// to JOB_LIMIT_MAX, or empty: no limit of their own.

/** Largest limit the shell accepts (`start_run`'s `parallelism`, `update_settings`' `local_concurrency`). */
export const JOB_LIMIT_MAX = 1024;

export type ParsedJobLimit = { ok: true; value: number | null } | { ok: false; error: string };

/** Reads a limit typed in a field: empty is null (no limit of its own), else a whole number in 1..JOB_LIMIT_MAX. */
export function parseJobLimit(text: string): ParsedJobLimit {
  const t = text.trim();
  if (t === "") return { ok: true, value: null };
  if (!/^\d+$/.test(t)) return { ok: false, error: `Enter a whole number from 1 to ${JOB_LIMIT_MAX}, or leave it empty` };
  const n = Number(t);
  if (n < 1 || n > JOB_LIMIT_MAX) return { ok: false, error: `Enter a number from 1 to ${JOB_LIMIT_MAX}, or leave it empty` };
  return { ok: true, value: n };
}

/** A limit as the text of its field (null: empty). */
export function jobLimitText(value: number | null): string {
  return value === null ? "" : String(value);
}
