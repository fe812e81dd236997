"""Sync bookkeeping: the outbox kiosk-sync drains and what the central API answered."""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.core import db as dbmod
from kiosk.core.ledger.donations import SELECT
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import Backlog, Donation, utc_now

# The backlog: final donations not confirmed by the central API (quarantined ones are kept
# aside, pending ones are not final yet). Written once; every count of it uses this.
BACKLOG = "sync_state = 'unsynced' AND state != 'pending'"


class Outbox(LedgerPart):
    def outbox(self, limit: int, after_seq: int = 0) -> list[Donation]:
        """Final, unsynced donations in ``seq`` order (never by the device clock)."""
        rows = self.db.conn.execute(f"{SELECT} WHERE {BACKLOG} AND seq > ? ORDER BY seq LIMIT ?",
                                    (after_seq, limit)).fetchall()
        return [Donation.from_returning(r) for r in rows]

    def backlog(self) -> Backlog:
        count, cents, oldest_seq = self.db.conn.execute(
            "SELECT count(*), coalesce(sum(amount_cents), 0), min(seq) FROM donations"
            f" WHERE {BACKLOG}").fetchone()
        oldest = self.db.conn.execute(
            "SELECT created_at FROM donations WHERE seq = ?", (oldest_seq,)).fetchone()
        return Backlog(count, cents, oldest_seq, oldest[0] if oldest else None)

    def quarantined_count(self) -> int:
        return self.db.conn.execute(
            "SELECT count(*) FROM donations WHERE sync_state = 'quarantined'").fetchone()[0]

    def mark_synced(self, donation_ids: Iterable[str]) -> int:
        ids = list(donation_ids)
        now = utc_now()
        with dbmod.immediate(self.db) as conn:
            conn.executemany("UPDATE donations SET sync_state = 'synced', synced_at = ?,"
                             " sync_attempts = sync_attempts + 1, sync_error = NULL"
                             " WHERE id = ? AND state != 'pending'", [(now, i) for i in ids])
        return len(ids)

    def quarantine(self, donation_id: str, error: str) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.execute("UPDATE donations SET sync_state = 'quarantined', sync_error = ?,"
                         " sync_attempts = sync_attempts + 1 WHERE id = ?", (error, donation_id))

    def record_sync_failure(self, donation_ids: Iterable[str], error: str) -> None:
        with dbmod.immediate(self.db) as conn:
            conn.executemany("UPDATE donations SET sync_attempts = sync_attempts + 1,"
                             " sync_error = ? WHERE id = ?",
                             [(error, i) for i in donation_ids])
