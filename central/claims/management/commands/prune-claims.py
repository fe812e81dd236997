"""``central prune-claims``: delete claims never issued past their retention, and erase
what donors typed on receipts issued more than six years ago (numbers, amounts and dates
stay). Run daily by systemd/central-prune.timer; see docs/receipts.md."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from central.claims.retention import prune_claims


class Command(BaseCommand):
    help = "Delete or erase tax-receipt claims past their legal retention period."

    def handle(self, *args: Any, **options: Any) -> None:
        done = prune_claims()
        self.stdout.write(f"deleted {done.deleted_claims} unissued claims, erased "
                          f"{done.erased_claims} receipts and {done.erased_annual} annual "
                          f"receipts")
