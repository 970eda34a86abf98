import { describe, expect, it } from "vitest";

import { filteredRows, findRange, foldedRows, mergeSections, neighbour, type LogRows } from "./logRows";

/** Every row's line, the slow way (small logs only). */
function linesOf(rows: LogRows): number[] {
  return Array.from({ length: rows.count }, (_, row) => rows.lineAt(row));
}

describe("foldedRows", () => {
  it("is lines 1..total when nothing is folded", () => {
    const rows = foldedRows(5, []);
    expect(rows.count).toBe(5);
    expect(rows.contiguous).toBe(true);
    expect(linesOf(rows)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.rowOf(4)).toBe(3);
    expect(rows.has(5)).toBe(true);
    expect(rows.has(6)).toBe(false);
  });

  it("leaves folded lines out and maps rows and lines both ways", () => {
    // Sections 1-3 and 4-8 folded to their first lines; 9-10 open.
    const rows = foldedRows(10, [
      { first: 5, last: 8 },
      { first: 2, last: 3 },
    ]);
    expect(rows.count).toBe(4);
    expect(rows.contiguous).toBe(false);
    expect(linesOf(rows)).toEqual([1, 4, 9, 10]);
    expect([1, 4, 9, 10].map((n) => rows.rowOf(n))).toEqual([0, 1, 2, 3]);
    // A folded line is found at its section's first line.
    expect(rows.rowOf(2)).toBe(0);
    expect(rows.rowOf(7)).toBe(1);
    expect(rows.has(7)).toBe(false);
    expect(rows.has(4)).toBe(true);
  });

  it("unfolding a range brings its lines back", () => {
    const folded = foldedRows(10, [
      { first: 2, last: 3 },
      { first: 5, last: 8 },
    ]);
    const unfolded = foldedRows(10, [{ first: 2, last: 3 }]);
    expect(folded.count).toBe(4);
    expect(linesOf(unfolded)).toEqual([1, 4, 5, 6, 7, 8, 9, 10]);
    expect(unfolded.rowOf(7)).toBe(4);
    expect(unfolded.has(7)).toBe(true);
  });

  it("handles ranges at the very start and end of the log", () => {
    const rows = foldedRows(10, [
      { first: 1, last: 3 },
      { first: 8, last: 10 },
    ]);
    expect(linesOf(rows)).toEqual([4, 5, 6, 7]);
    expect(rows.rowOf(2)).toBe(0);
    expect(rows.rowOf(9)).toBe(3);
    expect(rows.rowOf(10)).toBe(3);
  });

  it("merges touching and overlapping ranges and clips them to the log", () => {
    const rows = foldedRows(10, [
      { first: 2, last: 4 },
      { first: 5, last: 6 },
      { first: 6, last: 7 },
      { first: 9, last: 40 },
    ]);
    expect(linesOf(rows)).toEqual([1, 8]);
    expect(rows.count).toBe(2);
  });

  it("shows lines beyond the last known section, as a live log grows", () => {
    // Sections were read when the log had 6 lines; it has 9 now.
    const rows = foldedRows(9, [{ first: 3, last: 6 }]);
    expect(linesOf(rows)).toEqual([1, 2, 7, 8, 9]);
    expect(rows.rowOf(9)).toBe(4);
    expect(rows.has(8)).toBe(true);
  });

  it("answers for a million lines without building them", () => {
    const hidden = Array.from({ length: 1000 }, (_, i) => ({ first: i * 1000 + 2, last: i * 1000 + 900 }));
    const rows = foldedRows(1_000_000, hidden);
    expect(rows.count).toBe(1_000_000 - 1000 * 899);
    // Each thousand shows its first line and 901..1000.
    expect(rows.lineAt(0)).toBe(1);
    expect(rows.lineAt(1)).toBe(901);
    expect(rows.lineAt(101)).toBe(1001);
    expect(rows.lineAt(rows.count - 1)).toBe(1_000_000);
    expect(rows.rowOf(500_950)).toBe(500 * 101 + 50);
    expect(rows.lineAt(rows.rowOf(500_950))).toBe(500_950);
    expect(rows.rowOf(500_500)).toBe(500 * 101);
  });

  it("is empty for an empty log", () => {
    const rows = foldedRows(0, [{ first: 2, last: 5 }]);
    expect(rows.count).toBe(0);
    expect(rows.rowOf(1)).toBe(0);
  });
});

describe("filteredRows", () => {
  it("shows only the given lines, each with its real number", () => {
    const rows = filteredRows([3, 50, 700, 20_000]);
    expect(rows.count).toBe(4);
    expect(rows.contiguous).toBe(false);
    expect(linesOf(rows)).toEqual([3, 50, 700, 20_000]);
    expect(rows.rowOf(700)).toBe(2);
    expect(rows.has(700)).toBe(true);
    expect(rows.has(701)).toBe(false);
    // A line that does not match is found at the next one that does (or the last).
    expect(rows.rowOf(51)).toBe(2);
    expect(rows.rowOf(1)).toBe(0);
    expect(rows.rowOf(30_000)).toBe(3);
  });

  it("is empty when nothing matches", () => {
    const rows = filteredRows([]);
    expect(rows.count).toBe(0);
    expect(rows.has(1)).toBe(false);
    expect(rows.rowOf(1)).toBe(0);
  });
});

describe("neighbour", () => {
  const lines = [5, 500, 5000];

  it("finds the next line after a line, and the previous one before it", () => {
    expect(neighbour(lines, 0, false)).toBe(5);
    expect(neighbour(lines, 5, false)).toBe(500);
    expect(neighbour(lines, 499, false)).toBe(500);
    expect(neighbour(lines, 5000, false)).toBeNull();
    expect(neighbour(lines, 5001, true)).toBe(5000);
    expect(neighbour(lines, 500, true)).toBe(5);
    expect(neighbour(lines, 5, true)).toBeNull();
    expect(neighbour([], 1, false)).toBeNull();
  });
});

describe("findRange", () => {
  it("finds the range holding a line, if any", () => {
    const ranges = [
      { first: 1, last: 2, step: null },
      { first: 3, last: 10, step: 0 },
      { first: 20, last: 30, step: 1 },
    ];
    expect(findRange(ranges, 1)?.first).toBe(1);
    expect(findRange(ranges, 10)?.step).toBe(0);
    expect(findRange(ranges, 15)).toBeUndefined();
    expect(findRange(ranges, 31)).toBeUndefined();
    expect(findRange(ranges, 0)).toBeUndefined();
  });
});

describe("mergeSections", () => {
  const sec = (first: number, last: number, step: number | null, attempt = 1) => ({ attempt, step, first, last });

  it("continues the last section known with an answer from its last line, and adds the new ones", () => {
    const known = [sec(1, 2, null), sec(3, 100, 0)];
    expect(mergeSections(known, 100, [sec(100, 250, 0), sec(251, 400, 1)])).toEqual([
      sec(1, 2, null),
      sec(3, 250, 0),
      sec(251, 400, 1),
    ]);
    // Nothing new: as it was.
    expect(mergeSections(known, 100, [sec(100, 100, 0)])).toEqual(known);
  });

  it("takes the answer as it is when it does not continue what was known (a log replaced)", () => {
    const known = [sec(1, 2, null), sec(3, 100, 0)];
    expect(mergeSections(known, 100, [sec(100, 120, 1, 2)])).toEqual([sec(1, 2, null), sec(100, 120, 1, 2)]);
    expect(mergeSections([], 1, [sec(1, 5, 0)])).toEqual([sec(1, 5, 0)]);
  });
});
