"""The attract loop: featured projects slide by, one call to action.

Two slide screens are reused in turn with a plain SlideTransition (no shaders); between
slides nothing changes, so nothing is redrawn. Photos are decoded and scaled on a worker
thread to the size they are shown at; a small LRU keeps the textures.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import NumericProperty, ObjectProperty, StringProperty
from kivy.uix.screenmanager import Screen, ScreenManager, SlideTransition
from kivy.uix.widget import Widget

from kiosk.catalog import Project
from kiosk.ui import pictures
from kiosk.ui.widgets import KioskScreen

Builder.load_file(str(Path(__file__).with_suffix(".kv")))

HIDDEN_GESTURE_HOLD_S = 3.0


class ProjectSlide(Screen):
    project_id = StringProperty("")
    association = StringProperty("")
    title = StringProperty("")
    summary = StringProperty("")
    raised_cents = NumericProperty(0)
    goal_cents = NumericProperty(0)
    photo = ObjectProperty(None, allownone=True)
    learn_more = ObjectProperty(None, allownone=True)

    def on_touch_up(self, touch: Any) -> bool:
        # Tapping the project itself gives to it, like the call to action below it.
        if (self.manager and self.manager.current_screen is self and self.project_id
                and self.collide_point(*touch.pos) and self.collide_point(*touch.opos)
                and "hidden_corner" not in touch.ud):
            App.get_running_app().give(self.project_id)
            return True
        return super().on_touch_up(touch)


class HiddenCorner(Widget):
    """An invisible corner: holding it for a few seconds asks for the settings screen."""

    def on_touch_down(self, touch: Any) -> bool:
        if self.collide_point(*touch.pos):
            touch.ud["hidden_corner"] = Clock.schedule_once(
                lambda _dt: App.get_running_app().dispatch("on_hidden_gesture"),
                HIDDEN_GESTURE_HOLD_S)
        return False

    def on_touch_up(self, touch: Any) -> bool:
        # Keep the key: the slide below must see that this touch began in the corner.
        event = touch.ud.get("hidden_corner")
        if event is not None:
            event.cancel()
        return False


class AttractScreen(KioskScreen):
    index = NumericProperty(0)
    current_project_id = StringProperty("")

    def __init__(self, **kwargs: Any):
        super().__init__(**kwargs)
        self._rotate_event = None
        self._textures = pictures.TextureCache(capacity=4)
        self._qr_cache = pictures.TextureCache(capacity=8)
        self._refill = Clock.create_trigger(self._refill_current, 0.05)
        Clock.schedule_once(self._bind_slides, 0)

    @property
    def projects(self) -> list[Project]:
        return App.get_running_app().projects

    def _bind_slides(self, _dt: float) -> None:
        for slide in self.ids.slides.screens:
            slide.ids.photo.bind(size=self._refill)
        self._fill(self.ids.slides.current_screen, self.index)

    def _refill_current(self, _dt: float) -> None:
        """Once layout settles (or the window turns), reload the photo at its shown size."""
        slide = self.ids.slides.current_screen
        photo = slide.photo
        if photo is None or tuple(photo.size) != tuple(int(v) for v in slide.ids.photo.size):
            self._fill(slide, self.index)

    def on_enter(self, *_args: Any) -> None:
        app = App.get_running_app()
        self._rotate_event = Clock.schedule_interval(self.next_slide,
                                                     app.context.slide_duration_s)

    def on_leave(self, *_args: Any) -> None:
        if self._rotate_event is not None:
            self._rotate_event.cancel()
            self._rotate_event = None

    def next_slide(self, *_args: Any) -> None:
        if len(self.projects) < 2:
            return
        manager: ScreenManager = self.ids.slides
        if manager.transition.is_active:
            return
        self.index = (self.index + 1) % len(self.projects)
        target = "b" if manager.current == "a" else "a"
        self._fill(manager.get_screen(target), self.index)
        manager.transition = SlideTransition(direction="left", duration=0.6)
        manager.current = target

    def give(self) -> None:
        if self.projects:
            App.get_running_app().give(self.current_project_id)

    def reload(self) -> None:
        """Show ``index`` again after the app's projects changed (a new featured choice)."""
        self._fill(self.ids.slides.current_screen, self.index)

    def _fill(self, slide: ProjectSlide, index: int) -> None:
        if not self.projects:
            return
        p = self.projects[index]
        slide.project_id, slide.association, slide.title = p.id, p.association, p.title
        slide.summary, slide.raised_cents, slide.goal_cents = p.summary, p.raised_cents, \
            p.goal_cents
        self.current_project_id = p.id
        width, height = (int(v) for v in slide.ids.photo.size)
        key = (p.id, width, height)
        slide.photo = self._textures.get(key)
        if slide.photo is None:
            app = App.get_running_app()
            app.background(pictures.load_photo, p.image_path, width, height,
                           done=lambda px, s=slide, k=key: self._photo_ready(s, k, px))
        slide.learn_more = None
        if p.url:
            qr_size = int(slide.ids.learn_more.height) or 96
            qr = self._qr_cache.get(p.url)
            if qr is None:
                App.get_running_app().background(
                    pictures.qr_pixels, p.url, qr_size,
                    done=lambda px, s=slide, u=p.url: self._qr_ready(s, u, px))
            slide.learn_more = qr

    @mainthread
    def _photo_ready(self, slide: ProjectSlide, key: tuple, pixels: Any) -> None:
        if pixels is None:
            return
        from kiosk.ui.app import texture_from
        texture = texture_from(pixels)
        self._textures.put(key, texture)
        if slide.project_id == key[0]:
            slide.photo = texture

    @mainthread
    def _qr_ready(self, slide: ProjectSlide, url: str, pixels: Any) -> None:
        from kiosk.ui.app import texture_from
        texture = texture_from(pixels)
        self._qr_cache.put(url, texture)
        slide.learn_more = texture
