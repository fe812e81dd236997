"""What a kiosk shows of sponsors and of the shop's month total, as plain Python over the
real ledger (a SQLite file under tmp_path): the local-unsynced arithmetic, and the loop's
place for the shop-total slide."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from kiosk.core.catalog import Project, ShopTotal, Sponsor
from kiosk.core.ledger import Ledger, Limits
from kiosk.owner import shop_total
from kiosk.screen import matching
from kiosk.screen.project_choice import SHOP_TOTAL, ProjectChoice

TODAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 12, 0, tzinfo=dt.UTC)


def _project(pid: str = "jardin", left: int = 3000, ends_on: str = "2026-12-31",
             currency: str = "EUR") -> Project:
    return Project(id=pid, association="A", title="T", summary="S", image_path=None,
                   goal_cents=10_000, raised_cents=0, currency=currency, url=None,
                   starts_on=None, ends_on=None, active=True,
                   sponsor=Sponsor("la boulangerie Martin", "Chaque don doublé", 50_000, left,
                                   ends_on))


def test_the_budget_left_is_the_catalogs_minus_the_kiosks_own_unsynced_gifts() -> None:
    p = _project(left=3000)
    assert matching.budget_left(p, 0, TODAY) == 3000
    assert matching.budget_left(p, 2999, TODAY) == 1
    assert matching.budget_left(p, 3000, TODAY) == 0
    assert matching.budget_left(p, 9000, TODAY) == 0, "never below zero"
    assert matching.budget_left(_project(ends_on="2026-11-29"), 0, TODAY) == 0, "ended"
    assert matching.budget_left(_project(currency="CHF"), 0, TODAY) == 0, "euros only"
    assert matching.budget_left(dataclasses.replace(p, sponsor=None), 0, TODAY) == 0


def test_the_sponsor_line_and_the_doubled_thanks_follow_the_kiosks_view() -> None:
    p = _project(left=1000)
    assert matching.sponsor_line(p, 0, "fr", TODAY) == "Chaque don doublé — la boulangerie " \
                                                       "Martin"
    assert matching.sponsor_line(p, 1000, "en", TODAY) == ""
    # A gift of 800 with 500 already given here: budget remained before it, so doubled.
    assert matching.doubled_by(p, 500, TODAY) == "la boulangerie Martin"
    assert matching.doubled_by(p, 1000, TODAY) == ""


def test_the_shop_total_counts_this_months_catalog_total_plus_local_gifts() -> None:
    november = ShopTotal("2026-11", 124_000, "EUR")
    assert matching.shop_total_cents(november, 500, NOW) == 124_500
    december = NOW.replace(month=12, day=1)
    assert matching.shop_total_cents(november, 500, december) == 500, "last month's total"
    assert matching.shop_total_cents(None, 0, NOW) == 0
    assert matching.shop_total_view(0, "fr") is None
    view = matching.shop_total_view(124_000, "fr")
    assert view is not None and view.words == (
        f"Ce commerce a collecté {view.amount} pour le quartier ce mois-ci")
    assert view.amount.replace("\u202f", " ").replace("\xa0", " ") == "1 240 €"
    named = matching.shop_total_view(124_000, "fr", "Café des Capucins")
    assert named is not None and named.words == (
        f"Café des Capucins a collecté {named.amount} pour le quartier ce mois-ci")
    english = matching.shop_total_view(124_000, "en", "Café des Capucins")
    assert english is not None and english.words == (
        f"Café des Capucins has raised {english.amount} for the neighbourhood this month")


def test_the_ledger_counts_only_approved_unsynced_gifts_of_the_month(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path / "kiosk.db", Limits(15_000, 10**12, 0))
    try:
        ids = []
        for cents, state in ((1000, "approved"), (700, "declined"), (300, "approved"),
                             (200, "approved")):
            d = ledger.create_pending("jardin", cents, "EUR")
            ledger.finish(d.id, state, auth_code="A1" if state == "approved" else None,
                          card_suffix="4242" if state == "approved" else None,
                          reason=None if state == "approved" else "declined")
            ids.append(d.id)
        start = matching.month_start_utc(dt.datetime.now(dt.UTC))
        assert ledger.unsynced_approved_since(start) == 1500
        assert ledger.unsynced_approved_since("9999-01-01T00:00:00.000Z") == 0
        assert ledger.unsynced_approved_since(start, currency="CHF") == 0
        ledger.mark_synced([ids[0]])
        assert ledger.unsynced_approved_since(start) == 500, "the catalog counts it now"
        assert shop_total.shown(ledger), "on by default"
        ledger.set_setting(shop_total.SETTING, False)
        assert matching.shop_total_to_show(ledger, dt.datetime.now(dt.UTC)) == (0, "")
        ledger.set_setting(shop_total.SETTING, True)
        assert matching.shop_total_to_show(ledger, dt.datetime.now(dt.UTC)) == (500, "")
        # The catalog's total and the shop's name it came with, cached together.
        month = f"{dt.datetime.now():%Y-%m}"
        ledger.switch_catalog([], "v2", '"v2"', set(), shop_total=(month, 1000, "EUR"),
                              shop_name="Café des Capucins")
        assert matching.shop_total_to_show(ledger, dt.datetime.now(dt.UTC)) \
            == (1500, "Café des Capucins")
        # A later catalog without a total forgets the name with it.
        ledger.switch_catalog([], "v3", '"v3"', set())
        assert matching.shop_total_to_show(ledger, dt.datetime.now(dt.UTC)) == (500, "")
        ledger.switch_catalog([], "v4", '"v4"', set(), shop_total=(month, 1000, "EUR"))
        assert matching.shop_total_to_show(ledger, dt.datetime.now(dt.UTC)) == (1500, "")
    finally:
        ledger.close()


def _plain(pid: str) -> Project:
    return dataclasses.replace(_project(pid), sponsor=None)


def test_the_shop_total_comes_once_per_round_between_last_and_first_project() -> None:
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects([_plain("a"), _plain("b"), _plain("c")], {})
    choice.shop_total = True
    shown = [choice.auto_next(now=100.0) for _ in range(8)]
    assert shown == [1, 2, SHOP_TOTAL, 0, 1, 2, SHOP_TOTAL, 0]
    choice.shop_total = False
    assert [choice.auto_next(now=100.0) for _ in range(3)] == [1, 2, 0]


def test_a_donor_moving_by_hand_leaves_the_shop_total_for_a_project() -> None:
    choice = ProjectChoice(resume_after_s=30)
    choice.set_projects([_plain("a"), _plain("b")], {})
    choice.shop_total = True
    assert [choice.auto_next(now=0.0) for _ in range(2)] == [1, SHOP_TOTAL]
    assert choice.move(-1, now=1.0) == 1 and not choice.on_shop_total, "back to where it was"
    assert choice.auto_next(now=2.0) is None, "the loop waits for the donor"
    one = ProjectChoice(resume_after_s=30)
    one.set_projects([_plain("a")], {})
    one.shop_total = True
    assert [one.auto_next(now=0.0) for _ in range(4)] == [SHOP_TOTAL, 0, SHOP_TOTAL, 0]
