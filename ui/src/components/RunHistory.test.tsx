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

  it("shows what started each run and the jobs chosen for it", async () => {
    mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({
        runs: [
          summary({ id: 9, trigger: "link" }),
          summary({ id: 8, trigger: "cli", chosen_jobs: ["test", "lint"] }),
          summary({ id: 7, trigger: "app", in_place: true, rerun_of: 5 }),
          summary({ id: 6, trigger: null }),
        ],
        next_before: null,
      }),
    });
    renderApp("/projects/shop");
    await screen.findAllByTestId("history-row");
    const row = (id: number) =>
      screen.getAllByTestId("history-row").find((r) => r.getAttribute("data-run-id") === String(id)) as HTMLElement;
    const trigger = (id: number) => within(row(id)).getByTestId("run-row-trigger");
    expect(trigger(9)).toHaveAttribute("data-trigger", "link");
    expect(trigger(9)).toHaveTextContent(/^Link$/);
    expect(trigger(8)).toHaveAttribute("data-trigger", "cli");
    expect(trigger(8)).toHaveTextContent(/^CLI$/);
    expect(trigger(7)).toHaveAttribute("data-trigger", "app");
    expect(trigger(7)).toHaveTextContent(/^App$/);
    // A run recorded before the trigger was kept.
    expect(trigger(6)).toHaveAttribute("data-trigger", "");
    expect(trigger(6)).toHaveTextContent(/^—$/);
    // Only a run of some jobs names them.
    expect(within(row(8)).getByTestId("run-row-chosen")).toHaveTextContent("test, lint");
    expect(within(row(8)).getByTestId("run-row-chosen")).toHaveAttribute("title", "Jobs chosen: test, lint");
    for (const id of [9, 7, 6]) expect(within(row(id)).queryByTestId("run-row-chosen")).not.toBeInTheDocument();
    // In its own last column: the started time and the duration keep their places.
    expect(within(row(8)).getAllByRole("cell")[6]).toContainElement(trigger(8));
  });
});
