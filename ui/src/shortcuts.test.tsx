import { screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { mockBackend } from "./test/backend";
import { folder } from "./test/fixtures";
import { currentPath, renderApp } from "./test/render";

describe("Keyboard shortcuts", () => {
  it("goes to the views with g o / g p / g d / g a / g y / g t / g s", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("gp");
    expect(currentPath()).toBe("/projects");
    await user.keyboard("gd");
    expect(currentPath()).toBe("/deployments");
    await user.keyboard("ga");
    expect(currentPath()).toBe("/alerts");
    await user.keyboard("gy");
    expect(currentPath()).toBe("/analytics");
    await user.keyboard("gt");
    expect(currentPath()).toBe("/targets");
    await user.keyboard("gs");
    expect(currentPath()).toBe("/settings");
    await user.keyboard("go");
    expect(currentPath()).toBe("/");
  });

  it("shows the shortcuts with ?", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await user.keyboard("?");
    const help = await screen.findByTestId("shortcuts-dialog");
    expect(help).toHaveTextContent("Go to Projects");
    expect(help).toHaveTextContent("Go to Deployments");
  });

  it("leaves keys typed into a text field alone", async () => {
    mockBackend();
    const { user } = renderApp("/projects");
    await user.click(await screen.findByTestId("import-button"));
    await user.type(screen.getByTestId("import-path-input"), "gs");
    expect(screen.getByTestId("import-path-input")).toHaveValue("gs");
    expect(currentPath()).toBe("/projects");
  });

  it("has navigation links to every view", async () => {
    mockBackend();
    const { user } = renderApp("/");
    await user.click(await screen.findByTestId("nav-projects"));
    expect(currentPath()).toBe("/projects");
    await user.click(screen.getByTestId("nav-settings"));
    expect(currentPath()).toBe("/settings");
    await user.click(screen.getByTestId("nav-overview"));
    await waitFor(() => expect(currentPath()).toBe("/"));
  });

  it("keeps g o working after a radio button or a switch was clicked", async () => {
    mockBackend();
    const { user } = renderApp("/settings");
    // The theme already chosen: clicking it changes nothing but focuses the radio.
    const radio = await screen.findByTestId("settings-theme-system");
    await user.click(radio);
    expect(radio).toHaveFocus();
    await user.keyboard("go");
    await waitFor(() => expect(currentPath()).toBe("/"));

    await user.keyboard("gs");
    await waitFor(() => expect(currentPath()).toBe("/settings"));
    // A switch turned off and on again: focused, nothing left unsaved.
    const toggle = await screen.findByTestId("settings-close-to-tray");
    await user.click(toggle);
    await user.click(toggle);
    expect(toggle).toHaveFocus();
    await user.keyboard("go");
    await waitFor(() => expect(currentPath()).toBe("/"));
  });

  it("still leaves keys alone in a text area", async () => {
    mockBackend({
      inspect_folder: ({ path }) => folder({ path, pipeline: { state: "missing", plan: [], diagnostics: [] } }),
    });
    const { user } = renderApp("/projects");
    await user.click(await screen.findByTestId("import-button"));
    await user.type(screen.getByTestId("import-path-input"), "/src/tool{Enter}");
    const editor = await screen.findByTestId("import-starter-yaml");
    await user.clear(editor);
    await user.type(editor, "go");
    expect(editor).toHaveValue("go");
    expect(currentPath()).toBe("/projects");
  });
});
