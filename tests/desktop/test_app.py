"""End-to-end tests of the real desktop app: what a user does and sees.

Each test runs the real switchyard-desktop binary in a real WebKit webview
under Xvfb (see conftest.py) and saves a screenshot when it ends.
"""

import asyncio
import json
import os
import subprocess
import textwrap
import time
from pathlib import Path

import pytest

import sni_watcher
from conftest import SHOTS, binary
from webdriver import CONTROL, ENTER


def write_project(root: Path, name: str, pipeline: str, files=None) -> Path:
    d = root / name
    d.mkdir(parents=True, exist_ok=True)
    (d / "switchyard.yaml").write_text(textwrap.dedent(pipeline))
    for rel, content in (files or {}).items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content)
    return d


FIXTURE = """
    name: fixture
    jobs:
      build:
        steps:
          - name: compile
            run: |
              for i in $(seq 1 300); do echo "compiling unit $i"; done
              printf '\\033[32mgreen build\\033[0m\\n'
              echo "the needle is here"
      test:
        needs: build
        steps:
          - name: unit tests
            run: |
              cat > report.xml <<'XML'
              <testsuite name="unit"><testcase classname="fx" name="adds"/><testcase classname="fx" name="rounds"><failure message="expected 2, got 3">trace</failure></testcase></testsuite>
              XML
              echo "running 2 tests"
              echo "FAILED fx::rounds - expected 2, got 3"
              echo tests done
        reports:
          junit: report.xml
"""


def status_of(app, css):
    el = app.s.find(css)
    return el.attribute("data-status")


def wait_status(app, css, wanted, timeout=60):
    app.s.wait_for(css, timeout=timeout, condition=lambda e: e.attribute("data-status") in wanted,
                   what=f"{css} with status {wanted}")


def import_by_path(app, path: Path):
    app.s.find("[data-testid=nav-projects]").click()
    app.s.wait_for("[data-testid=import-button]").click()
    field = app.s.wait_for("[data-testid=import-path-input]")
    time.sleep(0.5)  # let the dialog finish opening before typing
    field.send_keys(str(path))
    app.s.find("[data-testid=import-inspect]").click()
    app.s.wait_for("[data-testid=import-pipeline]")
    app.s.wait_for("[data-testid=import-confirm]", condition=lambda e: e.property("disabled") is not True).click()
    # Importing ends on the new project's page.
    app.wait_route("/projects/")


def start_run_of_current_project(app):
    app.s.wait_for("[data-testid=run-button]").click()
    app.s.wait_for("[data-testid=run-options-confirm]").click()
    app.wait_route("/runs/")
    return int(app.route().split("/runs/")[1].split("?")[0])


def test_first_start_offers_the_demo_and_shows_it_running(app):
    demo = app.s.wait_for("[data-testid=first-run-demo]", what="the first-run offer")
    demo.click()
    app.wait_route("/runs/")
    # The demo's jobs go through their states live and end well.
    wait_status(app, "[data-testid=run-status]", {"succeeded"}, timeout=60)
    nodes = app.s.find_all("[data-testid=job-node]")
    assert len(nodes) == 6, [n.attribute("data-job") for n in nodes]
    assert all(n.attribute("data-status") == "succeeded" for n in nodes)


def test_import_run_follow_the_log_search_and_see_test_results(app):
    project = write_project(app.root, "fixture", FIXTURE)
    import_by_path(app, project)
    app.wait_route("/projects/fixture")
    run_id = start_run_of_current_project(app)
    assert run_id == 1
    # The steps exit 0, so the run succeeds although a test failed.
    wait_status(app, "[data-testid=run-status]", {"succeeded"}, timeout=60)
    # The build job's log: all lines, colours rendered, escape codes never shown.
    app.s.find("[data-testid=job-node][data-job=build]").click()
    app.s.wait_for("[data-testid=log-line]")
    total = app.s.wait_for("[data-testid=log-total]").text
    assert total.startswith("302 lines"), total
    page_text = app.s.find("[data-testid=log-viewer]").text
    assert "\x1b[" not in page_text and "[32m" not in page_text
    search = app.s.find("[data-testid=log-search-input]")
    search.send_keys("needle")
    app.s.find("[data-testid=log-search-next]").click()
    hit = app.s.wait_for("[data-testid=log-line][data-hit=true]", what="the highlighted search hit")
    assert "the needle is here" in hit.text
    assert hit.attribute("data-line") == "302"
    # Test results: the failure first, with its message.
    app.s.find("[data-testid=job-node][data-job=test]").click()
    app.s.find("[data-testid=tab-tests]").click()
    app.s.wait_for("[data-testid=test-row]")
    rows = app.s.find_all("[data-testid=test-row]")
    assert rows[0].attribute("data-status") == "failed"
    assert "expected 2, got 3" in rows[0].text
    assert len(rows) == 2
    # The failure's own lines in its job's log, one click away.
    app.s.find("[data-testid=test-row][data-status=failed] [data-testid=test-log-link]").click()
    line = app.s.wait_for("[data-testid=log-line][data-linked=true]", what="the failing test's log line, marked")
    assert line.attribute("data-line") == "2", line.attribute("data-line")
    assert "FAILED fx::rounds" in line.text, line.text
    app.s.screenshot(str(SHOTS / "test-show-in-log.png"))


def test_a_link_from_a_second_launch_opens_the_run(app):
    project = write_project(app.root, "linked", "jobs:\n  a: {steps: ['echo hello']}\n")
    app.cli("run", str(project))
    started = time.monotonic()
    second = app.second_launch("switchyard://runs/1")
    took = time.monotonic() - started
    assert second.returncode == 0, second.stderr
    assert took < 10, f"the second launch took {took:.1f}s to hand over its link"
    app.wait_route("/runs/1")
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    # A malformed link is refused with a message and changes nothing.
    app.second_launch("switchyard://runs/1;rm -rf")
    app.s.wait_for("[data-testid=deep-link-error]", condition=lambda e: "run id" in e.text,
                   what="the refused-link message")
    assert app.route().startswith("/runs/1")
    # An import link only opens the dialog; nothing is imported by itself.
    other = write_project(app.root, "offered", "jobs:\n  a: {steps: ['true']}\n")
    app.second_launch(f"switchyard://import?path={other}")
    app.s.wait_for("[data-testid=import-dialog]")
    projects = app.cli("projects", "--json").stdout
    assert "offered" not in projects


