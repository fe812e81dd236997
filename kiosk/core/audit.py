"""The audit log's way out: unsent rows ride along with the heartbeat, then are marked sent.

Rows are written by ``Ledger.audit`` or together with the change they record
(``Ledger.set_setting(..., audit=...)``, ``Ledger.save_featured``, …): owner actions, operator
commands. kiosk-sync puts :func:`unsent` in the heartbeat body under ``"audit"`` and calls
:func:`mark_sent` with the same rows' ``seq`` once the server accepted it. A row is marked sent
only after a 2xx, so a lost heartbeat just sends the rows again; the server keys them on
(device id, seq).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.core.ledger import Ledger

MAX_PER_HEARTBEAT = 200


def unsent(ledger: Ledger, limit: int = MAX_PER_HEARTBEAT) -> list[dict[str, Any]]:
    """The oldest unsent audit rows, in ``seq`` order, as the heartbeat carries them."""
    return ledger.unsent_audit(limit)


def mark_sent(ledger: Ledger, seqs: Iterable[int]) -> int:
    """Mark rows the server accepted; returns how many were newly marked."""
    return ledger.mark_audit_sent(seqs)


def recent(ledger: Ledger, limit: int = 50) -> list[dict[str, Any]]:
    """The newest audit rows first (for the settings screen and ``kioskctl``)."""
    return ledger.recent_audit(limit)
