"""Anonymous engagement counts (:mod:`kiosk.core.funnel`): one row per (UTC hour, project,
counter), incremented by short UPSERTs (a batch of them in one transaction), read by the
heartbeat as absolute snapshots."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.funnel import Counter, current_hour, hour_of
from kiosk.core.ledger.part import LedgerPart


class Engagement(LedgerPart):
    def count(self, counter: Counter, project_id: str, hour: str | None = None) -> None:
        """Add one to ``counter`` for ``project_id`` in ``hour`` (default: now, UTC).

        Its own short transaction, never a donation's: a count that fails (or waits) changes
        nothing of a donation. The row is unsent again, so the next heartbeat carries its new
        total even if its hour was already confirmed."""
        self.add_counts({(hour or current_hour(), project_id, counter): 1})

    def add_counts(self, counts: Mapping[tuple[str, str, Counter], int]) -> None:
        """Add each ``n`` of ``{(hour, project id, counter): n}`` in one short transaction (the
        screen gathers its counts in memory and writes them now and then: one durable commit
        instead of one per slide shown). All or nothing: an unknown counter, an empty project
        id or a count below one writes none of them."""
        rows = []
        for (hour, project_id, counter), n in counts.items():
            if not project_id:
                raise ValueError("a count needs a project id")
            if n < 1:
                raise ValueError(f"a count adds at least one, not {n}")
            rows.append((hour, project_id, Counter(counter).value, n))
        if not rows:
            return
        with dbmod.immediate(self.db) as conn:
            conn.executemany(
                "INSERT INTO engagement_counts (hour, project_id, counter, count, sent)"
                " VALUES (?, ?, ?, ?, 0) ON CONFLICT (hour, project_id, counter)"
                " DO UPDATE SET count = count + excluded.count, sent = 0", rows)

    def unsent_counts(self, limit: int) -> list[dict[str, Any]]:
        """Rows the central service has not confirmed at their present count, oldest hour
        first, as the heartbeat carries them."""
        rows = self.db.conn.execute(
            "SELECT hour, project_id, counter, count FROM engagement_counts WHERE sent = 0"
            " ORDER BY hour, project_id, counter LIMIT ?", (limit,)).fetchall()
        return [{"hour": r[0], "project_id": r[1], "counter": r[2], "count": r[3]}
                for r in rows]

    def mark_counts_sent(self, rows: Iterable[dict[str, Any]]) -> int:
        """Mark rows the server stored, only where the count is still the one sent (an
        increment meanwhile leaves the row unsent, to go again with its new total)."""
        with dbmod.immediate(self.db) as conn:
            cur = conn.executemany(
                "UPDATE engagement_counts SET sent = 1 WHERE hour = ? AND project_id = ?"
                " AND counter = ? AND count = ?",
                [(r["hour"], r["project_id"], r["counter"], r["count"]) for r in rows])
        return cur.rowcount

    def engagement_totals(self) -> dict[tuple[str, str, str], int]:
        """Every count the kiosk holds, by (hour, project, counter)."""
        return {(h, p, c): n for h, p, c, n in self.db.conn.execute(
            "SELECT hour, project_id, counter, count FROM engagement_counts")}

    def prune_counts(self, days: int, now: dt.datetime | None = None) -> int:
        """Delete confirmed rows of hours older than ``days``; unsent rows always stay."""
        cutoff = hour_of((now or dt.datetime.now(dt.UTC)) - dt.timedelta(days=days))
        with dbmod.immediate(self.db) as conn:
            cur = conn.execute("DELETE FROM engagement_counts WHERE sent = 1 AND hour < ?",
                               (cutoff,))
        return cur.rowcount
