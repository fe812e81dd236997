"""Pledges: one email counts once and only once confirmed from its mailbox; the threshold is
reached once and every confirmed pledger is mailed once (Django's locmem email backend);
the page is throttled; the back office is audited and scoped to the pledge's association;
signatures go with ``central prune-pledges``. Django's test client against the real views."""

from __future__ import annotations

import datetime as dt
import io
import re

from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from central.accounts.models import Membership
from central.catalog.models import Association, Project
from central.engagement.models import Pledge, PledgeSignature
from tests.central.cases.backoffice import staff

ADMIN = "/backoffice/"
LINK = re.compile(r"https?://\S+/e/confirm/([A-Za-z0-9_-]+)")


class PledgeTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.a1, cls.a2 = (Association.objects.create(name="Quartier Zéro Déchet"),
                          Association.objects.create(name="Autre Asso"))
        cls.p1 = Project.objects.create(project_id="compost", association=cls.a1,
                                        title="Composteur du square", summary="s")
        cls.p2 = Project.objects.create(project_id="ecole", association=cls.a2,
                                        title="Ecole", summary="s")
        cls.pledge = Pledge.objects.create(
            project=cls.p1, commitment="Je trie mes biodéchets", threshold=2,
            deadline=timezone.localdate() + dt.timedelta(days=30),
            outcome="La mairie installe un deuxième composteur.")
        cls.assoc1, cls.assoc2 = (
            staff(name, Membership.ASSOCIATION, association=a)
            for name, a in (("assoc1", cls.a1), ("assoc2", cls.a2)))

    def sign(self, email: str, first_name: str = "", lang: str = "fr") -> str | None:
        """Sign on the page; returns the token of the link mailed for it (None: the mail
        says the email already counts, with no link)."""
        before = len(mail.outbox)
        page = self.client.post(self.pledge.get_absolute_url(),
                                {"email": email, "first_name": first_name},
                                HTTP_ACCEPT_LANGUAGE=lang)
        self.assertEqual(page.status_code, 200, page.content[:2000])
        self.assertContains(page, 'id="sent"')
        self.assertEqual(len(mail.outbox), before + 1)
        found = LINK.search(mail.outbox[-1].body)
        return found.group(1) if found else None

    def confirm(self, token: str | None) -> dict:
        with self.captureOnCommitCallbacks(execute=True):
            page = self.client.post(f"/e/confirm/{token}")
        self.assertEqual(page.status_code, 200)
        return page.context

    def count(self) -> int:
        return PledgeSignature.objects.filter(pledge=self.pledge,
                                              confirmed_at__isnull=False).count()

    def test_an_email_counts_once_and_only_once_confirmed(self) -> None:
        page = self.client.get(self.pledge.get_absolute_url())
        self.assertContains(page, "0 / 2")
        self.assertContains(page, 'for="id_email"')
        first = self.sign("camille@example.org", "Camille")
        self.assertIsNotNone(first)
        self.assertIn("Confirmez votre engagement", mail.outbox[-1].subject)
        self.assertIn("Bonjour Camille,", mail.outbox[-1].body)
        self.assertEqual(self.count(), 0, "an unconfirmed email does not count")
        self.assertEqual(self.client.get(f"/e/confirm/{first}").status_code, 200)
        self.assertEqual(self.count(), 0, "opening the link (a mail scanner) does not count")
        # Signing again before confirming sends a new link; the old one no longer works.
        second = self.sign("Camille@Example.org ")
        self.assertEqual(self.client.post(f"/e/confirm/{first}").status_code, 404)
        self.assertEqual(self.client.get(f"/e/confirm/{first}").status_code, 404)
        done = self.confirm(second)
        self.assertEqual((done["count"], done["already"]), (1, False))
        again = self.confirm(second)
        self.assertEqual((again["count"], again["already"]), (1, True))
        # Signing once more: « already counts », and still one.
        self.assertIsNone(self.sign("camille@example.org"))
        self.assertIn("compte déjà", mail.outbox[-1].subject)
        self.assertEqual(self.count(), 1)
        self.assertEqual(PledgeSignature.objects.filter(pledge=self.pledge).count(), 1)

    def test_the_threshold_is_reached_once_and_every_pledger_is_told_once(self) -> None:
        camille, sam = self.sign("camille@example.org", "Camille"), self.sign("sam@example.org",
                                                                                lang="en")
        lou = self.sign("lou@example.org", "Lou")
        self.assertFalse(self.confirm(camille)["just_reached"])
        sent = len(mail.outbox)
        done = self.confirm(sam)
        self.assertTrue(done["just_reached"])
        told = mail.outbox[sent:]
        self.assertEqual(sorted(m.to[0] for m in told), ["camille@example.org",
                                                         "sam@example.org"])
        by_person = {m.to[0]: m for m in told}
        self.assertIn("Objectif atteint", by_person["camille@example.org"].subject)
        self.assertIn("Goal reached", by_person["sam@example.org"].subject)
        self.assertIn("deuxième composteur", by_person["camille@example.org"].body)
        self.pledge.refresh_from_db()
        reached_at = self.pledge.reached_at
        self.assertIsNotNone(reached_at)
        # Lou confirms after: « already reached » on the page, no second round of emails.
        sent = len(mail.outbox)
        late = self.confirm(lou)
        self.assertTrue(late["reached_before"] and not late["just_reached"])
        self.assertEqual(late["count"], 3)
        self.assertEqual(len(mail.outbox), sent)
        self.confirm(sam)
        self.assertEqual(len(mail.outbox), sent)
        self.pledge.refresh_from_db()
        self.assertEqual(self.pledge.reached_at, reached_at)
        page = self.client.get(self.pledge.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(page, "Goal reached!")
        self.assertContains(page, "3 / 2")

    def test_a_threshold_lowered_to_the_count_is_reached_and_told(self) -> None:
        self.confirm(self.sign("camille@example.org"))
        self.client.force_login(self.assoc1)
        sent = len(mail.outbox)
        with self.captureOnCommitCallbacks(execute=True):
            edited = self.client.post(f"{ADMIN}engagement/pledge/{self.pledge.pk}/change/", {
                "project": self.p1.pk, "commitment": self.pledge.commitment, "threshold": "1",
                "deadline": self.pledge.deadline.isoformat(), "outcome": self.pledge.outcome,
                "signatures-TOTAL_FORMS": "1", "signatures-INITIAL_FORMS": "1",
                "signatures-0-id": PledgeSignature.objects.get().pk,
                "signatures-0-pledge": self.pledge.pk, "_save": "Save"})
        self.assertEqual(edited.status_code, 302, edited.content[:3000])
        self.pledge.refresh_from_db()
        self.assertIsNotNone(self.pledge.reached_at)
        self.assertEqual([m.to for m in mail.outbox[sent:]], [["camille@example.org"]])

    def test_plain_errors_and_a_throttle(self) -> None:
        page = self.client.post(self.pledge.get_absolute_url(), {"email": "not an email"})
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, "Saisissez une adresse e-mail valide", status_code=400)
        with override_settings(CENTRAL_PLEDGE_SIGNS_PER_WINDOW=2):
            self.sign("a@example.org")
            self.sign("b@example.org")
            refused = self.client.post(self.pledge.get_absolute_url(),
                                       {"email": "c@example.org"})
        self.assertEqual(refused.status_code, 429)
        self.assertContains(refused, 'id="throttled"', status_code=429)
        self.assertTrue(refused["Retry-After"].isdigit())

    def test_a_past_pledge_takes_no_more_signatures(self) -> None:
        Pledge.objects.filter(pk=self.pledge.pk).update(
            deadline=timezone.localdate() - dt.timedelta(days=1))
        page = self.client.post(self.pledge.get_absolute_url(), {"email": "x@example.org"})
        self.assertContains(page, 'id="closed"', status_code=409)
        self.assertFalse(PledgeSignature.objects.exists())
        self.assertEqual(self.client.get("/e/no-such-pledge").status_code, 404)

    def test_the_back_office_is_scoped_and_audited(self) -> None:
        self.confirm(self.sign("camille@example.org"))
        change = f"{ADMIN}engagement/pledge/{self.pledge.pk}/change/"
        self.client.force_login(self.assoc1)
        self.assertContains(self.client.get(change), "camille@example.org")
        add = self.client.get(f"{ADMIN}engagement/pledge/add/")
        self.assertContains(add, "compost (Quartier Zéro Déchet)")
        self.assertNotContains(add, "ecole (")
        created = self.client.post(f"{ADMIN}engagement/pledge/add/", {
            "project": self.p1.pk, "commitment": "Je viens au chantier", "threshold": "50",
            "deadline": (timezone.localdate() + dt.timedelta(days=9)).isoformat(),
            "outcome": "On plante.", "signatures-TOTAL_FORMS": "0",
            "signatures-INITIAL_FORMS": "0", "_save": "Save"})
        self.assertEqual(created.status_code, 302, created.content[:3000])
        new = Pledge.objects.get(commitment="Je viens au chantier")
        self.assertTrue(LogEntry.objects.filter(user=self.assoc1, object_id=str(new.pk),
                                                action_flag=1).exists())
        refused = self.client.post(f"{ADMIN}engagement/pledge/add/", {
            "project": self.p2.pk, "commitment": "Chez les autres", "threshold": "5",
            "deadline": "2031-01-01", "outcome": "x", "signatures-TOTAL_FORMS": "0",
            "signatures-INITIAL_FORMS": "0", "_save": "Save"})
        self.assertEqual(refused.status_code, 200, "another association's project is refused")
        self.assertFalse(Pledge.objects.filter(commitment="Chez les autres").exists())
        # Another association sees neither the pledge nor who signed it.
        self.client.force_login(self.assoc2)
        elsewhere = self.client.get(change, follow=True)
        self.assertNotContains(elsewhere, "camille@example.org")
        self.assertNotContains(elsewhere, 'id="pledge_form"')
        listed = self.client.get(f"{ADMIN}engagement/pledge/")
        self.assertEqual(set(listed.context["cl"].queryset), set())

    def test_signatures_are_deleted_after_the_deadline_and_the_retention_period(self) -> None:
        self.confirm(self.sign("camille@example.org"))
        ended = Pledge.objects.create(
            project=self.p1, commitment="Ancien", threshold=1, outcome="x",
            deadline=timezone.localdate() - dt.timedelta(days=91))
        PledgeSignature.objects.create(pledge=ended, email="old@example.org",
                                       token_sha256="0" * 64, confirmed_at=timezone.now())
        out = io.StringIO()
        call_command("prune-pledges", stdout=out)
        self.assertEqual(out.getvalue().strip(), "deleted 1 pledge signatures")
        self.assertEqual(list(PledgeSignature.objects.values_list("email", flat=True)),
                         ["camille@example.org"])
        self.assertTrue(Pledge.objects.filter(pk=ended.pk).exists(), "the pledge stays")
        self.assertEqual(self.client.get(ended.get_absolute_url()).status_code, 404)


