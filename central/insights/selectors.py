"""What the engagement page and its CSV read: the funnel, the best hours of the day, the
best shops, and counts by project, association and town, within the user's scope (the donations'
rule: an association sees its projects' counts, a shop its kiosks', a network admin all)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce, ExtractHour

from central.accounts import selectors as scope
from central.accounts.selectors import User
from central.catalog.models import Shop
from central.insights.models import COUNTERS, EngagementCount

# The funnel's steps, in the order a donor goes through them.
FUNNEL = ("slide_shown", "give_tapped", "amount_chosen", "payment_started", "payment_approved")
ABANDONED = ("abandoned_timeout", "abandoned_back", "abandoned_cancel")


@dataclass(frozen=True)
class InsightsFilter:
    start: dt.datetime  # aware, included
    end: dt.datetime    # aware, excluded
    association: int | None = None
    town: str | None = None


def shops_counted_for(user: User) -> QuerySet[Shop]:
    """The shops whose counts the user may see some of: theirs, or those listing their
    associations' projects (the town filter offers these shops' towns, no other)."""
    if scope.is_network_admin(user):
        return Shop.objects.all()
    return Shop.objects.filter(
        Q(pk__in=scope.shops(user).values("pk"))
        | Q(listings__project__association__in=scope.associations(user))).distinct()


def counts(user: User, chosen: InsightsFilter) -> QuerySet[EngagementCount]:
    """The rows the user may see in the chosen hours (and association)."""
    # Every join of the donations' scope (project → association, device → shop) exists here
    # too, under the same names.
    rows = EngagementCount.objects.filter(scope.donation_scope(user),
                                          hour__gte=chosen.start, hour__lt=chosen.end)
    if chosen.association is not None:
        rows = rows.filter(project__association=chosen.association)
    if chosen.town is not None:
        rows = rows.filter(device__shop__town=chosen.town)
    return rows


def _sums() -> dict[str, Any]:
    sums = {c: Coalesce(Sum("count", filter=Q(counter=c)), 0) for c in COUNTERS}
    sums["amount_chosen"] = Coalesce(
        Sum("count", filter=Q(counter__in=["amount_preset", "amount_custom"])), 0)
    return sums


def _with_rates(row: dict[str, Any]) -> dict[str, Any]:
    shown = row["slide_shown"]
    row["approved_per_100_shown"] = round(100 * row["payment_approved"] / shown, 1) \
        if shown else None
    return row


def funnel(user: User, chosen: InsightsFilter) -> dict[str, Any]:
    """Totals of every counter, ``amount_chosen`` (preset + typed) and ``steps``: the funnel
    as (counter, count, percent of slides shown)."""
    totals = counts(user, chosen).aggregate(**_sums())
    shown = totals["slide_shown"]
    totals["steps"] = [(step, totals[step], round(100 * totals[step] / shown, 1)
                        if shown else None) for step in FUNNEL]
    totals["abandoned"] = [(reason, totals[reason]) for reason in ABANDONED]
    return totals


def best_hours(user: User, chosen: InsightsFilter, limit: int = 5) -> list[dict[str, Any]]:
    """Hours of the day (local time) with the most approved gifts, then the most taps."""
    rows = (counts(user, chosen).annotate(of_day=ExtractHour("hour")).values("of_day")
            .annotate(**_sums()).order_by("-payment_approved", "-give_tapped", "of_day"))
    return [_with_rates(r) for r in rows[:limit] if r["slide_shown"] or r["give_tapped"]]


def by_group(user: User, chosen: InsightsFilter, by: str,
             limit: int | None = None) -> list[dict[str, Any]]:
    """Every counter per shop, town, association or project, most approved first."""
    key, label = {"shop": ("device__shop", "device__shop__name"),
                  "town": ("device__shop__town", "device__shop__town"),
                  "association": ("project__association", "project__association__name"),
                  "project": ("project_ref", "project__title")}[by]
    rows = (counts(user, chosen).values(key, label).annotate(**_sums())
            .order_by("-payment_approved", "-slide_shown", label))
    rows = rows[:limit] if limit else rows
    return [_with_rates({**r, "key": r[key], "label": r[label]}) for r in rows]


EXPORT_COLUMNS = ("hour_utc", "shop", "town", "association", "project_id", "project",
                  *COUNTERS)


def export_rows(user: User, chosen: InsightsFilter) -> QuerySet:
    """One row per (hour, shop, project), the kiosks of a shop added together."""
    return (counts(user, chosen)
            .values("hour", "device__shop__name", "device__shop__town",
                    "project__association__name", "project_ref", "project__title")
            .annotate(**{c: Coalesce(Sum("count", filter=Q(counter=c)), 0) for c in COUNTERS})
            .order_by("hour", "device__shop__name", "project_ref"))


def device_counts(device_id: str) -> dict[tuple[str, str, str], int]:
    """Every count stored for one device, by (UTC hour as the kiosk writes it, project id,
    counter): what the kiosk's own ledger holds, once its heartbeats are through."""
    rows = EngagementCount.objects.filter(device__device_id=device_id).values_list(
        "hour", "project_ref", "counter", "count")
    return {(h.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:00:00Z"), p, c): n
            for h, p, c, n in rows}
