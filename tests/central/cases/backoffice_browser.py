"""The back office in a real browser: Debian's chromium, headless, driven by Selenium through
chromedriver, against Django's live server (real HTTP). Each role signs in with the form,
walks its pages, and is refused another association's page by URL; every page is saved as
a screenshot at phone (390×844) and desktop (1440×900) size in $BACKOFFICE_SCREENSHOTS.
Run per database by test_backoffice_browser.py."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.test import Client
from django.utils import timezone
from selenium.webdriver.common.by import By

from central.accounts.models import Membership
from central.backoffice.selectors import history
from central.catalog.models import Association, Project, Shop, ShopProject
from central.devices import services as device_services
from central.devices.models import Device
from tests.central.cases.backoffice_pages import Kiosk, iso, staff
from tests.central.helpers import heartbeat
from tests.helpers import chromium
from tests.helpers.chromium import browser
from tests.sync.helpers import DEVICE_ID, open_ledger, write_config

BIN = Path(sys.executable).parent


class BrowserPages(StaticLiveServerTestCase):
    """One chromium for the class, signing in, waiting for pages, screenshots (no tests of its
    own: the engagement page's browser test uses it too)."""

    host = "127.0.0.1"

    @classmethod
    def setUpClass(cls) -> None:
        super().setUpClass()
        cls.shots = Path(os.environ["BACKOFFICE_SCREENSHOTS"])
        cls.shots.mkdir(parents=True, exist_ok=True)
        cls.driver = browser()
        cls.driver.set_page_load_timeout(30)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.driver.quit()
        super().tearDownClass()


    # -- helpers -----------------------------------------------------------------------------

    def open(self, url: str) -> None:
        """A path on the live server, or a whole URL (a link from an email)."""
        self.driver.get(url if url.startswith("http") else f"{self.live_server_url}{url}")

    def language(self, accept: str) -> None:
        """The phone's languages, as its browser sends them (Accept-Language)."""
        agent = self.driver.execute_script("return navigator.userAgent")
        self.driver.execute_cdp_cmd("Emulation.setUserAgentOverride",
                                    {"userAgent": agent, "acceptLanguage": accept})

    def sign_in(self, name: str) -> None:
        self.driver.delete_all_cookies()
        self.open("/backoffice/sign-in/")
        self.driver.find_element(By.ID, "id_username").send_keys(name)
        self.driver.find_element(By.ID, "id_password").send_keys("pw")
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR,
                                                     "main button[type=submit]"))

    def click_and_load(self, element: object) -> None:
        chromium.click_and_load(self.driver, element)

    def shoot(self, name: str, reload: bool = True) -> None:
        chromium.shoot(self.driver, self.shots, name, reload)

    def heading(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "h1").text


