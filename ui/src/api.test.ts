import { describe, expect, it, vi } from "vitest";

import * as api from "./api";
import { emitEvent, errorDto, mockBackend } from "./test/backend";

describe("api", () => {
  it("sends each command with its exact name and argument object", async () => {
    const backend = mockBackend();
    for (const cmd of [
      "overview", "list_projects", "inspect_folder", "import_project", "project_detail", "list_runs", "get_run",
      "start_run", "cancel_run", "read_log", "search_log", "save_log", "test_results", "get_settings",
      "update_settings", "pause_notifications", "first_run", "import_demo", "pending_deep_link", "ui_ready",
    ]) {
      backend.handlers[cmd] = () => null;
    }
    const s = {
      theme: "dark" as const, notifyOnFailure: true, notifyOnFixed: false, closeToTray: true, notificationsPausedUntil: null,
      dataDir: "/d", configFile: "/d/config.toml", configProblem: null,
    };

    await api.overview();
    await api.listProjects();
    await api.inspectFolder("/src/shop");
    await api.importProject("/src/shop", "jobs: {}\n");
    await api.importProject("/src/other", null);
    await api.projectDetail("shop");
    await api.listRuns({ project: "shop", status: "failed", branch: "main", before: 120, limit: 50 });
    await api.getRun(7);
    await api.startRun("shop", ["build", "test"], true);
    await api.cancelRun(7);
    await api.readLog(3, 1001, 1000);
    await api.readLog(3, 1, 99_999);
    await api.searchLog(3, "error", 10, true);
    await api.saveLog(3, "/tmp/x.log");
    await api.testResults(3);
    await api.getSettings();
    await api.updateSettings(s);
    await api.pauseNotifications(60);
    await api.firstRun();
    await api.importDemo();
    await api.pendingDeepLink();
    await api.uiReady();

    expect(backend.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["overview", {}],
      ["list_projects", {}],
      ["inspect_folder", { path: "/src/shop" }],
      ["import_project", { path: "/src/shop", pipelineYaml: "jobs: {}\n" }],
      ["import_project", { path: "/src/other", pipelineYaml: null }],
      ["project_detail", { name: "shop" }],
      ["list_runs", { project: "shop", status: "failed", branch: "main", before: 120, limit: 50 }],
      ["get_run", { id: 7 }],
      ["start_run", { project: "shop", jobs: ["build", "test"], inPlace: true }],
      ["cancel_run", { id: 7 }],
      ["read_log", { jobId: 3, from: 1001, count: 1000 }],
      ["read_log", { jobId: 3, from: 1, count: 5000 }],
      ["search_log", { jobId: 3, query: "error", from: 10, backwards: true }],
      ["save_log", { jobId: 3, path: "/tmp/x.log" }],
      ["test_results", { jobId: 3 }],
      ["get_settings", {}],
      ["update_settings", { settings: s }],
      ["pause_notifications", { minutes: 60 }],
      ["first_run", {}],
      ["import_demo", {}],
      ["pending_deep_link", {}],
      ["ui_ready", {}],
    ]);
  });

  it("rejects with the shell's ErrorDto, and wraps anything else as internal", async () => {
    const backend = mockBackend({
      get_run: () => {
        throw errorDto("not_found", "no run with id 7", []);
      },
      overview: () => {
        throw "database is locked";
      },
    });
    await expect(api.getRun(7)).rejects.toEqual({ code: "not_found", message: "no run with id 7", diagnostics: [] });
    await expect(api.overview()).rejects.toEqual({ code: "internal", message: "database is locked", diagnostics: [] });
    expect(backend.commands()).toEqual(["get_run", "overview"]);
  });

  it("uses the dialog plugin for the folder picker and the save dialog", async () => {
    const backend = mockBackend({
      "plugin:dialog|open": () => "/home/dev/shop",
      "plugin:dialog|save": () => "/home/dev/shop.log",
    });
    await expect(api.pickFolder()).resolves.toBe("/home/dev/shop");
    await expect(api.pickLogSavePath("shop.log")).resolves.toBe("/home/dev/shop.log");
    const open = backend.argsOf("plugin:dialog|open")[0] as { options: { directory: boolean } };
    expect(open.options.directory).toBe(true);
  });

  it("listens to the exact event names", async () => {
    mockBackend();
    const runs = vi.fn();
    const runEvents = vi.fn();
    const logs = vi.fn();
    const links = vi.fn();
    const nav = vi.fn();
    const unlisten = await Promise.all([
      api.onRuns(runs),
      api.onRunEvent(12, runEvents),
      api.onLog(34, logs),
      api.onDeepLink(links),
      api.onNavigate(nav),
    ]);
    await emitEvent("switchyard://runs", { id: 1 });
    await emitEvent("switchyard://run/12", { kind: "run", runId: 12, status: "running" });
    await emitEvent("switchyard://run/13", { kind: "run", runId: 13, status: "running" });
    await emitEvent("switchyard://log/34", { runId: 12, jobId: 34, lines: [] });
    await emitEvent("switchyard://deep-link", { kind: "run", id: 5 });
    await emitEvent("switchyard://navigate", { route: "/settings" });
    expect(runs).toHaveBeenCalledWith({ id: 1 });
    expect(runEvents).toHaveBeenCalledTimes(1);
    expect(runEvents).toHaveBeenCalledWith({ kind: "run", runId: 12, status: "running" });
    expect(logs).toHaveBeenCalledWith({ runId: 12, jobId: 34, lines: [] });
    expect(links).toHaveBeenCalledWith({ kind: "run", id: 5 });
    expect(nav).toHaveBeenCalledWith({ route: "/settings" });
    unlisten.forEach((u) => u());
    await emitEvent("switchyard://runs", { id: 2 });
    expect(runs).toHaveBeenCalledTimes(1);
  });
});
