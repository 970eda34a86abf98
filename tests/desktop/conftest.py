"""Fixtures for the desktop end-to-end tests.

Each test gets the real switchyard-desktop binary in a fresh data dir and HOME,
started by tauri-driver (WebKitWebDriver) under the Xvfb display and inside the
private D-Bus session that tests/desktop/run provides. A StatusNotifierWatcher
and a notification server run on that bus. Every test saves a screenshot.
"""

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

import fake_notifications
import sni_watcher
from webdriver import Session


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "fake_opener: xdg-open records its argument in <root>/opened instead of opening")
    config.addinivalue_line(
        "markers",
        "installed_package(program=None): a system-wide Switchyard.desktop whose Exec is program "
        "(default: the app under test) and a stale per-user handler, before the app starts")

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
SHOTS = Path(os.environ.get("SWITCHYARD_SCREENSHOTS", ROOT / "target" / "desktop-screenshots"))


def binary():
    path = os.environ.get("SWITCHYARD_DESKTOP_BIN")
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError("SWITCHYARD_DESKTOP_BIN must name the built switchyard-desktop binary")
    return path


class Bus:
    """An asyncio loop in a thread holding our D-Bus services."""

    def __init__(self):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro, timeout=20):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


@pytest.fixture(scope="session")
def bus():
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        raise RuntimeError("run these tests inside a D-Bus session (tests/desktop/run does)")
    b = Bus()

    async def setup():
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus
        conn, watcher = await sni_watcher.start()
        notif_bus = await MessageBus(bus_type=BusType.SESSION).connect()
        notifications = fake_notifications.Notifications()
        notif_bus.export("/org/freedesktop/Notifications", notifications)
        await notif_bus.request_name("org.freedesktop.Notifications")
        return conn, watcher, notifications

    b.conn, b.watcher, b.notifications = b.run(setup())
    yield b


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_driver(env, log_dir):
    """Starts tauri-driver with the test's environment (the app it launches
    inherits it) and waits until it answers."""
    port, native_port = free_port(), free_port()
    native = shutil.which("WebKitWebDriver")
    driver = shutil.which("tauri-driver") or str(Path.home() / ".cargo" / "bin" / "tauri-driver")
    log = open(log_dir / "tauri-driver.log", "w")
    proc = subprocess.Popen(
        [driver, "--port", str(port), "--native-port", str(native_port), "--native-driver", native],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/status", timeout=2).read()
            return proc, url
        except Exception:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"tauri-driver did not start; see {log.name}")


def descendants(pid):
    """Every process whose chain of parents leads to `pid`."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        p = frontier.pop()
        for child, ppid in parent.items():
            if ppid == p and child not in found:
                found.append(child)
                frontier.append(child)
    return found


def stop(proc):
    # The app hides to the tray when its window closes, so ending the
    # WebDriver session does not end it: stop everything the driver started.
    for pid in descendants(proc.pid):
        try:
            os.kill(pid, 15)
        except ProcessLookupError:
            pass
    deadline = time.time() + 5
    while time.time() < deadline and any(Path(f"/proc/{p}").exists() for p in descendants(proc.pid)):
        time.sleep(0.1)
    for pid in descendants(proc.pid):
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


class App:
    """One running app: its WebDriver session, data dir and environment."""

    def __init__(self, session, home, env):
        self.s = session
        self.home = home
        self.env = env

    def cli(self, *args, check=True, input=None):
        """Runs the switchyard CLI on the app's data dir (a second process)."""
        cli = os.environ.get("SWITCHYARD_CLI_BIN")
        out = subprocess.run([cli, *args], env=self.env, capture_output=True, text=True, timeout=120,
                             input=input)
        if check and out.returncode != 0:
            raise AssertionError(f"switchyard {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out

    def second_launch(self, *args):
        """Launches the desktop binary again (as a desktop would for a link)."""
        return subprocess.run([binary(), *args], env=self.env, capture_output=True, text=True, timeout=30)

    def route(self):
        return self.s.url_hash.lstrip("#")

    def wait_route(self, prefix, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.route().startswith(prefix):
                return
            time.sleep(0.2)
        raise AssertionError(f"the app did not go to {prefix} (it shows {self.route()})")


@pytest.fixture
def app(request, bus):
    root = Path(tempfile.mkdtemp(prefix="sy-desktop-"))
    home = root / "home"
    data = root / "data"
    for d in (home / ".local" / "share", home / ".config", home / "run"):
        d.mkdir(parents=True)
    os.chmod(home / "run", 0o700)
    env = dict(os.environ)
    env.update({
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "SWITCHYARD_HOME": str(data),
        "SWITCHYARD_READY_FILE": str(root / "ready-ms"),
        "NO_AT_BRIDGE": "1",
    })
    if request.node.get_closest_marker("fake_opener") is not None:
        # xdg-open that records what it was asked to open (one line per call).
        fake_bin = root / "fake-bin"
        fake_bin.mkdir()
        opener = fake_bin / "xdg-open"
        opener.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{root}/opened"\n')
        opener.chmod(0o755)
        env["PATH"] = f"{fake_bin}:{env.get('PATH', '')}"
    marker = request.node.get_closest_marker("installed_package")
    if marker is not None:
        # A system-wide desktop entry, as the .deb installs it, whose Exec is
        # the marker's program; and a per-user handler an earlier development
        # build registered (its binary long gone), as the default.
        share = root / "system-share"
        (share / "applications").mkdir(parents=True)
        (share / "applications" / "Switchyard.desktop").write_text(
            "[Desktop Entry]\nType=Application\nName=Switchyard\n"
            f"Exec={marker.args[0] if marker.args else binary()} %u\n"
            "MimeType=x-scheme-handler/switchyard;\n")
        # First, so it wins over an entry a real package put in /usr/share.
        env["XDG_DATA_DIRS"] = f"{share}:/usr/local/share:/usr/share"
        apps = home / ".local" / "share" / "applications"
        apps.mkdir(parents=True)
        (apps / "switchyard-desktop-handler.desktop").write_text(
            "[Desktop Entry]\nType=Application\nName=Switchyard\n"
            "Exec=\"/tmp/gone/switchyard-desktop\" %u\nMimeType=x-scheme-handler/switchyard\n"
            "NoDisplay=true\n")
        (home / ".config" / "mimeapps.list").write_text(
            "[Default Applications]\nx-scheme-handler/switchyard=switchyard-desktop-handler.desktop\n")
    bus.notifications.sent.clear()
    # Everything that can fail before the driver runs comes first; from the
    # driver's start on, the `finally` below stops it whatever happens.
    caps = {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": binary()}}}
    driver, url = start_driver(env, root)
    session = None
    try:
        session = Session(url, caps)
        a = App(session, data, env)
        a.root = root
        a.s.wait_for("[data-testid=nav-overview]", timeout=30, what="the app's first view")
        yield a
    finally:
        if session is not None:
            SHOTS.mkdir(parents=True, exist_ok=True)
            try:
                session.screenshot(SHOTS / f"{request.node.name}.png")
            except Exception as e:  # a screenshot must not hide the test's own failure
                print(f"screenshot failed: {e}")
            session.quit()
        stop(driver)
        time.sleep(0.3)
        # Keep the app's and the driver's logs next to the screenshot.
        for src, suffix in ((data / "switchyard-desktop.log", "app.log"), (root / "tauri-driver.log", "driver.log")):
            if src.exists():
                shutil.copy(src, SHOTS / f"{request.node.name}.{suffix}")
        shutil.rmtree(root, ignore_errors=True)
