"""Screen settings (screen ``owner_display``): language, opening hours, brightness."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screen.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OwnerDisplayScreen(OwnerScreen):
    pass
