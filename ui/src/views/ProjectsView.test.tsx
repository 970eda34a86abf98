import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ProjectView } from "../bindings/ProjectView";
import { emitEvent, mockBackend } from "../test/backend";
import { iso, project, summary } from "../test/fixtures";
import { renderApp } from "../test/render";

describe("Projects view", () => {
  it("lists each project with its last run", async () => {
    mockBackend({
      list_projects: () => [
        project({ last_run: summary({ id: 4, status: "failed", started_at: iso(Date.now() - 5 * 60_000) }) }),
        project({ name: "api", path: "/home/dev/src/api", remote: null, last_run: null }),
      ],
    });
    renderApp("/projects");
    const rows = await screen.findAllByTestId("project-row");
    expect(rows.map((r) => r.getAttribute("data-project"))).toEqual(["shop", "api"]);
    expect(within(rows[0]).getByTestId("project-last-status")).toHaveAttribute("data-status", "failed");
    expect(rows[0]).toHaveTextContent("#4 · main · 01234567 · 5 minutes ago");
    expect(rows[1]).toHaveTextContent("Never run");
  });

  it("reloads when a project is imported or changed elsewhere (the CLI)", async () => {
    let projects: ProjectView[] = [];
    const backend = mockBackend({ list_projects: () => projects });
    renderApp("/projects");
    expect(await screen.findByTestId("projects-empty")).toBeInTheDocument();
    const before = backend.argsOf("list_projects").length;

    projects = [project({ name: "cli-made", last_run: null })];
    await emitEvent("switchyard://projects", { name: "cli-made" });
    await waitFor(() => expect(screen.getAllByTestId("project-row").map((r) => r.getAttribute("data-project"))).toEqual(["cli-made"]));
    expect(backend.argsOf("list_projects").length).toBe(before + 1);
    expect(screen.queryByTestId("projects-empty")).not.toBeInTheDocument();
  });

  it("shows a project's new run from the runs event", async () => {
    mockBackend({ list_projects: () => [project({ last_run: summary({ id: 4 }) })] });
    renderApp("/projects");
    const row = await screen.findByTestId("project-row");
    await emitEvent("switchyard://runs", summary({ id: 5, status: "running", finished_at: null, duration_ms: null }));
    expect(within(row).getByTestId("project-last-status")).toHaveAttribute("data-status", "running");
    expect(row).toHaveTextContent("#5");
  });
});
