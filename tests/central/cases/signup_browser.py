"""A volunteer ask's sign-up page in a real browser: Debian's chromium, headless, driven by
Selenium against Django's live server (real HTTP). A person opens the page a kiosk's QR code
leads to, in French then in English (Chromium's Accept-Language), sends the form with
mistakes (a plain error beside each field, linked to it), signs up and sees the count move;
someone else takes the last place while a second person fills the form, who is then told the
ask is full. The association sees who signed up in the back office; another association is
refused that page by URL. Every page is saved at phone (390×844) and desktop (1440×900) size
in $BACKOFFICE_SCREENSHOTS. Run per database by test_backoffice_browser.py."""

from __future__ import annotations

import datetime as dt
from importlib import import_module

from django.apps import apps as django_apps
from django.contrib.auth.models import User
from django.utils import timezone
from selenium.webdriver.common.by import By

from central.accounts.models import Membership
from central.accounts.roles import setup_role_groups
from central.catalog.models import Association, Project
from central.engagement import services
from central.engagement.models import Ask, Signup
from tests.central.cases.backoffice_browser import BrowserPages

FIELDS = ("id_first_name", "id_contact")


class SignupBrowserTests(BrowserPages):
    def setUp(self) -> None:
        association = Association.objects.create(name="Les Mains Vertes")
        other = Association.objects.create(name="École du quartier")
        project = Project.objects.create(project_id="jardin", association=association,
                                         title="Un jardin partagé", summary="s")
        starts = timezone.localtime() + dt.timedelta(days=9)
        self.ask = Ask.objects.create(
            project=project, what="Planter les bulbes du square",
            starts_at=starts.replace(hour=10, minute=0, second=0, microsecond=0),
            place="Square des Capucins", duration_minutes=150, needed=3)
        Signup.objects.create(ask=self.ask, first_name="Lou", email="lou@example.org")
        # The role groups are migration data, which a live-server test case's flush empties.
        setup_role_groups(django_apps)
        import_module("central.engagement.migrations.0002_role_permissions").grant(
            django_apps, None)
        for name, scope in (("assoc1", association), ("assoc2", other)):
            user = User.objects.create_user(name, password="pw", is_staff=True)
            Membership.objects.create(user=user, role=Membership.ASSOCIATION,
                                      association=scope)
        self.language("fr-FR,fr")

    # -- helpers -----------------------------------------------------------------------------

    def text(self, element_id: str) -> str:
        return self.driver.find_element(By.ID, element_id).text

    def fill(self, first_name: str, contact: str) -> None:
        for field_id, value in zip(FIELDS, (first_name, contact), strict=True):
            field = self.driver.find_element(By.ID, field_id)
            field.clear()
            field.send_keys(value)

    def send(self) -> None:
        self.click_and_load(self.driver.find_element(By.ID, "sign-up"))

    def error_of(self, field_id: str) -> str:
        """The field's error, found through its aria-describedby as a screen reader finds it
        ("" when the field has none)."""
        field = self.driver.find_element(By.ID, field_id)
        described = (field.get_attribute("aria-describedby") or "").split()
        errors = [self.driver.find_element(By.ID, i).text for i in described
                  if "errorlist" in (self.driver.find_element(By.ID, i)
                                     .get_attribute("class") or "")]
        if errors:
            self.assertEqual(field.get_attribute("aria-invalid"), "true")
        return " ".join(errors)

    def assert_labelled(self) -> None:
        for field_id in FIELDS:
            label = self.driver.find_element(By.CSS_SELECTOR, f"label[for={field_id}]")
            self.assertTrue(label.text.strip(), field_id)

    # -- the walk ----------------------------------------------------------------------------

    def test_sign_up_see_the_count_then_full_and_the_back_office(self) -> None:
        url = self.ask.get_absolute_url()
        self.open(url)
        self.assertEqual(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
                         "fr")
        self.assertEqual(self.heading(), "Planter les bulbes du square")
        self.assertEqual(self.text("where"), "Square des Capucins")
        self.assertEqual(self.text("duration"), "2 h 30")
        self.assertRegex(self.text("when"), r"^[a-z]+ \d{1,2} [a-zéû]+, 10:00$")
        self.assertEqual(self.text("count"), "1 / 3 bénévoles")
        self.assert_labelled()
        self.shoot("signup")

        # Mistakes: an empty first name and half an email, each told beside its field.
        self.fill("", "camille@")
        self.send()
        self.assertEqual(self.error_of("id_first_name"), "Saisissez votre prénom.")
        self.assertEqual(self.error_of("id_contact"),
                         "Saisissez une adresse e-mail ou un numéro de téléphone.")
        self.assertEqual(self.driver.switch_to.active_element.get_attribute("id"),
                         "id_first_name", "the first field in error has the focus")
        self.shoot("signup-errors", reload=False)
        self.fill("Camille", "06 12")  # too short for a phone number
        self.send()
        self.assertEqual(self.error_of("id_first_name"), "")
        self.assertIn("numéro de téléphone", self.error_of("id_contact"))
        self.assertEqual(Signup.objects.count(), 1)

        self.fill("Camille", "camille@example.org")
        self.send()
        self.assertEqual(self.text("thanks"), "Merci, Camille !")
        self.assertEqual(self.text("count"), "2 / 3 bénévoles")
        self.shoot("signup-done", reload=False)
        self.open(url)
        self.assertEqual(self.text("count"), "2 / 3 bénévoles")

        # In English, Sam fills the form while someone else's phone takes the last place.
        self.language("en-GB,en")
        self.open(url)
        self.assertEqual(self.driver.find_element(By.TAG_NAME, "html").get_attribute("lang"),
                         "en")
        self.assertEqual(self.text("count"), "2 / 3 volunteers")
        self.assertEqual(self.driver.find_element(By.CSS_SELECTOR,
                                                  "label[for=id_contact]").text,
                         "Email or phone:")
        self.shoot("signup-en")
        self.fill("Sam", "+33 6 12 34 56 78")
        services.sign_up(self.ask.pk, "Noor", phone="0611223344")
        self.send()
        self.assertEqual(self.text("closed"), "No places left")
        self.assertEqual(self.text("count"), "3 / 3 volunteers")
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "form"), [])
        self.shoot("signup-full-en", reload=False)
        self.assertFalse(Signup.objects.filter(first_name="Sam").exists())
        self.language("fr-FR,fr")
        self.open(url)
        self.assertEqual(self.text("closed"), "Complet")
        self.assertEqual(self.driver.find_elements(By.TAG_NAME, "form"), [])
        self.shoot("signup-full")

        # The association sees who signed up; another association's user is refused.
        change = f"/backoffice/engagement/ask/{self.ask.pk}/change/"
        self.sign_in("assoc1")
        self.open(change)
        people = self.driver.find_element(By.ID, "signups-group").text
        for shown in ("Lou", "Camille", "camille@example.org", "Noor", "0611223344"):
            self.assertIn(shown, people)
        self.shoot("signup-backoffice")
        self.sign_in("assoc2")
        self.open(change)
        page = self.driver.find_element(By.TAG_NAME, "body").text
        self.assertNotIn("Camille", page)
        self.assertNotIn("Planter les bulbes", page)
        self.assertIn("n’existe pas", page)
        self.shoot("signup-backoffice-refused", reload=False)  # with its message
