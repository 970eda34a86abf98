import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { PlanJobView } from "../bindings/PlanJobView";
import type { RunSummaryView } from "../bindings/RunSummaryView";
import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { detail, planGate, planJob, project, run, summary } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

const plan: PlanJobView[] = [
  { name: "build", needs: [], stage: 1, runner: "local", kind: "steps", condition: "success", steps: ["compile"] },
  { name: "lint", needs: [], stage: 1, runner: "local", kind: "steps", condition: "success", steps: ["fmt", "clippy"] },
  { name: "test (debian)", needs: ["build"], stage: 2, runner: "local", kind: "steps", condition: "success", steps: ["t"] },
  { name: "test (alpine)", needs: ["build"], stage: 2, runner: "local", kind: "steps", condition: "success", steps: ["t"] },
  { name: "package", needs: ["test", "lint"], stage: 3, runner: "kubernetes:ci", kind: "steps", condition: "success", steps: ["tar"] },
];

function runs(from: number, count: number, extra: Partial<RunSummaryView> = {}): RunSummaryView[] {
  return Array.from({ length: count }, (_, i) => summary({ id: from - i, ...extra }));
}

describe("Project view", () => {
  it("draws the pipeline as columns by stage with edges from needs", async () => {
    mockBackend({
      project_detail: () => detail({ pipeline: { state: "valid", diagnostics: [], plan } }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    const nodes = within(graph).getAllByTestId("plan-job");
    expect(nodes.map((n) => n.getAttribute("data-job"))).toEqual(plan.map((j) => j.name));
    // Columns are laid out left to right by stage (emotion puts `left` in the stylesheet).
    const x = (name: string) =>
      parseFloat(getComputedStyle(nodes.find((n) => n.getAttribute("data-job") === name) as HTMLElement).left);
    expect(x("build")).toBeGreaterThanOrEqual(0);
    expect(x("build")).toBe(x("lint"));
    expect(x("test (debian)")).toBeGreaterThan(x("build"));
    expect(x("package")).toBeGreaterThan(x("test (alpine)"));
    const edges = within(graph).getAllByTestId("graph-edge").map((e) => `${e.getAttribute("data-from")}->${e.getAttribute("data-to")}`);
    expect(edges.sort()).toEqual(
      ["build->test (debian)", "build->test (alpine)", "test (debian)->package", "test (alpine)->package", "lint->package"].sort(),
    );
    expect(await screen.findByTestId("history-empty")).toHaveTextContent("No runs yet");
  });

  it("shows an approval job as a gate in the graph and in the run options", async () => {
    const gated: PlanJobView[] = [
      planJob({ name: "build", steps: ["compile", "pack"] }),
      planGate({ name: "release", needs: ["build"], stage: 2 }),
      planJob({ name: "deploy", needs: ["release"], stage: 3, runner: "kubernetes:prod", steps: ["apply"] }),
      planJob({ name: "notify", needs: ["release"], stage: 3, condition: "failure", steps: ["mail"] }),
    ];
    mockBackend({
      project_detail: () => detail({ pipeline: { state: "valid", diagnostics: [], plan: gated } }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    const { user } = renderApp("/projects/shop");
    const graph = await screen.findByTestId("pipeline-graph");
    const box = (name: string) =>
      within(graph).getAllByTestId("plan-job").find((n) => n.getAttribute("data-job") === name) as HTMLElement;
    expect(box("release")).toHaveAttribute("data-kind", "approval");
    expect(box("release")).toHaveTextContent(/^release\s*approval$/);
    expect(box("release")).not.toHaveTextContent("0 steps");
    expect(box("release")).toHaveAccessibleName("release: approval");
    expect(within(box("release")).getByTestId("gate-icon")).toBeInTheDocument();
    expect(box("build")).toHaveAttribute("data-kind", "steps");
    expect(box("build")).toHaveTextContent("2 steps · local");
    expect(within(box("build")).queryByTestId("gate-icon")).not.toBeInTheDocument();
    expect(box("deploy")).toHaveTextContent("1 step · kubernetes:prod");
    expect(box("notify")).toHaveTextContent("1 step · local · if failure");
    expect(within(graph).getAllByTestId("gate-icon")).toHaveLength(1);

    await user.click(screen.getByTestId("run-button"));
    const dialog = await screen.findByTestId("run-options");
    const labels = within(dialog).getAllByTestId("run-option-label");
    expect(labels.map((l) => l.getAttribute("data-kind"))).toEqual(["steps", "approval", "steps", "steps"]);
    expect(labels[1]).toHaveTextContent("release · stage 2 · needs build · approval (waits for a person)");
    expect(within(labels[1]).getByTestId("gate-icon")).toBeInTheDocument();
    expect(labels[0]).toHaveTextContent("build · stage 1 · local");
    // A gate runs nowhere: no empty runner in the list.
    expect(within(dialog).getByTestId("run-options-runner")).toHaveTextContent(/^Runs on: local, kubernetes:prod$/);
  });

  it("shows the problems of an invalid pipeline and does not offer to run it", async () => {
    mockBackend({
      project_detail: () =>
        detail({
          pipeline: { state: "invalid", plan: [], diagnostics: [{ line: 4, column: 9, message: "unknown key `stpes`" }] },
        }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    renderApp("/projects/shop");
    const problem = await screen.findByTestId("pipeline-diagnostic");
    expect(problem).toHaveTextContent("4:9");
    expect(problem).toHaveTextContent("unknown key `stpes`");
    expect(screen.getByTestId("run-button")).toBeDisabled();
  });

  it("filters the history by status and branch", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: ({ status, branch }) => ({
        runs: runs(20, 3, { status: status ?? "succeeded", branch: branch ?? "main" }),
        next_before: null,
      }),
    });
    const { user } = renderApp("/projects/shop");
    expect(await screen.findAllByTestId("history-row")).toHaveLength(3);
    expect(backend.argsOf("list_runs")).toEqual([{ project: "shop", status: null, branch: null, before: null, limit: 100 }]);

    await user.click(screen.getByTestId("history-status-filter"));
    await user.click(await screen.findByRole("option", { name: "Failed" }));
    await waitFor(() =>
      expect(backend.argsOf("list_runs").at(-1)).toEqual({ project: "shop", status: "failed", branch: null, before: null, limit: 100 }),
    );
    await waitFor(() => expect(screen.getAllByTestId("history-row")[0]).toHaveAttribute("data-status", "failed"));

    await user.click(screen.getByTestId("history-branch-filter"));
    await user.click(await screen.findByRole("option", { name: "feature/cart" }));
    await waitFor(() =>
      expect(backend.argsOf("list_runs").at(-1)).toEqual({
        project: "shop",
        status: "failed",
        branch: "feature/cart",
        before: null,
        limit: 100,
      }),
    );
    await waitFor(() => expect(within(screen.getAllByTestId("history-row")[0]).getByText("feature/cart")).toBeInTheDocument());
  });

  it("loads older runs with `before` = `next_before`", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: ({ before }) =>
        before === null ? { runs: runs(200, 3), next_before: 197 } : { runs: runs(197, 2), next_before: null },
    });
    const { user } = renderApp("/projects/shop");
    expect(await screen.findAllByTestId("history-row")).toHaveLength(3);
    await user.click(screen.getByTestId("history-load-more"));
    await waitFor(() => expect(screen.getAllByTestId("history-row")).toHaveLength(5));
    expect(backend.argsOf("list_runs")[1]).toEqual({ project: "shop", status: null, branch: null, before: 197, limit: 100 });
    expect(screen.getAllByTestId("history-row").map((r) => r.getAttribute("data-run-id"))).toEqual(["200", "199", "198", "197", "196"]);
    expect(screen.queryByTestId("history-load-more")).not.toBeInTheDocument();
  });

  it("keeps a 10,000-run history light by drawing only the visible rows", async () => {
    mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({ runs: runs(10_000, 10_000), next_before: null }),
    });
    renderApp("/projects/shop");
    await waitFor(() => expect(screen.getByTestId("history-count")).toHaveTextContent("10,000 runs"));
    const rows = screen.getAllByTestId("history-row");
    expect(rows.length).toBeGreaterThan(5);
    expect(rows.length).toBeLessThan(60);
    expect(rows[0]).toHaveAttribute("data-run-id", "10000");
  });

  it("adds a new run of this project to the top of the history when it starts", async () => {
    mockBackend({ project_detail: () => detail(), list_runs: () => ({ runs: runs(8, 2), next_before: null }) });
    renderApp("/projects/shop");
    expect(await screen.findAllByTestId("history-row")).toHaveLength(2);
    await emitEvent("switchyard://runs", summary({ id: 9, status: "running", finished_at: null, duration_ms: null }));
    await emitEvent("switchyard://runs", summary({ id: 50, project: "other", status: "running" }));
    const rows = screen.getAllByTestId("history-row");
    expect(rows.map((r) => r.getAttribute("data-run-id"))).toEqual(["9", "8", "7"]);
    expect(rows[0]).toHaveAttribute("data-status", "running");
    await emitEvent("switchyard://runs", summary({ id: 9, status: "failed" }));
    expect(screen.getAllByTestId("history-row")[0]).toHaveAttribute("data-status", "failed");
  });

  it("runs the selected jobs in place from the options dialog and opens the run", async () => {
    const backend = mockBackend({
      project_detail: () => detail({ pipeline: { state: "valid", diagnostics: [], plan } }),
      list_runs: () => ({ runs: [], next_before: null }),
      start_run: () => 77,
      get_run: () => run({ id: 77, status: "queued", jobs: [] }),
    });
    const { user } = renderApp("/projects/shop");
    await user.click(await screen.findByTestId("run-button"));
    const dialog = await screen.findByTestId("run-options");
    expect(within(dialog).getByTestId("run-options-runner")).toHaveTextContent("local, kubernetes:ci");
    await user.click(within(dialog).getByRole("checkbox", { name: "lint" }));
    await user.click(within(dialog).getByRole("checkbox", { name: "package" }));
    await user.click(within(dialog).getByRole("radio", { name: /In place/ }));
    await user.click(screen.getByTestId("run-options-confirm"));
    await waitFor(() => expect(currentPath()).toBe("/runs/77"));
    expect(backend.argsOf("start_run")).toEqual([
      { project: "shop", jobs: ["build", "test (debian)", "test (alpine)"], in_place: true, from_link: false, parallelism: null, target: null },
    ]);
  });

  it("opens the run dialog with the r key and runs everything in a copy by default", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({ runs: [], next_before: null }),
      start_run: () => 78,
      get_run: () => run({ id: 78, status: "queued", jobs: [] }),
    });
    const { user } = renderApp("/projects/shop");
    await screen.findByTestId("pipeline-graph");
    await user.keyboard("r");
    await user.click(await screen.findByTestId("run-options-confirm"));
    await waitFor(() => expect(currentPath()).toBe("/runs/78"));
    expect(backend.argsOf("start_run")).toEqual([{ project: "shop", jobs: [], in_place: false, from_link: false, parallelism: null, target: null }]);
  });

  it("reloads when this project is changed elsewhere (the CLI)", async () => {
    let remote = "git@example.invalid:dev/shop.git";
    const backend = mockBackend({
      project_detail: () => detail({ project: project({ remote }) }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    renderApp("/projects/shop");
    expect(await screen.findByText(remote)).toBeInTheDocument();
    const before = backend.argsOf("project_detail").length;
    await emitEvent("switchyard://projects", { name: "other" });
    expect(backend.argsOf("project_detail").length).toBe(before);
    remote = "git@example.invalid:dev/shop-moved.git";
    await emitEvent("switchyard://projects", { name: "shop" });
    expect(await screen.findByText(remote)).toBeInTheDocument();
    expect(backend.argsOf("project_detail").length).toBe(before + 1);
  });

  it("says when the project does not exist", async () => {
    mockBackend({
      project_detail: ({ name }) => {
        throw { code: "not_found", message: `no project named ${name}; import it first`, diagnostics: [] };
      },
    });
    renderApp("/projects/ghost");
    expect(await screen.findByText("no project named ghost; import it first")).toBeInTheDocument();
    expect(screen.getByText("No such project")).toBeInTheDocument();
  });

  it("removes the project but keeps its history by default, then shows the projects list", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({ runs: [], next_before: null }),
      remove_project: ({ name, delete_history }) => ({ name, history_deleted: delete_history, runs: 12, artifact_files_deleted: 0 }),
    });
    const { user } = renderApp("/projects/shop");
    await user.click(await screen.findByTestId("project-remove"));
    const dialog = await screen.findByTestId("project-remove-dialog");
    // It names the project and its folder, and says the folder is not touched.
    expect(dialog).toHaveTextContent("shop leaves Switchyard's list of projects");
    expect(within(dialog).getByTestId("project-remove-path")).toHaveTextContent("/home/dev/src/shop");
    expect(dialog).toHaveTextContent("Nothing in its folder is touched");
    expect(screen.getByTestId("project-remove-keep")).toBeChecked();
    expect(screen.getByTestId("project-remove-delete")).not.toBeChecked();
    expect(screen.getByTestId("project-remove-confirm")).toHaveTextContent(/^Remove$/);
    expect(backend.argsOf("remove_project")).toEqual([]);

    await user.click(screen.getByTestId("project-remove-confirm"));
    await waitFor(() => expect(currentPath()).toBe("/projects"));
    expect(backend.argsOf("remove_project")).toEqual([{ name: "shop", delete_history: false }]);
    expect(await screen.findByTestId("notice")).toHaveTextContent("Removed shop; its 12 runs stay in the history");
    expect(screen.queryByTestId("project-remove-dialog")).not.toBeInTheDocument();
  });

  it("removes the project and deletes its history when asked to", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({ runs: [], next_before: null }),
      remove_project: ({ name, delete_history }) => ({ name, history_deleted: delete_history, runs: 3, artifact_files_deleted: 5 }),
    });
    const { user } = renderApp("/projects/shop");
    await user.click(await screen.findByTestId("project-remove"));
    await screen.findByTestId("project-remove-dialog");
    await user.click(screen.getByTestId("project-remove-delete"));
    const confirm = screen.getByTestId("project-remove-confirm");
    expect(confirm).toHaveTextContent("Remove and delete history");
    expect(confirm).toHaveClass("MuiButton-colorError");
    expect(screen.getByTestId("project-remove-dialog")).toHaveTextContent(
      "Delete its history too (runs, logs, test results, artifacts; cannot be undone)",
    );
    await user.click(confirm);
    await waitFor(() => expect(currentPath()).toBe("/projects"));
    expect(backend.argsOf("remove_project")).toEqual([{ name: "shop", delete_history: true }]);
    expect(await screen.findByTestId("notice")).toHaveTextContent("Removed shop and its history");
  });

  it("shows in the dialog why the project could not be removed, and stays", async () => {
    const backend = mockBackend({
      project_detail: () => detail(),
      list_runs: () => ({ runs: [], next_before: null }),
      remove_project: () => {
        throw errorDto("invalid_input", "project `shop` has a run going (run 31); cancel it or wait for it to end first");
      },
    });
    const { user } = renderApp("/projects/shop");
    await user.click(await screen.findByTestId("project-remove"));
    await user.click(await screen.findByTestId("project-remove-confirm"));
    const error = await screen.findByTestId("project-remove-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent("has a run going (run 31)");
    expect(currentPath()).toBe("/projects/shop");
    expect(screen.getByTestId("project-remove-dialog")).toBeInTheDocument();
    expect(screen.getByTestId("project-remove-confirm")).toBeEnabled();

    await user.click(screen.getByTestId("project-remove-cancel"));
    await waitFor(() => expect(screen.queryByTestId("project-remove-dialog")).not.toBeInTheDocument());
    expect(backend.argsOf("remove_project")).toHaveLength(1);
    expect(currentPath()).toBe("/projects/shop");
  });
});
