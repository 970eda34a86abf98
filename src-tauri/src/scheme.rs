//! Who handles `switchyard://` links on Linux: the installed package or
//! this binary.
//!
//! The deep-link plugin can register the running binary as the user's
//! handler (a `~/.local/share/applications/*-handler.desktop` entry plus a
//! `mimeapps.list` default). That suits a binary that is the only Switchyard
//! on the machine, but a development build doing it shadows an installed
//! package's entry, and links keep going to that build long after it is gone.
//! So [`decide`] looks for a system-wide entry (in `$XDG_DATA_DIRS`) first:
//! - none: this binary registers itself, as before;
//! - one, and this binary is the one it starts: the package's entry is
//!   enough, and a per-user handler left by a development build is dropped;
//! - one, and this is another binary: it leaves links to the package unless
//!   `SWITCHYARD_REGISTER_SCHEME=1` asks it to take them over.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// The MIME type a desktop entry lists to receive `switchyard://` links.
pub const MIME_TYPE: &str = "x-scheme-handler/switchyard";

/// What to do about the URL scheme at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemeAction {
    /// No system-wide handler: register this binary for the user.
    Register,
    /// This binary is the installed one: rely on its entry and drop a
    /// per-user handler that may point elsewhere.
    UseInstalled {
        /// The system-wide desktop entry.
        entry: PathBuf,
    },
    /// Another binary is installed system-wide: leave links to it.
    LeaveToInstalled {
        /// The system-wide desktop entry.
        entry: PathBuf,
        /// The program its `Exec` line starts.
        program: String,
    },
}

/// A system-wide desktop entry that handles the scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemHandler {
    /// Where the entry is.
    pub entry: PathBuf,
    /// The first word of its `Exec` line.
    pub program: String,
}

/// Decides what this binary (`exe`) does about the scheme, given the
/// system-wide handler if any, `$PATH` to resolve a bare program name, and
/// whether the user asked to take the scheme over.
pub fn decide(
    exe: &Path,
    system: Option<SystemHandler>,
    path_var: Option<&OsStr>,
    force: bool,
) -> SchemeAction {
    let Some(handler) = system else {
        return SchemeAction::Register;
    };
    if is_same_program(exe, &handler.program, path_var) {
        return SchemeAction::UseInstalled { entry: handler.entry };
    }
    if force {
        return SchemeAction::Register;
    }
    SchemeAction::LeaveToInstalled {
        entry: handler.entry,
        program: handler.program,
    }
}

/// Finds the first desktop entry under `<dir>/applications` of the given data
/// dirs (`$XDG_DATA_DIRS`, default `/usr/local/share:/usr/share`) whose
/// `MimeType` lists the scheme.
pub fn find_system_handler(data_dirs: &[PathBuf]) -> Option<SystemHandler> {
    for dir in data_dirs {
        let Ok(entries) = std::fs::read_dir(dir.join("applications")) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension() == Some(OsStr::new("desktop")))
            .collect();
        files.sort();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            if let Some(program) = handler_program(&text) {
                return Some(SystemHandler { entry: file, program });
            }
        }
    }
    None
}

/// The data dirs of the XDG base directory spec.
pub fn system_data_dirs(var: Option<&OsStr>) -> Vec<PathBuf> {
    match var.filter(|v| !v.is_empty()) {
        Some(v) => std::env::split_paths(v).filter(|p| p.is_absolute()).collect(),
        None => vec!["/usr/local/share".into(), "/usr/share".into()],
    }
}

/// The program of a `[Desktop Entry]` that lists [`MIME_TYPE`], if it does.
fn handler_program(text: &str) -> Option<String> {
    let mut in_entry = false;
    let mut exec = None;
    let mut handles = false;
    let mut hidden = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_entry = line == "[Desktop Entry]";
            continue;
        }
        if !in_entry {
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            match key.trim() {
                "MimeType" => handles = value.split(';').any(|m| m.trim() == MIME_TYPE),
                "Exec" => {
                    exec = value
                        .split_whitespace()
                        .next()
                        .map(|w| w.trim_matches('"').to_string())
                }
                "Hidden" => hidden = value.trim() == "true",
                _ => {}
            }
        }
    }
    if handles && !hidden { exec } else { None }
}

