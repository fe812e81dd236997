"""A pledge page on a phone, in a real browser: Debian's chromium, headless, driven by
Selenium against Django's live server (real HTTP). A person opens the page a kiosk's QR code
leads to, sends the form (a wrong address first: a plain error beside the field), reads the
confirmation link in the email (Django's locmem backend, in this process), confirms, and sees
the count move; the third confirmation reaches the threshold. Every page is saved at phone
(390×844) and desktop (1440×900) size in $BACKOFFICE_SCREENSHOTS.
Run per database by test_backoffice_browser.py."""

from __future__ import annotations

import datetime as dt
import re

from django.core import mail
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from central.catalog.models import Association, Project
from central.engagement.models import Pledge, PledgeSignature
from tests.central.cases.backoffice_browser import BrowserPages
from tests.helpers.chromium import click_and_load

LINK = re.compile(r"https?://\S+/e/confirm/[A-Za-z0-9_-]+")


class PledgeBrowserTests(BrowserPages):
    def setUp(self) -> None:
        association = Association.objects.create(name="Quartier Zéro Déchet")
        project = Project.objects.create(project_id="compost", association=association,
                                         title="Un composteur pour le square", summary="s")
        self.pledge = Pledge.objects.create(
            project=project, commitment="Je trie mes biodéchets", threshold=3,
            deadline=timezone.localdate() + dt.timedelta(days=30),
            outcome="La mairie installe un deuxième composteur rue des Capucins.")
        # Two neighbours have pledged and confirmed already.
        for n in range(2):
            PledgeSignature.objects.create(pledge=self.pledge, email=f"n{n}@example.org",
                                           token_sha256=f"{n}" * 64,
                                           confirmed_at=timezone.now())

    def text(self, element_id: str) -> str:
        return self.driver.find_element(By.ID, element_id).text

    def submit(self, button_id: str) -> None:
        # The answer replaced this page (Chromium may report the old page's node as stale or
        # as "not in the document": click_and_load takes both), then it is parsed whole.
        click_and_load(self.driver, self.driver.find_element(By.ID, button_id))
        WebDriverWait(self.driver, 15).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete")

    def test_sign_confirm_from_the_email_and_see_the_count(self) -> None:
        self.open(self.pledge.get_absolute_url())
        self.assertEqual(self.text("commitment"), "Je trie mes biodéchets")
        self.assertEqual(self.text("count"), "2 / 3")
        label = self.driver.find_element(By.CSS_SELECTOR, "label[for=id_email]")
        self.assertTrue(label.text.startswith("E-mail"), label.text)
        self.shoot("pledge")

        self.driver.find_element(By.ID, "id_email").send_keys("camille@")
        self.submit("sign")
        self.assertIn("Saisissez une adresse e-mail valide",
                      self.driver.find_element(By.CLASS_NAME, "errorlist").text)
        self.shoot("pledge-error", reload=False)

        field = self.driver.find_element(By.ID, "id_email")
        field.clear()
        field.send_keys("camille@example.org")
        self.driver.find_element(By.ID, "id_first_name").send_keys("Camille")
        self.submit("sign")
        self.assertEqual(self.text("sent"), "Regardez vos e-mails")
        self.shoot("pledge-sent", reload=False)
        self.assertEqual(self.text("count"), "2 / 3", "not counted before the link")

        [message] = mail.outbox
        self.assertEqual(message.to, ["camille@example.org"])
        link = LINK.search(message.body)
        self.assertIsNotNone(link, message.body)
        self.open(link.group(0))
        self.shoot("pledge-confirm")
        self.submit("confirm")
        self.assertEqual(self.text("status"), "Compté")
        self.assertEqual(self.text("count"), "3 / 3")
        self.assertEqual(self.text("reached"), "Objectif atteint !")
        self.assertTrue(self.driver.find_element(By.ID, "just-reached").is_displayed())
        self.shoot("pledge-confirmed", reload=False)
        # The two who had confirmed and Camille are told, once each.
        told = [m for m in mail.outbox if "Objectif atteint" in m.subject]
        self.assertEqual(sorted(m.to[0] for m in told),
                         ["camille@example.org", "n0@example.org", "n1@example.org"])

    def test_an_english_phone_reads_the_page_and_its_error_in_english(self) -> None:
        self.language("en-GB,en")
        try:
            self.open(self.pledge.get_absolute_url())
            self.assertEqual(self.driver.find_element(By.TAG_NAME, "h2").text, "I pledge")
            label = self.driver.find_element(By.CSS_SELECTOR, "label[for=id_email]")
            self.assertTrue(label.text.startswith("Email"), label.text)
            self.assertEqual(self.text("sign"), "Send me the link")
            self.shoot("pledge-en")
            self.driver.find_element(By.ID, "id_email").send_keys("camille@")
            self.submit("sign")
            self.assertIn("Enter a valid email address, like name@example.org.",
                          self.driver.find_element(By.CLASS_NAME, "errorlist").text)
            self.shoot("pledge-en-error", reload=False)
        finally:
            self.language("fr-FR,fr")
