"""Enrollment (kioskctl enroll), the token file, and a revoked token: sending stops and an alarm
shows in kioskctl status until the kiosk is enrolled again."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import requests

from central.testing.process import ADMIN_HEADER
from kiosk.ops.kioskctl import main as kioskctl
from kiosk.sync.client import InsecureUrl, check_url
from kiosk.sync.token_file import read_token, write_token
from tests.sync.conftest import ENROLL_CODE, Kiosk, make_kiosk
from tests.sync.helpers import DEVICE_ID, add_donations, assert_invariant


def enroll_args(kiosk: Kiosk, code: str) -> list[str]:
    """``kioskctl enroll --code-file``: the code never appears on a command line."""
    path = Path(kiosk.cfg.path).with_name(f"code-{code}")
    path.write_text(code + "\n")
    return ["--config", str(kiosk.cfg.path), "enroll", "--code-file", str(path)]


def test_kioskctl_enroll_stores_token_0600_and_receipt_key(tmp_path: Path, central: Any,
                                                           capsys: Any) -> None:
    kiosk = make_kiosk(tmp_path, central, enrolled=False)
    assert kioskctl(enroll_args(kiosk, ENROLL_CODE)) == 0
    token_path = Path(kiosk.cfg.api.token_file)
    assert stat.S_IMODE(token_path.stat().st_mode) == 0o600
    token = read_token(token_path)
    assert central.store.device_for_token(token) == (DEVICE_ID, False)
    key = kiosk.ledger.get_setting("receipt_key")
    assert key == central.store.receipt_key(DEVICE_ID)
    assert "enrolled cafe-test-01" in capsys.readouterr().out
    # A one-time code: the second use is refused and the stored token is untouched. The
    # service gives a used code the same answer as an unknown one (nothing to probe).
    assert kioskctl(enroll_args(kiosk, ENROLL_CODE)) == 1
    used = capsys.readouterr().err
    assert "not known" in used
    assert kioskctl(enroll_args(kiosk, "no-such-code")) == 1
    assert capsys.readouterr().err == used
    assert read_token(token_path) == token
    assert [a for a in token_path.parent.iterdir() if a.name.startswith(".device-token")] == []


def test_write_token_replaces_atomically(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "device-token"
    write_token(path, "first-token-abcdefgh")
    write_token(path, "second-token-abcdefgh")
    assert read_token(path) == "second-token-abcdefgh"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["device-token"]


def test_write_token_keeps_the_owner_of_the_existing_file(tmp_path: Path) -> None:
    """On a device tmpfiles creates the file for the kiosk-sync user and kioskctl runs as
    root; here any other uid stands in for kiosk-sync (the test suite runs as root)."""
    import os

    path = tmp_path / "device-token"
    path.write_text("")
    owner = 4321 if os.geteuid() == 0 else os.geteuid()
    os.chown(path, owner, owner)
    write_token(path, "a-token-of-some-length")
    assert (path.stat().st_uid, path.stat().st_gid) == (owner, owner)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("url", ["http://dons.example.org", "http://10.0.0.5:8080",
                                 "ftp://127.0.0.1", "https://"])
def test_insecure_urls_are_refused(url: str) -> None:
    with pytest.raises(InsecureUrl):
        check_url(url)


@pytest.mark.parametrize("url", ["https://dons.example.org", "http://127.0.0.1:8765",
                                 "http://[::1]:9", "http://localhost:1"])
def test_https_and_loopback_http_are_accepted(url: str) -> None:
    assert check_url(url) == url


def status_json(kiosk: Kiosk, capsys: Any) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = kioskctl(["--config", str(kiosk.cfg.path), "status", "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_revoked_token_stops_sending_and_raises_an_alarm(kiosk: Kiosk, capsys: Any) -> None:
    central = kiosk.central
    add_donations(kiosk.ledger, 40)
    service = kiosk.service()
    service.cycle(force=True)
    assert service.backlog_count() == 0
    # While the device is enrolled, the office cannot issue it a second code.
    with pytest.raises(RuntimeError, match="409"):
        central.store.add_enroll_code("CODE-TEST-2")
    old_key = kiosk.ledger.get_setting("receipt_key")
    # The office revokes the token (the administration route needs its token header).
    revoked = requests.post(f"{central.url}/admin/devices/{DEVICE_ID}/revoke", headers={
        ADMIN_HEADER: central.admin.session.headers[ADMIN_HEADER]})
    assert revoked.status_code == 204
    assert requests.post(f"{central.url}/admin/devices/{DEVICE_ID}/revoke").status_code == 403
    add_donations(kiosk.ledger, 25, seed=7)
    service.cycle(force=True)
    calls_after_refusal = len(central.server.exchanges)
    for _ in range(5):
        service.cycle(force=True)
    assert len(central.server.exchanges) == calls_after_refusal, "kept calling with a dead token"
    code, status = status_json(kiosk, capsys)
    assert code == 1
    sync = status["services"]["sync"]
    assert sync["online"] is False and sync["backlog_count"] == 25
    assert any("refused this kiosk's token" in p and "kioskctl enroll" in p
               for p in status["problems"])
    capsys.readouterr()
    kioskctl(["--config", str(kiosk.cfg.path), "status"])
    assert "NEEDS ATTENTION" in capsys.readouterr().out
    # Enrolled again with a new code: the alarm clears and the backlog drains exactly once.
    central.store.add_enroll_code("CODE-TEST-2")
    assert kioskctl(enroll_args(kiosk, "CODE-TEST-2")) == 0
    # A new receipt key; the old one is kept by the service, so printed QR codes still verify.
    new_key = kiosk.ledger.get_setting("receipt_key")
    assert new_key != old_key
    assert central.admin.call("GET", f"/admin/devices/{DEVICE_ID}").json()[
        "receipt_keys"] == [new_key, old_key]
    service.cycle(force=True)
    assert service.status()["alarms"] == []
    _, status = status_json(kiosk, capsys)
    # (Other problems, such as donations in state unknown or no bridge running in this test,
    # are not the sync service's.)
    assert [p for p in status["problems"] if p.startswith("sync:")] == []
    assert status["services"]["sync"]["online"] is True
    assert_invariant(central, kiosk.ledger)


def test_not_enrolled_is_an_alarm_and_nothing_is_sent(tmp_path: Path, central: Any,
                                                      capsys: Any) -> None:
    kiosk = make_kiosk(tmp_path, central, enrolled=False)
    add_donations(kiosk.ledger, 3)
    service = kiosk.service()
    assert service.run_once() == 1
    assert central.server.exchanges == []
    _, status = status_json(kiosk, capsys)
    assert any("not enrolled" in p for p in status["problems"])


def test_kioskctl_sync_now(kiosk: Kiosk, capsys: Any) -> None:
    add_donations(kiosk.ledger, 12)
    capsys.readouterr()
    assert kioskctl(["--config", str(kiosk.cfg.path), "sync", "--now"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backlog_count"] == 0 and out["online"] is True
    assert_invariant(kiosk.central, kiosk.ledger)
    assert kiosk.central.store.heartbeats(DEVICE_ID)[-1]["backlog_count"] == 0


def test_enroll_waits_for_a_server_that_is_still_starting(tmp_path: Path) -> None:
    """As in the demo (and a device just booted): the server comes up a moment later."""
    import threading

    from central.testing.process import start
    from kiosk.ops.demo import free_port
    from kiosk.sync.enroll import enroll
    from kiosk.sync.service import make_client
    from tests.sync.helpers import open_ledger, write_config

    port = free_port()
    cfg = write_config(tmp_path, f"http://127.0.0.1:{port}")
    ledger = open_ledger(cfg)
    # The code is issued first (a service answers as soon as it listens, before start()
    # could add one), then the service is stopped and comes back on the kiosk's port late.
    start(tmp_path / "central.db", enroll_codes=("LATE",), device_id=DEVICE_ID).stop()
    started: list[Any] = []
    timer = threading.Timer(0.8, lambda: started.append(
        start(tmp_path / "central.db", port=port, device_id=DEVICE_ID)))
    timer.start()
    client = make_client(cfg, None)
    try:
        # (The service migrates its database before it listens: a few seconds.)
        assert enroll(cfg, ledger, "LATE", client, wait_s=60).device_id == DEVICE_ID
        assert read_token(Path(cfg.api.token_file))
    finally:
        timer.join()
        client.close()
        ledger.close()
        for server in started:
            server.stop()
