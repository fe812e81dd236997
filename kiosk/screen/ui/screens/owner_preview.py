"""Preview of the attract loop with the owner's unsaved choice (screen ``owner_preview``).

Shows the chosen projects in order, the way the attract loop lays them out, advancing on its
own; nothing here can start a donation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import ListProperty, NumericProperty, ObjectProperty, StringProperty

from kiosk.screen.ui import pictures
from kiosk.screen.ui.owner_widgets import OwnerScreen
from kiosk.screen.ui.textures import texture_from

if TYPE_CHECKING:
    from kivy.clock import ClockEvent

    PhotoKey = tuple[str, int, int]  # (project id, width, height)

Builder.load_file(str(Path(__file__).with_suffix(".kv")))


class OwnerPreviewScreen(OwnerScreen):
    projects = ListProperty([])  # kiosk.core.catalog.Project, the draft's loop order
    index = NumericProperty(0)
    association = StringProperty("")
    title = StringProperty("")
    summary = StringProperty("")
    amounts = StringProperty("")
    progress = NumericProperty(0)
    photo = ObjectProperty(None, allownone=True)

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._event: ClockEvent | None = None
        self._photos: pictures.TextureCache[PhotoKey] = pictures.TextureCache(capacity=4)

    def on_pre_enter(self, *_args: Any) -> None:
        self.index = 0

    def on_enter(self, *_args: Any) -> None:
        self._fill()  # after layout: the photo is decoded at the size it is shown at
        if self._event is not None:
            self._event.cancel()
        self._event = Clock.schedule_interval(lambda _dt: self.step(1),
                                              App.get_running_app().context.slide_duration_s)

    def on_leave(self, *_args: Any) -> None:
        if self._event is not None:
            self._event.cancel()
            self._event = None

    def step(self, delta: int) -> None:
        count = len(self.projects)
        if count:
            self.index = (self.index + delta) % count
            self._fill()

    def _fill(self) -> None:
        projects = self.projects
        if not projects:
            return
        app = App.get_running_app()
        p = projects[self.index]
        self.association, self.title, self.summary = p.association, p.title, p.summary
        self.progress = min(1.0, p.raised_cents / p.goal_cents) if p.goal_cents else 0
        self.amounts = app.raised_of_goal(p.raised_cents, p.goal_cents)
        width, height = (int(v) for v in self.ids.photo.size)
        key = (p.id, width, height)
        self.photo = self._photos.get(key)
        if self.photo is None:
            app.background(pictures.load_photo, p.image_path, width, height,
                           done=lambda px: self._photo_ready(key, px))

    @mainthread
    def _photo_ready(self, key: PhotoKey, pixels: pictures.Pixels | None) -> None:
        if pixels is None:
            return
        texture = texture_from(pixels)
        self._photos.put(key, texture)
        projects = self.projects
        if projects and projects[self.index].id == key[0]:
            self.photo = texture
