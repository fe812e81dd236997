"""The demo as a new user would try it: the demo's real services (the central service on
SQLite with its demo network, enrolment with the code it printed, terminal simulator on a
pty, bridge service, kiosk-sync) as separate processes, the screen built exactly as ``kiosk
--config FILE`` builds it and tapped through one donation; the donation reaches the central
service and the QR's receipt URL is accepted by it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.ops import demo
from tests.helpers.screenshots import keep_screenshots
from tests.screen.test_screen_ui import decode_qr

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo_services():
    # A short directory: the bridge's Unix socket path must stay under 108 bytes.
    workdir = Path(tempfile.mkdtemp(prefix="kd-"))
    api_port = demo.free_port()
    cfg_path = demo.write_demo_config(workdir, f"http://127.0.0.1:{api_port}")
    cfg = configmod.load(cfg_path)
    Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).close()
    children = demo.Children()
    try:
        skipped = demo.start_services(workdir, cfg_path, api_port, children)
        assert skipped == [], f"demo parts missing from this release: {skipped}"
        yield workdir, cfg_path, api_port
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_demo_donation_reaches_the_central_service(demo_services, tmp_path):
    workdir, cfg_path, api_port = demo_services
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.screen.ui_driver", "--config", str(cfg_path), "--scenario",
         "approved-demo", "--workdir", str(tmp_path / "screen")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    report_path = tmp_path / "screen" / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    [donation] = report["donations"]
    assert (donation["state"], donation["amount_cents"]) == ("approved", 500)
    keep_screenshots(report["shots"].values(), "demo")

    # kiosk-sync sends it; the central service lists it (its demo administration route).
    deadline, listed = time.monotonic() + 60, []
    admin = f"http://127.0.0.1:{api_port}/admin/devices/demo-kiosk/donations"
    token = {"X-Central-Admin-Token": demo.admin_token(workdir)}
    while time.monotonic() < deadline:
        status, body = get(admin, token)
        listed = [d for d in json.loads(body)["donations"] if d["id"] == donation["id"]] \
            if status == 200 else []
        if listed:
            break
        time.sleep(0.5)
    assert listed and listed[0]["amount_cents"] == 500 and listed[0]["state"] == "approved"

    # The QR, as a phone reads it off the screen, opens a receipt the server accepts.
    [url] = decode_qr(report["shots"]["thanks"])
    assert url.startswith(f"http://127.0.0.1:{api_port}/r/demo-kiosk/{donation['id']}?")
    status, page = get(url)
    assert status == 200 and "Reçu valide" in page.decode()
    status, _ = get(url.replace("amount=500", "amount=50000"))
    assert status == 400
