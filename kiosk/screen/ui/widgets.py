"""Shared widgets of the kiosk screen (their look is in widgets.kv)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.properties import (
    AliasProperty,
    ColorProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.button import Button
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget

from kiosk.screen.ui import kv_cache, theme


class KioskScreen(Screen):
    """Base of every screen (the kiosk background is the window's clear colour)."""


class KioskButton(Button):
    """A flat rounded button; ``bg``/``fg`` are theme colours (pairs checked for contrast)."""

    bg = StringProperty(theme.BUTTON)
    fg = StringProperty(theme.BUTTON_TEXT)



class Picture(Widget):
    """A texture at the largest size that fits the widget, centred (Kivy's Image with
    ``fit_mode: 'contain'``), drawn as one rectangle, and nothing without a texture.

    Kivy's Image draws a stencil pass on every frame (two widget-sized quads and the stencil
    buffer around the picture): with software OpenGL each of them is filled pixel by pixel,
    which cost the attract loop's slide transitions a third of their CPU. A picture that only
    has to fit needs no clipping."""

    texture = ObjectProperty(None, allownone=True)
    color = ColorProperty([1, 1, 1, 1])

    def _fitted(self) -> tuple[float, float]:
        if self.texture is None or self.width <= 0 or self.height <= 0:
            return 0.0, 0.0
        tw, th = self.texture.size
        ratio = min(self.width / max(1, tw), self.height / max(1, th))
        return tw * ratio, th * ratio

    fitted_size = AliasProperty(_fitted, bind=("texture", "size"), cache=True)


class FitLabel(Label):
    """Wrapped text that shrinks (down to ``min_font_size``) until it fits its height, so a
    long project summary is never cut at the top or bottom of the slide."""

    max_font_size = NumericProperty(20)
    min_font_size = NumericProperty(10)

    def __init__(self, **kwargs: Any):
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        self.bind(size=self._fit_trigger, text=self._fit_trigger,
                  max_font_size=self._fit_trigger)

    def _fit(self, *_args: Any) -> None:
        if self.width <= 1 or self.height <= 1:
            return
        self.font_size = self.max_font_size
        self.texture_update()
        while self.texture_size[1] > self.height and self.font_size > self.min_font_size:
            self.font_size = max(self.min_font_size, self.font_size * 0.9)
            self.texture_update()


class FitLineLabel(Label):
    """One line that shrinks (down to ``min_font_size``) until it fits its width, so a count
    such as « 1 312 / 10 000 neighbours » reads whole on a 7" panel; past that it is
    shortened with « … » (``shorten`` in the rule)."""

    max_font_size = NumericProperty(16)
    min_font_size = NumericProperty(11)

    def __init__(self, **kwargs: Any):
        self._fit_trigger = Clock.create_trigger(self._fit, -1)
        super().__init__(**kwargs)
        self.bind(width=self._fit_trigger, text=self._fit_trigger,
                  max_font_size=self._fit_trigger)

    def _fit(self, *_args: Any) -> None:
        from kivy.core.text import Label as CoreLabel

        if self.width <= 1:
            return
        size = self.max_font_size
        while size > self.min_font_size:
            line = CoreLabel(text=self.text, font_size=size, bold=self.bold,
                             font_name=self.font_name)
            line.refresh()
            # A few pixels to spare: Kivy's ``shorten`` already cuts a line that just fits.
            if line.content_width <= self.width - 4:
                break
            size = max(self.min_font_size, size * 0.92)
        self.font_size = size


kv_cache.load(Path(__file__).with_name("widgets.kv"))
