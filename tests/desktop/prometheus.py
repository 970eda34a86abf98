"""A real Prometheus for the desktop tests (the Python side of
tests/prometheus/harness.rs): Debian's `prometheus` on loopback with a temp
data dir, scraping every second an exporter in the test whose values the test
sets. `stop()` kills exactly the process it started."""

import http.server
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Exporter:
    def __init__(self):
        self.values = {}
        values = self.values

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = "".join(f"{k} {v}\n" for k, v in list(values.items())).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.addr = f"127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, series, value):
        self.values[series] = value

    def close(self):
        self.server.shutdown()


class Prometheus:
    def __init__(self):
        binary = shutil.which("prometheus")
        assert binary, "prometheus is not installed (apt-get install prometheus; scripts/test installs it)"
        self.dir = Path(tempfile.mkdtemp(prefix="sy-prom-"))
        self.exporter = Exporter()
        config = self.dir / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: test\n"
            f"    static_configs:\n      - targets: ['{self.exporter.addr}']\n")
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(self.dir / "prometheus.log", "w")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                if urllib.request.urlopen(self.url + "/-/ready", timeout=1).status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError("Prometheus did not start: " + (self.dir / "prometheus.log").read_text())

    def wait_for_data(self, query, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                body = urllib.request.urlopen(
                    f"{self.url}/api/v1/query?query={urllib.request.quote(query)}", timeout=2).read()
                if b'"value"' in body:
                    return
            except OSError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"no data for {query} after {timeout} s")

    def stop(self):
        """Kills the server (as a crash would) and the exporter; once."""
        if getattr(self, "_stopped", False):
            return
        self._stopped = True
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.exporter.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
