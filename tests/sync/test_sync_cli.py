"""The command lines the demo and operators use, as real processes: the reference server
(python -m central_api), kioskctl enroll, kiosk-sync --once and kiosk-sync as a service."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from kiosk.core import catalog as screen_catalog
from tests.sync.helpers import add_donations, open_ledger, wait_for_sync_status, write_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server_process(tmp_path: Path) -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-m", "central_api", "--host", "127.0.0.1",
                             "--port", "0", "--db", str(tmp_path / "central.db"),
                             "--enroll-code", "DEMO-CODE", "--demo-catalog"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    assert line.startswith("central API listening on http://127.0.0.1:"), line
    yield line.strip().rsplit(" ", 1)[-1]
    proc.terminate()
    proc.wait(timeout=10)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_enroll_then_sync_once_shows_the_demo_projects(tmp_path: Path,
                                                       server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    enrolled = run("kiosk.ops.kioskctl", "--config", str(cfg.path), "enroll", "DEMO-CODE")
    assert enrolled.returncode == 0, enrolled.stderr
    ledger = open_ledger(cfg)
    add_donations(ledger, 30)
    synced = run("kiosk.sync.service", "--config", str(cfg.path), "--once")
    assert synced.returncode == 0, synced.stderr
    live = screen_catalog.load(ledger.db, cfg.data_dir)
    assert live.source == "server"
    assert [p.id for p in live.projects] == [p.id for p in screen_catalog.load_demo().projects]
    served = requests.get(f"{server_process}/admin/devices/{cfg.device.id}/donations").json()
    assert len(served["donations"]) == 30
    ledger.close()


def test_once_exits_1_while_the_backlog_cannot_drain(tmp_path: Path,
                                                     server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    # A code issued over the admin endpoint, as the office would for a new device.
    added = requests.post(f"{server_process}/admin/enroll-codes", json={"code": "NEW-1"})
    assert added.status_code == 204
    assert run("kiosk.ops.kioskctl", "--config", str(cfg.path), "enroll", "NEW-1").returncode == 0
    ledger = open_ledger(cfg)
    add_donations(ledger, 5)
    fault = {"kind": "status", "route": "batch", "code": 503, "retry_after": 30, "times": None}
    assert requests.post(f"{server_process}/admin/faults", json=fault).status_code == 204
    failed = run("kiosk.sync.service", "--config", str(cfg.path), "--once")
    assert failed.returncode == 1
    status = ledger.service_status()["sync"]
    assert status["backlog_count"] == 5 and "HTTP 503" in status["last_error"]
    assert requests.delete(f"{server_process}/admin/faults").status_code == 204
    assert run("kiosk.sync.service", "--config", str(cfg.path), "--once").returncode == 0
    ledger.close()


def test_service_runs_until_sigterm(tmp_path: Path, server_process: str) -> None:
    cfg = write_config(tmp_path, server_process)
    enroll = run("kiosk.ops.kioskctl", "--config", str(cfg.path), "enroll", "DEMO-CODE")
    assert enroll.returncode == 0
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
