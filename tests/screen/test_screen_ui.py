"""The real kiosk app in a real offscreen window (SDL2 + Mesa), driven by touch events.

Each scenario runs tests/screen/ui_driver.py in its own process (Kivy has one Window per process),
against a real ledger file, the real bridge service and the terminal simulator on a real
pseudo-terminal; the ledger, the bridge's journal and the simulator's acquirer record are
compared. Terminal faults start on cue once the screen has seen the terminal answer
(tests/screen/ui_driver.py ``fault_on_cue``). One case uses the ScriptedPort stand-in
(tests/screen/screen_fixtures.py): a cancel tapped while the bridge is still connecting, a window
the real bridge keeps open only while it opens the device. Screenshots of every screen at the
three display sizes are taken under tmp_path (tests/helpers/screenshots.py: how to keep them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from kiosk.core import i18n, receipt
from kiosk.payment.outcomes import BRIDGE_OUTCOMES
from kiosk.screen.donor_messages import OUTCOME_MESSAGES, THANKS_NO_QR, THANKS_QR, THANKS_TITLE
from tests.helpers.screenshots import keep_screenshots
from tests.screen.ui_driver import RECEIPT_KEY

ROOT = Path(__file__).resolve().parents[2]
SIZES = ["800x480", "720x1280", "1920x1080"]


def drive(tmp_path: Path, scenario: str, size: str = "800x480", lang: str = "fr",
          *extra: str) -> dict:
    workdir = tmp_path / f"{scenario}-{size}-{lang}"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.screen.ui_driver", "--size", size, "--scenario", scenario,
         "--workdir", str(workdir), "--lang", lang, *extra],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=90)
    report_path = workdir / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    width, height = (int(v) for v in size.split("x"))
    if "--rotation" in extra and int(extra[extra.index("--rotation") + 1]) in (90, 270):
        width, height = height, width  # the panel turned: what the person sees
    for shot in report["shots"].values():
        assert Image.open(shot).size == (width, height)
    keep_screenshots(report["shots"].values())
    return report


def assert_one_journaled(report: dict, status: str) -> dict:
    """One donation in the ledger, one request in the bridge's journal with its reference."""
    [donation] = report["donations"]
    [entry] = report["journal"]
    assert entry["reference"] == donation["id"] and entry["state"] == "done"
    assert entry["outcome"]["status"] == status and entry["amount_cents"] == 500
    return donation


