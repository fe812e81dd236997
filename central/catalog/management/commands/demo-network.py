"""``central demo-network``: two associations, two shops, the demo projects of the kiosk's
bundled catalog, one demo device with an enrollment code, and a demo login (all printed)."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction

from central.accounts.models import Membership
from central.catalog.demo import load
from central.catalog.models import Association, Project, Shop
from central.catalog.services import publish_catalog
from central.devices.services import AlreadyEnrolled, create_enrollment_code


class Command(BaseCommand):
    help = "Create a demo network (idempotent) and print a device code and a login."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--device", default="demo-kiosk")

    def handle(self, *args: Any, **options: Any) -> None:
        doc, images = load()
        half = len(doc["projects"]) // 2
        with transaction.atomic():
            cafe, _ = Shop.objects.update_or_create(name="Café des Capucins",
                                                    defaults={"town": "Aix-en-Provence"})
            salon, _ = Shop.objects.update_or_create(name="Salon du Vieux-Port",
                                                     defaults={"town": "Marseille"})
            publish_catalog(cafe, doc, images)
            publish_catalog(salon, {"projects": doc["projects"][half:]}, {})
            # Two associations share the demo projects between them.
            first, _ = Association.objects.get_or_create(name="Réseau solidaire Nord")
            second, _ = Association.objects.get_or_create(name="Réseau solidaire Sud")
            for n, p in enumerate(doc["projects"]):
                Project.objects.filter(project_id=p["id"]).update(
                    association=first if n < half else second)
            password = secrets.token_urlsafe(12)
            user, _ = User.objects.get_or_create(username="demo", defaults={"is_staff": True})
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            Membership.objects.get_or_create(user=user, role=Membership.NETWORK_ADMIN)
        try:
            code = create_enrollment_code(options["device"], shop=cafe)
        except AlreadyEnrolled:
            code = f"(already enrolled: central revoke --device {options['device']} first)"
        self.stdout.write(f"device {options['device']} enrollment code: {code}")
        self.stdout.write(f"back office login: demo / {password}  (at /backoffice/sign-in/)")
