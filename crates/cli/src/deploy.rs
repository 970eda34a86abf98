//! `switchyard deploy`: run a project's deploy jobs for an environment, and
//! look at the deployments recorded (`deploy status|history APP`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde::Serialize;
use switchyard_engine::deploy::{DeploymentEvent, DeploymentRecord};
use switchyard_engine::pipeline::plan::JobKind;
use switchyard_engine::status::RunStatus;
use switchyard_engine::{DeployOptions, Engine, RunOptions, Trigger};

use crate::{CmdResult, Failure, input_error, open_engine, output};

/// `switchyard deploy`.
#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DeployArgs {
    #[command(subcommand)]
    command: Option<DeployCommand>,
    /// A project folder (imported on the way) or a project name. Default: the current folder.
    project: Option<String>,
    /// The environment to deploy to: the project's deploy jobs whose
    /// `environment` it is run (with the jobs they need).
    #[arg(long, value_name = "ENV")]
    env: Option<String>,
    /// The image to ship, e.g. `ghcr.io/acme/web:1.4`: it replaces every
    /// container image of the same repository in the manifests.
    #[arg(long, value_name = "REF")]
    image: Option<String>,
    /// Show the diff against the live objects and stop; nothing is applied
    /// or recorded.
    #[arg(long)]
    dry_run: bool,
    /// Take over fields another field manager owns (server-side apply's
    /// force) instead of stopping at the conflict.
    #[arg(long)]
    force_conflicts: bool,
    /// Print the deployment as JSON on stdout (progress goes to stderr).
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum DeployCommand {
    /// The latest deployment of an app in each environment (or in one).
    Status {
        /// The app (`deploy.app` in the pipeline).
        app: String,
        /// Only this environment.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Let a deployment that waits for a person (an inconclusive analysis)
    /// go on.
    Promote {
        /// The deployment's id (`deploy history` shows them).
        id: i64,
        /// Why, kept in the history.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Stop a deployment: one that waits is aborted (100% back on stable);
    /// one that runs is stopped, which aborts its canary or rolls it back.
    Abort {
        /// The deployment's id.
        id: i64,
        /// Why, kept in the history.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Approve a deployment that waits for approval (production, or
    /// `approval: true`): it applies what its diff showed.
    Approve {
        /// The deployment's id.
        id: i64,
        /// Why, kept in the history.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Reject a deployment that waits for approval: nothing is applied.
    Reject {
        /// The deployment's id.
        id: i64,
        /// Why, kept in the history.
        #[arg(long)]
        comment: Option<String>,
    },
    /// Roll an app back in an environment to a recorded revision (default:
    /// the latest succeeded one before the current): its image is deployed
    /// again with the project's manifests, directly. Exit 0 when it rolled
    /// out, 1 when it failed.
    Rollback {
        /// The app.
        app: String,
        /// The environment.
        #[arg(long, value_name = "ENV")]
        env: String,
        /// The revision to go back to (`deploy history` lists them).
        #[arg(long, value_name = "REVISION")]
        to: Option<i64>,
        /// Print the deployment as JSON on stdout (progress goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// An app's deployments, newest first.
    History {
        /// The app.
        app: String,
        /// Only this environment.
        #[arg(long, value_name = "ENV")]
        env: Option<String>,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A deployment as `--json` prints it: the record, with what happened.
#[derive(Serialize)]
struct DeploymentJson {
    #[serde(flatten)]
    record: DeploymentRecord,
    steps: Vec<DeploymentEvent>,
}

/// What `--dry-run --json` prints: nothing was recorded, so no id.
#[derive(Serialize)]
struct DryRunJson {
    id: Option<i64>,
    app: String,
    environment: String,
    status: &'static str,
    revision: Option<i64>,
    image: Option<String>,
    strategy: String,
    targets: Vec<DryRunTarget>,
    run_id: i64,
}

#[derive(Serialize)]
struct DryRunTarget {
    name: String,
    wave: u32,
    status: String,
}

pub async fn dispatch(args: DeployArgs) -> CmdResult {
    match args.command {
        Some(DeployCommand::Status { app, env, json }) => status(&app, env.as_deref(), json).await,
        Some(DeployCommand::History {
            app,
            env,
            limit,
            json,
        }) => history(&app, env.as_deref(), limit, json).await,
        Some(DeployCommand::Promote { id, comment }) | Some(DeployCommand::Approve { id, comment }) => {
            decide(id, true, comment).await
        }
        Some(DeployCommand::Reject { id, comment }) => decide(id, false, comment).await,
        Some(DeployCommand::Rollback { app, env, to, json }) => rollback(&app, &env, to, json).await,
        Some(DeployCommand::Abort { id, comment }) => decide(id, false, comment).await,
        None => {
            let Some(env) = args.env else {
                return Err(input_error(
                    "`switchyard deploy` needs `--env ENV`: the environment to deploy to (a deploy job's `environment`)",
                ));
            };
            let engine = open_engine().await?;
            let target = args.project.unwrap_or_else(|| ".".into());
            let project = engine.resolve_project(&target).await?;
            let options = RunOptions {
                trigger: Trigger::Cli,
                deploy: DeployOptions {
                    image: args.image,
                    dry_run: args.dry_run,
                    force: args.force_conflicts,
                    rollback_to: None,
                },
                ..Default::default()
            };
            let events = engine.subscribe();
            let handle = engine.start_deploy(&project, &env, options).await?;
            let run_id = handle.id;
            // Progress goes to stderr; the result to stdout.
            let status = crate::watch(&engine, handle, events, true).await?;
            if args.dry_run {
                print_dry_run(&engine, run_id, args.json).await?;
            } else {
                print_deployments_of(&engine, run_id, args.json).await?;
            }
            Ok(if status == RunStatus::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
    }
}

async fn print_dry_run(engine: &Engine, run_id: i64, json: bool) -> Result<(), Failure> {
    let details = engine.run(run_id).await?;
    let project = engine.project(&details.summary.project).await?;
    let plan = engine.plan(&project, &[])?;
    let mut out = Vec::new();
    for job in &details.jobs {
        let Some(spec) = plan
            .jobs
            .iter()
            .find(|j| j.name == job.name)
            .and_then(|j| match &j.kind {
                JobKind::Deploy(d) => Some(d.clone()),
                _ => None,
            })
        else {
            continue;
        };
        let mut targets = Vec::new();
        for (w, wave) in spec.waves.iter().enumerate() {
            for t in wave {
                let step = job
                    .steps
                    .iter()
                    .find(|s| s.name.starts_with(&format!("deploy to {t} ")));
                targets.push(DryRunTarget {
                    name: t.clone(),
                    wave: w as u32 + 1,
                    status: match step.map(|s| s.status.as_str()) {
                        Some("succeeded") => "dry_run".into(),
                        Some(other) => other.to_string(),
                        None => "pending".into(),
                    },
                });
            }
        }
        out.push(DryRunJson {
            id: None,
            app: spec.app.clone(),
            environment: spec.environment.clone(),
            status: if job.status.is_failure() {
                "failed"
            } else {
                "dry_run"
            },
            revision: None,
            image: None,
            strategy: spec.strategy.as_str().into(),
            targets,
            run_id,
        });
    }
    if json {
        match out.len() {
            1 => output::print_json(&out[0]),
            _ => output::print_json(&out),
        }
    } else {
        output::print_run_end(engine, &details).await?;
        eprintln!("dry run: nothing was applied; `switchyard logs {run_id}` shows the diff");
    }
    Ok(())
}

fn print_deployment(d: &DeploymentRecord) {
    println!(
        "deployment #{}: {} {} -> {} (revision {}, {}): {}",
        d.id,
        d.app,
        d.version,
        d.environment,
        d.revision,
        d.strategy,
        d.status.as_str().replace('_', " ")
    );
    for t in &d.targets {
        println!(
            "  wave {} {:<20} {}{}",
            t.wave,
            t.name,
            t.status.as_str().replace('_', " "),
            t.reason.as_deref().map(|r| format!(": {r}")).unwrap_or_default()
        );
    }
    if let Some(r) = &d.reason
        && d.targets.iter().all(|t| t.reason.is_none())
    {
        println!("  {r}");
    }
}

async fn status(app: &str, env: Option<&str>, json: bool) -> CmdResult {
    let engine = open_engine().await?;
    let all = engine.deployments(Some(app), env, 10_000).await?;
    let mut latest: Vec<DeploymentRecord> = Vec::new();
    for d in all {
        if !latest.iter().any(|l| l.environment == d.environment) {
            latest.push(d);
        }
    }
    if latest.is_empty() {
        return Err(input_error(format!(
            "no deployment of `{app}`{} is recorded; `switchyard deploy --env ENV` makes one",
            env.map(|e| format!(" to `{e}`")).unwrap_or_default()
        )));
    }
    latest.sort_by(|a, b| a.environment.cmp(&b.environment));
    if json {
        let mut all = Vec::new();
        for d in latest {
            let steps = engine.deployment_events(d.id).await?;
            all.push(DeploymentJson { record: d, steps });
        }
        output::print_json(&all);
    } else {
        for d in &latest {
            print_deployment(d);
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn history(app: &str, env: Option<&str>, limit: u32, json: bool) -> CmdResult {
    let engine = open_engine().await?;
    let list = engine.deployments(Some(app), env, limit).await?;
    if json {
        output::print_json(&list);
        return Ok(ExitCode::SUCCESS);
    }
    if list.is_empty() {
        eprintln!("no deployment of `{app}` is recorded");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:>5}  {:<12} {:>4}  {:<16} {:<12} {:<25} RUN",
        "ID", "ENV", "REV", "VERSION", "STATUS", "WHEN"
    );
    for d in &list {
        println!(
            "{:>5}  {:<12} {:>4}  {:<16} {:<12} {:<25} #{}",
            d.id,
            d.environment,
            d.revision,
            d.version,
            d.status.as_str(),
            d.created_at,
            d.run_id
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn decide(id: i64, go_on: bool, comment: Option<String>) -> CmdResult {
    use switchyard_engine::deploy::DeploymentDecision;
    let engine = open_engine().await?;
    let text = match engine.decide_deployment(id, go_on, comment, "cli").await? {
        DeploymentDecision::WentOn => "promoted; it goes on",
        DeploymentDecision::Aborted => "aborted; the stable version takes the traffic back",
        DeploymentDecision::Stopping => "stopping; the stable version takes the traffic back",
    };
    println!("deployment #{id}: {text}");
    Ok(ExitCode::SUCCESS)
}

/// Prints the deployments a run made (`--json`: one object, or an array
/// when there are several).
async fn print_deployments_of(engine: &Engine, run_id: i64, json: bool) -> Result<(), Failure> {
    let deployments = engine.deployments_of_run(run_id).await?;
    if json {
        let mut all = Vec::new();
        for d in deployments {
            let steps = engine.deployment_events(d.id).await?;
            all.push(DeploymentJson { record: d, steps });
        }
        match all.len() {
            1 => output::print_json(&all[0]),
            _ => output::print_json(&all),
        }
    } else {
        if deployments.is_empty() {
            let details = engine.run(run_id).await?;
            output::print_run_end(engine, &details).await?;
        }
        for d in &deployments {
            print_deployment(d);
        }
    }
    Ok(())
}

async fn rollback(app: &str, env: &str, to: Option<i64>, json: bool) -> CmdResult {
    let engine = open_engine().await?;
    let events = engine.subscribe();
    let options = RunOptions {
        trigger: Trigger::Cli,
        ..Default::default()
    };
    let (handle, target) = engine.start_rollback(app, env, to, options).await?;
    eprintln!(
        "rolling {app} back to revision {} ({}) in {env}",
        target.revision,
        target.image.as_deref().unwrap_or(&target.version)
    );
    let run_id = handle.id;
    let status = crate::watch(&engine, handle, events, true).await?;
    print_deployments_of(&engine, run_id, json).await?;
    Ok(if status == RunStatus::Succeeded {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
