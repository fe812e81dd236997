"""Anonymous engagement counts in the ledger, on real SQLite files: the hour, the UPSERT, the
snapshots the heartbeat sends and marks, pruning, and that counting never touches a donation."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.funnel import Counter, hour_of
from kiosk.core.ledger import Ledger, State
from tests.conftest import GENEROUS

H10 = "2026-03-14T10:00:00Z"
H11 = "2026-03-14T11:00:00Z"


@given(st.datetimes(timezones=st.timezones()))
def test_the_hour_is_the_utc_hour_that_contains_the_moment(at: dt.datetime) -> None:
    hour = hour_of(at)
    start = dt.datetime.fromisoformat(hour.replace("Z", "+00:00"))
    assert start <= at < start + dt.timedelta(hours=1)
    assert hour.endswith(":00:00Z")


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        hour_of(dt.datetime(2026, 3, 14, 10, 30))


def test_hour_of_a_paris_afternoon() -> None:
    paris = dt.timezone(dt.timedelta(hours=1))
    assert hour_of(dt.datetime(2026, 3, 14, 11, 59, 59, 999999, tzinfo=paris)) == H10


def test_counts_add_up_per_hour_project_and_counter(ledger: Ledger) -> None:
    for _ in range(3):
        ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H10)
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H11)
    ledger.count(Counter.GIVE_TAPPED, "velo", hour=H10)
    ledger.count(Counter.SLIDE_SHOWN, "chats", hour=H10)
    assert ledger.engagement_totals() == {
        (H10, "velo", "slide_shown"): 3, (H11, "velo", "slide_shown"): 1,
        (H10, "velo", "give_tapped"): 1, (H10, "chats", "slide_shown"): 1}


def test_default_hour_is_now_in_utc(ledger: Ledger) -> None:
    before = hour_of(dt.datetime.now(dt.UTC))
    ledger.count(Counter.PAYMENT_STARTED, "velo")
    after = hour_of(dt.datetime.now(dt.UTC))
    [(hour, _project, _counter)] = ledger.engagement_totals()
    assert hour in (before, after)


def test_only_known_counters_and_a_project(ledger: Ledger) -> None:
    with pytest.raises(ValueError):
        ledger.count("card_number", "velo")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        ledger.count(Counter.SLIDE_SHOWN, "")
    assert ledger.engagement_totals() == {}


def test_snapshots_are_absolute_and_marked_only_at_the_count_sent(ledger: Ledger) -> None:
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H11)
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H10)
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H10)
    sent = ledger.unsent_counts(10)
    assert sent == [{"hour": H10, "project_id": "velo", "counter": "slide_shown", "count": 2},
                    {"hour": H11, "project_id": "velo", "counter": "slide_shown", "count": 1}]
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H11)  # while the heartbeat was in flight
    assert ledger.mark_counts_sent(sent) == 1
    # The 10 h row is confirmed; the 11 h one goes again, with its new total.
    assert ledger.unsent_counts(10) == [
        {"hour": H11, "project_id": "velo", "counter": "slide_shown", "count": 2}]
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H10)  # a late count for a confirmed hour
    assert ledger.unsent_counts(10)[0] == {"hour": H10, "project_id": "velo",
                                           "counter": "slide_shown", "count": 3}


def test_snapshots_are_bounded_oldest_first(ledger: Ledger) -> None:
    hours = [f"2026-03-14T{h:02d}:00:00Z" for h in range(12)]
    for hour in reversed(hours):
        ledger.count(Counter.GIVE_TAPPED, "velo", hour=hour)
    assert [r["hour"] for r in ledger.unsent_counts(5)] == hours[:5]


def test_pruning_keeps_unsent_and_recent_rows(ledger: Ledger) -> None:
    now = dt.datetime(2026, 4, 30, 12, 30, tzinfo=dt.UTC)
    old, recent = "2026-03-01T09:00:00Z", "2026-04-29T09:00:00Z"
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=old)
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=recent)
    ledger.count(Counter.GIVE_TAPPED, "velo", hour=old)
    ledger.mark_counts_sent([r for r in ledger.unsent_counts(10) if r["counter"] == "slide_shown"])
    assert ledger.prune_counts(30, now=now) == 1  # the old confirmed row only
    assert set(ledger.engagement_totals()) == {(recent, "velo", "slide_shown"),
                                               (old, "velo", "give_tapped")}


def test_a_failing_count_leaves_donations_alone(ledger: Ledger) -> None:
    # The counts table refuses every write (as a full or broken table would).
    ledger.db.conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON engagement_counts"
                           " BEGIN SELECT RAISE(ABORT, 'no counting'); END")
    donation = ledger.create_pending("velo", 500, "EUR")
    with pytest.raises(sqlite3.IntegrityError):
        ledger.count(Counter.PAYMENT_STARTED, "velo")
    assert not ledger.db.conn.in_transaction  # nothing left open for the next write
    ledger.finish(donation.id, State.APPROVED, auth_code="A1")
    assert ledger.get(donation.id).state == State.APPROVED
    assert ledger.engagement_totals() == {}


def test_a_count_is_never_part_of_a_donation_transaction(tmp_path) -> None:
    """Donations committed while another connection counts in a loop are committed whole,
    and every count is kept: each is a transaction of its own, taken and released."""
    screen = Ledger.open(tmp_path / "kiosk.db", GENEROUS)
    counter = Ledger.open(tmp_path / "kiosk.db", GENEROUS, check=False)
    stop, counted = threading.Event(), []

    def count_forever() -> None:
        while not stop.is_set():
            counter.count(Counter.SLIDE_SHOWN, "velo", hour=H10)
            counted.append(1)

    worker = threading.Thread(target=count_forever)
    worker.start()
    try:
        ids = [screen.create_pending("velo", 100 + n, "EUR").id for n in range(50)]
    finally:
        stop.set()
        worker.join()
    assert [screen.get(i).amount_cents for i in ids] == [100 + n for n in range(50)]
    assert screen.engagement_totals() == {(H10, "velo", "slide_shown"): len(counted)}
    assert len(screen.in_state(State.PENDING)) == 50
    screen.close()
    counter.close()


def test_a_batch_adds_its_counts_in_one_transaction(ledger: Ledger) -> None:
    ledger.count(Counter.SLIDE_SHOWN, "velo", hour=H10)
    statements: list[str] = []
    ledger.db.conn.set_trace_callback(statements.append)
    ledger.add_counts({(H10, "velo", Counter.SLIDE_SHOWN): 4,
                       (H11, "chats", Counter.GIVE_TAPPED): 2})
    ledger.db.conn.set_trace_callback(None)
    assert [s for s in statements if s == "COMMIT"] == ["COMMIT"]  # one durable commit
    assert ledger.engagement_totals() == {(H10, "velo", "slide_shown"): 5,
                                          (H11, "chats", "give_tapped"): 2}
    assert {r["count"] for r in ledger.unsent_counts(10)} == {5, 2}


@pytest.mark.parametrize("bad", [
    {(H10, "", Counter.SLIDE_SHOWN): 1},
    {(H10, "velo", "card_number"): 1},
    {(H10, "velo", Counter.SLIDE_SHOWN): 0},
])
def test_a_batch_with_one_bad_count_writes_none(ledger: Ledger, bad: dict) -> None:
    with pytest.raises(ValueError):
        ledger.add_counts({(H10, "chats", Counter.SLIDE_SHOWN): 1, **bad})
    assert ledger.engagement_totals() == {}
