"""The bridge's status in plain words for the owner (« Tester le terminal »).

The test is the bridge's ``status`` request (``kiosk.payment.client``), which never starts a
payment. The screen runs it on a worker thread and hands the answer, or the error raised
instead, to :func:`describe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.owner.message import Message, msg
from kiosk.payment.client import BridgeError

if TYPE_CHECKING:
    from kiosk.payment.client import BridgeStatus


@dataclass(frozen=True)
class TerminalHealth:
    ok: bool
    message: Message


def describe(status: BridgeStatus | None,
             error: Exception | str | None = None) -> TerminalHealth:
    """Turn a ``status`` answer (or the error from asking for it) into plain words; a refusal
    by the bridge is such an error (the client raises it as a BridgeError)."""
    if status is None and isinstance(error, BridgeError):
        return TerminalHealth(False, msg("The terminal service refused the test: {error}",
                                         error=error.message or error.code))
    if status is None:
        return TerminalHealth(False, msg("The terminal service is not answering ({error}). "
                                         "Restart the kiosk; if it persists, call the operator.",
                                         error=str(error or "no answer")))
    if status.busy:
        return TerminalHealth(True, msg("The terminal is busy with a payment."))
    if status.connected:
        return TerminalHealth(True, msg("The card terminal answers: ready to take donations."))
    detail = status.last_error or "no answer"
    return TerminalHealth(False, msg("The card terminal does not answer ({error}): check its "
                                     "cable and that it is switched on.", error=detail))
