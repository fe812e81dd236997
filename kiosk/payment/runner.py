"""One donation attempt from the screen's side, run on a worker thread (no Kivy).

ledger ``create_pending`` (guards first; nothing is charged if this fails) → bridge ``pay``
with the donation id as reference → ledger ``finish`` with the mapped state. Only then is the
result handed to the screen, so the thank-you never shows before the approval is durable.

The bridge is reached through a :class:`PaymentPort` (the bridge socket client); this module
never retries a debit: a reference is sent once, and a lost answer is asked for with
``result``, never with a second ``pay``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from kiosk.core.ledger import GuardRefused, LedgerError
from kiosk.payment.client import BridgeOutcome, BridgeProtocolError, BridgeStatus
from kiosk.payment.outcomes import UNREADABLE
from kiosk.payment.recovery import ledger_entry, record_outcome, record_unreadable
from kiosk.screen.donation_flow import FlowOutcome, PaymentResult

if TYPE_CHECKING:
    from kiosk.core.ledger import Donation, Ledger

# However long a bridge says "in_progress", the screen gives up after this: the bridge's own
# listening window (card wait plus resends, ~210 s at the production defaults) is far shorter.
MAX_IN_PROGRESS_S = 600.0


class RequestNotSent(Exception):
    """The bridge could not be reached before the pay request was written: nothing can have
    been charged."""


class PaymentPort(Protocol):
    """What the screen needs from the bridge (docs/internal-apis.md section 3)."""

    def pay(self, reference: str, amount_cents: int, currency: str,
            on_progress: Callable[[str, bool], None]) -> BridgeOutcome:
        """Block until the final outcome; call ``on_progress(stage, cancellable)``."""

    def cancel(self, reference: str) -> bool: ...

    def result(self, reference: str) -> BridgeOutcome: ...

    def status(self) -> BridgeStatus: ...


def run_donation(ledger: Ledger, port: PaymentPort, project_id: str, amount_cents: int,
                 currency: str, *, on_started: Callable[[str], None],
                 on_progress: Callable[[str, bool], None], result_wait_s: float = 30.0,
                 poll_s: float = 0.5) -> PaymentResult:
    try:
        donation = ledger.create_pending(project_id, amount_cents, currency)
    except GuardRefused as e:
        return PaymentResult(FlowOutcome.NOT_STARTED, None, amount_cents, f"{e.code}: {e}")
    except LedgerError as e:
        return PaymentResult(FlowOutcome.NOT_STARTED, None, amount_cents, str(e))
    reference = donation.id
    on_started(reference)
    try:
        outcome = port.pay(reference, amount_cents, currency, on_progress)
    except RequestNotSent as e:
        # Nothing reached the terminal: a link error for this very donation.
        return _finish(ledger, donation, BridgeOutcome(
            "link_error", reference, amount_cents, currency, reason=f"bridge unreachable: {e}"))
    except BridgeProtocolError as e:
        # The bridge answered the payment with something that is no outcome: money may have
        # been taken, so the row is unknown (for the operator), never failed.
        return _finish_unreadable(ledger, donation, str(e))
    except Exception as e:  # noqa: BLE001 - the request may be in flight: ask, never resend
        outcome = _ask_result(port, reference, result_wait_s, poll_s)
        if outcome is None:
            # Still pending in the ledger: start-up recovery resolves it with the bridge.
            return PaymentResult(FlowOutcome.UNKNOWN, reference, amount_cents,
                                 f"lost contact with the bridge during payment: {e}")
    return _finish(ledger, donation, outcome)


def _ask_result(port: PaymentPort, reference: str, wait_s: float,
                poll_s: float) -> BridgeOutcome | None:
    """The bridge's outcome for ``reference``. ``wait_s`` bounds how long the bridge may stay
    unreachable; while it answers ``in_progress`` (a restarted bridge listening for the
    terminal's late answer, up to the card wait and the answer's resends) the screen keeps
    asking, so that answer is shown instead of a premature ``unknown``."""
    deadline = time.monotonic() + wait_s
    hard_stop = time.monotonic() + MAX_IN_PROGRESS_S
    while True:
        try:
            answer = port.result(reference)
            if answer.status != "in_progress":
                return answer
            deadline = max(deadline, min(time.monotonic() + wait_s, hard_stop))
        except Exception:  # noqa: BLE001, S110 - keep asking until the deadline
            pass
        if time.monotonic() >= deadline:
            return None
        time.sleep(poll_s)


def _finish_unreadable(ledger: Ledger, donation: Donation, error: str) -> PaymentResult:
    try:
        row = record_unreadable(ledger, donation, error)
    except LedgerError as e:
        return PaymentResult(UNREADABLE.shown, donation.id, donation.amount_cents,
                             f"{error}; not recorded: {e}")
    return PaymentResult(UNREADABLE.shown, donation.id, donation.amount_cents, row.reason)


def _finish(ledger: Ledger, donation: Donation, outcome: BridgeOutcome) -> PaymentResult:
    reference, amount_cents = donation.id, donation.amount_cents
    meaning, reason = ledger_entry(donation, outcome)
    shown = meaning.shown
    try:
        record_outcome(ledger, donation, outcome)
    except LedgerError as e:
        if shown is FlowOutcome.APPROVED:
            # Charged, but the approval is not durable yet: the pending row stays and start-up
            # recovery records it from the bridge's journal. Never a thank-you before that.
            return PaymentResult(FlowOutcome.NOT_RECORDED, reference, amount_cents, str(e))
        return PaymentResult(shown, reference, amount_cents, f"{reason}; not recorded: {e}")
    return PaymentResult(shown, reference, amount_cents, reason)
