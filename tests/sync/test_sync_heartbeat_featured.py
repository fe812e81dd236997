"""Heartbeat (on a schedule and on change) and the featured-selection push."""

from __future__ import annotations

import time

from kiosk.core import db as dbmod
from tests.sync.conftest import Kiosk
from tests.sync.helpers import DEVICE_ID, add_donations


def set_featured(kiosk: Kiosk, ids: list[str], version: int) -> None:
    with dbmod.immediate(kiosk.ledger.db) as conn:
        conn.execute("DELETE FROM featured")
        conn.executemany("INSERT INTO featured (position, project_id) VALUES (?, ?)",
                         list(enumerate(ids)))
    kiosk.ledger.set_setting("featured_version", version)


def test_featured_is_pushed_once_per_change(kiosk: Kiosk) -> None:
    service = kiosk.service()
    service.cycle(force=True)
    assert kiosk.central.store.featured(DEVICE_ID) is None  # nothing chosen yet: no push
    set_featured(kiosk, ["velo-ecole", "jardin-capucins", "refuge-chats"], 1)
    service.cycle()
    assert kiosk.central.store.featured(DEVICE_ID) == ["velo-ecole", "jardin-capucins",
                                                       "refuge-chats"]
    assert kiosk.ledger.get_setting("featured_pushed_version") == 1
    service.cycle()
    puts = [e for e in kiosk.central.server.exchanges if e["route"] == "featured"]
    assert len(puts) == 1
    set_featured(kiosk, ["refuge-chats"], 2)
    kiosk.central.faults.add("status", route="featured", code=503, retry_after=0)
    service.cycle()
    assert kiosk.ledger.get_setting("featured_pushed_version") == 1  # not accepted yet
    service.cycle(force=True)
    assert kiosk.central.store.featured(DEVICE_ID) == ["refuge-chats"]
    assert kiosk.ledger.get_setting("featured_pushed_version") == 2


def test_heartbeat_reports_the_kiosk_and_follows_its_schedule(kiosk: Kiosk) -> None:
    kiosk.ledger.set_service_status("kiosk", {"terminal": {"connected": True,
                                                           "last_error": None},
                                              "out_of_service": None})
    add_donations(kiosk.ledger, 30)
    kiosk.ledger.create_pending("proj-1", 900, "EUR")
    service = kiosk.service()
    service.cycle(force=True)
    beats = kiosk.central.store.heartbeats(DEVICE_ID)
    assert len(beats) == 1
    beat = beats[0]
    summary = kiosk.ledger.summary()
    assert beat["backlog_count"] == 0 and beat["backlog_cents"] == 0
    assert beat["unknown_count"] == summary["by_state"]["unknown"]["count"]
    assert beat["quarantined_count"] == 0 and beat["oldest_unsynced_seq"] is None
    assert beat["terminal"] == {"connected": True, "last_error": None}
    assert beat["disk_free_bytes"] > 0 and isinstance(beat["clock_synchronized"], bool)
    for _ in range(3):
        service.cycle()
    assert len(kiosk.central.store.heartbeats(DEVICE_ID)) == 1  # interval is 300 s
    service.next_heartbeat_at = time.monotonic() - 1  # the interval has passed
    service.cycle()
    assert len(kiosk.central.store.heartbeats(DEVICE_ID)) == 2


def test_heartbeat_on_change_after_an_outage(kiosk: Kiosk) -> None:
    service = kiosk.service()
    service.cycle(force=True)
    kiosk.central.faults.add("status", route="batch", code=500, times=2)
    add_donations(kiosk.ledger, 5)
    for _ in range(50):
        service.cycle()
        if service.online and service.backlog_count() == 0:
            break
        time.sleep(0.02)
    beats = kiosk.central.store.heartbeats(DEVICE_ID)
    # Back online, the outage is reported at once (not in 300 s), saying what it was.
    assert len(beats) == 2 and "HTTP 500" in beats[-1]["last_error"]
    assert service.status()["last_error"] is None


def test_audit_rows_ride_with_the_heartbeat_and_are_stored_once(kiosk: Kiosk) -> None:
    from kiosk.core import audit

    kiosk.ledger.audit("owner", "settings_opened")
    kiosk.ledger.audit("owner", "featured_changed", after=["velo-ecole"])
    service = kiosk.service()
    # The first heartbeat is committed by the server but its answer is lost: resent later.
    kiosk.central.faults.add("reset_after", route="heartbeat")
    service.cycle(force=True)
    assert audit.unsent(kiosk.ledger) != []  # not marked sent without a 2xx
    service.next_network_at = 0
    service.cycle(force=True)
    assert audit.unsent(kiosk.ledger) == []
    stored = kiosk.central.store.audit_rows(DEVICE_ID)
    # enrollment's own row, then the owner's two, each stored once despite the resend
    assert [r["action"] for r in stored] == ["enrolled", "settings_opened", "featured_changed"]
    assert stored[2]["detail"] == {"after": ["velo-ecole"]}


def test_sync_now_request_from_the_screen_runs_a_cycle_at_once(kiosk: Kiosk) -> None:
    from kiosk.owner import sync_request

    service = kiosk.service()
    service.cycle(force=True)
    add_donations(kiosk.ledger, 4)
    service.next_network_at = time.monotonic() + 3600  # deep in a backoff wait
    service.cycle()
    assert service.backlog_count() == 4
    number = sync_request.request(kiosk.ledger)
    assert sync_request.waiting(kiosk.ledger)
    service.cycle()
    assert service.backlog_count() == 0
    assert not sync_request.waiting(kiosk.ledger)
    assert kiosk.ledger.get_setting(sync_request.HANDLED) == number


def test_retention_prunes_only_confirmed_donations(kiosk: Kiosk) -> None:
    ids = add_donations(kiosk.ledger, 6)
    service = kiosk.service()
    service.cycle(force=True)
    kept_unsynced = add_donations(kiosk.ledger, 2, seed=9)
    with dbmod.immediate(kiosk.ledger.db) as conn:
        conn.execute("UPDATE donations SET synced_at = '2020-01-01T00:00:00.000Z'"
                     " WHERE sync_state = 'synced'")
        conn.execute("UPDATE donations SET created_at = '2020-01-01T00:00:00.000Z'")
    kiosk.central.faults.add("status", route="batch", code=503, times=None)
    service.next_prune_at = 0
    service.cycle(force=True)  # offline: no round succeeded, nothing pruned
    assert kiosk.ledger.get(ids[0]) is not None
    kiosk.central.faults.clear()
    service.next_network_at = 0
    service.cycle(force=True)
    left = {r[0] for r in kiosk.ledger.db.conn.execute("SELECT id FROM donations")}
    unknown = {i for i in ids if kiosk.ledger.get(i) and kiosk.ledger.get(i).state == "unknown"}
    assert left == set(kept_unsynced) | unknown  # the two just synced are recent
