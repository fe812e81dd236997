"""The engagement page and its CSV (central.insights): who may open them, which counts each
role sees (object by object: an association never sees another's), the exact sums, the
date range and the best hours. Counts reach the service in heartbeats through the device API,
as a kiosk sends them; Django's test client against the real views. Run per database by
test_insights_pages.py."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib.auth.models import User
from django.test import Client, TestCase

from central.accounts.models import Membership
from central.catalog.models import Association, Project, Shop, ShopProject
from central.insights.counters import COUNTERS
from tests.central.cases.backoffice_pages import Kiosk, staff

PAGE, CSV = "/backoffice/insights/", "/backoffice/insights/export.csv"
RANGE = {"start": "2026-03-01", "end": "2026-03-31"}
# 09:00 UTC on 10 March is 10:00 in Paris; 17:00 UTC is 18:00.
MORNING, EVENING = "2026-03-10T09:00:00Z", "2026-03-10T17:00:00Z"
APRIL = "2026-04-02T09:00:00Z"  # outside RANGE


def counts(hour: str, project: str, **by_counter: int) -> list[dict[str, Any]]:
    return [{"hour": hour, "project_id": project, "counter": c, "count": n}
            for c, n in by_counter.items()]


def funnel(shown: int, give: int, preset: int, custom: int, started: int, approved: int,
           **abandoned: int) -> dict[str, int]:
    return {"slide_shown": shown, "give_tapped": give, "amount_preset": preset,
            "amount_custom": custom, "payment_started": started, "payment_approved": approved,
            **abandoned}


class InsightsPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.a1 = Association.objects.create(name="Jardins partagés")
        cls.a2 = Association.objects.create(name="École du quartier")
        cls.p1 = Project.objects.create(project_id="p1", association=cls.a1, title="Jardin",
                                        summary="s")
        cls.p2 = Project.objects.create(project_id="p2", association=cls.a2, title="Cantine",
                                        summary="s")
        cls.s1 = Shop.objects.create(name="Café des Capucins", town="Lyon")
        cls.s2 = Shop.objects.create(name="Salon Rive Gauche", town="Villeurbanne")
        # A shop that lists neither association's projects: its town is offered to nobody
        # but the network admin.
        Shop.objects.create(name="Fleuriste", town="Bron")
        for shop in (cls.s1, cls.s2):
            for project in (cls.p1, cls.p2):
                ShopProject.objects.create(shop=shop, project=project)
        client = Client()
        k1, k2 = Kiosk(client, "cafe-01", cls.s1), Kiosk(client, "salon-01", cls.s2)
        # The café's kiosk: a first snapshot, then the same hour again with higher totals
        # (the service keeps the last absolute count, never the sum of both).
        k1.beat(engagement=counts(MORNING, "p1", slide_shown=50, give_tapped=5))
        k1.beat(engagement=[
            *counts(MORNING, "p1", slide_shown=100, give_tapped=10, amount_preset=6,
                    amount_custom=2, payment_started=8, payment_approved=7,
                    abandoned_back=1, abandoned_timeout=1, abandoned_cancel=1,
                    participate_tapped=3),
            *counts(EVENING, "p2", slide_shown=40, give_tapped=2, amount_preset=1,
                    payment_started=1, payment_approved=1),
            *counts(APRIL, "p1", slide_shown=999, payment_approved=99)])
        # The salon's kiosk: the school's project only, in the evening.
        k2.beat(engagement=counts(EVENING, "p2", slide_shown=60, give_tapped=6,
                                  amount_preset=3, amount_custom=1, payment_started=4,
                                  payment_approved=3, abandoned_cancel=1))
        # A project the service does not know (a kiosk's old catalog): counted, no association.
        k2.beat(engagement=counts(EVENING, "gone", slide_shown=5))
        cls.admin = staff("netadmin", Membership.NETWORK_ADMIN)
        cls.assoc1 = staff("assoc1", Membership.ASSOCIATION, association=cls.a1)
        cls.assoc2 = staff("assoc2", Membership.ASSOCIATION, association=cls.a2)
        cls.shop1 = staff("shop1", Membership.SHOP, shop=cls.s1)
        cls.operator = staff("operator", Membership.OPERATOR)

    def page(self, user: User, **params: str) -> Any:
        self.client.force_login(user)
        answer = self.client.get(PAGE, {**RANGE, **params})
        self.assertEqual(answer.status_code, 200)
        return answer.context

    def csv_rows(self, user: User, **params: str) -> list[dict[str, str]]:
        self.client.force_login(user)
        answer = self.client.get(CSV, {**RANGE, **params})
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn('filename="engagement-2026-03-01-2026-03-31.csv"',
                      answer["Content-Disposition"])
        text = b"".join(answer.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(text)))

    @staticmethod
    def totals(context: Any) -> dict[str, int]:
        return {k: v for k, v in context["funnel"].items()
                if k in COUNTERS and k != "participate_tapped" and v}

    # -- who may open it ---------------------------------------------------------------------

    def test_roles(self) -> None:
        self.assertRedirects(self.client.get(PAGE), f"/backoffice/sign-in/?next={PAGE}",
                             fetch_redirect_response=False)
        self.client.force_login(self.operator)  # the fleet, never the money nor its funnel
        self.assertEqual(self.client.get(PAGE).status_code, 403)
        self.assertEqual(self.client.get(CSV).status_code, 403)
        for user in (self.admin, self.assoc1, self.shop1):
            self.client.force_login(user)
            self.assertContains(self.client.get(PAGE), 'href="/backoffice/insights/"')

    # -- what each role sees -----------------------------------------------------------------

    def test_network_admin_sees_every_count_replaced_not_added(self) -> None:
        context = self.page(self.admin)
        self.assertEqual(self.totals(context), funnel(
            205, 18, 10, 3, 13, 11, abandoned_back=1, abandoned_timeout=1,
            abandoned_cancel=2))
        self.assertEqual(context["funnel"]["participate_tapped"], 3)
        steps = {step: (n, per_100) for step, n, per_100 in context["funnel"]["steps"]}
        self.assertEqual(steps["amount_chosen"], (13, 6.3))
        self.assertEqual(steps["payment_approved"], (11, 5.4))
        self.assertEqual([(r["label"], r["slide_shown"], r["payment_approved"])
                          for r in context["shops"]],
                         [("Café des Capucins", 140, 8), ("Salon Rive Gauche", 65, 3)])
        self.assertEqual([(r["key"], r["payment_approved"]) for r in context["projects"]],
                         [("p1", 7), ("p2", 4), ("gone", 0)])
        # Best hours of the day, local time, most gifts first.
        self.assertEqual([(h["of_day"], h["payment_approved"], h["give_tapped"])
                          for h in context["hours"]], [(10, 7, 10), (18, 4, 8)])
        # The association filter.
        only = self.page(self.admin, association=str(self.a2.pk))
        self.assertEqual(self.totals(only)["slide_shown"], 100)

    def test_an_association_sees_its_projects_only_object_by_object(self) -> None:
        for user, own, project, shown in ((self.assoc1, self.a1, "p1", 100),
                                          (self.assoc2, self.a2, "p2", 100)):
            context = self.page(user)
            self.assertEqual(self.totals(context)["slide_shown"], shown)
            self.assertEqual([r["key"] for r in context["projects"]], [project])
            self.assertEqual([r["label"] for r in context["associations"]], [own.name])
            self.assertFalse(context["form"].offers_association)  # nothing to choose
            for row in self.csv_rows(user):
                self.assertEqual((row["association"], row["project_id"]), (own.name, project))
            other = self.a2 if own == self.a1 else self.a1
            self.client.force_login(user)
            self.assertEqual(self.client.get(PAGE, {"association": other.pk}).status_code, 404)
            self.assertEqual(self.client.get(CSV, {"association": other.pk}).status_code, 404)
        # The school's counts come from both shops; each shop row is its own project's only.
        shops = {r["label"]: r["slide_shown"] for r in self.page(self.assoc2)["shops"]}
        self.assertEqual(shops, {"Café des Capucins": 40, "Salon Rive Gauche": 60})

    def test_a_shop_sees_its_kiosks_only(self) -> None:
        context = self.page(self.shop1)
        self.assertEqual([r["label"] for r in context["shops"]], ["Café des Capucins"])
        self.assertEqual(self.totals(context)["slide_shown"], 140)
        self.assertEqual({r["shop"] for r in self.csv_rows(self.shop1)}, {"Café des Capucins"})

    # -- the dates and the CSV ---------------------------------------------------------------

    def test_the_range_decides_which_hours_count(self) -> None:
        april = self.page(self.admin, start="2026-04-01", end="2026-04-30")
        self.assertEqual(self.totals(april), {"slide_shown": 999, "payment_approved": 99})
        empty = self.page(self.admin, start="2025-01-01", end="2025-01-31")
        self.assertEqual(empty["funnel"]["slide_shown"], 0)
        self.client.force_login(self.admin)
        self.assertContains(self.client.get(PAGE, {"start": "2025-01-01", "end": "2025-01-31"}),
                            "Aucune borne n’a encore rien compté pour ces jours-là.")
        wrong = self.client.get(PAGE, {"start": "2026-03-31", "end": "2026-03-01"})
        self.assertContains(wrong, "La date de fin est avant la date de début.")
        self.assertEqual(self.client.get(CSV, {"start": "2026-03-31", "end": "2026-03-01"})
                         .status_code, 400)

    def test_the_csv_has_the_same_counts_per_hour_shop_and_project(self) -> None:
        rows = self.csv_rows(self.admin)
        self.assertEqual(list(rows[0]), ["hour_utc", "shop", "town", "association",
                                         "project_id", "project", *COUNTERS])
        by_key = {(r["hour_utc"], r["shop"], r["project_id"]): r for r in rows}
        self.assertEqual(set(by_key), {
            (MORNING, "Café des Capucins", "p1"), (EVENING, "Café des Capucins", "p2"),
            (EVENING, "Salon Rive Gauche", "p2"), (EVENING, "Salon Rive Gauche", "gone")})
        cafe = by_key[(MORNING, "Café des Capucins", "p1")]
        self.assertEqual(cafe["town"], "Lyon")
        self.assertEqual((cafe["association"], cafe["project"], cafe["slide_shown"],
                          cafe["participate_tapped"], cafe["payment_approved"]),
                         ("Jardins partagés", "Jardin", "100", "3", "7"))
        self.assertEqual(by_key[(EVENING, "Salon Rive Gauche", "gone")]["association"], "")
        # The CSV adds up to the page.
        page = self.page(self.admin)["funnel"]
        for counter in COUNTERS:
            self.assertEqual(sum(int(r[counter]) for r in rows), page[counter], counter)

    # -- by town -----------------------------------------------------------------------------

    def test_counts_by_town_and_the_town_filter_per_role(self) -> None:
        towns = {r["label"]: (r["slide_shown"], r["payment_approved"])
                 for r in self.page(self.admin)["towns"]}
        self.assertEqual(towns, {"Lyon": (140, 8), "Villeurbanne": (65, 3)})
        form = self.page(self.admin)["form"]
        self.assertTrue(form.offers_town)
        self.assertEqual([v for v, _ in form.fields["town"].choices],
                         ["", "Bron", "Lyon", "Villeurbanne"])
        lyon = self.page(self.admin, town="Lyon")
        self.assertEqual(self.totals(lyon)["slide_shown"], 140)
        self.assertEqual([r["label"] for r in lyon["shops"]], ["Café des Capucins"])
        self.assertEqual({r["town"] for r in self.csv_rows(self.admin, town="Lyon")}, {"Lyon"})
        # An association: its own projects' counts in each town, never the other's.
        for user, expected in ((self.assoc1, {"Lyon": 100}),
                               (self.assoc2, {"Lyon": 40, "Villeurbanne": 60})):
            context = self.page(user)
            self.assertEqual({r["label"]: r["slide_shown"] for r in context["towns"]},
                             expected)
            self.assertEqual([v for v, _ in context["form"].fields["town"].choices],
                             ["", "Lyon", "Villeurbanne"])  # the shops listing its projects
            in_lyon = self.page(user, town="Lyon")
            self.assertEqual(self.totals(in_lyon)["slide_shown"], expected["Lyon"])
            self.client.force_login(user)
            self.assertEqual(self.client.get(PAGE, {"town": "Bron"}).status_code, 404)
            self.assertEqual(self.client.get(CSV, {"town": "Bron"}).status_code, 404)
        self.assertEqual(self.page(self.assoc1, town="Villeurbanne")["funnel"]["slide_shown"], 0)
        # A shop: its own town only, nothing to choose.
        shop = self.page(self.shop1)
        self.assertEqual([r["label"] for r in shop["towns"]], ["Lyon"])
        self.assertFalse(shop["form"].offers_town)
        self.client.force_login(self.shop1)
        self.assertEqual(self.client.get(PAGE, {"town": "Villeurbanne"}).status_code, 404)
        # Shown on the page, in French.
        self.client.force_login(self.admin)
        self.assertContains(self.client.get(PAGE, RANGE), "Par ville")

    def test_a_shop_without_a_town_is_counted_under_plain_words(self) -> None:
        nowhere = Shop.objects.create(name="Kiosque du marché")
        ShopProject.objects.create(shop=nowhere, project=self.p1)
        Kiosk(Client(), "market-01", nowhere).beat(
            engagement=counts(MORNING, "p1", slide_shown=7))
        towns = {r["label"]: r["slide_shown"] for r in self.page(self.admin)["towns"]}
        self.assertEqual(towns, {"Lyon": 140, "Villeurbanne": 65, None: 7})
        self.client.force_login(self.admin)
        page = self.client.get(PAGE, RANGE).content.decode()
        self.assertIn('<th scope="row">Ville non renseignée</th><td class="num">7</td>', page)
