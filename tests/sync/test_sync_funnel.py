"""Engagement counts ride with the heartbeat to the real central service (its own process,
real HTTP, SQLite): after failed, lost and repeated heartbeats the service holds exactly the
kiosk's own counts, never more."""

from __future__ import annotations

import datetime as dt
import random

from kiosk.core.funnel import MAX_PER_HEARTBEAT, Counter, hour_of
from tests.sync.conftest import Kiosk
from tests.sync.helpers import DEVICE_ID

PROJECTS = ("velo-ecole", "jardin-capucins", "refuge-chats")


def hours_ago(n: int) -> str:
    # Recent hours: confirmed rows older than the retention are pruned after a heartbeat.
    return hour_of(dt.datetime.now(dt.UTC) - dt.timedelta(hours=n))


def count_some(kiosk: Kiosk, rng: random.Random, times: int, hours: range) -> None:
    for _ in range(times):
        kiosk.ledger.count(rng.choice(list(Counter)), rng.choice(PROJECTS),
                           hour=hours_ago(rng.choice(hours)))


def beat(kiosk: Kiosk, service) -> None:
    service.next_network_at = 0
    service.cycle(force=True)


def test_central_sums_equal_the_kiosk_counts_after_faults_and_resends(kiosk: Kiosk) -> None:
    rng = random.Random(16)
    service = kiosk.service()
    count_some(kiosk, rng, 300, range(48))
    # Refused with a 500: nothing marked, all sent again.
    kiosk.central.faults.add("status", route="heartbeat", code=500)
    beat(kiosk, service)
    assert kiosk.central.store.engagement(DEVICE_ID) == {}
    assert kiosk.ledger.unsent_counts(MAX_PER_HEARTBEAT)
    # Stored by the service, answer lost: the same absolute counts are sent again.
    kiosk.central.faults.add("reset_after", route="heartbeat")
    beat(kiosk, service)
    assert kiosk.central.store.engagement(DEVICE_ID)  # the service committed them
    count_some(kiosk, rng, 200, range(48))  # more counts, some in hours already stored
    kiosk.central.faults.add("reset_before", route="heartbeat")
    beat(kiosk, service)
    for _ in range(5):
        beat(kiosk, service)
    assert kiosk.ledger.unsent_counts(MAX_PER_HEARTBEAT) == []
    stored = kiosk.central.store.engagement(DEVICE_ID)
    assert stored == kiosk.ledger.engagement_totals()
    assert sum(stored.values()) == 500  # every count once, none twice
    # Nothing new: heartbeats carry no engagement and change nothing.
    beat(kiosk, service)
    assert kiosk.central.store.engagement(DEVICE_ID) == stored
    assert "engagement" not in kiosk.central.store.heartbeats(DEVICE_ID)[-1]


def test_a_long_offline_backlog_goes_oldest_first_in_bounded_heartbeats(kiosk: Kiosk) -> None:
    # More (hour, project, counter) rows than one heartbeat carries.
    for hour in range(72):
        for project in PROJECTS:
            for counter in (Counter.SLIDE_SHOWN, Counter.GIVE_TAPPED, Counter.AMOUNT_PRESET):
                kiosk.ledger.count(counter, project, hour=hours_ago(hour))
    rows = len(kiosk.ledger.engagement_totals())
    assert rows > MAX_PER_HEARTBEAT
    service = kiosk.service()
    beat(kiosk, service)
    first = kiosk.central.store.engagement(DEVICE_ID)
    assert len(first) == MAX_PER_HEARTBEAT
    assert max(h for h, _, _ in first) <= min(h for h, _, _ in
                                             set(kiosk.ledger.engagement_totals()) - set(first))
    beat(kiosk, service)
    assert kiosk.central.store.engagement(DEVICE_ID) == kiosk.ledger.engagement_totals()
