"""The shop owner's settings in the real kiosk app, offscreen (SDL2 + Mesa), driven by touch.

Each scenario runs tests/owner/owner_ui_driver.py in its own process (one Kivy Window per process)
on a real ledger file; the payment side is the screen tests' ScriptedPort stand-in for the
bridge client. Screenshots of every settings screen at the three display sizes are taken under
tmp_path (tests/helpers/screenshots.py: how to keep them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kiosk.core import pin as pinmod
from kiosk.core.ledger import Ledger
from kiosk.screen.ui import theme
from kiosk.sync.enroll import enroll
from kiosk.sync.service import make_client
from tests.conftest import GENEROUS
from tests.helpers.screenshots import keep_screenshots
from tests.owner.test_owner_sync import run_kiosk_sync_once
from tests.sync.conftest import ENROLL_CODE, central, central_template  # noqa: F401 - fixtures
from tests.sync.helpers import DEVICE_ID, write_config

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["800x480", "720x1280", "1920x1080"]


def drive(tmp_path: Path, scenario: str, size: str = "800x480") -> tuple[dict, Path]:
    workdir = tmp_path / f"{scenario}-{size}"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.owner.owner_ui_driver", "--size", size,
         "--scenario", scenario,
         "--workdir", str(workdir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=150)
    report_path = workdir / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    for shot in report["shots"].values():
        assert Image.open(shot).size == tuple(int(v) for v in size.split("x"))
    keep_screenshots(report["shots"].values())
    return report, workdir / "data" / "kiosk.db"


def _audit(db: Path) -> list[tuple[str, dict]]:
    ledger = Ledger.open(db, GENEROUS)
    try:
        return [(a, json.loads(d)) for a, d in ledger.db.conn.execute(
            "SELECT action, detail FROM audit_log ORDER BY seq")]
    finally:
        ledger.close()


@pytest.mark.parametrize("size", SIZES)
def test_owner_tour_by_touch(tmp_path, size, central):  # noqa: F811
    report, db = drive(tmp_path, "tour", size)
    # the hidden gesture: a short press does nothing, a long one opens the PIN pad
    assert report["after_short_press"] == "attract"
    assert report["screens"][:2] == ["settings", "owner_home"]
    # wrong PINs: the first is forgiven, the second locks the pad, which ignores keys
    assert report["locks"] == [0, 2]
    assert report["ok_disabled_while_locked"] and report["pin_length_while_locked"] == 0
    assert report["keys_disabled_while_locked"]  # every key looks unusable, not only OK
    assert report["waited_s"] >= 1.0
    assert report["terminal_text"].startswith("Le terminal de paiement répond")
    assert report["today_text"] == "Dons aujourd’hui : 2 (10\xa0€)"
    assert report["backlog_text"] == "En attente d’envoi : 3 (15\xa0€)"
    assert report["attention"] == ["Dons au résultat inconnu : 1. L’opérateur doit les vérifier "
                                   "sur le relevé de la banque."]
    assert report["brightness"] == 90
    # featured: an ended project is refused with its reason; the order is the owner's
    assert "terminé le 2026-01-31" in report["refused"]
    assert report["draft"] == ["proj-5", "proj-2", "proj-3", "proj-4"]
    assert report["preview_first"] == "Des paniers pour l’hiver"
    # saving takes effect on the attract loop at once
    assert report["projects_after_save"] == report["draft"]
    assert report["attract_project"] == "proj-5"
    assert report["opens"] == "00:30"
    assert report["pay_calls"] == []  # nothing in the settings ever starts a payment
    # every button is at least one touch target (64 px at a 480 px short side) each way
    width, height = (int(v) for v in size.split("x"))
    smallest = theme.MIN_TARGET * theme.layout_scale(width, height) - 1
    small = {name: wh for name, wh in report["targets"].items() if min(wh) < smallest}
    assert len(report["targets"]) >= 14 and small == {}
    actions = _audit(db)
    assert [a for a, _ in actions] == [
        "pin_failed", "pin_failed", "settings_opened", "terminal_tested", "featured_changed",
        "opening_hours_changed", "brightness_changed", "language_changed", "pin_changed",
        "settings_closed"]
    detail = dict(actions)
    assert detail["featured_changed"]["after"] == report["draft"]
    assert detail["pin_failed"]["failures"] == 2 and detail["pin_failed"]["locked_for_s"] == 2
    assert detail["settings_closed"] == {"reason": "done"}
    ledger = Ledger.open(db, GENEROUS)
    try:
        assert pinmod.verify_pin("246810", ledger.get_setting("pin_hash"))  # changed on screen
        assert ledger.get_setting("featured_version") == 1
        assert ledger.get_setting("language") == "en"
        assert ledger.get_setting("opening_hours") == {"opens": "00:30", "closes": "00:00"}
    finally:
        ledger.close()
    if size == "800x480":  # once is enough for the network part
        featured_reaches_the_central_service(report, db, central)


def featured_reaches_the_central_service(report: dict, db: Path, central) -> None:  # noqa: F811
    """The tour's data directory, now served by the kiosk-sync command (its own process)
    against the central service on 127.0.0.1."""
    cfg = write_config(db.parent.parent, central.url)
    assert cfg.ledger_path == db
    ledger = Ledger.open(db, GENEROUS)
    try:
        client = make_client(cfg, None)
        enroll(cfg, ledger, ENROLL_CODE, client)
        client.close()
        done = run_kiosk_sync_once(cfg.path)
        assert done.returncode == 0, done.stderr
        assert central.store.featured(DEVICE_ID) == report["draft"]
        received = [r["action"] for r in central.store.audit_rows(DEVICE_ID)
                    if r["actor"] == "owner"]
        assert received == [a for a, _ in _audit(db)[:len(received)]]
        assert "featured_changed" in received and "pin_changed" in received
        assert ledger.db.conn.execute("SELECT count(*) FROM audit_log WHERE sent = 0"
                                      ).fetchone()[0] == 0
    finally:
        ledger.close()


@pytest.mark.parametrize("size", SIZES)
def test_idle_outside_opening_hours_wakes_on_touch(tmp_path, size):
    report, _db = drive(tmp_path, "idle", size)
    assert report["idle_backlight"] == "13"  # 5 % of 255: the low-power idle
    assert report["screens"] == ["owner_idle", "attract", "owner_idle"]
    assert report["step_after_wake"] == "attract"  # the waking touch started nothing
    assert report["dimmed_after_wake"] is False
    assert report["pay_calls"] == []


def test_settings_close_themselves_after_inactivity(tmp_path):
    report, db = drive(tmp_path, "timeout")
    # counted from the gesture's 3 s mark, a little before the pad is first seen drawn
    assert report["pad_closed_after_s"] >= 1.0
    assert report["closed_after_s"] >= 1.5
    assert _audit(db)[-2:] == [("settings_opened", {}), ("settings_closed",
                                                         {"reason": "inactivity"})]


def test_gesture_refused_while_a_donation_is_in_progress(tmp_path):
    report, db = drive(tmp_path, "donation")
    assert report["screens"] == ["amount"]
    assert _audit(db) == []
