"""The engagement page in a real browser: Debian's chromium, headless, driven by Selenium
through chromedriver, against Django's live server (real HTTP). An association and a network
admin sign in with the form and read their funnel; the page is saved at phone (390×844) and
desktop (1440×900) size in $BACKOFFICE_SCREENSHOTS. Run per database by
test_insights_pages.py."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone
from selenium.webdriver.common.by import By

from central.accounts.models import Membership
from central.catalog.models import Association, Project, Shop, ShopProject
from central.insights.counters import COUNTERS
from kiosk.core.funnel import hour_of
from tests.central.cases.backoffice_browser import BrowserPages
from tests.central.cases.backoffice_pages import Kiosk, staff


class InsightsBrowserTests(BrowserPages):
    def setUp(self) -> None:
        a1 = Association.objects.create(name="Jardins partagés du canal Saint-Martin")
        self.a2 = Association.objects.create(name="École du quartier")
        projects = [Project.objects.create(project_id=f"p{n}", association=a, title=t,
                                           summary="s")
                    for n, (a, t) in enumerate([(a1, "Un potager pour le quartier"),
                                                (a1, "Restaurer le vieux lavoir"),
                                                (self.a2, "Cantine solidaire")])]
        shops = [Shop.objects.create(name=n, town=t) for n, t in (
            ("Café des Capucins", "Lyon"), ("Salon Rive Gauche", "Saint-Genis-les-Ollières"),
            ("Boulangerie de la Gare", "Lyon"))]
        for shop in shops:
            for project in projects:
                ShopProject.objects.create(shop=shop, project=project)
        client = Client()
        now = timezone.now()
        for s, shop in enumerate(shops):
            kiosk = Kiosk(client, f"kiosk-{s}", shop)
            rows = []
            for h in range(2, 80, 7):  # a few days of opening hours
                hour = hour_of(now - dt.timedelta(hours=h))
                for p, project in enumerate(projects):
                    shown = 30 + 11 * s + 7 * p + h % 13
                    give = shown // (6 + p + s)
                    chosen = give * 3 // 4
                    approved = chosen * 4 // 5
                    for counter, n in (("slide_shown", shown), ("give_tapped", give),
                                       ("amount_preset", chosen - chosen // 4),
                                       ("amount_custom", chosen // 4),
                                       ("payment_started", chosen),
                                       ("payment_approved", approved),
                                       ("abandoned_back", give - chosen),
                                       ("abandoned_cancel", chosen - approved),
                                       ("participate_tapped", p)):
                        rows.append({"hour": hour, "project_id": project.project_id,
                                     "counter": counter, "count": n})
            kiosk.beat(engagement=rows)
        staff("netadmin", Membership.NETWORK_ADMIN)
        staff("assoc1", Membership.ASSOCIATION, association=a1)

    def test_associations_and_the_network_read_their_funnel(self) -> None:
        self.sign_in("assoc1")
        self.click_and_load(self.driver.find_element(By.LINK_TEXT, "Engagement"))
        self.assertEqual(self.heading(), "L’engagement aux bornes")
        rows = self.driver.find_elements(By.CSS_SELECTOR, "table.funnel tbody tr")
        self.assertEqual([r.find_element(By.TAG_NAME, "th").text for r in rows],
                         ["Diapositives affichées", "« Je donne » touché", "Montant choisi",
                          "Paiement lancé", "Don accepté"])
        projects = self.driver.find_elements(
            By.CSS_SELECTOR, "section[aria-labelledby=projects-title] tbody th")
        self.assertEqual(sorted(p.text for p in projects),
                         ["Restaurer le vieux lavoir", "Un potager pour le quartier"])
        # Every control has its label, and the association choice is not offered.
        for field in self.driver.find_elements(By.CSS_SELECTOR, "form.filters input"):
            label = self.driver.find_element(By.CSS_SELECTOR,
                                             f"label[for='{field.get_attribute('id')}']")
            self.assertTrue(label.text)
        self.assertEqual(self.driver.find_elements(By.ID, "id_association"), [])
        self.shoot("insights-association")
        # Another association's id in the URL: as if it did not exist.
        self.open(f"/backoffice/insights/?association={self.a2.pk}")
        self.assertIn("Not Found", self.driver.page_source)
        # The CSV link carries the page's choice; the file itself is checked by the cases.
        self.open("/backoffice/insights/")
        link = self.driver.find_element(By.CSS_SELECTOR, "a[href*='export.csv']")
        self.assertTrue(link.get_attribute("download") is not None)
        answer = Client()
        answer.login(username="assoc1", password="pw")
        text = b"".join(answer.get(link.get_attribute("href").replace(
            self.live_server_url, "")).streaming_content).decode()
        self.assertEqual(text.splitlines()[0].split(","),
                         ["hour_utc", "shop", "town", "association", "project_id",
                          "project", *COUNTERS])
        self.assertNotIn("École du quartier", text)

        self.sign_in("netadmin")
        self.open("/backoffice/insights/")
        shops = self.driver.find_elements(By.CSS_SELECTOR,
                                          "section[aria-labelledby=shops-title] tbody th")
        self.assertEqual(len(shops), 3)
        towns = self.driver.find_elements(By.CSS_SELECTOR,
                                          "section[aria-labelledby=towns-title] tbody th")
        self.assertEqual(sorted(t.text for t in towns), ["Lyon", "Saint-Genis-les-Ollières"])
        self.shoot("insights-admin")
        # The town filter, labelled like the other controls: one town's shops only.
        label = self.driver.find_element(By.CSS_SELECTOR, "label[for=id_town]")
        self.assertEqual(label.text, "Ville")
        self.driver.find_element(By.CSS_SELECTOR, "#id_town option[value=Lyon]").click()
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR,
                                                     "form.filters button[type=submit]"))
        shops = self.driver.find_elements(By.CSS_SELECTOR,
                                          "section[aria-labelledby=shops-title] tbody th")
        self.assertEqual(sorted(s.text for s in shops),
                         ["Boulangerie de la Gare", "Café des Capucins"])
        self.shoot("insights-admin-lyon")
        self.driver.find_element(By.CSS_SELECTOR, "#language option[value=en]").click()
        self.click_and_load(self.driver.find_element(By.CSS_SELECTOR, "form.lang button"))
        self.assertEqual(self.heading(), "Engagement at the kiosks")
        self.shoot("insights-admin-english")
