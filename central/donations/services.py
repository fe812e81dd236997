"""Batch ingest: store each donation once per (device, id), tell created / duplicate / conflict,
and add approved amounts and donors to the projects' live totals (raised_cents, supporters) in
the same transaction.

Per batch, whatever its size: one SELECT of the ids already stored, one SELECT of the projects
named (with whether each has a sponsor), one INSERT (a multi-row VALUES list on SQLite; on
PostgreSQL the batch as one JSON parameter), one UPDATE of the projects' live totals, one
UPDATE of the sponsors' matched totals when a project named has a sponsor
(central.sponsors.services), one of the shop's month total (an INSERT the first time in a
month), and one UPDATE of the daily roll-up (central.donations.daily; a SELECT first when the
batch spans several keys, an INSERT per row a day's first donation needs). The INSERT is built
from the model's columns and run on Django's connection with the values adapted as the backend
stores them: ``bulk_create`` built it through the SQL compiler value by value and model
instance by instance, which cost about 10 ms of Python per 100 rows, more than the database
work; an ``executemany`` sent one statement per row (Django's psycopg cursor binds on the
client)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from central.catalog.models import Project
from central.common.canonical import canonical
from central.devices.models import Device
from central.donations import daily
from central.donations.models import Donation, ShopMonthTotal
from central.sponsors import services as sponsors

# A concurrent batch of the same device can store one of our ids between our SELECT and our
# INSERT (PostgreSQL, READ COMMITTED); the unique constraint refuses ours, and the batch is
# answered again from the top: the stored row is then a duplicate or a conflict.
ATTEMPTS = 3
_COLUMNS = ("device", "donation_id", "seq", "boot_id", "project_ref", "project", "amount_cents",
            "currency", "state", "created_at", "finished_at", "auth_code", "card_suffix",
            "reason", "content", "received_at")


def _insert_sql(count: int) -> str:
    """One INSERT of ``count`` rows: a single statement and round trip (an ``executemany``
    through Django's client-side-binding psycopg cursor sends one statement per row)."""
    row = f"({', '.join(['%s'] * len(_COLUMNS))})"
    return f"{_insert_into()} VALUES {', '.join([row] * count)}"


def _recordset_sql() -> str:
    """PostgreSQL: the batch as one JSON parameter, read back as rows of the table's type.
    psycopg, binding on the client, re-scanned the 1 600 placeholders of a 100-row VALUES
    list at every batch and escaped every array element of an UNNEST one by one (the
    canonical texts are full of quotes), each about a third of the batch's CPU; one JSON
    text is encoded and quoted in C, and the server plans one parameter."""
    table = connection.ops.quote_name(Donation._meta.db_table)
    return (f"{_insert_into()} SELECT {_column_list()} FROM "
            f"json_populate_recordset(NULL::{table}, %s::json)")


def _insert_into() -> str:
    return f"INSERT INTO {connection.ops.quote_name(Donation._meta.db_table)} ({_column_list()})"


def _column_list() -> str:
    meta, quote = Donation._meta, connection.ops.quote_name
    return ", ".join(quote(meta.get_field(name).column) for name in _COLUMNS)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ingest_batch(device: Device, items: list[dict[str, Any]]) -> list[str]:
    """Store valid (decoded) items in one transaction; per item ``created``, ``duplicate``
    (same content as stored) or ``conflict`` (same id, other content: never overwritten)."""
    ids = [uuid.UUID(i["id"]) for i in items]
    contents = [canonical(i) for i in items]
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _ingest(device, items, ids, contents)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _ingest(device: Device, items: list[dict[str, Any]], ids: list[uuid.UUID],
            contents: list[str]) -> list[str]:
    # SQLite: BEGIN IMMEDIATE holds the write lock for the whole batch. PostgreSQL: the
    # unique constraint (device, donation_id) is the guard, see ATTEMPTS.
    with transaction.atomic():
        stored = dict(Donation.objects.filter(device=device, donation_id__in=ids)
                      .order_by().values_list("donation_id", "content"))
        new = [n for n, i in enumerate(ids) if i not in stored]
        # With each project, whether it has a sponsor: most have none, and their batches
        # then skip the sponsors' UPDATE (a sponsor added while this batch runs matches the
        # next one).
        named = list(Project.objects.filter(
            project_id__in={items[n]["project_id"] for n in new}).values_list(
            "project_id", "pk", "currency", "sponsor")) if new else []
        projects = {ref: (pk, currency) for ref, pk, currency, _ in named}
        sponsored = {pk for _, pk, _, sponsor in named if sponsor is not None}
        if new:
            _insert(device, items, ids, contents, new, projects)
        raised: dict[tuple[int, str], int] = {}
        supporters: dict[int, int] = {}
        for n in new:  # only rows stored now: a duplicate or a conflict never counts again
            item = items[n]
            project = projects.get(item["project_id"])
            if item["state"] == "approved" and project is not None:
                key = (project[0], item["currency"])
                raised[key] = raised.get(key, 0) + item["amount_cents"]
                supporters[project[0]] = supporters.get(project[0], 0) + 1
        _add_totals(raised, supporters)
        sponsors.match({key: cents for key, cents in raised.items() if key[0] in sponsored})
        _add_shop_month(device, [items[n] for n in new if items[n]["state"] == "approved"])
        daily.add_batch(device, [items[n] for n in new], projects)
    new_set = set(new)
    return ["created" if n in new_set else
            "duplicate" if stored[ids[n]] == contents[n] else "conflict"
            for n in range(len(items))]


def _insert(device: Device, items: list[dict[str, Any]], ids: list[uuid.UUID],
            contents: list[str], new: list[int],
            projects: dict[str, tuple[int, str]]) -> None:
    # The adaptations the model fields would make (Field.get_db_prep_save), picked once per
    # batch from the backend: a UUID as text where the database has no UUID type, a time as
    # the backend stores it. Through the fields this was ~40 % of the batch's Python time.
    as_uuid = (lambda u: u) if connection.features.has_native_uuid_field else (lambda u: u.hex)
    as_time = connection.ops.adapt_datetimefield_value
    received = as_time(timezone.now())
    rows = []
    for n in new:
        item, terminal = items[n], items[n]["terminal"]
        project = projects.get(item["project_id"])
        rows.append((device.pk, as_uuid(ids[n]), item["seq"], item["boot_id"],
                     item["project_id"], project[0] if project else None,
                     item["amount_cents"], item["currency"], item["state"],
                     as_time(_time(item["created_at"])), as_time(_time(item["finished_at"])),
                     terminal["auth_code"], terminal["card_suffix"], terminal["reason"],
                     contents[n], received))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = [Donation._meta.get_field(name).column for name in _COLUMNS]
            batch = [dict(zip(names, row, strict=True)) for row in rows]
            cursor.execute(_recordset_sql(), [json.dumps(batch, default=str)])
            return
        per = _sqlite_rows_per_insert()
        for start in range(0, len(rows), per):
            chunk = rows[start:start + per]
            cursor.execute(_insert_sql(len(chunk)), [value for row in chunk for value in row])


def _sqlite_rows_per_insert() -> int:
    """As many rows per statement as this SQLite library takes parameters (32 766 since
    SQLite 3.32: a whole batch), where Django assumes the oldest limit, 999 (62 rows of 16:
    two statements)."""
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return max(1, limit // len(_COLUMNS))


def _add_totals(raised: dict[tuple[int, str], int], supporters: dict[int, int]) -> None:
    """Live totals (the catalog reads raised_cents and supporters as stored), in one UPDATE
    for the batch. A total is kept in its project's currency: an amount in another one is
    not added, but its donor is still a supporter."""
    if not supporters:
        return
    cents_field = Project._meta.get_field("raised_cents")
    if len(supporters) == 1:  # the common batch: one project, no CASE over the projects
        (pk, count), = supporters.items()
        Project.objects.filter(pk=pk).update(
            raised_cents=F("raised_cents") + Case(
                *(When(currency=currency, then=Value(cents))
                  for (_, currency), cents in raised.items()),
                default=Value(0), output_field=cents_field),
            supporters=F("supporters") + count)
        return
    count_field = Project._meta.get_field("supporters")
    Project.objects.filter(pk__in=supporters).update(
        raised_cents=F("raised_cents") + Case(
            *(When(pk=pk, currency=currency, then=Value(cents))
              for (pk, currency), cents in raised.items()),
            default=Value(0), output_field=cents_field),
        supporters=F("supporters") + Case(
            *(When(pk=pk, then=Value(count)) for pk, count in supporters.items()),
            default=Value(0), output_field=count_field))


def _add_shop_month(device: Device, approved: list[dict[str, Any]]) -> None:
    """The shop's total for this month (the service's calendar, on receipt: device clocks are
    informative only), per currency; every approved gift its kiosks send, known project or
    not. The row is created the first time in a month; a concurrent creator (PostgreSQL)
    makes ours fail in its savepoint, and we add to theirs."""
    if device.shop_id is None or not approved:
        return
    month = timezone.localdate().replace(day=1)
    by_currency: dict[str, int] = {}
    for item in approved:
        by_currency[item["currency"]] = by_currency.get(item["currency"], 0) + item["amount_cents"]
    for currency, cents in by_currency.items():
        row = ShopMonthTotal.objects.filter(shop_id=device.shop_id, month=month,
                                            currency=currency)
        if row.update(total_cents=F("total_cents") + cents):
            continue
        try:
            with transaction.atomic():
                ShopMonthTotal.objects.create(shop_id=device.shop_id, month=month,
                                              currency=currency, total_cents=cents)
        except IntegrityError:
            row.update(total_cents=F("total_cents") + cents)
