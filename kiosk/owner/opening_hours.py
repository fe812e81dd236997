"""Opening hours: outside them the screen dims to a low-power idle and wakes on a touch.

Hours may cross midnight (a bar open 18:00-02:00). Equal opening and closing times mean always
open. The owner's choice (setting ``opening_hours``) overrides the operator's
``screen.opening_time`` / ``screen.closing_time``.

:class:`IdleClock` is the screen's state machine, driven by ``tick`` and ``touched`` with the
local time of day and a monotonic clock, so it is tested without waiting for the night.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger

SETTING = "opening_hours"
_HHMM = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_hhmm(text: str) -> dt.time:
    match = _HHMM.fullmatch(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(f"expected a time as HH:MM (00:00 to 23:59), got {text!r}")
    return dt.time(int(match[1]), int(match[2]))


@dataclass(frozen=True)
class OpeningHours:
    opens: dt.time
    closes: dt.time

    @classmethod
    def parse(cls, opens: str, closes: str) -> OpeningHours:
        return cls(parse_hhmm(opens), parse_hhmm(closes))

    @classmethod
    def for_kiosk(cls, ledger: Ledger, default_opens: str, default_closes: str) -> OpeningHours:
        """The owner's hours if set and readable, else the configuration's defaults."""
        chosen = ledger.get_setting(SETTING)
        if isinstance(chosen, dict):
            try:
                return cls.parse(chosen.get("opens"), chosen.get("closes"))
            except ValueError:
                pass  # a damaged setting falls back to the operator's hours
        return cls.parse(default_opens, default_closes)

    def as_setting(self) -> dict[str, str]:
        return {"opens": self.opens.strftime("%H:%M"), "closes": self.closes.strftime("%H:%M")}

    def is_open(self, at: dt.time) -> bool:
        at = at.replace(second=0, microsecond=0, tzinfo=None)
        if self.opens == self.closes:
            return True
        if self.opens < self.closes:
            return self.opens <= at < self.closes
        return at >= self.opens or at < self.closes  # crosses midnight


class IdleClock:
    """Awake while open; dim outside the hours; a touch wakes it for ``wake_for_s`` seconds."""

    def __init__(self, hours: OpeningHours, wake_for_s: float = 60.0):
        self.hours = hours
        self.wake_for_s = wake_for_s
        self._woken_until: float | None = None
        self.dimmed = False

    def tick(self, time_of_day: dt.time, mono_s: float) -> bool:
        """Re-evaluate; returns True when the screen should be dimmed now."""
        if self.hours.is_open(time_of_day):
            self._woken_until = None
            self.dimmed = False
        else:
            self.dimmed = self._woken_until is None or mono_s >= self._woken_until
            if self.dimmed:
                self._woken_until = None
        return self.dimmed

    def touched(self, time_of_day: dt.time, mono_s: float) -> bool:
        """A touch anywhere. Returns True if it only woke the screen (to be swallowed, so a
        touch on a dark screen never starts a donation)."""
        was_dimmed = self.dimmed
        if not self.hours.is_open(time_of_day):
            self._woken_until = mono_s + self.wake_for_s
        self.dimmed = False
        return was_dimmed
