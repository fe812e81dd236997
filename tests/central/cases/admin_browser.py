"""The Django admin pages of the back office in a real browser (Debian's chromium, headless,
Selenium, Django's live server): an association signs in and reads its sponsors' list and a
sponsor's form in French, then the index in English; every page is saved at phone (390×844)
and desktop (1440×900) size in $BACKOFFICE_SCREENSHOTS.
Run per database by test_backoffice_browser.py."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from selenium.webdriver.common.by import By

from central.accounts.models import Membership
from central.catalog.models import Association, Project
from central.sponsors.models import Sponsor
from tests.central.cases.backoffice import staff
from tests.central.cases.backoffice_browser import BrowserPages


class AdminBrowserTests(BrowserPages):
    # A live-server case empties the tables after each test: the role groups' permissions,
    # made by migrations, are restored for the next one.
    serialized_rollback = True

    def setUp(self) -> None:
        own = Association.objects.create(name="Jardins partagés du quartier Saint-Michel")
        other = Association.objects.create(name="École du quartier")
        garden = Project.objects.create(project_id="p1", association=own,
                                        title="Jardin partagé", summary="s")
        canteen = Project.objects.create(project_id="p2", association=other,
                                         title="Cantine solidaire", summary="s")
        last_day = timezone.localdate() + dt.timedelta(days=30)
        self.sponsor = Sponsor.objects.create(
            project=garden, name="la boulangerie Martin et fils, rue des Capucins",
            text="Chaque don doublé, jusqu'à 500 €", budget_cents=50_000,
            matched_cents=12_350, ends_on=last_day)
        Sponsor.objects.create(project=canteen, name="la pharmacie du marché",
                               text="Chaque don doublé", budget_cents=20_000, ends_on=last_day)
        staff("assoc1", Membership.ASSOCIATION, association=own)
        staff("netadmin", Membership.NETWORK_ADMIN)
        self.garden = garden

    def body(self) -> str:
        # Lower case: the admin's column titles are upper-cased by its style sheet.
        text = self.driver.find_element(By.TAG_NAME, "body").text
        return text.replace("\u00a0", " ").replace("\u202f", " ").lower()

    def test_an_association_reads_its_sponsors_in_french_and_english(self) -> None:
        self.sign_in("assoc1")
        self.open("/backoffice/sponsors/sponsor/")
        body = self.body()
        # The product's name, the app's and the columns' in French; only its own sponsor.
        for shown in ("bornes de dons — gestion", "parrains abondeurs", "budget restant",
                      "dernier jour", "abondé", "la boulangerie martin", "123,50"):
            self.assertIn(shown, body)
        for english in ("Django", "Matching sponsors", "budget left", "last day"):
            self.assertNotIn(english, body)
        # Neither another association's sponsor nor its name in the filter.
        self.assertNotIn("pharmacie", body)
        self.assertNotIn("école du quartier", body)
        self.shoot("admin-sponsors-association")
        self.click_and_load(self.driver.find_element(By.LINK_TEXT, self.sponsor.name))
        labels = [e.text.replace("\u00a0", " ")
                  for e in self.driver.find_elements(By.CSS_SELECTOR, "form label")]
        for label in ("Projet :", "Nom :", "Texte :", "Budget (centimes, EUR) :",
                      "Dernier jour :"):
            self.assertIn(label, labels)
        self.assertIn("par exemple « la boulangerie martin »", self.body())
        self.shoot("admin-sponsor-form-association")

        self.open("/backoffice/")
        for shown in ("parrains abondeurs", "bénévolat et engagements", "catalogue",
                      "données des associations"):
            self.assertIn(shown, self.body())
        self.shoot("admin-index-association")
        self.driver.add_cookie({"name": "django_language", "value": "en"})
        self.open("/backoffice/sponsors/sponsor/")
        for shown in ("kiosk back office", "matching sponsors", "budget left", "€123.50"):
            self.assertIn(shown, self.body())
        self.shoot("admin-sponsors-association-english")

    def test_a_network_admin_reads_every_app_and_a_project_in_french(self) -> None:
        self.sign_in("netadmin")
        self.open("/backoffice/")
        body = self.body()
        for shown in ("rôles", "bornes", "catalogue", "dons", "parrains abondeurs",
                      "bénévolat et engagements", "commerces", "projets"):
            self.assertIn(shown, body)
        for english in ("roles", "kiosks", "catalog", "donations", "shops", "projects"):
            self.assertNotIn(english, body.split())
        self.shoot("admin-index-network")
        self.open(f"/backoffice/catalog/project/{self.garden.pk}/change/")
        labels = [e.text.replace("\u00a0", " ")
                  for e in self.driver.find_elements(By.CSS_SELECTOR, "form label")]
        for label in ("Identifiant :", "Association :", "Titre :", "Résumé :",
                      "Objectif (centimes) :", "Affiché sur les bornes", "Photo :"):
            self.assertIn(label, labels)
        self.assertIn("fait dans la gestion", self.body())
        self.shoot("admin-project-form-network")
