"""``central prune-pledges [--days N]``: delete the emails and first names of pledges whose
deadline is past the retention period (each pledge, its threshold and whether it was reached
are kept). Run daily by central-prune.timer."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from central.engagement.services import prune_pledges


class Command(BaseCommand):
    help = "Delete pledge signatures past their pledge's deadline and the retention period."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"deleted {prune_pledges(options['days'])} pledge signatures")
