//! What happens across processes: crashes, cancel from another terminal,
//! Ctrl-C, following logs.

use std::time::Duration;

use nix_free::{kill, pid_alive};

use crate::support::{Sandbox, finish, wait_for};

/// Signals without an extra dependency: the `kill` command.
mod nix_free {
    pub fn kill(pid: u32, signal: &str) {
        let ok = std::process::Command::new("kill")
            .args([
                "-s".to_string(),
                signal.to_string(),
                "--".to_string(),
                pid.to_string(),
            ])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{signal} {pid} failed");
    }

    pub fn pid_alive(pid: i32) -> bool {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => false,
            Ok(stat) => stat.rsplit(')').next().and_then(|s| s.split_whitespace().next()) != Some("Z"),
        }
    }
}

fn slow_project(sb: &Sandbox, marker: &std::path::Path) -> std::path::PathBuf {
    sb.project(
        "slow",
        &format!(
            "jobs:\n  slow:\n    steps:\n      - run: echo started; echo $$ > {}; sleep 30\n  after: {{needs: slow, steps: ['true']}}\n",
            marker.display()
        ),
    )
}

fn read_pid(path: &std::path::Path) -> Option<i32> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The run of a Switchyard that was killed (kill -9, a crash, a power cut)
/// is found on the next start and shown as interrupted, not as running forever.
#[test]
fn a_killed_switchyard_leaves_its_run_interrupted() {
    let sb = Sandbox::new();
    let marker = sb.path().join("step.pid");
    let dir = slow_project(&sb, &marker);
    let child = sb.spawn(&["run", dir.to_str().unwrap()]);
    assert!(
        wait_for(20, || read_pid(&marker).is_some()),
        "the step never started"
    );
    // Output reaches the history within a fraction of a second.
    assert!(
        wait_for(5, || sb.run(&["logs", "1"]).stdout.contains("started")),
        "the step's output was not stored while it ran"
    );
    kill(child.id(), "KILL");
    let _ = finish(child, "switchyard run (killed)");
    // The step's shell outlives a SIGKILLed Switchyard; stop it ourselves.
    if let Some(pid) = read_pid(&marker) {
        // `--` matters: without it `kill` reads `-PID` as an option.
        let _ = std::process::Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{pid}")])
            .status();
    }
    let runs = sb.run(&["runs", "--json"]).expect_code(0).json();
    assert_eq!(runs[0]["status"], "interrupted", "{runs:#}");
    let run = sb.run(&["show", "1", "--json"]).expect_code(0).json();
    assert_eq!(run["jobs"][0]["status"], "interrupted");
    assert_eq!(run["jobs"][0]["steps"][0]["status"], "interrupted");
    assert_eq!(run["jobs"][1]["status"], "interrupted");
    assert_eq!(run["error"], "Switchyard stopped while the run was going");
    // The log written before the crash is kept.
    let logs = sb.run(&["logs", "1"]).expect_code(0);
    assert!(logs.stdout.contains("started"), "{}", logs.stdout);
}

#[test]
fn cancel_from_another_process_stops_the_run() {
    let sb = Sandbox::new();
    let marker = sb.path().join("step.pid");
    let dir = slow_project(&sb, &marker);
    let child = sb.spawn(&["run", dir.to_str().unwrap()]);
    assert!(
        wait_for(20, || read_pid(&marker).is_some()),
        "the step never started"
    );
    let step_pid = read_pid(&marker).unwrap();
    let started = std::time::Instant::now();
    sb.run(&["cancel", "1"])
        .expect_code(0)
        .stdout_has("run 1 cancelled");
    assert!(started.elapsed() < Duration::from_secs(10));
    let ran = finish(child, "switchyard run").expect_code(1);
    ran.stdout_has("run 1 cancelled");
    assert!(
        wait_for(5, || !pid_alive(step_pid)),
        "the step's process survived the cancel"
    );
    let run = sb.run(&["show", "1", "--json"]).expect_code(0).json();
    assert_eq!(run["status"], "cancelled");
    assert_eq!(run["jobs"][1]["status"], "cancelled");
    // Cancelling a finished run is an input error.
    sb.run(&["cancel", "1"])
        .expect_code(2)
        .stderr_has("run 1 has already ended (cancelled)");
}

