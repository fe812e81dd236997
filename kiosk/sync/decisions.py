"""Decisions on unknown outcomes taken in the back office, as the heartbeat's answer carries
them (``decisions``, optional: absent when there is none). Each is applied through the same
recorder as ``kioskctl reconcile decide`` (kiosk.ops.reconcile.decide), once; one that
cannot apply (the donation is not unknown here, or was already decided) leaves the ledger as
it is and is audited as ``reconcile_refused``. Either audit row, sent with the next
heartbeat, is the kiosk's acknowledgement: the service then stops sending the decision."""

from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass
from typing import Any

from kiosk.core.ledger import Ledger
from kiosk.ops import reconcile

log = logging.getLogger("kiosk.sync")

REFUSED = "reconcile_refused"
MAX_DECISIONS = 200
# Central decisions are "approved" (the acquirer took the money) or "declined"; the kiosk's
# own words for the same facts are "charged" and "not_charged".
TO_LEDGER = {"approved": "charged", "declined": "not_charged"}
_REFERENCE = re.compile(r"[\x21-\x7e]{1,64}")
_NAME = re.compile(r"[^\x00-\x1f\x7f]{1,150}")


class BadDecision(ValueError):
    """An answer's decision that is not what the contract says; the message names it."""


@dataclass(frozen=True)
class CentralDecision:
    decision_id: int
    donation_id: str
    decision: str  # approved | declined
    acquirer_reference: str
    decided_by: str
    decided_at: str
    note: str


def parse(answer: Any) -> tuple[list[CentralDecision], list[str]]:
    """The decisions of a heartbeat answer, and a plain sentence for each one refused as
    malformed (skipped: the others still apply). No ``decisions`` field: none."""
    if not isinstance(answer, dict) or "decisions" not in answer:
        return [], []
    items = answer["decisions"]
    if not isinstance(items, list) or len(items) > MAX_DECISIONS:
        return [], [f"decisions: expected a list of at most {MAX_DECISIONS}"]
    good, bad = [], []
    for n, item in enumerate(items):
        try:
            good.append(parse_one(item))
        except BadDecision as e:
            bad.append(f"decisions[{n}]: {e}")
    return good, bad


def parse_one(item: Any) -> CentralDecision:
    if not isinstance(item, dict):
        raise BadDecision("expected an object")
    number = item.get("decision_id")
    if type(number) is not int or not 1 <= number < 2**63:
        raise BadDecision("decision_id: expected a whole number >= 1")
    donation_id = item.get("donation_id")
    try:
        if not isinstance(donation_id, str) or str(uuid.UUID(donation_id)) != donation_id:
            raise ValueError
    except ValueError:
        raise BadDecision("donation_id: expected a donation id (lower-case uuid)") from None
    decision = item.get("decision")
    if not isinstance(decision, str) or decision not in TO_LEDGER:
        raise BadDecision("decision: expected approved or declined")
    reference = item.get("acquirer_reference")
    if not isinstance(reference, str) or not _REFERENCE.fullmatch(reference):
        raise BadDecision("acquirer_reference: expected 1 to 64 printable characters")
    who = item.get("decided_by")
    if not isinstance(who, str) or not _NAME.fullmatch(who):
        raise BadDecision("decided_by: expected a name of 1 to 150 characters")
    at = item.get("decided_at")
    if not isinstance(at, str) or not 1 <= len(at) <= 64:
        raise BadDecision("decided_at: expected a time")
    note = item.get("note", "")
    if not isinstance(note, str) or len(note) > 500:
        raise BadDecision("note: expected text of at most 500 characters")
    return CentralDecision(number, donation_id, decision, reference, who, at, note)


def apply(ledger: Ledger, decisions: list[CentralDecision]) -> list[str]:
    """Record each decision not handled yet; returns what happened, one line each."""
    done = {d.central_decision for d in reconcile.decisions(ledger).values()}
    done |= {detail.get("central_decision")
             for _, _, detail in ledger.audit_entries(REFUSED)}
    said = []
    for d in decisions:
        if d.decision_id in done:
            continue  # applied or refused before: the audit row is the answer
        try:
            reconcile.decide(ledger, d.donation_id, TO_LEDGER[d.decision],
                             d.acquirer_reference, f"central:{d.decided_by}",
                             d.note, central_decision=d.decision_id)
            said.append(f"decision {d.decision_id}: {d.donation_id} recorded as "
                        f"{TO_LEDGER[d.decision]}")
        except reconcile.ReconcileError as e:
            # Already resolved here (or unknown to this ledger): keep the local state, and
            # say so to the office through the audit log.
            ledger.audit(f"central:{d.decided_by}", REFUSED, donation_id=d.donation_id,
                         central_decision=d.decision_id, decision=d.decision, reason=str(e))
            said.append(f"decision {d.decision_id}: refused: {e}")
        done.add(d.decision_id)
    return said
