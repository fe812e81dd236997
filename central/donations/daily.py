"""The daily and monthly roll-ups (DonationDay, DonationMonth): what a batch ingest and a
reconciliation decision add to them, each inside its own transaction, and their fill from
the stored donations.

A day row's key is (day, device, project as sent, project as known, state, currency); the
day is the kiosk's ``created_at`` in the service's time zone. A month row's key is the same
with the day's month (its first day): every change to a day is made to its month in the
same transaction, so the two always agree. Writers add to existing rows in one UPDATE (by
the key when it is the only one and names a known project, else by pk) and create the rows
a period's first donation needs, each in a savepoint: a concurrent creator of the same row
(PostgreSQL, READ COMMITTED) makes ours fail there, and we add to theirs, as the shop's
month total does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import BigIntegerField, Case, Count, F, Sum, Value, When
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from central.devices.models import Device
from central.donations.models import Donation, DonationDay, DonationMonth

# day, device pk, project_ref, project pk (None: unknown to the server), state, currency
Key = tuple[dt.date, int, str, int | None, str, str]
_FIELDS = ("day", "device_id", "project_ref", "project_id", "state", "currency")


def local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def add_batch(device: Device, items: list[dict[str, Any]],
              projects: dict[str, tuple[int, str]]) -> None:
    """Count the donations a batch has just stored (decoded items, never a duplicate or a
    conflict); ``projects`` maps a project id as sent to (pk, currency), as the ingest
    resolved it."""
    changes: dict[Key, tuple[int, int]] = {}
    # The zone looked up once per batch: per item (timezone.localtime) it was a third of the
    # roll-up's time.
    zone = timezone.get_current_timezone()
    for item in items:
        project = projects.get(item["project_id"])
        day = dt.datetime.fromisoformat(item["created_at"]).astimezone(zone).date()
        key = (day, device.pk,
               item["project_id"], project[0] if project else None, item["state"],
               item["currency"])
        count, cents = changes.get(key, (0, 0))
        changes[key] = (count + 1, cents + item["amount_cents"])
    add(changes)


def move(donation: Donation, to_state: str) -> None:
    """A stored donation's state changes (a decision on an unknown outcome): its count and
    amount leave its day's row for that state and join the new state's."""
    old = key_of(donation)
    new = (*old[:4], to_state, old[5])
    add({old: (-1, -donation.amount_cents), new: (1, donation.amount_cents)})


def key_of(donation: Donation) -> Key:
    return (local_day(donation.created_at), donation.device_id, donation.project_ref,
            donation.project_id, donation.state, donation.currency)


def add(changes: dict[Key, tuple[int, int]]) -> None:
    """Add (count, cents) to each key's day row and to its month's row, negative to take
    away; inside a transaction."""
    changes = {k: v for k, v in changes.items() if v != (0, 0)}
    months: dict[Key, tuple[int, int]] = {}
    for key, (count, cents) in changes.items():
        month = (key[0].replace(day=1), *key[1:])
        before = months.get(month, (0, 0))
        months[month] = (before[0] + count, before[1] + cents)
    _add_to(DonationDay, "day", changes)
    _add_to(DonationMonth, "month", {k: v for k, v in months.items() if v != (0, 0)})


def _add_to(model: Any, period: str, changes: dict[Key, tuple[int, int]]) -> None:
    if not changes:
        return
    fields = (period, *_FIELDS[1:])
    if len(changes) == 1:
        (key, (count, cents)), = changes.items()
        # One key with a known project (the common batch): the unique constraint makes it
        # one row at most, so one UPDATE by the key does it, without a SELECT of its pk.
        # A period's first batch finds no row and goes on to create it below.
        if key[3] is not None and model.objects.filter(
                **dict(zip(fields, key, strict=True))).update(
                count=F("count") + count, cents=F("cents") + cents):
            return
    existing = _existing(model, fields, changes)
    if existing:
        _update(model, {existing[k]: v for k, v in changes.items() if k in existing})
    for key, (count, cents) in changes.items():
        if key in existing:
            continue
        try:
            with transaction.atomic():
                model.objects.create(**dict(zip(fields, key, strict=True)),
                                     count=count, cents=cents)
        except IntegrityError:
            pk = _existing(model, fields, {key: (count, cents)}).get(key)
            if pk is None:
                raise
            _update(model, {pk: (count, cents)})


def _existing(model: Any, fields: tuple[str, ...],
              changes: dict[Key, tuple[int, int]]) -> dict[Key, int]:
    """Each key's row pk, in one SELECT (a batch is one device's, over a day or two). With
    no project two rows of a key may exist: the fuller one takes a subtraction."""
    rows = (model.objects.filter(**{f"{fields[0]}__in": {k[0] for k in changes}},
                                 device_id__in={k[1] for k in changes})
            .order_by("count").values_list("pk", *fields))
    return {key: pk for pk, *found in rows if (key := tuple(found)) in changes}


def _update(model: Any, by_pk: dict[int, tuple[int, int]]) -> None:
    if len(by_pk) == 1:  # the common batch: one kiosk, one day, one project and state
        (pk, (count, cents)), = by_pk.items()
        model.objects.filter(pk=pk).update(count=F("count") + count, cents=F("cents") + cents)
        return
    out = BigIntegerField()
    model.objects.filter(pk__in=by_pk).update(
        count=F("count") + Case(*(When(pk=pk, then=Value(c)) for pk, (c, _) in by_pk.items()),
                                default=Value(0), output_field=out),
        cents=F("cents") + Case(*(When(pk=pk, then=Value(s)) for pk, (_, s) in by_pk.items()),
                                default=Value(0), output_field=out))


def rebuild() -> tuple[int, int]:
    """Both roll-ups from the donations (a repair, and a fixture that inserted donations
    behind the ingest's back): how many day and month rows were written."""
    with transaction.atomic():
        return fill(), fill_months()


def fill(donations: Any = Donation, days: Any = DonationDay, chunk: int = 5000) -> int:
    """Rebuild every day row from the donations (the migration that adds the roll-up, and
    :func:`rebuild`); ``donations`` and ``days`` are the models (a migration passes its
    own). Returns how many rows were written."""
    grouped = (donations.objects
               .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
               .values(*_FIELDS).annotate(n=Count("pk"), total=Sum("amount_cents")))
    return _refill(days, _FIELDS, grouped, chunk)


def fill_months(days: Any = DonationDay, months: Any = DonationMonth,
                chunk: int = 5000) -> int:
    """Rebuild every month row by adding up the day rows (which agree with the donations):
    the migration that adds the monthly roll-up, and :func:`rebuild`."""
    fields = ("month", *_FIELDS[1:])
    grouped = (days.objects.annotate(month=TruncMonth("day"))
               .values(*fields).annotate(n=Sum("count"), total=Sum("cents")))
    return _refill(months, fields, grouped, chunk)


def _refill(model: Any, fields: tuple[str, ...], grouped: Any, chunk: int) -> int:
    model.objects.all().delete()
    batch, written = [], 0
    for row in grouped.order_by(*fields).iterator(chunk_size=chunk):
        if (row["n"], row["total"]) == (0, 0):
            continue  # a row a decision emptied is no row
        batch.append(model(**{f: row[f] for f in fields}, count=row["n"], cents=row["total"]))
        if len(batch) == chunk:
            model.objects.bulk_create(batch)
            written, batch = written + len(batch), []
    model.objects.bulk_create(batch)
    return written + len(batch)