def test_a_failed_run_notifies_and_the_notification_opens_it(app, bus):
    project = write_project(app.root, "broken", "jobs:\n  a: {steps: ['echo oops; exit 3']}\n")
    import_by_path(app, project)
    run_id = start_run_of_current_project(app)
    wait_status(app, "[data-testid=run-status]", {"failed"})
    deadline = time.time() + 15
    while not bus.notifications.sent and time.time() < deadline:
        time.sleep(0.1)
    assert bus.notifications.sent, "no notification was sent over the session bus"
    nid, app_name, summary, body, actions = bus.notifications.sent[-1]
    assert app_name == "Switchyard"
    assert f"run #{run_id} failed" in summary, summary
    assert "exited with code 3" in body, body
    assert "default" in actions
    # Go elsewhere, then click the notification: the run opens.
    app.s.find("[data-testid=nav-settings]").click()
    app.wait_route("/settings")
    bus.run(_invoke(bus, nid))
    app.wait_route(f"/runs/{run_id}")


async def _invoke(bus, nid):
    bus.notifications.ActionInvoked(nid, "default")


def test_the_tray_registers_and_its_menu_opens_a_run(app, bus):
    deadline = time.time() + 15
    while not bus.watcher.items and time.time() < deadline:
        time.sleep(0.1)
    assert bus.watcher.items, "the tray did not register with the StatusNotifierWatcher"
    name, props = bus.run(sni_watcher.find_item(bus.conn, bus.watcher.items[-1]))
    assert props.get("Menu"), props
    project = write_project(app.root, "traytest", "jobs:\n  a: {steps: ['true']}\n")
    import_by_path(app, project)
    run_id = start_run_of_current_project(app)
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    menu, items = bus.run(sni_watcher.menu_items(bus.conn, name, props["Menu"]))
    labels = [label for _, label, _ in items]
    assert "Open Switchyard" in labels and "Quit" in labels, labels
    assert "Pause notifications for 1 hour" in labels, labels
    run_item = next(i for i, label, _ in items if f"#{run_id}" in label)
    app.s.find("[data-testid=nav-settings]").click()
    app.wait_route("/settings")
    bus.run(sni_watcher.click(menu, run_item))
    app.wait_route(f"/runs/{run_id}")
    # Pausing from the tray shows in the menu and in the settings.
    pause = next(i for i, label, _ in items if label.startswith("Pause notifications"))
    bus.run(sni_watcher.click(menu, pause))
    deadline = time.time() + 10
    while time.time() < deadline:
        _, items = bus.run(sni_watcher.menu_items(bus.conn, name, props["Menu"]))
        if any(label == "Resume notifications" for _, label, _ in items):
            break
        time.sleep(0.2)
    else:
        raise AssertionError(f"the pause item did not change: {items}")


