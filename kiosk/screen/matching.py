"""Matching sponsors and the shop's own total, as the attract loop and the thank-you screen
show them (no Kivy).

A sponsor is shown while the budget the central service last reported, minus this kiosk's
own approved gifts to the project that it has not synced yet, is above zero: the kiosk never
promises a doubling its own gifts have already used up. The thank-you screen says the gift
was doubled only when that view, just before the gift, still had budget left. The central
service alone decides what is really matched (another kiosk may have spent the last euros
meanwhile); the kiosk's words are its best knowledge, offline included.

The shop's total is the catalog's (this month, the central service's calendar) plus this
kiosk's approved gifts of the month that are not synced yet; it is shown only above zero, with
the shop's name when the catalog carried it (« Café des Capucins a collecté … »), else
« Ce commerce a collecté … ».
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kiosk.core import i18n
from kiosk.core.money import format_cents

if TYPE_CHECKING:
    from kiosk.core.catalog import Project, ShopTotal
    from kiosk.core.ledger import Ledger


def budget_left(project: Project, local_cents: int, today: dt.date | None = None) -> int:
    """The sponsor's budget left as this kiosk knows it (0: none, ended or spent)."""
    sponsor = project.sponsor
    today = today or dt.date.today()
    if sponsor is None or dt.date.fromisoformat(sponsor.ends_on) < today \
            or project.currency != "EUR":
        return 0
    return max(0, sponsor.budget_left_cents - local_cents)


def sponsor_line(project: Project, local_cents: int, language: str,
                 today: dt.date | None = None) -> str:
    """« Chaque don doublé, jusqu'à 500 € — boulangerie Martin », or "" when not matching."""
    if not budget_left(project, local_cents, today):
        return ""
    assert project.sponsor is not None
    return i18n.tr("{text} — {sponsor}", language).format(text=project.sponsor.text,
                                                          sponsor=project.sponsor.name)


def doubled_by(project: Project, local_cents_before: int,
               today: dt.date | None = None) -> str:
    """The sponsor's name if the gift just approved was matched in this kiosk's view (budget
    left before it, excluding it), else ""."""
    if not budget_left(project, local_cents_before, today):
        return ""
    assert project.sponsor is not None
    return project.sponsor.name


def month_start_utc(now: dt.datetime) -> str:
    """The first instant of ``now``'s local month, in the ledger's UTC text form."""
    local = now.astimezone()
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def shop_total_cents(total: ShopTotal | None, local_month_cents: int, now: dt.datetime) -> int:
    """The catalog's total for this month (none if it counts another month: the catalog is
    older than the month) plus this kiosk's unsynced approved gifts of the month."""
    central = total.raised_cents if total and total.month == f"{now.astimezone():%Y-%m}" \
        and total.currency == "EUR" else 0
    return central + local_month_cents


@dataclass(frozen=True)
class ShopTotalView:
    amount: str  # « 1 240 € »
    words: str  # « Ce commerce a collecté 1 240 € pour le quartier ce mois-ci »


def shop_total_view(cents: int, language: str, shop_name: str = "") -> ShopTotalView | None:
    if cents <= 0:
        return None
    amount = format_cents(cents, "EUR", language)
    if shop_name:
        words = i18n.tr("{shop} has raised {amount} for the neighbourhood this month",
                        language).format(shop=shop_name, amount=amount)
    else:
        words = i18n.tr("This shop has raised {amount} for the neighbourhood this month",
                        language).format(amount=amount)
    return ShopTotalView(amount, words)


def shop_total_to_show(ledger: Ledger, now: dt.datetime) -> tuple[int, str]:
    """I/O thread: the cents the shop-total slide shows now (0 to leave it out: turned off
    by the owner, or nothing collected this month) and the shop's name ("": not known)."""
    from kiosk.core.catalog import shop_total_from_meta
    from kiosk.owner.shop_total import shown

    if not shown(ledger):
        return 0, ""
    local = ledger.unsynced_approved_since(month_start_utc(now))
    total = shop_total_from_meta(ledger.catalog_meta())
    name = total.shop_name if total is not None and total.shop_name else ""
    return shop_total_cents(total, local, now), name
