"""kiosk-sync as a real process: SIGKILL in the middle of a catalog download, a 100 000-donation
backlog drained with flat memory, and a device clock that is hours behind or days ahead."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from central.catalog import demo as demo_catalog
from kiosk.core import catalog as screen_catalog
from kiosk.core import db as dbmod
from kiosk.core import ledger as ledgermod
from tests.sync.conftest import Kiosk, make_kiosk
from tests.sync.helpers import (
    add_donations,
    assert_invariant,
    bulk_insert,
    proc_memory_kib,
    wait_for_sync_status,
)
from tests.sync.test_sync_catalog import jpeg, project, publish

ROOT = Path(__file__).resolve().parents[2]


def sync_process(kiosk: Kiosk, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "kiosk.sync.service", "--config",
                             str(kiosk.cfg.path), *extra], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def run_once(kiosk: Kiosk, timeout: float = 120) -> int:
    proc = sync_process(kiosk, "--once")
    _, err = proc.communicate(timeout=timeout)
    assert proc.returncode in (0, 1), err.decode()
    return proc.returncode


def test_sigkill_mid_catalog_download_keeps_the_old_catalog(kiosk: Kiosk) -> None:
    central = kiosk.central
    old = [jpeg((200, 0, 0)), jpeg((0, 200, 0))]
    publish(central, "old", [(project(f"old-{n}", d), d) for n, d in enumerate(old)])
    assert run_once(kiosk) == 0
    old_version = kiosk.served_catalog()["version"]
    images_dir = kiosk.cfg.images_dir
    old_files = {p.name for p in images_dir.iterdir()}
    central.store.set_catalog(*demo_catalog.load())
    central.faults.add("slow_body", route="image", times=None, chunk=2048, delay=0.05)
    proc = sync_process(kiosk, "--once")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        parts = [p for p in images_dir.iterdir() if p.name.startswith(".part-")]
        if parts and parts[0].stat().st_size > 0:
            break
        time.sleep(0.01)
    else:
        proc.kill()
        raise AssertionError("the download never started")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert live.version == old_version and [p.id for p in live.projects] == ["old-0", "old-1"]
    assert all(p.image_path.exists() for p in live.projects)
    for f in images_dir.iterdir():
        if not f.name.startswith(".part-"):
            assert hashlib.sha256(f.read_bytes()).hexdigest() == f.name, "a partial image"
    # The next run, with the network healthy again, finishes the job and tidies up.
    central.faults.clear()
    assert run_once(kiosk) == 0
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert live.version == kiosk.served_catalog()["version"] != old_version
    assert sorted(p.id for p in live.projects) == sorted(
        p["id"] for p in demo_catalog.load()[0]["projects"])
    assert all(p.image_path.exists() for p in live.projects)
    names = {p.name for p in images_dir.iterdir()}
    assert not [n for n in names if n.startswith(".part-")]
    assert old_files <= names  # the previous catalog's images stay until the next switch


def test_sigkill_mid_drain_then_exactly_once(kiosk: Kiosk) -> None:
    add_donations(kiosk.ledger, 60)
    bulk_insert(kiosk.ledger, 3000)
    kiosk.central.faults.add("slow", route="batch", times=None, delay=0.02)
    proc = sync_process(kiosk)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and len(kiosk.central.store.donations(
            kiosk.cfg.device.id)) < 500:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    kiosk.central.faults.clear()
    assert run_once(kiosk) == 0
    assert_invariant(kiosk.central, kiosk.ledger)


def _shift_clock(rows: list[str], ledger: ledgermod.Ledger, delta: dt.timedelta) -> None:
    with dbmod.immediate(ledger.db) as conn:
        for donation_id in rows:
            created, finished = conn.execute(
                "SELECT created_at, finished_at FROM donations WHERE id = ?",
                (donation_id,)).fetchone()
            shift = [(dt.datetime.fromisoformat(t.replace("Z", "+00:00")) + delta)
                     .isoformat(timespec="milliseconds").replace("+00:00", "Z")
                     for t in (created, finished)]
            conn.execute("UPDATE donations SET created_at = ?, finished_at = ? WHERE id = ?",
                         (*shift, donation_id))


def test_device_clock_hours_behind_and_days_ahead(kiosk: Kiosk) -> None:
    """The wall clock of the rows (as written by a Pi whose clock was wrong) is shifted by
    updating created_at / finished_at: one run 6 hours behind, one 3 days ahead, then back.
    Order comes from seq and identity from the uuid, so nothing is lost or reordered."""
    behind = add_donations(kiosk.ledger, 70, seed=3)
    ahead = add_donations(kiosk.ledger, 70, seed=4)
    normal = add_donations(kiosk.ledger, 70, seed=5)
    _shift_clock(behind, kiosk.ledger, -dt.timedelta(hours=6))
    _shift_clock(ahead, kiosk.ledger, dt.timedelta(days=3))
    service = kiosk.service()
    assert service.run_once() == 0
    assert_invariant(kiosk.central, kiosk.ledger)
    sent = [d["seq"] for e in kiosk.central.server.exchanges if e["route"] == "batch"
            for d in e["request"]["donations"]]
    assert sent == sorted(sent) and len(sent) == 210
    assert normal[0] in {d["id"] for d in kiosk.central.store.donations(kiosk.cfg.device.id)}


def test_clock_jumps_while_the_service_runs(kiosk: Kiosk, monkeypatch: Any) -> None:
    """Faked time in the process: the wall clock jumps days ahead, then hours back, between
    donations and sync rounds. The service schedules with the monotonic clock only."""
    real = ledgermod.utc_now
    service = kiosk.service()
    for delta in (dt.timedelta(days=4), -dt.timedelta(hours=9), dt.timedelta(0)):
        def fake(delta: dt.timedelta = delta) -> str:
            t = dt.datetime.fromisoformat(real().replace("Z", "+00:00")) + delta
            return t.isoformat(timespec="milliseconds").replace("+00:00", "Z")

        monkeypatch.setattr(ledgermod, "utc_now", fake)
        add_donations(kiosk.ledger, 40, seed=int(delta.total_seconds()) % 1000)
        service.cycle()
        assert service.online and service.backlog_count() == 0
    assert_invariant(kiosk.central, kiosk.ledger)


def idle_rss_kib(kiosk: Kiosk) -> int:
    """RSS of a running kiosk-sync after its first round with nothing to send."""
    proc = sync_process(kiosk)
    try:
        wait_for_sync_status(kiosk.ledger)
        return proc_memory_kib(proc.pid)["VmRSS"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def drain_peak_rss_kib(kiosk: Kiosk, timeout_s: float) -> int:
    proc = sync_process(kiosk, "--once")
    peak = 0
    deadline = time.monotonic() + timeout_s
    while proc.poll() is None and time.monotonic() < deadline:
        try:
            peak = max(peak, proc_memory_kib(proc.pid)["VmHWM"])
        except (FileNotFoundError, ProcessLookupError, KeyError):
            pass  # exiting
        time.sleep(0.05)
    proc.communicate(timeout=max(1, deadline - time.monotonic()))
    assert proc.returncode == 0
    return peak


@pytest.mark.slow
def test_backlog_of_100000_drains_exactly_once_with_flat_memory(tmp_path: Path,
                                                                central: Any) -> None:
    kiosk = make_kiosk(tmp_path, central, read_timeout_s=10, call_deadline_s=30)
    idle = idle_rss_kib(kiosk)
    bulk_insert(kiosk.ledger, 100_000)
    started = time.monotonic()
    peak = drain_peak_rss_kib(kiosk, timeout_s=600)
    elapsed = time.monotonic() - started
    assert_invariant(central, kiosk.ledger)
    assert peak < 1.3 * idle, (idle, peak)
    print(f"100 000 donations drained in {elapsed:.1f} s; RSS idle {idle} KiB, peak {peak} KiB")
