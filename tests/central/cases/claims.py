"""Annual receipts and the retention of claims: Django test cases on the real models,
services, command and back-office view (Django's test client); donations arrive through
the real batch ingest. Run on SQLite and PostgreSQL by tests/central/test_django_cases.py."""

from __future__ import annotations

import io
import subprocess
from datetime import timedelta

from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from central.accounts.models import Membership
from central.catalog.models import Association, Project, Shop, ShopProject
from central.claims import annual, services
from central.claims.models import AnnualReceipt, Claim, ClaimAction
from central.devices.models import Device
from central.donations.services import ingest_batch
from central.receipts.signing import SignedReceipt
from tests.central.helpers import donation

BASE = "https://dons.example.org"
ANNUAL_PAGE = "/backoffice/claims/claim/annual/"


def pdf_text(data: bytes) -> str:
    # Through pipes: the test writes no file.
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True,
                         check=True).stdout
    return " ".join(out.decode().split())


class ClaimsTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.association = Association.objects.create(
            name="Les Mains Vertes", address="12 rue des Capucins, 69001 Lyon",
            purpose="Jardins partagés", registration="W691234567",
            signatory="Anne Martin, trésorière")
        cls.other = Association.objects.create(name="Autre")
        cls.project = Project.objects.create(project_id="jardin", association=cls.association,
                                             title="Un jardin", summary="s")
        shop = Shop.objects.create(name="Café")
        ShopProject.objects.create(shop=shop, project=cls.project)
        cls.device = Device.objects.create(device_id="kiosk-1", shop=shop)
        cls.seq = 0

    def gift(self, amount: int, email: str, day: str = "2026-03-14", name: str = "Léa Dupont",
             synced: bool = True, validated: bool = True) -> Claim:
        """A donation on the kiosk, its claim filed from the receipt page, validated."""
        type(self).seq += 1
        item = donation(self.seq, "jardin", amount, created_at=f"{day}T10:00:00.000Z")
        if synced:
            self.assertEqual(ingest_batch(self.device, [item]), ["created"])
        claim = services.file_claim(
            SignedReceipt("kiosk-1", item["id"], amount, "EUR", "jardin", 2), name,
            "3 place Sathonay\n69001 Lyon", email)
        if validated:
            services.validate(claim, None, command="test")
        return Claim.objects.get(pk=claim.pk)


