//! A real Prometheus for tests: Debian's `prometheus` binary on loopback
//! with a temporary data dir, scraping (every second) an exporter that runs
//! in the test process and serves the values the test sets. Optionally
//! backfilled (`promtool tsdb create-blocks-from openmetrics`) with a fixed
//! history, for gaps and long ranges.
//!
//! Each test starts its own (tests run in parallel and set their own
//! values); dropping it kills the process it started, by pid.
//!
//! Shared by the test crates that need it through `#[path]`, so it is
//! written once.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Serves `/metrics` in the text format from values the test sets.
pub struct Exporter {
    values: Arc<Mutex<BTreeMap<String, f64>>>,
    addr: String,
    stop: Arc<AtomicBool>,
}

impl Exporter {
    /// Starts serving on a free loopback port.
    pub fn start() -> Exporter {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the exporter");
        let addr = listener.local_addr().expect("its address").to_string();
        let values: Arc<Mutex<BTreeMap<String, f64>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (v, s) = (values.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::Relaxed) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                let body: String = v
                    .lock()
                    .unwrap()
                    .iter()
                    .map(|(k, val)| format!("{k} {val}\n"))
                    .collect();
                let _ = read_request(&mut conn);
                let _ = write!(
                    conn,
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Exporter { values, addr, stop }
    }

    /// `host:port`.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Sets a sample, e.g. `set("http_errors{app=\"shop\"}", 3.0)`.
    pub fn set(&self, series: &str, value: f64) {
        self.values.lock().unwrap().insert(series.to_string(), value);
    }

    /// Stops exporting a sample (Prometheus marks it stale: a gap).
    pub fn remove(&self, series: &str) {
        self.values.lock().unwrap().remove(series);
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so the thread ends.
        let _ = TcpStream::connect(&self.addr);
    }
}

/// Reads one HTTP request's head and body (by Content-Length); returns the
/// request line, the headers (lower-cased names) and the body.
pub fn read_request(conn: &mut TcpStream) -> std::io::Result<(String, BTreeMap<String, String>, String)> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|l| l.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body)?;
    Ok((
        line.trim().to_string(),
        headers,
        String::from_utf8_lossy(&body).into_owned(),
    ))
}

/// A Prometheus server this test started.
pub struct Prometheus {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The exporter it scrapes.
    pub exporter: Exporter,
    dir: tempfile::TempDir,
}

fn binary(name: &str) -> PathBuf {
    let which = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .expect("run sh");
    let path = String::from_utf8_lossy(&which.stdout).trim().to_string();
    assert!(
        !path.is_empty(),
        "`{name}` is not installed. These tests run a real Prometheus: `apt-get install prometheus` \
         (scripts/test installs it)"
    );
    PathBuf::from(path)
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Prometheus {
    /// Starts Prometheus scraping a new exporter every second.
    pub fn start() -> Prometheus {
        Prometheus::start_with_history(None)
    }

    /// Starts Prometheus with `openmetrics` (OpenMetrics text, `# EOF`
    /// included) backfilled into its data dir first.
    pub fn start_with_history(openmetrics: Option<&str>) -> Prometheus {
        let dir = tempfile::tempdir().expect("a temp dir");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        if let Some(text) = openmetrics {
            let input = dir.path().join("history.om");
            std::fs::write(&input, text).expect("write history");
            let out = Command::new(binary("promtool"))
                .args(["tsdb", "create-blocks-from", "openmetrics"])
                .arg(&input)
                .arg(&data)
                .output()
                .expect("run promtool");
            assert!(
                out.status.success(),
                "promtool backfill failed: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let exporter = Exporter::start();
        exporter.set("switchyard_test_up", 1.0);
        let config = dir.path().join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: test\n    static_configs:\n      - targets: ['{}']\n",
                exporter.addr()
            ),
        )
        .expect("write config");
        for _attempt in 0..5 {
            let port = free_port();
            let log = std::fs::File::create(dir.path().join("prometheus.log")).expect("log file");
            let mut child = Command::new(binary("prometheus"))
                .arg(format!("--config.file={}", config.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--storage.tsdb.retention.time=30d")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(log)
                .spawn()
                .expect("start prometheus");
            let url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(20);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if http_get(&url, "/-/ready").is_some_and(|(code, _)| code == 200) {
                    return Prometheus {
                        child: Some(child),
                        url,
                        exporter,
                        dir,
                    };
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!(
            "Prometheus did not start; its log:\n{}",
            std::fs::read_to_string(dir.path().join("prometheus.log")).unwrap_or_default()
        );
    }

    /// Waits until `query` (instant) has a sample, up to `secs`.
    pub fn wait_for_data(&self, query: &str, secs: u64) {
        let deadline = Instant::now() + Duration::from_secs(secs);
        let path = format!("/api/v1/query?query={}", encode(query));
        while Instant::now() < deadline {
            if let Some((200, body)) = http_get(&self.url, &path)
                && body.contains("\"value\"")
            {
                return;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("no data for `{query}` after {secs} s");
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The data dir.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Its log, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("prometheus.log")).unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Percent-encodes a query parameter.
pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A plain HTTP GET: (status, body), or `None` when nothing answered.
pub fn http_get(base: &str, path: &str) -> Option<(u16, String)> {
    let host = base.trim_start_matches("http://");
    let mut conn = TcpStream::connect(host).ok()?;
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    conn.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some((code, body))
}

/// The requests a recording server got: (request line, body).
pub type Received = Arc<Mutex<Vec<(String, String)>>>;

/// Serves canned answers on loopback: `respond(request_line, headers)`
/// gives (status, body, delay before answering). For malformed, slow and
/// authenticated servers.
pub struct FakeServer {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl FakeServer {
    /// A server that answers `status` to everything and keeps each
    /// request's line and body (a chat webhook's receiver).
    pub fn recording(status: u16) -> (FakeServer, Received) {
        let got: Received = Arc::default();
        let keep = got.clone();
        let server = FakeServer::start_with_body(move |line, _, body| {
            keep.lock().unwrap().push((line.to_string(), body.to_string()));
            (status, "ok".into(), Duration::ZERO)
        });
        (server, got)
    }

    /// Starts answering with `respond`.
    pub fn start(
        respond: impl Fn(&str, &BTreeMap<String, String>) -> (u16, String, Duration) + Send + 'static,
    ) -> FakeServer {
        FakeServer::start_with_body(move |line, headers, _| respond(line, headers))
    }

    /// Starts answering with `respond`, which also gets the body.
    pub fn start_with_body(
        respond: impl Fn(&str, &BTreeMap<String, String>, &str) -> (u16, String, Duration) + Send + 'static,
    ) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                let Ok((line, headers, request_body)) = read_request(&mut conn) else {
                    continue;
                };
                let (code, body, delay) = respond(&line, &headers, &request_body);
                std::thread::sleep(delay);
                let _ = write!(
                    conn,
                    "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        FakeServer { url }
    }
}

/// Where a file in the repository is (for fixtures).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(rel)
}