def decode_qr(shot: str | Image.Image) -> list[str]:
    """The QR codes in a screenshot (a file, or pixels read from an X server)."""
    import zxingcpp

    image = shot if isinstance(shot, Image.Image) else Image.open(shot)
    return [r.text for r in zxingcpp.read_barcodes(image)
            if r.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.mark.parametrize("size", SIZES)
def test_approved_donation_end_to_end(tmp_path, size):
    report = drive(tmp_path, "approved", size)
    assert report["shown"]["photo"], "on_shown came before the first slide had its photo"
    # The slides' QR codes are made after the first frame, not competing with it (start-up).
    assert not report["shown"]["qrcode_imported"]
    # The first frame already says giving is available (no « unavailable » flash at start).
    assert report["shown"]["available"] and report["shown"]["give_text"] == "Je donne"
    assert report["screens"] == ["amount", "payment", "thanks", "attract"]
    assert report["keypad_text"] == "12\xa0€"  # typed 1, 2 on the keypad
    # The preset was tapped twice: one donation, one request to the terminal, one approval.
    donation = assert_one_journaled(report, "approved")
    assert (donation["state"], donation["amount_cents"], donation["project_id"]) == \
        ("approved", 500, "proj-1")
    assert [(a["reference"], a["amount_cents"]) for a in report["acquirer"]] == \
        [(report["journal"][0]["short_reference"], 500)]
    # The QR as a phone would see it on the screen: decoded from the screenshot.
    [url] = decode_qr(report["shots"]["thanks"])
    assert url == report["receipt_url"]
    signed = receipt.verify(url, RECEIPT_KEY)
    assert (signed.device_id, signed.donation_id, signed.amount_cents, signed.currency,
            signed.project_id) == ("kiosk-test-01", donation["id"], 500, "EUR", "proj-1")
    assert report["kiosk_status"]["out_of_service"] is None
    assert report["final_title"] == i18n.tr(THANKS_TITLE, "fr")
    assert report["final_body"] == i18n.tr(THANKS_QR, "fr")
    # The anonymous counts: the keypad detour (typed, then « Retour ») is neither a typed
    # amount nor an abandon; the double tap on the preset is one choice.
    counts = report["engagement"]
    assert counts.pop("proj-1 slide_shown") >= 1
    assert counts == {"proj-1 give_tapped": 1, "proj-1 amount_preset": 1,
                      "proj-1 payment_started": 1, "proj-1 payment_approved": 1}


def test_counts_that_cannot_be_written_change_nothing_of_the_gift(tmp_path):
    report = drive(tmp_path, "approved", "800x480", "fr", "--refuse-counts")
    assert report["screens"] == ["amount", "payment", "thanks", "attract"]
    donation = assert_one_journaled(report, "approved")
    assert donation["state"] == "approved"
    assert report["engagement"] == {}  # every count refused, logged, and nothing else


def test_approved_in_english_without_receipt_key_shows_no_qr(tmp_path):
    report = drive(tmp_path, "approved", "800x480", "en", "--no-receipt-key")
    assert report["donations"][0]["state"] == "approved"
    assert report["receipt_url"] == ""
    assert decode_qr(report["shots"]["thanks"]) == []  # never a broken QR
    assert report["keypad_text"] == "€12"
    assert report["final_body"] == THANKS_NO_QR


def assert_outcome_screen(report: dict, scenario: str) -> None:
    assert report["screens"] == ["amount", "payment", "outcome", "attract"]
    message = OUTCOME_MESSAGES[BRIDGE_OUTCOMES[scenario].shown]
    assert (report["final_title"], report["final_body"]) == \
        (i18n.tr(message.title, "fr"), i18n.tr(message.body, "fr"))


def test_rebuilding_the_amount_buttons_adds_no_binding(tmp_path):
    """Ten language changes rebuild the preset buttons ten times; no dropped button stays
    alive through a binding on the app, and the newest buttons still follow its ``scale``.
    (The app's total count of ``scale`` observers is not compared: the attract loop builds
    its slides, with their own kv bindings, on its own schedule meanwhile.)"""
    report = drive(tmp_path, "amount-rebuilds")
    assert len(report["rebuilt_labels"]) == 10
    assert report["rebuilt_labels"][0] != report["rebuilt_labels"][1]
    assert report["dropped_presets_alive"] == 0
    assert report["preset_font_sizes"] == [26.0] * 4  # KioskButton's size (widgets.kv)


def test_declined_by_the_terminal(tmp_path):
    report = drive(tmp_path, "declined")
    assert_outcome_screen(report, "declined")
    assert assert_one_journaled(report, "declined")["state"] == "declined"
    assert report["acquirer"] == []  # nothing taken


def test_lost_answer_is_unknown_and_says_money_may_be_taken(tmp_path):
    report = drive(tmp_path, "unknown")
    assert_outcome_screen(report, "unknown")
    assert assert_one_journaled(report, "unknown")["state"] == "unknown"
    assert len(report["acquirer"]) == 1  # the acquirer did take it: kept for reconciling


@pytest.mark.parametrize(("scenario", "detail"), [
    ("timeout", "the terminal did not answer ENQ"),  # the simulator's approve+silence
    ("link_error", "was disconnected"),  # its device gone after the screen saw it answer
])
def test_terminal_failures_say_no_money_was_taken(tmp_path, scenario, detail):
    report = drive(tmp_path, scenario)
    assert_outcome_screen(report, scenario)
    donation = assert_one_journaled(report, scenario)
    assert donation["state"] == "failed"
    assert donation["reason"].startswith(f"{scenario}: ") and detail in donation["reason"]
    assert report["journal"][0]["outcome"]["reason"] in donation["reason"]
    assert report["acquirer"] == []  # nothing taken


@pytest.mark.parametrize("size", ["720x1280", "1920x1080"])
def test_longest_outcome_text_fits_other_sizes(tmp_path, size):
    report = drive(tmp_path, "unknown", size)
    assert report["donations"][0]["state"] == "unknown"


def test_cancel_button_cancels_once(tmp_path):
    # Stand-in: the real bridge is cancellable only while it opens the terminal's device
    # (reopen_timeout, 1 s in the test bridge), too short a window to tap on cue.
    report = drive(tmp_path, "cancelled", "800x480", "fr", "--port", "scripted")
    [donation] = report["donations"]
    assert donation["state"] == "cancelled"
    assert report["cancel_calls"] == [donation["id"]]  # tapped twice, sent once
    assert report["final_body"] == "Aucun montant n’a été débité."
    assert {k: n for k, n in report["engagement"].items() if "slide_shown" not in k} == {
        "proj-1 give_tapped": 1, "proj-1 amount_preset": 1, "proj-1 payment_started": 1,
        "proj-1 abandoned_cancel": 1}


@pytest.mark.parametrize("size", SIZES)
def test_terminal_absent_keeps_rotating_but_takes_no_payment(tmp_path, size):
    report = drive(tmp_path, "unavailable", size)
    assert report["screens"] == ["attract"]  # the call to action did nothing
    assert report["donations"] == [] and report["journal"] == []
    assert report["kiosk_status"]["out_of_service"].startswith("terminal")
    assert report["kiosk_status"]["terminal"]["connected"] is False


def test_no_way_out_for_a_customer(tmp_path):
    report = drive(tmp_path, "locked")
    assert report["still_running"] and not report["settings_panel_open"]
    assert report["show_cursor"] == "0"
    assert report["input"] == {"touchscreen": "probesysfs,provider=mtdev"}  # no mouse dots
    assert report["kivy_home_files"] == []  # no config.ini, no logs: nothing of the user's
    # Offline from the central API: a discreet word, and giving still works.
    assert report["offline_text"] == "Hors ligne" and report["available_offline"]


def test_a_donation_left_pending_by_a_crash_is_recovered_from_the_bridge(tmp_path):
    # The previous run of the kiosk died after the terminal approved 7 EUR: the ledger says
    # pending, the bridge's journal says approved. The screen asks, records, never pays again.
    report = drive(tmp_path, "recover")
    [donation] = report["donations"]
    assert donation["id"] == report["recover_id"]
    assert donation["state"] == "approved" and donation["amount_cents"] == 700
    [entry] = report["journal"]
    assert entry["reference"] == donation["id"] and entry["outcome"]["status"] == "approved"
    assert len(report["acquirer"]) == 1  # charged once
    assert report["screens"] == ["attract"]  # nothing shown to the customer for it


def test_screen_counts_as_shown_without_a_first_photo_that_never_decodes(tmp_path):
    # The first project's photo is a FIFO nobody writes to: its decode blocks. systemd must
    # still hear READY (on_shown) after the time limit, with the slide shown without it.
    report = drive(tmp_path, "slow-photo")
    shown = report["shown"]
    assert shown["photo"] is False
    assert shown["limit_s"] >= 1 and shown["limit_s"] <= shown["after_s"] < shown["limit_s"] + 10


@pytest.mark.parametrize("rotation", [90, 270])
def test_rotated_display_lays_out_upright_and_takes_the_panels_touches(tmp_path, rotation):
    # The 7" 800x480 panel mounted portrait (screen.rotation). Touches come in the panel's own
    # orientation, as its digitizer reports them, and Kivy turns them (tests/screen/ui_driver.py).
    report = drive(tmp_path, "approved", "800x480", "fr", "--rotation", str(rotation))
    assert report["shown"]["portrait"] is True
    assert report["screens"] == ["amount", "payment", "thanks", "attract"]
    donation = assert_one_journaled(report, "approved")
    assert (donation["state"], donation["amount_cents"]) == ("approved", 500)
    [url] = decode_qr(report["shots"]["thanks"])  # the turned screenshot, read upright
    assert f"/r/kiosk-test-01/{donation['id']}?v=2&amount=500&currency=EUR" in url


@pytest.mark.parametrize("size", SIZES)
def test_donor_chooses_the_project_and_the_bar_moves_offline(tmp_path, size):
    report = drive(tmp_path, "choose", size)
    choose = report["choose"]
    # A swipe and the arrows move through the projects; the loop waits for the donor.
    assert choose["ids"] == ["proj-1", "proj-2", "proj-3", "proj-2"]
    assert choose["paused"] is True
    # The grid is one tap away; a project there is given to in two more taps.
    assert choose["amount_title"] == "Restaurer le vieux lavoir"
    [gift] = [d for d in report["donations"] if d["state"] == "approved"]
    assert (gift["project_id"], gift["amount_cents"]) == ("proj-4", 500)
    # Offline, nothing synced: the bar moves from before the gift to the goal.
    start, end, shown = choose["bar"]
    assert start == pytest.approx(1 - 300 / 450000) and end == 1.0 and shown == end
    assert choose["goal_text"] == "Objectif atteint, merci !"
    assert choose["supporter_text"] == "Vous êtes le 48ᵉ soutien de ce projet"
    assert choose["back_on"] == "proj-4"
    assert choose["slide_text"] == "Objectif atteint, merci !"