class AnnualReceiptTests(ClaimsTestCase):
    def setUp(self) -> None:
        self.user = User.objects.create_user("assoc", password="pw", is_staff=True)
        Membership.objects.create(user=self.user, role=Membership.ASSOCIATION,
                                  association=self.association)

    def test_one_receipt_per_donor_each_claim_once_numbered_after_singles(self) -> None:
        single = self.gift(700, "solo@example.org", day="2026-01-05")
        services.issue(single.pk, BASE, None, command="test")
        lea = [self.gift(1250, "lea@example.org", day="2026-02-01"),
               self.gift(500, "Lea@Example.org ", day="2026-06-30"),
               self.gift(8050, "lea@example.org", day="2026-12-24", name="Léa Dupont-Étienne")]
        max_ = self.gift(300, "max@example.org", day="2026-05-01")
        other_year = self.gift(900, "lea@example.org", day="2025-12-30")
        unsynced = self.gift(400, "lea@example.org", synced=False)
        unvalidated = self.gift(200, "lea@example.org", validated=False)
        with self.captureOnCommitCallbacks(execute=True):
            issued = annual.issue_annual(self.user, self.association, 2026, BASE)
        self.assertEqual([r.receipt_number for r in issued], ["2026-000002", "2026-000003"])
        first, second = issued
        self.assertEqual((first.total_cents, first.email.strip().lower()),
                         (9800, "lea@example.org"))
        # The donor as typed on their latest claim of the year.
        self.assertEqual(first.name, "Léa Dupont-Étienne")
        self.assertEqual(set(first.claims.values_list("pk", flat=True)), {c.pk for c in lea})
        self.assertEqual(list(second.claims.all()), [max_])
        for claim in (*lea, max_):
            claim.refresh_from_db()
            self.assertEqual((claim.status, claim.receipt_seq), (Claim.ISSUED, None))
        for waiting in (other_year, unsynced, unvalidated):
            waiting.refresh_from_db()
            self.assertIsNone(waiting.annual)
            self.assertNotEqual(waiting.status, Claim.ISSUED)
        # Never both single and annual: a single issue of a grouped claim does nothing.
        again, now = services.issue(lea[0].pk, BASE, None, command="test")
        self.assertFalse(now)
        self.assertIsNone(again.receipt_seq)
        # A second run finds nothing new for 2026; the previous year gets its own number 1.
        self.assertEqual(annual.issue_annual(self.user, self.association, 2026, BASE), [])
        previous = annual.issue_annual(self.user, self.association, 2025, BASE)
        self.assertEqual([r.receipt_number for r in previous], ["2025-000001"])
        # Every issue recorded with who did it: the single one, then each annual run.
        self.assertEqual(list(ClaimAction.objects.filter(action=ClaimAction.ISSUE)
                              .values_list("username", "detail")),
                         [("test", {"claim": single.pk, "receipt": "2026-000001"})])
        self.assertEqual(
            list(ClaimAction.objects.filter(action=ClaimAction.ISSUE_ANNUAL).order_by("pk")
                 .values_list("username", "action", "detail")),
            [("assoc", "issue_annual",
              {"year": 2026, "receipts": ["2026-000002", "2026-000003"], "claims": 4}),
             ("assoc", "issue_annual", {"year": 2026, "receipts": [], "claims": 0}),
             ("assoc", "issue_annual", {"year": 2025, "receipts": ["2025-000001"],
                                        "claims": 1})])
        # Emailed with the PDF and the private link.
        sent = [m for m in mail.outbox if "2026-000002" in m.subject]
        self.assertEqual(len(sent), 1)
        self.assertEqual(sent[0].to, [first.email])
        self.assertIn(f"{BASE}/c/annual/{first.token}", sent[0].body)
        self.assertEqual(sent[0].attachments[0][1], bytes(first.pdf))

    def test_the_pdf_lists_each_gift_and_carries_the_mentions(self) -> None:
        self.gift(1250, "lea@example.org", day="2026-02-01")
        self.gift(8050, "lea@example.org", day="2026-12-24")
        receipt, = annual.issue_annual(self.user, self.association, 2026, BASE)
        text = pdf_text(bytes(receipt.pdf))
        for mention in (
                "Reçu au titre des dons", "Numéro d'ordre du reçu : 2026-000001",
                "Les Mains Vertes", "12 rue des Capucins, 69001 Lyon", "Jardins partagés",
                "W691234567", "Léa Dupont", "3 place Sathonay", "*** 93,00 € ***",
                "quatre-vingt-treize euros", "du 1er janvier au 31 décembre 2026",
                "1 février 2026 : 12,50 €", "24 décembre 2026 : 80,50 €",
                "Nature du don : numéraire", "Mode de versement : carte bancaire",
                "article 200 du CGI", "Anne Martin, trésorière"):
            self.assertIn(mention, text)

    def test_the_private_page_in_both_languages_and_withdrawal(self) -> None:
        self.gift(1250, "lea@example.org", day="2026-02-01")
        receipt, = annual.issue_annual(self.user, self.association, 2026, BASE)
        page = f"/c/annual/{receipt.token}"
        fr = self.client.get(page, headers={"Accept-Language": "fr"})
        self.assertContains(fr, "Votre reçu fiscal pour 2026")
        self.assertContains(fr, "1 février 2026")
        self.assertContains(fr, "12,50\xa0€")
        en = self.client.get(page, headers={"Accept-Language": "en"})
        self.assertContains(en, "Your tax receipt for 2026")
        self.assertContains(en, "February 1, 2026")
        self.assertContains(en, "€12.50")
        pdf = self.client.get(f"{page}/receipt.pdf")
        self.assertEqual(pdf["Content-Type"], "application/pdf")
        # The claim's own private link shows the annual receipt's number and PDF.
        claim = receipt.claims.get()
        self.assertContains(self.client.get(f"/c/{claim.token}"), receipt.receipt_number)
        self.assertEqual(self.client.get(f"/c/{claim.token}/receipt.pdf").content,
                         bytes(receipt.pdf))
        withdrawn = self.client.post(page, headers={"Accept-Language": "fr"})
        self.assertContains(withdrawn, "Demande retirée")
        self.assertContains(withdrawn, "six ans comme la loi")
        self.assertEqual(self.client.get(page).status_code, 404)
        receipt.refresh_from_db()
        self.assertEqual((receipt.status, receipt.email), (AnnualReceipt.WITHDRAWN, ""))
        self.assertTrue(receipt.pdf)  # the association's copy stays
        self.assertFalse(Claim.objects.filter(annual=receipt).exclude(email="").exists())

    def test_issued_from_the_back_office_for_its_own_association_only(self) -> None:
        self.gift(1250, "lea@example.org", day="2026-02-01")
        self.client.force_login(self.user)
        page = self.client.get(ANNUAL_PAGE)
        self.assertContains(page, "Les Mains Vertes")
        self.assertNotContains(page, "Autre")
        refused = self.client.post(ANNUAL_PAGE, {"association": self.other.pk, "year": 2026})
        self.assertEqual(refused.status_code, 200)
        self.assertFalse(AnnualReceipt.objects.exists())
        done = self.client.post(ANNUAL_PAGE, {"association": self.association.pk,
                                              "year": 2026}, follow=True)
        self.assertContains(done, "2026-000001")
        self.assertEqual(ClaimAction.objects.get(action=ClaimAction.ISSUE_ANNUAL).username,
                         "assoc")
        shop = User.objects.create_user("shop", password="pw", is_staff=True)
        Membership.objects.create(user=shop, role=Membership.SHOP,
                                  shop=Shop.objects.get(name="Café"))
        self.client.force_login(shop)
        self.assertEqual(self.client.get(ANNUAL_PAGE).status_code, 403)

    def test_single_validate_and_issue_in_the_back_office_are_recorded_and_shown(
            self) -> None:
        claim = self.gift(1250, "lea@example.org", day="2026-02-01", validated=False)
        # Another association's row, as its own validation wrote it: not shown here.
        ClaimAction.objects.create(username="autre-asso", action=ClaimAction.VALIDATE,
                                   association=self.other, detail={"claim": 0})
        self.client.force_login(self.user)
        french = {"Accept-Language": "fr"}
        changelist = "/backoffice/claims/claim/"
        listed = self.client.get(changelist, headers=french)
        for label in ("Demandes de reçu fiscal", "Déposée le", "Projet", "Montant", "État",
                      "Numéro de reçu", "Par état", "déposée", "12,50",
                      "Valider les demandes sélectionnées",
                      "Émettre les reçus des demandes sélectionnées (PDF, e-mail)"):
            self.assertContains(listed, label)
        for english in ("Filed at", "Amount cents", "Validate the selected", "Receipt number",
                        "filed</td>", "Tax-receipt claim"):
            self.assertNotContains(listed, english)
        for _twice in range(2):  # done again, nothing more is done nor recorded
            for action in ("validate", "issue"):
                self.client.post(changelist, {"action": action, "_selected_action": [claim.pk]},
                                 headers=french)
        self.assertEqual(
            list(ClaimAction.objects.filter(association=self.association).order_by("pk")
                 .values_list("user", "username", "action", "detail")),
            [(self.user.pk, "assoc", "validate", {"claim": claim.pk}),
             (self.user.pk, "assoc", "issue", {"claim": claim.pk, "receipt": "2026-000001"})])
        shown = self.client.get(ANNUAL_PAGE, headers=french)
        self.assertContains(shown, "Actions sur les demandes")
        # One association: its name is not repeated in each row.
        self.assertContains(shown, "<td>assoc</td><td>demande validée</td>"
                                   f"<td>demande {claim.pk}</td>")
        self.assertContains(shown, "<td>assoc</td><td>reçu émis</td><td>2026-000001</td>")
        self.assertNotContains(shown, "autre-asso")
        # The association filter names only this association's, not the whole network's, and
        # no « none » choice (its claims all have an association).
        listed = self.client.get(changelist)
        self.assertNotContains(listed, "Autre")
        self.assertNotContains(listed, "association__isnull")

    def test_the_command_issues_annual_receipts(self) -> None:
        self.gift(1250, "lea@example.org", day="2026-02-01")
        out = io.StringIO()
        call_command("issue-receipts", "--association", "Les Mains Vertes", "--annual",
                     "2026", "--base-url", BASE, stdout=out)
        self.assertEqual(out.getvalue().strip(), "annual receipt 2026-000001: 1 gifts")
        self.assertEqual(ClaimAction.objects.get(action=ClaimAction.ISSUE_ANNUAL).username,
                         "central issue-receipts")


