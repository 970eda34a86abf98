"""Tests of the desktop test harness itself (tests/desktop/run and conftest.py).

Regression: when the app could not start, a failed run left tauri-driver and
WebKitWebDriver processes (one pair per test) running for hours after the
tests had ended. tests/desktop/run now runs everything under scripts/reap,
which stops every process the run left behind, by pid.
"""

import os
import subprocess
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def processes_with(marker: str):
    """Pids of live processes whose environment holds `marker`."""
    found = []
    needle = marker.encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            env = Path(f"/proc/{entry}/environ").read_bytes()
            state = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if needle in env and state != "Z":
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_run_whose_setup_fails_leaves_no_process_behind(tmp_path):
    marker = f"SWITCHYARD_HARNESS_MARKER=run-{os.getpid()}-{time.time_ns()}"
    pids = tmp_path / "pids"
    # An "app" that cannot show a window: it leaves a detached process of its
    # own (a new session, as a daemon would) and exits, so the WebDriver
    # session cannot start and every test errors at setup.
    fake = tmp_path / "not-an-app"
    fake.write_text(
        "#!/bin/sh\n"
        f"echo $$ >> '{pids}'\n"
        f"setsid sh -c 'echo $$ >> \"{pids}\"; exec sleep 600' </dev/null >/dev/null 2>&1 &\n"
        "sleep 1\n"
        "exit 1\n"
    )
    fake.chmod(0o755)
    env = dict(os.environ)
    for inherited in ("SWITCHYARD_DESKTOP_REAPED", "SWITCHYARD_IN_KEYRING_SESSION", "DBUS_SESSION_BUS_ADDRESS", "DISPLAY"):
        env.pop(inherited, None)
    key, value = marker.split("=", 1)
    env.update({
        key: value,
        "SWITCHYARD_DESKTOP_BIN": str(fake),
        "SWITCHYARD_SCREENSHOTS": str(tmp_path / "shots"),
        "SWITCHYARD_TEST_SESSION_TIMEOUT": "10",
    })
    # Two tests, so that two drivers are started and must both be stopped.
    out = subprocess.run(
        [str(HERE / "run"),
         "test_app.py::test_first_start_offers_the_demo_and_shows_it_running",
         "test_app.py::test_a_link_from_a_second_launch_opens_the_run"],
        env=env, capture_output=True, text=True, timeout=600,
    )
    report = f"exit {out.returncode}\nstdout:\n{out.stdout[-3000:]}\nstderr:\n{out.stderr[-3000:]}"
    assert out.returncode != 0, "the run with an app that cannot start passed:\n" + report
    assert "2 error" in out.stdout, "both tests should have errored at setup:\n" + report
    started = [int(p) for p in pids.read_text().split()] if pids.exists() else []
    assert len(started) >= 2, "the fake app never ran, so this test proves nothing:\n" + report
    time.sleep(0.5)
    left = [p for p in started if alive(p)] + processes_with(marker)
    names = {p: Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
             for p in set(left) if alive(p)}
    for p in names:
        os.kill(p, 9)
    assert not names, f"processes of the failed run still run: {names}\n" + report
