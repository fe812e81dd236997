"""``central prune-heartbeats [--days N]``: delete heartbeat history past the retention
period (hourly roll-ups and each device's latest state are kept). Run it from a timer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from central.devices.services import prune_heartbeats


class Command(BaseCommand):
    help = "Delete heartbeat history older than the retention period."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {prune_heartbeats(options['days'])} heartbeats")