def test_a_million_line_log_opens_at_once_and_scrolls_to_the_end(app):
    project = write_project(app.root, "chatty", """
        jobs:
          flood:
            steps:
              - run: awk 'BEGIN { for (i = 1; i <= 1000000; i++) printf "line %d of the flood\\n", i }'
    """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1")
    app.wait_route("/runs/1")
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    app.s.wait_for("[data-testid=log-viewer]", condition=lambda e: e.attribute("data-total") == "1000000",
                   what="the log's line count")
    # Only a window of the log is in the page.
    lines = app.s.find_all("[data-testid=log-line]")
    assert 0 < len(lines) < 300, len(lines)
    # Jump to the end, as a user dragging the scrollbar would.
    started = time.monotonic()
    app.s.execute("const v = document.querySelector('[data-testid=log-viewer]');"
                  "v.scrollTop = v.scrollHeight;")
    # The row shows "…" until its text is read from the history.
    app.s.wait_for("[data-testid=log-line][data-line='1000000']", timeout=10,
                   condition=lambda e: "line 1000000 of the flood" in e.text,
                   what="the last line after scrolling to the end")
    took = time.monotonic() - started
    assert took < 5, f"the end of the log took {took:.1f}s to show"
    assert len(app.s.find_all("[data-testid=log-line]")) < 300


def test_settings_are_saved_to_the_config_file_and_applied(app):
    app.s.find("[data-testid=nav-settings]").click()
    app.wait_route("/settings")
    data_dir = app.s.wait_for("[data-testid=settings-data-dir]",
                              condition=lambda e: e.property("value")).property("value")
    assert str(app.home) in data_dir, data_dir
    app.s.find("[data-testid=settings-theme-dark]").click()
    app.s.find("[data-testid=settings-close-to-tray]").click()
    app.s.wait_for("[data-testid=settings-save]", condition=lambda e: e.property("disabled") is not True).click()
    app.s.wait_for("[data-testid=notice]", condition=lambda e: "saved" in e.text.lower(), what="the saved notice")
    config = (app.home / "config.toml").read_text()
    assert 'theme = "dark"' in config and "close_to_tray = false" in config, config
    # The dark theme is applied at once: the page background is dark.
    bg = app.s.execute("return getComputedStyle(document.body).backgroundColor")
    r, g, b = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
    assert r + g + b < 200, bg


def body_brightness(app):
    bg = app.s.execute("return getComputedStyle(document.body).backgroundColor")
    r, g, b = [int(x) for x in bg[bg.index("(") + 1:bg.index(")")].split(",")[:3]]
    return r + g + b


def test_config_edited_by_hand_applies_live_and_a_broken_one_is_shown(app):
    """config.toml is the app's settings file too: an edit by hand (comments
    and other tables included) takes effect while the app runs, and a file
    that becomes invalid keeps the last good settings and says why."""
    app.s.find("[data-testid=nav-settings]").click()
    app.wait_route("/settings")
    app.s.wait_for("[data-testid=settings-config-file]", condition=lambda e: e.property("value"))
    config = app.home / "config.toml"
    config.write_text('# my settings\n[desktop]\ntheme = "dark"\n\n[targets.staging]\ncontext = "kind-staging"\n')
    deadline = time.time() + 10
    while body_brightness(app) > 200 and time.time() < deadline:
        time.sleep(0.2)
    assert body_brightness(app) < 200, "the hand-edited dark theme was not applied"
    config.write_text('[desktop]\ntheme = "dark"\nthme = "light"\n')
    problem = app.s.wait_for("[data-testid=settings-config-problem]", timeout=10,
                             what="the config problem notice").text
    assert "config.toml:3:1" in problem and "thme" in problem, problem
    assert body_brightness(app) < 200, "a broken file must keep the last good settings"
    # Saving from the app keeps what was written by hand.
    config.write_text('# my settings\n[desktop]\ntheme = "dark"\n\n[targets.staging]\ncontext = "kind-staging"\n')
    app.s.wait_for("[data-testid=settings-config-file]")
    deadline = time.time() + 10
    while app.s.find_all("[data-testid=settings-config-problem]") and time.time() < deadline:
        time.sleep(0.2)
    app.s.find("[data-testid=settings-theme-light]").click()
    app.s.wait_for("[data-testid=settings-save]", condition=lambda e: e.property("disabled") is not True).click()
    app.s.wait_for("[data-testid=notice]", condition=lambda e: "saved" in e.text.lower(), what="the saved notice")
    text = config.read_text()
    assert "# my settings" in text and 'context = "kind-staging"' in text and 'theme = "light"' in text, text


def test_a_run_the_cli_starts_shows_live_in_the_open_app(app):
    """The app is open; a pipeline is run from a terminal. The Overview shows
    it going within a second or two, its page shows its status and its log
    growing while it runs (no reload), and its end, as for a run started in
    the app. Regression: CLI runs appeared only on the next view load, and
    their pages looked live but were not."""
    project = write_project(app.root, "from-terminal", """
        name: from-terminal
        jobs:
          slow:
            steps:
              - name: tick
                run: |
                  for i in $(seq 1 12); do echo "tick $i"; sleep 0.5; done
    """)
    app.cli("import", str(project))
    app.s.find("[data-testid=nav-overview]").click()
    app.wait_route("/")
    cli = os.environ["SWITCHYARD_CLI_BIN"]
    started = time.time()
    proc = subprocess.Popen([cli, "run", str(project)], env=app.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        row = app.s.wait_for("[data-testid=overview-active] [data-testid=run-row]", timeout=10,
                             what="the CLI's run in the Overview's In progress")
        seen_after = time.time() - started
        assert row.attribute("data-status") in ("queued", "running"), row.attribute("data-status")
        run_id = row.attribute("data-run-id")
        row.click()
        app.wait_route(f"/runs/{run_id}")
        app.s.wait_for("[data-testid=run-status]", condition=lambda e: e.attribute("data-status") == "running",
                       timeout=10, what="the run shown running")
        viewer = app.s.wait_for("[data-testid=log-viewer]",
                                condition=lambda e: int(e.attribute("data-total") or 0) >= 2, timeout=10,
                                what="the first lines of the CLI's run")
        first = int(viewer.attribute("data-total"))
        # The log grows while the page stays open: live, not a snapshot.
        app.s.wait_for("[data-testid=log-viewer]",
                       condition=lambda e: int(e.attribute("data-total") or 0) > first + 2, timeout=10,
                       what="more lines arriving while the run goes")
        app.s.wait_for("[data-testid=run-status]",
                       condition=lambda e: e.attribute("data-status") == "succeeded", timeout=30,
                       what="the run's end, shown without a reload")
        assert proc.wait(timeout=30) == 0, proc.stdout.read()
        app.s.wait_for("[data-testid=log-viewer]",
                       condition=lambda e: int(e.attribute("data-total") or 0) >= 12, timeout=10,
                       what="every line of the CLI's run")
        assert seen_after < 5, f"the run reached the Overview after {seen_after:.1f}s"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_gate_waits_in_the_app_and_is_approved_there(app, bus):
    """A run reaches an approval job: the Overview lists it as waiting, a
    desktop notification says so, and approving it in the run page lets the
    run go on to its end, with the decision shown."""
    project = write_project(app.root, "gated", """
        name: gated
        jobs:
          build:
            steps: [{run: 'echo built'}]
          release:
            needs: build
            approval: {message: Ship this build?}
          ship:
            needs: release
            steps: [{run: 'echo shipped'}]
    """)
    app.cli("import", str(project))
    cli = os.environ["SWITCHYARD_CLI_BIN"]
    proc = subprocess.Popen([cli, "run", str(project)], env=app.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        app.s.find("[data-testid=nav-overview]").click()
        app.s.wait_for("[data-testid=overview-waiting]", timeout=20,
                       what="the Overview's Waiting for approval section")
        text = app.s.execute("return document.querySelector('[data-testid=overview-waiting]').textContent")
        assert "release" in text and "Ship this build?" in text, text
        deadline = time.time() + 10
        while time.time() < deadline and not any("waits for approval" in n[2] for n in bus.notifications.sent):
            time.sleep(0.2)
        assert any("waits for approval" in n[2] for n in bus.notifications.sent), bus.notifications.sent
        app.s.find("[data-testid=overview-waiting] a").click()
        app.wait_route("/runs/")
        panel = app.s.wait_for("[data-testid=gate-panel]")
        assert "Ship this build?" in app.s.find("[data-testid=gate-message]").text
        app.s.find("[data-testid=gate-comment]").send_keys("tested on staging")
        app.s.find("[data-testid=gate-approve]").click()
        decision = app.s.wait_for("[data-testid=gate-decision]", timeout=10, what="the decision").text
        assert "Approved by" in decision and "tested on staging" in decision, decision
        app.s.wait_for("[data-testid=run-status]",
                       condition=lambda e: e.attribute("data-status") == "succeeded", timeout=30,
                       what="the run going on to its end")
        assert proc.wait(timeout=30) == 0, proc.stdout.read()
        assert panel is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _user_handler(app):
    home = Path(app.env["HOME"])
    handler = (home / ".local" / "share" / "applications" / "switchyard-desktop-handler.desktop").read_text()
    mimeapps = (home / ".config" / "mimeapps.list").read_text()
    return handler, mimeapps


@pytest.mark.installed_package("/usr/bin/switchyard-desktop")
def test_a_development_build_leaves_links_to_the_installed_package(app):
    """A build from the repository used to register itself as the user's
    switchyard:// handler on start, shadowing an installed package, so links
    kept going to that build after the package was installed."""
    handler, mimeapps = _user_handler(app)
    assert str(binary()) not in handler, handler
    assert "/tmp/gone/switchyard-desktop" in handler
    log = (app.home / "switchyard-desktop.log").read_text()
    assert "this build leaves them to it" in log


@pytest.mark.installed_package()
def test_the_installed_app_drops_a_stale_per_user_handler(app):
    """When the running binary is the one the system-wide entry starts, a
    per-user handler left by a development build no longer takes the links."""
    handler, mimeapps = _user_handler(app)
    assert "x-scheme-handler/switchyard" not in handler, handler
    assert "switchyard-desktop-handler.desktop" not in mimeapps, mimeapps
    assert str(binary()) not in handler


def _files_holding(root: Path, needle: bytes):
    return [str(p) for p in root.rglob("*") if p.is_file() and needle in p.read_bytes()]


def test_keyring_secrets_reach_a_run_started_in_the_app_and_never_its_files(app):
    """Secrets from the OS keyring (set with the CLI) reach a job the app
    starts, and no file of the app (history, logs, its own log, config) nor
    the page ever holds a value. A missing one stops the run before it starts."""
    value = f"k3yring-v4lue-{os.getpid()}"
    project = write_project(app.root, "vaulted", """
        name: vaulted
        jobs:
          deploy:
            secrets: [DESKTOP_TOKEN]
            steps:
              - run: echo "token=$DESKTOP_TOKEN"
              - run: test "$(printf %s "$DESKTOP_TOKEN" | wc -c)" -gt 10
        """)
    app.cli("import", str(project))
    # Without the secret, starting says which secret and where it looked.
    app.second_launch("switchyard://projects/vaulted")
    app.wait_route("/projects/vaulted")
    app.s.wait_for("[data-testid=run-button]").click()
    app.s.wait_for("[data-testid=run-options-confirm]").click()
    app.s.wait_for("[data-testid=run-options-error]", timeout=15,
                   condition=lambda e: "DESKTOP_TOKEN" in e.text and "keyring" in e.text,
                   what="the missing-secret message")
    app.cli("secrets", "set", "DESKTOP_TOKEN", "--project", "vaulted", input=value + "\n")
    app.s.find("[data-testid=run-options-confirm]").click()
    app.wait_route("/runs/")
    wait_status(app, "[data-testid=run-status]", {"succeeded"}, timeout=60)
    app.s.wait_for("[data-testid=log-line]", condition=lambda e: "token=***" in e.text,
                   what="the masked secret in the log")
    assert value not in app.s.find("body").text
    time.sleep(0.5)
    hits = _files_holding(app.home, value.encode())
    assert not hits, f"the secret value was written to {hits}"
    assert (app.home / "switchyard-desktop.log").exists()


def test_secrets_are_set_and_removed_in_the_secrets_view(app):
    """The Secrets view stores a value in the OS keyring through a masked
    field (it never comes back to the page) and removes it after asking."""
    value = f"v13w-s3cret-{os.getpid()}"
    app.s.find("[data-testid=nav-secrets]").click()
    app.wait_route("/secrets")
    app.s.wait_for("[data-testid=secret-add]").click()
    app.s.wait_for("[data-testid=secret-dialog]")
    time.sleep(0.3)
    app.s.find("[data-testid=secret-name] input, input[data-testid=secret-name]").send_keys("VIEW_TOKEN")
    app.s.find("[data-testid=secret-value] input, input[data-testid=secret-value]").send_keys(value)
    app.s.wait_for("[data-testid=secret-save]", condition=lambda e: e.property("disabled") is not True).click()
    app.s.wait_for("[data-testid=secret-row][data-name=VIEW_TOKEN]", what="the new secret's row")
    assert value not in app.s.find("body").text
    listed = app.cli("secrets", "list", "--json").stdout
    assert '"VIEW_TOKEN"' in listed and value not in listed
    app.s.find("[data-testid=secret-row][data-name=VIEW_TOKEN] [data-testid=secret-remove]").click()
    app.s.wait_for("[data-testid=secret-remove-confirm]").click()
    deadline = time.time() + 10
    while app.s.find_all("[data-testid=secret-row][data-name=VIEW_TOKEN]") and time.time() < deadline:
        time.sleep(0.2)
    assert '"VIEW_TOKEN"' not in app.cli("secrets", "list", "--json").stdout
    assert not _files_holding(app.home, value.encode())


def test_run_again_repeats_the_chosen_jobs_and_says_what_started_each_run(app):
    """Run again on a run of one chosen job ran every job. It repeats what
    was run, and each run says what started it."""
    project = write_project(app.root, "again", """
        name: again
        jobs:
          build: {steps: ['echo built']}
          test: {needs: build, steps: ['echo tested']}
          docs: {steps: ['echo docs']}
        """)
    app.cli("run", str(project), "--job", "test")
    app.second_launch("switchyard://runs/1")
    app.wait_route("/runs/1")
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    assert app.s.wait_for("[data-testid=run-trigger]").attribute("data-trigger") == "cli"
    app.s.wait_for("[data-testid=run-again]").click()
    app.wait_route("/runs/2")
    # The address changes before the page does: wait for run #2 itself.
    app.s.wait_for("[data-testid=run-heading][data-run='2']", what="run #2's page")
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    names = sorted(n.attribute("data-job") for n in app.s.find_all("[data-testid=job-node]"))
    assert names == ["build", "test"], names
    assert app.s.find("[data-testid=run-trigger]").attribute("data-trigger") == "app"
    header = app.s.execute("return document.querySelector('[data-testid=run-origin]').textContent")
    assert "Jobs chosen: test" in header and "Re-run of #1" in header, header


@pytest.mark.fake_opener
def test_an_artifact_opens_with_the_system_handler(app):
    project = write_project(app.root, "arts", """
        name: arts
        jobs:
          build:
            steps: ['mkdir -p dist && printf "the app" > dist/app.txt']
            artifacts: ['dist/*']
        """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1")
    app.wait_route("/runs/1")
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    app.s.find("[data-testid=tab-artifacts]").click()
    app.s.wait_for("[data-testid=artifact-open]").click()
    opened = app.root / "opened"
    deadline = time.time() + 10
    while not opened.exists() and time.time() < deadline:
        time.sleep(0.2)
    path = Path(opened.read_text().splitlines()[0])
    assert path.name == "app.txt" and path.read_text() == "the app", path
    app.s.find("[data-testid=artifact-reveal]").click()
    deadline = time.time() + 10
    while len(opened.read_text().splitlines()) < 2 and time.time() < deadline:
        time.sleep(0.2)
    assert Path(opened.read_text().splitlines()[1]) == path.parent


def test_a_link_to_a_log_line_opens_the_job_at_that_line(app):
    project = write_project(app.root, "lines", """
        name: lines
        jobs:
          first: {steps: ['echo one']}
          long: {steps: ['for i in $(seq 1 400); do echo "line $i"; done']}
        """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1/jobs/long#L250")
    app.wait_route("/runs/1")
    line = app.s.wait_for("[data-testid=log-line][data-linked=true]", timeout=15, what="the linked line")
    assert line.attribute("data-line") == "250", line.attribute("data-line")
    assert "line 250" in line.text


def test_a_project_is_removed_with_its_history_kept(app):
    project = write_project(app.root, "leaving", "name: leaving\njobs:\n  a: {steps: ['true']}\n")
    app.cli("run", str(project))
    app.second_launch("switchyard://projects/leaving")
    app.wait_route("/projects/leaving")
    app.s.wait_for("[data-testid=project-remove]").click()
    app.s.wait_for("[data-testid=project-remove-dialog]")
    app.s.find("[data-testid=project-remove-confirm]").click()
    app.wait_route("/projects")
    assert '"leaving"' not in app.cli("projects", "--json").stdout
    assert app.cli("show", "1").returncode == 0


def test_the_project_page_follows_runs_the_cli_starts(app):
    """After a CLI run the project page's header said "Last run #7" while its
    table still showed only the old run; both follow runs from elsewhere."""
    project = write_project(app.root, "followed", "name: followed\njobs:\n  a: {steps: ['true']}\n")
    app.cli("run", str(project))
    app.second_launch("switchyard://projects/followed")
    app.wait_route("/projects/followed")
    app.s.wait_for("[data-testid=history-row][data-run-id='1']")
    app.cli("run", str(project))
    app.cli("run", str(project))
    app.s.wait_for("[data-testid=history-row][data-run-id='3']", timeout=10,
                   what="the CLI's newest run in the open project's table")
    assert len(app.s.find_all("[data-testid=history-row]")) == 3


def test_a_jobs_outputs_show_in_its_panel(app):
    """What a job writes to $SWITCHYARD_OUTPUT is kept and shown with it."""
    project = write_project(app.root, "handoff", """
        name: handoff
        jobs:
          build:
            steps:
              - echo "image=ghcr.io/acme/web:$SWITCHYARD_RUN_ID" >> "$SWITCHYARD_OUTPUT"
              - printf 'notes<<END\\nbuilt on a workstation\\nEND\\n' >> "$SWITCHYARD_OUTPUT"
          test: {needs: build, steps: ['true']}
        """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1")
    app.wait_route("/runs/1")
    app.s.wait_for("[data-testid=job-node][data-job=build]").click()
    app.s.wait_for("[data-testid=job-outputs]", what="the build job's outputs")
    rows = app.s.find_all("[data-testid=job-output]")
    assert [r.attribute("data-name") for r in rows] == ["image", "notes"]
    assert "ghcr.io/acme/web:1" in rows[0].text
    assert "built on a workstation" in rows[1].text
    app.s.screenshot(str(SHOTS / "job-outputs.png"))


def test_cancelling_in_the_app_a_run_the_cli_started(app):
    """Cancel, from the app, a run the CLI started: the page used to keep
    showing Running with the duration counting and Cancel active."""
    project = write_project(app.root, "stopme", """
        name: stopme
        jobs:
          slow: {steps: ['sleep 60']}
        """)
    app.cli("import", str(project))
    cli = os.environ["SWITCHYARD_CLI_BIN"]
    proc = subprocess.Popen([cli, "run", str(project)], env=app.env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 10
        while time.time() < deadline and "running" not in app.cli("runs", "--json").stdout:
            time.sleep(0.2)
        app.second_launch("switchyard://runs/1")
        app.wait_route("/runs/1")
        wait_status(app, "[data-testid=run-status]", {"running"}, timeout=10)
        app.s.wait_for("[data-testid=run-cancel]").click()
        wait_status(app, "[data-testid=run-status]", {"cancelled"}, timeout=15)
        assert proc.wait(timeout=20) != 0
        assert not app.s.find_all("[data-testid=run-cancel]"), "Cancel stays offered on a cancelled run"
        duration = app.s.wait_for("[data-testid=run-duration]").text
        time.sleep(1.5)
        assert app.s.find("[data-testid=run-duration]").text == duration, "the duration keeps counting"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_command_palette_goes_to_views_and_runs(app):
    project = write_project(app.root, "pal", "name: pal\njobs:\n  a: {steps: ['true']}\n")
    app.cli("run", str(project))
    app.s.wait_for("[data-testid=nav-overview]")
    app.s.chord(CONTROL, "k")
    field = app.s.wait_for("[data-testid=command-palette-input]", what="the palette")
    field.send_keys("sett")
    app.s.wait_for("[data-testid=command-palette-item][data-id=go-settings][aria-selected=true]")
    field.send_keys(ENTER)
    app.wait_route("/settings")
    assert not app.s.find_all("[data-testid=command-palette]")
    app.s.chord(CONTROL, "k")
    field = app.s.wait_for("[data-testid=command-palette-input]")
    field.send_keys("#1")
    app.s.wait_for("[data-testid=command-palette-item][data-id='open-run:1'][aria-selected=true]")
    field.send_keys(ENTER)
    app.wait_route("/runs/1")


MATRIX_TESTS = """
    name: matrixed
    jobs:
      test:
        matrix:
          py: ["3.11", "3.12"]
        steps:
          - run: |
              if [ -f fixed ]; then f=''; else f='<failure message="expected 2, got 3">trace</failure>'; fi
              printf '<testsuite name="s"><testcase classname="calc" name="rounds">%s</testcase><testcase classname="calc" name="adds"/></testsuite>' "$f" > r.xml
        reports:
          junit: r.xml
    """


def test_a_failure_across_matrix_jobs_is_one_row_with_its_history(app):
    project = write_project(app.root, "matrixed", MATRIX_TESTS)
    app.cli("run", str(project), "--in-place", check=False)
    (project / "fixed").write_text("")
    app.cli("run", str(project), "--in-place")
    (project / "fixed").unlink()
    app.cli("run", str(project), "--in-place", check=False)
    app.second_launch("switchyard://runs/3")
    app.wait_route("/runs/3")
    # A failing test in a report does not fail its job: the run succeeds.
    wait_status(app, "[data-testid=run-status]", {"succeeded"})
    app.s.find("[data-testid=tab-tests]").click()
    group = app.s.wait_for("[data-testid=test-group]", timeout=40, what="the grouped failure")
    assert group.attribute("data-count") == "2"
    failed_rows = app.s.find_all("[data-testid=test-row][data-status=failed]")
    assert len(failed_rows) == 1, "the same failure in two matrix jobs shows once"
    app.s.find("[data-testid=test-search]").send_keys("adds")
    deadline = time.time() + 5
    while app.s.find_all("[data-testid=test-row][data-status=failed]") and time.time() < deadline:
        time.sleep(0.2)
    assert not app.s.find_all("[data-testid=test-row][data-status=failed]"), "search keeps only `adds`"
    app.s.find("[data-testid=test-search]").send_keys("\ue003" * len("adds"))  # backspaces
    app.s.wait_for("[data-testid=test-row][data-status=failed] [data-testid=test-expand]").click()
    app.s.wait_for("[data-testid=test-history-item]", what="the test's history")
    statuses = {(i.attribute("data-run-id"), i.attribute("data-status"))
                for i in app.s.find_all("[data-testid=test-history-item]")}
    assert ("2", "passed") in statuses and ("1", "failed") in statuses, statuses


def test_the_log_search_counts_its_matches(app):
    project = write_project(app.root, "counted", """
        name: counted
        jobs:
          long: {steps: ['for i in $(seq 1 400); do echo "line $i"; done']}
        """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1/jobs/long")
    app.wait_route("/runs/1")
    app.s.wait_for("[data-testid=log-line]")
    app.s.find("[data-testid=log-search-input]").send_keys("line 39")
    app.s.wait_for("[data-testid=log-search-count]", condition=lambda e: "11" in e.text,
                   what="11 matches of `line 39` (39, 390-399)")
    app.s.find("[data-testid=log-search-next]").click()
    app.s.wait_for("[data-testid=log-search-count]", condition=lambda e: e.text.strip() == "1 / 11",
                   what="the first of 11")


def test_log_steps_fold_and_the_log_filters_to_matching_lines(app):
    project = write_project(app.root, "folds", """
        name: folds
        jobs:
          build:
            steps:
              - name: fetch
                run: 'for i in $(seq 1 200); do echo "fetched $i"; done'
              - name: compile
                run: 'for i in $(seq 1 50); do echo "unit $i"; done; echo "warning: deprecated"; echo "WARNING: slow"'
        """)
    app.cli("run", str(project))
    app.second_launch("switchyard://runs/1/jobs/build")
    app.wait_route("/runs/1")
    app.s.wait_for("[data-testid=log-line]")
    fetch = app.s.wait_for("[data-testid=log-section-toggle][data-step='0']", what="the fold toggle of step 1")
    assert fetch.attribute("aria-expanded") == "true"
    fetch.click()
    folded = app.s.wait_for("[data-testid=log-section-folded]",
                            condition=lambda e: "199 lines folded" in e.property("textContent"),
                            what="step 1's 199 other lines folded")
    assert folded
    # Folded, step 2's lines follow step 1's first line.
    shown = [int(e.attribute("data-line")) for e in app.s.find_all("[data-testid=log-line]")]
    assert shown[:3] == [1, 201, 202], shown[:10]
    app.s.screenshot(str(SHOTS / "log-folded.png"))
    app.s.find("[data-testid=log-unfold-all]").click()
    app.s.wait_for("[data-testid=log-line][data-line='2']", what="line 2 back after Unfold all")

    # Only the lines holding the search text, with their own numbers.
    app.s.find("[data-testid=log-search-input]").send_keys("warning")
    app.s.wait_for("[data-testid=log-filter]", condition=lambda e: e.property("disabled") is not True).click()
    app.s.wait_for("[data-testid=log-filter-status]",
                   condition=lambda e: "2 of 252 lines match" in e.property("textContent"),
                   what="the filter's status")
    lines = app.s.find_all("[data-testid=log-line]")
    assert [e.attribute("data-line") for e in lines] == ["251", "252"]
    assert "WARNING: slow" in lines[1].property("textContent")
    app.s.screenshot(str(SHOTS / "log-filtered.png"))


def test_the_run_dialog_sends_kubernetes_jobs_to_a_target_chosen_by_name(app):
    empty = Path(app.root) / "empty-kubeconfig"
    empty.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    Path(app.home).mkdir(parents=True, exist_ok=True)
    (Path(app.home) / "config.toml").write_text(
        f'[targets.staging]\ncontext = "staging-admin"\nkubeconfig = "{empty}"\nnamespace = "ci"\nenvironment = "staging"\n')
    project = write_project(app.root, "targeted", """
        name: targeted
        jobs:
          lint: {steps: ['echo lint']}
          test: {runner: 'kubernetes:dev', image: busybox, steps: ['echo test']}
        """)
    app.cli("import", str(project))
    app.second_launch("switchyard://projects/targeted")
    app.wait_route("/projects/targeted")
    app.s.wait_for("[data-testid=run-button]").click()
    app.s.wait_for("[data-testid=run-option-target]").click()
    app.s.wait_for("[data-testid=run-option-target-choice][data-target=staging]").click()
    app.s.wait_for("[data-testid=run-option-target]",
                   condition=lambda e: "staging" in e.property("textContent"), what="staging chosen")
    app.s.screenshot(str(SHOTS / "run-dialog-target.png"))
    app.s.find("[data-testid=run-options-confirm]").click()
    app.wait_route("/runs/")
    wait_status(app, "[data-testid=run-status]", {"failed"}, timeout=60)
    run = json.loads(app.cli("show", "1", "--json").stdout)
    runners = {j["name"]: j["runner"] for j in run["jobs"]}
    assert runners == {"lint": "local", "test": "kubernetes:staging"}, runners


def test_the_pipeline_is_edited_in_the_app_with_live_checks(app):
    project = write_project(app.root, "edited", """
        name: edited
        jobs:
          build: {steps: ['echo build']}
        """)
    app.cli("import", str(project))
    app.second_launch("switchyard://projects/edited")
    app.wait_route("/projects/edited")
    app.s.wait_for("[data-testid=pipeline-edit]").click()
    app.wait_route("/projects/edited/pipeline")
    text = app.s.wait_for("[data-testid=pipeline-editor-text]")
    app.s.wait_for("[data-testid=pipeline-editor-status]",
                   condition=lambda e: e.attribute("data-state") == "valid", what="the file checked as valid")
    # A job that needs one that does not exist: the problem, on its line
    # (line 5: the file starts with an empty line).
    text.click()
    app.s.chord(CONTROL, "\ue010")  # Ctrl+End: the end of the text
    text.send_keys("  test: {needs: [biuld], steps: ['echo test']}" + ENTER)
    problem = app.s.wait_for("[data-testid=pipeline-editor-diagnostic]", what="the problem of the unknown need")
    assert problem.attribute("data-line") == "5", problem.attribute("data-line")
    assert "biuld" in problem.property("textContent")
    assert app.s.find("[data-testid=pipeline-editor-save]").property("disabled") is True
    app.s.wait_for("[data-testid=pipeline-editor-gutter] [data-line='5'][data-error=true]",
                   what="line 5 marked in the gutter")
    app.s.screenshot(str(SHOTS / "pipeline-editor-problem.png"))
    # Fixed by hand: valid, two jobs, saved to the file.
    app.s.chord(CONTROL, "a")
    text.send_keys(ENTER.join(["name: edited", "jobs:", "  build: {steps: ['echo build']}",
                               "  test: {needs: [build], steps: ['echo test']}", ""]))
    app.s.wait_for("[data-testid=pipeline-editor-status]",
                   condition=lambda e: e.attribute("data-state") == "valid"
                   and "2 jobs" in e.property("textContent"), what="valid with 2 jobs")
    app.s.wait_for("[data-testid=pipeline-editor-save]", condition=lambda e: e.property("disabled") is not True).click()
    app.s.wait_for("[data-testid=notice]", condition=lambda e: "Saved switchyard.yaml" in e.property("textContent"),
                   what="the saved notice")
    saved = (project / "switchyard.yaml").read_text()
    assert "needs: [build]" in saved, saved
    app.s.screenshot(str(SHOTS / "pipeline-editor-saved.png"))
    # The project page shows the new job.
    app.s.find("[data-testid=pipeline-editor-project]").click()
    app.wait_route("/projects/edited")
    app.s.wait_for("[data-testid=plan-job][data-job=test]", what="the new job on the project page")


def retype(app, field, text):
    """Replaces a React input's text as a person does (select all, type)."""
    field.click()
    app.s.chord(CONTROL, "a")
    field.send_keys(text)


def test_the_metrics_view_charts_a_live_query_and_says_when_its_source_is_gone(app):
    """A PromQL query is drawn by the engine and kept live; Prometheus' own
    message shows for a bad query; a source that dies is said to be
    unavailable, never shown as live."""
    from prometheus import Prometheus
    prom = Prometheus()
    try:
        prom.exporter.set('shop_requests{app="shop"}', 5)
        prom.wait_for_data("shop_requests")
        time.sleep(2.1)
        app.cli("sources", "add", "local", "--url", prom.url, "--default")
        app.s.find("[data-testid=nav-metrics]").click()
        app.wait_route("/metrics")
        query = app.s.wait_for("[data-testid=metrics-query] input, input[data-testid=metrics-query]")
        retype(app, query, "shop_requests")
        query.send_keys(ENTER)
        app.s.wait_for("[data-testid=metrics-series][data-name]",
                       condition=lambda e: "shop_requests" in (e.attribute("data-name") or ""),
                       what="the series row")
        chart = app.s.wait_for("[data-testid=metrics-chart]")
        assert chart.attribute("src").startswith("data:image/svg+xml")
        status = app.s.find("[data-testid=metrics-status]")
        assert "1 series" in status.text and "live" in status.text, status.text
        assert "5" in app.s.find("[data-testid=metrics-series-last]").text
        # Live: a new value arrives without touching anything.
        prom.exporter.set('shop_requests{app="shop"}', 9)
        app.s.wait_for("[data-testid=metrics-series-last]", timeout=30,
                       condition=lambda e: e.text.strip().startswith("9"), what="the new value")
        SHOTS.mkdir(parents=True, exist_ok=True)
        app.s.screenshot(SHOTS / "metrics-live.png")

        # An app's default dashboard: six panels drawn by the engine.
        app.s.find("[data-testid=metrics-mode-dashboard]").click()
        app.s.wait_for("[data-testid=dashboard-picker]").click()
        app.s.wait_for("[data-testid=dashboard-app-default]").click()
        retype(app, app.s.wait_for("[data-testid=dashboard-app] input, input[data-testid=dashboard-app]"), "shop")
        app.s.find("[data-testid=dashboard-show]").click()
        app.s.wait_for("[data-testid=dashboard-panel][data-title='Restarts']", what="the default dashboard's panels")
        assert len(app.s.find_all("[data-testid=dashboard-panel]")) == 6
        app.s.screenshot(SHOTS / "metrics-dashboard.png")
        app.s.find("[data-testid=metrics-mode-query]").click()
        query = app.s.wait_for("[data-testid=metrics-query] input, input[data-testid=metrics-query]")

        # A bad query: Prometheus' words, the chart stays.
        retype(app, query, "rate(shop_requests[1m]")
        query.send_keys(ENTER)
        error = app.s.wait_for("[data-testid=metrics-error]", what="the query's error")
        assert "parse error" in error.text, error.text
        assert app.s.find_all("[data-testid=metrics-chart]")

        # Back to a good query, then the source dies.
        retype(app, query, "shop_requests")
        query.send_keys(ENTER)
        app.s.wait_for("[data-testid=metrics-status]", condition=lambda e: "live" in e.text)
        prom.stop()
        app.s.wait_for("[data-testid=metrics-unavailable]", timeout=30, what="the source-unavailable warning")
        status = app.s.find("[data-testid=metrics-status]")
        assert "unavailable" in status.text and "· live" not in status.text, status.text
    finally:
        prom.stop()


def test_a_firing_alert_shows_in_the_alerts_view_a_notification_and_the_tray(app, bus):
    """A rule over a real Prometheus fires while the app runs: the incident
    is in the Alerts view and the sidebar's badge, a notification opens it,
    and the tray's state is `alert` until it is acknowledged."""
    from prometheus import Prometheus
    prom = Prometheus()
    try:
        prom.exporter.set('checkout_errors{app="shop",environment="production"}', 0.3)
        prom.wait_for_data("checkout_errors")
        time.sleep(1.5)
        config = app.home / "config.toml"
        config.write_text(
            f'[sources.local]\nurl = "{prom.url}"\n\n'
            "[alerts]\nevaluate_every_secs = 2\n\n"
            "[alerts.rules.checkout-errors]\nquery = \"checkout_errors\"\n"
            'kind = "threshold"\nop = "above"\nvalue = 0.1\nseverity = "critical"\n')
        # The app picks the rules up from the file and evaluates on its own.
        deadline = time.time() + 30
        while time.time() < deadline and not any("Incident #" in n[2] for n in bus.notifications.sent):
            time.sleep(0.2)
        sent = [n for n in bus.notifications.sent if "Incident #" in n[2]]
        assert sent, f"no incident notification: {bus.notifications.sent}"
        nid, app_name, summary, body, actions = sent[-1]
        assert "app=shop, environment=production" in summary, summary
        assert "checkout-errors (0.3)" in body, body
        log = lambda: (app.home / "switchyard-desktop.log").read_text()  # noqa: E731
        deadline = time.time() + 10
        while time.time() < deadline and 'state="alert"' not in log():
            time.sleep(0.2)
        assert 'state="alert"' in log(), "the tray shows alert"
        badge = app.s.wait_for("[data-testid=nav-alerts-badge]", what="the sidebar's firing count")
        assert badge.attribute("data-count") == "1"
        # The notification opens the incident.
        app.s.find("[data-testid=nav-settings]").click()
        app.wait_route("/settings")
        bus.run(_invoke(bus, nid))
        app.wait_route("/alerts/")
        incident = app.s.wait_for("[data-testid=incident][data-selected=true]", what="the incident, selected")
        assert incident.attribute("data-state") == "open"
        assert app.s.find("[data-testid=nav-alerts]").attribute("aria-current") == "page"
        assert app.s.find("[data-testid=nav-settings]").attribute("aria-current") is None
        app.s.wait_for("[data-testid=alert][data-rule=checkout-errors][data-state=firing]")
        SHOTS.mkdir(parents=True, exist_ok=True)
        app.s.screenshot(SHOTS / "alerts-firing.png")
        # Acknowledged: no more attention, the tray goes back.
        incident.find("[data-testid=incident-ack]").click()
        app.s.wait_for("[data-testid=incident][data-state=acknowledged]")
        deadline = time.time() + 10
        while time.time() < deadline and log().rfind('state="alert"') > log().rfind('state="idle"'):
            time.sleep(0.2)
        assert log().rfind('state="idle"') > log().rfind('state="alert"'), "the tray left alert"
        assert not app.s.find_all("[data-testid=nav-alerts-badge]") or \
            app.s.find("[data-testid=nav-alerts-badge]").attribute("data-count") in (None, "0")
    finally:
        prom.stop()


def test_the_analytics_view_shows_the_history_figures(app):
    """Runs from the CLI are counted in the Analytics view: runs, success
    rate and the slowest step."""
    ok = write_project(app.root, "steady", "jobs:\n  build: {steps: [{name: compile, run: 'sleep 0.3'}]}\n")
    bad = write_project(app.root, "shaky", "jobs:\n  test: {steps: ['false']}\n")
    app.cli("run", str(ok))
    app.cli("run", str(bad), check=False)
    app.s.find("[data-testid=nav-analytics]").click()
    app.wait_route("/analytics")
    runs = app.s.wait_for("[data-testid=analytics-figure][data-name=runs] [data-testid=analytics-figure-value]",
                          condition=lambda e: e.text.strip() == "2", what="two runs counted")
    assert runs
    rate = app.s.find("[data-testid=analytics-figure][data-name=success_rate] [data-testid=analytics-figure-value]")
    assert rate.text.strip() == "50%" or rate.text.strip() == "50.0%", rate.text
    step = app.s.wait_for("[data-testid=analytics-slow-step]")
    assert "compile" in step.text, step.text
    assert app.s.find_all("[data-testid=analytics-day]"), "the day's bar"
    SHOTS.mkdir(parents=True, exist_ok=True)
    app.s.screenshot(SHOTS / "analytics.png")


def _kube_context(kubeconfig):
    for line in Path(kubeconfig).read_text().splitlines():
        if line.startswith("current-context:"):
            return line.split(":", 1)[1].strip().strip('"')
    raise AssertionError(f"{kubeconfig} names no current-context")


CANARY_MANIFEST = """\
apiVersion: v1
kind: Namespace
metadata: {{name: {ns}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {{name: web}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web}}}}
  template:
    metadata: {{labels: {{app: web}}}}
    spec:
      containers: [{{name: web, image: 'registry.local/acme/web:0'}}]
"""


def test_a_target_is_added_from_a_kubeconfig_context_and_checked(app):
    """The Targets view: a context of a kubeconfig becomes a target in
    config.toml, and its check against the real API server says OK with the
    server's version and every verb allowed."""
    kubeconfig = os.environ.get("SWITCHYARD_TEST_KUBECONFIG")
    assert kubeconfig, "set SWITCHYARD_TEST_KUBECONFIG (scripts/test starts a local cluster)"
    context = _kube_context(kubeconfig)
    app.s.wait_for("[data-testid=nav-targets]").click()
    app.s.wait_for("[data-testid=targets-empty-add]").click()
    app.s.wait_for("[data-testid=target-add-dialog]")
    field = app.s.wait_for("[data-testid=target-kubeconfig-input]")
    field.send_keys(kubeconfig)
    app.s.find("[data-testid=target-contexts-load]").click()
    app.s.wait_for(f"[data-testid=target-context-option][data-context='{context}']",
                   what="the kubeconfig's contexts").click()
    # The name proposed is the context's own.
    name = app.s.find("[data-testid=target-name-input]").property("value")
    assert name == context, name
    app.s.find("[data-testid=target-namespace-input]").send_keys("default")
    app.s.find("[data-testid=target-environment-input]").send_keys("staging")
    app.s.screenshot(str(SHOTS / "targets-add.png"))
    app.s.find("[data-testid=target-add-confirm]").click()
    row = f"[data-testid=target-row][data-name='{name}']"
    app.s.wait_for(row, what="the new target's row")
    config = (Path(app.home) / "config.toml").read_text()
    assert f"[targets.{name}]" in config and f'context = "{context}"' in config, config
    app.s.find(f"{row} [data-testid=target-check]").click()
    app.s.wait_for(f"{row} [data-testid=target-status][data-state=ok]", timeout=30, what="an OK check")
    status = app.s.find(f"{row} [data-testid=target-status]").property("textContent")
    assert "OK · v1." in status, status
    assert not app.s.find_all("[data-testid=target-problem]")
    app.s.screenshot(str(SHOTS / "targets-checked.png"))


def test_a_canary_waiting_for_approval_is_approved_from_the_window(app):
    """A deployment that waits for approval is opened from its link (which
    never acts), approved in the window after a confirmation naming the app,
    environment and targets, and promoted through its canary step."""
    kubeconfig = os.environ.get("SWITCHYARD_TEST_KUBECONFIG")
    assert kubeconfig, "set SWITCHYARD_TEST_KUBECONFIG (scripts/test starts a local cluster)"
    ns = f"sy-desktop-{os.getpid()}-{int(time.time()) % 100000}"
    Path(app.home).mkdir(parents=True, exist_ok=True)
    (Path(app.home) / "config.toml").write_text(
        f'[targets.stage]\ncontext = "{_kube_context(kubeconfig)}"\nkubeconfig = "{kubeconfig}"\nnamespace = "{ns}"\n')
    pipeline = """
        name: shop
        jobs:
          ship:
            deploy:
              app: web
              environment: staging
              manifests: k8s
              images: [registry.local/acme/web]
              targets: stage
              strategy: {{canary: {{steps: [50]}}}}
              approval: {approval}
        """
    project = write_project(app.root, "shop", pipeline.format(approval="false"))
    (project / "k8s").mkdir()
    (project / "k8s" / "app.yaml").write_text(CANARY_MANIFEST.format(ns=ns))
    app.cli("deploy", str(project), "--env", "staging", "--image", "registry.local/acme/web:1.0")
    write_project(app.root, "shop", pipeline.format(approval="true"))
    cli = os.environ["SWITCHYARD_CLI_BIN"]
    deploying = subprocess.Popen([cli, "deploy", str(project), "--env", "staging", "--image",
                                  "registry.local/acme/web:2.0", "--json"], env=app.env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            shown = app.cli("show", "2", "--json", check=False)
            if shown.returncode == 0 and '"status": "waiting"' in shown.stdout:
                break
            time.sleep(0.3)
        else:
            raise AssertionError("the deployment never waited for approval")
        app.second_launch("switchyard://deployments/2")
        app.wait_route("/deployments/2")
        app.s.wait_for("[data-testid=deployment-waiting]", what="the approval question")
        # The link only opened it: still waiting.
        assert deploying.poll() is None
        app.s.find("[data-testid=deployment-promote]").click()
        app.s.wait_for("[data-testid=deployment-confirm-dialog]")
        # While the dialog fades in, WebDriver reads its text as empty: wait
        # for what it says rather than reading it once.
        app.s.wait_for("[data-testid=deployment-confirm-app]", condition=lambda e: e.text.startswith("web 2.0"),
                       what="the dialog naming web 2.0")
        assert app.s.find("[data-testid=deployment-confirm-environment]").text == "staging"
        assert "stage" in app.s.find("[data-testid=deployment-confirm-targets]").text
        SHOTS.mkdir(parents=True, exist_ok=True)
        app.s.screenshot(str(SHOTS / "deployment-approve-dialog.png"))
        app.s.find("[data-testid=deployment-confirm]").click()
        out, err = deploying.communicate(timeout=120)
        assert deploying.returncode == 0, f"{out}\n{err}"
        assert '"status": "succeeded"' in out, out
    finally:
        if deploying.poll() is None:
            deploying.kill()
    wait_status(app, "[data-testid=deployment-detail]", {"succeeded"}, timeout=30)
    bar = app.s.wait_for("[data-testid=traffic-bar]", condition=lambda e: e.attribute("data-canary") == "100",
                         what="the traffic bar at 100% on the new version")
    assert bar.attribute("data-stable") == "0"
    events = app.s.execute("return document.querySelector('[data-testid=deployment-events]').textContent")
    assert "approved" in events, events
    app.s.screenshot(str(SHOTS / "deployment-promoted.png"))
