import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { mockBackend } from "../test/backend";
import { detail, project, run } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";
import { matchScore } from "./CommandPalette";

const projects = [project(), project({ name: "api-gateway", path: "/home/dev/src/api-gateway", last_run: null })];

function backend() {
  return mockBackend({
    list_projects: () => projects,
    project_detail: ({ name }) => detail({ project: project({ name }) }),
    list_runs: () => ({ runs: [], next_before: null }),
    get_run: ({ id }) => run({ id, jobs: [] }),
  });
}

const ids = () => screen.getAllByTestId("command-palette-item").map((i) => i.getAttribute("data-id"));
const selected = () => screen.getAllByTestId("command-palette-item").find((i) => i.getAttribute("aria-selected") === "true");

describe("Command palette", () => {
  it("opens with Ctrl+K, lists the views, the import and every project, and filters as typed", async () => {
    const calls = backend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument();
    expect(calls.argsOf("list_projects")).toEqual([]);

    await user.keyboard("{Control>}k{/Control}");
    const input = await screen.findByTestId("command-palette-input");
    expect(input).toHaveFocus();
    await waitFor(() => expect(ids()).toContain("edit-pipeline:api-gateway"));
    expect(ids()).toEqual([
      "go-overview",
      "go-projects",
      "go-deployments",
      "go-metrics",
      "go-alerts",
      "go-analytics",
      "go-targets",
      "go-secrets",
      "go-settings",
      "import",
      "open-project:shop",
      "run-project:shop",
      "edit-pipeline:shop",
      "open-project:api-gateway",
      "run-project:api-gateway",
      "edit-pipeline:api-gateway",
    ]);
    expect(screen.getAllByTestId("command-palette-item")[11]).toHaveTextContent("Run project shop…");
    expect(selected()).toHaveAttribute("data-id", "go-overview");

    // Words in any order and case, each a part of the label.
    await user.type(input, "API open");
    expect(ids()).toEqual(["open-project:api-gateway"]);
    await user.clear(input);
    await user.type(input, "SETT");
    expect(ids()).toEqual(["go-settings"]);
    await user.clear(input);
    await user.type(input, "nothing like it");
    expect(screen.queryByTestId("command-palette-item")).not.toBeInTheDocument();
    expect(screen.getByTestId("command-palette-empty")).toHaveTextContent("No command matches");

    await user.clear(input);
    await user.type(input, "proj");
    // "Go to Projects" first (a word starts with it), then the projects.
    expect(ids()[0]).toBe("go-projects");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/projects"));
    expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument();
  });

  it("moves the highlight with the arrow keys and runs it with Enter (Ctrl+Shift+P opens it too)", async () => {
    backend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("{Control>}{Shift>}P{/Shift}{/Control}");
    const input = await screen.findByTestId("command-palette-input");
    await user.type(input, "go to");
    expect(ids()).toEqual([
      "go-overview",
      "go-projects",
      "go-deployments",
      "go-metrics",
      "go-alerts",
      "go-analytics",
      "go-targets",
      "go-secrets",
      "go-settings",
    ]);
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}{ArrowDown}");
    expect(selected()).toHaveAttribute("data-id", "go-secrets");
    expect(input).toHaveAttribute("aria-activedescendant", selected()?.id);
    await user.keyboard("{ArrowUp}{ArrowUp}{ArrowUp}{ArrowUp}{ArrowUp}{ArrowUp}{ArrowUp}{ArrowUp}");
    // Wraps around.
    expect(selected()).toHaveAttribute("data-id", "go-settings");
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(selected()).toHaveAttribute("data-id", "go-projects");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/projects"));
  });

  it("opens a run by the number typed (with or without #)", async () => {
    backend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "42");
    expect(ids()[0]).toBe("open-run:42");
    expect(screen.getAllByTestId("command-palette-item")[0]).toHaveTextContent("Open run #42");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/runs/42"));

    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "#7");
    expect(ids()).toEqual(["open-run:7"]);
    await user.click(screen.getByTestId("command-palette-item"));
    await waitFor(() => expect(currentPath()).toBe("/runs/7"));
  });

  it("runs a project: its page opens with the Run dialog, once", async () => {
    backend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "run shop");
    expect(ids()).toEqual(["run-project:shop"]);
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/projects/shop"));
    const dialog = await screen.findByTestId("run-options");
    expect(within(dialog).getAllByTestId("run-option-job")).toHaveLength(2);
    await user.click(screen.getByRole("button", { name: "Cancel" }));
    await waitFor(() => expect(screen.queryByTestId("run-options")).not.toBeInTheDocument());
    // The request was used up: the page does not open the dialog again by itself.
    await screen.findByTestId("pipeline-graph");
    expect(screen.queryByTestId("run-options")).not.toBeInTheDocument();
  });

  it("opens a project's pipeline in the editor", async () => {
    const calls = backend();
    calls.handlers.pipeline_file = () => ({
      path: "/home/dev/src/api-gateway/switchyard.yaml",
      text: "jobs: {}\n",
      version: "v1",
      pipeline: { state: "valid", diagnostics: [], plan: [] },
    });
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "edit api");
    expect(ids()).toEqual(["edit-pipeline:api-gateway"]);
    expect(screen.getByTestId("command-palette-item")).toHaveTextContent("Edit pipeline of api-gateway");
    await user.keyboard("{Enter}");
    await waitFor(() => expect(currentPath()).toBe("/projects/api-gateway/pipeline"));
    expect(await screen.findByTestId("pipeline-editor-text")).toHaveValue("jobs: {}\n");
    expect(calls.argsOf("pipeline_file")).toEqual([{ project: "api-gateway" }]);
  });

  it("opens the import dialog", async () => {
    backend();
    const { user } = renderApp("/projects");
    await screen.findByTestId("import-button");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "import");
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("import-path-input")).toBeInTheDocument();
    expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument();
  });

  it("closes with Esc (and Ctrl+K again) without doing anything", async () => {
    backend();
    const { user } = renderApp("/projects/shop");
    await screen.findByTestId("pipeline-graph");
    await user.keyboard("{Control>}k{/Control}");
    await user.type(await screen.findByTestId("command-palette-input"), "sett");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument());
    expect(currentPath()).toBe("/projects/shop");

    await user.keyboard("{Control>}k{/Control}");
    expect(await screen.findByTestId("command-palette")).toBeInTheDocument();
    // A new palette starts empty.
    expect(screen.getByTestId("command-palette-input")).toHaveValue("");
    await user.keyboard("{Control>}k{/Control}");
    await waitFor(() => expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument());
    expect(currentPath()).toBe("/projects/shop");
  });

  it("keeps the keys typed into it from other shortcuts", async () => {
    backend();
    const { user } = renderApp("/projects/shop");
    await screen.findByTestId("pipeline-graph");
    await user.keyboard("{Control>}k{/Control}");
    const input = await screen.findByTestId("command-palette-input");
    // `r` would open the Run dialog, `g s` go to Settings, `?` show the help.
    await user.type(input, "r gs?");
    expect(input).toHaveValue("r gs?");
    expect(currentPath()).toBe("/projects/shop");
    expect(screen.queryByTestId("run-options")).not.toBeInTheDocument();
    expect(screen.queryByTestId("shortcuts-dialog")).not.toBeInTheDocument();
  });

  it("does not open over another dialog, and is listed in the shortcuts help", async () => {
    backend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("?");
    const help = await screen.findByTestId("shortcuts-dialog");
    expect(help).toHaveTextContent("Ctrl+K");
    expect(help).toHaveTextContent("Open the command palette (also Ctrl+Shift+P)");
    await user.keyboard("{Control>}k{/Control}");
    expect(screen.queryByTestId("command-palette")).not.toBeInTheDocument();
  });

  it("scores a word found at the start of a word above one found inside", () => {
    expect(matchScore({ label: "Go to Settings" }, "set")).toBe(2);
    expect(matchScore({ label: "Open project asset" }, "set")).toBe(1);
    expect(matchScore({ label: "Go to Settings" }, "go xyz")).toBeNull();
    expect(matchScore({ label: "Go to Settings" }, "")).toBe(0);
  });
});
