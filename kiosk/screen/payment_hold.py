"""When the screen may draw after a tap on an amount, when the payment screen may show, and
how long it stays before the outcome (no Kivy).

After a tap on an amount the payment screen waits until the request is at the terminal (the
bridge says ``waiting_card``) or :data:`PAYMENT_SCREEN_HOLD_S`, so building and drawing it never
competes with the ledger commit and the bridge request (tap -> terminal latency); the pressed
button is the feedback meanwhile. Once shown it stays at least :data:`MIN_PAYMENT_SCREEN_S`, so
the donor always sees the payment start before its outcome.

Even the pressed button's frame waits for the request, at most :data:`FRAME_HOLD_S`: on a
device's one busy CPU, drawing a frame took the CPU from the three things the donor's request
needs right then (the I/O thread's commit, kiosk-sync finishing the short transaction that
holds the ledger's lock, the bridge), and a tap then took up to 54 ms to reach the terminal
instead of ~8. A frame a few milliseconds later is not seen; a request that late is.
"""

from __future__ import annotations

import time
from collections.abc import Callable

PAYMENT_SCREEN_HOLD_S = 0.2
# The bridge reports these once the request has been written to the terminal.
REQUEST_SENT_STAGES = ("waiting_card", "receiving")
MIN_PAYMENT_SCREEN_S = 0.3
# At most three frames at 60 per second without a new one after the tap.
FRAME_HOLD_S = 0.05


class PaymentHold:
    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._hold_until: float | None = None
        self._frames_until: float | None = None
        self._shown_at: float | None = None

    def started(self) -> None:
        """A payment request leaves: hold the payment screen back for a moment, and every
        frame for a shorter one."""
        now = self._clock()
        self._hold_until = now + PAYMENT_SCREEN_HOLD_S
        self._frames_until = now + FRAME_HOLD_S
        self._shown_at = None

    def progress(self, stage: str) -> None:
        if stage in REQUEST_SENT_STAGES:
            self._hold_until = self._frames_until = None

    def finished(self) -> None:
        self._hold_until = self._frames_until = None

    def frames_held(self) -> bool:
        """Whether the screen must not draw now: a request is on its way to the terminal,
        for at most :data:`FRAME_HOLD_S`. Asked once per frame: one comparison."""
        until = self._frames_until
        if until is None:
            return False
        if self._clock() < until:
            return True
        self._frames_until = None
        return False

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
