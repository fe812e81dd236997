"""The screen's engagement counts gathered in memory before a batch is written (plain
Python, no screen)."""

from __future__ import annotations

import datetime as dt

from kiosk.core.funnel import Counter
from kiosk.screen.count_batch import CountBatch


def test_counts_add_up_and_keep_the_hour_they_happened_in() -> None:
    now = [dt.datetime(2026, 3, 14, 10, 59, 58, tzinfo=dt.UTC)]
    batch = CountBatch(now=lambda: now[0])
    batch.add(Counter.SLIDE_SHOWN, "velo")
    batch.add(Counter.SLIDE_SHOWN, "velo")
    now[0] += dt.timedelta(seconds=5)  # the next hour: its own row, even in the same batch
    batch.add(Counter.SLIDE_SHOWN, "velo")
    batch.add(Counter.GIVE_TAPPED, "chats")
    assert len(batch) == 4
    assert batch.take() == {
        ("2026-03-14T10:00:00Z", "velo", Counter.SLIDE_SHOWN): 2,
        ("2026-03-14T11:00:00Z", "velo", Counter.SLIDE_SHOWN): 1,
        ("2026-03-14T11:00:00Z", "chats", Counter.GIVE_TAPPED): 1}
    assert len(batch) == 0 and batch.take() == {}


def test_an_unknown_counter_is_refused_when_counted() -> None:
    batch = CountBatch()
    try:
        batch.add("card_number", "velo")  # type: ignore[arg-type]
    except ValueError:
        pass
    else:
        raise AssertionError("an unknown counter was gathered")
    assert len(batch) == 0
