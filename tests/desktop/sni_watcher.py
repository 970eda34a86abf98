"""A StatusNotifierWatcher for tests: owns org.kde.StatusNotifierWatcher on the
session bus (bare Xvfb has none), records the items that register, and can
read and click an item's dbusmenu through com.canonical.dbusmenu."""

import asyncio

from dbus_fast import BusType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.service import ServiceInterface, dbus_property, method, signal, PropertyAccess


class Watcher(ServiceInterface):
    def __init__(self):
        super().__init__("org.kde.StatusNotifierWatcher")
        self.items = []
        self.registered = asyncio.Event()

    @method()
    def RegisterStatusNotifierItem(self, service: "s"):  # noqa: F821
        self.items.append(service)
        self.registered.set()
        self.StatusNotifierItemRegistered(service)

    @method()
    def RegisterStatusNotifierHost(self, service: "s"):  # noqa: F821
        pass

    @signal()
    def StatusNotifierItemRegistered(self, service) -> "s":  # noqa: F821
        return service

    @signal()
    def StatusNotifierHostRegistered(self) -> None:
        return None

    @dbus_property(access=PropertyAccess.READ)
    def RegisteredStatusNotifierItems(self) -> "as":  # noqa: F821
        return self.items

    @dbus_property(access=PropertyAccess.READ)
    def IsStatusNotifierHostRegistered(self) -> "b":  # noqa: F821
        return True

    @dbus_property(access=PropertyAccess.READ)
    def ProtocolVersion(self) -> "i":  # noqa: F821
        return 0


async def start():
    bus = await MessageBus(bus_type=BusType.SESSION).connect()
    watcher = Watcher()
    bus.export("/StatusNotifierWatcher", watcher)
    await bus.request_name("org.kde.StatusNotifierWatcher")
    return bus, watcher


def _split(item):
    # Items register either as a bus name ("org.kde.StatusNotifierItem-PID-1")
    # or as a bus name plus object path (":1.42/StatusNotifierItem").
    if "/" in item:
        name, path = item.split("/", 1)
        return name, "/" + path
    return item, "/StatusNotifierItem"


async def item_properties(bus, item):
    name, path = _split(item)
    intro = await bus.introspect(name, path)
    obj = bus.get_proxy_object(name, path, intro)
    props = obj.get_interface("org.freedesktop.DBus.Properties")
    values = await props.call_get_all("org.kde.StatusNotifierItem")
    return name, {k: v.value for k, v in values.items()}


async def menu_items(bus, name, menu_path):
    intro = await bus.introspect(name, menu_path)
    obj = bus.get_proxy_object(name, menu_path, intro)
    menu = obj.get_interface("com.canonical.dbusmenu")
    _revision, layout = await menu.call_get_layout(0, -1, ["label", "enabled", "visible"])
    out = []

    def walk(node):
        item_id, props, children = node
        label = props.get("label")
        if label is not None:
            out.append((item_id, label.value, props.get("enabled", Variant("b", True)).value))
        for child in children:
            walk(child.value)

    walk(layout)
    return menu, out


async def click(menu, item_id):
    import time as _time
    await menu.call_event(item_id, "clicked", Variant("s", ""), int(_time.time()))


async def find_item(bus, registered):
    """The bus name and properties of a registered item. Items register as
    "NAME", "NAME/PATH" or only "/PATH"; for a bare path the name is the
    connection that serves a StatusNotifierItem there."""
    if not registered.startswith("/"):
        return await item_properties(bus, registered)
    intro = await bus.introspect("org.freedesktop.DBus", "/org/freedesktop/DBus")
    dbus = bus.get_proxy_object("org.freedesktop.DBus", "/org/freedesktop/DBus", intro).get_interface(
        "org.freedesktop.DBus")
    for candidate in await dbus.call_list_names():
        if candidate.startswith(":"):
            try:
                return await item_properties(bus, candidate + registered)
            except Exception:
                continue
    raise AssertionError(f"no connection serves a StatusNotifierItem at {registered}")
