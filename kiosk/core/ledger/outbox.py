"""Sync bookkeeping: the outbox kiosk-sync drains and what the central API answered."""

from __future__ import annotations

import time
from collections.abc import Iterable

from kiosk.core import db as dbmod
from kiosk.core.ledger.donations import SELECT
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import Backlog, Donation, utc_now

# The backlog: final donations not confirmed by the central API (quarantined ones are kept
# aside, pending ones are not final yet). Written once; every count of it uses this.
BACKLOG = "sync_state = 'unsynced' AND state != 'pending'"
# Rows marked synced per transaction: ~0.3 ms of statements (100 took ~1.5 ms on this
# machine, all of it a wait for the screen's pending commit when they met).
SYNCED_CHUNK = 25


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
        """Record the central API's confirmation of these donations (pending ones never move).

        In chunks of :data:`SYNCED_CHUNK`, one UPDATE and one short transaction each, with a
        pause between them: the screen's pending commit waiting for the lock takes it in that
        gap instead of waiting for the whole batch (back to back, the next chunk's BEGIN won
        the lock a microsecond after the COMMIT, before the screen's next try). kiosk-sync
        uploads the next batch meanwhile, which the pauses should hide behind. A crash
        between chunks loses nothing: the rest are sent again, answered ``duplicate``."""
        ids = list(donation_ids)
        now = utc_now()
        for start in range(0, len(ids), SYNCED_CHUNK):
            if start:
                time.sleep(dbmod.LOCK_POLL_MAX_S)  # a waiting writer's next try lands in it
            chunk = ids[start:start + SYNCED_CHUNK]
            with dbmod.immediate(self.db) as conn:
                conn.execute("UPDATE donations SET sync_state = 'synced', synced_at = ?,"
                             " sync_attempts = sync_attempts + 1, sync_error = NULL"
                             f" WHERE id IN ({', '.join('?' * len(chunk))})"
                             " AND state != 'pending'", (now, *chunk))
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