#[test]
fn ctrl_c_cancels_the_run_and_kills_its_processes() {
    let sb = Sandbox::new();
    let marker = sb.path().join("step.pid");
    let dir = slow_project(&sb, &marker);
    let child = sb.spawn(&["run", dir.to_str().unwrap()]);
    assert!(
        wait_for(20, || read_pid(&marker).is_some()),
        "the step never started"
    );
    let step_pid = read_pid(&marker).unwrap();
    kill(child.id(), "INT");
    let ran = finish(child, "switchyard run (Ctrl-C)").expect_code(1);
    ran.stdout_has("cancelling").stdout_has("run 1 cancelled");
    assert!(
        wait_for(5, || !pid_alive(step_pid)),
        "the step's process survived Ctrl-C"
    );
}

#[test]
fn logs_follow_prints_lines_as_they_come_and_stops_at_the_end() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "ticker",
        "jobs:\n  tick:\n    steps:\n      - run: for i in 1 2 3 4 5; do echo tick $i; sleep 0.3; done\n",
    );
    let run = sb.spawn(&["run", dir.to_str().unwrap()]);
    assert!(
        wait_for(20, || sb.home.join("switchyard.db").exists()
            && sb.run(&["show", "1"]).code == Some(0)),
        "the run never appeared"
    );
    let follow = sb.spawn(&["logs", "1", "--follow"]);
    let ran = finish(follow, "switchyard logs 1 --follow").expect_code(0);
    assert_eq!(ran.stdout, "tick 1\ntick 2\ntick 3\ntick 4\ntick 5\n");
    finish(run, "switchyard run").expect_code(0);
}

/// A gate in a run that one terminal runs is approved from another: the run
/// goes on and ends; its progress told how to approve it.
#[test]
fn a_gate_is_approved_from_another_terminal() {
    let sb = Sandbox::new();
    let dir = sb.project(
        "gated",
        "jobs:\n  build: {steps: ['true']}\n  gate: {needs: build, approval: {message: 'Ship it?'}}\n  ship: {needs: gate, steps: ['echo shipped']}\n",
    );
    let mut child = sb.spawn(&["run", dir.to_str().unwrap()]);
    let waiting = || {
        let run = sb.run(&["show", "1", "--json"]);
        run.code == Some(0) && run.json()["jobs"][1]["status"] == "waiting"
    };
    if !wait_for(90, waiting) {
        // Say what the run did instead (it may have ended, or never started).
        let _ = child.kill();
        let ran = finish(child, "switchyard run");
        panic!(
            "the gate never waited; the run printed:\n{}\n{}\nshow 1: {}",
            ran.stdout,
            ran.stderr,
            sb.run(&["show", "1", "--json"]).stdout
        );
    }
    let shown = sb.run(&["show", "1", "--json"]).expect_code(0).json();
    assert_eq!(shown["jobs"][1]["kind"], "approval");
    assert_eq!(shown["jobs"][1]["approval"]["message"], "Ship it?");
    sb.run(&["approve", "1", "ship"])
        .expect_code(2)
        .stderr_has("job `ship` of run 1 is not an approval job");
    sb.run(&["approve", "1", "gate", "--comment", "go"])
        .expect_code(0)
        .stdout_has("approved `gate` of run 1 as ");
    let ran = finish(child, "switchyard run");
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    ran.stdout_has("⏸ gate waits for approval: Ship it?")
        .stdout_has("approve: switchyard approve 1 gate");
    let run = sb.run(&["show", "1", "--json"]).expect_code(0).json();
    assert_eq!(run["jobs"][1]["status"], "succeeded");
    assert_eq!(run["jobs"][1]["approval"]["decision"]["approved"], true);
    assert_eq!(run["jobs"][1]["approval"]["decision"]["comment"], "go");
    assert_eq!(run["jobs"][2]["status"], "succeeded");
}
