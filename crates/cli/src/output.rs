//! What the CLI prints: tables and summaries for people, JSON for scripts.
//!
//! The JSON is the engine API's views (`switchyard_engine::views`), the one
//! serialized form the desktop app receives too; docs/cli.md documents it.

use std::collections::HashMap;
use std::time::Duration;

use serde::Serialize;
use switchyard_engine::logs::{LogLine, Stream};
use switchyard_engine::store::{JobRecord, RunDetails, RunSummary};
use switchyard_engine::views::{ProjectView, RunSummaryView, SecretView};
use switchyard_engine::{Engine, EngineError};

fn duration_ms(start: Option<i64>, end: Option<i64>) -> Option<i64> {
    match (start, end) {
        (Some(s), Some(e)) => Some((e - s).max(0)),
        _ => None,
    }
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(s) => println!("{s}"),
        Err(e) => eprintln!("error: cannot encode JSON: {e}"),
    }
}

/// `switchyard projects`.
pub fn print_projects(projects: &[ProjectView], json: bool) {
    if json {
        print_json(&projects);
        return;
    }
    if projects.is_empty() {
        println!("no projects yet; import one with `switchyard import DIR`");
        return;
    }
    let width = projects.iter().map(|p| p.name.len()).max().unwrap_or(4).max(4);
    println!("{:width$}  PATH", "NAME");
    for p in projects {
        println!("{:width$}  {}", p.name, p.path);
    }
}

/// `switchyard runs`.
pub fn print_runs(runs: &[RunSummary], json: bool) {
    if json {
        let list: Vec<RunSummaryView> = runs.iter().map(RunSummaryView::from).collect();
        print_json(&list);
        return;
    }
    if runs.is_empty() {
        println!("no runs yet; start one with `switchyard run DIR`");
        return;
    }
    let pw = runs.iter().map(|r| r.project.len()).max().unwrap_or(7).max(7);
    println!(
        "{:>6}  {:11}  {:pw$}  {:20}  {:9}  STARTED",
        "ID", "STATUS", "PROJECT", "BRANCH", "DURATION"
    );
    for r in runs {
        let commit = match (&r.branch, &r.commit) {
            (Some(b), Some(c)) => format!("{b}@{}", &c[..c.len().min(7)]),
            (None, Some(c)) => c[..c.len().min(7)].to_string(),
            (Some(b), None) => b.clone(),
            (None, None) => "-".into(),
        };
        let commit = if r.dirty == Some(true) {
            format!("{commit}*")
        } else {
            commit
        };
        let dur = duration_ms(r.started_at, r.finished_at)
            .map(|d| human(Duration::from_millis(d as u64)))
            .unwrap_or_else(|| "-".into());
        let started =
            switchyard_engine::views::rfc3339(r.started_at.or(Some(r.created_at))).unwrap_or_default();
        println!(
            "{:>6}  {:11}  {:pw$}  {:20}  {:9}  {started}",
            r.id,
            r.status.as_str(),
            r.project,
            truncate(&commit, 20),
            dur
        );
    }
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

/// A short human duration: `850ms`, `12.3s`, `4m05s`, `1h02m`.
pub fn human(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else if ms < 3_600_000 {
        format!("{}m{:02}s", ms / 60_000, (ms / 1000) % 60)
    } else {
        format!("{}h{:02}m", ms / 3_600_000, (ms / 60_000) % 60)
    }
}

fn mark(status: &str) -> &'static str {
    match status {
        "succeeded" => "✓",
        "failed" | "timed_out" | "interrupted" => "✗",
        "cancelled" => "⊘",
        "skipped" => "-",
        _ => "…",
    }
}

