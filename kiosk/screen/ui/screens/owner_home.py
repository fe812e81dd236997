"""The settings' first page (screen ``owner_home``): today at a glance, terminal and sync, and
the way to the other settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.factory import Factory
from kivy.lang import Builder

from kiosk.screen.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OwnerHomeScreen(OwnerScreen):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self.panel.bind(attention=self._show_attention)
        self._show_attention(self.panel, self.panel.attention)

    def on_pre_enter(self, *_args: Any) -> None:
        self.panel.refresh_home()

    def _show_attention(self, _panel: Any, sentences: list[str]) -> None:
        box = self.ids.attention
        box.clear_widgets()
        for sentence in sentences:
            box.add_widget(Factory.OwnerAlert(text=sentence))
