import type { FolderDto } from "../bindings/FolderDto";
import type { JobDto } from "../bindings/JobDto";
import type { LogLineDto } from "../bindings/LogLineDto";
import type { ProjectDetailDto } from "../bindings/ProjectDetailDto";
import type { ProjectDto } from "../bindings/ProjectDto";
import type { RunDto } from "../bindings/RunDto";
import type { RunSummaryDto } from "../bindings/RunSummaryDto";
import type { SettingsDto } from "../bindings/SettingsDto";

export const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);

export function summary(partial: Partial<RunSummaryDto> = {}): RunSummaryDto {
  return {
    id: 1,
    project: "shop",
    status: "succeeded",
    commit: "0123456789abcdef0123456789abcdef01234567",
    branch: "main",
    dirty: false,
    createdAt: NOW - 120_000,
    startedAt: NOW - 110_000,
    finishedAt: NOW - 50_000,
    durationMs: 60_000,
    ...partial,
  };
}

export function job(partial: Partial<JobDto> = {}): JobDto {
  return {
    id: 10,
    name: "build",
    status: "succeeded",
    runner: "local",
    needs: [],
    attempts: 1,
    reason: null,
    warnings: [],
    startedAt: NOW - 100_000,
    finishedAt: NOW - 60_000,
    durationMs: 40_000,
    steps: [],
    tests: { passed: 0, failed: 0, skipped: 0 },
    artifacts: [],
    ...partial,
  };
}

export function run(partial: Partial<RunDto> = {}): RunDto {
  return { summary: summary(), error: null, jobs: [job()], ...partial };
}

export function project(partial: Partial<ProjectDto> = {}): ProjectDto {
  return {
    name: "shop",
    path: "/home/dev/src/shop",
    remote: "git@example.invalid:dev/shop.git",
    importedAt: NOW - 86_400_000,
    lastRun: summary(),
    ...partial,
  };
}

export function settings(partial: Partial<SettingsDto> = {}): SettingsDto {
  return {
    theme: "system",
    notifyOnFailure: true,
    notifyOnFixed: true,
    closeToTray: false,
    notificationsPausedUntil: null,
    dataDir: "/home/dev/.local/share/switchyard",
    configFile: "/home/dev/.config/switchyard/config.toml",
    configProblem: null,
    ...partial,
  };
}

export function folder(partial: Partial<FolderDto> = {}): FolderDto {
  return {
    path: "/home/dev/src/shop",
    name: "shop",
    git: {
      branch: "main",
      remote: "git@example.invalid:dev/shop.git",
      dirty: true,
      commits: [
        { id: "aaaaaaaa11111111", summary: "Add checkout", author: "Ada", time: NOW - 3_600_000 },
        { id: "bbbbbbbb22222222", summary: "Fix cart totals", author: "Grace", time: NOW - 7_200_000 },
      ],
    },
    pipeline: {
      state: "valid",
      diagnostics: [],
      plan: [
        { name: "build", needs: [], stage: 1, runner: "local", condition: "success", steps: ["compile"] },
        { name: "test", needs: ["build"], stage: 2, runner: "local", condition: "success", steps: ["unit", "e2e"] },
      ],
    },
    starter: null,
    importedAs: null,
    ...partial,
  };
}

export function detail(partial: Partial<ProjectDetailDto> = {}): ProjectDetailDto {
  const f = folder();
  return {
    project: project(),
    git: f.git,
    pipeline: f.pipeline,
    branches: ["main", "feature/cart"],
    ...partial,
  };
}

export function logLine(n: number, text = `line ${n}`, partial: Partial<LogLineDto> = {}): LogLineDto {
  return { number: n, ts: NOW + n, stream: "stdout", step: 0, attempt: 1, text, ...partial };
}