/// `switchyard show`.
pub async fn print_run(engine: &Engine, run: &RunDetails) -> Result<(), EngineError> {
    let s = &run.summary;
    let dur = duration_ms(s.started_at, s.finished_at)
        .map(|d| format!(" in {}", human(Duration::from_millis(d as u64))))
        .unwrap_or_default();
    println!("run {} of {}: {}{dur}", s.id, s.project, s.status);
    if let Some(c) = &s.commit {
        println!(
            "  commit {}{}{}",
            c,
            s.branch
                .as_deref()
                .map(|b| format!(" on {b}"))
                .unwrap_or_default(),
            if s.dirty == Some(true) {
                " (uncommitted changes)"
            } else {
                ""
            }
        );
    }
    let mut started = format!(
        "  started from {}",
        s.trigger.as_deref().unwrap_or("an unrecorded source")
    );
    if !s.selection.is_empty() {
        started.push_str(&format!("; jobs chosen: {}", s.selection.join(", ")));
    }
    if s.in_place {
        started.push_str("; in the project folder");
    }
    if let Some(of) = s.rerun_of {
        started.push_str(&format!("; re-run of run {of}"));
    }
    println!("{started}");
    if let Some(e) = &run.error {
        println!("  error: {e}");
    }
    for job in &run.jobs {
        let dur = duration_ms(job.started_at, job.finished_at)
            .map(|d| format!(" ({})", human(Duration::from_millis(d as u64))))
            .unwrap_or_default();
        let attempts = if job.attempts > 1 {
            format!(", {} attempts", job.attempts)
        } else {
            String::new()
        };
        println!(
            "{} {} {}{dur}{attempts}",
            mark(job.status.as_str()),
            job.name,
            job.status
        );
        if let Some(r) = &job.reason {
            println!("    {r}");
        }
        for step in &job.steps {
            let dur = duration_ms(step.started_at, step.finished_at)
                .map(|d| format!(" ({})", human(Duration::from_millis(d as u64))))
                .unwrap_or_default();
            let code = step
                .exit_code
                .filter(|&c| c != 0)
                .map(|c| format!(", exit code {c}"))
                .unwrap_or_default();
            println!("    {} {}{dur}{code}", mark(step.status.as_str()), step.name);
        }
        let t = job.tests;
        if t.passed + t.failed + t.skipped > 0 {
            println!(
                "    tests: {} passed, {} failed, {} skipped",
                t.passed, t.failed, t.skipped
            );
            if t.failed > 0 {
                for r in engine
                    .test_results(job.id)
                    .await?
                    .iter()
                    .filter(|r| r.status == "failed")
                    .take(10)
                {
                    let name = match &r.classname {
                        Some(c) => format!("{c}::{}", r.name),
                        None => r.name.clone(),
                    };
                    println!("      ✗ {name}: {}", r.message.as_deref().unwrap_or(""));
                }
            }
        }
        for a in &job.artifacts {
            println!(
                "    artifact {} ({} bytes, sha256 {})",
                a.path,
                a.size,
                &a.sha256[..12.min(a.sha256.len())]
            );
        }
        for w in &job.warnings {
            println!("    warning: {w}");
        }
    }
    Ok(())
}

/// The summary printed when `switchyard run` ends: counts, and the last
/// lines of each failed job's log.
pub async fn print_run_end(engine: &Engine, run: &RunDetails) -> Result<(), EngineError> {
    let s = &run.summary;
    let mut counts: Vec<(String, usize)> = Vec::new();
    for job in &run.jobs {
        let k = job.status.as_str().to_string();
        match counts.iter_mut().find(|(n, _)| *n == k) {
            Some((_, c)) => *c += 1,
            None => counts.push((k, 1)),
        }
    }
    let counts: Vec<String> = counts.iter().map(|(k, c)| format!("{c} {k}")).collect();
    for job in run.jobs.iter().filter(|j| j.status.is_failure()) {
        let (lines, _) = engine.log_since(job.id, None).await?;
        let tail: Vec<&LogLine> = lines
            .iter()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        if !tail.is_empty() {
            eprintln!("── last lines of {} ──", job.name);
            for l in tail {
                eprintln!("  {}", l.text);
            }
        }
    }
    let dur = duration_ms(s.started_at, s.finished_at)
        .map(|d| format!(" in {}", human(Duration::from_millis(d as u64))))
        .unwrap_or_default();
    let tests = run.jobs.iter().fold((0, 0, 0), |acc, j| {
        (
            acc.0 + j.tests.passed,
            acc.1 + j.tests.failed,
            acc.2 + j.tests.skipped,
        )
    });
    let tests = if tests.0 + tests.1 + tests.2 > 0 {
        format!(
            "; tests: {} passed, {} failed, {} skipped",
            tests.0, tests.1, tests.2
        )
    } else {
        String::new()
    };
    println!("run {} {}{dur} ({}){tests}", s.id, s.status, counts.join(", "));
    if let Some(e) = &run.error {
        println!("error: {e}");
    }
    println!(
        "details: switchyard show {}   logs: switchyard logs {}",
        s.id, s.id
    );
    Ok(())
}

fn format_line(line: &LogLine, prefix: Option<&str>, timestamps: bool) -> String {
    let mut out = String::new();
    if timestamps {
        out.push_str(&switchyard_engine::views::rfc3339(Some(line.ts)).unwrap_or_default());
        out.push(' ');
    }
    if let Some(p) = prefix {
        out.push('[');
        out.push_str(p);
        out.push_str("] ");
    }
    if line.stream == Stream::System {
        out.push_str("» ");
    }
    out.push_str(&line.text);
    out
}

