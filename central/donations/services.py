"""Batch ingest: store each donation once per (device, id), tell created / duplicate /
conflict, and add approved amounts to the projects' raised totals in the same transaction."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F

from central.catalog.models import Project
from central.common.canonical import canonical
from central.devices.models import Device
from central.donations.models import Donation


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _row(device: Device, item: dict[str, Any], content: str,
         projects: dict[str, int]) -> Donation:
    terminal = item["terminal"]
    return Donation(
        device=device, donation_id=uuid.UUID(item["id"]), seq=item["seq"],
        boot_id=item["boot_id"], project_ref=item["project_id"],
        project_id=projects.get(item["project_id"]), amount_cents=item["amount_cents"],
        currency=item["currency"], state=item["state"], created_at=_time(item["created_at"]),
        finished_at=_time(item["finished_at"]), auth_code=terminal["auth_code"],
        card_suffix=terminal["card_suffix"], reason=terminal["reason"], content=content)


def ingest_batch(device: Device, items: list[dict[str, Any]]) -> list[str]:
    """Store valid (decoded) items in one transaction; per item ``created``, ``duplicate``
    (same content as stored) or ``conflict`` (same id, other content: never overwritten)."""
    with transaction.atomic():
        # One batch per device at a time: PostgreSQL locks the device row; SQLite's
        # BEGIN IMMEDIATE already holds the database's write lock.
        list(Device.objects.select_for_update().filter(pk=device.pk).values_list("pk"))
        stored = dict(Donation.objects.filter(
            device=device, donation_id__in=[uuid.UUID(i["id"]) for i in items])
            .values_list("donation_id", "content"))
        projects = dict(Project.objects.filter(
            project_id__in={i["project_id"] for i in items}).values_list("project_id", "pk"))
        statuses, rows = [], []
        raised: dict[tuple[str, str], int] = defaultdict(int)
        for item in items:
            content = canonical(item)
            before = stored.get(uuid.UUID(item["id"]))
            if before is not None:
                statuses.append("duplicate" if before == content else "conflict")
                continue
            statuses.append("created")
            rows.append(_row(device, item, content, projects))
            if item["state"] == "approved":
                raised[(item["project_id"], item["currency"])] += item["amount_cents"]
        Donation.objects.bulk_create(rows, batch_size=500)
        # Live totals: the catalog reads raised_cents as stored, at no extra cost.
        for (project_id, currency), cents in raised.items():
            Project.objects.filter(project_id=project_id, currency=currency) \
                .update(raised_cents=F("raised_cents") + cents)
    return statuses
