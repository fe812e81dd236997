"""The thank-you chime: loaded the first time it plays (not on the start-up path)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kivy.core.audio import Sound

log = logging.getLogger("kiosk.screen")


class Chime:
    def __init__(self, path: Path | None):
        self.path = path
        self._sound: Sound | None = None  # once loaded

    def play(self) -> None:
        if self.path is None or not self.path.exists():
            return
        try:
            from kivy.core.audio import SoundLoader

            if self._sound is None:
                self._sound = SoundLoader.load(str(self.path))
            if self._sound is not None:
                self._sound.play()
        except Exception as e:  # noqa: BLE001 - no audio device must never stop a thank-you
            log.info("confirmation sound unavailable: %s", e)
