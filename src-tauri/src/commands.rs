//! The IPC commands: each a few lines over an engine use case (see
//! docs/desktop-ipc.md). Declared through [`crate::ipc::commands!`], which
//! also writes their TypeScript signatures.
//!
//! What only the window can get wrong is checked here: paths must be
//! absolute, counts and texts are bounded.

use std::path::{Path, PathBuf};

use switchyard_engine::analytics::StatsView;
use switchyard_engine::deploy::DeploymentRecord;
use switchyard_engine::deploy::dora::DoraView;
use switchyard_engine::logs::{LogFilter, LogPage, LogSection};
use switchyard_engine::secrets::SecretScope;
use switchyard_engine::status::RunStatus;
use switchyard_engine::store::TestResultRecord;
use switchyard_engine::usecases::RunQuery;
use switchyard_engine::views::*;
use switchyard_engine::{RerunMode, RunOptions, Trigger};

use crate::dto::*;
use crate::error::{ErrorCode, ErrorDto};
use crate::ipc::{commands, ts_named};
use crate::settings;

ts_named!(
    DeploymentRecord,
    DoraView,
    DeploymentDetailDto,
    OverviewView,
    ProjectView,
    FolderView,
    ProjectDetailView,
    PipelineFileView,
    PipelineView,
    RunPage,
    RunView,
    RunStatus,
    LogPage,
    LogFilter,
    LogSection,
    TestResultRecord,
    SettingsDto,
    FirstRunDto,
    DeepLinkDto,
    RunSummaryView,
    RunEventDto,
    LogAppendDto,
    ProjectsChangedDto,
    NavigateDto,
    SecretView,
    ExportedArtifact,
    RemovedProject,
    LogMatchCount,
    TestOutcomeView,
    SourceDto,
    SourceCheckDto,
    TargetDto,
    TargetCheckDto,
    KubeContextDto,
    ChartRequestDto,
    ChartDto,
    AlertsView,
    AlertsChangedDto,
    StatsView,
    DashboardDto,
    DashboardRequestDto,
    PanelChartDto,
);

/// Resolves a dashboard request: a custom dashboard, or an app's default.
fn dashboard_of(
    state: &crate::state::AppState,
    r: &DashboardRequestDto,
) -> Result<switchyard_monitoring::dashboards::Dashboard, ErrorDto> {
    use switchyard_monitoring::dashboards;
    match (&r.name, &r.app) {
        (Some(name), _) => Ok(dashboards::named(&state.engine, name)?),
        (None, Some(app)) => {
            let config = state.engine.config();
            let target = match &r.target {
                Some(t) => Some(
                    config
                        .targets
                        .get(t)
                        .ok_or_else(|| ErrorDto::invalid(format!("no target named {t}")))?
                        .clone(),
                ),
                None => None,
            };
            let ns = target
                .as_ref()
                .and_then(|t| t.namespace.clone())
                .or_else(|| r.namespace.clone())
                .unwrap_or_else(|| "default".into());
            let mut d = dashboards::default_for(app, &ns);
            d.source = target.and_then(|t| t.prometheus);
            Ok(d)
        }
        (None, None) => Err(ErrorDto::invalid(
            "name a dashboard, or an app for its default one",
        )),
    }
}

/// Longest window of delivery figures, in days.
const MAX_STATS_DAYS: u32 = 3650;

fn stats_query(
    project: Option<String>,
    days: u32,
) -> Result<switchyard_engine::analytics::StatsQuery, ErrorDto> {
    if days == 0 || days > MAX_STATS_DAYS {
        return Err(ErrorDto::invalid(format!(
            "a window of 1 to {MAX_STATS_DAYS} days"
        )));
    }
    let until = now_ms() + 1;
    Ok(switchyard_engine::analytics::StatsQuery {
        project,
        since: until - i64::from(days) * 86_400_000,
        until,
    })
}

/// Longest PromQL accepted from the window.
const MAX_PROMQL: usize = 10_000;

