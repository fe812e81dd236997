"""Recording bridge outcomes in the ledger, and resolving pending donations at start-up.

After a crash, a ``pending`` donation is resolved by asking the bridge what became of its
reference; the kiosk never re-sends a debit on its own:

- a final outcome (approved, declined, cancelled, timeout, link_error) is recorded as such;
- ``in_progress``: the payment is still running, leave it pending and ask again later;
- ``not_found``: the bridge journals a reference before the first byte reaches the
  terminal, so it never reached the terminal: ``failed``;
- ``unknown``: the bridge lost the answer (money may have been taken): ``unknown``, kept and
  flagged for the operator to reconcile against the acquirer's report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from kiosk.core.ledger import IllegalTransition
from kiosk.payment.client import BridgeClientError, BridgeOutcome, BridgeProtocolError
from kiosk.payment.outcomes import BRIDGE_OUTCOMES, NEVER_SENT, UNREADABLE, Meaning

if TYPE_CHECKING:
    from kiosk.core.ledger import Donation, Ledger


class OutcomeSource(Protocol):
    """The bridge client, or the screen's payment port over it: anything that can say what
    became of a reference (``result``), raising BridgeClientError when it cannot be asked."""

    def result(self, reference: str) -> BridgeOutcome: ...


@dataclass
class Resolution:
    resolved: dict[str, str] = field(default_factory=dict)  # donation id -> final state
    still_pending: list[str] = field(default_factory=list)
    error: str | None = None  # the bridge could not be asked (retry later)


def ledger_entry(donation: Donation, outcome: BridgeOutcome) -> tuple[Meaning, str | None]:
    """What the bridge's ``outcome`` means for ``donation`` (the row of
    :data:`~kiosk.payment.outcomes.BRIDGE_OUTCOMES`) and the reason to record.

    One mapping for the live path and for start-up recovery, so an outcome is stored the same
    way whenever it arrives: a final status maps as documented (timeout and link_error keep the
    detail after the status), ``not_found`` never reached the terminal (``failed``), and an
    outcome whose amount or currency is not the donation's, or an unreadable one, is
    ``unknown`` (money may have been taken; the reason tells the operator what differed).
    """
    status = outcome.status
    if status == "not_found":
        return BRIDGE_OUTCOMES[status], NEVER_SENT
    meaning = BRIDGE_OUTCOMES.get(status)
    if meaning is None or status == "in_progress":
        return UNREADABLE, f"unreadable outcome from the bridge: {outcome!r}"[:500]
    reason = outcome.reason
    if meaning.keeps_detail:
        reason = f"{status}: {reason}" if reason else status
    amount, currency = outcome.amount_cents, outcome.currency
    if amount != donation.amount_cents or currency != donation.currency:
        # Never record an approval for an amount the donor did not confirm.
        return UNREADABLE, (f"amount mismatch: the bridge reported {amount} {currency} "
                            f"({status}) for a donation of {donation.amount_cents} "
                            f"{donation.currency}")
    return meaning, reason


def record_outcome(ledger: Ledger, donation: Donation, outcome: BridgeOutcome) -> Donation:
    """Commit the bridge's ``outcome`` for ``donation`` (see :func:`ledger_entry`); used by the
    screen's payment runner, start-up recovery and ``kioskctl simulate`` alike."""
    if outcome.status == "in_progress":
        raise ValueError("the payment is still in progress: nothing to record yet")
    meaning, reason = ledger_entry(donation, outcome)
    # The authorisation code stays even on an unknown row: the operator reconciles with it.
    return ledger.finish(donation.id, meaning.ledger_state, auth_code=outcome.auth_code,
                         card_suffix=outcome.card_suffix, reason=reason)


def record_unreadable(ledger: Ledger, donation: Donation, error: str) -> Donation:
    """Commit ``unknown`` for a payment whose answer could not be read (money may have been
    taken); the reason keeps what the bridge said, for the operator."""
    return ledger.finish(donation.id, UNREADABLE.ledger_state,
                         reason=f"unreadable outcome from the bridge: {error}"[:500])


def resolve_pending(ledger: Ledger, client: OutcomeSource) -> Resolution:
    """Ask the bridge about every pending donation and record what it knows."""
    result = Resolution()
    for donation in ledger.pending():
        try:
            answer = client.result(donation.id)
        except BridgeProtocolError as e:
            # A garbled answer to ``result``: ask again later rather than guess.
            result.error = f"donation {donation.id}: {e}"
            result.still_pending.append(donation.id)
            continue
        except BridgeClientError as e:
            result.error = str(e)
            result.still_pending.extend(d.id for d in ledger.pending()
                                        if d.id not in result.resolved)
            return result
        if answer.status == "in_progress":
            result.still_pending.append(donation.id)
            continue
        try:
            final = record_outcome(ledger, donation, answer)
        except IllegalTransition:
            continue  # finished meanwhile by the screen: its record stands
        result.resolved[donation.id] = final.state
    return result
