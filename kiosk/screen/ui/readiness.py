"""When the first screen counts as shown (the app's ``on_shown``, then READY=1 to systemd).

After each frame until the first screen is whole on the display: the first health check is
back (the call to action says whether giving is available) and, on the attract loop, the first
slide has its photo, or :data:`SHOWN_AT_LATEST_S` after the first frame at the latest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kivy.clock import Clock
from kivy.core.window import Window

log = logging.getLogger("kiosk.screen")
# The screen counts as shown at the latest this long after the first frame, even if the first
# photo is still decoding (systemd is told the screen is ready then).
SHOWN_AT_LATEST_S = 3.0


class Readiness:
    def __init__(self, *, health_back: Callable[[], bool], photo_pending: Callable[[], bool],
                 shown: Callable[[], None]):
        self._health_back, self._photo_pending, self._on_shown = health_back, photo_pending, shown
        self.shown = False
        self._first_flip_at: float | None = None
        self._limit = Clock.create_trigger(self._at_the_latest, 0.1)

    def watch(self) -> None:
        Window.bind(on_flip=self._check)

    def _check(self, *_args: object) -> None:
        if self.shown:
            return
        if not self._health_back() or self._photo_pending():
            if self._first_flip_at is None:
                self._first_flip_at = time.monotonic()
            self._limit()  # the photo redraws the frame; this is for the time limit
            return
        self._dispatch()

    def _at_the_latest(self, _dt: float) -> None:
        if self.shown or self._first_flip_at is None:
            return
        if time.monotonic() - self._first_flip_at < SHOWN_AT_LATEST_S:
            self._limit()
            return
        log.warning("the first %s took over %.0f s; the screen counts as shown without it",
                    "photo" if self._health_back() else "health check", SHOWN_AT_LATEST_S)
        self._dispatch()

    def _dispatch(self) -> None:
        Window.unbind(on_flip=self._check)
        from kivy.graphics.opengl import glFinish

        glFinish()  # the frame is on the display, not only queued to the GPU
        self.shown = True
        self._on_shown()