fn chart_request(r: &ChartRequestDto) -> Result<switchyard_monitoring::ChartRequest, ErrorDto> {
    if r.query.trim().is_empty() || r.query.len() > MAX_PROMQL {
        return Err(ErrorDto::invalid(format!(
            "write a PromQL query of at most {MAX_PROMQL} characters"
        )));
    }
    let unit = r.unit.parse().map_err(ErrorDto::invalid)?;
    Ok(switchyard_monitoring::ChartRequest {
        source: r.source.clone(),
        query: r.query.clone(),
        range_ms: i64::from(r.range_secs) * 1000,
        step_ms: r.step_secs.map(|s| i64::from(s) * 1000),
        width: r.width.clamp(200, 4000),
        height: r.height.clamp(120, 2000),
        unit,
        kind: if r.area {
            switchyard_monitoring::chart::ChartKind::Area
        } else {
            switchyard_monitoring::chart::ChartKind::Line
        },
        title: String::new(),
    })
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

/// Longest comment on a decision.
const MAX_COMMENT: usize = 2000;
/// Most jobs at once a run may ask for.
const MAX_PARALLELISM: u32 = 1024;
/// Longest search text.
const MAX_QUERY: usize = 1000;
/// Longest pause of notifications, in minutes (a week).
const MAX_PAUSE_MINUTES: u32 = 7 * 24 * 60;

fn absolute(path: &str) -> Result<PathBuf, ErrorDto> {
    let p = Path::new(path);
    if path.is_empty() || !p.is_absolute() {
        return Err(ErrorDto::invalid(format!("`{path}` is not an absolute path")));
    }
    Ok(p.to_path_buf())
}

fn internal(e: impl std::fmt::Display) -> ErrorDto {
    ErrorDto::new(ErrorCode::Internal, e.to_string())
}

commands! {
    /// The Overview view.
    fn overview(state) -> OverviewView {
        Ok(state.engine.overview().await?)
    }

    /// Every project with its last run.
    fn list_projects(state) -> Vec<ProjectView> {
        Ok(state.engine.project_views().await?)
    }

    /// What a folder holds, before importing it.
    fn inspect_folder(state, path: String) -> FolderView {
        Ok(state.engine.inspect_folder(&absolute(&path)?).await?)
    }

    /// Imports a folder, writing the starter pipeline first when given one.
    fn import_project(state, path: String, pipeline_yaml: Option<String>) -> ProjectView {
        Ok(state.engine.import_project(&absolute(&path)?, pipeline_yaml).await?)
    }

    /// The Project view.
    fn project_detail(state, name: String) -> ProjectDetailView {
        Ok(state.engine.project_detail(&name).await?)
    }

    /// The pipeline editor: the project's `switchyard.yaml` as text.
    fn pipeline_file(state, project: String) -> PipelineFileView {
        Ok(state.engine.pipeline_file(&project).await?)
    }

    /// Whether `text` loads as the project's pipeline: its jobs, or its
    /// problems with line and column (nothing is written).
    fn check_pipeline(state, project: String, text: String) -> PipelineView {
        Ok(state.engine.check_pipeline(&project, text).await?)
    }

    /// Saves `text` as the project's pipeline, over the `version` read
    /// (`conflict` when the file changed meanwhile; `invalid_pipeline`, with
    /// the problems, when it does not load).
    fn save_pipeline(state, project: String, text: String, version: String) -> PipelineFileView {
        Ok(state.engine.save_pipeline(&project, text, version).await?)
    }

    /// One page of runs.
    fn list_runs(
        state,
        project: Option<String>,
        status: Option<RunStatus>,
        branch: Option<String>,
        before: Option<i64>,
        limit: u32,
    ) -> RunPage {
        let query = RunQuery {
            project,
            status,
            branch,
            before,
            limit,
        };
        Ok(state.engine.list_runs(query).await?)
    }

    /// One run.
    fn get_run(state, id: i64) -> RunView {
        Ok(state.engine.run_view(id).await?)
    }

    /// Starts a run of the chosen jobs (all when empty); returns its id.
    /// `target`: run the Kubernetes jobs on this target instead of the ones
    /// the pipeline names.
    fn start_run(state, project: String, jobs: Vec<String>, in_place: bool, from_link: bool, parallelism: Option<u32>, target: Option<String>) -> i64 {
        if parallelism.is_some_and(|p| p == 0 || p > MAX_PARALLELISM) {
            return Err(ErrorDto::invalid(format!("a run's parallelism is 1 to {MAX_PARALLELISM} jobs at once")));
        }
        let project = state.engine.project(&project).await?;
        let options = RunOptions {
            jobs,
            in_place,
            parallelism: parallelism.map(|p| p as usize),
            trigger: if from_link { Trigger::Link } else { Trigger::App },
            target,
            ..Default::default()
        };
        Ok(state.engine.start_run(&project, options).await?.id)
    }

    /// Runs again what a run ran: `same` (its chosen jobs, place and
    /// options), `failed` (its jobs that did not succeed) or `job` (one job).
    /// What those need runs too.
    fn rerun(state, run_id: i64, mode: String, job: Option<String>) -> i64 {
        let mode = match (mode.as_str(), job) {
            ("same", None) => RerunMode::Same,
            ("failed", None) => RerunMode::Failed,
            ("job", Some(job)) => RerunMode::Job(job),
            _ => return Err(ErrorDto::invalid("a re-run is `same`, `failed`, or `job` with a job name")),
        };
        Ok(state.engine.rerun(run_id, mode, Trigger::App).await?.id)
    }

    /// Copies a run's artifacts (or one job's) into a folder the user chose.
    fn save_artifacts(state, run_id: i64, job: Option<String>, dir: String) -> Vec<ExportedArtifact> {
        let dir = absolute(&dir)?;
        Ok(state.engine.export_artifacts(run_id, job.as_deref(), &dir, false).await?)
    }

    /// Opens one artifact with the system's handler, or (`reveal`) shows it
    /// in the file manager. Returns the copy that was opened.
    fn open_artifact(state, job_id: i64, path: String, reveal: bool) -> String {
        let copy = state.engine.artifact_copy(job_id, &path).await?;
        crate::opener::open(&copy, reveal).map_err(internal)?;
        Ok(copy.display().to_string())
    }

    /// Removes a project from the list, with or without its history.
    fn remove_project(state, name: String, delete_history: bool) -> RemovedProject {
        Ok(state.engine.remove_project(&name, delete_history).await?)
    }

    /// Cancels a run.
    fn cancel_run(state, id: i64) -> () {
        state.engine.cancel(id).await?;
        Ok(())
    }

    /// Approves or rejects a waiting approval job.
    fn decide_job(state, run_id: i64, job: String, approved: bool, comment: Option<String>) -> () {
        if comment.as_ref().is_some_and(|c| c.chars().count() > MAX_COMMENT) {
            return Err(ErrorDto::invalid(format!("the comment is longer than {MAX_COMMENT} characters")));
        }
        state.engine.decide(run_id, &job, approved, comment, "desktop").await?;
        Ok(())
    }

    /// A window of a job's log.
    fn read_log(state, job_id: i64, from: i64, count: u32) -> LogPage {
        Ok(state.engine.read_log(job_id, from, count as usize).await?)
    }

    /// The next line containing `query`.
    fn search_log(state, job_id: i64, query: String, from: i64, backwards: bool) -> Option<i64> {
        if query.len() > MAX_QUERY {
            return Err(ErrorDto::invalid(format!("the search text is longer than {MAX_QUERY} characters")));
        }
        Ok(state.engine.search_log(job_id, &query, from, backwards).await?)
    }

    /// How many lines contain `query`, and how many of those are at or
    /// before line `at`.
    fn count_log_matches(state, job_id: i64, query: String, at: i64) -> LogMatchCount {
        if query.len() > MAX_QUERY {
            return Err(ErrorDto::invalid(format!("the search text is longer than {MAX_QUERY} characters")));
        }
        Ok(state.engine.count_log_matches(job_id, &query, at).await?)
    }

    /// The numbers of the lines containing `query`, for "only matching lines".
    fn filter_log(state, job_id: i64, query: String) -> LogFilter {
        if query.len() > MAX_QUERY {
            return Err(ErrorDto::invalid(format!("the filter text is longer than {MAX_QUERY} characters")));
        }
        Ok(state.engine.filter_log(job_id, &query).await?)
    }

    /// Where each step's lines are in a job's log, from line `from` on.
    fn log_sections(state, job_id: i64, from: i64) -> Vec<LogSection> {
        Ok(state.engine.log_sections(job_id, from).await?)
    }

    /// A test's outcomes in the project's latest runs, newest first.
    fn test_history(state, job_id: i64, classname: Option<String>, name: String, limit: u32) -> Vec<TestOutcomeView> {
        Ok(state.engine.test_history(job_id, classname, name, limit).await?)
    }

    /// Writes a job's whole log to a file the user chose.
    fn save_log(state, job_id: i64, path: String) -> () {
        let target = PathBuf::from(&path);
        if !target.is_absolute() || target.is_dir() {
            return Err(ErrorDto::invalid(format!("`{path}` is not a file path to save to")));
        }
        Ok(state.engine.export_log(job_id, &target).await?)
    }

    /// Test cases of a job, failures first.
    fn test_results(state, job_id: i64) -> Vec<TestResultRecord> {
        Ok(state.engine.test_results(job_id).await?)
    }

    /// The settings.
    fn get_settings(state) -> SettingsDto {
        Ok(settings::to_dto(&state.engine))
    }

    /// Saves the settings.
    fn update_settings(state, settings: SettingsDto) -> SettingsDto {
        if settings.local_concurrency.is_some_and(|n| n == 0 || n > MAX_PARALLELISM) {
            return Err(ErrorDto::invalid(format!("local jobs at once is 1 to {MAX_PARALLELISM}")));
        }
        state.save_settings(settings::from_dto(&settings)).await?;
        if settings.local_concurrency != state.engine.config().runners.local.concurrency.map(|n| n.get()) {
            state.engine.save_local_concurrency(settings.local_concurrency).await?;
        }
        Ok(settings::to_dto(&state.engine))
    }

    /// Pauses (or, with 0, resumes) notifications.
    fn pause_notifications(state, minutes: u32) -> SettingsDto {
        if minutes > MAX_PAUSE_MINUTES {
            return Err(ErrorDto::invalid("notifications can be paused for at most a week"));
        }
        let mut s = state.settings();
        s.notifications_paused_until = if minutes == 0 {
            None
        } else {
            Some(switchyard_engine::store::now_ms() + i64::from(minutes) * 60_000)
        };
        state.save_settings(s).await?;
        Ok(settings::to_dto(&state.engine))
    }

    /// Whether this is a first start.
    fn first_run(state) -> FirstRunDto {
        Ok(FirstRunDto {
            empty: state.engine.is_empty().await?,
            demo_available: true,
        })
    }

    /// Copies the bundled demo project into the data dir and imports it.
    fn import_demo(state) -> ProjectView {
        let home = state.engine.home().root().to_path_buf();
        let dir = tauri::async_runtime::spawn_blocking(move || crate::demo::install(&home))
            .await
            .map_err(internal)?
            .map_err(internal)?;
        Ok(state.engine.import_project(&dir, None).await?)
    }

    /// The link the app was started with, once.
    fn pending_deep_link(state) -> Option<DeepLinkDto> {
        Ok(state.take_pending_link())
    }

    /// The UI has drawn its first view.
    fn ui_ready(state) -> () {
        state.mark_ready();
        Ok(())
    }

    /// Every secret's name, scope and age (never a value).
    fn list_secrets(state) -> Vec<SecretView> {
        Ok(state.engine.secret_views().await?)
    }

    /// Stores (or rotates) a secret in the OS keyring. The value crosses IPC
    /// this once and is never sent back.
    fn set_secret(state, name: String, project: Option<String>, value: String) -> SecretView {
        let scope = project.map_or(SecretScope::Global, SecretScope::Project);
        Ok(state.engine.set_secret(scope, &name, secrecy::SecretString::from(value)).await?)
    }

    /// Removes a secret from the OS keyring; false when there was none.
    fn remove_secret(state, name: String, project: Option<String>) -> bool {
        let scope = project.map_or(SecretScope::Global, SecretScope::Project);
        Ok(state.engine.remove_secret(scope, &name).await?)
    }

    /// The cluster targets of config.toml.
    fn list_targets(state) -> Vec<TargetDto> {
        Ok(switchyard_cloud::targets::list(&state.engine)
            .into_iter()
            .map(TargetDto::from)
            .collect())
    }

    /// The contexts of a kubeconfig (the default one when null) a target
    /// can be made from.
    fn kube_contexts(state, kubeconfig: Option<String>) -> Vec<KubeContextDto> {
        let file = match kubeconfig.filter(|k| !k.trim().is_empty()) {
            Some(k) => Some(absolute(&k)?),
            None => None,
        };
        Ok(switchyard_cloud::targets::contexts(&state.engine, file)
            .await?
            .into_iter()
            .map(KubeContextDto::from)
            .collect())
    }

    /// Adds a target from a kubeconfig context (checked to exist).
    fn add_target(
        state,
        name: String,
        context: String,
        kubeconfig: Option<String>,
        namespace: Option<String>,
        environment: Option<String>,
    ) -> TargetDto {
        let kubeconfig = match kubeconfig.filter(|k| !k.trim().is_empty()) {
            Some(k) => Some(absolute(&k)?),
            None => None,
        };
        let new = switchyard_cloud::targets::NewTarget {
            name,
            context,
            kubeconfig,
            namespace: namespace.filter(|n| !n.trim().is_empty()),
            environment: environment.filter(|e| !e.trim().is_empty()),
        };
        Ok(switchyard_cloud::targets::add(&state.engine, new).await?.into())
    }

    /// Removes a target from config.toml; false when there was none.
    fn remove_target(state, name: String) -> bool {
        Ok(switchyard_cloud::targets::remove(&state.engine, &name).await?)
    }

    /// Checks the named targets (all when empty), concurrently.
    fn check_targets(state, names: Vec<String>) -> Vec<TargetCheckDto> {
        Ok(switchyard_cloud::targets::check(&state.engine, &names)
            .await?
            .into_iter()
            .map(TargetCheckDto::from)
            .collect())
    }

    /// The Prometheus sources.
    fn list_sources(state) -> Vec<SourceDto> {
        Ok(switchyard_monitoring::sources::list(&state.engine)
            .into_iter()
            .map(SourceDto::from)
            .collect())
    }

    /// Adds (or replaces) a source; a bearer token goes to the OS keyring.
    fn add_source(state, name: String, url: String, default: bool, token: Option<String>) -> SourceDto {
        let new = switchyard_monitoring::sources::NewSource {
            name,
            url,
            default,
            bearer_token: token.filter(|t| !t.is_empty()).map(secrecy::SecretString::from),
            ..Default::default()
        };
        Ok(switchyard_monitoring::sources::add(&state.engine, new).await?.into())
    }

    /// Removes a source and its credential; false when there was none.
    fn remove_source(state, name: String) -> bool {
        Ok(switchyard_monitoring::sources::remove(&state.engine, &name).await?)
    }

    /// Checks every source: reachable, credential accepted, version.
    fn check_sources(state) -> Vec<SourceCheckDto> {
        Ok(switchyard_monitoring::sources::check(&state.engine, &[])
            .await?
            .into_iter()
            .map(SourceCheckDto::from)
            .collect())
    }

    /// A live chart: the first call fetches the window, later calls with the
    /// same query, range and step fetch only the new steps.
    fn live_chart(state, request: ChartRequestDto) -> ChartDto {
        let r = chart_request(&request)?;
        let step = switchyard_monitoring::step_for(&r)?;
        let client = switchyard_monitoring::sources::client(&state.engine, r.source.as_deref()).await?;
        let source = client.name().to_string();
        let mut live = state.charts.lock().await.take(&source, &r.query, r.range_ms, step);
        let now = now_ms();
        let polled = live.poll(&client, now).await;
        let series = live.series();
        let (start, end) = live.window(now);
        state.charts.lock().await.put(&source, live);
        let fetched = polled.map_err(switchyard_monitoring::MonitoringError::from)?;
        let markers = switchyard_monitoring::run_markers(&state.engine, start, end).await?;
        let spec = switchyard_monitoring::chart::ChartSpec {
            title: String::new(),
            query: r.query.clone(),
            unit: r.unit,
            kind: r.kind,
            start,
            end,
            step,
            width: r.width,
            height: r.height,
            markers,
        };
        let names = switchyard_monitoring::chart::legend_names(&series, &r.query);
        let dtos = series
            .iter()
            .zip(names)
            .map(|(s, name)| ChartSeriesDto {
                name,
                points: s.points.len() as u32,
                last: s.points.last().filter(|p| p.v.is_finite()).map(|p| r.unit.format(p.v)),
            })
            .collect();
        let svg = tokio::task::spawn_blocking(move || switchyard_monitoring::chart::svg(&spec, &series))
            .await
            .map_err(internal)?
            .map_err(switchyard_monitoring::MonitoringError::from)?;
        Ok(ChartDto {
            svg,
            source,
            step_secs: (step / 1000) as u32,
            series: dtos,
            fetched_points: fetched.points as u32,
        })
    }

    /// Exports a chart (freshly fetched) to `path`: PNG, SVG, CSV or JSON by
    /// its extension. Returns the format written.
    fn export_chart(state, request: ChartRequestDto, path: String) -> String {
        let r = chart_request(&request)?;
        let path = absolute(&path)?;
        let format = switchyard_monitoring::chart::Format::of(&path).map_err(switchyard_monitoring::MonitoringError::from)?;
        let data = switchyard_monitoring::range_chart(&state.engine, &r, now_ms()).await?;
        tokio::task::spawn_blocking(move || switchyard_monitoring::chart::write(&data.spec, &data.series, &path))
            .await
            .map_err(internal)?
            .map_err(switchyard_monitoring::MonitoringError::from)?;
        Ok(format!("{format:?}").to_lowercase())
    }

    /// Recent deployments, newest first (of one app and environment when given).
    fn list_deployments(state, app: Option<String>, environment: Option<String>, limit: u32) -> Vec<DeploymentRecord> {
        Ok(state.engine.deployments(app.as_deref(), environment.as_deref(), limit.clamp(1, 1000)).await?)
    }

    /// One deployment with everything that happened to it.
    fn deployment_detail(state, id: i64) -> DeploymentDetailDto {
        let Some(deployment) = state.engine.deployment(id).await? else {
            return Err(ErrorDto::new(ErrorCode::NotFound, format!("no deployment with id {id}")));
        };
        let events = state.engine.deployment_events(id).await?;
        let run = state.engine.run(deployment.run_id).await?;
        let waiting = run
            .jobs
            .iter()
            .find(|j| j.id == deployment.job_id && j.status == switchyard_engine::status::JobStatus::Waiting)
            .and_then(|j| j.reason.clone());
        Ok(DeploymentDetailDto { deployment, events, waiting, project: run.summary.project.clone() })
    }

    /// Promotes (`go_on`) or aborts a deployment that waits, or stops one
    /// that runs; the window confirms first.
    fn decide_deployment(state, id: i64, go_on: bool, comment: Option<String>) -> String {
        use switchyard_engine::deploy::DeploymentDecision;
        let outcome = state.engine.decide_deployment(id, go_on, comment, "desktop").await?;
        Ok(match outcome {
            DeploymentDecision::WentOn => "promoted",
            DeploymentDecision::Aborted => "aborted",
            DeploymentDecision::Stopping => "stopping",
        }
        .to_string())
    }

    /// The DORA figures of an environment over the last `days` days.
    fn deployment_stats(state, environment: String, app: Option<String>, days: u32) -> DoraView {
        if days == 0 || days > 3650 {
            return Err(ErrorDto::invalid("days must be 1 to 3650"));
        }
        let until = now_ms();
        let app = app.filter(|a| !a.is_empty());
        Ok(state
            .engine
            .dora(&environment, app.as_deref(), until - i64::from(days) * 86_400_000, until + 1)
            .await?)
    }

    /// Alerts and incidents, open incidents first.
    fn alerts_view(state) -> AlertsView {
        Ok(state.engine.alerts_view(200).await?)
    }

    /// Evaluates the alert rules now, then answers as `alerts_view`.
    fn evaluate_alerts(state) -> AlertsView {
        switchyard_monitoring::alerts::evaluate(&state.engine, now_ms()).await?;
        Ok(state.engine.alerts_view(200).await?)
    }

    /// Silences an alert for `minutes` (at most a week); false when there
    /// is no such alert.
    fn silence_alert(state, id: i64, minutes: u32) -> bool {
        if minutes == 0 || minutes > MAX_PAUSE_MINUTES {
            return Err(ErrorDto::invalid(format!("silence for 1 to {MAX_PAUSE_MINUTES} minutes")));
        }
        Ok(state.engine.silence_alert(id, now_ms() + i64::from(minutes) * 60_000).await?)
    }

    /// Acknowledges an incident; false when it was already, or is no more.
    fn acknowledge_incident(state, id: i64) -> bool {
        Ok(state.engine.acknowledge_incident(id).await?)
    }

    /// Delivery figures over the last `days` days (one project, or all).
    fn delivery_stats(state, project: Option<String>, days: u32) -> StatsView {
        Ok(state.engine.stats(stats_query(project, days)?).await?)
    }

    /// Writes the delivery report (HTML, charts inline) to `path`.
    fn export_report(state, project: Option<String>, days: u32, path: String) -> () {
        let path = absolute(&path)?;
        let view = state.engine.stats(stats_query(project, days)?).await?;
        tokio::task::spawn_blocking(move || switchyard_monitoring::report::write(&view, &path))
            .await
            .map_err(internal)?
            .map_err(switchyard_monitoring::MonitoringError::from)?;
        Ok(())
    }

    /// The custom dashboards of config.toml.
    fn list_dashboards(state) -> Vec<DashboardDto> {
        Ok(switchyard_monitoring::dashboards::list(&state.engine)
            .into_iter()
            .map(|d| DashboardDto {
                name: d.name,
                title: d.title,
                panels: d.panels.into_iter().map(|p| p.title).collect(),
            })
            .collect())
    }

    /// Every panel of a dashboard over the last `range_secs`, drawn.
    fn dashboard_charts(state, request: DashboardRequestDto) -> Vec<PanelChartDto> {
        let board = dashboard_of(&state, &request)?;
        let width = request.width.clamp(200, 4000);
        let range = i64::from(request.range_secs.max(60)) * 1000;
        let key = switchyard_monitoring::dashboards::snapshot_key(&board, range);
        let fetched = switchyard_monitoring::dashboards::fetch_or_snapshot(
            &state.engine,
            &board,
            &key,
            range,
            width,
            300,
            now_ms(),
        )
        .await?;
        let taken = fetched.snapshot_taken_at;
        tokio::task::spawn_blocking(move || {
            fetched
                .charts
                .into_iter()
                .map(|c| {
                    Ok(PanelChartDto {
                        title: c.spec.title.clone(),
                        query: c.spec.query.clone(),
                        svg: switchyard_monitoring::chart::svg(&c.spec, &c.series)?,
                        series: c.series.len() as u32,
                        snapshot_taken_at: taken,
                    })
                })
                .collect::<Result<Vec<_>, switchyard_monitoring::chart::ChartError>>()
        })
        .await
        .map_err(internal)?
        .map_err(|e| ErrorDto::from(switchyard_monitoring::MonitoringError::from(e)))
    }

    /// Exports a whole dashboard to `path` (PNG or SVG stacked, CSV, JSON).
    fn export_dashboard(state, request: DashboardRequestDto, path: String) -> String {
        let board = dashboard_of(&state, &request)?;
        let path = absolute(&path)?;
        let format = switchyard_monitoring::chart::Format::of(&path).map_err(switchyard_monitoring::MonitoringError::from)?;
        let charts = switchyard_monitoring::dashboards::fetch(
            &state.engine,
            &board,
            i64::from(request.range_secs.max(60)) * 1000,
            request.width.clamp(200, 4000),
            300,
            now_ms(),
        )
        .await?;
        tokio::task::spawn_blocking(move || {
            let refs: Vec<(&switchyard_monitoring::chart::ChartSpec, &[switchyard_monitoring::prometheus::Series])> =
                charts.iter().map(|c| (&c.spec, c.series.as_slice())).collect();
            switchyard_monitoring::chart::write_stack(&refs, &path)
        })
        .await
        .map_err(internal)?
        .map_err(switchyard_monitoring::MonitoringError::from)?;
        Ok(format!("{format:?}").to_lowercase())
    }
}