/// `switchyard logs`.
pub async fn print_logs(
    engine: &Engine,
    run_id: i64,
    job: Option<&str>,
    follow: bool,
    timestamps: bool,
) -> Result<(), EngineError> {
    use std::io::Write;
    let run = engine.run(run_id).await?;
    let jobs: Vec<&JobRecord> = match job {
        Some(name) => {
            let found: Vec<&JobRecord> = run
                .jobs
                .iter()
                .filter(|j| j.name == name || j.name.starts_with(&format!("{name} (")))
                .collect();
            if found.is_empty() {
                let names: Vec<&str> = run.jobs.iter().map(|j| j.name.as_str()).collect();
                return Err(EngineError::UnknownJob(
                    switchyard_engine::pipeline::plan::UnknownJob {
                        name: name.to_string(),
                        hint: format!(" of run {run_id}; its jobs are: {}", names.join(", ")),
                    },
                ));
            }
            found
        }
        None => run.jobs.iter().collect(),
    };
    let prefix = jobs.len() > 1;
    let mut last_seq: HashMap<i64, Option<i64>> = HashMap::new();
    let stdout = std::io::stdout();
    loop {
        let status = if follow {
            Some(engine.run_status(run_id).await?)
        } else {
            None
        };
        let mut lock = stdout.lock();
        for j in &jobs {
            let after = last_seq.get(&j.id).copied().flatten();
            let (lines, last) = engine.log_since(j.id, after).await?;
            for line in lines {
                let p = prefix.then_some(j.name.as_str());
                if writeln!(lock, "{}", format_line(&line, p, timestamps)).is_err() {
                    return Ok(()); // stdout closed (e.g. piped into `head`)
                }
            }
            last_seq.insert(j.id, last);
        }
        drop(lock);
        if !follow || status.is_none_or(|s| s.is_terminal()) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// `switchyard secrets list`: names, scopes and ages; never a value.
pub fn print_secrets(secrets: &[SecretView], json: bool) {
    if json {
        print_json(&secrets);
        return;
    }
    if secrets.is_empty() {
        println!("no secrets yet; store one with `switchyard secrets set NAME`");
        return;
    }
    let width = secrets.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:width$}  {:11}  {:20}  {:20}  ROTATIONS",
        "NAME", "SCOPE", "PROJECT", "UPDATED"
    );
    for s in secrets {
        println!(
            "{:width$}  {:11}  {:20}  {:20}  {}",
            s.name,
            s.scope,
            s.project.as_deref().unwrap_or("-"),
            s.updated_at
                .as_deref()
                .map(|t| t.get(..19).unwrap_or(t).replace('T', " "))
                .unwrap_or_else(|| "-".into()),
            s.rotations
        );
    }
}

/// `switchyard artifacts RUN`: each job's kept files.
pub fn print_artifacts(run: &RunDetails, job: Option<&str>, json: bool) {
    #[derive(Serialize)]
    struct Row<'a> {
        job: &'a str,
        path: &'a str,
        size: u64,
        sha256: &'a str,
    }
    let rows: Vec<Row<'_>> = run
        .jobs
        .iter()
        .filter(|j| job.is_none_or(|n| run.jobs_named(n).any(|m| m.id == j.id)))
        .flat_map(|j| {
            j.artifacts.iter().map(|a| Row {
                job: &j.name,
                path: &a.path,
                size: a.size,
                sha256: &a.sha256,
            })
        })
        .collect();
    if json {
        print_json(&rows);
        return;
    }
    if rows.is_empty() {
        println!("run {} kept no artifacts", run.summary.id);
        return;
    }
    for r in rows {
        println!(
            "{}  {}  {} bytes  sha256:{}",
            r.job,
            r.path,
            r.size,
            &r.sha256[..12.min(r.sha256.len())]
        );
    }
}

/// `switchyard artifacts RUN --out DIR`: what was written where.
pub fn print_exported(done: &[switchyard_engine::views::ExportedArtifact], json: bool) {
    if json {
        print_json(&done);
        return;
    }
    if done.is_empty() {
        println!("no artifacts to copy");
    }
    for a in done {
        println!("{}  ({} bytes, SHA-256 checked)", a.dest, a.size);
    }
}

