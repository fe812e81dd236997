"""Storing engagement counts: each row replaces the device's count for its (hour, project,
counter), so a heartbeat sent again never adds anything."""

from __future__ import annotations

from typing import Any

from central.catalog.models import Project
from central.devices.models import Device
from central.insights.models import EngagementCount


def record_counts(device: Device, rows: list[dict[str, Any]]) -> None:
    """Upsert decoded rows (``central.insights.validation.engagement_rows``); call it inside
    the heartbeat's transaction."""
    if not rows:
        return
    projects = dict(Project.objects.filter(project_id__in={r["project_id"] for r in rows})
                    .values_list("project_id", "pk"))
    EngagementCount.objects.bulk_create(
        [EngagementCount(device=device, hour=r["hour"], project_ref=r["project_id"],
                         project_id=projects.get(r["project_id"]), counter=r["counter"],
                         count=r["count"]) for r in rows],
        update_conflicts=True, unique_fields=["device", "hour", "project_ref", "counter"],
        update_fields=["count", "project", "received_at"])
