"""When the payment screen may show, and how long it stays before the outcome (no Kivy).

After a tap on an amount the payment screen waits until the request is at the terminal (the
bridge says ``waiting_card``) or :data:`PAYMENT_SCREEN_HOLD_S`, so building and drawing it never
competes with the ledger commit and the bridge request (tap -> terminal latency); the pressed
button is the feedback meanwhile. Once shown it stays at least :data:`MIN_PAYMENT_SCREEN_S`, so
the donor always sees the payment start before its outcome.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PAYMENT_SCREEN_HOLD_S = 0.2
# The bridge reports these once the request has been written to the terminal.
REQUEST_SENT_STAGES = ("waiting_card", "receiving")
MIN_PAYMENT_SCREEN_S = 0.3


class PaymentHold:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._hold_until: float | None = None
        self._shown_at: float | None = None

    def started(self) -> None:
        """A payment request leaves: hold the payment screen back for a moment."""
        self._hold_until = self._clock() + PAYMENT_SCREEN_HOLD_S
        self._shown_at = None

    def progress(self, stage: str) -> None:
        if stage in REQUEST_SENT_STAGES:
            self._hold_until = None

    def finished(self) -> None:
        self._hold_until = None

    def screen_shown(self) -> None:
        self._shown_at = self._clock()

    @property
    def screen_showing(self) -> bool:
        return self._shown_at is not None

    def hold_left(self) -> float:
        """Seconds the payment screen is still held back (0: show it)."""
        if self._hold_until is None:
            return 0.0
        left = self._hold_until - self._clock()
        if left <= 0:
            self._hold_until = None
            return 0.0
        return left

    def outcome_delay(self) -> float:
        """Seconds to wait before replacing the shown payment screen with the outcome."""
        if self._shown_at is None:
            return 0.0
        return max(0.0, MIN_PAYMENT_SCREEN_S - (self._clock() - self._shown_at))
