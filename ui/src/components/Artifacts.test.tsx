import { screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";

import type { ExportedArtifact } from "../bindings/ExportedArtifact";
import type { RunView } from "../bindings/RunView";
import { errorDto, mockBackend, type Handlers } from "../test/backend";
import { job, run } from "../test/fixtures";
import { renderApp } from "../test/render";

const TARBALL = { path: "dist/shop.tar.gz", size: 1_572_864, sha256: "e".repeat(64) };
const REPORT = { path: "report/index.html", size: 2048, sha256: "b".repeat(64) };

/** Run 12: `package` (job 100) kept the tarball, `test` (job 101) the report; `lint` kept nothing. */
function runWithArtifacts(): RunView {
  return run({
    id: 12,
    jobs: [
      job({ id: 100, name: "package", artifacts: [TARBALL] }),
      job({ id: 101, name: "test", artifacts: [REPORT] }),
      job({ id: 102, name: "lint" }),
    ],
  });
}

function exported(job: string, a: { path: string; size: number; sha256: string }, dest: string): ExportedArtifact {
  return { job, ...a, dest };
}

async function openArtifactsTab(handlers: Handlers = {}, get: () => RunView = runWithArtifacts) {
  const backend = mockBackend({ get_run: get, read_log: () => ({ lines: [], total: 0 }), ...handlers });
  const utils = renderApp("/runs/12");
  await utils.user.click(await screen.findByTestId("tab-artifacts"));
  return { backend, ...utils };
}

function row(path: string): HTMLElement {
  return screen.getAllByTestId("artifact-row").find((r) => r.getAttribute("data-path") === path) as HTMLElement;
}

describe("Run artifacts", () => {
  it("opens an artifact, and shows one in its folder, by its job's id and path", async () => {
    const { backend, user } = await openArtifactsTab({
      open_artifact: ({ path }) => `/home/dev/.local/share/switchyard/open/bbbbbbbbbbbbbbbb/${path.split("/").pop()}`,
    });
    expect(row(REPORT.path)).toHaveAttribute("data-job", "test");
    await user.click(within(row(REPORT.path)).getByTestId("artifact-open"));
    await user.click(within(row(TARBALL.path)).getByTestId("artifact-reveal"));
    await waitFor(() =>
      expect(backend.argsOf("open_artifact")).toEqual([
        { job_id: 101, path: REPORT.path, reveal: false },
        { job_id: 100, path: TARBALL.path, reveal: true },
      ]),
    );
    expect(screen.queryByTestId("artifacts-error")).not.toBeInTheDocument();
  });

  it("shows why an artifact could not be opened", async () => {
    const { user } = await openArtifactsTab({
      open_artifact: () => {
        throw errorDto("internal", "cannot open /x/report/index.html (xdg-open): not found; open it from a file manager instead");
      },
    });
    await user.click(within(row(REPORT.path)).getByTestId("artifact-open"));
    const error = await screen.findByTestId("artifacts-error");
    expect(error).toHaveAttribute("data-code", "internal");
    expect(error).toHaveTextContent("open it from a file manager instead");
  });

  it("saves every artifact to the folder picked and says where", async () => {
    const dir = "/home/dev/out";
    const { backend, user } = await openArtifactsTab({
      "plugin:dialog|open": () => dir,
      save_artifacts: () => [
        exported("package", TARBALL, `${dir}/package/${TARBALL.path}`),
        exported("test", REPORT, `${dir}/test/${REPORT.path}`),
      ],
    });
    await user.click(screen.getByTestId("artifacts-save-all"));
    expect(await screen.findByTestId("notice")).toHaveTextContent(`Saved 2 artifacts to ${dir}`);
    const picker = backend.argsOf("plugin:dialog|open");
    expect(picker).toHaveLength(1);
    expect((picker[0] as { options: { directory: boolean } }).options.directory).toBe(true);
    expect(backend.argsOf("save_artifacts")).toEqual([{ run_id: 12, job: null, dir }]);
  });

  it("saves one job's artifacts", async () => {
    const dir = "/home/dev/out";
    const { backend, user } = await openArtifactsTab({
      "plugin:dialog|open": () => dir,
      save_artifacts: () => [exported("package", TARBALL, `${dir}/${TARBALL.path}`)],
    });
    // One button per job that kept something.
    const buttons = screen.getAllByTestId("artifacts-save-job");
    expect(buttons.map((b) => b.getAttribute("data-job"))).toEqual(["package", "test"]);
    await user.click(buttons[0]);
    expect(await screen.findByTestId("notice")).toHaveTextContent(`Saved 1 artifact to ${dir}`);
    expect(backend.argsOf("save_artifacts")).toEqual([{ run_id: 12, job: "package", dir }]);
  });

  it("offers no per-job save in a run of one job (Save all writes the same)", async () => {
    await openArtifactsTab({}, () => run({ id: 12, jobs: [job({ id: 100, name: "package", artifacts: [TARBALL] })] }));
    expect(screen.getByTestId("artifacts-save-all")).toBeInTheDocument();
    expect(screen.queryByTestId("artifacts-save-job")).not.toBeInTheDocument();
  });

  it("saves nothing when the folder picker is cancelled", async () => {
    const { backend, user } = await openArtifactsTab({ "plugin:dialog|open": () => null, save_artifacts: () => [] });
    await user.click(screen.getByTestId("artifacts-save-all"));
    await waitFor(() => expect(backend.argsOf("plugin:dialog|open")).toHaveLength(1));
    expect(backend.argsOf("save_artifacts")).toEqual([]);
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
  });

  it("shows why the artifacts could not be saved", async () => {
    const message = "/home/dev/out/package/dist/shop.tar.gz exists with other content; choose another folder or overwrite it";
    const { user } = await openArtifactsTab({
      "plugin:dialog|open": () => "/home/dev/out",
      save_artifacts: () => {
        throw errorDto("invalid_input", message);
      },
    });
    await user.click(screen.getByTestId("artifacts-save-all"));
    const error = await screen.findByTestId("artifacts-error");
    expect(error).toHaveAttribute("data-code", "invalid_input");
    expect(error).toHaveTextContent(message);
    expect(screen.queryByTestId("notice")).not.toBeInTheDocument();
    // The buttons are usable again for another folder.
    expect(screen.getByTestId("artifacts-save-all")).toBeEnabled();
  });
});
