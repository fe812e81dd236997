"""Reconciliation in the back office (central.reconciliation, its pages in central.backoffice):
a settlement file uploaded through the form, its four groups exact, decisions on unknown
outcomes (state, live total and audit together), their delivery in the heartbeat answer and
the kiosk's acknowledgement through its audit rows. Donations and heartbeats reach the
service through the device API; Django's test client against the real views. Run per
database by test_backoffice.py."""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, TestCase

from central.accounts.models import Membership
from central.backoffice.forms import SETTLEMENT_PROBLEMS
from central.backoffice.models import StaffAction
from central.catalog.models import Association, Project, Shop
from central.donations.models import Donation
from central.reconciliation import settlement
from central.reconciliation.models import OutcomeDecision, SettlementLine
from tests.central.cases.backoffice_pages import Kiosk, staff
from tests.central.helpers import heartbeat

BO = "/backoffice/"
DAY = "2026-11-20T10:00:00.000Z"
HEADER = "date,terminal_reference,amount,currency,auth_code\n"


class ReconciliationTests(TestCase):
    def setUp(self) -> None:
        a1 = Association.objects.create(name="Jardins partagés")
        self.p1 = Project.objects.create(project_id="p1", association=a1, title="Jardin",
                                         summary="s", raised_cents=10_000)
        shop = Shop.objects.create(name="Café des Capucins")
        self.kiosk = Kiosk(Client(), "cafe-01", shop)
        self.other = Kiosk(Client(), "salon-01", shop)
        given = [("p1", 500, "approved"), ("p1", 1250, "approved"), ("p1", 900, "unknown"),
                 ("p1", 300, "unknown"), ("p1", 700, "declined")]
        for project, cents, state in given:
            self.kiosk.give(project, cents, state, at=DAY)
        self.other.give("p1", 2000, "unknown", at=DAY)
        # The two approved ones were added to the live total as they arrived.
        self.raised = Project.objects.get(pk=self.p1.pk).raised_cents
        assert self.raised == 10_000 + 500 + 1250
        self.d = {n + 1: Donation.objects.get(device__device_id="cafe-01", seq=n + 1)
                  for n in range(len(given))}
        self.admin = staff("netadmin", Membership.NETWORK_ADMIN)
        self.operator = staff("operator", Membership.OPERATOR)
        self.shop = staff("shop1", Membership.SHOP, shop=shop)

    def upload(self, text: str, user: Any = None) -> Any:
        self.client.force_login(user or self.operator)
        return self.client.post(f"{BO}reconciliation/", {
            "file": SimpleUploadedFile("remises.csv", text.encode(), "text/csv")}, follow=True,
            HTTP_ACCEPT_LANGUAGE="en")

    def resolve(self, donation: Donation, decision: str, **extra: Any) -> Any:
        self.client.force_login(self.operator)
        return self.client.post(f"{BO}reconciliation/outcomes/{donation.pk}/resolve",
                                {"decision": decision, **extra}, follow=True)

    def test_only_who_looks_after_the_fleet_may_reconcile(self) -> None:
        for user in (self.admin, self.operator):
            self.client.force_login(user)
            self.assertEqual(self.client.get(f"{BO}reconciliation/").status_code, 200)
        self.client.force_login(self.shop)
        self.assertEqual(self.client.get(f"{BO}reconciliation/").status_code, 403)
        refused = self.client.post(f"{BO}reconciliation/outcomes/{self.d[3].pk}/resolve",
                                   {"decision": "approved"})
        self.assertEqual(refused.status_code, 403)
        self.assertEqual(Donation.objects.get(pk=self.d[3].pk).state, "unknown")

    def test_the_unknown_outcomes_waiting_are_listed_by_kiosk(self) -> None:
        self.client.force_login(self.operator)
        page = self.client.get(f"{BO}reconciliation/")
        self.assertEqual([(d.device.device_id, d.amount_cents)
                          for d in page.context["unknown"].object_list],
                         [("cafe-01", 900), ("cafe-01", 300), ("salon-01", 2000)])

    def test_a_bad_file_is_refused_naming_the_line_and_column(self) -> None:
        page = self.upload(HEADER + f"2026-11-20,{self.d[1].donation_id},5,00,EUR,A1\n")
        self.assertEqual(page.status_code, 400)
        self.assertContains(page, "line 2: expected 5 columns, found 6", status_code=400)
        page = self.upload(HEADER + f"20/11/2026,{self.d[1].donation_id},5.00,EUR,A1\n")
        self.assertContains(page, "line 2, column date", status_code=400)
        self.assertFalse(SettlementLine.objects.exists())
        self.assertFalse(StaffAction.objects.exists())
        # In French, every problem the decoder names has its words.
        self.assertEqual(set(SETTLEMENT_PROBLEMS), set(settlement.PROBLEMS))
        self.client.force_login(self.operator)
        page = self.client.post(f"{BO}reconciliation/", {"file": SimpleUploadedFile(
            "remises.csv", (HEADER + f"2026-11-20,{self.d[1].donation_id},5.00,eur,A1\n")
            .encode(), "text/csv")}, HTTP_ACCEPT_LANGUAGE="fr")
        self.assertContains(page, "ligne 2, colonne currency : « eur » n’est pas un code de "
                            "devise comme EUR", status_code=400)

    def test_the_file_is_compared_in_four_groups(self) -> None:
        d = self.d
        ghost = "0123456789"
        page = self.upload(HEADER + "".join([
            f"2026-11-20,{d[1].donation_id},5.00,EUR,AUTH1\n",         # matched (uuid)
            f"2026-11-20,{d[3].donation_id.hex[:10]},9.00,EUR,AUTH3\n",  # unknown, charged
            f"2026-11-20,{d[5].donation_id},7.00,EUR,AUTH5\n",         # declined here
            f"2026-11-21,{ghost},4.00,EUR,AUTHX\n",                    # no such donation
            f"2026-11-20,{d[2].donation_id},12.00,EUR,AUTH2\n",        # wrong amount
        ]))
        self.assertEqual(page.status_code, 200)
        groups = page.context["groups"]
        lines = {name: [x.line for x in groups[name].rows]
                 for name in ("matched", "acquirer_only", "unknown")}
        self.assertEqual(lines, {"matched": [2], "acquirer_only": [4, 5, 6], "unknown": [3]})
        self.assertEqual([x.pk for x in groups["ours_only"].rows], [d[2].pk])
        self.assertEqual({x.pk for x in groups["unknown_absent"].rows},
                         {d[4].pk, Donation.objects.get(device__device_id="salon-01").pk})
        action = StaffAction.objects.get()
        self.assertEqual((action.username, action.action, action.detail["lines"],
                          action.detail["matched"]),
                         ("operator", StaffAction.UPLOAD_SETTLEMENT, 5, 3))

    def test_a_decision_corrects_state_and_total_and_is_audited(self) -> None:
        self.upload(HEADER + f"2026-11-20,{self.d[3].donation_id},9.00,EUR,AUTH3\n")
        line = SettlementLine.objects.get()
        page = self.resolve(self.d[3], "approved", note="on the report", line=line.pk)
        self.assertContains(page, "cafe-01")
        self.assertEqual(Donation.objects.get(pk=self.d[3].pk).state, "approved")
        self.assertEqual(Project.objects.get(pk=self.p1.pk).raised_cents, self.raised + 900)
        made = OutcomeDecision.objects.get()
        self.assertEqual((made.username, made.decision, made.note, made.acquirer_reference),
                         ("operator", "approved", "on the report", "AUTH3"))
        action = StaffAction.objects.get(action=StaffAction.RESOLVE_OUTCOME)
        self.assertEqual((action.username, action.device.device_id,
                          action.detail["donation_id"], action.detail["decision"]),
                         ("operator", "cafe-01", str(self.d[3].donation_id), "approved"))
        # Declined: no money added; a second decision on either is refused.
        self.resolve(self.d[4], "declined")
        self.assertEqual(Donation.objects.get(pk=self.d[4].pk).state, "declined")
        self.assertEqual(Project.objects.get(pk=self.p1.pk).raised_cents, self.raised + 900)
        again = self.resolve(self.d[3], "declined")
        self.assertContains(again, "approved")
        self.assertEqual(OutcomeDecision.objects.count(), 2)
        self.assertEqual(Project.objects.get(pk=self.p1.pk).raised_cents, self.raised + 900)
        self.assertEqual(Donation.objects.get(pk=self.d[3].pk).state, "approved")
        # A donation that never was unknown is refused as well.
        self.resolve(self.d[1], "declined")
        self.assertEqual(Donation.objects.get(pk=self.d[1].pk).state, "approved")
        self.assertEqual(OutcomeDecision.objects.count(), 2)

    def test_a_resent_unknown_donation_stays_a_duplicate_after_the_decision(self) -> None:
        self.resolve(self.d[3], "approved")
        sent = json.loads(Donation.objects.get(pk=self.d[3].pk).content)
        again = self.kiosk.call("donations:batch", {"donations": [sent]})["results"]
        self.assertEqual([r["status"] for r in again], ["duplicate"])
        self.assertEqual(Project.objects.get(pk=self.p1.pk).raised_cents, self.raised + 900)

    def test_decisions_ride_on_heartbeats_until_the_kiosk_acknowledges_them(self) -> None:
        self.resolve(self.d[3], "approved")
        self.resolve(self.d[4], "declined")
        made = {d.donation_id: d for d in OutcomeDecision.objects.all()}
        first = self.kiosk.call("heartbeat", heartbeat())
        self.assertEqual([(x["donation_id"], x["decision"]) for x in first["decisions"]],
                         [(str(self.d[3].donation_id), "approved"),
                          (str(self.d[4].donation_id), "declined")])
        self.assertEqual(first["decisions"][1]["acquirer_reference"],
                         f"central-decision-{made[self.d[4].pk].pk}")
        self.assertNotIn("decisions", self.other.call("heartbeat", heartbeat()))
        applied = made[self.d[3].pk].pk
        refused = made[self.d[4].pk].pk
        rows = [{"seq": 1, "at": DAY, "boot_id": "b", "mono_ns": 1,
                 "actor": "central:operator", "action": "reconcile",
                 "detail": {"donation_id": str(self.d[3].donation_id), "decision": "charged",
                            "central_decision": applied}},
                {"seq": 2, "at": DAY, "boot_id": "b", "mono_ns": 2,
                 "actor": "central:operator", "action": "reconcile_refused",
                 "detail": {"donation_id": str(self.d[4].donation_id),
                            "central_decision": refused, "reason": "already reconciled"}},
                # Another kiosk cannot acknowledge this kiosk's decisions.
                ]
        self.other.call("heartbeat", heartbeat(audit=[{**rows[0], "seq": 9}]))
        self.assertEqual(len(self.kiosk.call("heartbeat", heartbeat())["decisions"]), 2)
        answer = self.kiosk.call("heartbeat", heartbeat(audit=rows))
        self.assertNotIn("decisions", answer)
        states = {d.pk: (d.device_answer, d.device_detail)
                  for d in OutcomeDecision.objects.all()}
        self.assertEqual(states, {applied: ("applied", ""),
                                  refused: ("refused", "already reconciled")})
        self.client.force_login(self.operator)
        page = self.client.get(f"{BO}reconciliation/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(page, "refused: already reconciled")
