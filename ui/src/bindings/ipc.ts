// Generated from src-tauri/src/commands.rs and src-tauri/src/ipc.rs by
// `cargo test -p switchyard-desktop`; do not edit by hand.

import type { AlertsChangedDto } from "./AlertsChangedDto";
import type { AlertsView } from "./AlertsView";
import type { ChartDto } from "./ChartDto";
import type { ChartRequestDto } from "./ChartRequestDto";
import type { DashboardDto } from "./DashboardDto";
import type { DashboardRequestDto } from "./DashboardRequestDto";
import type { DeepLinkDto } from "./DeepLinkDto";
import type { DeploymentDetailDto } from "./DeploymentDetailDto";
import type { DeploymentRecord } from "./DeploymentRecord";
import type { DoraView } from "./DoraView";
import type { ErrorCode } from "./ErrorCode";
import type { ExportedArtifact } from "./ExportedArtifact";
import type { FirstRunDto } from "./FirstRunDto";
import type { FolderView } from "./FolderView";
import type { KubeContextDto } from "./KubeContextDto";
import type { LogAppendDto } from "./LogAppendDto";
import type { LogFilter } from "./LogFilter";
import type { LogMatchCount } from "./LogMatchCount";
import type { LogPage } from "./LogPage";
import type { LogSection } from "./LogSection";
import type { NavigateDto } from "./NavigateDto";
import type { OverviewView } from "./OverviewView";
import type { PanelChartDto } from "./PanelChartDto";
import type { PipelineFileView } from "./PipelineFileView";
import type { PipelineView } from "./PipelineView";
import type { ProjectDetailView } from "./ProjectDetailView";
import type { ProjectView } from "./ProjectView";
import type { ProjectsChangedDto } from "./ProjectsChangedDto";
import type { RemovedProject } from "./RemovedProject";
import type { RunEventDto } from "./RunEventDto";
import type { RunPage } from "./RunPage";
import type { RunStatus } from "./RunStatus";
import type { RunSummaryView } from "./RunSummaryView";
import type { RunView } from "./RunView";
import type { SecretView } from "./SecretView";
import type { SettingsDto } from "./SettingsDto";
import type { SourceCheckDto } from "./SourceCheckDto";
import type { SourceDto } from "./SourceDto";
import type { StatsView } from "./StatsView";
import type { TargetCheckDto } from "./TargetCheckDto";
import type { TargetDto } from "./TargetDto";
import type { TestOutcomeView } from "./TestOutcomeView";
import type { TestResultRecord } from "./TestResultRecord";

