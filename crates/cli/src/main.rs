//! `switchyard`: Switchyard's engine, headless and scriptable.
//!
//! Each subcommand is a few lines over the engine's API (the same API the
//! desktop app calls). Output for people goes to the terminal; `--json`
//! prints machine-readable records on stdout. Exit codes: 0 success, 1 a run
//! that did not succeed (or an operational failure), 2 bad usage or input.

mod deploy;
mod output;
mod progress;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};
use switchyard_engine::pipeline::{self, PIPELINE_FILE, plan::Plan};
use switchyard_engine::secrets::SecretScope;
use switchyard_engine::status::RunStatus;
use switchyard_engine::workspace::WorkspaceSource;
use switchyard_engine::{Engine, EngineError, Home, RerunMode, RunOptions, Trigger};

/// Switchyard: run pipelines locally and keep their history.
#[derive(Parser)]
#[command(name = "switchyard", version, about, long_about = None, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Register a project folder (its switchyard.yaml names it).
    Import {
        /// The project folder.
        dir: PathBuf,
        /// Name to use instead of the pipeline's `name:` or the folder's name.
        #[arg(long)]
        name: Option<String>,
    },
    /// Remove a project from the list. Its history (runs, logs, test results,
    /// artifacts) stays, and importing the folder again brings it back,
    /// unless --delete-history. Nothing in the project folder is touched.
    Remove {
        /// The project's name.
        project: String,
        /// Delete its runs, logs, test results and artifacts too (cannot be undone).
        #[arg(long)]
        delete_history: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List registered projects.
    Projects {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a project's pipeline and show its progress.
    Run {
        /// A project folder (imported on the way) or a project name. Default: the current folder.
        target: Option<String>,
        /// Run only this job and what it needs (repeatable).
        #[arg(long = "job", value_name = "NAME")]
        jobs: Vec<String>,
        /// Run in the project folder itself instead of a copy.
        #[arg(long)]
        in_place: bool,
        /// Keep the run's workspace copy afterwards (for debugging).
        #[arg(long)]
        keep_workspace: bool,
        /// Most jobs of this run at once, on top of each runner's own limit
        /// (`runners.local.concurrency` and each target's `concurrency` in
        /// config.toml; local default: the number of CPUs).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
        parallel: Option<u16>,
        /// Where Kubernetes jobs get the project's files: `tree` (the working
        /// tree, uncommitted changes included) or `commit` (the git remote at
        /// the current commit).
        #[arg(long, value_name = "tree|commit", default_value = "tree")]
        source: WorkspaceSource,
        /// Run the Kubernetes jobs on this target (`targets list`, or a
        /// kubeconfig context) instead of the one their `runner:` names.
        /// Local jobs stay local.
        #[arg(long = "on", value_name = "TARGET")]
        on: Option<String>,
        /// Print the finished run as JSON on stdout (progress goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// List recent runs.
    Runs {
        /// Only this project's runs.
        project: Option<String>,
        /// How many runs.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one run: jobs, steps, tests and artifacts.
    Show {
        /// The run's id.
        run_id: i64,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a run's logs.
    Logs {
        /// The run's id.
        run_id: i64,
        /// Only this job's log.
        #[arg(long = "job", value_name = "NAME")]
        job: Option<String>,
        /// Keep printing new lines until the run ends.
        #[arg(long, short = 'f')]
        follow: bool,
        /// Show each line's time.
        #[arg(long)]
        timestamps: bool,
    },
    /// Run again what an earlier run ran: the same chosen jobs, in the same
    /// place, with the same options (the project's current pipeline file).
    Rerun {
        /// The earlier run's id.
        run_id: i64,
        /// Only its jobs that did not succeed (and what they need).
        #[arg(long, conflicts_with = "job")]
        failed: bool,
        /// Only this job of it (and what it needs).
        #[arg(long, value_name = "NAME")]
        job: Option<String>,
        /// Print the finished run as JSON on stdout (progress goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// List a run's artifacts, or copy them into a folder (`--out`), each
    /// checked against its SHA-256.
    Artifacts {
        /// The run's id.
        run_id: i64,
        /// Only this job's.
        #[arg(long = "job", value_name = "NAME")]
        job: Option<String>,
        /// Copy them here: `DIR/<path>` for one job, `DIR/<job>/<path>` for several.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Replace files in DIR that have other content.
        #[arg(long, requires = "out")]
        force: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a running run (also one started by another switchyard process).
    Cancel {
        /// The run's id.
        run_id: i64,
    },
    /// Approve a waiting approval job of a run (a job with `approval:`): it
    /// succeeds and the jobs that need it go on. Works wherever the run runs.
    Approve {
        /// The run's id.
        run_id: i64,
        /// The approval job's name.
        job: String,
        /// A note kept with the decision.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a waiting approval job of a run: it fails, and the jobs that
    /// need it are skipped.
    Reject {
        /// The run's id.
        run_id: i64,
        /// The approval job's name.
        job: String,
        /// Why (kept with the decision and shown as the job's reason).
        #[arg(long)]
        comment: Option<String>,
    },
    /// Resume the runs a stopped Switchyard left going (their Kubernetes jobs
    /// went on in their pods), wait for them, and clean up what ended runs
    /// left in clusters.
    Resume {
        /// Print the finished runs as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a pipeline file and show its plan.
    Validate {
        /// The pipeline file, or a folder holding switchyard.yaml. Default: ./switchyard.yaml.
        file: Option<PathBuf>,
    },
    /// Print the JSON Schema of switchyard.yaml (for editors).
    Schema,
    /// Deploy a project to an environment (its deploy jobs for that
    /// environment, and the jobs they need), or look at deployments:
    /// `deploy status|history APP`.
    Deploy(deploy::DeployArgs),
    /// Named cluster targets (`runner: kubernetes:<name>`): add, list, remove, check.
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Secrets in the OS keyring: set, list, remove (values are never shown).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Prometheus sources: add, list, remove, check. Credentials go to the
    /// OS keyring, the rest to config.toml.
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// Evaluate the alert rules of config.toml now and list alerts and
    /// incidents (open first); or silence an alert, or acknowledge an
    /// incident.
    Alerts {
        /// What to do (default: evaluate and list).
        #[command(subcommand)]
        command: Option<AlertsCommand>,
        /// List what is recorded without evaluating the rules first.
        #[arg(long)]
        no_evaluate: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delivery figures from the local history: runs, success rate,
    /// durations and queue time, day by day, the slowest steps and flaky
    /// tests (the same commit both passed and failed).
    Stats {
        /// One project (default: all).
        project: Option<String>,
        /// How far back, e.g. 7d, 90d.
        #[arg(long, value_name = "DURATION", default_value = "30d")]
        since: humantime::Duration,
        /// An environment's deployment metrics (DORA) instead: deployment
        /// frequency, lead time, change failure rate, time to restore.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// With --env: one app's deployments only.
        #[arg(long, value_name = "APP", requires = "env")]
        app: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Draw a dashboard (all its charts, top to bottom) into one PNG, SVG,
    /// CSV or JSON file: a custom one of config.toml by NAME, or an app's
    /// default one (--app, with --target or --namespace). Without NAME or
    /// --app, list the custom dashboards.
    Dashboard {
        /// A dashboard of config.toml (`[dashboards.<name>]`).
        name: Option<String>,
        /// An app's default dashboard (request rate, errors, latency, CPU,
        /// memory, restarts).
        #[arg(long, value_name = "APP", conflicts_with = "name")]
        app: Option<String>,
        /// The target whose namespace the app runs in (with --app).
        #[arg(long, value_name = "TARGET", requires = "app", conflicts_with = "namespace")]
        target: Option<String>,
        /// The namespace the app runs in (with --app; default `default`).
        #[arg(long, value_name = "NS", requires = "app")]
        namespace: Option<String>,
        /// The source (default: the dashboard's, the target's, else the default source).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// How far back.
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        range: humantime::Duration,
        /// The file: .png, .svg, .csv or .json.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Each chart's width in pixels.
        #[arg(long, default_value_t = 1200)]
        width: u32,
    },
    /// Write the delivery report: one self-contained HTML file with the
    /// figures of `stats` and their charts (inline SVG), for a weekly review.
    Report {
        /// One project (default: all).
        project: Option<String>,
        /// How far back, e.g. 7d.
        #[arg(long, value_name = "DURATION", default_value = "7d")]
        since: humantime::Duration,
        /// The HTML file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Chat webhooks told about incidents (Slack-compatible JSON): add,
    /// list, remove, test. Their addresses go to the OS keyring.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// Chart a PromQL query over a recent window into a PNG, SVG, CSV or
    /// JSON file (the format follows the file name), as the app draws it.
    Chart {
        /// The PromQL query, e.g. 'rate(http_requests_total[5m])'.
        query: String,
        /// The source (default: the default source).
        #[arg(long, value_name = "NAME")]
        source: Option<String>,
        /// How far back, e.g. 15m, 1h, 7d.
        #[arg(long, value_name = "DURATION", default_value = "1h")]
        range: humantime::Duration,
        /// The resolution (default: about one point per pixel).
        #[arg(long, value_name = "DURATION")]
        step: Option<humantime::Duration>,
        /// The file to write: .png, .svg, .csv or .json.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Width in pixels.
        #[arg(long, default_value_t = 1200)]
        width: u32,
        /// Height in pixels.
        #[arg(long, default_value_t = 400)]
        height: u32,
        /// How values are written: si, percent (a 0–1 ratio), bytes, seconds.
        #[arg(long, default_value = "si")]
        unit: switchyard_monitoring::chart::Unit,
        /// Filled areas instead of lines.
        #[arg(long)]
        area: bool,
        /// A title drawn above the chart.
        #[arg(long)]
        title: Option<String>,
        /// Print what was written as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script (the packages install them already).
    ///
    /// bash: `switchyard completions bash > ~/.local/share/bash-completion/completions/switchyard`;
    /// zsh: into a folder on `$fpath` as `_switchyard`; fish:
    /// `~/.config/fish/completions/switchyard.fish`.
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), or write one page per command into DIR
    /// (`switchyard.1`, `switchyard-run.1`, ...). The packages install them.
    #[command(hide = true)]
    Man {
        /// Write every page into this folder instead of printing the main one.
        dir: Option<PathBuf>,
    },
}

#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum TargetsCommand {
    /// Add a target: a kubeconfig context (and file) under a name, with a
    /// namespace and an environment label. Kept in config.toml.
    Add {
        /// The name (`runner: kubernetes:<name>`).
        name: String,
        /// The kubeconfig context.
        #[arg(long, value_name = "CTX", required_unless_present_any = ["eks", "aks", "gke"])]
        context: Option<String>,
        /// The kubeconfig file (default: KUBECONFIG, else ~/.kube/config).
        #[arg(long, value_name = "FILE", requires = "context")]
        kubeconfig: Option<PathBuf>,
        /// An EKS cluster (not in this build yet: use `--context` of the
        /// context `aws eks update-kubeconfig` writes).
        #[arg(long, value_name = "CLUSTER", conflicts_with_all = ["context", "aks", "gke"])]
        eks: Option<String>,
        /// An AKS cluster (not in this build yet).
        #[arg(long, value_name = "CLUSTER", conflicts_with_all = ["context", "eks", "gke"])]
        aks: Option<String>,
        /// A GKE cluster (not in this build yet).
        #[arg(long, value_name = "CLUSTER", conflicts_with_all = ["context", "eks", "aks"])]
        gke: Option<String>,
        /// The EKS cluster's region (with --eks).
        #[arg(long, value_name = "REGION", requires = "eks")]
        region: Option<String>,
        /// The AKS cluster's subscription (with --aks).
        #[arg(long, value_name = "ID", requires = "aks")]
        subscription: Option<String>,
        /// The AKS cluster's resource group (with --aks).
        #[arg(long, value_name = "GROUP", requires = "aks")]
        resource_group: Option<String>,
        /// The GKE cluster's project (with --gke).
        #[arg(long, value_name = "PROJECT", requires = "gke")]
        project: Option<String>,
        /// The GKE cluster's location (with --gke).
        #[arg(long, value_name = "LOCATION", requires = "gke")]
        location: Option<String>,
        /// The namespace (default: the context's, else `default`).
        #[arg(long, value_name = "NS")]
        namespace: Option<String>,
        /// An environment label, e.g. production.
        #[arg(long = "env", value_name = "ENV")]
        environment: Option<String>,
    },
    /// List targets.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a target (the kubeconfig is not touched).
    Rm {
        /// The name.
        name: String,
    },
    /// Check targets (all, or these), concurrently: credentials, the API
    /// server, and the verbs the runner needs in the namespace.
    Check {
        /// Target names (default: all).
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum WebhooksCommand {
    /// Add (or replace) a webhook. Its address is read from stdin (or a
    /// hidden prompt), never from the command line: it holds a token.
    Add {
        /// Its name.
        name: String,
        /// Do not tell it when incidents resolve.
        #[arg(long)]
        no_resolved: bool,
    },
    /// List webhooks (names only).
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a webhook and its address.
    Rm {
        /// The name.
        name: String,
    },
    /// Send a test message.
    Test {
        /// The name.
        name: String,
    },
}

#[derive(Subcommand)]
enum AlertsCommand {
    /// Silence an alert for a while: it stays tracked and listed, but no
    /// notification, tray state or webhook comes of it.
    Silence {
        /// The alert's id (`switchyard alerts` lists them).
        id: i64,
        /// For how long, e.g. 30m, 2h, 1d.
        #[arg(long = "for", value_name = "DURATION")]
        duration: humantime::Duration,
    },
    /// Acknowledge an incident: someone is on it.
    Ack {
        /// The incident's id.
        id: i64,
    },
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// Add a Prometheus source (or replace one of that name). A bearer token
    /// or a basic-auth password is read from stdin and kept in the OS keyring.
    Add {
        /// Its name.
        name: String,
        /// Its base URL, e.g. http://127.0.0.1:9090.
        #[arg(long)]
        url: String,
        /// Make it the source used when none is named.
        #[arg(long)]
        default: bool,
        /// Read a bearer token from stdin.
        #[arg(long, conflicts_with = "basic_user")]
        bearer_token_stdin: bool,
        /// Basic auth as this user; the password is read from stdin.
        #[arg(long, value_name = "USER")]
        basic_user: Option<String>,
        /// Trust the CA certificates in this PEM file instead of the system's.
        #[arg(long, value_name = "FILE")]
        ca_file: Option<PathBuf>,
        /// Accept any TLS certificate (a test server only).
        #[arg(long)]
        insecure_skip_tls_verify: bool,
    },
    /// List sources.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its credential.
    Rm {
        /// The name.
        name: String,
    },
    /// Check sources (all, or these): reachable, credentials accepted, version.
    Check {
        /// Source names (default: all).
        names: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Store a secret in the OS keyring. The value comes from stdin when it
    /// is not a terminal (one trailing newline is dropped), else from a
    /// hidden prompt; never from the command line. Setting a name that
    /// exists in that scope rotates it.
    Set {
        /// The name pipelines use (`secrets: [NAME]`).
        name: String,
        /// Only for this project (shadows a global secret of the same name).
        #[arg(long, value_name = "PROJECT")]
        project: Option<String>,
    },
    /// List secrets: name, scope, project and when each was set or rotated.
    List {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove a secret from the OS keyring.
    Rm {
        /// The name.
        name: String,
        /// The project's secret rather than the global one.
        #[arg(long, value_name = "PROJECT")]
        project: Option<String>,
    },
}

/// A failure of a command: what to print and which exit code to use.
struct Failure {
    code: u8,
    message: String,
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure {
            code: if e.is_input_error() { 2 } else { 1 },
            message: e.to_string(),
        }
    }
}

fn input_error(message: impl Into<String>) -> Failure {
    Failure {
        code: 2,
        message: message.into(),
    }
}

type CmdResult = Result<ExitCode, Failure>;

fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(dispatch(cli.command)) {
        Ok(code) => code,
        Err(f) => {
            let mut lines = f.message.lines();
            if let Some(first) = lines.next() {
                // Multi-line messages (pipeline diagnostics) keep one problem per line.
                if f.message.lines().count() > 1 {
                    for line in f.message.lines() {
                        eprintln!("{line}");
                    }
                } else {
                    eprintln!("error: {first}");
                }
            }
            ExitCode::from(f.code)
        }
    }
}

/// `switchyard runs | head` closes stdout early; like any Unix command, end
/// quietly (status 141, as a SIGPIPE would) instead of a panic's backtrace.
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if message.starts_with("failed printing to std") && message.contains("Broken pipe") {
            std::process::exit(141);
        }
        default(info);
    }));
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SWITCHYARD_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(console::Term::stderr().features().colors_supported())
        .try_init();
}

async fn open_engine() -> Result<Engine, Failure> {
    let mut config = switchyard_cloud::engine_config(Home::from_env()?);
    // Canary analyses read Prometheus through the monitoring crate.
    config.metrics = Some(std::sync::Arc::new(
        switchyard_monitoring::analysis::PrometheusMetrics,
    ));
    Ok(switchyard_cloud::open_with(config).await?)
}

async fn dispatch(command: Command) -> CmdResult {
    match command {
        Command::Validate { file } => validate(file),
        Command::Schema => {
            let schema = pipeline::schema::json_schema();
            println!("{}", serde_json::to_string_pretty(&schema).unwrap_or_default());
            Ok(ExitCode::SUCCESS)
        }
        Command::Completions { shell } => {
            clap_complete::generate(shell, &mut Cli::command(), "switchyard", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir: Some(dir) } => {
            clap_mangen::generate_to(Cli::command(), &dir).map_err(|e| Failure {
                code: 1,
                message: format!("cannot write the manual pages into {}: {e}", dir.display()),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { dir: None } => {
            let mut out = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut out)
                .map_err(|e| Failure {
                    code: 1,
                    message: format!("cannot render the manual page: {e}"),
                })?;
            use std::io::Write as _;
            std::io::stdout().write_all(&out).map_err(|e| Failure {
                code: 1,
                message: format!("cannot write the manual page: {e}"),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Deploy(args) => deploy::dispatch(args).await,
        Command::Secrets(command) => secrets(command).await,
        Command::Targets(command) => targets(command).await,
        Command::Sources(command) => sources(command).await,
        Command::Webhooks(command) => webhooks(command).await,
        Command::Dashboard {
            name,
            app,
            target,
            namespace,
            source,
            range,
            out,
            width,
        } => dashboard(name, app, target, namespace, source, range.into(), out, width).await,
        Command::Report { project, since, out } => {
            let engine = open_engine().await?;
            let until = jiff::Timestamp::now().as_millisecond();
            let view = engine
                .stats(switchyard_engine::analytics::StatsQuery {
                    project,
                    since: until - duration_ms(since.into()),
                    until: until + 1,
                })
                .await?;
            let path = out.clone();
            tokio::task::spawn_blocking(move || switchyard_monitoring::report::write(&view, &path))
                .await
                .map_err(|e| Failure {
                    code: 1,
                    message: format!("writing the report failed: {e}"),
                })?
                .map_err(|e| monitoring_failure(e.into()))?;
            eprintln!("wrote {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats {
            project,
            since,
            env,
            app,
            json,
        } => {
            let engine = open_engine().await?;
            let until = jiff::Timestamp::now().as_millisecond();
            if let Some(env) = env {
                let view = engine
                    .dora(&env, app.as_deref(), until - duration_ms(since.into()), until + 1)
                    .await?;
                output::print_dora(&view, json);
                return Ok(ExitCode::SUCCESS);
            }
            let view = engine
                .stats(switchyard_engine::analytics::StatsQuery {
                    project,
                    since: until - duration_ms(since.into()),
                    until: until + 1,
                })
                .await?;
            output::print_stats(&view, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Alerts {
            command,
            no_evaluate,
            json,
        } => alerts(command, no_evaluate, json).await,
        Command::Chart {
            query,
            source,
            range,
            step,
            out,
            width,
            height,
            unit,
            area,
            title,
            json,
        } => {
            let request = switchyard_monitoring::ChartRequest {
                source,
                query,
                range_ms: duration_ms(range.into()),
                step_ms: step.map(|s| duration_ms(s.into())),
                width,
                height,
                unit,
                kind: if area {
                    switchyard_monitoring::chart::ChartKind::Area
                } else {
                    switchyard_monitoring::chart::ChartKind::Line
                },
                title: title.unwrap_or_default(),
            };
            chart(request, out, json).await
        }
        Command::Remove {
            project,
            delete_history,
            json,
        } => {
            let engine = open_engine().await?;
            let removed = engine.remove_project(&project, delete_history).await?;
            if json {
                output::print_json(&removed);
            } else if removed.history_deleted {
                println!(
                    "removed {} and its history ({} runs; {} artifact files freed)",
                    removed.name, removed.runs, removed.artifact_files_deleted
                );
            } else {
                println!(
                    "removed {} from the list; its {} runs stay in the history (`switchyard import` its folder to bring it back)",
                    removed.name, removed.runs
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Artifacts {
            run_id,
            job,
            out,
            force,
            json,
        } => {
            let engine = open_engine().await?;
            match out {
                Some(dir) => {
                    let done = engine
                        .export_artifacts(run_id, job.as_deref(), &dir, force)
                        .await?;
                    output::print_exported(&done, json);
                }
                None => {
                    let run = engine.run(run_id).await?;
                    output::print_artifacts(&run, job.as_deref(), json);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Rerun {
            run_id,
            failed,
            job,
            json,
        } => {
            let engine = open_engine().await?;
            let mode = match (failed, job) {
                (true, _) => RerunMode::Failed,
                (false, Some(job)) => RerunMode::Job(job),
                (false, None) => RerunMode::Same,
            };
            let events = engine.subscribe();
            let handle = engine.rerun(run_id, mode, Trigger::Cli).await?;
            follow(&engine, handle, events, json).await
        }
        Command::Import { dir, name } => {
            let engine = open_engine().await?;
            let project = engine.import(&dir, name.as_deref()).await?;
            println!("imported {} from {}", project.name, project.path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Projects { json } => {
            let engine = open_engine().await?;
            let projects = engine.project_views().await?;
            output::print_projects(&projects, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Run {
            target,
            jobs,
            in_place,
            keep_workspace,
            parallel,
            source,
            on,
            json,
        } => {
            let engine = open_engine().await?;
            let target = target.unwrap_or_else(|| ".".into());
            let project = engine.resolve_project(&target).await?;
            let options = RunOptions {
                jobs,
                in_place,
                keep_workspace,
                parallelism: parallel.map(usize::from),
                source,
                trigger: Trigger::Cli,
                rerun_of: None,
                deploy: Default::default(),
                target: on,
            };
            run(&engine, &project, options, json).await
        }
        Command::Runs { project, limit, json } => {
            let engine = open_engine().await?;
            let runs = engine.runs(project.as_deref(), limit.clamp(1, 10_000)).await?;
            output::print_runs(&runs, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { run_id, json } => {
            let engine = open_engine().await?;
            let run = engine.run(run_id).await?;
            if json {
                output::print_json(&switchyard_engine::views::RunView::from(&run));
            } else {
                output::print_run(&engine, &run).await?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Logs {
            run_id,
            job,
            follow,
            timestamps,
        } => {
            let engine = open_engine().await?;
            output::print_logs(&engine, run_id, job.as_deref(), follow, timestamps).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel { run_id } => cancel(run_id).await,
        Command::Approve { run_id, job, comment } => decide(run_id, &job, true, comment).await,
        Command::Reject { run_id, job, comment } => decide(run_id, &job, false, comment).await,
        Command::Resume { json } => resume(json).await,
    }
}

fn validate(file: Option<PathBuf>) -> CmdResult {
    let mut path = file.unwrap_or_else(|| PathBuf::from(PIPELINE_FILE));
    if path.is_dir() {
        path = path.join(PIPELINE_FILE);
    }
    if !path.exists() {
        return Err(input_error(format!(
            "{} does not exist; give the path of a {PIPELINE_FILE} file or of its folder",
            path.display()
        )));
    }
    match pipeline::load_file(&path) {
        Ok(p) => {
            let plan = Plan::new(&p);
            println!("{}: valid", path.display());
            print!("{}", plan.render());
            Ok(ExitCode::SUCCESS)
        }
        Err(pipeline::LoadFileError::Invalid(invalid)) => {
            for d in &invalid.diagnostics {
                eprintln!("{d}");
            }
            let n = invalid.diagnostics.len();
            eprintln!(
                "{n} problem{} found in {}",
                if n == 1 { "" } else { "s" },
                path.display()
            );
            Ok(ExitCode::from(2))
        }
        Err(e) => Err(input_error(e.to_string())),
    }
}

async fn run(
    engine: &Engine,
    project: &switchyard_engine::store::Project,
    options: RunOptions,
    json: bool,
) -> CmdResult {
    let events = engine.subscribe();
    let handle = engine.start_run(project, options).await?;
    follow(engine, handle, events, json).await
}

/// Shows a started run's progress until it ends, then its result.
async fn follow(
    engine: &Engine,
    handle: switchyard_engine::RunHandle,
    events: tokio::sync::broadcast::Receiver<switchyard_engine::events::Event>,
    json: bool,
) -> CmdResult {
    let id = handle.id;
    let status = watch(engine, handle, events, json).await?;
    let details = engine.run(id).await?;
    if json {
        output::print_json(&switchyard_engine::views::RunView::from(&details));
    } else {
        output::print_run_end(engine, &details).await?;
    }
    Ok(if status == RunStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Shows a started run's progress (on stderr with `quiet`) until it ends;
/// Ctrl-C cancels it (twice: quits at once).
async fn watch(
    engine: &Engine,
    handle: switchyard_engine::RunHandle,
    events: tokio::sync::broadcast::Receiver<switchyard_engine::events::Event>,
    json: bool,
) -> Result<RunStatus, Failure> {
    let id = handle.id;
    let display = progress::Progress::start(engine.clone(), id, events, json).await;
    let mut wait = std::pin::pin!(handle.wait());
    let status = tokio::select! {
        status = &mut wait => status,
        _ = tokio::signal::ctrl_c() => {
            display.note("cancelling (press Ctrl-C again to quit at once)…");
            let _ = engine.cancel(id).await;
            tokio::select! {
                status = &mut wait => status,
                _ = tokio::signal::ctrl_c() => std::process::exit(130),
            }
        }
    };
    display.finish().await;
    engine.flush().await?;
    Ok(status)
}

async fn resume(json: bool) -> CmdResult {
    let engine = open_engine().await?;
    let handles = engine.resume_runs().await?;
    if handles.is_empty() {
        eprintln!("no run to resume");
        return Ok(ExitCode::SUCCESS);
    }
    let ids: Vec<i64> = handles.iter().map(|h| h.id).collect();
    for id in &ids {
        eprintln!("resuming run {id}…");
    }
    let mut all_ok = true;
    for handle in handles {
        all_ok &= handle.wait().await == RunStatus::Succeeded;
    }
    engine.flush().await?;
    for id in ids {
        let details = engine.run(id).await?;
        if json {
            output::print_json(&switchyard_engine::views::RunView::from(&details));
        } else {
            output::print_run_end(&engine, &details).await?;
        }
    }
    Ok(if all_ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn decide(run_id: i64, job: &str, approved: bool, comment: Option<String>) -> CmdResult {
    let engine = open_engine().await?;
    let d = engine.decide(run_id, job, approved, comment, "cli").await?;
    println!(
        "{} `{job}` of run {run_id} as {}",
        if approved { "approved" } else { "rejected" },
        d.by
    );
    Ok(ExitCode::SUCCESS)
}

async fn cancel(run_id: i64) -> CmdResult {
    let engine = open_engine().await?;
    let outcome = engine.cancel(run_id).await?;
    match outcome {
        switchyard_engine::CancelOutcome::MarkedInterrupted => {
            println!("run {run_id} was not running any more; marked interrupted");
            return Ok(ExitCode::SUCCESS);
        }
        _ => eprintln!("cancelling run {run_id}…"),
    }
    // Wait for the engine that runs it to record the end.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let status = engine.run(run_id).await?.summary.status;
        if status.is_terminal() {
            println!("run {run_id} {status}");
            return Ok(ExitCode::SUCCESS);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(Failure {
                code: 1,
                message: format!("run {run_id} has not stopped after 30s; it is still {status}"),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn scope_of(project: Option<String>) -> SecretScope {
    project.map_or(SecretScope::Global, SecretScope::Project)
}

async fn secrets(command: SecretsCommand) -> CmdResult {
    match command {
        SecretsCommand::Set { name, project } => {
            // The name is checked before a value is asked for.
            switchyard_engine::secrets::check_name(&name).map_err(input_error)?;
            let value = read_secret_value(&name)?;
            let engine = open_engine().await?;
            let view = engine.set_secret(scope_of(project), &name, value).await?;
            let what = if view.rotations > 0 { "rotated" } else { "stored" };
            let scope = match &view.project {
                Some(p) => format!("project {p}"),
                None => "global".into(),
            };
            eprintln!("{what} secret {} ({scope}) in the OS keyring", view.name);
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::List { json } => {
            let engine = open_engine().await?;
            output::print_secrets(&engine.secret_views().await?, json);
            Ok(ExitCode::SUCCESS)
        }
        SecretsCommand::Rm { name, project } => {
            let engine = open_engine().await?;
            let scope = scope_of(project);
            if engine.remove_secret(scope.clone(), &name).await? {
                eprintln!("removed secret {name} ({scope})");
                Ok(ExitCode::SUCCESS)
            } else {
                Err(Failure {
                    code: 1,
                    message: format!("no {scope} secret named {name}; `switchyard secrets list` shows them"),
                })
            }
        }
    }
}

/// The end of `rm`: what was removed, or that there was none (exit 1).
fn removed(what: &str, name: &str, found: bool) -> CmdResult {
    if found {
        println!("removed {what} {name}");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Failure {
            code: 1,
            message: format!("no {what} named {name}; `switchyard {what}s list` shows them"),
        })
    }
}

/// The end of `check`: exit 1 unless everything checked is fine.
fn all_fine(ok: impl IntoIterator<Item = bool>) -> ExitCode {
    if ok.into_iter().all(|o| o) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn duration_ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn monitoring_failure(e: switchyard_monitoring::MonitoringError) -> Failure {
    Failure {
        code: if e.is_input_error() { 2 } else { 1 },
        message: e.to_string(),
    }
}

async fn chart(request: switchyard_monitoring::ChartRequest, out: PathBuf, json: bool) -> CmdResult {
    use switchyard_monitoring::chart;
    // A bad file name is found before Prometheus is asked.
    chart::Format::of(&out).map_err(|e| monitoring_failure(e.into()))?;
    let engine = open_engine().await?;
    let now = jiff::Timestamp::now().as_millisecond();
    let data = switchyard_monitoring::range_chart(&engine, &request, now)
        .await
        .map_err(monitoring_failure)?;
    let (spec, series) = (data.spec.clone(), data.series.clone());
    let path = out.clone();
    tokio::task::spawn_blocking(move || chart::write(&spec, &series, &path))
        .await
        .map_err(|e| Failure {
            code: 1,
            message: format!("drawing the chart failed: {e}"),
        })?
        .map_err(|e| monitoring_failure(e.into()))?;
    let points: usize = data.series.iter().map(|s| s.points.len()).sum();
    if json {
        output::print_json(&serde_json::json!({
            "file": out.display().to_string(),
            "source": data.source,
            "series": data.series.len(),
            "points": points,
            "start": data.spec.start,
            "end": data.spec.end,
            "step_ms": data.spec.step,
        }));
    } else {
        eprintln!(
            "wrote {} ({} series, {} points, step {}) from {}",
            out.display(),
            data.series.len(),
            points,
            humantime::format_duration(Duration::from_millis(data.spec.step as u64)),
            data.source
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn alerts(command: Option<AlertsCommand>, no_evaluate: bool, json: bool) -> CmdResult {
    let engine = open_engine().await?;
    match command {
        Some(AlertsCommand::Silence { id, duration }) => {
            let until = jiff::Timestamp::now().as_millisecond() + duration_ms(duration.into());
            if !engine.silence_alert(id, until).await? {
                return Err(Failure {
                    code: 1,
                    message: format!("no alert {id}; `switchyard alerts` lists them"),
                });
            }
            println!("alert {id} silenced for {duration}");
            Ok(ExitCode::SUCCESS)
        }
        Some(AlertsCommand::Ack { id }) => {
            if !engine.acknowledge_incident(id).await? {
                return Err(Failure {
                    code: 1,
                    message: format!("no unacknowledged incident {id}; `switchyard alerts` lists them"),
                });
            }
            println!("incident {id} acknowledged");
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let evaluation = if no_evaluate {
                None
            } else {
                let now = jiff::Timestamp::now().as_millisecond();
                Some(switchyard_monitoring::alerts::evaluate(&engine, now).await?)
            };
            let view = engine.alerts_view(100).await?;
            output::print_alerts(&view, evaluation.as_ref(), json);
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn dashboard(
    name: Option<String>,
    app: Option<String>,
    target: Option<String>,
    namespace: Option<String>,
    source: Option<String>,
    range: Duration,
    out: Option<PathBuf>,
    width: u32,
) -> CmdResult {
    use switchyard_monitoring::{chart, dashboards};
    let engine = open_engine().await?;
    let mut board = match (&name, &app) {
        (Some(n), _) => dashboards::named(&engine, n)?,
        (None, Some(app)) => {
            let config = engine.config();
            let (ns, target_source) = match &target {
                Some(t) => {
                    let Some(tc) = config.targets.get(t) else {
                        return Err(input_error(format!(
                            "no target named {t}; `switchyard targets list` shows them"
                        )));
                    };
                    (
                        tc.namespace.clone().unwrap_or_else(|| "default".into()),
                        tc.prometheus.clone(),
                    )
                }
                None => (namespace.clone().unwrap_or_else(|| "default".into()), None),
            };
            let mut d = dashboards::default_for(app, &ns);
            d.source = target_source;
            d
        }
        (None, None) => {
            let list = dashboards::list(&engine);
            if list.is_empty() {
                println!(
                    "no dashboards in config.toml; `switchyard dashboard --app APP --namespace NS --out FILE` draws an app's default one"
                );
            }
            for d in list {
                println!("{}  {} ({} panels)", d.name, d.title, d.panels.len());
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if source.is_some() {
        board.source = source;
    }
    let Some(out) = out else {
        return Err(input_error(
            "--out FILE is needed to draw a dashboard (.png, .svg, .csv or .json)",
        ));
    };
    chart::Format::of(&out).map_err(|e| monitoring_failure(e.into()))?;
    let now = jiff::Timestamp::now().as_millisecond();
    let key = dashboards::snapshot_key(&board, duration_ms(range));
    let fetched = dashboards::fetch_or_snapshot(&engine, &board, &key, duration_ms(range), width, 300, now)
        .await
        .map_err(monitoring_failure)?;
    if let Some(taken) = fetched.snapshot_taken_at {
        let when = jiff::Timestamp::from_millisecond(taken)
            .map(|t| {
                t.to_zoned_datetime(jiff::tz::TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default();
        eprintln!("the source cannot be read: drawn from the snapshot taken at {when}");
    }
    let charts = fetched.charts;
    let path = out.clone();
    let count = charts.len();
    tokio::task::spawn_blocking(move || {
        let refs: Vec<(&chart::ChartSpec, &[switchyard_monitoring::prometheus::Series])> =
            charts.iter().map(|c| (&c.spec, c.series.as_slice())).collect();
        chart::write_stack(&refs, &path)
    })
    .await
    .map_err(|e| Failure {
        code: 1,
        message: format!("drawing the dashboard failed: {e}"),
    })?
    .map_err(|e| monitoring_failure(e.into()))?;
    eprintln!("wrote {} ({} panels of {})", out.display(), count, board.title);
    Ok(ExitCode::SUCCESS)
}

async fn webhooks(command: WebhooksCommand) -> CmdResult {
    use switchyard_monitoring::webhooks;
    match command {
        WebhooksCommand::Add { name, no_resolved } => {
            let url = read_secret_value(&format!("the address of webhook {name}"))?;
            let engine = open_engine().await?;
            webhooks::add(&engine, &name, url, !no_resolved).await?;
            println!("added webhook {name} (its address is in the OS keyring)");
            Ok(ExitCode::SUCCESS)
        }
        WebhooksCommand::List { json } => {
            let engine = open_engine().await?;
            let list = webhooks::list(&engine);
            if json {
                output::print_json(&list);
            } else if list.is_empty() {
                println!("no webhooks; add one with `switchyard webhooks add NAME` (the address on stdin)");
            } else {
                for w in list {
                    println!(
                        "{}{}",
                        w.name,
                        if w.on_resolved {
                            ""
                        } else {
                            " (not told of resolved incidents)"
                        }
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        WebhooksCommand::Rm { name } => {
            let engine = open_engine().await?;
            removed("webhook", &name, webhooks::remove(&engine, &name).await?)
        }
        WebhooksCommand::Test { name } => {
            let engine = open_engine().await?;
            if !engine.config().webhooks.contains_key(&name) {
                return Err(input_error(format!(
                    "no webhook named {name}; `switchyard webhooks list` shows them"
                )));
            }
            let n = switchyard_engine::views::Notification {
                run_id: 0,
                route: "/alerts".into(),
                summary: "Switchyard test message".into(),
                body: format!("webhook {name} works"),
            };
            let d = webhooks::deliver(&engine, &n, false, Some(&name)).await;
            match d.first() {
                Some(d) if d.ok => {
                    println!("sent a test message to {name}");
                    Ok(ExitCode::SUCCESS)
                }
                Some(d) => Err(Failure {
                    code: 1,
                    message: format!(
                        "webhook {name}: {}",
                        d.error.as_deref().unwrap_or("not delivered")
                    ),
                }),
                None => Err(Failure {
                    code: 1,
                    message: format!("webhook {name} was not tried"),
                }),
            }
        }
    }
}

async fn sources(command: SourcesCommand) -> CmdResult {
    use switchyard_monitoring::sources;
    match command {
        SourcesCommand::Add {
            name,
            url,
            default,
            bearer_token_stdin,
            basic_user,
            ca_file,
            insecure_skip_tls_verify,
        } => {
            let mut new = sources::NewSource {
                name,
                url,
                default,
                ca_file,
                insecure_skip_tls_verify,
                ..Default::default()
            };
            if bearer_token_stdin {
                new.bearer_token = Some(read_secret_value("the bearer token")?);
            } else if let Some(user) = basic_user {
                new.basic = Some((user.clone(), read_secret_value(&format!("{user}'s password"))?));
            }
            let engine = open_engine().await?;
            let s = sources::add(&engine, new).await?;
            println!(
                "added source {} ({}{})",
                s.name,
                s.url,
                if s.default { ", default" } else { "" }
            );
            Ok(ExitCode::SUCCESS)
        }
        SourcesCommand::List { json } => {
            let engine = open_engine().await?;
            output::print_sources(&sources::list(&engine), json);
            Ok(ExitCode::SUCCESS)
        }
        SourcesCommand::Rm { name } => {
            let engine = open_engine().await?;
            removed("source", &name, sources::remove(&engine, &name).await?)
        }
        SourcesCommand::Check { names, json } => {
            let engine = open_engine().await?;
            let checks = sources::check(&engine, &names).await?;
            output::print_source_checks(&checks, json);
            Ok(all_fine(checks.iter().map(|c| c.ok)))
        }
    }
}

/// A secret's value from stdin (not a terminal) or a hidden prompt.
fn read_secret_value(name: &str) -> Result<secrecy::SecretString, Failure> {
    use std::io::{IsTerminal as _, Read as _};
    let limit = switchyard_engine::secrets::MAX_VALUE;
    let mut value = if std::io::stdin().is_terminal() {
        console::Term::stderr()
            .write_str(&format!("value of {name} (hidden): "))
            .and_then(|()| console::Term::stderr().read_secure_line())
            .map_err(|e| Failure {
                code: 1,
                message: format!("cannot read the value from the terminal: {e}"),
            })?
    } else {
        let mut bytes = Vec::new();
        std::io::stdin()
            .take(limit as u64 + 2)
            .read_to_end(&mut bytes)
            .map_err(|e| Failure {
                code: 1,
                message: format!("cannot read the value from stdin: {e}"),
            })?;
        String::from_utf8(bytes)
            .map_err(|_| input_error(format!("the value of {name} on stdin is not UTF-8 text")))?
    };
    if value.ends_with('\n') {
        value.pop();
        if value.ends_with('\r') {
            value.pop();
        }
    }
    if value.is_empty() {
        return Err(input_error(format!(
            "no value for {name}: pipe it in (`printf %s \"$VALUE\" | switchyard secrets set {name}`) or type it at the prompt"
        )));
    }
    if value.len() > limit {
        return Err(input_error(format!(
            "the value of {name} is longer than {limit} bytes"
        )));
    }
    Ok(secrecy::SecretString::from(value))
}

async fn targets(command: TargetsCommand) -> CmdResult {
    use switchyard_cloud::targets;
    match command {
        TargetsCommand::Add {
            name,
            context,
            kubeconfig,
            eks,
            aks,
            gke,
            namespace,
            environment,
            ..
        } => {
            if let Some((flag, cluster)) = eks
                .map(|c| ("--eks", c))
                .or(aks.map(|c| ("--aks", c)))
                .or(gke.map(|c| ("--gke", c)))
            {
                return Err(input_error(format!(
                    "{flag} {cluster}: cloud identities are not in this build yet; add the cluster's kubeconfig context \
                     (aws eks update-kubeconfig, az aks get-credentials, gcloud container clusters get-credentials) \
                     and use --context"
                )));
            }
            let engine = open_engine().await?;
            let new = targets::NewTarget {
                name,
                context: context.unwrap_or_default(),
                kubeconfig,
                namespace,
                environment,
            };
            let t = targets::add(&engine, new).await?;
            println!("added target {} (context {})", t.name, t.context);
            Ok(ExitCode::SUCCESS)
        }
        TargetsCommand::List { json } => {
            let engine = open_engine().await?;
            output::print_targets(&targets::list(&engine), json);
            Ok(ExitCode::SUCCESS)
        }
        TargetsCommand::Rm { name } => {
            let engine = open_engine().await?;
            removed("target", &name, targets::remove(&engine, &name).await?)
        }
        TargetsCommand::Check { names, json } => {
            let engine = open_engine().await?;
            let checks = targets::check(&engine, &names).await?;
            output::print_target_checks(&checks, json);
            Ok(all_fine(checks.iter().map(|c| c.ok)))
        }
    }
}
