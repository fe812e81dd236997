"""The command lines the demo and operators use, as real processes: the central service
(central migrate + central serve), kioskctl enroll, kiosk-sync --once and kiosk-sync as a
service."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from central.testing.process import ADMIN_HEADER, Running, start
from kiosk.core import catalog as screen_catalog
from tests.sync.helpers import (
    DEVICE_ID,
    add_donations,
    open_ledger,
    wait_for_sync_status,
    write_config,
)

ROOT = Path(__file__).resolve().parents[2]


def admin_headers(central: Running) -> dict[str, str]:
    """The administration routes answer only with the token the service was started with."""
    return {ADMIN_HEADER: central.admin.session.headers[ADMIN_HEADER]}


@pytest.fixture
def central(tmp_path: Path) -> Iterator[Running]:
    running = start(tmp_path / "central.db", enroll_codes=("DEMO-CODE",), demo_catalog=True,
                    device_id=DEVICE_ID)
    yield running
    running.stop()


@pytest.fixture
def server_process(central: Running) -> str:
    return central.url


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, input=stdin)


def enroll(cfg_path: Path, code: str) -> subprocess.CompletedProcess[str]:
    """As an operator does: the code on stdin, never on the command line."""
    return run("kiosk.ops.kioskctl", "--config", str(cfg_path), "enroll", "--stdin",
               stdin=code + "\n")


def test_enroll_then_sync_once_shows_the_demo_projects(tmp_path: Path, central: Running,
                                                       server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    enrolled = enroll(cfg.path, "DEMO-CODE")
    assert enrolled.returncode == 0, enrolled.stderr
    ledger = open_ledger(cfg)
    add_donations(ledger, 30)
    synced = run("kiosk.sync.service", "--config", str(cfg.path), "--once")
    assert synced.returncode == 0, synced.stderr
    live = screen_catalog.load(ledger.db, cfg.data_dir)
    assert live.source == "server"
    # The demo projects, in the service's order for a shop that features none: by title.
    demo = screen_catalog.load_demo().projects
    assert [p.id for p in live.projects] == [p.id for p in sorted(demo, key=lambda p: p.title)]
    served = requests.get(f"{server_process}/admin/devices/{cfg.device.id}/donations",
                          headers=admin_headers(central)).json()
    assert len(served["donations"]) == 30
    ledger.close()


def test_once_exits_1_while_the_backlog_cannot_drain(tmp_path: Path, central: Running,
                                                     server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    admin = admin_headers(central)
    # A code issued over the admin endpoint for this device, as the office would.
    added = requests.post(f"{server_process}/admin/enroll-codes", headers=admin,
                          json={"code": "NEW-1", "device_id": cfg.device.id})
    assert added.status_code == 204
    assert enroll(cfg.path, "NEW-1").returncode == 0
    ledger = open_ledger(cfg)
    add_donations(ledger, 5)
    fault = {"kind": "status", "route": "batch", "code": 503, "retry_after": 30, "times": None}
    assert requests.post(f"{server_process}/admin/faults", json=fault,
                         headers=admin).status_code == 204
    failed = run("kiosk.sync.service", "--config", str(cfg.path), "--once")
    assert failed.returncode == 1
    status = ledger.service_status()["sync"]
    assert status["backlog_count"] == 5 and "HTTP 503" in status["last_error"]
    assert requests.delete(f"{server_process}/admin/faults", headers=admin).status_code == 204
    assert run("kiosk.sync.service", "--config", str(cfg.path), "--once").returncode == 0
    ledger.close()


def test_service_runs_until_sigterm(tmp_path: Path, server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    assert enroll(cfg.path, "DEMO-CODE").returncode == 0
    ledger = open_ledger(cfg)
    add_donations(ledger, 10)
    proc = subprocess.Popen([sys.executable, "-m", "kiosk.sync.service", "--config",
                             str(cfg.path)], cwd=ROOT)
    try:
        status = wait_for_sync_status(ledger)
        assert status["online"] is True and status["backlog_count"] == 0
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    ledger.close()


def test_bad_configuration_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[device]\nid = "x"\n[api]\nbase_url = "http://dons.example.org"\n')
    result = run("kiosk.sync.service", "--config", str(bad), "--once")
    assert result.returncode == 2
    assert "api.base_url" in result.stderr and "https" in result.stderr
