"""Every server fault over real HTTP on 127.0.0.1, each ending with the invariant: the server's
donations equal the ledger's final donations exactly, no duplicates, nothing missing."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from central.catalog import demo as demo_catalog
from central.testing.process import start
from kiosk.core import catalog as screen_catalog
from kiosk.sync.client import Transient
from kiosk.sync.outbox import to_item
from tests.sync.conftest import Kiosk, make_kiosk
from tests.sync.helpers import add_donations, assert_invariant

N_DONATIONS = 250  # three batches of 100, 100, 50


def drain_with_service(kiosk: Kiosk, timeout_s: float = 20) -> None:
    """Run the real service loop in a thread until the backlog is empty and every injected
    fault has fired, then stop it."""
    service = kiosk.service()
    stop = threading.Event()
    thread = threading.Thread(target=service.run_forever, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if kiosk.central.faults.pending() == 0 and service.online \
                    and service.backlog_count() == 0:
                break
            time.sleep(0.02)
        else:
            raise AssertionError(f"not drained in {timeout_s} s: {service.status()}")
    finally:
        stop.set()
        thread.join(timeout=10)
    service.close()


FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("status", {"code": 500, "times": 3}),
    ("status", {"code": 502, "times": 1}),
    ("status", {"code": 429, "retry_after": 1}),
    ("status", {"code": 503, "retry_after": 1}),
    ("status", {"code": 413, "times": 2}),
    ("slow", {"delay": 1.0}),  # beyond the 0.5 s read timeout; the server still commits
    ("reset_before", {"times": 2}),
    ("reset_after", {"times": 2}),
    ("malformed_json", {}),
    ("wrong_content_type", {}),
    ("oversized", {"size": 2 << 20}),
    ("reject", {"retryable": True, "times": 2}),
]


@pytest.mark.parametrize(("kind", "params"), FAULTS,
                         ids=[f"{k}-{p.get('code', '')}" for k, p in FAULTS])
def test_batch_fault_then_exactly_once(tmp_path: Path, central: Any, kind: str,
                                       params: dict[str, Any]) -> None:
    kiosk = make_kiosk(tmp_path, central, read_timeout_s=0.5)
    add_donations(kiosk.ledger, N_DONATIONS)
    params = dict(params)
    times = params.pop("times", 1)
    # The first batch goes through; the fault hits the second one, mid-drain.
    central.faults.add("slow", route="batch", times=1, delay=0)
    central.faults.add(kind, route="batch", times=times, **params)
    drain_with_service(kiosk)
    assert_invariant(central, kiosk.ledger)
    attempts = dict(kiosk.ledger.db.conn.execute(
        "SELECT sync_attempts, count(*) FROM donations GROUP BY sync_attempts").fetchall())
    if params.get("code") != 413:  # (a 413 is answered by halving, not counted)
        assert max(attempts) > 1  # the failed tries were counted on the rows
    fired = [k for route, k in central.faults.fired if route == "batch"]
    assert fired.count(kind) == times + (kind == "slow")  # + the pass-through first batch
    kiosk.ledger.close()


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_is_honoured(tmp_path: Path, central: Any, code: int) -> None:
    kiosk = make_kiosk(tmp_path, central)
    add_donations(kiosk.ledger, 20)
    central.faults.add("status", route="batch", code=code, retry_after=1)
    drain_with_service(kiosk)
    batches = [e for e in central.server.exchanges if e["route"] == "batch"]
    assert [e["status"] for e in batches] == [code, 200]
    # Backoff alone is capped at 0.2 s in these tests: the wait is the server's Retry-After.
    assert batches[1]["at"] - batches[0]["at"] >= 0.95
    assert_invariant(central, kiosk.ledger)


def test_network_down_then_back(tmp_path: Path, central: Any) -> None:
    """Nothing listening at all (connection refused) for a while, then the server returns."""
    kiosk = make_kiosk(tmp_path, central)
    add_donations(kiosk.ledger, 120)
    host, port = central.server.server_address[:2]
    central.stop()
    service = kiosk.service()
    for _ in range(5):
        service.cycle(force=True)
        assert not service.online
    assert "network error" in service.status()["last_error"]
    assert service.status()["backlog_count"] == 120
    back = start(tmp_path / "central.db", host=host, port=port, device_id=kiosk.cfg.device.id)
    try:
        kiosk.central = back
        drain_with_service(kiosk)
        assert_invariant(back, kiosk.ledger)
    finally:
        back.stop()


def test_non_retryable_reject_and_conflict_go_to_quarantine(kiosk: Kiosk) -> None:
    central = kiosk.central
    ids = add_donations(kiosk.ledger, 30)
    # The server already holds ids[3] with different content: a conflict, never overwritten.
    clash = to_item(kiosk.ledger.get(ids[3]))
    clash["amount_cents"] += 1
    central.store.ingest(kiosk.cfg.device.id, [clash])
    central.faults.add("slow", route="batch", delay=0)  # first batch normal...
    kiosk.cfg.api.values["batch_size"] = 10
    central.faults.add("reject", route="batch", retryable=False)  # ...the second refused
    drain_with_service(kiosk)
    quarantined = {r[0]: r[1] for r in kiosk.ledger.db.conn.execute(
        "SELECT id, sync_error FROM donations WHERE sync_state = 'quarantined'")}
    assert set(quarantined) == {ids[3], *ids[10:20]}
    assert "conflict" in quarantined[ids[3]]
    server = {d["id"]: d for d in central.store.donations(kiosk.cfg.device.id)}
    assert server[ids[3]] == clash  # never overwritten
    synced = {r[0] for r in kiosk.ledger.db.conn.execute(
        "SELECT id FROM donations WHERE sync_state = 'synced'")}
    assert synced == set(ids) - set(quarantined)
    assert synced <= set(server)
    assert kiosk.ledger.summary()["by_sync_state"]["quarantined"] == 11


def test_pending_donations_wait_until_final(kiosk: Kiosk) -> None:
    add_donations(kiosk.ledger, 5)
    pending = kiosk.ledger.create_pending("proj-1", 700, "EUR")
    add_donations(kiosk.ledger, 5, seed=2)
    service = kiosk.service()
    assert service.run_once() == 0
    assert pending.id not in {d["id"] for d in kiosk.central.store.donations("cafe-test-01")}
    kiosk.ledger.finish(pending.id, "approved", auth_code="X1", card_suffix="1234")
    assert service.run_once() == 0
    assert_invariant(kiosk.central, kiosk.ledger)


@pytest.mark.parametrize("kind", ["status", "slow", "reset_before", "malformed_json",
                                  "wrong_content_type", "oversized", "slow_body"])
@pytest.mark.parametrize("route", ["catalog", "image", "heartbeat", "featured"])
def test_faults_on_the_other_routes(tmp_path: Path, central: Any, kind: str,
                                    route: str) -> None:
    """The same faults on catalog, image, heartbeat and featured calls: the round is retried
    (a garbled image refuses that catalog until the next pull), the catalog arrives whole, and
    the donations still arrive exactly once."""
    kiosk = make_kiosk(tmp_path, central, read_timeout_s=0.5, call_deadline_s=1.5)
    central.store.set_catalog(*demo_catalog.load())
    kiosk.ledger.set_setting("featured_version", 1)
    add_donations(kiosk.ledger, 30)
    params: dict[str, Any] = {"status": {"code": 500}, "slow": {"delay": 1.0},
                              "oversized": {"size": 20 << 20},
                              "slow_body": {"chunk": 512, "delay": 0.3}}.get(kind, {})
    central.faults.add(kind, route=route, **params)
    service = kiosk.service()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        service.cycle(force=True)
        live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
        if service.online and not central.faults.pending() and live.source == "server":
            break
        time.sleep(0.02)
    assert service.online and not central.faults.pending(), service.status()
    assert (route, kind) in central.faults.fired
    assert live.source == "server" and all(p.image_path.exists() for p in live.projects)
    assert service.status()["last_error"] is None
    # The (empty) selection was stored: the service keeps "none featured" as an empty list,
    # which its administration route shows as None, so the accepted PUT is the proof.
    assert central.store.featured(kiosk.cfg.device.id) is None
    # (These faults replace only the answer: the service had stored the selection.)
    answer_only = ("malformed_json", "wrong_content_type")
    pushed = [e for e in central.server.exchanges if e["route"] == "featured"
              and (e["status"] == 204 or e["fault"] in answer_only)]
    assert pushed and pushed[-1]["request"] == {"project_ids": []}
    assert central.store.heartbeats(kiosk.cfg.device.id)
    assert_invariant(central, kiosk.ledger)
    kiosk.ledger.close()


def test_overall_deadline_holds_against_a_trickling_server(tmp_path: Path, central: Any) -> None:
    """Each piece arrives within the read timeout, so only the per-call deadline can stop it."""
    kiosk = make_kiosk(tmp_path, central, read_timeout_s=0.5, call_deadline_s=1.0)
    central.store.set_catalog(*demo_catalog.load())  # a body of a few KiB
    central.faults.add("slow_body", route="catalog", chunk=16, delay=0.1)
    client = kiosk.client()
    started = time.monotonic()
    with pytest.raises(Transient, match="took more than 1.0 s"):
        client.call("GET", f"v1/devices/{kiosk.cfg.device.id}/catalog")
    assert time.monotonic() - started < 1.6
    client.close()


def test_unusual_but_legitimate_terminal_texts_are_accepted(kiosk: Kiosk) -> None:
    """A real donation is never quarantined for the shape of what the terminal said."""
    for auth, reason in (("", ""), ("A" * 64, "é" * 2000), (None, "ligne 1\nligne 2\t\x00")):
        d = kiosk.ledger.create_pending("proj-1", 300, "EUR")
        kiosk.ledger.finish(d.id, "declined", auth_code=auth, reason=reason)
    assert kiosk.service().run_once() == 0
    assert_invariant(kiosk.central, kiosk.ledger)


def test_the_drain_pauses_between_batches_and_a_stop_cuts_the_pause(kiosk: Kiosk) -> None:
    """Between batches the drain leaves the CPU and the ledger's write lock to the screen; a
    stop asked meanwhile ends the drain at once, with what was confirmed kept."""
    from kiosk.sync.outbox import Outbox

    add_donations(kiosk.ledger, N_DONATIONS)  # three batches: two pauses
    client = kiosk.client()
    try:
        t0 = time.monotonic()
        report = Outbox(kiosk.ledger, client, "cafe-test-01", pause_s=0.5).drain()
        assert time.monotonic() - t0 >= 2 * 0.5
        assert report.synced == N_DONATIONS
        assert_invariant(kiosk.central, kiosk.ledger)

        add_donations(kiosk.ledger, N_DONATIONS, seed=2)
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()  # during the first pause
        t0 = time.monotonic()
        report = Outbox(kiosk.ledger, client, "cafe-test-01", pause_s=30).drain(stop)
        assert time.monotonic() - t0 < 10  # not the 30 s pause
        assert 0 < report.synced < N_DONATIONS
    finally:
        client.close()
