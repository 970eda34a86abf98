//! `switchyard`: Switchyard's engine, headless and scriptable.
//!
//! Each subcommand is a few lines over the engine's API (the same API the
//! desktop app calls). Output for people goes to the terminal; `--json`
//! prints machine-readable records on stdout. Exit codes: 0 success, 1 a run
//! that did not succeed (or an operational failure), 2 bad usage or input.

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
    /// Named cluster targets (`runner: kubernetes:<name>`): add, list, remove, check.
    #[command(subcommand)]
    Targets(TargetsCommand),
    /// Secrets in the OS keyring: set, list, remove (values are never shown).
    #[command(subcommand)]
    Secrets(SecretsCommand),
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
    Ok(switchyard_cloud::open(Home::from_env()?).await?)
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
        Command::Secrets(command) => secrets(command).await,
        Command::Targets(command) => targets(command).await,
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
            if targets::remove(&engine, &name).await? {
                println!("removed target {name}");
                Ok(ExitCode::SUCCESS)
            } else {
                Err(Failure {
                    code: 1,
                    message: format!("no target named {name}; `switchyard targets list` shows them"),
                })
            }
        }
        TargetsCommand::Check { names, json } => {
            let engine = open_engine().await?;
            let checks = targets::check(&engine, &names).await?;
            output::print_target_checks(&checks, json);
            Ok(if checks.iter().all(|c| c.ok) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}
