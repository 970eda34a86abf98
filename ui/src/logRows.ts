// Which log line each row of the virtualized log viewer shows, when rows are
// not simply lines 1..total: steps folded away, or only the lines matching a
// filter. Built from the few hidden ranges (or the filter's line numbers) and
// answered by binary search, so a log of a million lines never gets an array
// of a million rows.

/** Lines `first..last` (1-based, inclusive). */
export interface LineRange {
  first: number;
  last: number;
}

export interface LogRows {
  /** Rows in the list. */
  readonly count: number;
  /** Row i shows line i + 1 (nothing folded, no filter): the log can be read in plain windows. */
  readonly contiguous: boolean;
  /** The line shown at `row` (0-based, below `count`). */
  lineAt(row: number): number;
  /**
   * The row of line `n`; for a line without one, the row shown in its place:
   * a folded line's section start (the line before its hidden range; the
   * first row for a range at the very start), a filtered-out line's next
   * matching line. Clamped to the rows there are.
   */
  rowOf(n: number): number;
  /** Line `n` has a row of its own. */
  has(n: number): boolean;
}

/** How many of `length` ascending values (`at(i)`) are at most `x`. */
function countAtMost(length: number, at: (i: number) => number, x: number): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (at(mid) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function clampRow(row: number, count: number): number {
  return Math.max(0, Math.min(row, count - 1));
}

/** The range holding line `n` among sorted, disjoint `ranges`. */
export function findRange<T extends LineRange>(ranges: readonly T[], n: number): T | undefined {
  const k = countAtMost(ranges.length, (i) => ranges[i].first, n);
  const r = k > 0 ? ranges[k - 1] : undefined;
  return r && n <= r.last ? r : undefined;
}

/**
 * The first of the ascending `lines` after line `from`, or with `backwards`
 * the last before it: a search's next or previous hit among a filter's lines.
 */
export function neighbour(lines: readonly number[], from: number, backwards: boolean): number | null {
  if (backwards) {
    const i = countAtMost(lines.length, (j) => lines[j], from - 1) - 1;
    return i >= 0 ? lines[i] : null;
  }
  const i = countAtMost(lines.length, (j) => lines[j], from);
  return i < lines.length ? lines[i] : null;
}

/** Lines 1..`total` with the `hidden` ranges left out (in any order; clipped to the log, overlaps merged). */
export function foldedRows(total: number, hidden: readonly LineRange[]): LogRows {
  const ranges: LineRange[] = [];
  for (const r of [...hidden].sort((a, b) => a.first - b.first)) {
    const first = Math.max(1, r.first);
    const last = Math.min(total, r.last);
    if (last < first) continue;
    const prev = ranges[ranges.length - 1];
    if (prev && first <= prev.last + 1) prev.last = Math.max(prev.last, last);
    else ranges.push({ first, last });
  }
  // before[i]: lines hidden before range i; start[i]: the row range i's first line would have had.
  const before = [0];
  const start: number[] = [];
  ranges.forEach((r, i) => {
    start.push(r.first - 1 - before[i]);
    before.push(before[i] + r.last - r.first + 1);
  });
  const count = Math.max(0, total) - before[ranges.length];
  const rangesUpTo = (n: number) => countAtMost(ranges.length, (i) => ranges[i].first, n);
  return {
    count,
    contiguous: ranges.length === 0,
    lineAt: (row) => row + 1 + before[countAtMost(start.length, (i) => start[i], row)],
    rowOf: (n) => {
      const k = rangesUpTo(n);
      const hiddenBy = k > 0 && n <= ranges[k - 1].last ? ranges[k - 1] : null;
      return clampRow(hiddenBy ? hiddenBy.first - 2 - before[k - 1] : n - 1 - before[k], count);
    },
    has: (n) => {
      const k = rangesUpTo(n);
      return n >= 1 && n <= total && !(k > 0 && n <= ranges[k - 1].last);
    },
  };
}

/** Only the (ascending) `lines`, each on its row. */
export function filteredRows(lines: readonly number[]): LogRows {
  const below = (n: number) => countAtMost(lines.length, (i) => lines[i], n - 1);
  return {
    count: lines.length,
    contiguous: false,
    lineAt: (row) => lines[row],
    rowOf: (n) => clampRow(below(n), lines.length),
    has: (n) => lines[below(n)] === n,
  };
}

/**
 * The sections known, brought up to date with an answer for the lines from
 * `from` on (the last line known, which the answer's first section holds):
 * that section continues the last one known, the rest are new. Anything
 * else (a log that was replaced) takes the answer as it is from there.
 */
export function mergeSections<T extends LineRange & { attempt: number; step: number | null }>(
  known: readonly T[],
  from: number,
  answer: readonly T[],
): T[] {
  const before = known.filter((s) => s.last < from);
  const cut = known.find((s) => s.first <= from && from <= s.last);
  const [head, ...rest] = answer;
  if (cut && head && head.first === from && head.attempt === cut.attempt && head.step === cut.step) {
    return [...before, { ...cut, last: head.last }, ...rest];
  }
  return [...before, ...answer];
}
