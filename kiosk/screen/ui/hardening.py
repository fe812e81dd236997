"""Kiosk lock-down: no way out for a customer, and never touch the user's Kivy config.

Call :func:`prepare_environment` before anything imports Kivy (it picks the app's own
KIVY_HOME and stops Kivy from reading or writing a config file), :func:`apply_config` after
``kivy.config`` is importable and before the window exists, then :func:`lock_window`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # at run time Kivy is imported only after prepare_environment()
    from kivy.app import App
    from kivy.core.window import WindowBase

BLOCKED_KEYS = {27: "escape", 282: "F1", 292: "F11"}  # SDL key codes


def prepare_environment(kivy_home: Path) -> None:
    """Environment for Kivy, set before its first import."""
    kivy_home.mkdir(parents=True, exist_ok=True)
    os.environ["KIVY_HOME"] = str(kivy_home)      # never ~/.kivy of whoever runs it
    os.environ["KIVY_NO_CONFIG"] = "1"            # no config.ini read or written
    os.environ["KIVY_NO_FILELOG"] = "1"           # logs go to stderr (the journal)
    os.environ["KIVY_NO_ARGS"] = "1"              # our own command line, not Kivy's
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")


def input_providers(*, invert_x: bool, invert_y: bool, dev_mouse: bool) -> dict[str, str]:
    """The [input] section: one provider per touch device (mtdev through probesysfs) so a
    finger is never seen twice; a mouse only in development, without multitouch emulation
    (no red dots)."""
    params = ["provider=mtdev"]
    if invert_x:
        params.append("param=invert_x=1")
    if invert_y:
        params.append("param=invert_y=1")
    providers = {"touchscreen": "probesysfs," + ",".join(params)}
    if dev_mouse:
        providers["mouse"] = "mouse,disable_multitouch"
    return providers


def apply_config(*, width: int, height: int, fullscreen: bool, rotation: int,
                 invert_x: bool = False, invert_y: bool = False,
                 dev_mouse: bool = False) -> None:
    """Configure Kivy in memory only (Config.write is never called)."""
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("kivy", "keyboard_mode", "system")
    Config.set("graphics", "show_cursor", "1" if dev_mouse else "0")
    Config.set("graphics", "fullscreen", "auto" if fullscreen else "0")
    Config.set("graphics", "borderless", "1" if fullscreen else "0")
    Config.set("graphics", "resizable", "0")
    Config.set("graphics", "rotation", str(rotation))
    Config.set("graphics", "width", str(width))
    Config.set("graphics", "height", str(height))
    Config.set("graphics", "multisamples", "0")
    Config.set("postproc", "double_tap_time", "0")
    for option in list(Config.options("input")):
        Config.remove_option("input", option)
    for name, value in input_providers(invert_x=invert_x, invert_y=invert_y,
                                       dev_mouse=dev_mouse).items():
        Config.set("input", name, value)
    if Config.has_section("modules"):
        Config.remove_section("modules")
    Config.add_section("modules")  # no inspector, no touchring, no monitor


def lock_window(app: App, *, dev_mouse: bool = False) -> None:
    """Swallow the keys and requests that would leave or reconfigure the kiosk. A development
    window (``dev_mouse``: ``kiosk --window``, the demo) shows the cursor and can be closed."""
    from kivy.core.window import Window

    app.use_kivy_settings = False
    app.open_settings = lambda *_a, **_k: False  # F1 / menu key settings panel
    if not dev_mouse:  # a development window (kiosk --window, the demo) closes as usual
        Window.bind(on_request_close=lambda *_a, **_k: True)  # window close, Alt-F4
    Window.bind(on_keyboard=_swallow_keys)
    Window.show_cursor = dev_mouse


def _swallow_keys(_window: WindowBase, key: int, _scancode: int, _codepoint: str,
                  modifiers: list[str]) -> bool:
    if key in BLOCKED_KEYS:
        return True
    return "alt" in modifiers and key == 285  # Alt-F4
