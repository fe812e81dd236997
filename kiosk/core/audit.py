"""The audit log's way out: unsent rows ride along with the heartbeat, then are marked sent.

Rows are written by ``Ledger.audit`` / ``kiosk.core.ledger.write_audit`` (owner actions, operator
commands). kiosk-sync puts :func:`unsent` in the heartbeat body under ``"audit"`` and calls
:func:`mark_sent` with the same rows' ``seq`` once the server accepted it. A row is marked sent
only after a 2xx, so a lost heartbeat just sends the rows again; the server keys them on
(device id, seq).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from kiosk.core import db as dbmod

MAX_PER_HEARTBEAT = 200


def unsent(ledger: Any, limit: int = MAX_PER_HEARTBEAT) -> list[dict[str, Any]]:
    """The oldest unsent audit rows, in ``seq`` order, as the heartbeat carries them."""
    rows = ledger.db.conn.execute(
        "SELECT seq, at, boot_id, mono_ns, actor, action, detail FROM audit_log"
        " WHERE sent = 0 ORDER BY seq LIMIT ?", (limit,)).fetchall()
    return [{"seq": r[0], "at": r[1], "boot_id": r[2], "mono_ns": r[3], "actor": r[4],
             "action": r[5], "detail": json.loads(r[6])} for r in rows]


def mark_sent(ledger: Any, seqs: Iterable[int]) -> int:
    """Mark rows the server accepted; returns how many were newly marked."""
    with dbmod.immediate(ledger.db) as conn:
        cur = conn.executemany("UPDATE audit_log SET sent = 1 WHERE seq = ? AND sent = 0",
                               [(int(s),) for s in seqs])
    return cur.rowcount


def recent(ledger: Any, limit: int = 50) -> list[dict[str, Any]]:
    """The newest audit rows first (for the settings screen and ``kioskctl``)."""
    rows = ledger.db.conn.execute(
        "SELECT seq, at, actor, action, detail, sent FROM audit_log ORDER BY seq DESC LIMIT ?",
        (limit,)).fetchall()
    return [{"seq": r[0], "at": r[1], "actor": r[2], "action": r[3],
             "detail": json.loads(r[4]), "sent": bool(r[5])} for r in rows]
