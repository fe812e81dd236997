"""What the reconciliation pages show: a settlement file's four groups, and the unknown
outcomes still waiting for a decision, by kiosk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from central.common.days import local_midnight
from central.donations.models import Donation
from central.reconciliation.models import OutcomeDecision, SettlementFile, SettlementLine

SHOWN = 200  # rows per group on the page; the count says how many there are in all


@dataclass(frozen=True)
class Group:
    rows: list[Any]
    count: int


def _group(rows: QuerySet) -> Group:
    return Group(list(rows[:SHOWN]), rows.count())


def file_groups(file: SettlementFile) -> dict[str, Group]:
    """``matched``: lines of donations approved on our side; ``acquirer_only``: lines with
    no donation of that reference, amount and currency, or one we recorded as not charged;
    ``ours_only``: approved donations of the file's days that no line carries; ``unknown``:
    lines of unknown donations (the file says they were charged); ``unknown_absent``:
    unknown donations of the file's days that no line carries (not charged, as far as this
    file tells)."""
    lines = file.lines.select_related("donation__device", "donation__project").order_by("line")
    days = {"created_at__gte": local_midnight(file.first_day),
            "created_at__lt": local_midnight(file.last_day + dt.timedelta(days=1))}
    carried = SettlementLine.objects.filter(file=file, donation__isnull=False) \
        .values("donation")
    donations = Donation.objects.select_related("device", "project").order_by(
        "created_at", "pk")
    return {
        "matched": _group(lines.filter(donation__state="approved")),
        "acquirer_only": _group(lines.exclude(donation__state__in=["approved", "unknown"])),
        "ours_only": _group(donations.filter(state="approved", **days)
                            .exclude(pk__in=carried)),
        "unknown": _group(lines.filter(donation__state="unknown")),
        "unknown_absent": _group(donations.filter(state="unknown", **days)
                                 .exclude(pk__in=carried)),
    }


def unknown_outcomes() -> QuerySet[Donation]:
    """Donations still unknown and undecided, by kiosk then oldest first."""
    return (Donation.objects.filter(state="unknown", decision__isnull=True)
            .select_related("device__shop", "project").order_by("device__device_id", "seq"))


def recent_decisions() -> QuerySet[OutcomeDecision]:
    return OutcomeDecision.objects.select_related("donation__device", "settlement_line__file")


def files() -> QuerySet[SettlementFile]:
    return SettlementFile.objects.all()
