"""When the settings may open, and when they close themselves.

The settings never show while a donation is in progress (the customer's payment screen must
stay in front of them), and close after ``timeout_s`` without a touch so a kiosk is never left
in the owner's settings for the next customer. Driven by a monotonic clock passed in, so tests
do not wait. The caller audits the closing (``settings_closed``) with the reason returned.
"""

from __future__ import annotations

from collections.abc import Callable

DEFAULT_TIMEOUT_S = 90.0


class OwnerSession:
    def __init__(self, donation_in_progress: Callable[[], bool],
                 timeout_s: float = DEFAULT_TIMEOUT_S):
        self.donation_in_progress = donation_in_progress
        self.timeout_s = timeout_s
        self._last_touch: float | None = None

    @property
    def is_open(self) -> bool:
        return self._last_touch is not None

    def may_open(self) -> bool:
        """The hidden gesture only opens the PIN pad when no donation is under way."""
        return not self.donation_in_progress()

    def opened(self, now_s: float) -> None:
        self._last_touch = now_s

    def touched(self, now_s: float) -> None:
        if self._last_touch is not None:
            self._last_touch = now_s

    def should_close(self, now_s: float) -> str | None:
        """Why the settings must close now ("inactivity", "donation"), or None."""
        if self._last_touch is None:
            return None
        if self.donation_in_progress():
            return "donation"
        if now_s - self._last_touch >= self.timeout_s:
            return "inactivity"
        return None

    def close(self) -> bool:
        """Close; True if it was open (so the caller audits it exactly once)."""
        was_open = self._last_touch is not None
        self._last_touch = None
        return was_open
