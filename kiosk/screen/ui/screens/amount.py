"""The amount screen: the configured presets as large buttons (none pre-selected), « Autre
montant » and back. Layout in amount.kv; taps call the app."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kivy.app import App
from kivy.factory import Factory
from kivy.lang import Builder

from kiosk.screen.ui.widgets import KioskScreen

if TYPE_CHECKING:
    from kivy.uix.widget import Widget

    from kiosk.screen.ui.app import KioskApp

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class AmountScreen(KioskScreen):
    def on_kv_post(self, _base_widget: Widget) -> None:
        app = App.get_running_app()
        app.bind(preset_labels=self._rebuild)
        self._rebuild(app, app.preset_labels)

    @staticmethod
    def columns(count: int, portrait: bool) -> int:
        if portrait:
            return 2
        return 3 if count in (3, 5, 6) else max(1, min(4, count))

    def _rebuild(self, app: KioskApp, labels: list[str]) -> None:
        grid = self.ids.presets
        if [b.text for b in reversed(grid.children)] == list(labels):
            return
        grid.clear_widgets()
        for index, label in enumerate(labels):
            # size_hint_y 1: the button fills its row (row_default_height in amount.kv).
            # Its size follows app.scale through KioskButton's rule in widgets.kv: bindings
            # that Kivy drops with the button, so a rebuild leaves none behind on the app.
            button = Factory.KioskButton(text=label, size_hint_y=1)
            button.bind(on_release=lambda _b, i=index: app.choose_preset(i))
            grid.add_widget(button)
