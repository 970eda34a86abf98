// Why a queued job waits, as the engine says it (JobView.reason of a
// `queued` job), and the short form the job graph shows.

import type { JobStatus } from "./bindings/JobStatus";

export interface QueueNote {
  /** Short: "waiting for a slot", "waiting (run limit)", "waiting". */
  label: string;
  /** The engine's full reason, e.g. "waiting for a free local slot: 2 of 2 busy (runners.local.concurrency in config.toml)". */
  reason: string;
}

/** Why a job waits to start: only for a `queued` job the engine gave a reason for. */
export function queueNote(status: JobStatus, reason: string | null): QueueNote | null {
  if (status !== "queued" || !reason || reason.trim() === "") return null;
  // "waiting: this run runs at most 1 job at once (its parallelism); 1 running"
  if (/parallelism|at once/i.test(reason)) return { label: "waiting (run limit)", reason };
  // "waiting for a free local slot: 2 of 2 busy (runners.local.concurrency in config.toml)"
  if (/slot/i.test(reason)) return { label: "waiting for a slot", reason };
  return { label: "waiting", reason };
}
