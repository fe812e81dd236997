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
    DateField,
    ExpressionWrapper,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, TruncDay, TruncMonth
from django.utils import timezone

from central.accounts import selectors as scope
from central.accounts.selectors import User
from central.backoffice.models import StaffAction
from central.common.days import local_midnight
from central.devices.models import AuditRow, Device, HeartbeatRollup
from central.donations.models import Donation, DonationDay, DonationMonth

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


def days(user: User, f: MoneyFilter, start: dt.date | None = None,
         end: dt.date | None = None) -> QuerySet[DonationDay]:
    """The daily roll-up rows of the same selection as :func:`donations`, for a filter of
    whole local days (the forms always make one): the same conditions, the same names;
    ``start`` and ``end`` narrow its days."""
    return _narrowed(DonationDay.objects.filter(
        scope.donation_scope(user), day__gte=start or timezone.localtime(f.start).date(),
        day__lt=end or timezone.localtime(f.end).date()), f)


def months(user: User, f: MoneyFilter, start: dt.date, end: dt.date
           ) -> QuerySet[DonationMonth]:
    """The monthly roll-up rows of the months from ``start`` to ``end`` (first days)."""
    return _narrowed(DonationMonth.objects.filter(
        scope.donation_scope(user), month__gte=start, month__lt=end), f)


def _parts(user: User, f: MoneyFilter, by_month: bool = True) -> list[tuple[QuerySet, str]]:
    """Rows that together hold the selection once, each with its kind ("donation", "day"
    or "month"): the donations for a filter of other than whole days; else the day rows,
    or, when the range covers whole months and ``by_month``, the month rows for those and
    the day rows of the part-months before and after them (a year: ~12 rows per kiosk and
    project instead of ~365)."""
    if not _whole_days(f):
        return [(donations(user, f), "donation")]
    first, last = (timezone.localtime(t).date() for t in (f.start, f.end))
    whole_from = first if first.day == 1 else (first.replace(day=28)
                                                + dt.timedelta(days=4)).replace(day=1)
    whole_to = last.replace(day=1)
    if not by_month or whole_from >= whole_to:
        return [(days(user, f), "day")]
    found = [(months(user, f, whole_from, whole_to), "month")]
    if first < whole_from:
        found.append((days(user, f, first, whole_from), "day"))
    if whole_to < last:
        found.append((days(user, f, whole_to, last), "day"))
    return found


def _measures(kind: str, only: Q | None = None) -> tuple[Any, Any]:
    """How many donations and how many cents, over roll-up rows or donation rows."""
    if kind == "donation":
        return Count("pk", filter=only), Sum("amount_cents", filter=only)
    return Sum("count", filter=only), Sum("cents", filter=only)


def _state_columns(kind: str) -> dict[str, Any]:
    cols: dict[str, Any] = {}
    for state in ("approved", "declined", "cancelled", "failed", "unknown"):
        count, cents = _measures(kind, Q(state=state))
        cols[f"{state}_count"] = Coalesce(count, 0)
        cols[f"{state}_cents"] = Coalesce(cents, 0)
    return cols


def _period_column(kind: str, period: str) -> Any:
    if kind == "donation":
        trunc = TruncDay if period == "day" else TruncMonth
        return trunc("created_at", tzinfo=timezone.get_current_timezone())
    if kind == "month":
        return F("month")
    # PostgreSQL's date_trunc gives a timestamp, which would make a UNION with the month
    # rows' dates one of timestamps: a date, as theirs.
    return F("day") if period == "day" else Cast(TruncMonth("day"), DateField())


def _together(queries: list[QuerySet]) -> QuerySet:
    """Aggregates with the same columns as one query (UNION ALL: one round trip)."""
    queries = [q.order_by() for q in queries]
    return queries[0] if len(queries) == 1 else queries[0].union(*queries[1:], all=True)


def _folded(rows: Iterable[dict[str, Any]], keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """Rows with the same ``keys`` (a group found in several parts) as one, their counts
    and cents added up."""
    found: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        into = found.setdefault(tuple(row[k] for k in keys), {k: row[k] for k in keys})
        for name, value in row.items():
            if name not in keys:
                into[name] = into.get(name, 0) + value
    return list(found.values())


def _none_last(value: Any) -> tuple[bool, Any]:
    # As PostgreSQL orders: NULL after every value.
    return (value is None, "" if value is None else value)


def money_rows(user: User, f: MoneyFilter, by: str = "project",
               period: str = "month") -> QuerySet | list[dict[str, Any]]:
    """One row per (period, group, currency): counts and sums of cents per final state.
    Amounts in different currencies are never added together. A page fetches its slice
    only (a month by kiosk and by day is 30 000 rows for 1 000 kiosks); its ``period``
    values go through :func:`period_times`. By month, the parts' periods never meet, so
    their rows are the page's as they are, ordered and sliced in the database; over the
    whole range a group may be in each part: its few rows are added up here (a list)."""
    key, label = GROUPS[by]
    parts = _parts(user, f, by_month=period != "day")
    columns = {"key": F(key), "label": F(label), "cur": F("currency")}
    order = ["label", "key", "cur"]
    if period in ("day", "month"):
        order = ["-period", *order]
    query = _together([rows.values(**columns, **({} if period == "range" else
                                                 {"period": _period_column(kind, period)}))
                       .annotate(**_state_columns(kind)) for rows, kind in parts])
    if period == "range" and len(parts) > 1:
        return sorted(_folded(query, ("key", "label", "cur")),
                      key=lambda r: (_none_last(r["label"]), _none_last(r["key"]), r["cur"]))
    return query.order_by(*order)


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
    query = _together([rows.values(cur=F("currency")).annotate(**_state_columns(kind))
                       for rows, kind in _parts(user, f)])
    return sorted(_folded(query, ("cur",)), key=lambda r: r["cur"])


def export_rows(user: User, f: MoneyFilter) -> QuerySet[Donation]:
    return (donations(user, f).select_related("device__shop")
            .order_by("device__device_id", "seq"))


def approved_by_project(user: User, shop_id: int, start: dt.datetime,
                        end: dt.datetime) -> list[dict[str, Any]]:
    """A shop's approved takings per project and currency, biggest first."""
    keys = ("project_ref", "currency", "title", "association")
    parts = []
    for rows, kind in _parts(user, MoneyFilter(start, end, shop=shop_id)):
        count, cents = _measures(kind)
        parts.append(rows.filter(state="approved")
                     .values("project_ref", "currency", title=F("project__title"),
                             association=F("project__association__name"))
                     .annotate(count=count, cents=cents))
    return sorted(_folded(_together(parts), keys),
                  key=lambda r: (-r["cents"], r["project_ref"]))
