import { act, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { PipelineFileView } from "../bindings/PipelineFileView";
import type { PipelineView } from "../bindings/PipelineView";
import { BLANK_PIPELINE } from "../components/ImportDialog";
import { errorDto, mockBackend, type Handlers } from "../test/backend";
import { detail, planJob } from "../test/fixtures";
import { currentPath, renderApp } from "../test/render";
import { countLines, indentEdit, offsetOf } from "./PipelineEditorView";

const PATH = "/home/dev/src/shop/switchyard.yaml";

const YAML = [
  "jobs:",
  "  build:",
  "    steps:",
  "      - run: make",
  "  test:",
  "    needs: build",
  "    steps:",
  "      - run: make test",
  "",
].join("\n");

/**
 * What the shell would say of a text, in small: a line with `stpes` is a
 * problem (at that word); else every `  name:` line is a job, each needing
 * the one before.
 */
function check(text: string): PipelineView {
  const lines = text.split("\n");
  const diagnostics = lines.flatMap((l, i) => {
    const at = l.indexOf("stpes");
    return at < 0 ? [] : [{ line: i + 1, column: at + 1, message: "unknown key `stpes`; did you mean `steps`?" }];
  });
  if (diagnostics.length > 0) return { state: "invalid", diagnostics, plan: [] };
  const jobs = lines.flatMap((l) => /^ {2}([\w-]+):\s*$/.exec(l)?.[1] ?? []);
  return {
    state: "valid",
    diagnostics: [],
    plan: jobs.map((name, i) => planJob({ name, stage: i + 1, needs: i === 0 ? [] : [jobs[i - 1]] })),
  };
}

function fileOf(text: string, version = "v1"): PipelineFileView {
  return { path: PATH, text, version, pipeline: version === "" ? { state: "missing", diagnostics: [], plan: [] } : check(text) };
}

function backend(handlers: Handlers = {}, text = YAML) {
  return mockBackend({
    project_detail: () => detail(),
    list_runs: () => ({ runs: [], next_before: null }),
    pipeline_file: () => fileOf(text),
    check_pipeline: ({ text: t }) => check(t),
    ...handlers,
  });
}

const textarea = () => screen.getByTestId("pipeline-editor-text") as HTMLTextAreaElement;
const status = () => screen.getByTestId("pipeline-editor-status");
const gutterLines = () =>
  Array.from(screen.getByTestId("pipeline-editor-gutter").querySelectorAll("[data-line]")).map((n) => Number(n.textContent));

/** Types `keys` at the end of the text. */
async function typeAtEnd(user: ReturnType<typeof renderApp>["user"], keys: string) {
  const end = textarea().value.length;
  await user.type(textarea(), keys, { initialSelectionStart: end, initialSelectionEnd: end });
}

describe("countLines, offsetOf, indentEdit", () => {
  it("count lines, find a line and column, and indent a selection", () => {
    expect(countLines("")).toBe(1);
    expect(countLines("a\nb\n")).toBe(3);
    expect(offsetOf("ab\ncde\nf", 2, 2)).toBe(4);
    // A column past the end of its line stays on that line; a line past the end is the end.
    expect(offsetOf("ab\ncde\nf", 1, 40)).toBe(2);
    expect(offsetOf("ab\ncde\nf", 9, 1)).toBe(8);
    expect(indentEdit("ab\ncd", 1, 1)).toEqual({ from: 1, to: 1, insert: "  ", selection: [3, 3] });
    // Lines 1 and 2 of three; the selection ends at the start of line 3, which is left alone.
    expect(indentEdit("ab\ncd\nef", 1, 6)).toEqual({ from: 0, to: 5, insert: "  ab\n  cd", selection: [3, 10] });
  });
});

describe("Pipeline editor", () => {
  it("opens from the project page's Edit pipeline button and shows the file with line numbers", async () => {
    const calls = backend();
    const { user } = renderApp("/projects/shop");
    await user.click(await screen.findByTestId("pipeline-edit"));
    await waitFor(() => expect(currentPath()).toBe("/projects/shop/pipeline"));
    await waitFor(() => expect(textarea()).toHaveValue(YAML));
    expect(calls.argsOf("pipeline_file")).toEqual([{ project: "shop" }]);

    expect(screen.getByRole("heading", { level: 1 })).toHaveTextContent("Edit switchyard.yaml");
    expect(screen.getByTestId("pipeline-editor-path")).toHaveTextContent(PATH);
    expect(screen.getByTestId("pipeline-editor-project")).toHaveAttribute("href", "/projects/shop");
    expect(textarea()).toHaveAccessibleName("switchyard.yaml");
    expect(textarea()).toHaveAttribute("spellcheck", "false");
    expect(gutterLines()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(screen.getByTestId("pipeline-editor-gutter").querySelector("[data-error='true']")).toBeNull();

    // The file as read is valid: no check needed, its jobs previewed, nothing to save.
    expect(status()).toHaveAttribute("data-state", "valid");
    expect(status()).toHaveTextContent("Valid: 2 jobs");
    expect(within(screen.getByTestId("pipeline-editor-graph")).getAllByTestId("pipeline-editor-job")).toHaveLength(2);
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    expect(screen.getByTestId("pipeline-editor-revert")).toBeDisabled();
    expect(calls.argsOf("check_pipeline")).toEqual([]);
    // A page of its project.
    expect(screen.getByTestId("nav-projects")).toHaveAttribute("aria-current", "page");
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Save switchyard.yaml");
  });

  it("opens with e on the project page, also when the pipeline is invalid", async () => {
    backend({
      project_detail: () =>
        detail({ pipeline: { state: "invalid", plan: [], diagnostics: [{ line: 3, column: 5, message: "unknown key `stpes`" }] } }),
    });
    const { user } = renderApp("/projects/shop");
    await screen.findByTestId("pipeline-diagnostic");
    expect(screen.getByTestId("run-button")).toBeDisabled();
    expect(screen.getByTestId("pipeline-edit")).toBeEnabled();
    await user.keyboard("?");
    expect(await screen.findByTestId("shortcuts-dialog")).toHaveTextContent("Edit the pipeline");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("shortcuts-dialog")).toBeNull());
    await user.keyboard("e");
    await waitFor(() => expect(currentPath()).toBe("/projects/shop/pipeline"));
    expect(await screen.findByTestId("pipeline-editor-text")).toHaveValue(YAML);
  });

  it("checks the text once typing stops, shows the problem with its line and disables Save", async () => {
    const calls = backend();
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    const typed = "  lint:{Enter}    stpes: x";
    await typeAtEnd(user, typed);
    const text = `${YAML}  lint:\n    stpes: x`;
    expect(textarea()).toHaveValue(text);
    expect(status()).toHaveAttribute("data-state", "checking");
    expect(status()).toHaveTextContent("Checking…");
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    expect(screen.getByTestId("pipeline-editor-unsaved")).toBeInTheDocument();

    await waitFor(() => expect(status()).toHaveAttribute("data-state", "invalid"));
    expect(status()).toHaveTextContent("1 problem");
    // Checked after the last keystroke, not at each one.
    const checks = calls.argsOf("check_pipeline");
    expect(checks.length).toBeLessThan(10);
    expect(checks.at(-1)).toEqual({ project: "shop", text });
    const problem = screen.getByTestId("pipeline-editor-diagnostic");
    expect(problem).toHaveAttribute("data-line", "10");
    expect(problem).toHaveAttribute("data-column", "5");
    expect(problem).toHaveTextContent("10:5");
    expect(problem).toHaveTextContent("unknown key `stpes`");
    const marked = screen.getByTestId("pipeline-editor-gutter").querySelectorAll("[data-error='true']");
    expect(Array.from(marked).map((n) => n.textContent)).toEqual(["10"]);
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    expect(screen.queryByTestId("pipeline-editor-graph")).toBeNull();
  });

  it("puts the caret on a problem's line and column when it is clicked", async () => {
    backend();
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "  lint:{Enter}    stpes: x");
    const problem = await screen.findByTestId("pipeline-editor-diagnostic");
    act(() => textarea().blur());
    expect(textarea()).not.toHaveFocus();
    await user.click(problem);
    expect(textarea()).toHaveFocus();
    const at = `${YAML}  lint:\n`.length + 4;
    expect(textarea().selectionStart).toBe(at);
    expect(textarea().selectionEnd).toBe(at);
    expect(offsetOf(textarea().value, 10, 5)).toBe(at);
  });

  it("saves a valid edit with its version, says so, and stays on the page", async () => {
    let version = 1;
    const calls = backend({
      save_pipeline: ({ text }) => fileOf(text, `v${++version}`),
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "  lint:{Enter}    steps:{Enter}      - run: make lint{Enter}");
    const text = `${YAML}  lint:\n    steps:\n      - run: make lint\n`;
    await waitFor(() => expect(status()).toHaveAttribute("data-state", "valid"));
    expect(status()).toHaveTextContent("Valid: 3 jobs");
    expect(within(screen.getByTestId("pipeline-editor-graph")).getAllByTestId("pipeline-editor-job")).toHaveLength(3);
    expect(screen.getByTestId("pipeline-editor-save")).toBeEnabled();

    await user.click(screen.getByTestId("pipeline-editor-save"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Saved switchyard.yaml");
    expect(calls.argsOf("save_pipeline")).toEqual([{ project: "shop", text, version: "v1" }]);
    expect(currentPath()).toBe("/projects/shop/pipeline");
    expect(textarea()).toHaveValue(text);
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    expect(screen.getByTestId("pipeline-editor-revert")).toBeDisabled();
    expect(screen.queryByTestId("pipeline-editor-unsaved")).toBeNull();

    // The next save names the version saved; Ctrl+S saves too.
    await typeAtEnd(user, "  docs:{Enter}    steps:{Enter}      - run: make docs{Enter}");
    await waitFor(() => expect(status()).toHaveTextContent("Valid: 4 jobs"));
    await user.keyboard("{Control>}s{/Control}");
    await waitFor(() => expect(calls.argsOf("save_pipeline")).toHaveLength(2));
    expect(calls.argsOf("save_pipeline")[1]).toMatchObject({ project: "shop", version: "v2" });
    await waitFor(() => expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled());
    // Nothing left to save: leaving does not ask.
    await user.click(screen.getByTestId("nav-projects"));
    await waitFor(() => expect(currentPath()).toBe("/projects"));
  });

  it("saves with Ctrl+S without waiting for the check, but not a text known to be invalid", async () => {
    const calls = backend({ save_pipeline: ({ text }) => fileOf(text, "v2") });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "    stpes: x");
    await screen.findByTestId("pipeline-editor-diagnostic");
    await user.keyboard("{Control>}s{/Control}");
    expect(calls.argsOf("save_pipeline")).toEqual([]);

    await user.click(screen.getByTestId("pipeline-editor-revert"));
    await typeAtEnd(user, "# ok");
    expect(status()).toHaveAttribute("data-state", "checking");
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    await user.keyboard("{Control>}s{/Control}");
    expect(await screen.findByTestId("notice")).toHaveTextContent("Saved switchyard.yaml");
    expect(calls.argsOf("save_pipeline")).toEqual([{ project: "shop", text: `${YAML}# ok`, version: "v1" }]);
  });

  it("keeps a file's \\r\\n line breaks when it saves it", async () => {
    const crlf = YAML.replace(/\n/g, "\r\n");
    const calls = backend({ save_pipeline: ({ text }) => fileOf(text, "v2") }, crlf);
    const { user } = renderApp("/projects/shop/pipeline");
    await waitFor(() => expect(textarea()).toHaveValue(YAML));
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    await typeAtEnd(user, "# done");
    await waitFor(() => expect(status()).toHaveAttribute("data-state", "valid"));
    await user.click(screen.getByTestId("pipeline-editor-save"));
    await waitFor(() => expect(calls.argsOf("save_pipeline")).toEqual([{ project: "shop", text: `${crlf}# done`, version: "v1" }]));
    await waitFor(() => expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled());
    expect(textarea()).toHaveValue(`${YAML}# done`);
  });

  it("on a conflict, says the file changed and reloads it from disk only once the user agrees", async () => {
    let disk = YAML;
    const calls = backend({
      pipeline_file: () => fileOf(disk, disk === YAML ? "v1" : "v9"),
      save_pipeline: () => {
        throw errorDto("conflict", `${PATH} changed on disk since it was read; reload it and make your changes again`);
      },
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "# mine");
    await waitFor(() => expect(screen.getByTestId("pipeline-editor-save")).toBeEnabled());
    disk = `${YAML}  lint:\n    steps:\n      - run: lint\n`;
    await user.click(screen.getByTestId("pipeline-editor-save"));

    const error = await screen.findByTestId("pipeline-editor-error");
    expect(error).toHaveAttribute("data-code", "conflict");
    expect(error).toHaveTextContent("changed on disk");
    expect(textarea()).toHaveValue(`${YAML}# mine`);

    // Asked first: keeping on editing keeps the text.
    await user.click(within(error).getByTestId("pipeline-editor-reload"));
    const ask = await screen.findByRole("dialog", { name: "Reload switchyard.yaml from disk?" });
    await user.click(within(ask).getByTestId("pipeline-editor-reload-cancel"));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Reload switchyard.yaml from disk?" })).toBeNull());
    expect(textarea()).toHaveValue(`${YAML}# mine`);
    expect(calls.argsOf("pipeline_file")).toHaveLength(1);

    await user.click(screen.getByTestId("pipeline-editor-reload"));
    await user.click(await screen.findByTestId("pipeline-editor-reload-confirm"));
    await waitFor(() => expect(textarea()).toHaveValue(disk));
    expect(calls.argsOf("pipeline_file")).toHaveLength(2);
    expect(screen.queryByTestId("pipeline-editor-error")).toBeNull();
    expect(status()).toHaveTextContent("Valid: 3 jobs");
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
  });

  it("shows the problems a save was refused for like the live ones", async () => {
    backend({
      save_pipeline: () => {
        throw errorDto("invalid_pipeline", "switchyard.yaml has 1 problem", [{ line: 2, column: 3, message: "job `build` needs itself" }]);
      },
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "# x");
    await waitFor(() => expect(screen.getByTestId("pipeline-editor-save")).toBeEnabled());
    await user.click(screen.getByTestId("pipeline-editor-save"));
    const problem = await screen.findByTestId("pipeline-editor-diagnostic");
    expect(problem).toHaveAttribute("data-line", "2");
    expect(problem).toHaveTextContent("job `build` needs itself");
    expect(status()).toHaveAttribute("data-state", "invalid");
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();
    expect(screen.queryByTestId("pipeline-editor-error")).toBeNull();
  });

  it("shows another save failure where it happened", async () => {
    backend({
      save_pipeline: () => {
        throw errorDto("internal", `cannot write ${PATH}: read-only file system`);
      },
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "# x");
    await waitFor(() => expect(screen.getByTestId("pipeline-editor-save")).toBeEnabled());
    await user.click(screen.getByTestId("pipeline-editor-save"));
    const error = await screen.findByTestId("pipeline-editor-error");
    expect(error).toHaveTextContent("read-only file system");
    expect(within(error).queryByTestId("pipeline-editor-reload")).toBeNull();
    expect(textarea()).toHaveValue(`${YAML}# x`);
  });

  it("drops a check's answer that comes after the answer for a later text", async () => {
    const answers: { text: string; resolve: (v: PipelineView) => void }[] = [];
    backend({
      check_pipeline: ({ text }) => new Promise<PipelineView>((resolve) => answers.push({ text, resolve })),
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "    stpes: x");
    await waitFor(() => expect(answers).toHaveLength(1));
    await user.clear(textarea());
    await user.type(textarea(), "jobs:{Enter}  ok:{Enter}");
    await waitFor(() => expect(answers.at(-1)?.text).toBe("jobs:\n  ok:\n"));
    const [first, last] = [answers[0], answers[answers.length - 1]];
    await act(async () => last.resolve(check(last.text)));
    await act(async () => first.resolve(check(first.text)));
    expect(status()).toHaveAttribute("data-state", "valid");
    expect(status()).toHaveTextContent("Valid: 1 job");
    expect(screen.queryByTestId("pipeline-editor-diagnostic")).toBeNull();
  });

  it("inserts two spaces for Tab, indents selected lines, and leaves Shift+Tab (and Esc, Tab) to move the focus", async () => {
    backend();
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    const at = offsetOf(YAML, 4, 7);
    await user.click(textarea());
    textarea().setSelectionRange(at, at);
    await user.keyboard("{Tab}");
    expect(textarea()).toHaveFocus();
    expect(textarea().value).toBe(`${YAML.slice(0, at)}  ${YAML.slice(at)}`);
    expect(textarea().selectionStart).toBe(at + 2);
    expect(textarea().value).not.toContain("\t");

    // Lines 2 and 3, selected from inside one to inside the other.
    const edited = textarea().value;
    textarea().setSelectionRange(offsetOf(edited, 2, 3), offsetOf(edited, 3, 2));
    await user.keyboard("{Tab}");
    expect(textarea().value.split("\n").slice(1, 4)).toEqual(["    build:", "      steps:", "        - run: make"]);

    const before = textarea().value;
    await user.keyboard("{Shift>}{Tab}{/Shift}");
    expect(textarea()).not.toHaveFocus();
    expect(textarea().value).toBe(before);

    await user.click(textarea());
    await user.keyboard("{Escape}{Tab}");
    expect(textarea()).not.toHaveFocus();
    expect(textarea().value).toBe(before);
  });

  it("reverts to the text last read", async () => {
    const calls = backend();
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "    stpes: x");
    await screen.findByTestId("pipeline-editor-diagnostic");
    await user.click(screen.getByTestId("pipeline-editor-revert"));
    expect(textarea()).toHaveValue(YAML);
    expect(status()).toHaveTextContent("Valid: 2 jobs");
    expect(screen.getByTestId("pipeline-editor-revert")).toBeDisabled();
    expect(screen.queryByTestId("pipeline-editor-diagnostic")).toBeNull();
    expect(calls.argsOf("save_pipeline")).toEqual([]);
  });

  it("asks before leaving with unsaved changes", async () => {
    const calls = backend();
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    await typeAtEnd(user, "# wip");

    await user.click(screen.getByTestId("nav-projects"));
    const ask = await screen.findByRole("dialog", { name: "Discard unsaved changes?" });
    expect(currentPath()).toBe("/projects/shop/pipeline");
    await user.click(within(ask).getByRole("button", { name: "Stay" }));
    await waitFor(() => expect(screen.queryByRole("dialog", { name: "Discard unsaved changes?" })).toBeNull());
    expect(textarea()).toHaveValue(`${YAML}# wip`);

    await user.click(screen.getByTestId("pipeline-editor-project"));
    await user.click(within(await screen.findByRole("dialog", { name: "Discard unsaved changes?" })).getByRole("button", { name: "Discard" }));
    await waitFor(() => expect(currentPath()).toBe("/projects/shop"));
    expect(calls.argsOf("save_pipeline")).toEqual([]);
  });

  it("starts a missing file empty, says saving creates it, and saves it with an empty version", async () => {
    const calls = backend({
      pipeline_file: () => fileOf("", ""),
      save_pipeline: ({ text }) => fileOf(text, "v1"),
    });
    const { user } = renderApp("/projects/shop/pipeline");
    await screen.findByTestId("pipeline-editor-text");
    expect(textarea()).toHaveValue("");
    expect(screen.getByTestId("pipeline-editor-new")).toHaveTextContent("saving creates switchyard.yaml");
    expect(status()).toHaveAttribute("data-state", "missing");
    expect(gutterLines()).toEqual([1]);
    expect(screen.getByTestId("pipeline-editor-save")).toBeDisabled();

    await user.click(screen.getByTestId("pipeline-editor-example"));
    expect(textarea()).toHaveValue(BLANK_PIPELINE);
    await waitFor(() => expect(status()).toHaveTextContent("Valid: 2 jobs"));
    await user.click(screen.getByTestId("pipeline-editor-save"));
    expect(await screen.findByTestId("notice")).toHaveTextContent("Saved switchyard.yaml");
    expect(calls.argsOf("save_pipeline")).toEqual([{ project: "shop", text: BLANK_PIPELINE, version: "" }]);
    expect(screen.queryByTestId("pipeline-editor-new")).toBeNull();
  });

  it("stays light with a 5,000-line file: only the visible line numbers are drawn, and they follow the scroll", async () => {
    const big = `${YAML}${Array.from({ length: 4992 }, (_, i) => `# note ${i + 1}`).join("\n")}`;
    expect(countLines(big)).toBe(5000);
    backend({}, big);
    const { user } = renderApp("/projects/shop/pipeline");
    await waitFor(() => expect(textarea()).toHaveValue(big));
    const gutter = screen.getByTestId("pipeline-editor-gutter");
    expect(gutter).toHaveAttribute("data-lines", "5000");
    expect(gutterLines()[0]).toBe(1);
    expect(gutterLines().length).toBeLessThan(100);

    textarea().scrollTop = 20 * 3000;
    fireEvent.scroll(textarea());
    await waitFor(() => expect(gutterLines()).toContain(3001));
    expect(gutterLines()).not.toContain(1);
    expect(gutterLines().length).toBeLessThan(100);

    // A problem far down is brought into view and marked.
    await typeAtEnd(user, "{Enter}    stpes: x");
    expect(gutter).toHaveAttribute("data-lines", "5001");
    await user.click(await screen.findByTestId("pipeline-editor-diagnostic"));
    // jsdom sends no scroll event for a scroll made by a script, as a browser does.
    fireEvent.scroll(textarea());
    await waitFor(() => expect(gutter.querySelector("[data-line='5001']")).toHaveAttribute("data-error", "true"));
    expect(textarea().scrollTop).toBeGreaterThan(20 * 4900);
    expect(textarea().selectionStart).toBe(offsetOf(textarea().value, 5001, 5));
  });

  it("says when the project does not exist, and offers to try again after another failure", async () => {
    mockBackend({
      pipeline_file: ({ project }) => {
        throw errorDto("not_found", `no project named ${project}; import it first`);
      },
    });
    renderApp("/projects/ghost/pipeline");
    expect(await screen.findByText("No such project")).toBeInTheDocument();
    expect(screen.getByText("no project named ghost; import it first")).toBeInTheDocument();
    expect(screen.queryByRole("button", { name: "Try again" })).toBeNull();
  });

  it("shows why the file could not be opened, and opens it on Try again", async () => {
    let fail = true;
    backend({
      pipeline_file: () => {
        if (fail) throw errorDto("internal", `cannot edit ${PATH}: it is not UTF-8 text; fix its encoding in another editor`);
        return fileOf(YAML);
      },
    });
    const { user } = renderApp("/projects/shop/pipeline");
    expect(await screen.findByText(/it is not UTF-8 text/)).toBeInTheDocument();
    expect(screen.getByText("switchyard.yaml could not be opened")).toBeInTheDocument();
    fail = false;
    await user.click(screen.getByRole("button", { name: "Try again" }));
    expect(await screen.findByTestId("pipeline-editor-text")).toHaveValue(YAML);
  });
});
