import { describe, expect, it } from "vitest";

import type { LogPage } from "./bindings/LogPage";
import { LogStore } from "./logStore";
import { logLine } from "./test/fixtures";

function store(total: number, pageSize = 100, maxPages = 4) {
  const requests: [number, number][] = [];
  const s = new LogStore(
    async (from, count): Promise<LogPage> => {
      requests.push([from, count]);
      const lines = [];
      for (let n = from; n < from + count && n <= total; n++) lines.push(logLine(n));
      return { lines, total };
    },
    pageSize,
    maxPages,
  );
  return { s, requests };
}

const settle = () => new Promise((r) => setTimeout(r, 0));

describe("LogStore", () => {
  it("fetches the pages in view once and keeps at most maxPages of them", async () => {
    const { s, requests } = store(1_000_000);
    s.ensure(1, 1);
    await settle();
    expect(s.total).toBe(1_000_000);
    expect(s.line(1)?.text).toBe("line 1");
    for (let p = 0; p < 20; p++) {
      s.ensure(p * 50_000 + 1, p * 50_000 + 150);
      await settle();
      expect(s.cachedPages).toBeLessThanOrEqual(4);
    }
    expect(s.line(950_001)?.text).toBe("line 950001");
    expect(s.line(1)).toBeUndefined();
    const before = requests.length;
    s.ensure(950_001, 950_150);
    await settle();
    expect(requests.length).toBe(before);
    expect(requests.every(([, count]) => count === 100)).toBe(true);
  });

  it("takes live lines and refetches only what is missing", async () => {
    const { s, requests } = store(10);
    s.ensure(1, 1);
    await settle();
    s.append([logLine(11), logLine(12), logLine(15)]);
    expect(s.total).toBe(15);
    expect(s.line(12)?.text).toBe("line 12");
    const before = requests.length;
    s.ensure(1, 12);
    await settle();
    expect(requests.length).toBe(before);
    s.ensure(1, 15);
    await settle();
    expect(requests.length).toBe(before + 1);
  });

  it("takes the length of a flood from `total` and reads the skipped lines when they come into view", async () => {
    const { s, requests } = store(10);
    s.ensure(1, 10);
    await settle();
    // A flood: lines 11..500 were written, only the last two are sent.
    s.append([logLine(499), logLine(500)], 500);
    expect(s.total).toBe(500);
    expect(s.line(250)).toBeUndefined();
    const before = requests.length;
    s.ensure(150, 250);
    await settle();
    expect(requests.length).toBe(before + 2);
    s.append([], 600);
    expect(s.total).toBe(600);
  });

  it("reads scattered lines in short runs, not a page for each", async () => {
    const { s, requests } = store(1_000_000);
    s.ensureLines([5, 20, 40, 300, 900_000, 900_001]);
    s.ensureLines([5, 20]);
    await settle();
    // 5..40 are close enough for one request; 300 and 900,000 are not.
    expect(requests).toEqual([
      [5, 36],
      [300, 1],
      [900_000, 2],
    ]);
    expect(s.line(20)?.text).toBe("line 20");
    expect(s.line(900_001)?.text).toBe("line 900001");
    // Only the lines asked for are kept, and they are not read again.
    expect(s.line(21)).toBeUndefined();
    s.ensureLines([5, 20, 900_001]);
    await settle();
    expect(requests).toHaveLength(3);
    expect(s.cachedPages).toBe(0);
  });

  it("keeps at most a page's worth of scattered lines, dropping the oldest", async () => {
    const { s } = store(1_000_000, 100);
    s.ensureLines(Array.from({ length: 150 }, (_, i) => i * 1000 + 1));
    await settle();
    expect(s.line(1)).toBeUndefined();
    expect(s.line(149_001)?.text).toBe("line 149001");
    s.ensureLines([1]);
    await settle();
    expect(s.line(1)?.text).toBe("line 1");
  });

  it("keeps the scattered lines still in view when more arrive (they count as recently used)", async () => {
    const { s } = store(1_000_000, 100);
    const first = Array.from({ length: 100 }, (_, i) => i * 1000 + 1);
    s.ensureLines(first);
    await settle();
    // Line 1 is still on screen (asked for again) when 50 other lines come.
    s.ensureLines([1]);
    s.ensureLines(Array.from({ length: 50 }, (_, i) => 500_000 + i * 1000 + 1));
    await settle();
    expect(s.line(1)?.text).toBe("line 1");
    expect(s.line(1001)).toBeUndefined();
  });

  it("keeps the error of a failed read", async () => {
    const s = new LogStore(async () => {
      throw { code: "not_found", message: "no job 9", diagnostics: [] };
    });
    s.ensure(1, 1);
    await settle();
    expect(s.error).toEqual({ code: "not_found", message: "no job 9", diagnostics: [] });
    expect(s.loaded).toBe(true);
  });
});