/// `switchyard targets list`.
pub fn print_targets(targets: &[switchyard_cloud::targets::TargetView], json: bool) {
    if json {
        print_json(&targets);
        return;
    }
    if targets.is_empty() {
        println!("no targets yet; add one with `switchyard targets add NAME --context CTX`");
        return;
    }
    let width = targets.iter().map(|t| t.name.len()).max().unwrap_or(4).max(4);
    println!(
        "{:width$}  {:24}  {:16}  ENVIRONMENT",
        "NAME", "CONTEXT", "NAMESPACE"
    );
    for t in targets {
        println!(
            "{:width$}  {:24}  {:16}  {}",
            t.name,
            t.context,
            t.namespace.as_deref().unwrap_or("(context's)"),
            t.environment.as_deref().unwrap_or("-")
        );
    }
}

/// `switchyard targets check`.
pub fn print_target_checks(checks: &[switchyard_cloud::targets::TargetCheck], json: bool) {
    if json {
        print_json(&checks);
        return;
    }
    if checks.is_empty() {
        println!("no targets to check; add one with `switchyard targets add NAME --context CTX`");
    }
    for c in checks {
        let mark = if c.ok { "✓" } else { "✗" };
        let version = c
            .server_version
            .as_deref()
            .map(|v| format!(" (Kubernetes {v})"))
            .unwrap_or_default();
        let expires = c
            .expires_at
            .as_deref()
            .map(|e| format!("; credentials valid until {e}"))
            .unwrap_or_default();
        println!("{mark} {}{version}{expires}", c.name);
        for p in &c.problems {
            println!("    {p}");
        }
    }
}

/// `switchyard sources list`.
pub fn print_sources(sources: &[switchyard_monitoring::sources::SourceView], json: bool) {
    if json {
        print_json(&sources);
        return;
    }
    if sources.is_empty() {
        println!(
            "no Prometheus sources yet; add one with `switchyard sources add NAME --url http://HOST:9090 --default`"
        );
        return;
    }
    let width = sources.iter().map(|s| s.name.len()).max().unwrap_or(4).max(4);
    println!("{:width$}  {:40}  {:7}  DEFAULT", "NAME", "URL", "AUTH");
    for s in sources {
        println!(
            "{:width$}  {:40}  {:7}  {}",
            s.name,
            s.url,
            s.auth,
            if s.default { "yes" } else { "" }
        );
    }
}

/// `switchyard sources check`.
pub fn print_source_checks(checks: &[switchyard_monitoring::sources::SourceCheck], json: bool) {
    if json {
        print_json(&checks);
        return;
    }
    if checks.is_empty() {
        println!("no sources to check; add one with `switchyard sources add NAME --url URL`");
    }
    for c in checks {
        let mark = if c.ok { "✓" } else { "✗" };
        let version = c
            .version
            .as_deref()
            .map(|v| format!(" (Prometheus {v}"))
            .unwrap_or_default();
        let latency = match (&c.version, c.latency_ms) {
            (Some(_), Some(ms)) => format!(", {ms} ms)"),
            (Some(_), None) => ")".into(),
            _ => String::new(),
        };
        println!("{mark} {}{version}{latency}", c.name);
        for p in &c.problems {
            println!("    {p}");
        }
    }
}

/// `switchyard alerts`.
pub fn print_alerts(
    view: &switchyard_engine::views::AlertsView,
    evaluation: Option<&switchyard_monitoring::alerts::Evaluation>,
    json: bool,
) {
    if json {
        print_json(&serde_json::json!({
            "evaluated": evaluation,
            "firing": view.firing,
            "incidents": view.incidents,
            "alerts": view.alerts,
        }));
        return;
    }
    if let Some(e) = evaluation {
        if e.rules == 0 {
            println!(
                "no alert rules; add them under [alerts.rules.<name>] in config.toml (see docs/monitoring.md)"
            );
        }
        for (rule, why) in &e.unreadable {
            println!("! rule {rule}: its alerts are unknown: {why}");
        }
    }
    if view.incidents.is_empty() && view.alerts.is_empty() {
        println!("no alerts");
        return;
    }
    let time = |ms: i64| {
        jiff::Timestamp::from_millisecond(ms)
            .map(|t| {
                t.to_zoned_datetime(jiff::tz::TimeZone::system())
                    .strftime("%Y-%m-%d %H:%M:%S")
                    .to_string()
            })
            .unwrap_or_default()
    };
    if !view.incidents.is_empty() {
        println!("INCIDENT  STATE         STARTED              KEY");
        for i in &view.incidents {
            let state = if i.resolved_at.is_some() {
                "resolved"
            } else if i.acknowledged_at.is_some() {
                "acknowledged"
            } else {
                "open"
            };
            println!(
                "{:<8}  {:<12}  {:<19}  {} ({} firing of {})",
                format!("#{}", i.id),
                state,
                time(i.started_at),
                i.key,
                i.firing,
                i.alerts.len()
            );
        }
        println!();
    }
    println!("ALERT  STATE     SEVERITY  RULE                  VALUE       SINCE                LABELS");
    for a in &view.alerts {
        let labels: Vec<String> = a
            .labels
            .iter()
            .filter(|(k, _)| k.as_str() != "__name__")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let state = if a.silenced_until.is_some() {
            format!("{} (silenced)", a.state)
        } else {
            a.state.clone()
        };
        println!(
            "{:<5}  {:<8}  {:<8}  {:<20}  {:<10}  {:<19}  {}",
            a.id,
            state,
            a.severity,
            a.rule,
            a.value.map(|v| format!("{v:.4}")).unwrap_or_else(|| "-".into()),
            a.since.map(time).unwrap_or_default(),
            labels.join(",")
        );
    }
}

