"""A donor's promise kept end to end, every part real and in its own process: the central
service with its demo network (``central migrate``, ``central demo-network``, ``central
serve`` on 127.0.0.1, SQLite), a kiosk enrolled with the code it printed and brought up to
date by ``kiosk-sync --once`` (catalog and receipt key from the service), the terminal
simulator on a pseudo-terminal behind the bridge service, and the screen built as ``kiosk
--config FILE`` builds it, in an offscreen window, tapped through one donation. The QR is
read from the thank-you screenshot's pixels; Chromium opens it as the donor's phone would
and files the tax-receipt claim; the association signs in to the back office, validates and
issues it; the receipt's PDF, as emailed, carries every mention the law asks of it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from babel.numbers import format_currency
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from central.catalog.demo import DEMO_ASSOCIATIONS
from central.claims.words import amount_in_words
from kiosk.core import config as configmod
from kiosk.core.ledger import Ledger, Limits
from kiosk.ops import demo
from tests.helpers import chromium
from tests.helpers.screenshots import keep_screenshots
from tests.helpers.sent_mail import sent_messages
from tests.screen.test_screen_ui import decode_qr

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DONOR = {"id_name": "Léa Dupont-Étienne", "id_address": "3 place Sathonay\n69001 Lyon",
         "id_email": "lea@example.org"}


@pytest.fixture
def demo_network() -> Iterator[tuple[Path, Path, int]]:
    """The demo's services, without its sync loop: this test runs ``kiosk-sync --once``."""
    workdir = Path(tempfile.mkdtemp(prefix="kr-"))  # short: the bridge socket's path
    api_port = demo.free_port()
    cfg_path = demo.write_demo_config(workdir, f"http://127.0.0.1:{api_port}")
    cfg = configmod.load(cfg_path)
    Ledger.open(cfg.ledger_path, Limits.from_config(cfg)).close()
    (workdir / "logs").mkdir()
    children = demo.Children()
    try:
        for part in demo.demo_parts(workdir, cfg_path, api_port):
            if part.name == "sync":
                continue
            assert children.start(part, workdir / "logs"), \
                f"{part.name} failed: see {workdir / 'logs'}"
            if part.then is not None:
                part.then()
        yield workdir, cfg_path, api_port
    finally:
        children.stop_all()
        shutil.rmtree(workdir, ignore_errors=True)


