//! Running a command in a pod through the `pods/exec` API (websocket,
//! `v5.channel.k8s.io`, so stdin can be closed), and reading how it ended.

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::Api;
use kube::api::{AttachParams, AttachedProcess};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The name of the job's container.
pub const CONTAINER: &str = "job";

/// Buffer between the websocket and our readers and writers.
const BUF: usize = 256 * 1024;

/// How an exec'd command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// The exec failed without an exit code (the server's message).
    Failed(String),
}

/// What a finished command printed and how it ended.
#[derive(Debug, Clone)]
pub struct Output {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
    /// How it ended.
    pub exit: Exit,
}

impl Output {
    /// Exited 0.
    pub fn success(&self) -> bool {
        self.exit == Exit::Code(0)
    }

    /// A one-line account of a failure, for messages.
    pub fn failure(&self) -> String {
        let err = String::from_utf8_lossy(&self.stderr);
        let err = err.trim();
        match &self.exit {
            Exit::Code(c) if err.is_empty() => format!("exit code {c}"),
            Exit::Code(c) => format!("exit code {c}: {err}"),
            Exit::Failed(m) => m.clone(),
        }
    }
}

/// Starts `command` in the job container of `pod`.
pub async fn start(
    api: &Api<Pod>,
    pod: &str,
    command: Vec<String>,
    stdin: bool,
) -> Result<AttachedProcess, kube::Error> {
    let ap = AttachParams::default()
        .container(CONTAINER)
        .stdin(stdin)
        .stdout(true)
        .stderr(true)
        .max_stdin_buf_size(BUF)
        .max_stdout_buf_size(BUF)
        .max_stderr_buf_size(BUF);
    api.exec(pod, command, &ap).await
}

/// `sh -c SCRIPT sh ARGS...`: the script sees ARGS as `$1`...
pub fn sh(script: &str, args: &[&str]) -> Vec<String> {
    let mut cmd = vec![
        "sh".to_string(),
        "-c".to_string(),
        script.to_string(),
        "sh".to_string(),
    ];
    cmd.extend(args.iter().map(|a| a.to_string()));
    cmd
}

/// Reads the exit status of an exec: `Success`, or `NonZeroExitCode` with
/// the code in the `ExitCode` cause (as a kubelet, and patched kwok, report it).
pub fn exit_of(status: Option<Status>) -> Exit {
    let Some(status) = status else {
        return Exit::Failed("the exec session ended without an exit status (connection lost?)".into());
    };
    if status.status.as_deref() == Some("Success") {
        return Exit::Code(0);
    }
    let code = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
                .and_then(|c| c.message.as_deref())
                .and_then(|m| m.trim().parse::<i32>().ok())
        });
    match code {
        Some(c) => Exit::Code(c),
        None => Exit::Failed(
            status
                .message
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "the exec failed without a message".into()),
        ),
    }
}

/// Where [`drain`] hands what a command prints.
pub trait Sink {
    /// One piece of stdout (`stderr == false`) or stderr.
    fn piece(&mut self, stderr: bool, data: &[u8]) -> impl Future<Output = ()> + Send;
}

/// Collects everything.
#[derive(Default)]
pub struct Collect {
    /// Standard output.
    pub stdout: Vec<u8>,
    /// Standard error.
    pub stderr: Vec<u8>,
}

impl Sink for Collect {
    async fn piece(&mut self, stderr: bool, data: &[u8]) {
        if stderr {
            self.stderr.extend_from_slice(data);
        } else {
            self.stdout.extend_from_slice(data);
        }
    }
}

/// Writes standard output to a file as it arrives (a tar of artifacts can be
/// larger than memory should hold) and keeps the first 64 KiB of standard
/// error for messages.
pub struct FileSink {
    file: tokio::fs::File,
    /// Standard error (the first 64 KiB).
    pub stderr: Vec<u8>,
    /// Bytes written.
    pub written: u64,
    /// The first write error, if one happened.
    pub error: Option<std::io::Error>,
}

