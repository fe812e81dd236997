"""« Tester le terminal »: the bridge's ``status`` answer in plain words for the owner.

The probe is the bridge's ``status`` request (``kiosk.payment.client``), which never starts a
payment. The screen runs it on a worker thread and hands the answer to :func:`describe`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kiosk.owner.message import Message, msg


@dataclass(frozen=True)
class TerminalHealth:
    ok: bool
    message: Message


def describe(status: dict[str, Any] | None, error: str | None = None) -> TerminalHealth:
    """Turn a ``status`` answer (or the error from asking for it) into plain words."""
    if status is None:
        return TerminalHealth(False, msg("The terminal service is not answering ({error}). "
                                         "Restart the kiosk; if it persists, call the operator.",
                                         error=error or "no answer"))
    if not status.get("ok", True):
        detail = (status.get("error") or {}).get("message") or "unknown error"
        return TerminalHealth(False, msg("The terminal service refused the test: {error}",
                                         error=detail))
    if status.get("busy"):
        return TerminalHealth(True, msg("The terminal is busy with a payment."))
    if status.get("connected"):
        return TerminalHealth(True, msg("The card terminal answers: ready to take donations."))
    detail = status.get("last_error") or "no answer"
    return TerminalHealth(False, msg("The card terminal does not answer ({error}): check its "
                                     "cable and that it is switched on.", error=detail))
