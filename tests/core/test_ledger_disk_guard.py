"""The free-disk guard on the donor's path and the donation id made without uuid.UUID.

create_pending reuses a free-disk reading taken less than DISK_READING_MAX_AGE_S ago that left
at least DISK_READING_HEADROOM_BYTES above the minimum; nearer the minimum, or older, it reads
the disk again, and check_guards (the screen's health check) always reads it. A disk cannot be
filled on demand here, so the readings are scripted: the ledger module's ``free_disk_bytes``
and ``monotonic`` are replaced by stand-ins (everything else is a real ledger on a real file).
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.ledger import GuardRefused, Ledger, Limits, donations
from kiosk.core.ledger.donations import DISK_READING_HEADROOM_BYTES, DISK_READING_MAX_AGE_S
from kiosk.core.ledger.records import new_donation_id

MIB = 2**20
MINIMUM = 200 * MIB
LIMITS = Limits(max_donation_cents=15_000, offline_cap_cents=10**9, min_free_disk_bytes=MINIMUM)


class Disk:
    """Scripted free space and clock; counts the readings."""

    def __init__(self, free: int):
        self.free, self.now, self.reads = free, 1000.0, 0

    def read(self, path: str) -> int:
        self.reads += 1
        return self.free

    def clock(self) -> float:
        return self.now


@pytest.fixture
def disk(monkeypatch) -> Disk:
    scripted = Disk(MINIMUM + DISK_READING_HEADROOM_BYTES + 100 * MIB)
    monkeypatch.setattr(donations, "free_disk_bytes", scripted.read)
    monkeypatch.setattr(donations, "monotonic", scripted.clock)
    return scripted


def refused(ledger: Ledger) -> bool:
    try:
        ledger.create_pending("p", 500, "EUR")
    except GuardRefused as e:
        need = ledger.limits.min_free_disk_bytes // MIB
        assert e.code == "disk_full" and "MiB free" in str(e) and f"{need} MiB needed" in str(e)
        return True
    return False


def stored(ledger: Ledger) -> int:
    return ledger.db.conn.execute("SELECT count(*) FROM donations").fetchone()[0]


def test_a_reading_far_above_the_minimum_is_reused_until_it_is_too_old(tmp_path, disk):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    assert not refused(ledger) and disk.reads == 1
    disk.free = MINIMUM - 1  # filled by something else meanwhile
    disk.now += DISK_READING_MAX_AGE_S - 0.001
    assert not refused(ledger) and disk.reads == 1  # within the reading's age
    disk.now += 0.002
    assert refused(ledger) and disk.reads == 2
    assert stored(ledger) == 2


def test_near_the_minimum_every_gift_reads_the_disk_and_the_first_below_is_refused(
        tmp_path, disk):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    disk.free = MINIMUM + DISK_READING_HEADROOM_BYTES - 1
    for n in range(1, 4):
        assert not refused(ledger) and disk.reads == n
    disk.free = MINIMUM - 1
    assert refused(ledger) and disk.reads == 4  # at once, no reading reused
    assert stored(ledger) == 3


def test_a_refusal_is_never_reused_and_the_next_reading_decides(tmp_path, disk):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    disk.free = MINIMUM - 1
    assert refused(ledger) and refused(ledger) and disk.reads == 2
    disk.free = MINIMUM  # the minimum itself is enough
    assert not refused(ledger) and disk.reads == 3
    assert stored(ledger) == 1


def test_the_health_checks_guards_always_read_the_disk(tmp_path, disk):
    ledger = Ledger.open(tmp_path / "k.db", LIMITS)
    assert not refused(ledger) and disk.reads == 1
    ledger.check_guards(500)
    assert disk.reads == 2
    disk.free = MINIMUM - MIB
    with pytest.raises(GuardRefused, match="199 MiB free"):
        ledger.check_guards(500)
    # The health check's low reading ends the reuse: the next gift reads again, refused.
    disk.free = MINIMUM - 2 * MIB
    assert refused(ledger) and disk.reads == 4


def test_on_the_real_disk_a_minimum_above_its_size_refuses_every_gift(tmp_path):
    ledger = Ledger.open(tmp_path / "k.db", Limits(15_000, 10**9, 2**62))
    assert refused(ledger) and refused(ledger)
    assert stored(ledger) == 0


@given(st.binary(min_size=16, max_size=16))
def test_new_donation_id_is_uuid4s_text_for_the_same_random_bytes(random16):
    made = new_donation_id(lambda n: random16)
    assert made == str(uuid.UUID(bytes=random16, version=4))


def test_new_donation_ids_are_version_4_and_distinct():
    made = [new_donation_id() for _ in range(2000)]
    assert len(set(made)) == len(made)
    assert all(uuid.UUID(m).version == 4 and uuid.UUID(m).variant == uuid.RFC_4122 for m in made)
