//! The small POSIX shell programs the runner puts into each pod.
//!
//! They are what makes a step outlive the exec session that started it: a
//! step runs detached inside the pod and writes its output and exit code to
//! files under `.switchyard/steps/<attempt>-<step>/`; the engine reads those
//! files through another exec (`follow`), which can be opened again at any
//! time, from any process, at any offset. Every path is relative to the
//! exec's start directory (the container's `workingDir`, the workspace), so
//! they work the same on a real node and under kwok. They need only `sh`,
//! `cat`, `head`, `tail`, `wc`, `sleep` (fractions), `mkdir`, `mv`, `kill`
//! and `tar`: GNU coreutils and busybox both have them.

/// Directory (relative to the workspace) that holds the runner's files.
pub const STATE_DIR: &str = ".switchyard";

/// `.switchyard/launch STEP WORKDIR`, the step's script on stdin: stores the
/// script and starts `run` detached (it survives the exec session), then
/// returns at once.
pub const LAUNCH: &str = r#"# Switchyard: start a step detached from this exec session.
set -e
d=.switchyard/steps/$1
# Idempotent: a launch retried after a lost response must not start it twice.
if [ -e "$d/script" ]; then cat > /dev/null; exit 0; fi
mkdir -p "$d"
cat > "$d/script"
: > "$d/out"
: > "$d/err"
nohup sh .switchyard/run "$1" "$2" > /dev/null 2>&1 < /dev/null &
"#;

/// `.switchyard/run STEP WORKDIR`: runs the step in its own session (so
/// cancel can signal its whole process group), then records its exit code
/// atomically in `exit`.
pub const RUN: &str = r#"# Switchyard: run one step and record how it ended.
d=$PWD/.switchyard/steps/$1
export SWITCHYARD_WORKSPACE="$PWD"
export SWITCHYARD_OUTPUT="$PWD/.switchyard/output"
if cd "./$2" 2>/dev/null; then
  if command -v setsid > /dev/null 2>&1; then
    setsid sh "$d/script" > "$d/out" 2> "$d/err" < /dev/null &
  else
    sh "$d/script" > "$d/out" 2> "$d/err" < /dev/null &
  fi
  echo $! > "$d/pid"
  wait $!
  code=$?
else
  echo "working_dir \`$2\` does not exist in the workspace" >> "$d/err"
  code=1
fi
echo "$code" > "$d/exit.tmp" && mv "$d/exit.tmp" "$d/exit"
"#;

/// `.switchyard/follow STEP OUT ERR`: copies the step's output to this
/// exec's stdout and stderr from the given byte offsets, until the step has
/// ended and all of it is out; then exits with the step's exit code.
pub const FOLLOW: &str = r#"# Switchyard: stream a step's output and end with its exit code.
d=.switchyard/steps/$1
if [ ! -d "$d" ]; then
  echo "switchyard-follow: step $1 was never started in this pod" >&2
  exit 125
fi
o=$2
e=$3
fin=
while :; do
  [ -f "$d/exit" ] && fin=1
  n=$(wc -c < "$d/out")
  if [ "$n" -gt "$o" ]; then tail -c +$((o + 1)) "$d/out" | head -c $((n - o)); o=$n; fi
  n=$(wc -c < "$d/err")
  if [ "$n" -gt "$e" ]; then tail -c +$((e + 1)) "$d/err" | head -c $((n - e)) >&2; e=$n; fi
  if [ -n "$fin" ]; then exit "$(cat "$d/exit")"; fi
  sleep 0.2
done
"#;

/// `.switchyard/offsets STEP LINES_OUT LINES_ERR`: prints `started` or
/// `missing`, then the byte offsets just after the first LINES_OUT lines of
/// the step's stdout and LINES_ERR lines of its stderr: where a restarted
/// engine resumes a log that already holds those lines.
pub const OFFSETS: &str = r#"# Switchyard: where to resume a step's output.
d=.switchyard/steps/$1
if [ ! -d "$d" ]; then echo missing; exit 0; fi
echo started
head -n "$2" "$d/out" | wc -c
head -n "$3" "$d/err" | wc -c
"#;

