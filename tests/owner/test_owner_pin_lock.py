"""The PIN pad's lockout on a real ledger file: growing delays, restarts, reboots, damage."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.core import audit
from kiosk.core.ledger import Ledger
from kiosk.owner.pin_lock import SETTING, PinLock
from tests.conftest import GENEROUS

SECOND = 1_000_000_000


class FakeBootClock:
    """A boot clock we can move by hand: the real one cannot be advanced by 15 minutes."""

    def __init__(self) -> None:
        self.ns = 1_000 * SECOND

    def __call__(self) -> int:
        return self.ns

    def advance(self, seconds: float) -> None:
        self.ns += int(seconds * SECOND)


@pytest.fixture
def clock() -> FakeBootClock:
    return FakeBootClock()


def _lock(ledger: Ledger, clock: FakeBootClock, boot: str = "boot-a",
          schedule: tuple[int, ...] = (0, 0, 30, 60, 300)) -> PinLock:
    return PinLock(ledger, schedule=schedule, clock_ns=clock, current_boot=lambda: boot)


def test_delays_grow_and_the_last_one_repeats(ledger, clock):
    lock = _lock(ledger, clock)
    assert [lock.record_failure().locked_for_s for _ in range(7)] == [0, 0, 30, 60, 300, 300, 300]
    assert lock.status().failures == 7


def test_lock_expires_on_the_boot_clock(ledger, clock):
    lock = _lock(ledger, clock)
    for _ in range(3):
        lock.record_failure()
    assert lock.status().locked_for_s == 30
    clock.advance(29.5)
    assert lock.status().locked_for_s == 1  # rounded up: never says 0 while locked
    clock.advance(0.5)
    assert not lock.status().locked


def test_success_resets_the_count(ledger, clock):
    lock = _lock(ledger, clock)
    for _ in range(3):
        lock.record_failure()
    clock.advance(30)
    lock.record_success()
    assert lock.status().failures == 0
    assert lock.record_failure().locked_for_s == 0


def test_restarting_the_app_keeps_the_lock(tmp_path, clock):
    path = tmp_path / "kiosk.db"
    first = Ledger.open(path, GENEROUS)
    for _ in range(4):
        _lock(first, clock).record_failure()
    first.close()
    clock.advance(10)
    again = Ledger.open(path, GENEROUS)
    status = _lock(again, clock).status()
    assert (status.failures, status.locked_for_s) == (4, 50)
    again.close()


def test_a_reboot_restarts_the_lock_in_full(ledger, clock):
    for _ in range(4):
        _lock(ledger, clock, boot="boot-a").record_failure()
    clock.ns = 5 * SECOND  # the boot clock starts again near zero after a power cut
    after = _lock(ledger, clock, boot="boot-b")
    assert after.status().locked_for_s == 60
    clock.advance(20)
    assert after.status().locked_for_s == 40  # re-anchored once, not on every read


def test_a_damaged_setting_locks_rather_than_unlocks(ledger, clock):
    ledger.set_setting(SETTING, {"failures": "lots"})
    status = _lock(ledger, clock).status()
    assert status.locked_for_s == 300


def test_every_failure_is_audited_with_sequence(ledger, clock):
    lock = _lock(ledger, clock)
    lock.record_failure()
    lock.record_failure()
    rows = audit.unsent(ledger)
    assert [r["action"] for r in rows] == ["pin_failed", "pin_failed"]
    assert rows[0]["seq"] < rows[1]["seq"]
    assert [r["detail"]["failures"] for r in rows] == [1, 2]
    assert all(r["at"].endswith("Z") and r["actor"] == "owner" for r in rows)


def test_bad_schedules_are_refused(ledger):
    with pytest.raises(ValueError):
        PinLock(ledger, schedule=())
    with pytest.raises(ValueError):
        PinLock(ledger, schedule=(0, -1))


def test_default_schedule_forgives_three_typos_then_grows(ledger, clock):
    lock = PinLock(ledger, clock_ns=clock, current_boot=lambda: "boot-a")
    delays = [lock.record_failure().locked_for_s for _ in range(9)]
    assert delays[:3] == [0, 0, 0]
    assert delays[3:] == sorted(delays[3:]) and delays[3] > 0


def test_state_is_stored_as_json_in_settings(ledger, clock):
    _lock(ledger, clock).record_failure()
    raw = ledger.db.conn.execute("SELECT value FROM settings WHERE key = ?", (SETTING,)).fetchone()
    assert json.loads(raw[0])["failures"] == 1


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                    | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.sampled_from(["failures", "boot_id",
                                                       "locked_until_ns", "x"]), inner,
                                      max_size=4), max_leaves=8)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stored=JSON)
def test_any_stored_lockout_value_is_read_without_crashing_or_unlocking(ledger, stored):
    """The setting is outside input to the pad (a damaged or hand-edited row): whatever it
    holds, reading it never raises, and a damaged value never shortens the lock."""
    clock = FakeBootClock()
    ledger.set_setting(SETTING, stored)
    status = _lock(ledger, clock).status()
    assert status.failures >= 0 and status.locked_for_s >= 0
    well_formed = (isinstance(stored, dict) and type(stored.get("failures")) is int
                   and stored["failures"] >= 0 and isinstance(stored.get("boot_id"), str)
                   and type(stored.get("locked_until_ns")) is int)
    if not well_formed:
        assert status.locked_for_s == 300  # the longest delay of the schedule
