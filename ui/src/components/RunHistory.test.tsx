import { screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { mockBackend } from "../test/backend";
import { detail, iso, summary } from "../test/fixtures";
import { renderApp } from "../test/render";

describe("Run history", () => {
  it("shows when each run started as YYYY-MM-DD HH:MM:SS and how long it took, like the run page", async () => {
    const started = new Date(2025, 0, 15, 9, 3, 7).getTime();
    mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({
        runs: [summary({ id: 7, created_at: iso(started - 1000), started_at: iso(started), duration_ms: 65_000 })],
        next_before: null,
      }),
    });
    renderApp("/projects/shop");
    const row = await screen.findByTestId("history-row");
    const cells = within(row).getAllByRole("cell");
    expect(cells[4]).toHaveTextContent(/^2025-01-15 09:03:07$/);
    expect(cells[5]).toHaveTextContent(/^1m 05s$/);
  });
});
