"""What the settings screens need from the configuration, as one plain value."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.hardware.backlight import SYSFS_ROOT

if TYPE_CHECKING:
    from kiosk.core.config import Config

# The PIN lock's (kiosk.owner.pin_lock) seconds locked after the 1st, 2nd, … wrong PIN; the last
# entry repeats. Three free tries cover a mistyped digit; a guesser of a 4-digit PIN then needs
# days for a few hundred tries. Here, not in pin_lock, so that the screen's start-up, which
# reads these options, does not import the PIN lock before its first frame.
DEFAULT_SCHEDULE: tuple[int, ...] = (0, 0, 0, 30, 60, 120, 300, 900)


@dataclass(frozen=True)
class OwnerOptions:
    data_dir: Path
    max_featured: int = 6
    opening_time: str = "07:00"
    closing_time: str = "21:00"
    default_language: str = "fr"
    inactivity_timeout_s: float = 90.0
    wake_for_s: float = 60.0  # a touch outside opening hours wakes the screen this long
    idle_check_s: float = 20.0  # how often the opening hours are re-checked
    backlight_root: Path = SYSFS_ROOT
    lock_schedule: tuple[int, ...] = DEFAULT_SCHEDULE

    @classmethod
    def from_config(cls, cfg: Config) -> OwnerOptions:
        return cls(data_dir=cfg.data_dir, max_featured=cfg.screen.max_featured,
                   opening_time=cfg.screen.opening_time, closing_time=cfg.screen.closing_time,
                   default_language=cfg.screen.language,
                   inactivity_timeout_s=float(cfg.screen.settings_timeout_s))
