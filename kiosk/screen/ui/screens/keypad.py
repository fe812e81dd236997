"""The keypad screen: layout in keypad.kv, bound to KioskApp's properties; taps call the app."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from kiosk.screen.ui.widgets import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class KeypadScreen(KioskScreen):
    pass
