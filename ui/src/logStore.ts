// A bounded, paged cache of one job's log for the virtualized viewer: pages of
// `pageSize` lines are fetched with `read_log` when they come into view, kept
// in least-recently-used order up to `maxPages`, and live lines from
// `switchyard://log/{job_id}` are added as they arrive. A folded or filtered
// view shows lines far apart: those are read in short runs of their own
// (`ensureLines`) and kept apart from the pages.

import { toErrorDto } from "./api";
import type { ErrorDto } from "./bindings/ErrorDto";
import type { LogLine } from "./bindings/LogLine";
import type { LogPage } from "./bindings/LogPage";

export const LOG_PAGE_SIZE = 1000;
export const LOG_MAX_PAGES = 24;
/** Scattered lines this close together are read in one request (the lines between are read and dropped). */
export const LOG_RUN_GAP = 50;

export type FetchLogPage = (from: number, count: number) => Promise<LogPage>;

export class LogStore {
  /** Lines in the log so far. */
  total = 0;
  /** The first answer arrived. */
  loaded = false;
  /** The last fetch failed with this. */
  error: ErrorDto | null = null;

  private readonly pages = new Map<number, (LogLine | undefined)[]>();
  private readonly inflight = new Set<number>();
  /** Lines read by `ensureLines`, oldest first; at most `pageSize` of them. */
  private readonly scattered = new Map<number, LogLine>();
  private readonly inflightLines = new Set<number>();
  private readonly listeners = new Set<() => void>();
  private version = 0;
  private readonly fetchPage: FetchLogPage;
  readonly pageSize: number;
  readonly maxPages: number;

  constructor(fetchPage: FetchLogPage, pageSize = LOG_PAGE_SIZE, maxPages = LOG_MAX_PAGES) {
    this.fetchPage = fetchPage;
    this.pageSize = pageSize;
    this.maxPages = maxPages;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  };

  getVersion = (): number => this.version;

  /** Pages held in memory now. */
  get cachedPages(): number {
    return this.pages.size;
  }

  /** Line `n` (1-based) when it is in memory. */
  line(n: number): LogLine | undefined {
    if (n < 1) return undefined;
    const p = this.pageOf(n);
    return this.pages.get(p)?.[n - 1 - p * this.pageSize] ?? this.scattered.get(n);
  }

  /** Fetches whatever is missing of lines `from..to` (1-based, inclusive). */
  ensure(from: number, to: number): void {
    const start = Math.max(1, from);
    const end = this.loaded ? Math.min(to, this.total) : Math.max(to, start);
    if (end < start) return;
    const first = this.pageOf(start);
    const last = this.pageOf(end);
    for (let p = first; p <= last; p++) {
      this.touch(p);
      if (this.inflight.has(p) || this.complete(p, start, end)) continue;
      this.load(p);
    }
    this.evict(first, last);
  }

  /**
   * Fetches whatever is missing of these lines (ascending, possibly far
   * apart: the rows of a folded or filtered view). Nearby lines share a
   * request; whole pages are not read for one line each.
   */
  ensureLines(numbers: readonly number[]): void {
    let run: number[] = [];
    for (const n of numbers) {
      // Lines in view are the most recently used: a later answer evicts others first.
      const held = this.scattered.get(n);
      if (held) {
        this.scattered.delete(n);
        this.scattered.set(n, held);
      }
      if (n < 1 || this.inflightLines.has(n) || this.line(n)) continue;
      if (run.length > 0 && (n - run[run.length - 1] > LOG_RUN_GAP || n - run[0] >= this.pageSize)) {
        this.loadLines(run);
        run = [];
      }
      run.push(n);
    }
    if (run.length > 0) this.loadLines(run);
  }

  /**
   * Adds live lines; `total` is the log's length now (in a flood only the last
   * lines come, the others are read when they come into view).
   */
  append(lines: LogLine[], total?: number): void {
    const longer = total !== undefined && Number.isInteger(total) && total > this.total;
    if (lines.length === 0 && !longer) return;
    for (const line of lines) this.put(line);
    if (longer) this.total = total;
    if (lines.length > 0) {
      const lastPage = this.pageOf(lines[lines.length - 1].number);
      this.evict(lastPage, lastPage);
    }
    this.changed();
  }

  private pageOf(n: number): number {
    return Math.floor((n - 1) / this.pageSize);
  }

  private put(line: LogLine): void {
    if (!Number.isInteger(line.number) || line.number < 1) return;
    const p = this.pageOf(line.number);
    let page = this.pages.get(p);
    if (!page) {
      page = [];
      this.pages.set(p, page);
    }
    page[line.number - 1 - p * this.pageSize] = line;
    if (line.number > this.total) this.total = line.number;
  }

  private complete(p: number, from: number, to: number): boolean {
    const page = this.pages.get(p);
    if (!page) return false;
    const base = p * this.pageSize;
    const a = Math.max(from, base + 1);
    const b = Math.min(to, base + this.pageSize, this.total);
    for (let n = a; n <= b; n++) if (!page[n - 1 - base]) return false;
    return true;
  }

  private touch(p: number): void {
    const page = this.pages.get(p);
    if (page) {
      this.pages.delete(p);
      this.pages.set(p, page);
    }
  }

  private evict(keepFrom: number, keepTo: number): void {
    if (this.pages.size <= this.maxPages) return;
    for (const p of [...this.pages.keys()]) {
      if (this.pages.size <= this.maxPages) break;
      if (p >= keepFrom && p <= keepTo) continue;
      this.pages.delete(p);
    }
  }

  private load(p: number): void {
    this.inflight.add(p);
    this.fetchPage(p * this.pageSize + 1, this.pageSize).then(
      (page) => {
        this.inflight.delete(p);
        this.error = null;
        this.loaded = true;
        if (page.total > this.total) this.total = page.total;
        for (const line of page.lines) this.put(line);
        this.touch(p);
        this.evict(p, p);
        this.changed();
      },
      (error: unknown) => {
        this.inflight.delete(p);
        this.error = toErrorDto(error);
        this.loaded = true;
        this.changed();
      },
    );
  }

  private loadLines(wanted: number[]): void {
    for (const n of wanted) this.inflightLines.add(n);
    const from = wanted[0];
    this.fetchPage(from, wanted[wanted.length - 1] - from + 1).then(
      (page) => {
        for (const n of wanted) this.inflightLines.delete(n);
        this.error = null;
        this.loaded = true;
        if (page.total > this.total) this.total = page.total;
        const keep = new Set(wanted);
        for (const line of page.lines) if (keep.has(line.number)) this.scattered.set(line.number, line);
        for (const n of this.scattered.keys()) {
          if (this.scattered.size <= this.pageSize) break;
          this.scattered.delete(n);
        }
        this.changed();
      },
      (error: unknown) => {
        for (const n of wanted) this.inflightLines.delete(n);
        this.error = toErrorDto(error);
        this.loaded = true;
        this.changed();
      },
    );
  }

  private changed(): void {
    this.version++;
    for (const l of [...this.listeners]) l();
  }
}
