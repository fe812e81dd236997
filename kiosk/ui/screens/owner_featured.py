"""Restocking the featured projects (screen ``owner_featured``): the cached catalog with photo,
association, title, progress and dates; tap to choose or drop, arrows to reorder; expired or
inactive projects are marked and cannot be chosen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import mainthread
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, ObjectProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout

from kiosk.ui import pictures
from kiosk.ui.owner_widgets import OwnerScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))
THUMB_PX = 160


class FeaturedRow(ButtonBehavior, BoxLayout):
    project_id = StringProperty("")
    association = StringProperty("")
    title = StringProperty("")
    details = StringProperty("")
    status = StringProperty("")
    position = NumericProperty(0)  # 0: not chosen
    progress = NumericProperty(0)
    selectable = BooleanProperty(True)
    thumb = ObjectProperty(None, allownone=True)


class OwnerFeaturedScreen(OwnerScreen):
    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._thumbs = pictures.TextureCache(capacity=40)
        self.panel.bind(entries=self._rebuild)

    def _rebuild(self, _panel: Any, entries: list[Any]) -> None:
        app = App.get_running_app()
        rows = self.ids.rows
        rows.clear_widgets()
        for entry in entries:
            p = entry.project
            dates = " – ".join(d for d in (p.starts_on, p.ends_on) if d)
            details = app.tr("{raised} raised of {goal}", raised=app.money(p.raised_cents),
                             goal=app.money(p.goal_cents)) if p.goal_cents else ""
            if dates:
                details = f"{details} · {dates}" if details else dates
            status = self.panel.words(entry.unavailable) if entry.unavailable else ""
            row = Factory.FeaturedRow(
                project_id=p.id, association=p.association, title=p.title, details=details,
                status=status, position=entry.position or 0, progress=entry.progress,
                selectable=entry.unavailable is None)
            row.bind(on_release=lambda r: self.panel.toggle_project(r.project_id))
            row.thumb = self._thumbs.get(p.id)
            if row.thumb is None and p.image_path is not None:
                app.background(pictures.load_photo, p.image_path, THUMB_PX, THUMB_PX,
                               done=lambda px, pid=p.id: self._thumb_ready(pid, px))
            rows.add_widget(row)

    @mainthread
    def _thumb_ready(self, project_id: str, pixels: Any) -> None:
        if pixels is None:
            return
        from kiosk.ui.app import texture_from

        texture = texture_from(pixels)
        self._thumbs.put(project_id, texture)
        for row in self.ids.rows.children:
            if row.project_id == project_id:
                row.thumb = texture