/** Every command: its arguments and its result. */
export interface Commands {
  overview: { args: Record<string, never>; result: OverviewView };
  list_projects: { args: Record<string, never>; result: Array<ProjectView> };
  inspect_folder: { args: { path: string }; result: FolderView };
  import_project: { args: { path: string; pipeline_yaml: string | null }; result: ProjectView };
  project_detail: { args: { name: string }; result: ProjectDetailView };
  pipeline_file: { args: { project: string }; result: PipelineFileView };
  check_pipeline: { args: { project: string; text: string }; result: PipelineView };
  save_pipeline: { args: { project: string; text: string; version: string }; result: PipelineFileView };
  list_runs: { args: { project: string | null; status: RunStatus | null; branch: string | null; before: number | null; limit: number }; result: RunPage };
  get_run: { args: { id: number }; result: RunView };
  start_run: { args: { project: string; jobs: Array<string>; in_place: boolean; from_link: boolean; parallelism: number | null; target: string | null }; result: number };
  rerun: { args: { run_id: number; mode: string; job: string | null }; result: number };
  save_artifacts: { args: { run_id: number; job: string | null; dir: string }; result: Array<ExportedArtifact> };
  open_artifact: { args: { job_id: number; path: string; reveal: boolean }; result: string };
  remove_project: { args: { name: string; delete_history: boolean }; result: RemovedProject };
  cancel_run: { args: { id: number }; result: null };
  decide_job: { args: { run_id: number; job: string; approved: boolean; comment: string | null }; result: null };
  read_log: { args: { job_id: number; from: number; count: number }; result: LogPage };
  search_log: { args: { job_id: number; query: string; from: number; backwards: boolean }; result: number | null };
  count_log_matches: { args: { job_id: number; query: string; at: number }; result: LogMatchCount };
  filter_log: { args: { job_id: number; query: string }; result: LogFilter };
  log_sections: { args: { job_id: number; from: number }; result: Array<LogSection> };
  test_history: { args: { job_id: number; classname: string | null; name: string; limit: number }; result: Array<TestOutcomeView> };
  save_log: { args: { job_id: number; path: string }; result: null };
  test_results: { args: { job_id: number }; result: Array<TestResultRecord> };
  get_settings: { args: Record<string, never>; result: SettingsDto };
  update_settings: { args: { settings: SettingsDto }; result: SettingsDto };
  pause_notifications: { args: { minutes: number }; result: SettingsDto };
  first_run: { args: Record<string, never>; result: FirstRunDto };
  import_demo: { args: Record<string, never>; result: ProjectView };
  pending_deep_link: { args: Record<string, never>; result: DeepLinkDto | null };
  ui_ready: { args: Record<string, never>; result: null };
  list_secrets: { args: Record<string, never>; result: Array<SecretView> };
  set_secret: { args: { name: string; project: string | null; value: string }; result: SecretView };
  remove_secret: { args: { name: string; project: string | null }; result: boolean };
  list_targets: { args: Record<string, never>; result: Array<TargetDto> };
  kube_contexts: { args: { kubeconfig: string | null }; result: Array<KubeContextDto> };
  add_target: { args: { name: string; context: string; kubeconfig: string | null; namespace: string | null; environment: string | null }; result: TargetDto };
  remove_target: { args: { name: string }; result: boolean };
  check_targets: { args: { names: Array<string> }; result: Array<TargetCheckDto> };
  list_sources: { args: Record<string, never>; result: Array<SourceDto> };
  add_source: { args: { name: string; url: string; default: boolean; token: string | null }; result: SourceDto };
  remove_source: { args: { name: string }; result: boolean };
  check_sources: { args: Record<string, never>; result: Array<SourceCheckDto> };
  live_chart: { args: { request: ChartRequestDto }; result: ChartDto };
  export_chart: { args: { request: ChartRequestDto; path: string }; result: string };
  list_deployments: { args: { app: string | null; environment: string | null; limit: number }; result: Array<DeploymentRecord> };
  deployment_detail: { args: { id: number }; result: DeploymentDetailDto };
  decide_deployment: { args: { id: number; go_on: boolean; comment: string | null }; result: string };
  deployment_stats: { args: { environment: string; app: string | null; days: number }; result: DoraView };
  alerts_view: { args: Record<string, never>; result: AlertsView };
  evaluate_alerts: { args: Record<string, never>; result: AlertsView };
  silence_alert: { args: { id: number; minutes: number }; result: boolean };
  acknowledge_incident: { args: { id: number }; result: boolean };
  delivery_stats: { args: { project: string | null; days: number }; result: StatsView };
  export_report: { args: { project: string | null; days: number; path: string }; result: null };
  list_dashboards: { args: Record<string, never>; result: Array<DashboardDto> };
  dashboard_charts: { args: { request: DashboardRequestDto }; result: Array<PanelChartDto> };
  export_dashboard: { args: { request: DashboardRequestDto; path: string }; result: string };
}

/** Every error code a command can reject with. */
export const ERROR_CODES: readonly ErrorCode[] = [
  "not_found",
  "invalid_input",
  "invalid_pipeline",
  "conflict",
  "already_finished",
  "missing_secret",
  "secret_store",
  "source_unavailable",
  "internal",
];

/** Every event's name (`{id}`, `{job_id}`: filled in). */
export const EVENT_NAMES = {
  runs: "switchyard://runs",
  run: "switchyard://run/{id}",
  log: "switchyard://log/{job_id}",
  projects: "switchyard://projects",
  deep_link: "switchyard://deep-link",
  navigate: "switchyard://navigate",
  settings: "switchyard://settings",
  alerts: "switchyard://alerts",
} as const;

/** Every event's payload. */
export interface EventPayloads {
  runs: RunSummaryView;
  run: RunEventDto;
  log: LogAppendDto;
  projects: ProjectsChangedDto;
  deep_link: DeepLinkDto;
  navigate: NavigateDto;
  settings: SettingsDto;
  alerts: AlertsChangedDto;
}
