"""The outcome screen for every result but approval: one plain sentence on whether money was
taken and what to do. Layout in outcome.kv."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.lang import Builder
from kivy.properties import StringProperty

from kiosk.screen.donor_messages import message_for
from kiosk.screen.ui import theme
from kiosk.screen.ui.widgets import KioskScreen

BANDS = {"no": theme.SECONDARY, "maybe": theme.WARNING, "yes": theme.SUCCESS}


class OutcomeScreen(KioskScreen):
    # Plain string properties: kv does not follow attributes of a non-Kivy object.
    title = StringProperty("")
    body = StringProperty("")
    band = StringProperty(theme.SECONDARY)

    def on_kv_post(self, _base_widget: Widget) -> None:
        app = App.get_running_app()
        app.bind(outcome=self._show_outcome)
        self._show_outcome(app, app.outcome)

    def _show_outcome(self, _app: KioskApp, outcome: str) -> None:
        message = message_for(outcome)
        self.title, self.body = message.title, message.body
        self.band = BANDS[message.money_taken]


if TYPE_CHECKING:
    from kivy.uix.widget import Widget

    from kiosk.screen.ui.app import KioskApp

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
