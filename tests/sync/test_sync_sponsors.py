"""Sponsors and the shop's month total on the kiosk side: the decoders keep the catalog
whatever these optional fields hold (Hypothesis), and gifts made on a kiosk move the
sponsor's budget and the shop's total through the central service and a real
``kiosk-sync --once`` to what the kiosk's screen shows."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import catalog as screen_catalog
from kiosk.screen import matching
from kiosk.sync.catalog_parse import parse_catalog
from tests.central.conftest import Api
from tests.central.helpers import project
from tests.central.test_engagement_contract import association_user, signed_in
from tests.central.test_sponsors_contract import add_sponsor
from tests.sync.conftest import Kiosk
from tests.sync.test_sync_engagement import json_values, sync_once

TODAY = dt.date.today()


def good_sponsor(**over: Any) -> dict[str, Any]:
    return {"name": "la boulangerie Martin", "text": "Chaque don doublé, jusqu'à 500 €",
            "budget_cents": 50_000, "budget_left_cents": 12_000,
            "ends_on": (TODAY + dt.timedelta(days=9)).isoformat(), **over}


near_sponsors = st.fixed_dictionaries({
    "name": st.text(max_size=130) | json_values, "text": st.text(max_size=210) | json_values,
    "budget_cents": st.integers(-5, 2**60) | json_values,
    "budget_left_cents": st.integers(-5, 2**60) | json_values,
    "ends_on": st.dates().map(dt.date.isoformat) | st.text(max_size=12) | json_values})
near_totals = st.fixed_dictionaries({
    "month": st.from_regex(r"[0-9]{4}-[0-9]{2}", fullmatch=True) | st.text(max_size=9)
    | json_values,
    "raised_cents": st.integers(-5, 2**60) | json_values,
    "currency": st.sampled_from(["EUR", "eur", "EURO", ""]) | json_values,
    "shop_name": st.text(max_size=240) | st.sampled_from(["Café des Capucins", " ", "a\nb"])
    | json_values})


@settings(max_examples=300)
@given(near_sponsors | json_values, near_totals | json_values)
def test_whatever_the_sponsor_and_total_hold_the_catalog_stays(sponsor: Any,
                                                                total: Any) -> None:
    body = {"version": "v1", "shop_total": total, "projects": [
        project("p1", "Assoc", sponsor=sponsor), project("p2", "Assoc", sponsor=good_sponsor())]}
    doc = parse_catalog(body, 1 << 20)  # never refused for these optional fields
    assert doc.projects[1].sponsor is not None
    assert doc.projects[1].sponsor.budget_left_cents == 12_000
    kept = doc.projects[0].sponsor
    if kept is not None:
        assert kept.name.strip() and kept.text.strip() and len(kept.name) <= 120
        assert 1 <= kept.budget_left_cents <= kept.budget_cents
        dt.date.fromisoformat(kept.ends_on)
    if doc.shop_total is not None:
        assert doc.shop_total.raised_cents >= 0 and len(doc.shop_total.currency) == 3
        assert 1 <= int(doc.shop_total.month[5:]) <= 12
        name = doc.shop_total.shop_name
        if name is not None:  # one line of text, or no name at all
            assert name == name.strip() and name and len(name) <= 200
            assert not any(c in name for c in "\n\r\t")


def test_a_malformed_sponsor_or_total_is_dropped_with_its_reason(
        caplog: pytest.LogCaptureFixture) -> None:
    body = {"version": "v1", "shop_total": {"month": "2026-13", "raised_cents": 5,
                                            "currency": "EUR"},
            "projects": [project("p1", "Assoc", sponsor=good_sponsor(budget_left_cents=60_000))]}
    with caplog.at_level(logging.WARNING, logger="kiosk.sync.catalog"):
        doc = parse_catalog(body, 1 << 20)
    assert doc.projects[0].sponsor is None and doc.shop_total is None
    assert "project 'p1'.sponsor dropped: budget_left_cents: expected a whole number" \
        in caplog.text
    assert "catalog.shop_total dropped: month: expected YYYY-MM" in caplog.text


@pytest.mark.parametrize("name", [42, "", "   ", "x" * 201, ["Café"]])
def test_a_malformed_shop_name_is_dropped_and_the_total_kept(
        name: Any, caplog: pytest.LogCaptureFixture) -> None:
    total = {"month": "2026-11", "raised_cents": 5, "currency": "EUR", "shop_name": name}
    with caplog.at_level(logging.WARNING, logger="kiosk.sync.catalog"):
        doc = parse_catalog({"version": "v1", "shop_total": total, "projects": []}, 1 << 20)
    assert doc.shop_total is not None and doc.shop_total.raised_cents == 5
    assert doc.shop_total.shop_name is None
    assert "catalog.shop_total.shop_name dropped: shop_name: expected text" in caplog.text


def test_an_old_service_without_a_shop_name_and_a_name_on_two_lines() -> None:
    total = {"month": "2026-11", "raised_cents": 5, "currency": "EUR"}
    doc = parse_catalog({"version": "v1", "shop_total": total, "projects": []}, 1 << 20)
    assert doc.shop_total is not None and doc.shop_total.shop_name is None
    total["shop_name"] = " Café des\n  Capucins "
    doc = parse_catalog({"version": "v1", "shop_total": total, "projects": []}, 1 << 20)
    assert doc.shop_total is not None and doc.shop_total.shop_name == "Café des Capucins"


def give(kiosk: Kiosk, project_id: str, cents: int, state: str = "approved") -> None:
    d = kiosk.ledger.create_pending(project_id, cents, "EUR")
    kiosk.ledger.finish(d.id, state, auth_code="A1B2C3" if state == "approved" else None,
                        card_suffix="4242" if state == "approved" else None,
                        reason=None if state == "approved" else "declined")


def screen_view(kiosk: Kiosk) -> tuple[int, str, tuple[int, str]]:
    """What the screen would show: the garden's budget left, its sponsor line, the shop's
    total and name (read as the screen reads them: the cached catalog plus the ledger)."""
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert live.source == "server"
    [garden] = [p for p in live.projects if p.id == "jardin"]
    local = kiosk.ledger.local_progress().get("jardin", (0, 0))[0]
    return (matching.budget_left(garden, local), matching.sponsor_line(garden, local, "fr"),
            matching.shop_total_to_show(kiosk.ledger, dt.datetime.now(dt.UTC)))


def test_gifts_move_the_sponsor_and_the_shop_total_through_kiosk_sync(kiosk: Kiosk) -> None:
    central = kiosk.central
    central.store.set_catalog({"version": "x", "projects": [
        project("jardin", "Jardins du Canal", raised_cents=0), project("ecole", "Jardins du Canal",
                                                                      raised_cents=0)]}, {})
    session = requests.Session()
    session.trust_env = False
    api = Api(central, session)
    add_sponsor(api, signed_in(api, association_user(api, "Jardins du Canal")), "jardin",
                budget_cents=3000)
    sync_once(kiosk)
    assert screen_view(kiosk) == (3000, "Chaque don doublé, jusqu'à 500 € — la boulangerie "
                                        "Martin", (0, ""))

    # Offline: the kiosk counts its own unsynced gifts against the budget and in the total.
    give(kiosk, "jardin", 1000)
    give(kiosk, "ecole", 700)
    give(kiosk, "jardin", 5000, state="declined")
    assert screen_view(kiosk)[0::2] == (2000, (1700, ""))
    give(kiosk, "jardin", 2500)
    left, line, total = screen_view(kiosk)
    assert (left, line, total) == (0, "", (4200, "")), "the kiosk's own gifts used the budget up"

    # Synced: the central service matched 3000 of 3500 and says so; the shop total is its own.
    sync_once(kiosk)
    assert kiosk.ledger.local_progress() == {}
    live = screen_catalog.load(kiosk.ledger.db, kiosk.cfg.data_dir)
    assert [p.sponsor for p in live.projects if p.id == "jardin"] == [None]
    # The central service named the shop with its total: the slide says its name.
    assert live.shop_total == screen_catalog.ShopTotal(f"{dt.date.today():%Y-%m}", 4200, "EUR",
                                                       "Test shop")
    assert screen_view(kiosk) == (0, "", (4200, "Test shop"))
    session.close()
