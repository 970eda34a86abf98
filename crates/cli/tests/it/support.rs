//! Runs the real binary in a hermetic environment (its own SWITCHYARD_HOME
//! and project folder) and explains failures: the command, its output and
//! what was expected.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use tempfile::TempDir;

pub struct Sandbox {
    dir: TempDir,
    pub home: PathBuf,
}

pub struct Ran {
    pub cmd: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Ran {
    fn explain(&self, expected: &str) -> String {
        format!(
            "\ncommand: {}\nexpected: {expected}\nexit code: {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}\n",
            self.cmd, self.code, self.stdout, self.stderr
        )
    }

    /// Asserts the exit code and that nothing panicked.
    pub fn expect_code(self, code: i32) -> Ran {
        assert_eq!(
            self.code,
            Some(code),
            "{}",
            self.explain(&format!("exit code {code}"))
        );
        assert!(
            !self.stderr.contains("panicked") && !self.stderr.contains("RUST_BACKTRACE"),
            "{}",
            self.explain("no panic")
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{}", self.explain(&format!("JSON on stdout ({e})"))))
    }

    pub fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "{}",
            self.explain(&format!("stdout containing {text:?}"))
        );
        self
    }

    pub fn stderr_has(&self, text: &str) -> &Self {
        assert!(
            self.stderr.contains(text),
            "{}",
            self.explain(&format!("stderr containing {text:?}"))
        );
        self
    }
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        Sandbox { dir, home }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Creates a project folder with this pipeline; returns its path.
    pub fn project(&self, name: &str, yaml: &str) -> PathBuf {
        let dir = self.dir.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("switchyard.yaml"), yaml).unwrap();
        dir
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchyard"));
        cmd.args(args)
            .current_dir(self.dir.path())
            .env("SWITCHYARD_HOME", &self.home)
            .env_remove("SWITCHYARD_LOG")
            .env("CI", "true")
            .stdin(Stdio::null());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Ran {
        self.run_with(self.command(args), args)
    }

    pub fn run_with(&self, mut cmd: Command, args: &[&str]) -> Ran {
        let out: Output = cmd.output().unwrap();
        Ran {
            cmd: format!("switchyard {}", args.join(" ")),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs the binary with `input` on its stdin (a pipe, not a terminal).
    pub fn run_stdin(&self, args: &[&str], input: &str) -> Ran {
        use std::io::Write as _;
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        Ran {
            cmd: format!("switchyard {}", args.join(" ")),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Starts the binary in the background, output piped.
    pub fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }
}

/// Waits up to `secs` for `cond`.
pub fn wait_for(secs: u64, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    false
}

pub fn finish(child: Child, what: &str) -> Ran {
    let out = child.wait_with_output().unwrap();
    Ran {
        cmd: what.to_string(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