TEXT = st.text(max_size=300) | st.sampled_from(
    ["camille@example.org", " Camille@Example.org ", "a@b", "@", "x" * 260 + "@example.org",
     "camille@exämple.org", "camille@example.org\n", "\x00"])


class PledgeFormFuzzTests(HypothesisTestCase):
    """Whatever a phone sends, the page answers with a form error or « check your email »,
    and an email is recorded only when it is one, lower-cased, once."""

    @classmethod
    def setUpTestData(cls) -> None:
        association = Association.objects.create(name="Zéro Déchet")
        project = Project.objects.create(project_id="compost", association=association,
                                         title="Compost", summary="s")
        cls.pledge = Pledge.objects.create(
            project=project, commitment="Je trie", threshold=5, outcome="x",
            deadline=timezone.localdate() + dt.timedelta(days=3))

    @settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(email=TEXT, first_name=st.text(max_size=150), lang=st.sampled_from(["fr", "en", ""]))
    def test_any_form_is_a_plain_answer(self, email: str, first_name: str, lang: str) -> None:
        with override_settings(CENTRAL_PLEDGE_SIGNS_PER_WINDOW=10**6):
            page = self.client.post(self.pledge.get_absolute_url(),
                                    {"email": email, "first_name": first_name},
                                    HTTP_ACCEPT_LANGUAGE=lang)
        self.assertIn(page.status_code, (200, 400))
        signatures = PledgeSignature.objects.filter(pledge=self.pledge)
        if page.status_code == 200:
            self.assertContains(page, 'id="sent"')
            self.assertTrue(signatures.filter(email=email.strip().lower()).exists())
        else:
            self.assertContains(page, 'class="errorlist"', status_code=400)
        for signature in signatures:
            self.assertEqual(signature.email, signature.email.strip().lower())
            self.assertEqual(signatures.filter(email=signature.email).count(), 1)
