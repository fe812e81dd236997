"""``central enroll-code --device ID [--shop SHOP] [--expires-days N]``: print one new
one-time enrollment code for that device (shown once; only its hash is stored)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from central.catalog.models import Shop
from central.devices.services import AlreadyEnrolled, create_enrollment_code


class Command(BaseCommand):
    help = "Create a one-time enrollment code for a device and print it."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--device", required=True, help="the kiosk's device id")
        parser.add_argument("--shop", help="the shop (by name) whose catalog the kiosk shows")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        shop = None
        if options["shop"]:
            shop = Shop.objects.filter(name=options["shop"]).first()
            if shop is None:
                raise CommandError(f"no shop named {options['shop']!r}")
        if options["expires_days"] is not None and options["expires_days"] < 1:
            raise CommandError("--expires-days: at least 1")
        try:
            code = create_enrollment_code(options["device"], shop=shop,
                                          expires_days=options["expires_days"])
        except AlreadyEnrolled as e:
            raise CommandError(f"{e} (central revoke --device {options['device']})") from None
        except ValidationError as e:
            raise CommandError(f"device id: {'; '.join(e.messages)}") from None
        self.stdout.write(code)
