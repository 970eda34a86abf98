//! Opening files with the desktop's own handlers: a file with its default
//! application, or its folder in the file manager with the file selected.
//!
//! On Linux the file manager is asked over D-Bus
//! (`org.freedesktop.FileManager1.ShowItems`, which Nautilus, Dolphin,
//! Nemo and others implement); without one, the folder is opened with
//! `xdg-open`. The helper processes are not waited for beyond their start.

use std::path::Path;
use std::process::{Command, Stdio};

/// Why a file could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open {path} ({how}): {reason}; open it from a file manager instead")]
pub struct OpenError {
    path: String,
    how: &'static str,
    reason: String,
}

/// Opens `path` with its default application, or shows it in its folder.
pub fn open(path: &Path, reveal: bool) -> Result<(), OpenError> {
    if reveal && show_in_file_manager(path) {
        return Ok(());
    }
    let target = if reveal {
        path.parent().unwrap_or(path)
    } else {
        path
    };
    spawn(opener(), target).map_err(|reason| OpenError {
        path: target.display().to_string(),
        how: opener(),
        reason,
    })
}

fn opener() -> &'static str {
    if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    }
}

fn spawn(program: &str, target: &Path) -> Result<(), String> {
    let mut child = Command::new(program)
        .arg(target)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("{program} could not be started: {e}"))?;
    // Reap it in the background: xdg-open returns once the handler is started.
    std::thread::spawn(move || {
        let _ = child.wait();
    });
    Ok(())
}

/// Asks the session's file manager to show the file selected; false when
/// none answers.
fn show_in_file_manager(path: &Path) -> bool {
    let Ok(url) = url::Url::from_file_path(path) else {
        return false;
    };
    Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--reply-timeout=2000",
            "--dest=org.freedesktop.FileManager1",
            "/org/freedesktop/FileManager1",
            "org.freedesktop.FileManager1.ShowItems",
            &format!("array:string:{url}"),
            "string:",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}
