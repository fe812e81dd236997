"""Shared widgets of the kiosk screen (their look is in widgets.kv)."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder
from kivy.properties import StringProperty
from kivy.uix.button import Button
from kivy.uix.screenmanager import Screen

from kiosk.ui import theme


class KioskScreen(Screen):
    """Base of every screen: the kiosk background; ``app`` is the running KioskApp."""


class KioskButton(Button):
    """A flat rounded button; ``bg``/``fg`` are theme colours (pairs checked for contrast)."""

    bg = StringProperty(theme.BUTTON)
    fg = StringProperty(theme.BUTTON_TEXT)


Builder.load_file(str(Path(__file__).with_name("widgets.kv")))
