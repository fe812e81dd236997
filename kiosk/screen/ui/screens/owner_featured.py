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

from kiosk.screen.ui import pictures
from kiosk.screen.ui.owner_widgets import OwnerScreen
from kiosk.screen.ui.textures import texture_from

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
        """Update the rows in place when the same projects are listed (a tap, a move), so the
        list neither flickers nor loses its scroll position; rebuild them otherwise."""
        rows = self.ids.rows
        existing = list(reversed(rows.children))
        if [r.project_id for r in existing] != [e.project.id for e in entries]:
            rows.clear_widgets()
            existing = []
            for entry in entries:
                row = Factory.FeaturedRow(project_id=entry.project.id)
                row.bind(on_release=lambda r: self.panel.toggle_project(r.project_id))
                rows.add_widget(row)
                existing.append(row)
        for row, entry in zip(existing, entries, strict=True):
            self._fill(row, entry)

    def row(self, project_id: str) -> Any:
        return next(r for r in self.ids.rows.children if r.project_id == project_id)

    def _fill(self, row: Any, entry: Any) -> None:
        app = App.get_running_app()
        p = entry.project
        dates = " – ".join(d for d in (p.starts_on, p.ends_on) if d)
        details = app.raised_of_goal(p.raised_cents, p.goal_cents)
        row.association, row.title = p.association, p.title
        row.details = f"{details} · {dates}" if details and dates else details or dates
        row.status = self.panel.words(entry.unavailable) if entry.unavailable else ""
        row.position, row.progress = entry.position or 0, entry.progress
        row.selectable = entry.unavailable is None
        if row.thumb is None:
            row.thumb = self._thumbs.get(p.id)
        if row.thumb is None and p.image_path is not None:
            app.background(pictures.load_photo, p.image_path, THUMB_PX, THUMB_PX,
                           done=lambda px, pid=p.id: self._thumb_ready(pid, px))

    @mainthread
    def _thumb_ready(self, project_id: str, pixels: Any) -> None:
        if pixels is None:
            return
        texture = texture_from(pixels)
        self._thumbs.put(project_id, texture)
        for row in self.ids.rows.children:
            if row.project_id == project_id:
                row.thumb = texture
