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
from typing import Any, Protocol

from kiosk.bridge_client import LEDGER_STATE, BridgeClientError
from kiosk.ledger import Donation, IllegalTransition, Ledger


class OutcomeSource(Protocol):
    """The bridge client, or the screen's payment port over it: anything that can say what
    became of a reference (``result``), raising BridgeClientError when it cannot be asked."""

    def result(self, reference: str) -> dict[str, Any]: ...


NEVER_SENT = "never reached the payment terminal (the bridge has no record of it)"


@dataclass
class Resolution:
    resolved: dict[str, str] = field(default_factory=dict)  # donation id -> final state
    still_pending: list[str] = field(default_factory=list)
    error: str | None = None  # the bridge could not be asked (retry later)


def record_outcome(ledger: Ledger, donation: Donation, outcome: dict[str, Any]) -> Donation:
    """Commit the bridge's final ``outcome`` for ``donation`` (see docs: ledger mapping)."""
    status = outcome.get("status")
    if status not in LEDGER_STATE:
        raise ValueError(f"not a final bridge outcome: {status!r}")
    state = LEDGER_STATE[status]
    reason = outcome.get("reason")
    if status in ("timeout", "link_error"):
        reason = f"{status}: {reason}" if reason else status
    if outcome.get("amount_cents") != donation.amount_cents or \
            outcome.get("currency") != donation.currency:
        # Never record an approval for an amount the donor did not confirm.
        state, reason = "unknown", (f"the bridge reported {outcome.get('amount_cents')} "
                                    f"{outcome.get('currency')} ({status}) for a donation of "
                                    f"{donation.amount_cents} {donation.currency}")
    return ledger.finish(donation.id, state, auth_code=outcome.get("auth_code"),
                         card_suffix=outcome.get("card_suffix"), reason=reason)


def resolve_pending(ledger: Ledger, client: OutcomeSource) -> Resolution:
    """Ask the bridge about every pending donation and record what it knows."""
    result = Resolution()
    for donation in ledger.pending():
        try:
            answer = client.result(donation.id)
        except BridgeClientError as e:
            result.error = str(e)
            result.still_pending.extend(d.id for d in ledger.pending()
                                        if d.id not in result.resolved)
            return result
        status = answer.get("status")
        try:
            if status == "in_progress":
                result.still_pending.append(donation.id)
                continue
            if status == "not_found":
                final = ledger.finish(donation.id, "failed", reason=NEVER_SENT)
            else:
                final = record_outcome(ledger, donation, answer)
        except IllegalTransition:
            continue  # finished meanwhile by the screen: its record stands
        except ValueError as e:
            result.error = f"donation {donation.id}: {e}"
            result.still_pending.append(donation.id)
            continue
        result.resolved[donation.id] = final.state
    return result