impl Sink for FileSink {
    async fn piece(&mut self, stderr: bool, data: &[u8]) {
        use tokio::io::AsyncWriteExt;
        if stderr {
            let room = (64 * 1024usize).saturating_sub(self.stderr.len());
            self.stderr.extend_from_slice(&data[..data.len().min(room)]);
        } else if self.error.is_none() {
            match self.file.write_all(data).await {
                Ok(()) => self.written += data.len() as u64,
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Runs `command` in the pod with `input` on its stdin and writes its
/// standard output to `path` (created anew); returns how it ended and its
/// standard error.
pub async fn output_to_file(
    api: &Api<Pod>,
    pod: &str,
    command: Vec<String>,
    input: Vec<u8>,
    path: &std::path::Path,
) -> Result<Result<Output, std::io::Error>, kube::Error> {
    let file = match tokio::fs::File::create(path).await {
        Ok(f) => f,
        Err(e) => return Ok(Err(e)),
    };
    let mut proc = start(api, pod, command, true).await?;
    let writer = proc.stdin().map(|mut w| {
        tokio::spawn(async move {
            let _ = w.write_all(&input).await;
            let _ = w.shutdown().await;
        })
    });
    let mut sink = FileSink {
        file,
        stderr: Vec::new(),
        written: 0,
        error: None,
    };
    let exit = drain(&mut proc, &mut sink).await;
    if let Some(w) = writer {
        w.abort();
    }
    proc.abort();
    if let Some(e) = sink.error {
        return Ok(Err(e));
    }
    use tokio::io::AsyncWriteExt as _;
    if let Err(e) = sink.file.flush().await {
        return Ok(Err(e));
    }
    Ok(Ok(Output {
        stdout: Vec::new(),
        stderr: sink.stderr,
        exit,
    }))
}

/// How long, after the session ended, output may pause before the rest is
/// given up on. kube closes the readers once the status has arrived, so this
/// only bounds a dropped connection, whose readers never see end-of-file.
/// Any piece that still arrives restarts it: what is buffered when the
/// status comes (up to [`BUF`]) must reach the sink however slow the disk
/// is (a fixed 300 ms once cut a large artifact short on a busy machine).
const DRAIN_AFTER_END: Duration = Duration::from_secs(2);

/// Reads an exec's stdout and stderr into `sink` until the session ends, and
/// returns how it ended. The session's end is taken from its status, not
/// only from end-of-file: when the connection drops, kube's readers never
/// see end-of-file, so a reader alone would wait forever.
pub async fn drain(proc: &mut AttachedProcess, sink: &mut impl Sink) -> Exit {
    let status = proc.take_status();
    let status = async move {
        match status {
            Some(s) => s.await,
            None => None,
        }
    };
    let mut status = std::pin::pin!(status);
    let mut stdout = proc.stdout();
    let mut stderr = proc.stderr();
    let mut out_buf = vec![0u8; 64 * 1024];
    let mut err_buf = vec![0u8; 64 * 1024];
    let mut ended: Option<Option<Status>> = None;
    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        if stdout.is_none() && stderr.is_none() {
            break;
        }
        tokio::select! {
            r = async { stdout.as_mut().map(|o| o.read(&mut out_buf)).unwrap().await }, if stdout.is_some() => match r {
                Ok(n) if n > 0 => {
                    sink.piece(false, &out_buf[..n]).await;
                    if drain_until.is_some() {
                        drain_until = Some(tokio::time::Instant::now() + DRAIN_AFTER_END);
                    }
                }
                _ => stdout = None,
            },
            r = async { stderr.as_mut().map(|e| e.read(&mut err_buf)).unwrap().await }, if stderr.is_some() => match r {
                Ok(n) if n > 0 => {
                    sink.piece(true, &err_buf[..n]).await;
                    if drain_until.is_some() {
                        drain_until = Some(tokio::time::Instant::now() + DRAIN_AFTER_END);
                    }
                }
                _ => stderr = None,
            },
            s = &mut status, if ended.is_none() => {
                ended = Some(s);
                drain_until = Some(tokio::time::Instant::now() + DRAIN_AFTER_END);
            }
            _ = async { tokio::time::sleep_until(drain_until.unwrap()).await }, if drain_until.is_some() => break,
        }
    }
    let status = match ended {
        Some(s) => s,
        None => status.await,
    };
    exit_of(status)
}

/// Runs `command`, feeding it `input` on stdin (closed after), and collects
/// its output.
pub async fn output(
    api: &Api<Pod>,
    pod: &str,
    command: Vec<String>,
    input: Option<Vec<u8>>,
) -> Result<Output, kube::Error> {
    let mut proc = start(api, pod, command, input.is_some()).await?;
    let writer = match (input, proc.stdin()) {
        (Some(data), Some(mut w)) => Some(tokio::spawn(async move {
            let _ = w.write_all(&data).await;
            let _ = w.shutdown().await;
        })),
        _ => None,
    };
    let mut out = Collect::default();
    let exit = drain(&mut proc, &mut out).await;
    if let Some(w) = writer {
        w.abort();
    }
    proc.abort();
    Ok(Output {
        stdout: out.stdout,
        stderr: out.stderr,
        exit,
    })
}
