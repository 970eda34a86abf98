import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import { emitEvent, errorDto, mockBackend } from "../test/backend";
import { detail, folder, planGate, planJob, project } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";

async function openDialogAndInspect(path: string) {
  const r = renderApp("/projects");
  await r.user.click(await screen.findByTestId("import-button"));
  await r.user.type(screen.getByTestId("import-path-input"), path);
  await r.user.click(screen.getByTestId("import-inspect"));
  return r;
}

describe("Import dialog", () => {
  it("shows git facts and the jobs of a valid pipeline, and imports without writing a pipeline", async () => {
    const backend = mockBackend({
      inspect_folder: ({ path }) => folder({ path }),
      import_project: () => project(),
      project_detail: () => detail(),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    const { user } = await openDialogAndInspect("/home/dev/src/shop");

    const dialog = await screen.findByTestId("import-folder");
    expect(backend.argsOf("inspect_folder")).toEqual([{ path: "/home/dev/src/shop" }]);
    expect(within(dialog).getByTestId("import-name")).toHaveTextContent("shop");
    expect(within(dialog).getByTestId("import-branch")).toHaveTextContent("branch main");
    expect(within(dialog).getByText("uncommitted changes")).toBeInTheDocument();
    expect(within(dialog).getAllByTestId("import-commit")).toHaveLength(2);
    expect(within(dialog).getByText("Add checkout")).toBeInTheDocument();
    expect(within(dialog).getByTestId("import-pipeline")).toHaveAttribute("data-state", "valid");
    expect(within(dialog).getAllByTestId("import-plan-job").map((n) => n.getAttribute("data-job"))).toEqual(["build", "test"]);
    expect(within(dialog).queryByTestId("import-folder-warning")).not.toBeInTheDocument();

    expect(backend.argsOf("import_project")).toEqual([]);
    await user.click(screen.getByTestId("import-confirm"));
    await waitFor(() => expect(currentPath()).toBe("/projects/shop"));
    expect(backend.argsOf("import_project")).toEqual([{ path: "/home/dev/src/shop", pipeline_yaml: null }]);
    // Gone at once, not faded out over the new page (whose Run button its
    // invisible layer was seen to cover).
    expect(screen.queryByRole("dialog")).toBeNull();
    expect(document.querySelector(".MuiDialog-container")).toBeNull();
  });

  it("previews an approval job as a gate, not as a job of 0 steps", async () => {
    mockBackend({
      inspect_folder: ({ path }) =>
        folder({
          path,
          pipeline: {
            state: "valid",
            diagnostics: [],
            plan: [planJob({ name: "build", steps: ["compile"] }), planGate({ name: "release", needs: ["build"], stage: 2 })],
          },
        }),
    });
    await openDialogAndInspect("/home/dev/src/shop");
    const jobs = await screen.findAllByTestId("import-plan-job");
    expect(jobs.map((n) => [n.getAttribute("data-job"), n.getAttribute("data-kind")])).toEqual([
      ["build", "steps"],
      ["release", "approval"],
    ]);
    expect(jobs[0]).toHaveTextContent("1 step · local");
    expect(jobs[1]).toHaveTextContent(/^release\s*approval$/);
    expect(within(jobs[1]).getByTestId("gate-icon")).toBeInTheDocument();
    expect(within(jobs[0]).queryByTestId("gate-icon")).not.toBeInTheDocument();
  });

  it("lists the problems of an invalid pipeline with line:column", async () => {
    mockBackend({
      inspect_folder: ({ path }) =>
        folder({
          path,
          pipeline: {
            state: "invalid",
            plan: [],
            diagnostics: [
              { line: 7, column: 12, message: "unknown job `bulid` in `needs`; did you mean `build`?" },
              { line: 3, column: 5, message: "`steps` of job `a` is empty; add at least one step with `run:`" },
            ],
          },
        }),
    });
    await openDialogAndInspect("/src/broken");
    const problems = await screen.findAllByTestId("import-diagnostic");
    expect(problems.map((p) => p.textContent)).toEqual([
      "3:5`steps` of job `a` is empty; add at least one step with `run:`",
      "7:12unknown job `bulid` in `needs`; did you mean `build`?",
    ]);
    expect(screen.getByText(/switchyard.yaml has 2 problems/)).toBeInTheDocument();
  });

  it("proposes the starter pipeline of a folder without one and saves the edited text with the import", async () => {
    const starter = "jobs:\n  test:\n    steps:\n      - cargo test\n";
    const backend = mockBackend({
      inspect_folder: ({ path }) =>
        folder({
          path,
          name: "tool",
          pipeline: { state: "missing", plan: [], diagnostics: [] },
          starter: { stack: "Rust (Cargo)", detected_from: "Cargo.toml", yaml: starter },
        }),
      import_project: () => project({ name: "tool" }),
      project_detail: () => detail({ project: project({ name: "tool" }) }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    const { user } = await openDialogAndInspect("/src/tool");

    expect(await screen.findByTestId("import-starter")).toHaveTextContent("Rust (Cargo)");
    const editor = screen.getByTestId("import-starter-yaml") as HTMLTextAreaElement;
    expect(editor.value).toBe(starter);
    await user.type(editor, "      - cargo clippy\n");
    expect(screen.getByTestId("import-confirm")).toHaveTextContent("Save pipeline and import");
    await user.click(screen.getByTestId("import-confirm"));

    await waitFor(() => expect(backend.argsOf("import_project")).toHaveLength(1));
    expect(backend.argsOf("import_project")[0]).toEqual({
      path: "/src/tool",
      pipeline_yaml: starter + "      - cargo clippy\n",
    });
    await waitFor(() => expect(currentPath()).toBe("/projects/tool"));
  });

  it("warns before importing a home or system folder and imports it only once the user insists", async () => {
    const backend = mockBackend({
      inspect_folder: ({ path }) =>
        folder({
          path,
          name: "dev",
          git: null,
          pipeline: { state: "missing", plan: [], diagnostics: [] },
          starter: null,
          warnings: ["home_folder"],
        }),
      import_project: () => project({ name: "dev" }),
      project_detail: () => detail({ project: project({ name: "dev" }) }),
      list_runs: () => ({ runs: [], next_before: null }),
    });
    const { user } = await openDialogAndInspect("/home/dev");

    const warning = await screen.findByTestId("import-folder-warning");
    expect(warning).toHaveTextContent("This is your home folder, not a project folder");
    expect(warning).toHaveTextContent("write switchyard.yaml here and run pipelines over all your files");
    const confirm = screen.getByTestId("import-confirm");
    expect(confirm).toBeDisabled();
    await user.click(within(warning).getByTestId("import-folder-warning-ack"));
    expect(confirm).toBeEnabled();
    await user.click(confirm);
    await waitFor(() => expect(backend.argsOf("import_project")).toHaveLength(1));
    expect(backend.argsOf("import_project")[0]).toMatchObject({ path: "/home/dev" });
    await waitFor(() => expect(currentPath()).toBe("/projects/dev"));
  });

  it.each([
    ["root_folder", "/", "This is the root of the file system, not a project folder", "everything on this computer"],
    ["home_folder", "/home/dev", "This is your home folder, not a project folder", "all your files"],
    ["system_folder", "/etc", "This is a system folder, not a project folder", "the operating system's files"],
  ] as const)("says precisely which folder a %s warning is about", async (warning, path, title, over) => {
    mockBackend({ inspect_folder: () => folder({ path, warnings: [warning] }) });
    await openDialogAndInspect(path);
    const item = await screen.findByTestId("import-folder-warning-item");
    expect(item).toHaveAttribute("data-warning", warning);
    expect(item).toHaveTextContent(title);
    expect(item).toHaveTextContent(`run pipelines over ${over}`);
    // The folder has a pipeline: nothing would be written.
    expect(item).not.toHaveTextContent("write switchyard.yaml");
    expect(screen.getByTestId("import-confirm")).toBeDisabled();
  });

  it("asks again for another folder with a warning", async () => {
    mockBackend({
      inspect_folder: ({ path }) => folder({ path, warnings: ["system_folder"] }),
    });
    const { user } = await openDialogAndInspect("/etc");
    await user.click(within(await screen.findByTestId("import-folder-warning")).getByTestId("import-folder-warning-ack"));
    expect(screen.getByTestId("import-confirm")).toBeEnabled();
    // Another folder: the warning must be acknowledged again.
    const input = screen.getByTestId("import-path-input");
    await user.clear(input);
    await user.type(input, "/usr");
    await user.click(screen.getByTestId("import-inspect"));
    await waitFor(() => expect(screen.getByTestId("import-folder")).toHaveTextContent("/usr"));
    expect(within(screen.getByTestId("import-folder-warning")).getByTestId("import-folder-warning-ack")).not.toBeChecked();
    expect(screen.getByTestId("import-confirm")).toBeDisabled();
    // A valid pipeline is not written, so the warning does not say it would be.
    expect(screen.getByTestId("import-folder-warning")).not.toHaveTextContent("write switchyard.yaml");
  });

  it("says when the folder is already imported and does not import it twice", async () => {
    mockBackend({ inspect_folder: ({ path }) => folder({ path, imported_as: "shop" }) });
    await openDialogAndInspect("/home/dev/src/shop");
    expect(await screen.findByTestId("import-already")).toHaveTextContent("already imported as shop");
    expect(screen.getByTestId("import-confirm")).toBeDisabled();
  });

  it("shows why the import failed, with the diagnostics of an invalid pipeline", async () => {
    mockBackend({
      inspect_folder: ({ path }) => folder({ path }),
      import_project: () => {
        throw errorDto("invalid_pipeline", "the pipeline file has 1 problem", [
          { line: 2, column: 14, message: "`steps` of job `a` is empty" },
        ]);
      },
    });
    const { user } = await openDialogAndInspect("/src/shop");
    await user.click(await screen.findByTestId("import-confirm"));
    const error = await screen.findByTestId("import-error");
    expect(error).toHaveTextContent("the pipeline file has 1 problem");
    expect(within(error).getByTestId("error-diagnostic")).toHaveTextContent("2:14");
    expect(currentPath()).toBe("/projects");
  });

  it("shows the shell's message when the folder can't be inspected", async () => {
    mockBackend({
      inspect_folder: () => {
        throw errorDto("invalid_input", "/nope is not a folder; choose a project folder");
      },
    });
    await openDialogAndInspect("/nope");
    expect(await screen.findByText("/nope is not a folder; choose a project folder")).toBeInTheDocument();
  });

  it("inspects the folder chosen in the native picker", async () => {
    const backend = mockBackend({
      "plugin:dialog|open": () => "/picked/app",
      inspect_folder: ({ path }) => folder({ path, name: "app" }),
    });
    const { user } = renderApp("/projects");
    await user.click(await screen.findByTestId("import-button"));
    await user.click(screen.getByTestId("import-browse"));
    expect(await screen.findByTestId("import-name")).toHaveTextContent("app");
    expect(backend.argsOf("inspect_folder")).toEqual([{ path: "/picked/app" }]);
    expect(screen.getByTestId("import-path-input")).toHaveValue("/picked/app");
  });

  it("opens for a folder dropped onto the window", async () => {
    const backend = mockBackend({ inspect_folder: ({ path }) => folder({ path, name: "dropped" }) });
    renderApp("/");
    await screen.findByText("Overview");
    await emitEvent("tauri://drag-enter", { paths: ["/drop/here"], position: { x: 10, y: 10 } });
    expect(await screen.findByText("Drop a folder to import it")).toBeVisible();
    await emitEvent("tauri://drag-drop", { paths: ["/drop/here"], position: { x: 10, y: 10 } });
    expect(await screen.findByTestId("import-name")).toHaveTextContent("dropped");
    expect(backend.argsOf("inspect_folder")).toEqual([{ path: "/drop/here" }]);
    expect(backend.argsOf("import_project")).toEqual([]);
  });

  it("brings the error of a failed 'Save pipeline and import' into view and focuses it", async () => {
    const scrolled: Element[] = [];
    const original = Element.prototype.scrollIntoView;
    Element.prototype.scrollIntoView = function (this: Element) {
      scrolled.push(this);
    };
    try {
      mockBackend({
        inspect_folder: ({ path }) =>
          folder({
            path,
            name: "tool",
            pipeline: { state: "missing", plan: [], diagnostics: [] },
            starter: { stack: "Rust (Cargo)", detected_from: "Cargo.toml", yaml: "jobs:\n  test:\n    steps: []\n" },
          }),
        import_project: () => {
          throw errorDto("invalid_pipeline", "the pipeline has 1 problem", [
            { line: 3, column: 12, message: "`steps` of job `test` is empty" },
          ]);
        },
      });
      const { user } = await openDialogAndInspect("/src/tool");
      const confirm = await screen.findByTestId("import-confirm");
      expect(confirm).toHaveTextContent("Save pipeline and import");
      await user.click(confirm);

      const error = await screen.findByTestId("import-error");
      expect(error).toHaveAttribute("role", "alert");
      expect(error).toHaveTextContent("the pipeline has 1 problem");
      await waitFor(() => expect(error).toHaveFocus());
      expect(scrolled).toContain(error);
      // Next to the button, not at the end of the scrolled content above it.
      expect(screen.getByTestId("import-dialog")).not.toContainElement(error);
      expect(currentPath()).toBe("/projects");
    } finally {
      Element.prototype.scrollIntoView = original;
    }
  });
});