class BackofficeBrowserTests(BrowserPages):
    def setUp(self) -> None:
        a1 = Association.objects.create(name="Jardins partagés")
        self.a2 = Association.objects.create(name="École du quartier")
        p1 = Project.objects.create(project_id="p1", association=a1, title="Jardin partagé",
                                    summary="s")
        p2 = Project.objects.create(project_id="p2", association=self.a2,
                                    title="Cantine solidaire", summary="s")
        s1 = Shop.objects.create(name="Café des Capucins")
        s2 = Shop.objects.create(name="Salon Rive Gauche")
        for shop in (s1, s2):
            for project in (p1, p2):
                ShopProject.objects.create(shop=shop, project=project)
        client = Client()
        k1, k2 = Kiosk(client, "cafe-01", s1), Kiosk(client, "salon-01", s2)
        now = timezone.now()
        for n, (kiosk, project, cents, state) in enumerate([
                (k1, "p1", 500, "approved"), (k1, "p1", 1250, "approved"),
                (k1, "p2", 300, "approved"), (k1, "p1", 700, "declined"),
                (k1, "p1", 900, "unknown"), (k2, "p2", 2000, "approved"),
                (k2, "p2", 400, "cancelled")]):
            kiosk.give(project, cents, state, at=iso(now - dt.timedelta(hours=n + 1)))
        # A month of history for the chart: every 3 hours, a backlog that comes and goes.
        device = Device.objects.get(device_id="cafe-01")
        for h in range(30 * 24, 0, -3):
            device_services.record_heartbeat(
                device, heartbeat(backlog_count=(h // 3) % 7, oldest_unsynced_seq=None,
                                  disk_free_bytes=(2000 - h) << 20),
                now=now - dt.timedelta(hours=h))
        k1.beat(unknown_count=1, backlog_count=0, oldest_unsynced_seq=None, audit=[
            {"seq": 1, "at": iso(now), "boot_id": "b", "mono_ns": 1, "actor": "owner",
             "action": "featured_changed", "detail": {"projects": ["p2", "p1"]}}])
        Kiosk(client, "quiet-01", s2)
        staff("netadmin", Membership.NETWORK_ADMIN)
        staff("assoc1", Membership.ASSOCIATION, association=a1)
        staff("shop1", Membership.SHOP, shop=s1)
        staff("operator", Membership.OPERATOR)
        self.shop1 = s1

    # -- the walk ----------------------------------------------------------------------------

    def test_each_role_walks_its_pages(self) -> None:
        self.sign_in("operator")
        self.assertEqual(self.heading(), "Parc")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "tbody th[scope=row]")
        # Problems first: the unknown outcome, then the silent one, then the healthy one.
        self.assertEqual([r.text for r in rows], ["cafe-01", "quiet-01", "salon-01"])
        self.shoot("fleet-operator")
        self.click_and_load(self.driver.find_element(By.LINK_TEXT, "cafe-01"))
        self.assertEqual(self.heading(), "cafe-01")
        drawn = self.driver.execute_script(
            "return Chart.getChart('history-chart').data.datasets[0].data.length")
        self.assertEqual(drawn, len(history(Device.objects.get(device_id="cafe-01"))))
        self.assertGreater(drawn, 200)
        self.shoot("device-operator")
        self.driver.find_element(By.ID, "id_confirm").click()
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, "button.danger"))
        self.assertIn("cafe-01 est révoquée.",
                      self.driver.find_element(By.CSS_SELECTOR, ".messages").text)
        self.click_and_load(self.driver.find_element(
            By.CSS_SELECTOR, "form[action$=enrollment-code] button"))
        code = self.driver.find_element(By.CSS_SELECTOR, ".the-code code").text
        self.assertGreater(len(code), 6)
        self.shoot("device-new-code", reload=False)
        self.open("/backoffice/fleet/cafe-01/")  # shown once: not on the page any more
        self.assertEqual(self.driver.find_elements(By.CSS_SELECTOR, ".the-code"), [])

        self.sign_in("assoc1")
        self.assertEqual(self.heading(), "Dons")
        labels = [e.text for e in self.driver.find_elements(By.CSS_SELECTOR,
                                                            "tbody th[scope=row]")]
        self.assertEqual(labels, ["Jardin partagé"])
        self.shoot("money-association")
        self.open(f"/backoffice/money/associations/{self.a2.pk}/")
        self.assertIn("Not Found", self.driver.page_source)
        self.open("/backoffice/fleet/")
        self.assertIn("403", self.driver.page_source)

        self.sign_in("shop1")
        self.assertEqual(self.heading(), "Café des Capucins")
        self.shoot("shop-owner")
        self.click_and_load(self.driver.find_elements(By.CSS_SELECTOR, "a[href*='/print/']")[0])
        self.assertIn("Café des Capucins : dons de", self.heading())
        self.shoot("shop-print")

        self.sign_in("netadmin")
        self.open("/backoffice/money/?by=shop&period=day")
        self.shoot("money-admin-by-shop")
        self.open("/backoffice/fleet/")
        # English through the language form, kept for the session.
        self.driver.find_element(By.CSS_SELECTOR, "#language option[value=en]").click()
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, "form.lang button"))
        self.assertEqual(self.heading(), "Fleet")
        self.shoot("fleet-admin-english")
        self.open(f"/backoffice/shops/{self.shop1.pk}/")
        self.shoot("shop-admin-english")

    # -- reconciliation, down to a kiosk's ledger -----------------------------------------------

    def kiosk_command(self, *argv: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(BIN / argv[0]), "--config", str(self.kiosk_cfg.path),
                               *argv[1:]], capture_output=True, text=True, timeout=120)

    def unreconciled(self) -> int:
        return json.loads(self.kiosk_command("kioskctl", "status", "--json").stdout)[
            "unreconciled"]

    def test_an_unknown_outcome_is_resolved_and_reaches_the_kiosk(self) -> None:
        # A real kiosk: its own ledger file, enrolled with a code, and kiosk-sync --once
        # against this live server over HTTP.
        home = Path(os.environ["BACKOFFICE_SCREENSHOTS"]).parent / "kiosk"
        home.mkdir()
        self.kiosk_cfg = write_config(home, self.live_server_url)
        (home / "code").write_text(device_services.create_enrollment_code(
            DEVICE_ID, shop=self.shop1) + "\n")
        enrolled = self.kiosk_command("kioskctl", "enroll", "--code-file", str(home / "code"))
        self.assertEqual(enrolled.returncode, 0, enrolled.stderr)
        ledger = open_ledger(self.kiosk_cfg)
        self.addCleanup(ledger.close)
        lost = ledger.create_pending("p1", 1250, "EUR")
        ledger.finish(lost.id, "unknown", reason="answer lost after the card was presented")
        self.assertEqual(self.kiosk_command("kiosk-sync", "--once").returncode, 0)
        self.assertEqual(self.unreconciled(), 1)

        self.sign_in("operator")
        self.click_and_load(self.driver.find_element(By.LINK_TEXT, "Rapprochement"))
        self.assertEqual(self.heading(), "Rapprochement")
        waiting = self.driver.find_elements(By.CSS_SELECTOR, "#main .items li")
        self.assertEqual(len(waiting), 2)  # cafe-01's, and this kiosk's
        self.shoot("reconciliation-operator")
        # The acquirer's file: this payment (V2 reference form), and one we never saw.
        settlement = home / "remises.csv"
        settlement.write_text(
            "date,terminal_reference,amount,currency,auth_code\n"
            f"{lost.created_at[:10]},{lost.id.replace('-', '')[:10]},12.50,EUR,Z9Y8X7\n"
            f"{lost.created_at[:10]},abcdef0123,30.00,EUR,Q1W2E3\n")
        self.driver.find_element(By.ID, "id_file").send_keys(str(settlement))
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, "form.upload button"))
        self.assertEqual(self.heading(), "remises.csv")
        card = self.driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=unknown] li")
        self.assertIn(lost.id, card.text)
        self.assertIn("Z9Y8X7", card.text)
        self.assertIn("abcdef0123", self.driver.find_element(
            By.CSS_SELECTOR, "section[aria-labelledby=acquirer-only]").text)
        self.shoot("settlement-operator")  # reloads: find the card again
        card = self.driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby=unknown] li")
        self.click_and_load(card.find_element(By.CSS_SELECTOR, "button[value=approved]"))
        self.assertIn("cafe-test-01", self.driver.find_element(By.CSS_SELECTOR,
                                                                ".messages").text)
        self.open("/backoffice/reconciliation/")
        self.assertIn("en attente de son prochain signal de vie", self.driver.page_source)

        # The next round brings the decision to the ledger; kioskctl status stops counting
        # it; the round after tells the office that the kiosk applied it.
        self.assertEqual(self.kiosk_command("kiosk-sync", "--once").returncode, 0)
        self.assertEqual(self.unreconciled(), 0)
        self.assertEqual(self.kiosk_command("kiosk-sync", "--once").returncode, 0)
        self.open("/backoffice/reconciliation/")
        row = self.driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby="
                                                        "decisions-title] tbody tr")
        self.assertIn("operator", row.text)
        self.assertIn("appliquée", row.text)
        self.shoot("reconciliation-decided")
