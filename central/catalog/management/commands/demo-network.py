"""``central demo-network``: two associations, two shops, the demo projects of the kiosk's
bundled catalog (one with a matching sponsor, the first with a pledge well on its way, the café
with a total this month), one demo device with an enrollment code, a network administrator's
login and each association's login (all printed). The associations carry what a tax receipt
must name (address, object, number, signatory), so a claim filed in the demo can be issued."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from central.accounts.models import Membership
from central.catalog.demo import DEMO_ASSOCIATIONS, add_sponsor_and_shop_total, load
from central.catalog.models import Association, Project, Shop
from central.catalog.services import publish_catalog
from central.devices.services import AlreadyEnrolled, create_enrollment_code
from central.engagement.models import Pledge, PledgeSignature

DEMO_PLEDGERS = 312  # of 500: the kiosk shows « 312 / 500 voisins »


class Command(BaseCommand):
    help = "Create a demo network (idempotent) and print a device code and the logins."

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
            associations = {
                username: Association.objects.update_or_create(name=name, defaults=about)[0]
                for username, name, about in DEMO_ASSOCIATIONS}
            first, second = associations.values()
            for n, p in enumerate(doc["projects"]):
                Project.objects.filter(project_id=p["id"]).update(
                    association=first if n < half else second)
            add_sponsor_and_shop_total(cafe, timezone.localdate())
            _demo_pledge(Project.objects.get(project_id=doc["projects"][0]["id"]))
            password = self.login("demo", superuser=True)
            Membership.objects.get_or_create(user=User.objects.get(username="demo"),
                                             role=Membership.NETWORK_ADMIN)
            # Each association's own login: its claims, receipts and money.
            association_passwords = {}
            for username, association in associations.items():
                association_passwords[username] = self.login(username)
                Membership.objects.get_or_create(user=User.objects.get(username=username),
                                                 role=Membership.ASSOCIATION,
                                                 association=association)
        try:
            code = create_enrollment_code(options["device"], shop=cafe)
        except AlreadyEnrolled:
            code = f"(already enrolled: central revoke --device {options['device']} first)"
        self.stdout.write(f"device {options['device']} enrollment code: {code}")
        self.stdout.write(f"back office login: demo / {password}  (at /backoffice/sign-in/)")
        for username, association in associations.items():
            self.stdout.write(f"association login ({association.name}): "
                              f"{username} / {association_passwords[username]}")

    @staticmethod
    def login(username: str, superuser: bool = False) -> str:
        """A staff user with a new random password (printed, never stored in clear)."""
        password = secrets.token_urlsafe(12)
        user, _ = User.objects.get_or_create(username=username)
        user.is_staff, user.is_superuser = True, superuser
        user.set_password(password)
        user.save()
        return password


def _demo_pledge(project: Project) -> None:
    """One pledge, with made-up confirmed neighbours at example.org (created once)."""
    pledge, created = Pledge.objects.get_or_create(
        project=project, commitment="Je trie mes biodéchets", defaults={
            "threshold": 500, "deadline": timezone.localdate() + dt.timedelta(days=60),
            "outcome": "La mairie installe un deuxième composteur au square."})
    if created:
        now = timezone.now()
        PledgeSignature.objects.bulk_create(
            PledgeSignature(pledge=pledge, email=f"voisin{n}@example.org",
                            token_sha256=secrets.token_hex(32), confirmed_at=now)
            for n in range(DEMO_PLEDGERS))
