import { screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import { emitEvent, mockBackend } from "../test/backend";
import { detail, folder, run } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";
import { resetPendingDeepLinkForTests } from "./DeepLinks";

const projectAndRun = {
  get_run: ({ id }: { id: number }) => run({ id }),
  read_log: () => ({ lines: [], total: 0 }),
  project_detail: () => detail(),
  list_runs: () => ({ runs: [], next_before: null }),
};

describe("Deep links", () => {
  beforeEach(() => resetPendingDeepLinkForTests());

  it("opens the run the app was started with", async () => {
    const backend = mockBackend({ ...projectAndRun, pending_deep_link: () => ({ kind: "run", id: 77 }) });
    renderApp("/");
    await waitFor(() => expect(currentPath()).toBe("/runs/77"));
    expect(await screen.findByTestId("run-status")).toBeInTheDocument();
    expect(backend.argsOf("pending_deep_link")).toHaveLength(1);
  });

  it("opens a project from a link received while running", async () => {
    mockBackend(projectAndRun);
    renderApp("/");
    await screen.findByText("Overview");
    await emitEvent("switchyard://deep-link", { kind: "project", name: "shop" });
    expect(currentPath()).toBe("/projects/shop");
  });

  it("opens the import dialog for an import link and waits for the user to confirm", async () => {
    const backend = mockBackend({ ...projectAndRun, inspect_folder: ({ path }) => folder({ path }), import_project: () => detail().project });
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await emitEvent("switchyard://deep-link", { kind: "import", path: "/home/dev/src/shop" });
    expect(await screen.findByTestId("import-name")).toHaveTextContent("shop");
    expect(screen.getByTestId("import-path-input")).toHaveValue("/home/dev/src/shop");
    expect(backend.argsOf("import_project")).toEqual([]);
    await user.click(screen.getByTestId("import-confirm"));
    await waitFor(() => expect(backend.argsOf("import_project")).toEqual([{ path: "/home/dev/src/shop", pipeline_yaml: null }]));
  });

  it("shows why an invalid link was refused and does nothing else", async () => {
    const backend = mockBackend();
    renderApp("/settings");
    await screen.findByTestId("settings-data-dir");
    const before = backend.commands().length;
    await emitEvent("switchyard://deep-link", {
      kind: "invalid",
      url: "switchyard://runs/../../etc/passwd",
      reason: "a run id must be a number",
    });
    const message = await screen.findByTestId("deep-link-error");
    expect(message).toHaveTextContent("This link can't be opened");
    expect(message).toHaveTextContent("a run id must be a number");
    expect(message).toHaveTextContent("switchyard://runs/../../etc/passwd");
    expect(currentPath()).toBe("/settings");
    expect(backend.commands().slice(before)).toEqual([]);
    expect(screen.queryByTestId("import-dialog")).not.toBeInTheDocument();
  });

  it("shows a refused start-up link too", async () => {
    mockBackend({ pending_deep_link: () => ({ kind: "invalid", url: "switchyard://delete-everything", reason: "unknown link" }) });
    renderApp("/");
    expect(await screen.findByTestId("deep-link-error")).toHaveTextContent("unknown link");
    expect(currentPath()).toBe("/");
  });

  it("goes where the tray or a notification asks", async () => {
    mockBackend(projectAndRun);
    renderApp("/");
    await screen.findByText("Overview");
    await emitEvent("switchyard://navigate", { route: "/runs/12" });
    expect(currentPath()).toBe("/runs/12");
    await emitEvent("switchyard://navigate", { route: "https://example.invalid/" });
    expect(currentPath()).toBe("/runs/12");
  });

  it("clears a refused link's error when the next link opens an import, so the import does not look failed", async () => {
    mockBackend({ ...projectAndRun, inspect_folder: ({ path }) => folder({ path }) });
    renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await emitEvent("switchyard://deep-link", { kind: "invalid", url: "switchyard://nope", reason: "unknown link" });
    expect(await screen.findByTestId("deep-link-error")).toHaveTextContent("unknown link");
    await emitEvent("switchyard://deep-link", { kind: "import", path: "/home/dev/src/shop" });
    expect(await screen.findByTestId("import-name")).toHaveTextContent("shop");
    await waitFor(() => expect(screen.queryByTestId("deep-link-error")).not.toBeInTheDocument());
  });

  it("dismisses the previous link's notice when a new link arrives", async () => {
    mockBackend({ ...projectAndRun, inspect_folder: ({ path }) => folder({ path }), import_project: () => detail().project });
    const { user } = renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await emitEvent("switchyard://deep-link", { kind: "import", path: "/home/dev/src/shop" });
    await user.click(await screen.findByTestId("import-confirm"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Imported shop.");
    await emitEvent("switchyard://deep-link", { kind: "run", id: 12 });
    await waitFor(() => expect(currentPath()).toBe("/runs/12"));
    await waitFor(() => expect(screen.queryByTestId("notice")).not.toBeInTheDocument());
  });
});
