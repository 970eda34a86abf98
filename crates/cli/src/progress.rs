//! The live progress of `switchyard run`, drawn from the engine's events.
//!
//! On a terminal each running job gets a spinner line with its current step;
//! elsewhere (CI logs, pipes, `--json`) every change is one plain line.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use switchyard_engine::Engine;
use switchyard_engine::events::Event;
use switchyard_engine::status::{JobStatus, StepStatus};
use tokio::sync::broadcast;

use crate::output::human;

/// A running progress display.
pub struct Progress {
    task: tokio::task::JoinHandle<()>,
    sink: Arc<Sink>,
}

enum Sink {
    Plain { stderr: bool },
    Live { multi: MultiProgress },
}

impl Sink {
    fn line(&self, text: &str) {
        match self {
            Sink::Plain { stderr: true } => eprintln!("{text}"),
            Sink::Plain { stderr: false } => println!("{text}"),
            Sink::Live { multi } => {
                let _ = multi.println(text);
            }
        }
    }
}

struct JobView {
    bar: Option<ProgressBar>,
    started: Instant,
    step_started: Instant,
    attempts: u32,
}

impl Progress {
    /// Starts showing the progress of run `id` from `events`. `json` sends
    /// everything to stderr as plain lines.
    pub async fn start(engine: Engine, id: i64, events: broadcast::Receiver<Event>, json: bool) -> Progress {
        let live = !json && console::Term::stdout().is_term() && std::env::var_os("CI").is_none();
        let sink = Arc::new(if live {
            Sink::Live {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
            }
        } else {
            Sink::Plain { stderr: json }
        });
        if let Ok(run) = engine.run(id).await {
            let s = &run.summary;
            let at = match (&s.branch, &s.commit) {
                (Some(b), Some(c)) => format!(" at {b}@{}", &c[..7.min(c.len())]),
                (None, Some(c)) => format!(" at {}", &c[..7.min(c.len())]),
                _ => String::new(),
            };
            let dirty = if s.dirty == Some(true) {
                " with uncommitted changes"
            } else {
                ""
            };
            sink.line(&format!(
                "▶ run {} of {}{at}{dirty}: {} job{}",
                s.id,
                s.project,
                run.jobs.len(),
                if run.jobs.len() == 1 { "" } else { "s" }
            ));
        }
        let task = tokio::spawn(follow(id, events, sink.clone()));
        Progress { task, sink }
    }

    /// Prints a line between the progress lines.
    pub fn note(&self, text: &str) {
        self.sink.line(text);
    }

    /// Waits until the run's end has been shown.
    pub async fn finish(self) {
        // The run task publishes the run's end after everything else.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.task).await;
        if let Sink::Live { multi } = self.sink.as_ref() {
            let _ = multi.clear();
        }
    }
}

async fn follow(id: i64, mut events: broadcast::Receiver<Event>, sink: Arc<Sink>) {
    let jobs: Mutex<HashMap<i64, JobView>> = Mutex::new(HashMap::new());
    let style = ProgressStyle::with_template("{spinner:.cyan} {prefix:.bold} {wide_msg}")
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    loop {
        let event = match events.recv().await {
            Ok(e) => e,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if event.run_id() != Some(id) {
            continue;
        }
        let mut jobs = jobs.lock().unwrap_or_else(|p| p.into_inner());
        match event {
            Event::Run { status, .. } => {
                if status.is_terminal() {
                    for view in jobs.values_mut() {
                        if let Some(bar) = view.bar.take() {
                            bar.finish_and_clear();
                        }
                    }
                    return;
                }
            }
            Event::Job {
                job_id,
                job,
                status,
                attempt,
                reason,
                ..
            } => match status {
                JobStatus::Queued => {}
                JobStatus::Waiting => {
                    jobs.entry(job_id).or_insert_with(|| JobView {
                        bar: None,
                        started: Instant::now(),
                        step_started: Instant::now(),
                        attempts: attempt,
                    });
                    let asks = reason.unwrap_or_default();
                    sink.line(&format!(
                        "⏸ {job} waits for approval: {asks}\n  approve: switchyard approve {id} {q}   reject: switchyard reject {id} {q}",
                        q = shell_word(&job)
                    ));
                }
                JobStatus::Running => {
                    let view = jobs.entry(job_id).or_insert_with(|| JobView {
                        bar: None,
                        started: Instant::now(),
                        step_started: Instant::now(),
                        attempts: attempt,
                    });
                    view.attempts = attempt;
                    let retry = if attempt > 1 {
                        format!(" (attempt {attempt})")
                    } else {
                        String::new()
                    };
                    match sink.as_ref() {
                        Sink::Live { multi } => {
                            let bar = view.bar.get_or_insert_with(|| {
                                let b = multi.add(ProgressBar::new_spinner());
                                b.set_style(style.clone());
                                b.set_prefix(job.to_string());
                                b.enable_steady_tick(Duration::from_millis(120));
                                b
                            });
                            bar.set_message(format!("starting{retry}"));
                        }
                        Sink::Plain { .. } => sink.line(&format!("[{job}] started{retry}")),
                    }
                }
                done => {
                    let took = jobs
                        .get(&job_id)
                        .map(|v| format!(" in {}", human(v.started.elapsed())))
                        .unwrap_or_default();
                    let mark = match done {
                        JobStatus::Succeeded => "✓",
                        JobStatus::Skipped => "-",
                        JobStatus::Cancelled => "⊘",
                        _ => "✗",
                    };
                    let why = reason.map(|r| format!(": {r}")).unwrap_or_default();
                    let took = if done == JobStatus::Skipped {
                        String::new()
                    } else {
                        took
                    };
                    if let Some(bar) = jobs.get_mut(&job_id).and_then(|v| v.bar.take()) {
                        bar.finish_and_clear();
                    }
                    sink.line(&format!("{mark} {job} {done}{took}{why}"));
                }
            },
            Event::Step {
                job_id,
                job,
                step,
                name,
                status,
                exit_code,
                ..
            } => {
                let Some(view) = jobs.get_mut(&job_id) else {
                    continue;
                };
                match status {
                    StepStatus::Running => {
                        view.step_started = Instant::now();
                        match (&view.bar, sink.as_ref()) {
                            (Some(bar), _) => bar.set_message(format!("step {}: {name}", step + 1)),
                            (None, Sink::Plain { .. }) => {
                                sink.line(&format!("[{job}] step {}: {name}", step + 1))
                            }
                            _ => {}
                        }
                    }
                    StepStatus::Succeeded | StepStatus::Failed | StepStatus::TimedOut => {
                        let took = human(view.step_started.elapsed());
                        let text = match status {
                            StepStatus::Succeeded => format!("[{job}]   ✓ {name} ({took})"),
                            StepStatus::TimedOut => format!("[{job}]   ✗ {name} timed out ({took})"),
                            _ => match exit_code {
                                Some(code) => format!("[{job}]   ✗ {name} exited with code {code} ({took})"),
                                None => format!("[{job}]   ✗ {name} failed ({took})"),
                            },
                        };
                        if matches!(sink.as_ref(), Sink::Plain { .. }) || status != StepStatus::Succeeded {
                            sink.line(&text);
                        }
                    }
                    _ => {}
                }
            }
            Event::Log { .. }
            | Event::CancelRequested { .. }
            | Event::Decided { .. }
            | Event::Project { .. }
            | Event::ConfigChanged
            | Event::Alerts { .. } => {}
        }
    }
}

/// A job name as one shell word (quoted when it holds spaces, as matrix
/// names do).
fn shell_word(s: &str) -> String {
    if s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
