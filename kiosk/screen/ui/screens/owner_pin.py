"""The owner's PIN pad (screen ``settings``): entering the settings and changing the PIN."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screen.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OwnerPinScreen(OwnerScreen):
    pass