/// Whether `program` (an absolute path, or a name looked up on `$PATH`) is
/// the file `exe`.
fn is_same_program(exe: &Path, program: &str, path_var: Option<&OsStr>) -> bool {
    let exe = std::fs::canonicalize(exe).unwrap_or_else(|_| exe.to_path_buf());
    let program = Path::new(program);
    let candidates: Vec<PathBuf> = if program.is_absolute() {
        vec![program.to_path_buf()]
    } else if program.components().count() == 1 {
        path_var
            .map(|p| std::env::split_paths(p).map(|d| d.join(program)).collect())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    candidates
        .into_iter()
        .filter_map(|c| std::fs::canonicalize(c).ok())
        .any(|c| c == exe)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(dir: &Path, name: &str, exec: &str, mime: &str) -> PathBuf {
        let apps = dir.join("applications");
        std::fs::create_dir_all(&apps).unwrap();
        let file = apps.join(name);
        std::fs::write(
            &file,
            format!("[Desktop Entry]\nType=Application\nName=Switchyard\nExec={exec} %u\nMimeType={mime}\n"),
        )
        .unwrap();
        file
    }

    fn exe_in(dir: &Path) -> PathBuf {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let exe = bin.join("switchyard-desktop");
        std::fs::write(&exe, b"").unwrap();
        exe
    }

    #[test]
    fn registers_itself_when_no_package_handles_links() {
        let tmp = tempfile::tempdir().unwrap();
        entry(
            tmp.path(),
            "other.desktop",
            "/usr/bin/other",
            "x-scheme-handler/other;",
        );
        let system = find_system_handler(&[tmp.path().to_path_buf()]);
        assert_eq!(system, None);
        assert_eq!(
            decide(&exe_in(tmp.path()), system, None, false),
            SchemeAction::Register
        );
    }

    /// A development build used to register itself over an installed
    /// package, and links then went to that (later deleted) build.
    #[test]
    fn development_build_leaves_links_to_an_installed_package() {
        let tmp = tempfile::tempdir().unwrap();
        let share = tmp.path().join("share");
        let file = entry(
            &share,
            "Switchyard.desktop",
            "switchyard-desktop",
            "x-scheme-handler/switchyard;",
        );
        let installed = exe_in(&tmp.path().join("usr"));
        let dev = exe_in(&tmp.path().join("checkout"));
        let path = std::env::join_paths([installed.parent().unwrap()]).unwrap();
        let system = find_system_handler(&[tmp.path().join("missing"), share]);
        assert_eq!(
            decide(&dev, system.clone(), Some(&path), false),
            SchemeAction::LeaveToInstalled {
                entry: file.clone(),
                program: "switchyard-desktop".into()
            }
        );
        // Asked explicitly, it takes them over.
        assert_eq!(
            decide(&dev, system.clone(), Some(&path), true),
            SchemeAction::Register
        );
        // The installed binary itself relies on its package's entry.
        assert_eq!(
            decide(&installed, system, Some(&path), false),
            SchemeAction::UseInstalled { entry: file }
        );
    }

    #[test]
    fn an_absolute_exec_path_names_the_installed_binary() {
        let tmp = tempfile::tempdir().unwrap();
        let installed = exe_in(tmp.path());
        let file = entry(
            tmp.path(),
            "Switchyard.desktop",
            &format!("\"{}\"", installed.display()),
            "text/plain;x-scheme-handler/switchyard",
        );
        let system = find_system_handler(&[tmp.path().to_path_buf()]);
        assert_eq!(
            decide(&installed, system, None, false),
            SchemeAction::UseInstalled { entry: file }
        );
    }

    #[test]
    fn hidden_entries_and_other_sections_do_not_count() {
        assert_eq!(
            handler_program(
                "[Desktop Entry]\nExec=a %u\nMimeType=x-scheme-handler/switchyard;\nHidden=true\n"
            ),
            None
        );
        assert_eq!(
            handler_program(
                "[Desktop Entry]\nExec=a %u\n[Desktop Action x]\nMimeType=x-scheme-handler/switchyard;\n"
            ),
            None
        );
        assert_eq!(
            handler_program("[Desktop Entry]\nExec=a %u\nMimeType=x-scheme-handler/switchyard-other;\n"),
            None
        );
    }

    #[test]
    fn data_dirs_default_and_ignore_relative_entries() {
        assert_eq!(
            system_data_dirs(None),
            vec![PathBuf::from("/usr/local/share"), PathBuf::from("/usr/share")]
        );
        assert_eq!(
            system_data_dirs(Some(OsStr::new("relative:/opt/share"))),
            vec![PathBuf::from("/opt/share")]
        );
    }
}
