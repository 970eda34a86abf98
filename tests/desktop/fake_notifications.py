"""A notification server for tests: owns org.freedesktop.Notifications on the
session bus, records every Notify call, and can 'click' a notification by
emitting ActionInvoked, as a desktop's notification daemon does."""

from dbus_fast.service import ServiceInterface, method, signal


class Notifications(ServiceInterface):
    def __init__(self):
        super().__init__("org.freedesktop.Notifications")
        self.sent = []  # (id, app_name, summary, body, actions)
        self._next = 1

    @method()
    def Notify(self, app_name: "s", replaces_id: "u", app_icon: "s", summary: "s",  # noqa: F821
               body: "s", actions: "as", hints: "a{sv}", expire_timeout: "i") -> "u":  # noqa: F821
        nid = self._next
        self._next += 1
        self.sent.append((nid, app_name, summary, body, list(actions)))
        return nid

    @method()
    def GetCapabilities(self) -> "as":  # noqa: F821
        return ["actions", "body"]

    @method()
    def GetServerInformation(self) -> "ssss":  # noqa: F821
        return ["switchyard-test", "switchyard", "1.0", "1.2"]

    @method()
    def CloseNotification(self, nid: "u"):  # noqa: F821
        self.NotificationClosed(nid, 3)

    @signal()
    def ActionInvoked(self, nid, action) -> "us":  # noqa: F821
        return [nid, action]

    @signal()
    def NotificationClosed(self, nid, reason) -> "uu":  # noqa: F821
        return [nid, reason]
