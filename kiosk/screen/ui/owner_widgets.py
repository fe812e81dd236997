"""Widgets shared by the shop owner's settings screens (their look is in owner_widgets.kv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import ObjectProperty

from kiosk.screen.ui.widgets import KioskScreen


class OwnerScreen(KioskScreen):
    """Base of the settings screens: ``panel`` is the app's :class:`OwnerPanel`."""

    panel = ObjectProperty(None)

    def __init__(self, **kwargs: Any):
        self.panel = App.get_running_app().owner
        super().__init__(**kwargs)


Builder.load_file(str(Path(__file__).with_name("owner_widgets.kv")))
