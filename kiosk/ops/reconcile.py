"""Operators' decisions on donations whose outcome is ``unknown``.

When the bridge lost a payment's answer, the donation stays ``unknown`` in the ledger (a final
state: the kiosk never re-sends a debit). The operator checks the acquirer's report and records
what really happened: ``charged`` (the money was taken) or ``not_charged``. A decision is an
audit-log entry (``action = "reconcile"``), so it is kept, append-only, and sent with the audit
log; the donation row itself is never rewritten. One decision per donation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kiosk.core.ledger import Donation, Ledger, State

ACTION = "reconcile"
DECISIONS = ("charged", "not_charged")
_REFERENCE = re.compile(r"[\x21-\x7e]{1,64}")  # printable ASCII, no spaces


class ReconcileError(ValueError):
    """A decision that cannot be recorded; the message says why in plain words."""


@dataclass(frozen=True)
class Decision:
    donation_id: str
    decision: str
    acquirer_reference: str
    operator: str
    note: str
    at: str
    central_decision: int | None = None  # the central service's decision number, if it came
    # from the back office (kiosk.sync.decisions)


def decisions(ledger: Ledger) -> dict[str, Decision]:
    """Every recorded decision, by donation id."""
    found: dict[str, Decision] = {}
    for at, actor, d in ledger.audit_entries(ACTION):
        found.setdefault(d["donation_id"], Decision(
            d["donation_id"], d["decision"], d["acquirer_reference"], actor,
            d.get("note", ""), at, d.get("central_decision")))
    return found


def unresolved(ledger: Ledger) -> list[Donation]:
    """Unknown outcomes that no operator has decided yet, oldest first."""
    decided = decisions(ledger)
    return [d for d in ledger.in_state(State.UNKNOWN) if d.id not in decided]


def decide(ledger: Ledger, donation_id: str, decision: str, acquirer_reference: str,
           operator: str, note: str = "", *, central_decision: int | None = None) -> Decision:
    """Record one decision; refuses a second one, or one on a donation that is not unknown.
    ``central_decision``: the back office's decision number, when it came from there (the
    central service reads it back from the audit row as the kiosk's acknowledgement)."""
    if decision not in DECISIONS:
        raise ReconcileError(f"decision {decision!r}: expected one of {', '.join(DECISIONS)}")
    if not _REFERENCE.fullmatch(acquirer_reference):
        raise ReconcileError("the acquirer's reference is needed: 1 to 64 printable "
                             "characters without spaces, as on the acquirer's report")
    if len(note) > 500:
        raise ReconcileError("the note is longer than 500 characters")
    detail: dict[str, Any] = {"donation_id": donation_id, "decision": decision,
                              "acquirer_reference": acquirer_reference, "note": note}
    if central_decision is not None:
        detail["central_decision"] = central_decision

    def check(state: str | None, earlier: dict[str, Any] | None) -> None:
        # Called inside the write lock, so two operators cannot both decide.
        if state is None:
            raise ReconcileError(f"no donation {donation_id} in this kiosk's ledger")
        if state != State.UNKNOWN.value:
            raise ReconcileError(f"donation {donation_id} is {state}, not unknown: "
                                 "there is nothing to reconcile")
        if earlier:
            raise ReconcileError(f"donation {donation_id} was already reconciled as "
                                 f"{earlier['decision']}")

    at = ledger.audit_donation_once(donation_id, operator, ACTION, detail, check)
    return Decision(donation_id, decision, acquirer_reference, operator, note, at,
                    central_decision)
