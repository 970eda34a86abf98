import { screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { mockBackend } from "../test/backend";
import { detail, run } from "../test/fixtures";
import { renderApp } from "../test/render";

const handlers = {
  get_run: ({ id }: { id: number }) => run({ id }),
  read_log: () => ({ lines: [], total: 0 }),
  project_detail: () => detail(),
  list_runs: () => ({ runs: [], next_before: null }),
};

/** The navigation entries shown as the current page. */
function highlighted(): string[] {
  return [
    "nav-overview",
    "nav-projects",
    "nav-deployments",
    "nav-metrics",
    "nav-alerts",
    "nav-analytics",
    "nav-targets",
    "nav-secrets",
    "nav-settings",
  ].filter((id) => {
    const link = screen.getByTestId(id);
    return link.classList.contains("Mui-selected") || link.getAttribute("aria-current") === "page";
  });
}

describe("Layout navigation", () => {
  it("highlights Projects, not Overview, on a run page (a run belongs to its project)", async () => {
    mockBackend(handlers);
    renderApp("/runs/12");
    await screen.findByTestId("run-status");
    expect(highlighted()).toEqual(["nav-projects"]);
    expect(screen.getByTestId("nav-projects")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-projects")).toHaveClass("Mui-selected");
  });

  it("highlights the entry of the page shown", async () => {
    mockBackend(handlers);
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    expect(highlighted()).toEqual(["nav-overview"]);
    await user.click(screen.getByTestId("nav-projects"));
    expect(highlighted()).toEqual(["nav-projects"]);
    await user.click(screen.getByTestId("nav-deployments"));
    await screen.findByTestId("deployments-empty");
    expect(highlighted()).toEqual(["nav-deployments"]);
    await user.click(screen.getByTestId("nav-metrics"));
    await screen.findByTestId("metrics-empty");
    expect(highlighted()).toEqual(["nav-metrics"]);
    await user.click(screen.getByTestId("nav-alerts"));
    await screen.findByTestId("alerts-empty");
    expect(highlighted()).toEqual(["nav-alerts"]);
    await user.click(screen.getByTestId("nav-analytics"));
    await screen.findByTestId("analytics-empty");
    expect(highlighted()).toEqual(["nav-analytics"]);
    await user.click(screen.getByTestId("nav-targets"));
    await screen.findByTestId("targets-empty");
    expect(highlighted()).toEqual(["nav-targets"]);
    await user.click(screen.getByTestId("nav-secrets"));
    await screen.findByTestId("secrets-empty");
    expect(highlighted()).toEqual(["nav-secrets"]);
    await user.click(screen.getByTestId("nav-settings"));
    await screen.findByTestId("settings-data-dir");
    expect(highlighted()).toEqual(["nav-settings"]);
  });
});
