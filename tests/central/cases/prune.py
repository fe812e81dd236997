"""``central prune-heartbeats``: heartbeat history past the retention period goes, the hourly
roll-ups (made as heartbeats arrive) and each device's latest state stay, and stay right."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone

from central.devices.models import Device, DeviceState, Heartbeat, HeartbeatRollup
from central.devices.services import record_heartbeat
from tests.central.helpers import heartbeat


def hour_of(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune-heartbeats", *args, stdout=out)
    return out.getvalue().strip()


class PruneHeartbeatsTests(TestCase):
    def setUp(self) -> None:
        self.device = Device.objects.create(device_id="cafe-01")
        self.now = timezone.now()
        # (age, backlog_count, backlog_cents, disk_free_bytes, last_error)
        self.sent: list[tuple[timedelta, int, int, int, str | None]] = [
            (timedelta(days=40, minutes=10), 5, 500, 900, None),
            (timedelta(days=40, minutes=5), 9, 300, 400, "terminal unplugged"),
            (timedelta(days=31), 2, 200, 800, None),
            (timedelta(days=29), 1, 100, 700, "disk"),
            (timedelta(hours=1), 0, 0, 600, None),
        ]
        for age, count, cents, disk, error in self.sent:
            record_heartbeat(self.device, heartbeat(backlog_count=count, backlog_cents=cents,
                                                    disk_free_bytes=disk, last_error=error),
                             now=self.now - age)

    def expected_rollups(self) -> dict[datetime, dict[str, Any]]:
        hours: dict[datetime, dict[str, Any]] = {}
        for age, count, cents, disk, error in self.sent:
            h = hours.setdefault(hour_of(self.now - age), {
                "count": 0, "max_backlog_count": 0, "max_backlog_cents": 0,
                "min_disk_free_bytes": disk, "errors": 0})
            h["count"] += 1
            h["max_backlog_count"] = max(h["max_backlog_count"], count)
            h["max_backlog_cents"] = max(h["max_backlog_cents"], cents)
            h["min_disk_free_bytes"] = min(h["min_disk_free_bytes"], disk)
            h["errors"] += 1 if error else 0
        return hours

    def rollups(self) -> dict[datetime, dict[str, Any]]:
        return {r.pop("hour"): r for r in HeartbeatRollup.objects.filter(
            device=self.device).values("hour", "count", "max_backlog_count",
                                       "max_backlog_cents", "min_disk_free_bytes", "errors")}

    def test_history_past_the_retention_goes_rollups_stay_right(self) -> None:
        before = self.rollups()
        self.assertEqual(before, self.expected_rollups())
        # Two heartbeats 40 days ago in the same hour made one roll-up of two (unless the
        # five minutes between them crossed an hour).
        self.assertIn(len(before), (4, 5))
        self.assertEqual(prune(), "deleted 3 heartbeats")
        left = Heartbeat.objects.filter(device=self.device).order_by("received_at")
        self.assertEqual([h.body["backlog_count"] for h in left], [1, 0])
        self.assertTrue(all(h.received_at > self.now - timedelta(days=30) for h in left))
        self.assertEqual(self.rollups(), before)
        self.assertEqual(DeviceState.objects.get(device=self.device).backlog_count, 0)
        self.assertEqual(prune(), "deleted 0 heartbeats")

    def test_a_shorter_retention_from_the_command_line(self) -> None:
        before = self.rollups()
        self.assertEqual(prune("--days", "0"), "deleted 5 heartbeats")
        self.assertFalse(Heartbeat.objects.exists())
        self.assertEqual(self.rollups(), before)
        self.assertTrue(DeviceState.objects.filter(device=self.device).exists())

    def test_retention_setting_is_the_default(self) -> None:
        with self.settings(CENTRAL_HEARTBEAT_RETENTION_DAYS=35):
            self.assertEqual(prune(), "deleted 2 heartbeats")
