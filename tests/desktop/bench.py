"""Desktop benchmark: cold start to the UI's ready signal, and the memory of
the app with its WebKit processes after sitting idle on the Overview with
10,000 runs in history, next to an empty Tauri app built the same way.

Run it through tests/desktop/bench (which provides Xvfb and a D-Bus session).
Memory is PSS (proportional set size: shared pages split between the
processes sharing them) from /proc/PID/smaps_rollup, summed over the app and
its WebKitWebProcess / WebKitNetworkProcess children.
"""

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("SWITCHYARD_BENCH_RUNS", "10000"))
ROUNDS = int(os.environ.get("SWITCHYARD_BENCH_ROUNDS", "5"))
IDLE_SECONDS = int(os.environ.get("SWITCHYARD_BENCH_IDLE", "10"))


def fill_history(cli, home):
    """Creates the schema through the CLI, then RUNS runs (3 jobs, 2 steps each)."""
    env = dict(os.environ, SWITCHYARD_HOME=str(home))
    subprocess.run([cli, "projects"], env=env, check=True, capture_output=True)
    db = sqlite3.connect(home / "switchyard.db")
    with db:
        for p in range(5):
            db.execute("INSERT INTO projects (name, path, created_at) VALUES (?, ?, 0)",
                       (f"service-{p}", f"/src/service-{p}"))
        t0 = int(time.time() * 1000) - RUNS * 60_000
        job_id = 0
        for r in range(1, RUNS + 1):
            t = t0 + r * 60_000
            status = "failed" if r % 9 == 0 else "succeeded"
            db.execute(
                "INSERT INTO runs (id, project_id, status, commit_sha, branch, dirty, owner, created_at, started_at, finished_at)"
                " VALUES (?, ?, ?, ?, ?, 0, 'bench', ?, ?, ?)",
                (r, r % 5 + 1, status, f"{r * 7919:040x}", "main" if r % 3 else "feature/x", t, t, t + 90_000))
            for j, name in enumerate(("build", "test", "deploy")):
                job_id += 1
                db.execute(
                    "INSERT INTO jobs (id, run_id, idx, name, runner, needs, status, attempts, started_at, finished_at)"
                    " VALUES (?, ?, ?, ?, 'local', '[]', ?, 1, ?, ?)",
                    (job_id, r, j, name, "failed" if status == "failed" and j == 1 else "succeeded", t, t + 30_000))
                for s in range(2):
                    db.execute(
                        "INSERT INTO steps (job_id, attempt, idx, name, status, exit_code, started_at, finished_at)"
                        " VALUES (?, 1, ?, ?, 'succeeded', 0, ?, ?)", (job_id, s, f"step {s}", t, t + 10_000))
    db.close()


def tree_pids(root):
    pids = [root]
    changed = True
    while changed:
        changed = False
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            pid = int(entry)
            if ppid in pids and pid not in pids:
                pids.append(pid)
                changed = True
    return pids


def pss_kib(pid):
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measure(binary, home, label):
    starts, memories = [], []
    for _ in range(ROUNDS):
        ready = Path(tempfile.mktemp(prefix="ready-"))
        env = dict(os.environ, SWITCHYARD_HOME=str(home), SWITCHYARD_READY_FILE=str(ready),
                   SWITCHYARD_NO_SCHEME_REGISTRATION="1", NO_AT_BRIDGE="1")
        t0 = time.monotonic()
        proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)
        while not ready.exists():
            if proc.poll() is not None:
                raise RuntimeError(f"{label} exited with {proc.returncode} before it was ready")
            if time.monotonic() - t0 > 60:
                proc.kill()
                raise RuntimeError(f"{label} was not ready within 60 s")
            time.sleep(0.005)
        starts.append((time.monotonic() - t0) * 1000)
        time.sleep(IDLE_SECONDS)
        pids = tree_pids(proc.pid)
        names = {p: Path(f"/proc/{p}/comm").read_text().strip() for p in pids if Path(f"/proc/{p}/comm").exists()}
        memories.append((sum(pss_kib(p) for p in pids) / 1024, sorted(set(names.values()))))
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        ready.unlink(missing_ok=True)
        time.sleep(1)
    mem = statistics.median(m for m, _ in memories)
    print(f"{label}: cold start to ready: median {statistics.median(starts):.0f} ms "
          f"(min {min(starts):.0f}, max {max(starts):.0f}, {ROUNDS} rounds); "
          f"memory after {IDLE_SECONDS} s idle: {mem:.0f} MiB PSS over {memories[0][1]}")


def main():
    app, cli, empty = sys.argv[1], sys.argv[2], sys.argv[3]
    work = Path(tempfile.mkdtemp(prefix="sy-bench-"))
    home = work / "home"
    t = time.monotonic()
    fill_history(cli, home)
    print(f"history: {RUNS} runs generated in {time.monotonic() - t:.1f} s")
    measure(app, home, "switchyard-desktop (10,000 runs, Overview)")
    measure(empty, work / "empty-home", "empty Tauri app")


if __name__ == "__main__":
    main()
