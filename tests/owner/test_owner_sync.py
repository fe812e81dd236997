"""The owner's changes leave the kiosk through kiosk-sync, over real HTTP on 127.0.0.1, to the
central service: the featured choice (``PUT …/featured``), the audit rows (with the
heartbeat) and the « Synchroniser maintenant » request."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
import time
from pathlib import Path

from kiosk.core import audit
from kiosk.core.catalog import Catalog, Project
from kiosk.owner import featured, sync_request
from kiosk.owner.access import OwnerAccess
from kiosk.owner.pin_lock import PinLock
from kiosk.sync.service import Timing
from tests.sync.conftest import central, central_template, kiosk  # noqa: F401 - fixtures
from tests.sync.helpers import DEVICE_ID

KIOSK_SYNC = Path(sys.executable).parent / "kiosk-sync"
TODAY = dt.date(2026, 11, 21)


def _catalog(*ids: str) -> Catalog:
    return Catalog("server", "v1", [
        Project(id=i, association="A", title=f"T {i}", summary="", image_path=None,
                goal_cents=100, raised_cents=10, currency="EUR", url=None, starts_on=None,
                ends_on=None, active=True) for i in ids])


def run_kiosk_sync_once(config: Path) -> subprocess.CompletedProcess:
    """The real ``kiosk-sync --once`` command, in its own process."""
    return subprocess.run([str(KIOSK_SYNC), "--config", str(config), "--once"],
                          capture_output=True, text=True, timeout=60)


def test_featured_change_reaches_the_central_service(kiosk):  # noqa: F811
    version = featured.save(kiosk.ledger, _catalog("p1", "p2", "p3"), ["p3", "p1"], limit=4,
                            today=TODAY)
    done = run_kiosk_sync_once(kiosk.cfg.path)
    assert done.returncode == 0, done.stderr
    assert kiosk.central.store.featured(DEVICE_ID) == ["p3", "p1"]
    assert kiosk.ledger.get_setting("featured_pushed_version") == version
    # a second change is pushed too, in its new order
    featured.save(kiosk.ledger, _catalog("p1", "p2", "p3"), ["p2", "p3", "p1"], limit=4,
                  today=TODAY)
    assert run_kiosk_sync_once(kiosk.cfg.path).returncode == 0
    assert kiosk.central.store.featured(DEVICE_ID) == ["p2", "p3", "p1"]


def test_owner_audit_rows_ride_the_heartbeat_once(kiosk):  # noqa: F811
    from kiosk.core import pin as pinmod

    kiosk.ledger.set_setting("pin_hash", pinmod.hash_pin("4821", log2_n=10))
    access = OwnerAccess(kiosk.ledger, PinLock(kiosk.ledger))
    access.try_pin("0000")
    access.try_pin("4821")
    featured.save(kiosk.ledger, _catalog("p1"), ["p1"], limit=4, today=TODAY)
    mine = [r for r in audit.unsent(kiosk.ledger) if r["actor"] == "owner"]
    assert [r["action"] for r in mine] == ["pin_failed", "settings_opened", "featured_changed"]

    kiosk.central.faults.add("status", route="heartbeat", code=503, retry_after=0)
    kiosk.service().cycle(force=True)
    assert audit.unsent(kiosk.ledger)[-3:] == mine  # refused: kept to send again
    kiosk.central.faults.clear()

    assert run_kiosk_sync_once(kiosk.cfg.path).returncode == 0
    received = {r["seq"]: r for r in kiosk.central.store.audit_rows(DEVICE_ID)}
    for row in mine:
        assert received[row["seq"]]["action"] == row["action"]
        assert received[row["seq"]]["detail"] == row["detail"]
    assert audit.unsent(kiosk.ledger) == []
    assert kiosk.central.store.heartbeats(DEVICE_ID)[-1]["audit"] != []
    # nothing is sent twice: the next heartbeat carries no old rows
    assert run_kiosk_sync_once(kiosk.cfg.path).returncode == 0
    assert kiosk.central.store.heartbeats(DEVICE_ID)[-1]["audit"] == []


def test_sync_now_runs_a_full_round_at_once(kiosk):  # noqa: F811
    timing = Timing(poll_s=0.05, backoff_base_s=0.01, backoff_cap_s=0.2)
    service = kiosk.service(timing)
    stop = threading.Event()
    worker = threading.Thread(target=service.run_forever, args=(stop,), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 10
        while not kiosk.central.store.heartbeats(DEVICE_ID) and time.monotonic() < deadline:
            time.sleep(0.05)
        beats = len(kiosk.central.store.heartbeats(DEVICE_ID))
        assert beats >= 1  # the first round, then none for heartbeat_interval_s (300 s)
        time.sleep(0.3)
        assert len(kiosk.central.store.heartbeats(DEVICE_ID)) == beats
        number = sync_request.request(kiosk.ledger)
        while sync_request.waiting(kiosk.ledger) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not sync_request.waiting(kiosk.ledger)
        assert kiosk.ledger.get_setting("sync_now_handled") == number
        assert len(kiosk.central.store.heartbeats(DEVICE_ID)) == beats + 1  # forced round
    finally:
        stop.set()
        worker.join(timeout=5)
