"""The audit log: append-only rows of who did what, sent to the central service."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import BOOT_ID, boot_clock_ns, utc_now


def write_audit(conn: sqlite3.Connection, actor: str, action: str, **detail: Any) -> int:
    """Add one audit row inside the caller's open write transaction; returns its ``seq``.
    Lets a change and its audit row commit together (or not at all)."""
    cur = conn.execute(
        "INSERT INTO audit_log (at, boot_id, mono_ns, actor, action, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (utc_now(), BOOT_ID, boot_clock_ns(), actor, action, json.dumps(detail)))
    return cur.lastrowid


class AuditLog(LedgerPart):
    def audit(self, actor: str, action: str, **detail: Any) -> int:
        with dbmod.immediate(self.db) as conn:
            return write_audit(conn, actor, action, **detail)

    def unsent_audit(self, limit: int) -> list[dict[str, Any]]:
        """The oldest unsent rows, in ``seq`` order, as the heartbeat carries them."""
        rows = self.db.conn.execute(
            "SELECT seq, at, boot_id, mono_ns, actor, action, detail FROM audit_log"
            " WHERE sent = 0 ORDER BY seq LIMIT ?", (limit,)).fetchall()
        return [{"seq": r[0], "at": r[1], "boot_id": r[2], "mono_ns": r[3], "actor": r[4],
                 "action": r[5], "detail": json.loads(r[6])} for r in rows]

    def mark_audit_sent(self, seqs: Iterable[int]) -> int:
        """Mark rows the server accepted; returns how many were newly marked."""
        with dbmod.immediate(self.db) as conn:
            cur = conn.executemany("UPDATE audit_log SET sent = 1 WHERE seq = ? AND sent = 0",
                                   [(int(s),) for s in seqs])
        return cur.rowcount

    def recent_audit(self, limit: int) -> list[dict[str, Any]]:
        """The newest rows first."""
        rows = self.db.conn.execute(
            "SELECT seq, at, actor, action, detail, sent FROM audit_log"
            " ORDER BY seq DESC LIMIT ?", (limit,)).fetchall()
        return [{"seq": r[0], "at": r[1], "actor": r[2], "action": r[3],
                 "detail": json.loads(r[4]), "sent": bool(r[5])} for r in rows]

    def audit_entries(self, action: str) -> list[tuple[str, str, dict[str, Any]]]:
        """``(at, actor, detail)`` of every row with ``action``, in ``seq`` order."""
        return [(at, actor, json.loads(detail)) for at, actor, detail in self.db.conn.execute(
            "SELECT at, actor, detail FROM audit_log WHERE action = ? ORDER BY seq", (action,))]

    def audit_donation_once(self, donation_id: str, actor: str, action: str,
                            detail: dict[str, Any],
                            check: Callable[[str | None, dict[str, Any] | None], None]) -> str:
        """Add an ``action`` row about one donation (``detail["donation_id"]``) after
        ``check(state, earlier)`` passed inside the write lock, so two writers cannot both pass
        it: ``state`` is the donation's (None if there is none), ``earlier`` the detail of a
        previous ``action`` row for it (None if none). ``check`` raises to refuse. Returns the
        new row's ``at``."""
        with dbmod.immediate(self.db) as conn:
            row = conn.execute("SELECT state FROM donations WHERE id = ?",
                               (donation_id,)).fetchone()
            earlier = conn.execute(
                "SELECT detail FROM audit_log WHERE action = ? AND"
                " json_extract(detail, '$.donation_id') = ?", (action, donation_id)).fetchone()
            check(row[0] if row else None, json.loads(earlier[0]) if earlier else None)
            seq = write_audit(conn, actor, action, **detail)
            return conn.execute("SELECT at FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0]
