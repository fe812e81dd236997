"""The customer's path through the kiosk, as a plain state machine (no Kivy).

Which screen shows, what one tap does, what the guards allow, when a screen times out. The UI
calls one method per tap or event and performs the :class:`Effect` objects returned; it never
decides anything itself. Time is passed in (monotonic seconds) so tests need no clock.

Rules that protect the donor:

- a payment starts only from the amount or keypad screen and only while giving is available;
  the screen then moves to PAYMENT at once, so a second tap on the same button does nothing
  (one tap, one donation);
- the payment screen is left only on the payment's recorded outcome: never on a timeout or a
  back tap, because until the outcome is known nobody can say whether money was taken;
- every other screen returns to the attract loop after the idle timeout.

The anonymous engagement counts (:mod:`kiosk.core.funnel`) of the donor's path are reported
here, where the transitions happen, through ``on_count(counter, project_id)``; the UI stores
them off its thread. Slides shown and « Je participe » belong to the attract loop's screen.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kiosk.core.funnel import Counter

if TYPE_CHECKING:
    from kiosk.core.config import Config


class FlowStep(enum.StrEnum):
    ATTRACT = "attract"
    PROJECTS = "projects"  # the grid of every featured project, one tap from the loop
    AMOUNT = "amount"
    KEYPAD = "keypad"
    PAYMENT = "payment"
    THANKS = "thanks"
    OUTCOME = "outcome"


class FlowOutcome(enum.StrEnum):
    """What the donor is told after a payment attempt."""

    APPROVED = "approved"          # recorded approved: the thank-you screen
    DECLINED = "declined"          # the card was refused: no money taken
    CANCELLED = "cancelled"        # cancelled before payment: no money taken
    TIMEOUT = "timeout"            # the terminal never took the request: no money taken
    TERMINAL_ERROR = "terminal_error"  # link failed before the request: no money taken
    UNKNOWN = "unknown"            # the answer was lost: money may have been taken
    NOT_STARTED = "not_started"    # a guard refused before any payment: no money taken
    NOT_RECORDED = "not_recorded"  # approved by the terminal but the ledger write failed


# Which bridge outcome means which FlowOutcome: kiosk.payment.outcomes.BRIDGE_OUTCOMES.


@dataclass(frozen=True)
class FlowSettings:
    preset_amounts_cents: tuple[int, ...]
    custom_min_cents: int
    custom_max_cents: int
    currency: str = "EUR"
    idle_timeout_s: float = 45
    payment_timeout_s: float = 120

    @classmethod
    def from_config(cls, cfg: Config) -> FlowSettings:
        d, s = cfg.donations, cfg.screen
        return cls(preset_amounts_cents=tuple(d.preset_amounts_cents),
                   custom_min_cents=d.custom_min_cents, custom_max_cents=d.custom_max_cents,
                   currency=d.currency, idle_timeout_s=s.idle_timeout_s,
                   payment_timeout_s=s.payment_timeout_s)

    @property
    def smallest_amount_cents(self) -> int:
        """The least a donor can give here (what the ledger's guards are checked with)."""
        return min((*self.preset_amounts_cents, self.custom_min_cents))


# -- effects the UI performs --------------------------------------------------------------


@dataclass(frozen=True)
class StartPayment:
    project_id: str
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class CancelPayment:
    reference: str


@dataclass(frozen=True)
class PlayConfirmation:
    pass


Effect = StartPayment | CancelPayment | PlayConfirmation


@dataclass(frozen=True)
class PaymentResult:
    """What the payment worker reports once the attempt is over and recorded."""

    outcome: FlowOutcome
    donation_id: str | None = None
    amount_cents: int = 0
    detail: str | None = None


KEYPAD_MAX_DIGITS = 4  # whole euros only on the keypad: up to 9 999


@dataclass
class DonationFlow:
    settings: FlowSettings
    step: FlowStep = FlowStep.ATTRACT
    project_id: str | None = None
    amount_cents: int | None = None
    keypad_digits: str = ""
    reference: str | None = None
    stage: str = "connecting"
    cancellable: bool = False
    cancel_requested: bool = False
    result: PaymentResult | None = None
    available: bool = True
    unavailable_reason: str | None = None
    last_touch: float = 0.0
    payment_deadline: float | None = None
    # Told of each engagement count (never waits: the UI queues the write for its I/O thread).
    on_count: Callable[[Counter, str], None] | None = field(default=None, repr=False)

    def _count(self, counter: Counter) -> None:
        if self.on_count is not None and self.project_id is not None:
            self.on_count(counter, self.project_id)

    # -- guards ------------------------------------------------------------------------

    @property
    def settings_allowed(self) -> bool:
        """Hook for the shop-owner settings screen: only from the attract loop, never while a
        donation is in progress."""
        return self.step is FlowStep.ATTRACT

    def set_availability(self, available: bool, reason: str | None = None) -> None:
        """Giving is (un)available: terminal, ledger guards, database. A payment already in
        progress finishes; new ones cannot start."""
        self.available = available
        self.unavailable_reason = None if available else (reason or "unavailable")
        if not available and self.step in (FlowStep.AMOUNT, FlowStep.KEYPAD):
            self._to_attract()

    # -- taps --------------------------------------------------------------------------

    def touched(self, now: float) -> None:
        self.last_touch = now

    def open_projects(self, now: float) -> bool:
        """« All projects »: the donor picks from a grid (giving stays two taps away)."""
        if self.step is not FlowStep.ATTRACT:
            return False
        self.touched(now)
        self.step = FlowStep.PROJECTS
        return True

    def choose_project(self, project_id: str, now: float) -> bool:
        if self.step not in (FlowStep.ATTRACT, FlowStep.PROJECTS) or not self.available:
            return False
        self.touched(now)
        self.project_id, self.amount_cents, self.keypad_digits = project_id, None, ""
        self.step = FlowStep.AMOUNT
        self._count(Counter.GIVE_TAPPED)
        return True

    def choose_amount(self, amount_cents: int, now: float) -> list[Effect]:
        """A preset button (from AMOUNT) or the keypad's confirm (from KEYPAD)."""
        if self.step not in (FlowStep.AMOUNT, FlowStep.KEYPAD) or not self.available:
            return []
        if not self.amount_allowed(amount_cents) and self.step is FlowStep.KEYPAD:
            return []
        if self.step is FlowStep.AMOUNT and amount_cents not in self.settings.preset_amounts_cents:
            return []
        self.touched(now)
        self._count(Counter.AMOUNT_CUSTOM if self.step is FlowStep.KEYPAD
                    else Counter.AMOUNT_PRESET)
        self.amount_cents = amount_cents
        self.step = FlowStep.PAYMENT
        self.reference, self.result = None, None
        self.stage, self.cancellable, self.cancel_requested = "connecting", False, False
        self.payment_deadline = now + self.settings.payment_timeout_s
        assert self.project_id is not None
        return [StartPayment(self.project_id, amount_cents, self.settings.currency)]

    def open_keypad(self, now: float) -> bool:
        if self.step is not FlowStep.AMOUNT:
            return False
        self.touched(now)
        self.keypad_digits = ""
        self.step = FlowStep.KEYPAD
        return True

    def keypad_press(self, key: str, now: float) -> bool:
        """A digit, or "back" to erase one. Returns whether the entry changed."""
        if self.step is not FlowStep.KEYPAD:
            return False
        self.touched(now)
        if key == "back":
            if not self.keypad_digits:
                return False
            self.keypad_digits = self.keypad_digits[:-1]
            return True
        if len(key) != 1 or not key.isdigit():
            return False
        if (not self.keypad_digits and key == "0") or len(self.keypad_digits) >= KEYPAD_MAX_DIGITS:
            return False
        self.keypad_digits += key
        return True

    @property
    def keypad_cents(self) -> int | None:
        return int(self.keypad_digits) * 100 if self.keypad_digits else None

    def amount_allowed(self, cents: int | None) -> bool:
        s = self.settings
        return cents is not None and s.custom_min_cents <= cents <= s.custom_max_cents

    def confirm_keypad(self, now: float) -> list[Effect]:
        cents = self.keypad_cents
        if self.step is not FlowStep.KEYPAD or not self.amount_allowed(cents):
            return []
        assert cents is not None
        return self.choose_amount(cents, now)

    def back(self, now: float) -> bool:
        self.touched(now)
        if self.step is FlowStep.KEYPAD:
            self.step = FlowStep.AMOUNT
            return True
        if self.step in (FlowStep.PROJECTS, FlowStep.AMOUNT, FlowStep.THANKS,
                         FlowStep.OUTCOME):
            if self.step is FlowStep.AMOUNT:
                self._count(Counter.ABANDONED_BACK)
            self._to_attract()
            return True
        return False  # PAYMENT: only the outcome leaves it; ATTRACT: nowhere to go

    def request_cancel(self, now: float) -> list[Effect]:
        """The donor's cancel button; acts once, and only while the terminal allows it."""
        if self.step is not FlowStep.PAYMENT or self.cancel_requested or not self.cancellable:
            return []
        self.touched(now)
        return self._cancel()

    def _cancel(self) -> list[Effect]:
        self.cancel_requested = True
        return [CancelPayment(self.reference)] if self.reference else []

    # -- events from the payment worker -------------------------------------------------

    def payment_started(self, reference: str) -> list[Effect]:
        """The pending donation is committed; its id is the bridge reference."""
        if self.step is not FlowStep.PAYMENT:
            return []
        self.reference = reference
        self._count(Counter.PAYMENT_STARTED)
        return [CancelPayment(reference)] if self.cancel_requested else []

    def payment_progress(self, stage: str, cancellable: bool) -> None:
        if self.step is FlowStep.PAYMENT:
            self.stage, self.cancellable = stage, cancellable

    def payment_finished(self, result: PaymentResult, now: float) -> list[Effect]:
        """The outcome is recorded (or could not be): show it."""
        if self.step is not FlowStep.PAYMENT:
            return []
        self.result = result
        self.payment_deadline = None
        self.touched(now)
        if result.outcome is FlowOutcome.CANCELLED:
            self._count(Counter.ABANDONED_CANCEL)
        if result.outcome is FlowOutcome.APPROVED:
            self._count(Counter.PAYMENT_APPROVED)
            self.step = FlowStep.THANKS
            return [PlayConfirmation()]
        self.step = FlowStep.OUTCOME
        return []

    # -- time --------------------------------------------------------------------------

    def seconds_left(self, now: float) -> int:
        """The payment countdown shown to the donor."""
        if self.payment_deadline is None:
            return 0
        return max(0, int(self.payment_deadline - now + 0.999))

    def tick(self, now: float) -> list[Effect]:
        if self.step is FlowStep.PAYMENT:
            if (self.payment_deadline is not None and now >= self.payment_deadline
                    and not self.cancel_requested):
                # Out of time: ask the terminal to stop; the screen still waits for the outcome.
                return self._cancel()
            return []
        if (self.step is not FlowStep.ATTRACT
                and now - self.last_touch >= self.settings.idle_timeout_s):
            if self.step in (FlowStep.AMOUNT, FlowStep.KEYPAD):
                self._count(Counter.ABANDONED_TIMEOUT)  # the donor walked away
            self._to_attract()
        return []

    def _to_attract(self) -> None:
        self.step = FlowStep.ATTRACT
        self.project_id, self.amount_cents, self.keypad_digits = None, None, ""
        self.reference, self.result, self.payment_deadline = None, None, None
        self.cancellable = self.cancel_requested = False

