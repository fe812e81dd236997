"""Matching and the shop's month total in the batch ingest, with the real services, models
and database (SQLite or PostgreSQL, see test_django_cases.py). The service's clock is the one
thing set by hand (a month's end cannot be waited for): ``django.utils.timezone.now``."""

from __future__ import annotations

import datetime as dt
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

from django.test import TestCase
from django.utils import timezone

from central.catalog.models import Association, Project, Shop, ShopProject
from central.catalog.selectors import device_catalog
from central.devices.models import Device
from central.donations.models import ShopMonthTotal
from central.donations.services import ingest_batch
from central.sponsors.models import Sponsor
from tests.central.helpers import donation

PARIS = ZoneInfo("Europe/Paris")


def at(*args: int) -> Any:
    """The service's clock set to a Paris wall-clock time."""
    return mock.patch("django.utils.timezone.now",
                      return_value=dt.datetime(*args, tzinfo=PARIS).astimezone(dt.UTC))


def garden(doc: dict[str, Any]) -> dict[str, Any]:
    [found] = [p for p in doc["projects"] if p["id"] == "p1"]
    return found


class IngestTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        association = Association.objects.create(name="A")
        cls.project = Project.objects.create(project_id="p1", association=association,
                                             title="Jardin", summary="s")
        cls.other = Project.objects.create(project_id="p2", association=association,
                                           title="Ecole", summary="s")
        cls.shop = Shop.objects.create(name="Café")
        for p in (cls.project, cls.other):
            ShopProject.objects.create(shop=cls.shop, project=p)
        cls.device = Device.objects.create(device_id="k1", shop=cls.shop)
        cls.elsewhere = Device.objects.create(device_id="k2", shop=Shop.objects.create(
            name="Salon"))

    def sponsor(self, budget: int, ends_on: dt.date | None = None,
                project: Project | None = None) -> Sponsor:
        return Sponsor.objects.create(project=project or self.project, name="Martin",
                                      text="Chaque don doublé", budget_cents=budget,
                                      ends_on=ends_on or timezone.localdate())

    def month_total(self, shop: Shop | None = None) -> dict[str, int]:
        return {f"{t.month:%Y-%m} {t.currency}": t.total_cents
                for t in ShopMonthTotal.objects.filter(shop=shop or self.shop)}

    def test_only_approved_gifts_in_euros_are_matched_up_to_the_budget(self) -> None:
        sponsor = self.sponsor(1000)
        ingest_batch(self.device, [donation(1, "p1", 300), donation(2, "p1", 400, "declined"),
                                   donation(3, "p1", 200, currency="CHF"),
                                   donation(4, "p2", 900), donation(5, "nowhere", 900)])
        sponsor.refresh_from_db()
        self.assertEqual(sponsor.matched_cents, 300)
        ingest_batch(self.device, [donation(6, "p1", 500), donation(7, "p1", 500)])
        sponsor.refresh_from_db()
        self.assertEqual(sponsor.matched_cents, 1000, "the last gift is matched in part")
        self.assertEqual(sponsor.budget_left_cents, 0)

    def test_a_duplicate_is_never_matched_again(self) -> None:
        sponsor = self.sponsor(10_000)
        items = [donation(1, "p1", 700), donation(2, "p1", 300)]
        self.assertEqual(ingest_batch(self.device, items), ["created", "created"])
        self.assertEqual(ingest_batch(self.device, items), ["duplicate", "duplicate"])
        self.assertEqual(ingest_batch(self.device, [{**items[0], "amount_cents": 1}]),
                         ["conflict"])
        sponsor.refresh_from_db()
        self.assertEqual(sponsor.matched_cents, 1000)
        self.assertEqual(self.month_total()[f"{timezone.localdate():%Y-%m} EUR"], 1000)

    def test_an_ended_sponsor_matches_nothing_and_leaves_the_catalog(self) -> None:
        sponsor = self.sponsor(1000, ends_on=dt.date(2026, 11, 30))
        with at(2026, 11, 30, 23, 59):
            self.assertEqual(garden(device_catalog(self.device))["sponsor"]
                             ["budget_left_cents"], 1000)
        with at(2026, 12, 1, 0, 1):  # the next day in Paris, still 30 Nov in UTC
            ingest_batch(self.device, [donation(1, "p1", 300)])
            doc = device_catalog(self.device)
        sponsor.refresh_from_db()
        self.assertEqual(sponsor.matched_cents, 0)
        self.assertNotIn("sponsor", garden(doc))

    def test_each_project_is_matched_by_its_own_sponsor_in_one_batch(self) -> None:
        first, second = self.sponsor(500), self.sponsor(10_000, project=self.other)
        ingest_batch(self.device, [donation(1, "p1", 400), donation(2, "p2", 400),
                                   donation(3, "p1", 400)])
        first.refresh_from_db()
        second.refresh_from_db()
        self.assertEqual((first.matched_cents, second.matched_cents), (500, 400))

    def test_the_shop_total_follows_the_services_calendar_month(self) -> None:
        with at(2026, 11, 30, 23, 30):
            ingest_batch(self.device, [donation(1, "p1", 1000), donation(2, "p1", 50, "failed")])
            november = device_catalog(self.device)
        with at(2026, 12, 1, 0, 10):  # 23:10 UTC on 30 November: December in Paris
            self.assertNotIn("shop_total", device_catalog(self.device), "nothing yet in December")
            ingest_batch(self.device, [donation(3, "p1", 240)])
            ingest_batch(self.elsewhere, [donation(1, "p1", 9999)])
            december = device_catalog(self.device)
        self.assertEqual(november["shop_total"],
                         {"month": "2026-11", "raised_cents": 1000, "currency": "EUR",
                          "shop_name": "Café"})
        self.assertEqual(december["shop_total"],
                         {"month": "2026-12", "raised_cents": 240, "currency": "EUR",
                          "shop_name": "Café"})
        self.assertNotEqual(november["version"], december["version"])
        self.assertEqual(self.month_total(), {"2026-11 EUR": 1000, "2026-12 EUR": 240})

    def test_without_a_shop_total_the_version_is_the_hash_it_always_was(self) -> None:
        from central.catalog import selectors
        from central.common.canonical import canonical

        doc = device_catalog(self.device)
        self.assertNotIn("shop_total", doc)
        import hashlib

        self.assertEqual(doc["version"], hashlib.sha256(
            canonical(doc["projects"]).encode()).hexdigest()[:32])
        self.assertIsNone(selectors.shop_total(None, timezone.localdate()))