class RetentionTests(ClaimsTestCase):
    def prune(self) -> str:
        out = io.StringIO()
        call_command("prune-claims", stdout=out)
        return out.getvalue().strip()

    def aged(self, claim: Claim, **age: timedelta) -> None:
        # Only the dates move: the rows are otherwise as issuing left them.
        Claim.objects.filter(pk=claim.pk).update(
            **{field: getattr(claim, field) - delta for field, delta in age.items()})

    def test_unissued_claims_go_after_their_period_issued_copies_after_six_years(self) -> None:
        now = timezone.now()
        old_unissued = self.gift(100, "a@example.org", validated=False)
        Claim.objects.filter(pk=old_unissued.pk).update(filed_at=now - timedelta(days=549))
        recent_unissued = self.gift(200, "b@example.org", validated=False)
        Claim.objects.filter(pk=recent_unissued.pk).update(filed_at=now - timedelta(days=500))
        numbers = []
        for amount in (300, 400, 500):
            claim = self.gift(amount, f"{amount}@example.org")
            numbers.append(services.issue(claim.pk, BASE, None, command="test")[0])
        grouped = self.gift(600, "g@example.org")
        receipt, = annual.issue_annual(None, self.association, 2026, BASE, command="test")
        seven_years = timedelta(days=7 * 366)
        self.aged(numbers[0], issued_at=seven_years)
        services.withdraw(numbers[1])
        self.aged(Claim.objects.get(pk=numbers[1].pk), issued_at=seven_years)
        self.aged(Claim.objects.get(pk=grouped.pk), issued_at=seven_years)
        AnnualReceipt.objects.filter(pk=receipt.pk).update(issued_at=now - seven_years)
        self.assertEqual(self.prune(), "deleted 1 unissued claims, erased 3 receipts and 1 "
                                       "annual receipts")
        self.assertFalse(Claim.objects.filter(pk=old_unissued.pk).exists())
        self.assertTrue(Claim.objects.filter(pk=recent_unissued.pk, name="Léa Dupont").exists())
        for claim in (numbers[0], numbers[1], grouped):
            erased = Claim.objects.get(pk=claim.pk)
            self.assertEqual((erased.status, erased.name, erased.address, erased.email,
                              erased.pdf), (Claim.ERASED, "", "", "", None))
            # What the accounts need stays.
            self.assertEqual((erased.amount_cents, erased.gift_date),
                             (claim.amount_cents, claim.gift_date or erased.gift_date))
        kept = Claim.objects.get(pk=numbers[2].pk)
        self.assertEqual((kept.status, kept.name), (Claim.ISSUED, "Léa Dupont"))
        receipt.refresh_from_db()
        self.assertEqual((receipt.status, receipt.name, receipt.pdf, receipt.total_cents),
                         (AnnualReceipt.ERASED, "", None, 600))
        # The year's sequence has no gap: 1, 2, 3 single, 4 annual.
        self.assertEqual(sorted(Claim.objects.exclude(receipt_seq=None)
                                .values_list("receipt_seq", flat=True)), [1, 2, 3])
        self.assertEqual(receipt.receipt_seq, 4)
        # An old private link leads nowhere; running again changes nothing.
        self.assertEqual(self.client.get(f"/c/{numbers[0].token}").status_code, 404)
        self.assertEqual(self.prune(), "deleted 0 unissued claims, erased 0 receipts and 0 "
                                       "annual receipts")

    def test_six_years_counts_from_the_issue_day(self) -> None:
        claim = self.gift(300, "a@example.org")
        issued, _ = services.issue(claim.pk, BASE, None, command="test")
        self.aged(issued, issued_at=timedelta(days=6 * 365))  # a leap day in between
        self.assertIn("erased 0 receipts", self.prune())
        self.aged(Claim.objects.get(pk=claim.pk), issued_at=timedelta(days=3))
        self.assertIn("erased 1 receipts", self.prune())
