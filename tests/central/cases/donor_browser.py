"""The donor's pages in a real browser (Debian's chromium, headless, Selenium), walked at
phone size as a donor's phone shows them: a receipt URL signed as a kiosk signs it (v2, by
kiosk.core.receipt), in transit then received, in French and in English (Chromium's
Accept-Language), a tampered one refused; a claim filed and one withdrawn; the association
validating claims and issuing the year's annual receipts in the back office; the annual
receipt's page. Each page is saved at 390×844 and 1440×900 in $BACKOFFICE_SCREENSHOTS.
Run per database by test_backoffice_browser.py."""

from __future__ import annotations

import json
from importlib import import_module

from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.test import Client
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from central.accounts.models import Membership
from central.accounts.roles import setup_role_groups
from central.catalog.models import Association, Project, Shop, ShopProject
from central.claims.models import AnnualReceipt, Claim
from central.devices import services as device_services
from kiosk.core.receipt import receipt_url
from tests.central.cases import backoffice_browser as backoffice
from tests.central.helpers import donation

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
DONATION_ID = "3f1c2b9e-8d7a-4c61-9e2f-5a4b3c2d1e0f"
OTHER_ID = "7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d"


class DonorBrowserTests(backoffice.BrowserPages):
    def setUp(self) -> None:
        self.association = Association.objects.create(
            name="Les Mains Vertes", address="12 rue des Capucins, 69001 Lyon",
            purpose="Jardins partagés et ateliers de quartier", registration="W691234567",
            signatory="Anne Martin, trésorière")
        project = Project.objects.create(project_id="jardin", association=self.association,
                                         title="Un jardin partagé",
                                         summary="Des bacs et des outils pour le quartier.")
        shop = Shop.objects.create(name="Café des Capucins")
        ShopProject.objects.create(shop=shop, project=project)
        self.client = Client()
        code = device_services.create_enrollment_code("cafe-01", shop=shop)
        enrolled = self.client.post("/v1/enroll", {"code": code, "device_id": "cafe-01"},
                                    content_type="application/json").json()
        self.token, self.key = enrolled["token"], enrolled["receipt_key"]
        # The role groups are migration data, which a live-server test case's flush empties.
        setup_role_groups(django_apps)
        import_module("central.claims.migrations.0002_role_permissions").grant(django_apps, None)
        user = User.objects.create_user("assoc1", password="pw", is_staff=True)
        Membership.objects.create(user=user, role=Membership.ASSOCIATION,
                                  association=self.association)
        self.language("fr-FR,fr")
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)

    # -- helpers -----------------------------------------------------------------------------

    def receipt(self, donation_id: str, amount: int) -> str:
        return receipt_url(self.live_server_url, self.key, "cafe-01", donation_id, amount,
                           "EUR", "jardin")

    def sync(self, seq: int, donation_id: str, amount: int) -> None:
        item = donation(seq, "jardin", amount, id=donation_id,
                        created_at="2026-11-20T10:00:00.000Z")
        r = self.client.post("/v1/devices/cafe-01/donations:batch",
                             json.dumps({"donations": [item]}),
                             content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {self.token}")
        self.assertEqual(r.json()["results"][0]["status"], "created")

    def text(self) -> str:
        return self.driver.find_element(By.TAG_NAME, "main").text

    def shoot(self, name: str, reload: bool = True) -> None:
        super().shoot(name, reload)
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)

    # -- the walk ----------------------------------------------------------------------------

    def test_a_donor_and_the_association_walk_their_pages(self) -> None:
        url = self.receipt(DONATION_ID, 1250)
        self.assertIn("v=2&", url)
        # Before the kiosk has sent the donation: valid, marked in transit.
        self.driver.get(url)
        for shown in ("Reçu valide", "12,50 €", "Un jardin partagé", "Les Mains Vertes",
                      "En cours de transmission"):
            self.assertIn(shown, self.text())
        self.shoot("donor-receipt-in-transit")
        # Tampered: plainly refused, nothing of the donation shown.
        self.driver.get(url.replace("amount=1250", "amount=9250"))
        self.assertIn("Reçu non valide", self.text())
        self.assertNotIn("12,50", self.text())
        self.shoot("donor-receipt-refused")
        # Received, in English from the phone's language.
        self.sync(1, DONATION_ID, 1250)
        self.language("en-GB,en")
        self.driver.get(url)
        for shown in ("Valid receipt", "€12.50", "Received", "Les Mains Vertes"):
            self.assertIn(shown, self.text())
        self.assertNotIn("In transit", self.text())
        self.shoot("donor-receipt-received-en")
        self.language("fr-FR,fr")
        self.driver.get(url)
        self.assertIn("Reçu : l'association a bien reçu votre don.", self.text())
        self.assertIn("Les trois champs sont nécessaires pour établir le reçu.", self.text())
        self.shoot("donor-claim-form")
        # The claim, typed on the phone.
        self.driver.find_element(By.ID, "id_name").send_keys("Léa Dupont-Étienne")
        self.driver.find_element(By.ID, "id_address").send_keys("3 place Sathonay\n69001 Lyon")
        self.driver.find_element(By.ID, "id_email").send_keys("lea@example.org")
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR,
                                                     "#claim-form button[type=submit]"))
        self.assertIn("/c/", self.driver.current_url)
        self.assertIn("Léa Dupont-Étienne", self.text())
        claim_page = self.driver.current_url
        self.shoot("donor-claim-confirmation")
        # Another gift's claim, withdrawn: deleted with what was typed.
        self.driver.get(self.receipt(OTHER_ID, 500))
        self.driver.find_element(By.ID, "id_name").send_keys("Max Retrait")
        self.driver.find_element(By.ID, "id_address").send_keys("1 rue Neuve, Lyon")
        self.driver.find_element(By.ID, "id_email").send_keys("max@example.org")
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR,
                                                     "#claim-form button[type=submit]"))
        self.click_and_load(self.driver.find_element(By.ID, "withdraw"))
        self.assertIn("Demande retirée", self.heading())
        # Never issued: nothing is kept, and the page says so (not the issued case's words).
        self.assertIn("Aucun reçu n'avait été émis.", self.text())
        self.assertNotIn("six ans", self.text())
        self.shoot("donor-claim-withdrawn", reload=False)
        self.assertFalse(Claim.objects.filter(name="Max Retrait").exists())

        # The association validates the claim, then issues 2026's annual receipts.
        self.sign_in("assoc1")
        self.driver.get(f"{self.live_server_url}/backoffice/claims/claim/")
        self.assertIn("Léa Dupont-Étienne", self.driver.find_element(By.TAG_NAME, "body").text)
        self.driver.find_element(By.CSS_SELECTOR, "input.action-select").click()
        Select(self.driver.find_element(By.NAME, "action")).select_by_value("validate")
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR,
                                                     "button[name=index]"))
        self.assertEqual(Claim.objects.get().status, Claim.VALIDATED)
        self.shoot("backoffice-claims-association")
        self.driver.get(f"{self.live_server_url}/backoffice/claims/claim/annual/")
        year = self.driver.find_element(By.ID, "id_year")
        year.clear()
        year.send_keys("2026")
        self.click_and_load(self.driver.find_element(By.ID, "issue-annual"))
        self.assertIn("2026-000001", self.driver.find_element(By.ID, "annual-receipts").text)
        self.shoot("backoffice-annual-receipts", reload=False)

        # The donor's annual receipt page, and their claim's page pointing at it.
        receipt = AnnualReceipt.objects.get()
        self.driver.delete_all_cookies()
        self.driver.get(f"{self.live_server_url}/c/annual/{receipt.token}")
        for shown in ("Votre reçu fiscal pour 2026", "2026-000001", "20 novembre 2026",
                      "12,50 €", "Léa Dupont-Étienne"):
            self.assertIn(shown, self.text())
        self.shoot("donor-annual-receipt")
        self.driver.get(claim_page)
        self.assertIn("2026-000001", self.text())
