"""Engagement counts (:mod:`kiosk.core.funnel`) gathered in memory and written in batches.

The screen counts on its UI thread (a slide shown, a tap) into a :class:`CountBatch`, and
every few seconds on the attract loop hands what it gathered to the I/O thread, which adds it
in one transaction (``Ledger.add_counts``): one durable commit per interval instead of one per
slide. Each count keeps the UTC hour it happened in, not the hour it is written in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from kiosk.core.funnel import Counter, hour_of

CountKey = tuple[str, str, Counter]  # (UTC hour, project id, counter)


class CountBatch:
    """Counts not written yet. One thread only (the screen's UI thread): ``add`` and ``take``
    are never called concurrently, so no lock."""

    def __init__(self, now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)):
        self._now = now
        self._counts: dict[CountKey, int] = {}

    def add(self, counter: Counter, project_id: str) -> None:
        key = (hour_of(self._now()), project_id, Counter(counter))
        self._counts[key] = self._counts.get(key, 0) + 1

    def take(self) -> dict[CountKey, int]:
        """Everything gathered so far, as ``Ledger.add_counts`` takes it; the batch is empty
        afterwards."""
        counts, self._counts = self._counts, {}
        return counts

    def __len__(self) -> int:
        return sum(self._counts.values())
