"""The thanks screen: layout in thanks.kv, bound to KioskApp's properties; taps call the app.

The project's bar starts where it was before the gift and moves to its new place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.animation import Animation
from kivy.app import App
from kivy.lang import Builder

from kiosk.screen.ui.widgets import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

BAR_MOVE_S = 1.2


class ThanksScreen(KioskScreen):
    def on_enter(self, *_args: Any) -> None:
        app, bar = App.get_running_app(), self.ids.bar
        Animation.cancel_all(bar)
        bar.value = app.thanks_progress_from
        Animation(value=app.thanks_progress_to, duration=BAR_MOVE_S, t="out_cubic").start(bar)
