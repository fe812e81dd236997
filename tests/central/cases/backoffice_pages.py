"""The back office's own pages (central.backoffice): who may open which page, which rows each
role sees there, and the exact numbers. Donations and heartbeats reach the service through
the device API (enrollment, batches, heartbeats) as a kiosk sends them; Django's test client
against the real views. Run per database by test_backoffice.py."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from typing import Any

from django.contrib.auth.models import User
from django.test import Client, TestCase
from django.utils import timezone

from central.accounts.models import Membership
from central.backoffice.models import StaffAction
from central.catalog.models import Association, Project, Shop, ShopProject
from central.devices import services as device_services
from central.devices.models import Device
from central.donations.services import ingest_batch
from kiosk.core.ledger.records import Donation as KioskDonation
from tests.central.helpers import donation, heartbeat

BO = "/backoffice/"
MARCH = "2026-03-10T10:00:00.000Z"
# 22:30 UTC on 31 March is 00:30 on 1 April in Paris: an April donation for the back office.
LATE_MARCH_UTC = "2026-03-31T22:30:00.000Z"
RANGE = {"start": "2026-03-01", "end": "2026-04-30"}


def staff(name: str, role: str, **scope: object) -> User:
    user = User.objects.create_user(name, password="pw")
    Membership.objects.create(user=user, role=role, **scope)
    return user


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Kiosk:
    """A kiosk as the service sees it: enrolled with a code, then batches and heartbeats."""

    def __init__(self, client: Client, device_id: str, shop: Shop | None):
        self.client, self.device_id, self.seq = client, device_id, 0
        code = device_services.create_enrollment_code(device_id, shop=shop)
        r = client.post("/v1/enroll", {"code": code, "device_id": device_id},
                        content_type="application/json")
        assert r.status_code == 200, r.content
        self.token = r.json()["token"]

    def call(self, path: str, body: dict[str, Any]) -> Any:
        r = self.client.post(f"/v1/devices/{self.device_id}/{path}", json.dumps(body),
                             content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {self.token}")
        assert r.status_code == 200, r.content
        return r.json()

    def give(self, project: str, amount: int, state: str = "approved",
             at: str = MARCH) -> None:
        self.seq += 1
        item = donation(self.seq, project, amount, state, created_at=at, finished_at=at)
        results = self.call("donations:batch", {"donations": [item]})["results"]
        assert [r["status"] for r in results] == ["created"], results

    def beat(self, **over: Any) -> None:
        self.call("heartbeat", heartbeat(**over))


class BackofficePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.a1 = Association.objects.create(name="Jardins partagés")
        cls.a2 = Association.objects.create(name="École du quartier")
        cls.p1 = Project.objects.create(project_id="p1", association=cls.a1, title="Jardin",
                                        summary="s")
        cls.p2 = Project.objects.create(project_id="p2", association=cls.a2, title="Cantine",
                                        summary="s")
        cls.s1 = Shop.objects.create(name="Café des Capucins")
        cls.s2 = Shop.objects.create(name="Salon Rive Gauche")
        for shop in (cls.s1, cls.s2):
            for project in (cls.p1, cls.p2):
                ShopProject.objects.create(shop=shop, project=project)
        client = Client()
        cls.k1 = Kiosk(client, "cafe-01", cls.s1)
        cls.k2 = Kiosk(client, "salon-01", cls.s2)
        cls.k1.give("p1", 500)
        cls.k1.give("p1", 1250)
        cls.k1.give("p2", 300)
        cls.k1.give("p1", 700, "declined")
        cls.k1.give("p1", 900, "unknown")
        cls.k1.give("p1", 4000, at=LATE_MARCH_UTC)
        cls.k2.give("p2", 2000)
        cls.k2.give("p2", 400, "cancelled")
        cls.admin = staff("netadmin", Membership.NETWORK_ADMIN)
        cls.assoc1 = staff("assoc1", Membership.ASSOCIATION, association=cls.a1)
        cls.assoc2 = staff("assoc2", Membership.ASSOCIATION, association=cls.a2)
        cls.shop1 = staff("shop1", Membership.SHOP, shop=cls.s1)
        cls.operator = staff("operator", Membership.OPERATOR)

    def get(self, user: User, url: str, **params: str) -> Any:
        self.client.force_login(user)
        return self.client.get(url, params)

    def money(self, user: User, url: str = f"{BO}money/", **params: str) -> dict:
        """(period or None, group label, currency) -> the row's counts and cents."""
        page = self.get(user, url, **{**RANGE, **params})
        self.assertEqual(page.status_code, 200)
        rows = page.context["rows"].object_list
        return {(r.get("period") and timezone.localtime(r["period"]).strftime("%Y-%m"),
                 r["label"], r["cur"]):
                {k: v for k, v in r.items() if k.endswith(("_count", "_cents")) and v}
                for r in rows}

    # -- who may open what -------------------------------------------------------------------

    def test_each_role_lands_on_its_page_and_is_refused_the_others(self) -> None:
        for user, page in ((self.admin, "fleet/"), (self.operator, "fleet/"),
                           (self.assoc1, "money/"), (self.shop1, f"shops/{self.s1.pk}/")):
            self.client.force_login(user)
            self.assertRedirects(self.client.get(f"{BO}start/"), BO + page,
                                 fetch_redirect_response=False)
        self.assertEqual(self.get(self.operator, f"{BO}money/").status_code, 403)
        self.assertEqual(self.get(self.operator, f"{BO}money/export.csv").status_code, 403)
        self.assertEqual(self.get(self.operator, f"{BO}shops/{self.s1.pk}/").status_code, 404)
        for user in (self.assoc1, self.shop1):
            self.assertEqual(self.get(user, f"{BO}fleet/").status_code, 403)
            self.assertEqual(self.get(user, f"{BO}fleet/cafe-01/").status_code, 403)
        self.client.logout()
        self.assertRedirects(self.client.get(f"{BO}fleet/"),
                             f"{BO}sign-in/?next={BO}fleet/")

    def test_sign_in_with_a_password(self) -> None:
        page = self.client.post(f"{BO}sign-in/", {"username": "assoc1", "password": "pw"})
        self.assertRedirects(page, f"{BO}start/", fetch_redirect_response=False)
        self.assertEqual(self.client.get(f"{BO}money/").status_code, 200)

    # -- money -------------------------------------------------------------------------------

    def test_network_admin_sees_every_donation_by_project(self) -> None:
        self.assertEqual(self.money(self.admin, by="project", period="range"), {
            (None, "Jardin", "EUR"): {"approved_count": 3, "approved_cents": 5750,
                                      "declined_count": 1, "declined_cents": 700,
                                      "unknown_count": 1, "unknown_cents": 900},
            (None, "Cantine", "EUR"): {"approved_count": 2, "approved_cents": 2300,
                                       "cancelled_count": 1, "cancelled_cents": 400}})

    def test_months_are_local_time(self) -> None:
        self.assertEqual(self.money(self.admin, by="association", period="month"), {
            ("2026-04", "Jardins partagés", "EUR"): {"approved_count": 1,
                                                     "approved_cents": 4000},
            ("2026-03", "Jardins partagés", "EUR"): {
                "approved_count": 2, "approved_cents": 1750, "declined_count": 1,
                "declined_cents": 700, "unknown_count": 1, "unknown_cents": 900},
            ("2026-03", "École du quartier", "EUR"): {
                "approved_count": 2, "approved_cents": 2300, "cancelled_count": 1,
                "cancelled_cents": 400}})
        april = self.money(self.admin, by="shop", period="day", start="2026-04-01",
                           end="2026-04-01")
        self.assertEqual(april, {("2026-04", "Café des Capucins", "EUR"):
                                 {"approved_count": 1, "approved_cents": 4000}})

    def test_an_association_sees_only_the_donations_to_its_projects(self) -> None:
        self.assertEqual(self.money(self.assoc1, by="shop", period="range"), {
            (None, "Café des Capucins", "EUR"): {
                "approved_count": 3, "approved_cents": 5750, "declined_count": 1,
                "declined_cents": 700, "unknown_count": 1, "unknown_cents": 900}})
        self.assertEqual(self.money(self.assoc2, by="shop", period="range"), {
            (None, "Café des Capucins", "EUR"): {"approved_count": 1, "approved_cents": 300},
            (None, "Salon Rive Gauche", "EUR"): {"approved_count": 1, "approved_cents": 2000,
                                                 "cancelled_count": 1,
                                                 "cancelled_cents": 400}})
        own = self.money(self.assoc1, f"{BO}money/associations/{self.a1.pk}/",
                         by="project", period="range")
        self.assertEqual(set(own), {(None, "Jardin", "EUR")})

    def test_an_association_cannot_open_another_ones_page_by_url(self) -> None:
        for url, params in ((f"{BO}money/associations/{self.a2.pk}/", {}),
                            (f"{BO}money/", {"association": str(self.a2.pk)}),
                            (f"{BO}money/export.csv", {"association": str(self.a2.pk)}),
                            (f"{BO}money/", {"shop": str(self.s2.pk)})):
            self.assertEqual(self.get(self.assoc1, url, **params).status_code, 404, url)

    def test_a_shop_sees_the_donations_made_on_its_kiosks(self) -> None:
        self.assertEqual(self.money(self.shop1, by="project", period="range"), {
            (None, "Jardin", "EUR"): {"approved_count": 3, "approved_cents": 5750,
                                      "declined_count": 1, "declined_cents": 700,
                                      "unknown_count": 1, "unknown_cents": 900},
            (None, "Cantine", "EUR"): {"approved_count": 1, "approved_cents": 300}})
        self.assertEqual(self.get(self.shop1, f"{BO}shops/{self.s2.pk}/").status_code, 404)
        self.assertEqual(self.get(self.shop1, f"{BO}shops/{self.s2.pk}/print/2026-03/")
                         .status_code, 404)
        self.assertEqual(self.get(self.assoc1, f"{BO}shops/{self.s1.pk}/").status_code, 404)

    def test_a_large_selection_is_paged_in_the_database_with_the_same_numbers(self) -> None:
        # 60 kiosks, a donation each month from May 2025 to February 2026 (before the
        # fixture's March): 600 rows by kiosk and by day, 600 by kiosk and by month, more
        # than the page reads at once (views.MONEY_ROWS_AT_ONCE), so counted, sliced and
        # totalled in the database; by month from the month rows of May to January and
        # the day rows of February (the range ends on the 24th).
        want: dict[tuple, int] = {}
        months = [dt.date(2025 + (4 + m) // 12, (4 + m) % 12 + 1, 1) for m in range(10)]
        for k in range(60):
            device = Device.objects.create(device_id=f"kiosk-{k:02d}", shop=self.s1)
            items = []
            for m, month in enumerate(months):
                at = f"{month.replace(day=1 + k % 20):%Y-%m-%d}T10:00:00.000Z"
                items.append(donation(m + 1, "p2", 100 + 10 * k + m, created_at=at,
                                      finished_at=at))
                want[(at[:10], device.device_id)] = 100 + 10 * k + m
            self.assertEqual(set(ingest_batch(device, items)), {"created"})
        period = {"start": "2025-04-20", "end": "2026-02-24", "by": "device"}
        totals = [{"cur": "EUR", **{f"{s}_{m}": 0 for s in ("approved", "declined",
                                                             "cancelled", "failed", "unknown")
                                    for m in ("count", "cents")},
                   "approved_count": 600, "approved_cents": sum(want.values())}]
        for by_period, key_of in (("day", lambda r: r["period"].strftime("%Y-%m-%d")),
                                  ("month", lambda r: r["period"].strftime("%Y-%m"))):
            page = self.get(self.admin, f"{BO}money/", period=by_period, **period)
            self.assertEqual(page.context["rows"].paginator.count, 600)
            self.assertEqual(page.context["totals"], totals)
            seen: dict[tuple, int] = {}
            for number in page.context["rows"].paginator.page_range:
                rows = self.get(self.admin, f"{BO}money/", period=by_period, page=str(number),
                                **period).context["rows"].object_list
                for r in rows:
                    self.assertEqual(r["approved_count"], 1)
                    seen[(key_of(r), r["key"])] = r["approved_cents"]
            self.assertEqual(seen, {(day[:len(key_of(rows[0]))], device): cents
                                    for (day, device), cents in want.items()})
        # Over the whole range: a row per kiosk, read at once, the same totals.
        page = self.get(self.admin, f"{BO}money/", period="range", **period)
        self.assertEqual(page.context["totals"], totals)
        self.assertEqual(page.context["rows"].paginator.count, 60)
        # The export of the same selection: every donation once, the page's totals.
        answer = self.get(self.admin, f"{BO}money/export.csv", period="day", **period)
        exported = list(csv.DictReader(io.StringIO(
            b"".join(answer.streaming_content).decode())))
        self.assertEqual({(r["created_at"][:10], r["device_id"]): int(r["amount_cents"])
                          for r in exported}, want)

    def test_csv_has_the_kiosk_export_columns_plus_device_and_shop(self) -> None:
        answer = self.get(self.assoc2, f"{BO}money/export.csv", **RANGE)
        self.assertEqual(answer.status_code, 200)
        body = b"".join(answer.streaming_content).decode()
        rows = list(csv.reader(io.StringIO(body)))
        kiosk_columns = [f.name for f in dataclasses.fields(KioskDonation)]
        self.assertEqual(rows[0], [*kiosk_columns, "device_id", "shop"])
        got = [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
        self.assertEqual([(r["device_id"], r["shop"], r["project_id"], r["amount_cents"],
                           r["state"], r["seq"]) for r in got],
                         [("cafe-01", "Café des Capucins", "p2", "300", "approved", "3"),
                          ("salon-01", "Salon Rive Gauche", "p2", "2000", "approved", "1"),
                          ("salon-01", "Salon Rive Gauche", "p2", "400", "cancelled", "2")])
        self.assertEqual(got[0]["created_at"], MARCH)
        self.assertEqual((got[0]["auth_code"], got[0]["card_suffix"], got[2]["reason"]),
                         ("A1B2C3", "4242", "declined"))

    def test_the_shop_page_totals_this_month_and_this_year(self) -> None:
        now = timezone.localtime()
        new_year = now.replace(month=1, day=1, hour=0, minute=30, second=0, microsecond=0)
        self.k1.give("p1", 1500, at=iso(now - dt.timedelta(minutes=5)))
        self.k1.give("p2", 250, at=iso(now - dt.timedelta(minutes=4)))
        self.k1.give("p2", 999, "declined", at=iso(now - dt.timedelta(minutes=3)))
        self.k1.give("p1", 800, at=iso(new_year))
        self.k2.give("p1", 7000, at=iso(now - dt.timedelta(minutes=2)))  # another shop
        page = self.get(self.shop1, f"{BO}shops/{self.s1.pk}/")
        self.assertEqual(page.status_code, 200)

        def totals(rows: list[dict]) -> dict:
            return {r["project_ref"]: (r["count"], r["cents"]) for r in rows}

        january = now.month == 1
        self.assertEqual(totals(page.context["month_rows"]),
                         {"p1": (2, 2300) if january else (1, 1500), "p2": (1, 250)})
        # March 2026 donations are this year's too when this year is 2026.
        march = {"p1": (3, 5750), "p2": (1, 300)} if now.year == 2026 else {}
        self.assertEqual(totals(page.context["year_rows"]),
                         {"p1": (2 + march.get("p1", (0, 0))[0],
                                 2300 + march.get("p1", (0, 0))[1]),
                          "p2": (1 + march.get("p2", (0, 0))[0],
                                 250 + march.get("p2", (0, 0))[1])})
        printed = self.get(self.shop1, f"{BO}shops/{self.s1.pk}/print/2026-03/")
        self.assertEqual([(r["project_ref"], r["count"], r["cents"])
                          for r in printed.context["rows"]],
                         [("p1", 2, 1750), ("p2", 1, 300)])
        self.assertEqual(printed.context["totals"],
                         [{"currency": "EUR", "count": 3, "cents": 2050}])

    # -- fleet -------------------------------------------------------------------------------

    def test_fleet_shows_problems_first_and_filters(self) -> None:
        quiet = Kiosk(Client(), "quiet-01", self.s1)  # enrolled, never heard from
        self.k1.beat(unknown_count=1, backlog_count=0, oldest_unsynced_seq=None)
        self.k2.beat(backlog_count=0, oldest_unsynced_seq=None)
        old = Kiosk(Client(), "old-backlog", self.s2)
        # A day and more ago the server first heard of seq 7 waiting; it is still waiting.
        device = Device.objects.get(device_id="old-backlog")
        device_services.record_heartbeat(device, heartbeat(oldest_unsynced_seq=7),
                                         now=timezone.now() - dt.timedelta(hours=25))
        old.beat(oldest_unsynced_seq=7, disk_free_bytes=50 << 20)
        page = self.get(self.operator, f"{BO}fleet/")
        devices = list(page.context["devices"])
        self.assertEqual([(d.device_id, d.problem_count) for d in devices],
                         [("old-backlog", 2), ("cafe-01", 1), ("quiet-01", 1),
                          ("salon-01", 0)])
        self.assertTrue(devices[0].is_backlog and devices[0].is_disk)
        self.assertLess(devices[0].backlog_since, timezone.now() - dt.timedelta(hours=24))
        self.assertTrue(devices[2].is_silent)
        self.assertEqual(quiet.device_id, devices[2].device_id)

        def listed(**params: str) -> list[str]:
            return [d.device_id for d in
                    self.get(self.admin, f"{BO}fleet/", **params).context["devices"]]

        self.assertEqual(listed(problem="unknown"), ["cafe-01"])
        self.assertEqual(listed(problem="backlog"), ["old-backlog"])
        self.assertEqual(listed(problem="silent"), ["quiet-01"])
        self.assertEqual(listed(shop=str(self.s2.pk)), ["old-backlog", "salon-01"])
        self.assertEqual(listed(problem="any", shop=str(self.s1.pk)), ["cafe-01", "quiet-01"])

    def test_fleet_and_donations_filter_by_town(self) -> None:
        Shop.objects.filter(pk=self.s1.pk).update(town="Marseille")
        Shop.objects.filter(pk=self.s2.pk).update(town="Aix-en-Provence")
        Kiosk(Client(), "nowhere-01", None)  # no shop, so no town

        def listed(user: User, **params: str) -> list[str]:
            return [d.device_id for d in
                    self.get(user, f"{BO}fleet/", **params).context["devices"]]

        self.assertEqual(listed(self.operator, town="Marseille"), ["cafe-01"])
        self.assertEqual(listed(self.admin, town="Aix-en-Provence"), ["salon-01"])
        page = self.get(self.operator, f"{BO}fleet/")
        self.assertEqual(page.context["form"].fields["town"].choices[1:],
                         [("Aix-en-Provence", "Aix-en-Provence"), ("Marseille", "Marseille")])
        self.assertContains(page, '<label for="id_town">')
        self.assertEqual(self.money(self.admin, by="shop", period="range", town="Marseille"), {
            (None, "Café des Capucins", "EUR"): {
                "approved_count": 4, "approved_cents": 6050, "declined_count": 1,
                "declined_cents": 700, "unknown_count": 1, "unknown_cents": 900}})
        export = self.get(self.admin, f"{BO}money/export.csv", town="Aix-en-Provence", **RANGE)
        shops = {row["shop"] for row in csv.DictReader(io.StringIO(
            b"".join(export.streaming_content).decode()))}
        self.assertEqual(shops, {"Salon Rive Gauche"})
        # A shop owner sees only its own shop's town; another town is as if it did not exist.
        self.assertEqual(self.get(self.shop1, f"{BO}money/", town="Aix-en-Provence")
                         .status_code, 404)

    def test_device_page_history_and_kiosk_audit(self) -> None:
        audit = [{"seq": 1, "at": MARCH, "boot_id": "b", "mono_ns": 1, "actor": "owner",
                  "action": "featured_changed", "detail": {"projects": ["p1"]}}]
        self.k1.beat(audit=audit, disk_free_bytes=300 << 20)
        page = self.get(self.operator, f"{BO}fleet/cafe-01/")
        self.assertEqual(page.status_code, 200)
        self.assertEqual([r.action for r in page.context["audit"]], ["featured_changed"])
        chart = page.context["chart"]
        self.assertEqual((chart["backlog"], chart["disk_mib"]), ([3], [300]))
        self.assertContains(page, 'id="history-data"')
        self.assertEqual(self.get(self.operator, f"{BO}fleet/nope/").status_code, 404)

    def test_revoke_and_a_new_code_are_recorded_with_who(self) -> None:
        self.client.force_login(self.operator)
        url = f"{BO}fleet/cafe-01/"
        refused = self.client.post(f"{url}revoke", {})
        self.assertEqual(refused.status_code, 200)
        self.assertIn("confirm", refused.context["revoke_form"].errors)
        self.assertIsNone(Device.objects.get(device_id="cafe-01").revoked_at)
        enrolled = self.client.post(f"{url}enrollment-code", {"expires_days": "3"})
        self.assertRedirects(enrolled, url)  # enrolled: revoke first
        self.assertRedirects(self.client.post(f"{url}revoke", {"confirm": "on"}), url)
        self.assertIsNotNone(Device.objects.get(device_id="cafe-01").revoked_at)
        answer = self.client.post(f"{url}enrollment-code", {"expires_days": "3"})
        self.assertEqual(answer.status_code, 200)
        self.assertEqual(answer["Cache-Control"], "no-store")
        code = answer.context["code"]
        self.assertContains(answer, code)
        self.assertNotContains(self.client.get(url), code)  # shown once
        self.assertEqual([(a.username, a.action, a.detail) for a in
                          StaffAction.objects.filter(device__device_id="cafe-01")],
                         [("operator", "create_enrollment_code", {"expires_days": 3}),
                          ("operator", "revoke", {})])
        again = Client().post("/v1/enroll", {"code": code, "device_id": "cafe-01"},
                              content_type="application/json")
        self.assertEqual(again.status_code, 200)

    def test_actions_need_the_csrf_token(self) -> None:
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.admin)
        self.assertEqual(client.post(f"{BO}fleet/salon-01/revoke", {"confirm": "on"})
                         .status_code, 403)
        self.assertIsNone(Device.objects.get(device_id="salon-01").revoked_at)

    # -- languages ---------------------------------------------------------------------------

    def test_french_by_default_english_on_request(self) -> None:
        self.client.force_login(self.operator)
        self.assertContains(self.client.get(f"{BO}fleet/"), "<h1>Parc</h1>", html=False)
        english = self.client.get(f"{BO}fleet/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(english, "<h1>Fleet</h1>", html=False)
        self.assertContains(english, 'lang="en"')
