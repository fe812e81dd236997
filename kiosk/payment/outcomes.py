"""What each bridge outcome means: the one table from the bridge's status to the ledger state
and to what the donor is told (docs/internal-apis.md §3 "Ledger mapping", §5 "Outcomes shown").

The payment runner, start-up recovery and the donor flow all read this table, so an outcome is
stored and shown the same way whenever it arrives.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiosk.screen.donation_flow import FlowOutcome

NEVER_SENT = "never reached the payment terminal (the bridge has no record of it)"


@dataclass(frozen=True)
class Meaning:
    ledger_state: str  # the ledger has no timeout / link_error: both are failed
    shown: FlowOutcome
    keeps_detail: bool = False  # the ledger reason is "status: bridge reason"


BRIDGE_OUTCOMES: dict[str, Meaning] = {
    "approved": Meaning("approved", FlowOutcome.APPROVED),
    "declined": Meaning("declined", FlowOutcome.DECLINED),
    "cancelled": Meaning("cancelled", FlowOutcome.CANCELLED),
    "timeout": Meaning("failed", FlowOutcome.TIMEOUT, keeps_detail=True),
    "link_error": Meaning("failed", FlowOutcome.TERMINAL_ERROR, keeps_detail=True),
    "unknown": Meaning("unknown", FlowOutcome.UNKNOWN),
    # Only from ``result``: the bridge journals a reference before the first byte reaches the
    # terminal, so a reference it never heard of cannot have been charged.
    "not_found": Meaning("failed", FlowOutcome.TERMINAL_ERROR),
}

# A lost, garbled or mismatched answer: money may have been taken.
UNREADABLE = Meaning("unknown", FlowOutcome.UNKNOWN)
