"""``central revoke --device ID``: the device's token stops working at once (403); a new
``central enroll-code`` can then enroll it again, with a new token and receipt key."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from central.devices.models import Device
from central.devices.services import revoke_device


class Command(BaseCommand):
    help = "Revoke a device's token (before enrolling it again)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--device", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            revoke_device(options["device"])
        except Device.DoesNotExist:
            raise CommandError(f"no device {options['device']!r}") from None
        self.stdout.write(f"revoked {options['device']}")
