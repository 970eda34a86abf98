import { describe, expect, it } from "vitest";

import { formatClock, formatDateTime, formatDuration } from "./format";

describe("formatDateTime (the one format for absolute times)", () => {
  it("writes a local time as YYYY-MM-DD HH:MM:SS, zero-padded, 24-hour, without milliseconds", () => {
    expect(formatDateTime(new Date(2025, 0, 5, 9, 3, 7, 450).getTime())).toBe("2025-01-05 09:03:07");
    expect(formatDateTime(new Date(2024, 11, 31, 23, 59, 59, 999).getTime())).toBe("2024-12-31 23:59:59");
    expect(formatDateTime(new Date(2025, 5, 15, 0, 0, 0).getTime())).toBe("2025-06-15 00:00:00");
  });

  it("shows a dash for a time it cannot read", () => {
    expect(formatDateTime(Number.NaN)).toBe("—");
  });
});

describe("formatDuration", () => {
  it("writes durations as 850 ms, 4.2 s, 42 s, 1m 05s, 2h 03m", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(4200)).toBe("4.2 s");
    expect(formatDuration(42_000)).toBe("42 s");
    expect(formatDuration(65_000)).toBe("1m 05s");
    expect(formatDuration(2 * 3_600_000 + 3 * 60_000)).toBe("2h 03m");
    expect(formatDuration(null)).toBe("—");
  });
});

describe("formatClock", () => {
  it("writes a time of day as HH:MM, with the date when it is not today", () => {
    const now = new Date(2025, 0, 15, 12, 0, 0).getTime();
    expect(formatClock(new Date(2025, 0, 15, 13, 5, 59).getTime(), now)).toBe("13:05");
    expect(formatClock(new Date(2025, 0, 15, 9, 0).getTime())).toBe("09:00");
    expect(formatClock(new Date(2025, 0, 16, 12, 0).getTime(), now)).toBe("2025-01-16 12:00");
    expect(formatClock(Number.NaN)).toBe("—");
  });
});