/// `.switchyard/stop GRACE`: SIGTERM to the process group of every step that
/// has not ended, SIGKILL after GRACE seconds (in the background, so the
/// exec returns at once).
pub const STOP: &str = r#"# Switchyard: stop every running step of this pod.
sig() {
  for f in .switchyard/steps/*/pid; do
    [ -f "$f" ] || continue
    [ -f "${f%/pid}/exit" ] && continue
    p=$(cat "$f")
    kill -s "$1" -- "-$p" 2> /dev/null || kill -s "$1" "$p" 2> /dev/null || true
  done
}
sig TERM
nohup sh -c "sleep $1; sh .switchyard/stop-kill" > /dev/null 2>&1 < /dev/null &
"#;

/// `.switchyard/stop-kill`: the SIGKILL half of `stop`.
pub const STOP_KILL: &str = r#"# Switchyard: kill what SIGTERM left running.
for f in .switchyard/steps/*/pid; do
  [ -f "$f" ] || continue
  [ -f "${f%/pid}/exit" ] && continue
  p=$(cat "$f")
  kill -s KILL -- "-$p" 2> /dev/null || kill -s KILL "$p" 2> /dev/null || true
done
"#;

/// Every script, by file name under [`STATE_DIR`].
pub const ALL: &[(&str, &str)] = &[
    ("launch", LAUNCH),
    ("run", RUN),
    ("follow", FOLLOW),
    ("offsets", OFFSETS),
    ("stop", STOP),
    ("stop-kill", STOP_KILL),
];

/// Quotes `s` for a POSIX shell: `'...'` with each `'` written as `'\''`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// The step's script with its step-only variables exported first.
pub fn step_script(env: &[(String, String)], script: &str) -> String {
    let mut out = String::new();
    for (k, v) in env {
        out.push_str("export ");
        out.push_str(k);
        out.push('=');
        out.push_str(&quote(v));
        out.push('\n');
    }
    out.push_str(script);
    if !script.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_a_shell() {
        let v = "it's $HOME `x` \"y\"\nz";
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("printf %s {}", quote(v)))
            .output()
            .unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), v);
    }

    /// The scripts run on the host's `sh` here: a step's output and exit
    /// code must come back through `follow`, also when it is resumed by lines.
    #[test]
    fn launch_run_follow_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join(".switchyard")).unwrap();
        for (name, text) in ALL {
            std::fs::write(dir.path().join(".switchyard").join(name), text).unwrap();
        }
        let sh = |args: &[&str], stdin: &str| {
            use std::io::Write;
            let mut child = std::process::Command::new("sh")
                .args(args)
                .current_dir(dir.path())
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
            child.wait_with_output().unwrap()
        };
        let script = step_script(
            &[("GREETING".into(), "it's me".into())],
            "echo \"$GREETING\"; echo one; echo two >&2; echo three; exit 3",
        );
        let out = sh(&[".switchyard/launch", "1-0", "."], &script);
        assert!(out.status.success(), "{out:?}");
        let out = sh(&[".switchyard/follow", "1-0", "0", "0"], "");
        assert_eq!(out.status.code(), Some(3));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "it's me\none\nthree\n");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "two\n");
        // Relaunching (a retried request) does not run it again.
        let out = sh(&[".switchyard/launch", "1-0", "."], "echo again");
        assert!(out.status.success(), "{out:?}");
        let out = sh(&[".switchyard/offsets", "1-0", "2", "1"], "");
        let text = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = text.split_whitespace().collect();
        assert_eq!(fields, ["started", "12", "4"], "{text}");
        let out = sh(&[".switchyard/follow", "1-0", "12", "4"], "");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "three\n");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "");
        let out = sh(&[".switchyard/offsets", "9-9", "0", "0"], "");
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "missing");
        let out = sh(&[".switchyard/follow", "9-9", "0", "0"], "");
        assert_eq!(out.status.code(), Some(125));

        // `stop` ends a running step's whole process group (the POSIX
        // `kill -s SIG -- -PGID`, which dash and busybox both take).
        let out = sh(
            &[".switchyard/launch", "1-1", "."],
            "sleep 30 & sleep 30; echo never",
        );
        assert!(out.status.success(), "{out:?}");
        std::thread::sleep(std::time::Duration::from_millis(300));
        let pid: i32 = std::fs::read_to_string(dir.path().join(".switchyard/steps/1-1/pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let started = std::time::Instant::now();
        let out = sh(&[".switchyard/stop", "2"], "");
        assert!(out.status.success(), "{out:?}");
        let out = sh(&[".switchyard/follow", "1-1", "0", "0"], "");
        assert_eq!(out.status.code(), Some(143), "SIGTERM: {out:?}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let group_alive = || {
            std::process::Command::new("sh")
                .arg("-c")
                .arg(format!("kill -s 0 -- -{pid}"))
                .stderr(std::process::Stdio::null())
                .status()
                .unwrap()
                .success()
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while group_alive() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(!group_alive(), "the step's background `sleep` survived");
    }
}
