"""What the back office's pages read: the fleet with its problems, a device's history, and
money aggregated by project, association or shop and period. Every query starts from the
user's scope (central.accounts.selectors)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDay, TruncMonth
from django.utils import timezone

from central.accounts import selectors as scope
from central.accounts.selectors import User
from central.backoffice.models import StaffAction
from central.common.days import local_midnight
from central.devices.models import AuditRow, Device, HeartbeatRollup
from central.donations.models import Donation, DonationDay

# -- the fleet ------------------------------------------------------------------------------

PROBLEMS = ("silent", "backlog", "unknown", "disk", "revoked")


def _problem_conditions(now: dt.datetime) -> dict[str, Q]:
    silent_since = now - dt.timedelta(seconds=2 * settings.CENTRAL_HEARTBEAT_INTERVAL_S)
    backlog_since = now - dt.timedelta(seconds=settings.CENTRAL_BACKLOG_MAX_AGE_S)
    return {
        # Enrolled and not heard from for two intervals (or never): a device waiting for
        # its enrollment code is not silent, it has not started yet.
        "silent": Q(token_sha256__isnull=False, revoked_at__isnull=True)
        & (Q(state__isnull=True) | Q(state__received_at__lt=silent_since)),
        "backlog": Q(state__backlog_count__gt=0, backlog_since__lt=backlog_since),
        "unknown": Q(state__unknown_count__gt=0),
        "disk": Q(state__disk_free_bytes__lt=settings.CENTRAL_LOW_DISK_BYTES),
        "revoked": Q(revoked_at__isnull=False),
    }


def fleet(user: User, *, shop: int | None = None, problem: str | None = None,
          town: str | None = None, now: dt.datetime | None = None) -> QuerySet[Device]:
    """The devices the user may see with their latest heartbeat, each problem as a boolean
    (``is_silent``, ``is_backlog``...), ``problem_count``, and ``backlog_since``: when the
    server first heard of the current oldest unsent donation (the kiosk's clock is not
    trusted, the server's is). Problems first, then by device id."""
    now = now or timezone.now()
    # When the current oldest unsent donation was first reported: kept with the latest state
    # as heartbeats arrive (central.devices.services.record_heartbeat).
    devices = (scope.devices(user).select_related("shop", "state")
               .annotate(backlog_since=Case(When(state__backlog_count__gt=0,
                                                 then=F("state__backlog_since")))))
    conditions = _problem_conditions(now)
    devices = devices.annotate(**{
        f"is_{name}": ExpressionWrapper(Case(When(cond, then=Value(True)),
                                             default=Value(False)),
                                        output_field=BooleanField())
        for name, cond in conditions.items()})
    devices = devices.annotate(problem_count=sum(
        (Case(When(cond, then=Value(1)), default=Value(0), output_field=IntegerField())
         for cond in conditions.values()), Value(0)))
    if shop is not None:
        devices = devices.filter(shop_id=shop)
    if town is not None:
        devices = devices.filter(shop__town=town)
    if problem in conditions:
        devices = devices.filter(conditions[problem])
    elif problem == "any":
        devices = devices.filter(problem_count__gt=0)
    return devices.order_by("-problem_count", "device_id")


def fleet_device(user: User, device_id: str) -> Device | None:
    return fleet(user).filter(device_id=device_id).first()


def history(device: Device, days: int = 30, now: dt.datetime | None = None
            ) -> list[dict[str, Any]]:
    """Hourly points (largest backlog, smallest free disk) over the last ``days``, from the
    roll-ups, which outlive the pruned heartbeat rows."""
    since = (now or timezone.now()) - dt.timedelta(days=days)
    return list(HeartbeatRollup.objects.filter(device=device, hour__gte=since)
                .order_by("hour")
                .values("hour", "count", "max_backlog_count", "max_backlog_cents",
                        "min_disk_free_bytes", "errors"))


def daily_history(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The hourly points by local day, newest first: the chart's text alternative."""
    days: dict[dt.date, dict[str, Any]] = {}
    for p in points:
        day = timezone.localtime(p["hour"]).date()
        d = days.setdefault(day, {"day": day, "heartbeats": 0, "max_backlog_count": 0,
                                  "min_disk_free_bytes": None, "errors": 0})
        d["heartbeats"] += p["count"]
        d["errors"] += p["errors"]
        d["max_backlog_count"] = max(d["max_backlog_count"], p["max_backlog_count"])
        if p["min_disk_free_bytes"] is not None:
            low = d["min_disk_free_bytes"]
            d["min_disk_free_bytes"] = p["min_disk_free_bytes"] if low is None \
                else min(low, p["min_disk_free_bytes"])
    return sorted(days.values(), key=lambda d: d["day"], reverse=True)


def audit_log(device: Device) -> QuerySet[AuditRow]:
    """What was done on the kiosk itself (owner and operator actions), newest first."""
    return AuditRow.objects.filter(device=device).order_by("-seq")


def staff_actions(device: Device) -> QuerySet[StaffAction]:
    return StaffAction.objects.filter(device=device)


# -- money ----------------------------------------------------------------------------------

GROUPS: dict[str, tuple[str, str]] = {
    # by: (the key column, the label column)
    "project": ("project_ref", "project__title"),
    "association": ("project__association_id", "project__association__name"),
    "shop": ("device__shop_id", "device__shop__name"),
    "device": ("device__device_id", "device__shop__name"),
}
PERIODS = ("day", "month", "range")


@dataclass(frozen=True)
class MoneyFilter:
    """Which donations: created (the kiosk's clock, as ``kioskctl export`` filters) in
    [start, end) local time, optionally one association, shop or project."""

    start: dt.datetime
    end: dt.datetime
    association: int | None = None
    shop: int | None = None
    project: str | None = None
    town: str | None = None


def donations(user: User, f: MoneyFilter) -> QuerySet[Donation]:
    return _narrowed(Donation.objects.filter(scope.donation_scope(user),
                                             created_at__gte=f.start, created_at__lt=f.end), f)


def _narrowed(rows: QuerySet, f: MoneyFilter) -> QuerySet:
    """The filter's association, shop, town and project: donations and roll-up rows name
    them alike."""
    if f.association is not None:
        rows = rows.filter(project__association_id=f.association)
    if f.shop is not None:
        rows = rows.filter(device__shop_id=f.shop)
    if f.town is not None:
        rows = rows.filter(device__shop__town=f.town)
    if f.project is not None:
        rows = rows.filter(project_ref=f.project)
    return rows


def _whole_days(f: MoneyFilter) -> bool:
    return all(timezone.localtime(t).time() == dt.time() for t in (f.start, f.end))


def days(user: User, f: MoneyFilter) -> QuerySet[DonationDay]:
    """The daily roll-up rows of the same selection as :func:`donations`, for a filter of
    whole local days (the forms always make one): the same conditions, the same names."""
    return _narrowed(DonationDay.objects.filter(
        scope.donation_scope(user), day__gte=timezone.localtime(f.start).date(),
        day__lt=timezone.localtime(f.end).date()), f)


def _summed(user: User, f: MoneyFilter) -> tuple[QuerySet, bool]:
    """The rows to add up and whether they are the roll-up: it is, for whole days (every
    page); the donations themselves otherwise."""
    if _whole_days(f):
        return days(user, f), True
    return donations(user, f), False


def _measures(rolled: bool, only: Q | None = None) -> tuple[Any, Any]:
    """How many donations and how many cents, over roll-up rows or donation rows."""
    if rolled:
        return Sum("count", filter=only), Sum("cents", filter=only)
    return Count("pk", filter=only), Sum("amount_cents", filter=only)


def _state_columns(rolled: bool) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for state in ("approved", "declined", "cancelled", "failed", "unknown"):
        count, cents = _measures(rolled, Q(state=state))
        cols[f"{state}_count"] = Coalesce(count, 0)
        cols[f"{state}_cents"] = Coalesce(cents, 0)
    return cols


def money_rows(user: User, f: MoneyFilter, by: str = "project",
               period: str = "month") -> QuerySet:
    """One row per (period, group, currency): counts and sums of cents per final state.
    Amounts in different currencies are never added together. A page fetches its slice
    only (a month by kiosk and by day is 30 000 rows for 1 000 kiosks); its ``period``
    values go through :func:`period_times`."""
    key, label = GROUPS[by]
    rows, rolled = _summed(user, f)
    columns = {"key": F(key), "label": F(label), "cur": F("currency")}
    order = ["label", "key", "cur"]
    if period in ("day", "month"):
        trunc = TruncDay if period == "day" else TruncMonth
        columns["period"] = ((F("day") if period == "day" else TruncMonth("day")) if rolled
                             else trunc("created_at", tzinfo=timezone.get_current_timezone()))
        order = ["-period", *order]
    return rows.values(**columns).annotate(**_state_columns(rolled)).order_by(*order)


def period_times(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows with each ``period`` as the local midnight it starts at (the roll-up gives
    dates, the donations times)."""
    found = list(rows)
    for row in found:
        when = row.get("period")
        if isinstance(when, dt.date) and not isinstance(when, dt.datetime):
            row["period"] = local_midnight(when)
    return found


def added_up(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The whole selection per currency, added up from its ``money_rows`` (every one)."""
    totals: dict[str, dict[str, Any]] = {}
    for row in rows:
        total = totals.setdefault(row["cur"], {"cur": row["cur"]})
        for name, value in row.items():
            if name.endswith(("_count", "_cents")):
                total[name] = total.get(name, 0) + value
    return [totals[cur] for cur in sorted(totals)]


def money_totals(user: User, f: MoneyFilter) -> list[dict[str, Any]]:
    """The whole selection per currency: counts and sums of cents per final state."""
    rows, rolled = _summed(user, f)
    return list(rows.values(cur=F("currency")).annotate(**_state_columns(rolled))
                .order_by("cur"))


def export_rows(user: User, f: MoneyFilter) -> QuerySet[Donation]:
    return (donations(user, f).select_related("device__shop")
            .order_by("device__device_id", "seq"))


def approved_by_project(user: User, shop_id: int, start: dt.datetime,
                        end: dt.datetime) -> list[dict[str, Any]]:
    """A shop's approved takings per project and currency, biggest first."""
    rows, rolled = _summed(user, MoneyFilter(start, end, shop=shop_id))
    count, cents = _measures(rolled)
    return list(rows.filter(state="approved")
                .values("project_ref", "currency", title=F("project__title"),
                        association=F("project__association__name"))
                .annotate(count=count, cents=cents)
                .order_by("-cents", "project_ref"))
