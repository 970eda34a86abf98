// Display formats for times, durations and sizes. Absolute times use
// formatDateTime ("2025-01-15 14:03:07", local), durations formatDuration
// ("1m 05s"), everywhere.

/** "850 ms", "4.2 s", "1m 05s", "2h 03m". */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  if (seconds < 60) return `${Math.floor(seconds)} s`;
  const totalSeconds = Math.floor(seconds);
  const m = Math.floor(totalSeconds / 60);
  const s = totalSeconds % 60;
  if (m < 60) return `${m}m ${String(s).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  return `${h}h ${String(m % 60).padStart(2, "0")}m`;
}

/** An RFC 3339 time from the shell as Unix ms; null when absent or unreadable. */
export function toMs(t: string | null | undefined): number | null {
  if (t === null || t === undefined) return null;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? null : ms;
}

/** Duration of something that may still be going. */
export function elapsed(start: number | null, end: number | null, now: number): number | null {
  if (start === null) return null;
  return Math.max(0, (end ?? now) - start);
}

/** Anything with a start, an end and a stored duration (a run, job or step). */
export interface Timed {
  started_at: string | null;
  finished_at: string | null;
  duration_ms: number | null;
}

/** When a run started, or when it was created if it has not started yet (Unix ms). */
export function runTime(run: { started_at: string | null; created_at: string }): number | null {
  return toMs(run.started_at ?? run.created_at);
}

/** The stored duration once it ended, else the time since it started (live); null before it starts. */
export function durationOf(item: Timed, now: number): number | null {
  return item.duration_ms ?? elapsed(toMs(item.started_at), toMs(item.finished_at), now);
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });

/** "just now", "5 minutes ago", "yesterday". */
export function formatRelative(time: number, now: number): string {
  const diff = time - now;
  const abs = Math.abs(diff);
  if (abs < 45_000) return "just now";
  if (abs < 3_570_000) return relative.format(Math.round(diff / 60_000), "minute");
  if (abs < 84_600_000) return relative.format(Math.round(diff / 3_600_000), "hour");
  if (abs < 30 * 86_400_000) return relative.format(Math.round(diff / 86_400_000), "day");
  return new Date(time).toLocaleDateString();
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

/**
 * "2025-01-15 14:03:07": a point in time in local time, the same everywhere
 * (run header, run history, log timestamps, gates, settings). Not locale
 * dependent, so times read and sort the same in every view.
 */
export function formatDateTime(time: number): string {
  if (!Number.isFinite(time)) return "—";
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "—";
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/**
 * "14:03": a time of day (local, 24-hour), for what ends soon (a silence);
 * "2025-01-16 14:03" when that is not on the same day as `now`.
 */
export function formatClock(time: number, now: number = time): string {
  if (!Number.isFinite(time)) return "—";
  const d = new Date(time);
  if (Number.isNaN(d.getTime())) return "—";
  const clock = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? clock : `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${clock}`;
}

/** "512 B", "1.5 KiB", "12.0 MiB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "—";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** The first 8 characters of a commit id. */
export function shortCommit(commit: string | null | undefined): string {
  return commit ? commit.slice(0, 8) : "";
}

/** "1,234,567". */
export function formatCount(n: number): string {
  return n.toLocaleString();
}

/** "1 job", "1,204 jobs". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${n === 1 ? one : many}`;
}