def sync_once(cfg_path: Path) -> None:
    done = subprocess.run([str(BIN / "kiosk-sync"), "--config", str(cfg_path), "--once"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]


def tap_through_a_donation(cfg_path: Path, workdir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(SDL_AUDIODRIVER="dummy", KIVY_NO_ARGS="1", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "tests.screen.ui_driver", "--config", str(cfg_path),
         "--scenario", "approved-demo", "--size", "800x480", "--workdir", str(workdir)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    report_path = workdir / "report.json"
    assert report_path.exists(), proc.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert report["error"] is None, report["error"] + proc.stderr[-2000:]
    keep_screenshots(report["shots"].values(), "receipt-e2e")
    return report


def emailed_pdf(mail_dir: Path, number: str) -> bytes:
    """The PDF attached to the receipt's email, as the file backend wrote it."""
    for message in sent_messages(mail_dir):
        if number in message["Subject"]:
            [part] = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
            return part.get_payload(decode=True)
    raise AssertionError(f"no email for receipt {number} in {sorted(mail_dir.iterdir())}")


def flat(text: str) -> str:
    """Spaces of any width (babel's narrow no-break ones) and line ends as one space."""
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\xa0", " "))


def test_a_gift_tapped_on_the_kiosk_gets_its_tax_receipt(demo_network, tmp_path):
    workdir, cfg_path, api_port = demo_network
    base = f"http://127.0.0.1:{api_port}"
    sync_once(cfg_path)  # the catalog and its photos, from the central service
    report = tap_through_a_donation(cfg_path, tmp_path / "screen")
    [donation] = report["donations"]
    assert (donation["state"], donation["amount_cents"]) == ("approved", 500)
    sync_once(cfg_path)  # the donation reaches the central service
    cfg = configmod.load(cfg_path)
    ledger = Ledger.open(cfg.ledger_path, Limits.from_config(cfg))
    try:
        created_at = ledger.db.conn.execute("SELECT created_at FROM donations WHERE id = ?",
                                            (donation["id"],)).fetchone()[0]
    finally:
        ledger.close()
    [url] = decode_qr(report["shots"]["thanks"])  # as a phone reads it off the screen
    assert url.startswith(f"{base}/r/demo-kiosk/{donation['id']}?")

    shots = tmp_path / "web"
    shots.mkdir()
    driver = chromium.browser()
    driver.set_page_load_timeout(30)
    try:
        # The donor, on their phone: the receipt page, then the claim.
        driver.get(url)
        page = driver.find_element(By.TAG_NAME, "main").text
        assert "Reçu valide" in page and "5,00" in page
        # The project on the first slide belongs to one of the demo's two associations.
        [(association, about)] = [(name, about) for _login, name, about in DEMO_ASSOCIATIONS
                                  if name in page]
        for field, value in DONOR.items():
            driver.find_element(By.ID, field).send_keys(value)
        chromium.click_and_load(driver, driver.find_element(
            By.CSS_SELECTOR, "#claim-form button[type=submit]"))
        assert "/c/" in driver.current_url
        assert "Léa Dupont-Étienne" in driver.find_element(By.TAG_NAME, "main").text
        chromium.shoot(driver, shots, "receipt-e2e-claim-filed")

        # The association, in its back office: validate, then issue.
        driver.delete_all_cookies()
        driver.get(f"{base}/backoffice/sign-in/")
        username, password = demo.association_logins(workdir)[association]
        driver.find_element(By.ID, "id_username").send_keys(username)
        driver.find_element(By.ID, "id_password").send_keys(password)
        chromium.click_and_load(driver, driver.find_element(
            By.CSS_SELECTOR, "main button[type=submit]"))
        for action, said in (("validate", "validée"), ("issue", "émis")):
            driver.get(f"{base}/backoffice/claims/claim/")
            driver.find_element(By.CSS_SELECTOR, "input.action-select").click()
            Select(driver.find_element(By.NAME, "action")).select_by_value(action)
            chromium.click_and_load(driver, driver.find_element(
                By.CSS_SELECTOR, "button[name=index]"))
            messages = driver.find_element(By.CSS_SELECTOR, "ul.messagelist").text
            assert said in messages, messages
        number = re.search(r"\d{4}-\d{6}", messages).group(0)
        chromium.shoot(driver, shots, "receipt-e2e-claim-issued", reload=False)
    finally:
        driver.quit()
        keep_screenshots(sorted(shots.glob("*.png")), "web")

    pdf = tmp_path / "receipt.pdf"
    pdf.write_bytes(emailed_pdf(workdir / "sent-mail", number))
    text = flat(subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                               capture_output=True, text=True, check=True).stdout)
    gift_day = dt.datetime.fromisoformat(created_at.replace("Z", "+00:00")) \
        .astimezone(ZoneInfo("Europe/Paris")).date()
    mandatory = {
        "the association's name": f"Nom ou dénomination : {association}",
        "its address": f"Adresse : {about['address']}",
        "its object": f"Objet : {about['purpose']}",
        "the receipt number": f"Numéro d'ordre du reçu : {number}",
        "the donor's name": "Nom : Léa Dupont-Étienne",
        "the donor's address": "3 place Sathonay 69001 Lyon",
        "the amount in figures": flat(format_currency(5, "EUR", locale="fr")),
        "the amount in words": amount_in_words(500, "EUR"),
        "the date of the gift": format_date(gift_day, "long", locale="fr"),
        "the form": "numéraire",
        "the means": "carte bancaire",
        "the legal basis": "Article 200 du code général des impôts",
    }
    missing = {what: words for what, words in mandatory.items() if flat(words) not in text}
    assert not missing, f"missing from the receipt: {missing}\n{text}"
    assert number.startswith(f"{gift_day.year}-")