fn ms_text(ms: Option<i64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1_000 => format!("{ms} ms"),
        Some(ms) if ms < 60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        Some(ms) if ms < 3_600_000 => format!("{}m {:02}s", ms / 60_000, ms % 60_000 / 1000),
        Some(ms) => format!("{}h {:02}m", ms / 3_600_000, ms % 3_600_000 / 60_000),
    }
}

/// `switchyard stats`.
pub fn print_stats(s: &switchyard_engine::analytics::StatsView, json: bool) {
    if json {
        print_json(s);
        return;
    }
    let scope = s.project.as_deref().unwrap_or("all projects");
    println!(
        "{scope}: {} runs, {} succeeded, {} failed, {} cancelled",
        s.runs, s.succeeded, s.failed, s.cancelled
    );
    if s.runs == 0 {
        println!("no runs in this window");
        return;
    }
    if let Some(rate) = s.success_rate {
        println!("success rate  {:.1}%", rate * 100.0);
    }
    println!(
        "duration      median {}, p95 {}, longest {}",
        ms_text(s.duration.p50_ms),
        ms_text(s.duration.p95_ms),
        ms_text(s.duration.max_ms)
    );
    println!(
        "queue time    median {}, p95 {}",
        ms_text(s.queue.p50_ms),
        ms_text(s.queue.p95_ms)
    );
    println!();
    println!("DAY         RUNS  OK  FAILED  MEDIAN      TESTS");
    for d in &s.days {
        println!(
            "{}  {:>4}  {:>2}  {:>6}  {:<10}  {:>5}",
            d.day,
            d.runs,
            d.succeeded,
            d.failed,
            ms_text(d.p50_duration_ms),
            d.tests
        );
    }
    if !s.slowest_steps.is_empty() {
        println!();
        println!("SLOWEST STEPS (median, p95, runs)");
        for st in &s.slowest_steps {
            println!(
                "  {} › {} › {}: {}, {}, {}",
                st.project,
                st.job,
                st.step,
                ms_text(st.spread.p50_ms),
                ms_text(st.spread.p95_ms),
                st.spread.count
            );
        }
    }
    if !s.flaky_tests.is_empty() {
        println!();
        println!("FLAKY TESTS (passed and failed on one commit)");
        for t in &s.flaky_tests {
            println!(
                "  {} › {}: {} passed, {} failed on {} commit{}",
                t.project,
                t.test,
                t.passed,
                t.failed,
                t.commits,
                if t.commits == 1 { "" } else { "s" }
            );
        }
    }
}

/// `switchyard stats --env ENV`.
pub fn print_dora(v: &switchyard_engine::deploy::dora::DoraView, json: bool) {
    if json {
        print_json(v);
        return;
    }
    let spread = |s: &switchyard_engine::analytics::Spread| match (s.p50_ms, s.p95_ms) {
        (Some(p50), Some(p95)) => format!(
            "median {}, p95 {} (n={})",
            humantime::format_duration(std::time::Duration::from_secs((p50 / 1000).max(0) as u64)),
            humantime::format_duration(std::time::Duration::from_secs((p95 / 1000).max(0) as u64)),
            s.count
        ),
        _ => "none".into(),
    };
    println!(
        "deployments to {}: {} ended, {} succeeded, {} failed or rolled back",
        v.environment, v.deployments, v.succeeded, v.failed
    );
    println!("deployment frequency: {:.2} per day", v.per_day);
    println!("lead time for changes: {}", spread(&v.lead_time));
    println!(
        "change failure rate: {}",
        v.change_failure_rate
            .map(|r| format!("{:.1}%", r * 100.0))
            .unwrap_or_else(|| "none".into())
    );
    println!(
        "time to restore: {} (from {})",
        spread(&v.time_to_restore),
        v.restore_from
    );
}
