//! Killing a step's whole process tree.
//!
//! Each step's shell leads its own process group, so one signal to the group
//! reaches everything it started. Processes that left the group (with
//! `setsid`, say) are found on Linux by walking `/proc` for descendants of the
//! step's shell before it dies, and are signalled one by one.

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// Sends `signal` to the process group `pgid` and to every descendant of
/// `root` found in `/proc`. Returns whether anything received it.
pub fn signal_tree(pgid: i32, root: i32, signal: Signal) -> bool {
    let mut any = false;
    // Find descendants first: once the group dies their parents are gone.
    let descendants = descendants_of(root);
    match killpg(Pid::from_raw(pgid), signal) {
        Ok(()) => any = true,
        Err(Errno::ESRCH) => {}
        Err(e) => tracing::warn!(pgid, error = %e, "cannot signal process group"),
    }
    for pid in descendants {
        if kill(Pid::from_raw(pid), signal).is_ok() {
            any = true;
        }
    }
    any
}

/// Whether any process of the group is still alive.
pub fn group_alive(pgid: i32) -> bool {
    // Signal 0 checks existence without sending anything.
    !matches!(killpg(Pid::from_raw(pgid), None), Err(Errno::ESRCH))
}

/// All processes whose chain of parents leads to `root`.
#[cfg(target_os = "linux")]
pub fn descendants_of(root: i32) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut parent_of: Vec<(i32, i32)> = Vec::new();
    for entry in dir.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|s| s.parse::<i32>().ok()) else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // The command name is in parentheses and may itself contain spaces
        // or parentheses: the fields after the last ')' are fixed.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let mut fields = after.split_whitespace();
        let _state = fields.next();
        if let Some(ppid) = fields.next().and_then(|p| p.parse::<i32>().ok()) {
            parent_of.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let p = found[i];
        for &(pid, ppid) in &parent_of {
            if ppid == p && !found.contains(&pid) {
                found.push(pid);
            }
        }
        i += 1;
    }
    found.remove(0);
    found
}

/// Elsewhere only the process group is used.
#[cfg(not(target_os = "linux"))]
pub fn descendants_of(_root: i32) -> Vec<i32> {
    Vec::new()
}
