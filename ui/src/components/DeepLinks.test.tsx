import { fireEvent, screen, waitFor } from "@testing-library/react";
import { beforeEach, describe, expect, it } from "vitest";

import type { CommandArgs } from "../api";
import type { LogPage } from "../bindings/LogPage";
import { emitEvent, mockBackend } from "../test/backend";
import { deployment, deploymentDetailOf, detail, folder, job, logLine, run } from "../test/fixtures";
import { currentPath, currentSearch, renderApp } from "../test/render";
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

  it("starts nothing from a project link: a run started on that page is the app's (from_link false)", async () => {
    const backend = mockBackend({ ...projectAndRun, start_run: () => 78 });
    const { user } = renderApp("/");
    await screen.findByText("Overview");
    await emitEvent("switchyard://deep-link", { kind: "project", name: "shop" });
    expect(currentPath()).toBe("/projects/shop");
    // The link shows the project, no Run dialog: the user opens it.
    await screen.findByTestId("run-button");
    expect(screen.queryByTestId("run-options")).not.toBeInTheDocument();
    expect(backend.argsOf("start_run")).toEqual([]);
    await user.click(screen.getByTestId("run-button"));
    await user.click(await screen.findByTestId("run-options-confirm"));
    await waitFor(() => expect(currentPath()).toBe("/runs/78"));
    expect(backend.argsOf("start_run")).toEqual([{ project: "shop", jobs: [], in_place: false, from_link: false, parallelism: null, target: null }]);
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

  it("opens a deployment, or the Deployments view, and never acts on it", async () => {
    const backend = mockBackend({
      ...projectAndRun,
      deployment_detail: ({ id }) => deploymentDetailOf({ deployment: deployment({ id, status: "progressing", finished_at: null }), waiting: "no data" }),
      decide_deployment: () => "promoted",
    });
    renderApp("/");
    await screen.findByText("Overview", { selector: "h1" });
    await emitEvent("switchyard://deep-link", { kind: "deployment", id: 12 });
    expect(currentPath()).toBe("/deployments/12");
    expect(await screen.findByTestId("deployment-waiting")).toBeInTheDocument();
    expect(backend.argsOf("deployment_detail")).toEqual([{ id: 12 }]);
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    await emitEvent("switchyard://deep-link", { kind: "deployment", id: null });
    expect(currentPath()).toBe("/deployments");
    expect(backend.argsOf("decide_deployment")).toEqual([]);
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

  describe("to a line of a job's log (run_job)", () => {
    const MATRIX = "test (py=3.12)";
    const matrixRun = ({ id }: { id: number }) =>
      run({
        id,
        status: "failed",
        jobs: [
          job({ id: 100, name: "build" }),
          job({ id: 101, name: "test (py=3.11)", needs: ["build"] }),
          job({ id: 102, name: MATRIX, status: "failed", needs: ["build"], tests: { passed: 0, failed: 1, skipped: 0 } }),
        ],
      });
    const log = ({ from, count }: CommandArgs<"read_log">): LogPage => {
      const lines = [];
      for (let n = from; n < from + count && n <= 2000; n++) lines.push(logLine(n, `out ${n}`));
      return { lines, total: 2000 };
    };
    const linkedLine = () => screen.getByTestId("log-viewer").querySelector("[data-linked='true']");
    const pressed = () =>
      screen.getAllByTestId("job-node").filter((n) => n.getAttribute("aria-pressed") === "true").map((n) => n.getAttribute("data-job"));

    it("opens the run on that matrix job's log, scrolled to the line and marked", async () => {
      const backend = mockBackend({ get_run: matrixRun, read_log: log, search_log: () => 3, test_results: () => [] });
      renderApp("/");
      await screen.findByText("Overview", { selector: "h1" });
      await emitEvent("switchyard://deep-link", { kind: "run_job", id: 12, job: MATRIX, line: 1700 });
      await waitFor(() => expect(currentPath()).toBe("/runs/12"));
      const params = new URLSearchParams(currentSearch() ?? "");
      expect(params.get("job_name")).toBe(MATRIX);
      expect(params.get("line")).toBe("1700");
      await waitFor(() => expect(pressed()).toEqual([MATRIX]));
      await waitFor(() => expect(linkedLine()).toHaveAttribute("data-line", "1700"));
      await waitFor(() => expect(linkedLine()).toHaveTextContent("out 1700"));
      // The line asked for wins over the failed job's first error.
      expect(backend.argsOf("search_log")).toEqual([]);
      expect(backend.argsOf("read_log").every((a) => a.job_id === 102)).toBe(true);
    });

    it("opens the job's log without marking a line when the link has no #L", async () => {
      mockBackend({ get_run: matrixRun, read_log: log, search_log: () => null, pending_deep_link: () => ({ kind: "run_job", id: 12, job: "build", line: null }) });
      renderApp("/");
      await waitFor(() => expect(currentPath()).toBe("/runs/12"));
      expect(currentSearch()).toBe("?job_name=build");
      await waitFor(() => expect(pressed()).toEqual(["build"]));
      await screen.findByTestId("log-viewer");
      expect(linkedLine()).toBeNull();
    });

    it("shows the linked line even when the run's Tests tab was open (the link used to look like it did nothing)", async () => {
      mockBackend({ get_run: matrixRun, read_log: log, search_log: () => null, test_results: () => [] });
      const { user } = renderApp("/runs/12?job=100");
      await user.click(await screen.findByTestId("tab-tests"));
      expect(screen.queryByTestId("log-viewer")).not.toBeInTheDocument();
      await emitEvent("switchyard://deep-link", { kind: "run_job", id: 12, job: MATRIX, line: 40 });
      await waitFor(() => expect(screen.getByTestId("tab-log")).toHaveAttribute("aria-selected", "true"));
      expect(screen.getByTestId("tab-log")).toHaveTextContent(`Log: ${MATRIX}`);
      await waitFor(() => expect(linkedLine()).toHaveAttribute("data-line", "40"));

      // The same link again, after scrolling away: back at the line.
      const viewer = screen.getByTestId("log-viewer");
      viewer.scrollTop = 30_000;
      fireEvent.scroll(viewer);
      await waitFor(() => expect(linkedLine()).toBeNull());
      await emitEvent("switchyard://deep-link", { kind: "run_job", id: 12, job: MATRIX, line: 40 });
      await waitFor(() => expect(linkedLine()).toHaveAttribute("data-line", "40"));
    });
  });
});
