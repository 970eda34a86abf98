"""Benchmark (not part of the test suite): how long the run page's main
thread stalls while a job prints 20,000 ANSI-coloured lines in about half a
second (issue: the view froze for ~5 s). Run with:

    tests/desktop/run bench_log_burst.py -s

It prints the longest gap between two 50 ms ticks of a timer in the page while
the lines arrive, and how long until the whole log is shown.
"""

import time

from test_app import write_project, wait_status


def test_log_burst_stall(app):
    project = write_project(app.root, "burst", """
        name: burst
        jobs:
          noisy:
            steps:
              - run: |
                  sleep 6
                  i=0; while [ $i -lt 20000 ]; do printf '\\033[3%dmline %d of the burst\\033[0m\\n' $((i % 7 + 1)) $i; i=$((i+1)); done
        """)
    app.cli("import", str(project))
    cli_run = __import__("subprocess").Popen(
        [__import__("os").environ["SWITCHYARD_CLI_BIN"], "run", str(project)], env=app.env,
        stdout=__import__("subprocess").DEVNULL, stderr=__import__("subprocess").DEVNULL)
    try:
        deadline = time.time() + 10
        while "running" not in app.cli("runs", "--json").stdout and time.time() < deadline:
            time.sleep(0.1)
        app.second_launch("switchyard://runs/1")
        app.wait_route("/runs/1")
        app.s.wait_for("[data-testid=log-viewer]")
        # A timer in the page records the longest gap between its ticks.
        app.s.execute("""
            window.__gaps = {max: 0, last: performance.now(), ticks: 0};
            window.__tick = setInterval(() => {
                const now = performance.now();
                window.__gaps.max = Math.max(window.__gaps.max, now - window.__gaps.last);
                window.__gaps.last = now; window.__gaps.ticks++;
            }, 50);
            return true;""")
        # The burst starts once the job's 6 s sleep ends.
        assert int(app.s.find("[data-testid=log-viewer]").attribute("data-total") or 0) < 100, "the burst began too early"
        started = time.time()
        app.s.wait_for("[data-testid=log-viewer]", timeout=60,
                       condition=lambda e: int(e.attribute("data-total") or 0) >= 20000,
                       what="all 20,000 lines")
        shown_after = time.time() - started
        wait_status(app, "[data-testid=run-status]", {"succeeded"}, timeout=60)
        gaps = app.s.execute("clearInterval(window.__tick); return window.__gaps;")
        print(f"\nlog burst: longest main-thread stall {gaps['max']:.0f} ms over {gaps['ticks']} ticks; "
              f"all 20,000 lines shown {shown_after:.1f} s after the page was open")
    finally:
        cli_run.wait(timeout=60)
