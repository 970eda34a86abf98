import { describe, expect, it, vi } from "vitest";

import * as api from "./api";
import { emitEvent, errorDto, mockBackend } from "./test/backend";
import { logLine, settings, summary } from "./test/fixtures";

describe("api", () => {
  it("sends each command with its exact name and argument object", async () => {
    const backend = mockBackend();
    for (const cmd of [
      "overview", "list_projects", "inspect_folder", "import_project", "project_detail", "pipeline_file", "check_pipeline", "save_pipeline", "list_runs", "get_run",
      "start_run", "rerun", "save_artifacts", "open_artifact", "remove_project", "cancel_run", "decide_job", "read_log", "search_log", "save_log", "test_results", "get_settings",
      "update_settings", "pause_notifications", "first_run", "import_demo", "pending_deep_link", "ui_ready",
    ]) {
      backend.handlers[cmd] = () => null;
    }
    const s = {
      theme: "dark" as const, notify_on_failure: true, notify_on_fixed: false, close_to_tray: true, notifications_paused_until: null,
      data_dir: "/d", config_file: "/d/config.toml", config_problem: null, local_concurrency: 4, cpus: 16,
    };

    await api.overview();
    await api.listProjects();
    await api.inspectFolder("/src/shop");
    await api.importProject("/src/shop", "jobs: {}\n");
    await api.importProject("/src/other", null);
    await api.projectDetail("shop");
    await api.pipelineFile("shop");
    await api.checkPipeline("shop", "jobs: {}\n");
    await api.savePipeline("shop", "jobs: {}\n", "");
    await api.listRuns({ project: "shop", status: "failed", branch: "main", before: 120, limit: 50 });
    await api.getRun(7);
    await api.startRun("shop", ["build", "test"], true, false, 2);
    await api.startRun("shop", [], false, true, null);
    await api.rerun(7, "same");
    await api.rerun(7, "failed");
    await api.rerun(7, { job: "test" });
    await api.saveArtifacts(7, null, "/home/dev/out");
    await api.saveArtifacts(7, "package", "/home/dev/out");
    await api.openArtifact(30, "dist/shop.tar.gz", false);
    await api.openArtifact(30, "dist/shop.tar.gz", true);
    await api.removeProject("shop", false);
    await api.removeProject("old", true);
    await api.cancelRun(7);
    await api.decideJob(7, "release", true, "looks good");
    await api.decideJob(7, "release", false, null);
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
      ["import_project", { path: "/src/shop", pipeline_yaml: "jobs: {}\n" }],
      ["import_project", { path: "/src/other", pipeline_yaml: null }],
      ["project_detail", { name: "shop" }],
      ["pipeline_file", { project: "shop" }],
      ["check_pipeline", { project: "shop", text: "jobs: {}\n" }],
      ["save_pipeline", { project: "shop", text: "jobs: {}\n", version: "" }],
      ["list_runs", { project: "shop", status: "failed", branch: "main", before: 120, limit: 50 }],
      ["get_run", { id: 7 }],
      ["start_run", { project: "shop", jobs: ["build", "test"], in_place: true, from_link: false, parallelism: 2, target: null }],
      ["start_run", { project: "shop", jobs: [], in_place: false, from_link: true, parallelism: null, target: null }],
      ["rerun", { run_id: 7, mode: "same", job: null }],
      ["rerun", { run_id: 7, mode: "failed", job: null }],
      ["rerun", { run_id: 7, mode: "job", job: "test" }],
      ["save_artifacts", { run_id: 7, job: null, dir: "/home/dev/out" }],
      ["save_artifacts", { run_id: 7, job: "package", dir: "/home/dev/out" }],
      ["open_artifact", { job_id: 30, path: "dist/shop.tar.gz", reveal: false }],
      ["open_artifact", { job_id: 30, path: "dist/shop.tar.gz", reveal: true }],
      ["remove_project", { name: "shop", delete_history: false }],
      ["remove_project", { name: "old", delete_history: true }],
      ["cancel_run", { id: 7 }],
      ["decide_job", { run_id: 7, job: "release", approved: true, comment: "looks good" }],
      ["decide_job", { run_id: 7, job: "release", approved: false, comment: null }],
      ["read_log", { job_id: 3, from: 1001, count: 1000 }],
      ["read_log", { job_id: 3, from: 1, count: 5000 }],
      ["search_log", { job_id: 3, query: "error", from: 10, backwards: true }],
      ["save_log", { job_id: 3, path: "/tmp/x.log" }],
      ["test_results", { job_id: 3 }],
      ["get_settings", {}],
      ["update_settings", { settings: s }],
      ["pause_notifications", { minutes: 60 }],
      ["first_run", {}],
      ["import_demo", {}],
      ["pending_deep_link", {}],
      ["ui_ready", {}],
    ]);
  });

  it("sends the metrics commands with their exact argument objects", async () => {
    const backend = mockBackend();
    for (const cmd of ["list_sources", "add_source", "remove_source", "check_sources", "live_chart", "export_chart"]) {
      backend.handlers[cmd] = () => null;
    }
    const request = {
      source: null, query: "up", range_secs: 3600, step_secs: null, width: 800, height: 360, unit: "si", area: false,
    };
    await api.listSources();
    await api.addSource("prom", "http://localhost:9090", true, null);
    await api.addSource("prod", "https://prom.example.com", false, "t0ken");
    await api.removeSource("prod");
    await api.checkSources();
    await api.liveChart(request);
    await api.exportChart(request, "/home/dev/up.svg");
    expect(backend.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["list_sources", {}],
      ["add_source", { name: "prom", url: "http://localhost:9090", default: true, token: null }],
      ["add_source", { name: "prod", url: "https://prom.example.com", default: false, token: "t0ken" }],
      ["remove_source", { name: "prod" }],
      ["check_sources", {}],
      ["live_chart", { request }],
      ["export_chart", { request, path: "/home/dev/up.svg" }],
    ]);
  });

  it("sends the targets commands with their exact argument objects", async () => {
    const backend = mockBackend();
    for (const cmd of ["list_targets", "kube_contexts", "add_target", "remove_target", "check_targets"]) {
      backend.handlers[cmd] = () => null;
    }
    await api.listTargets();
    await api.kubeContexts(null);
    await api.kubeContexts("/home/dev/.kube/gke.yaml");
    await api.addTarget({ name: "prod", context: "prod-admin", kubeconfig: null, namespace: "ci", environment: "production" });
    await api.removeTarget("prod");
    await api.checkTargets([]);
    await api.checkTargets(["prod", "staging"]);
    expect(backend.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["list_targets", {}],
      ["kube_contexts", { kubeconfig: null }],
      ["kube_contexts", { kubeconfig: "/home/dev/.kube/gke.yaml" }],
      ["add_target", { name: "prod", context: "prod-admin", kubeconfig: null, namespace: "ci", environment: "production" }],
      ["remove_target", { name: "prod" }],
      ["check_targets", { names: [] }],
      ["check_targets", { names: ["prod", "staging"] }],
    ]);
  });

  it("sends the alerts commands with their exact argument objects", async () => {
    const backend = mockBackend();
    for (const cmd of ["alerts_view", "evaluate_alerts", "silence_alert", "acknowledge_incident"]) {
      backend.handlers[cmd] = () => null;
    }
    await api.alertsView();
    await api.evaluateAlerts();
    await api.silenceAlert(12, 60);
    await api.acknowledgeIncident(7);
    expect(backend.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["alerts_view", {}],
      ["evaluate_alerts", {}],
      ["silence_alert", { id: 12, minutes: 60 }],
      ["acknowledge_incident", { id: 7 }],
    ]);
    expect(api.SILENCE_MAX_MINUTES).toBe(10080);
  });

  it("sends the deployments commands with their exact argument objects", async () => {
    const backend = mockBackend();
    for (const cmd of ["list_deployments", "deployment_detail", "decide_deployment", "deployment_stats"]) {
      backend.handlers[cmd] = () => null;
    }
    await api.listDeployments(null, null, 100);
    await api.listDeployments("web", "staging", 5);
    await api.deploymentDetail(7);
    await api.decideDeployment(7, true, null);
    await api.decideDeployment(7, false, "too slow");
    await api.deploymentStats("production", 30);
    expect(backend.calls.map((c) => [c.cmd, c.args])).toEqual([
      ["list_deployments", { app: null, environment: null, limit: 100 }],
      ["list_deployments", { app: "web", environment: "staging", limit: 5 }],
      ["deployment_detail", { id: 7 }],
      ["decide_deployment", { id: 7, go_on: true, comment: null }],
      ["decide_deployment", { id: 7, go_on: false, comment: "too slow" }],
      ["deployment_stats", { environment: "production", app: null, days: 30 }],
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

  it("knows every error code of the contract, and no other", () => {
    for (const code of ["not_found", "invalid_input", "invalid_pipeline", "conflict", "already_finished", "source_unavailable", "internal"]) {
      expect(api.isErrorDto({ code, message: "m", diagnostics: [] })).toBe(true);
    }
    expect(api.isErrorDto({ code: "not_a_code", message: "m", diagnostics: [] })).toBe(false);
    expect(api.toErrorDto({ code: "conflict", message: "decided by someone else just now" })).toEqual({
      code: "conflict",
      message: "decided by someone else just now",
      diagnostics: [],
    });
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
    await expect(api.pickKubeconfig()).resolves.toBe("/home/dev/shop");
    const file = backend.argsOf("plugin:dialog|open")[1] as { options: { directory: boolean } };
    expect(file.options.directory).toBe(false);
  });

  it("listens to the exact event names", async () => {
    mockBackend();
    const runs = vi.fn();
    const runEvents = vi.fn();
    const logs = vi.fn();
    const projects = vi.fn();
    const links = vi.fn();
    const nav = vi.fn();
    const settingsChanged = vi.fn();
    const alertsChanged = vi.fn();
    const unlisten = await Promise.all([
      api.onRuns(runs),
      api.onRunEvent(12, runEvents),
      api.onLog(34, logs),
      api.onProjects(projects),
      api.onDeepLink(links),
      api.onNavigate(nav),
      api.onSettings(settingsChanged),
      api.onAlerts(alertsChanged),
    ]);
    const run1 = summary({ id: 1 });
    const append = { run_id: 12, job_id: 34, total: 1, lines: [logLine(1)] };
    await emitEvent("switchyard://runs", run1);
    await emitEvent("switchyard://run/12", { kind: "run", run_id: 12, status: "running" });
    await emitEvent("switchyard://run/13", { kind: "run", run_id: 13, status: "running" });
    await emitEvent("switchyard://log/34", append);
    await emitEvent("switchyard://log/35", { ...append, job_id: 35 });
    await emitEvent("switchyard://projects", { name: "shop" });
    await emitEvent("switchyard://deep-link", { kind: "run", id: 5 });
    await emitEvent("switchyard://navigate", { route: "/settings" });
    await emitEvent("switchyard://settings", settings({ theme: "dark" }));
    await emitEvent("switchyard://alerts", { opened: [3] });
    expect(runs).toHaveBeenCalledWith(run1);
    expect(runEvents).toHaveBeenCalledTimes(1);
    expect(runEvents).toHaveBeenCalledWith({ kind: "run", run_id: 12, status: "running" });
    expect(logs).toHaveBeenCalledTimes(1);
    expect(logs).toHaveBeenCalledWith(append);
    expect(projects).toHaveBeenCalledWith({ name: "shop" });
    expect(links).toHaveBeenCalledWith({ kind: "run", id: 5 });
    expect(nav).toHaveBeenCalledWith({ route: "/settings" });
    expect(settingsChanged).toHaveBeenCalledWith(settings({ theme: "dark" }));
    expect(alertsChanged).toHaveBeenCalledWith({ opened: [3] });
    unlisten.forEach((u) => u());
    await emitEvent("switchyard://runs", summary({ id: 2 }));
    expect(runs).toHaveBeenCalledTimes(1);
  });

  it("fills in the id of an event's name from the contract", () => {
    expect(api.eventName("runs")).toBe("switchyard://runs");
    expect(api.eventName("run", 12)).toBe("switchyard://run/12");
    expect(api.eventName("log", 34)).toBe("switchyard://log/34");
    expect(api.eventName("projects")).toBe("switchyard://projects");
    expect(api.eventName("alerts")).toBe("switchyard://alerts");
  });
});
