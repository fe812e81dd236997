"""Widgets shared by the shop owner's settings screens (their look is in owner_widgets.kv)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.screen.ui.widgets import KioskScreen

if TYPE_CHECKING:
    from kiosk.screen.ui.owner_panel import OwnerPanel


class OwnerScreen(KioskScreen):
    """Base of the settings screens: each holds its own state as properties its .kv binds to;
    ``panel`` is the app's :class:`OwnerPanel` (session, worker thread, idle, backlight)."""

    panel: OwnerPanel = ObjectProperty(None)

    def __init__(self, **kwargs: Any):
        self.panel = App.get_running_app().owner  # before the kv rules that read it
        super().__init__(**kwargs)

    def failed(self, text: str) -> None:
        """A job of the settings failed; ``text`` says so in the owner's language."""

    def closed(self) -> None:
        """The settings were closed: forget what was typed or drafted."""


Builder.load_file(str(Path(__file__).with_name("owner_widgets.kv")))
