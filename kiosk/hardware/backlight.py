"""Screen brightness through ``/sys/class/backlight`` where the display exposes it.

The official Pi touch displays do; an HDMI monitor does not, and then brightness is simply not
offered. ``sysfs_root`` is a parameter so tests use a temporary directory shaped like sysfs.
The owner's choice is the setting ``brightness_percent``; the idle dim uses ``IDLE_PERCENT``.
"""

from __future__ import annotations

from pathlib import Path

SYSFS_ROOT = Path("/sys/class/backlight")
SETTING = "brightness_percent"
IDLE_PERCENT = 5
MIN_PERCENT = 10  # the owner cannot turn the screen black by mistake; only the idle goes lower


class BacklightError(OSError):
    """Brightness could not be read or set; the message says which file and why."""


class Backlight:
    def __init__(self, device: Path):
        self.device = device
        self.max_raw = int(_read(device / "max_brightness"))
        if self.max_raw <= 0:
            raise BacklightError(f"{device / 'max_brightness'}: expected a number > 0")

    @classmethod
    def find(cls, sysfs_root: Path = SYSFS_ROOT) -> Backlight | None:
        """The first backlight device under ``sysfs_root``, or None if there is none."""
        try:
            devices = sorted(p for p in Path(sysfs_root).iterdir()
                             if (p / "max_brightness").exists())
        except OSError:
            return None
        for device in devices:
            try:
                return cls(device)
            except (BacklightError, ValueError):
                continue
        return None

    def percent(self) -> int:
        return round(int(_read(self.device / "brightness")) * 100 / self.max_raw)

    def set_percent(self, percent: int, *, floor: int = MIN_PERCENT) -> int:
        """Set the brightness (clamped to [floor, 100]); returns the percent applied."""
        percent = max(floor, min(100, int(percent)))
        raw = max(1, round(self.max_raw * percent / 100))
        path = self.device / "brightness"
        try:
            path.write_text(f"{raw}\n")
        except OSError as e:
            raise BacklightError(f"cannot set the brightness in {path}: {e.strerror or e} "
                                 f"(the kiosk user needs write access; see the udev rule)") from e
        return percent


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as e:
        raise BacklightError(f"cannot read {path}: {e.strerror or e}") from e
