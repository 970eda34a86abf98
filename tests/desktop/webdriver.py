"""A small W3C WebDriver client (plain HTTP), enough to drive the app through
tauri-driver and WebKitWebDriver: sessions, finding elements, clicking,
typing, reading text and attributes, running scripts and screenshots."""

import base64
import http.client
import json
import os
import time
import urllib.error
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class WebDriverError(Exception):
    pass


class Element:
    def __init__(self, session, element_id, locator=None):
        self.session = session
        self.id = element_id
        # How it was found, (css, condition): React may draw the element
        # anew (a page reloading what it shows), and a click on the old one
        # would never land; the locator finds the new one.
        self.locator = locator

    def _cmd(self, method, path, body=None):
        return self.session._cmd(method, f"/element/{self.id}{path}", body)

    def click(self, timeout=15):
        """Clicks; while something else covers the element (a dialog still
        opening, a notice sliding in), waits for it to move, like a user.
        An element React replaced is found again by its locator."""
        deadline = time.time() + timeout
        while True:
            try:
                return self._cmd("POST", "/click", {})
            except WebDriverError as e:
                if "intercepted" not in str(e) and "stale" not in str(e):
                    raise
                if time.time() > deadline:
                    raise WebDriverError(f"{e} (covered by {self.covered_by()})") from e
                if not self._found_again():
                    time.sleep(0.2)

    def _found_again(self):
        """When this element left the page and its locator finds a new one,
        points at that one."""
        if self.locator is None:
            return False
        try:
            if self.session.execute("return arguments[0].isConnected", {ELEMENT: self.id}):
                return False
        except WebDriverError:
            pass  # a stale reference: it left the page
        css, condition = self.locator
        for el in self.session.find_all(css):
            if condition is None or condition(el):
                self.id = el.id
                return True
        return False

    def covered_by(self):
        """What is on top of this element's centre: the start of its HTML, so
        a failure says which dialog or notice was in the way."""
        try:
            return self.session.execute(
                """const el = arguments[0];
                   const r = el.getBoundingClientRect();
                   const x = r.left + r.width / 2, y = r.top + r.height / 2;
                   const top = document.elementFromPoint(x, y);
                   const open = [...document.querySelectorAll('[role=dialog],[role=presentation]')]
                       .map(d => d.getAttribute('data-testid') || d.className).join(' | ');
                   return `(${Math.round(x)},${Math.round(y)}) in ${innerWidth}x${innerHeight}, `
                       + `connected: ${el.isConnected}: `
                       + (top ? top.outerHTML.slice(0, 300) : 'nothing') + `; open layers: ${open || 'none'}`;""",
                {ELEMENT: self.id},
            )
        except Exception as e:  # the diagnosis must not hide the failure
            return f"unknown ({e})"

    def clear(self):
        self._cmd("POST", "/clear", {})

    def send_keys(self, text):
        self._cmd("POST", "/value", {"text": text})

    @property
    def text(self):
        return self._cmd("GET", "/text")

    def attribute(self, name):
        return self._cmd("GET", f"/attribute/{name}")

    def property(self, name):
        return self._cmd("GET", f"/property/{name}")

    def find(self, css):
        value = self._cmd("POST", "/element", {"using": "css selector", "value": css})
        return Element(self.session, value[ELEMENT])

    def find_all(self, css):
        values = self._cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self.session, v[ELEMENT]) for v in values]


# W3C WebDriver key codes.
CONTROL = "\ue009"
ENTER = "\ue007"


class Session:
    def __init__(self, url, capabilities, timeout=None):
        if timeout is None:
            timeout = float(os.environ.get("SWITCHYARD_TEST_SESSION_TIMEOUT", "60"))
        self.url = url.rstrip("/")
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                # One attempt may not outlast the whole budget (an app that
                # never connects keeps WebKitWebDriver waiting).
                wait = max(1.0, deadline - time.time())
                value = self._raw("POST", "/session", {"capabilities": capabilities}, timeout=wait)
                self.id = value["sessionId"]
                return
            except (urllib.error.URLError, WebDriverError, ConnectionError, TimeoutError) as e:
                last = e
                time.sleep(0.5)
        raise WebDriverError(f"could not create a WebDriver session: {last}")

    def _raw(self, method, path, body=None, timeout=120):
        # tauri-driver keeps a pooled connection to WebKitWebDriver, which may
        # close it just as a request is sent; the request then fails without
        # a response. Such a request never reached the browser: send it again.
        for attempt in range(4):
            try:
                return self._send(method, path, body, timeout)
            except (http.client.RemoteDisconnected, ConnectionResetError):
                if attempt == 3:
                    raise
                time.sleep(0.2)

    def _send(self, method, path, body=None, timeout=120):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                payload = json.loads(resp.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                payload = json.loads(e.read() or b"{}")
            except ValueError:
                payload = {"value": {"error": str(e), "message": ""}}
            value = payload.get("value", {})
            raise WebDriverError(f"{method} {path}: {value.get('error')}: {value.get('message')}")
        return payload.get("value")

    def _cmd(self, method, path, body=None):
        return self._raw(method, f"/session/{self.id}{path}", body)

    def quit(self):
        try:
            self._raw("DELETE", f"/session/{self.id}")
        except Exception:
            pass

    def chord(self, *keys):
        """Presses keys together and releases them (W3C actions), e.g.
        chord(CONTROL, "k")."""
        down = [{"type": "keyDown", "value": k} for k in keys]
        up = [{"type": "keyUp", "value": k} for k in reversed(keys)]
        self._cmd("POST", "/actions", {"actions": [{"type": "key", "id": "keyboard", "actions": down + up}]})
        self._cmd("DELETE", "/actions")

    def execute(self, script, *args):
        return self._cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def execute_async(self, script, *args):
        return self._cmd("POST", "/execute/async", {"script": script, "args": list(args)})

    def find(self, css):
        value = self._cmd("POST", "/element", {"using": "css selector", "value": css})
        return Element(self, value[ELEMENT])

    def find_all(self, css):
        values = self._cmd("POST", "/elements", {"using": "css selector", "value": css})
        return [Element(self, v[ELEMENT]) for v in values]

    def wait_for(self, css, timeout=20, condition=None, what=None):
        """Waits for an element matching `css` (and `condition(element)`)."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                for el in self.find_all(css):
                    if condition is None or condition(el):
                        el.locator = (css, condition)
                        return el
            except WebDriverError as e:
                last = e
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what or css} ({last})")

    def screenshot(self, path):
        png = base64.b64decode(self._cmd("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)

    @property
    def url_hash(self):
        return self.execute("return window.location.hash")
