import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import type { PlanJobView } from "../bindings/PlanJobView";
import { SettingsProvider } from "../settings";
import { emitEvent, mockBackend } from "../test/backend";
import { planJob, settings, target } from "../test/fixtures";
import { RunOptionsDialog } from "./RunOptionsDialog";

// report needs test, which needs build; lint stands alone.
const plan: PlanJobView[] = [
  planJob({ name: "build" }),
  planJob({ name: "lint" }),
  planJob({ name: "test", needs: ["build"], stage: 2 }),
  planJob({ name: "report", needs: ["test"], stage: 3 }),
];

function renderDialog() {
  const user = userEvent.setup();
  const onStarted = vi.fn();
  // The settings tell what the local runner allows (the hint of "Jobs at once").
  render(
    <SettingsProvider>
      <RunOptionsDialog open project="shop" plan={plan} onClose={() => {}} onStarted={onStarted} />
    </SettingsProvider>,
  );
  const dialog = screen.getByTestId("run-options");
  const box = (name: string) => within(dialog).getByRole("checkbox", { name });
  return { user, onStarted, dialog, box };
}

describe("Run options dialog", () => {
  it("ticks the jobs a ticked job needs, transitively, and counts exactly the jobs that will run", async () => {
    const backend = mockBackend({ start_run: () => 41 });
    const { user, onStarted, box } = renderDialog();
    await user.click(screen.getByRole("button", { name: "None" }));
    expect(screen.getByTestId("run-options-confirm")).toBeDisabled();

    await user.click(box("report"));
    // report needs test, test needs build: all three run, and are shown ticked.
    expect(box("report")).toBeChecked();
    expect(box("test")).toBeChecked();
    expect(box("build")).toBeChecked();
    expect(box("lint")).not.toBeChecked();
    const needed = screen.getAllByTestId("run-option-needed-by");
    expect(needed.map((n) => n.getAttribute("data-job"))).toEqual(["build", "test"]);
    expect(needed[0]).toHaveTextContent("needed by test");
    expect(needed[1]).toHaveTextContent("needed by report");
    expect(screen.getByTestId("run-options-confirm")).toHaveTextContent("Run 3 jobs");

    await user.click(screen.getByTestId("run-options-confirm"));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(41));
    expect(backend.argsOf("start_run")).toEqual([
      { project: "shop", jobs: ["build", "test", "report"], in_place: false, from_link: false, parallelism: null, target: null },
    ]);
  });

  it("does not count a job as left out when a ticked job still needs it", async () => {
    const backend = mockBackend({ start_run: () => 42 });
    const { user, onStarted, box } = renderDialog();
    expect(screen.getByTestId("run-options-confirm")).toHaveTextContent("Run all jobs");

    // report still needs test: un-ticking test cannot leave it out.
    await user.click(box("test"));
    expect(box("test")).toBeChecked();
    expect(screen.getByTestId("run-options-confirm")).toHaveTextContent("Run all jobs");

    // Without report, nothing needs test any more.
    await user.click(box("report"));
    expect(box("report")).not.toBeChecked();
    expect(box("test")).not.toBeChecked();
    expect(box("build")).toBeChecked();
    expect(screen.getByTestId("run-options-confirm")).toHaveTextContent("Run 2 jobs");

    await user.click(screen.getByTestId("run-options-confirm"));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(42));
    expect(backend.argsOf("start_run")).toEqual([
      { project: "shop", jobs: ["build", "lint"], in_place: false, from_link: false, parallelism: null, target: null },
    ]);
  });

  it("sends the jobs at once typed, and null (no cap of its own) when left empty", async () => {
    const backend = mockBackend({ start_run: () => 43 });
    const { user, onStarted } = renderDialog();
    const field = screen.getByTestId("run-option-parallelism");
    expect(field).toHaveValue("");
    // Empty: the runners decide; for the local runner that is the number of CPUs unless config.toml says otherwise.
    await waitFor(() => expect(field).toHaveAttribute("placeholder", "as many as the runners allow (local: 8)"));
    expect(screen.getByTestId("run-option-parallelism-help")).toHaveTextContent("Empty: as many as the runners allow (local: 8)");
    await user.type(field, "3");
    await user.click(screen.getByTestId("run-options-confirm"));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(43));
    expect(backend.argsOf("start_run")).toEqual([{ project: "shop", jobs: [], in_place: false, from_link: false, parallelism: 3, target: null }]);
  });

  it("names the local runner's own limit from the settings when one is set", async () => {
    mockBackend({ get_settings: () => settings({ local_concurrency: 4, cpus: 16 }) });
    renderDialog();
    await waitFor(() =>
      expect(screen.getByTestId("run-option-parallelism-help")).toHaveTextContent("as many as the runners allow (local: 4)"),
    );
  });

  it("does not run with jobs at once outside 1..1024 and says why", async () => {
    const backend = mockBackend({ start_run: () => 44 });
    const { user, onStarted } = renderDialog();
    const field = screen.getByTestId("run-option-parallelism");
    const confirm = screen.getByTestId("run-options-confirm");
    const help = screen.getByTestId("run-option-parallelism-help");
    for (const bad of ["0", "1025", "2.5", "-1", "many"]) {
      await user.clear(field);
      await user.type(field, bad);
      expect(confirm).toBeDisabled();
      expect(field).toHaveAttribute("aria-invalid", "true");
      expect(help).toHaveTextContent(/1 to 1024/);
    }
    await user.clear(field);
    await user.type(field, "1024");
    expect(confirm).toBeEnabled();
    expect(field).toHaveAttribute("aria-invalid", "false");
    await user.clear(field);
    await user.click(confirm);
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(44));
    expect(backend.argsOf("start_run")).toEqual([{ project: "shop", jobs: [], in_place: false, from_link: false, parallelism: null, target: null }]);
  });

  it("offers the targets by name for the Kubernetes jobs, only while one of them is to run", async () => {
    const backend = mockBackend({
      start_run: () => 45,
      list_targets: () => [target({ name: "staging", environment: "staging", namespace: "ci" }), target({ name: "prod" })],
    });
    const user = userEvent.setup();
    const onStarted = vi.fn();
    const remotePlan = [planJob({ name: "lint" }), planJob({ name: "test", runner: "kubernetes:dev" })];
    render(
      <SettingsProvider>
        <RunOptionsDialog open project="shop" plan={remotePlan} onClose={() => {}} onStarted={onStarted} />
      </SettingsProvider>,
    );
    const picker = await screen.findByTestId("run-option-target");
    expect(picker).toHaveTextContent("As the pipeline says");
    await user.click(picker);
    const choices = await screen.findAllByTestId("run-option-target-choice");
    expect(choices.map((c) => c.getAttribute("data-target"))).toEqual(["", "staging", "prod"]);
    expect(choices[1]).toHaveTextContent("staging · kubeconfig · namespace ci");
    await user.click(choices[1]);
    expect(screen.getByTestId("run-option-target")).toHaveTextContent("staging");
    expect(screen.getByTestId("run-options-runner")).toHaveTextContent("Runs on: local, kubernetes:staging");

    // Only the local job ticked: nothing to move, so no picker and no target sent.
    await user.click(screen.getByRole("checkbox", { name: "test" }));
    expect(screen.queryByTestId("run-option-target")).toBeNull();
    await user.click(screen.getByRole("checkbox", { name: "test" }));
    await user.click(screen.getByTestId("run-options-confirm"));
    await waitFor(() => expect(onStarted).toHaveBeenCalledWith(45));
    expect(backend.argsOf("start_run")).toEqual([
      { project: "shop", jobs: [], in_place: false, from_link: false, parallelism: null, target: "staging" },
    ]);
  });

  it("offers a target added while the dialog is open", async () => {
    let targets = [target({ name: "prod" })];
    mockBackend({ list_targets: () => targets });
    const user = userEvent.setup();
    render(
      <SettingsProvider>
        <RunOptionsDialog open project="shop" plan={[planJob({ name: "test", runner: "kubernetes:dev" })]} onClose={() => {}} onStarted={() => {}} />
      </SettingsProvider>,
    );
    await user.click(await screen.findByTestId("run-option-target"));
    await waitFor(() => expect(screen.getAllByTestId("run-option-target-choice")).toHaveLength(2));
    // config.toml edited by hand (or `targets add`): the shell says the settings changed.
    targets = [...targets, target({ name: "staging" })];
    await emitEvent("switchyard://settings", settings());
    await waitFor(() =>
      expect(screen.getAllByTestId("run-option-target-choice").map((c) => c.getAttribute("data-target"))).toEqual(["", "prod", "staging"]),
    );
  });

  it("shows no target picker when every job runs locally", async () => {
    mockBackend({ list_targets: () => [target()] });
    renderDialog();
    expect(screen.getByTestId("run-options-runner")).toHaveTextContent("local (this machine)");
    expect(screen.queryByTestId("run-option-target")).toBeNull();
  });
});
