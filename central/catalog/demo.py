"""The demo catalog the kiosk bundles (assets/demo-catalog), for ``central
demo-network`` and the tests: the same projects before and after a kiosk's first sync; and
what the demo network adds to it: a matching sponsor and the café's total for the month; and
the demo's two associations, which share its projects."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from kiosk.assets import DEMO_CATALOG_DIR

from central.catalog.images import image_url

SPONSORED = "jardin-capucins"
DEMO_SHOP_TOTAL_CENTS = 124_000  # « 1 240 € ce mois-ci », as if the café's kiosk had collected it

DEMO_CATALOG = DEMO_CATALOG_DIR / "catalog.json"

# Each demo association: the username of its own back-office login, its name, and what a tax
# receipt names of it (made up, in the demo's Lyon).
DEMO_ASSOCIATIONS = [
    ("nord", "Réseau solidaire Nord", {
        "address": "4 rue des Capucins, 69001 Lyon",
        "purpose": "Soutenir les initiatives solidaires des quartiers nord de Lyon",
        "registration": "W691000001", "signatory": "Claire Morel, trésorière"}),
    ("sud", "Réseau solidaire Sud", {
        "address": "18 quai Rambaud, 69002 Lyon",
        "purpose": "Soutenir les initiatives solidaires des quartiers sud de Lyon",
        "registration": "W691000002", "signatory": "Karim Benali, président"}),
]


def load(path: Path = DEMO_CATALOG) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The catalog body with image URLs pointing at this service, and the images by sha256."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    images: dict[str, bytes] = {}
    projects = []
    for project in doc["projects"]:
        project = dict(project)
        data = (path.parent / project["image"]["url"]).read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        if sha != project["image"]["sha256"]:
            raise ValueError(f"{path}: image of {project['id']} does not match its sha256")
        images[sha] = data
        project["image"] = {"url": image_url(sha), "sha256": sha, "bytes": len(data)}
        projects.append(project)
    return {"version": doc["version"], "projects": projects}, images


def add_sponsor_and_shop_total(shop: Any, today: dt.date) -> None:
    """A sponsor doubling gifts to the demo garden (500 €, two months), and a total for the
    shop this month; idempotent. The total is set, not earned: the demo has no donations."""
    # Imported here: load() is used where Django is not set up.
    from central.catalog.models import Project
    from central.donations.models import ShopMonthTotal
    from central.sponsors.models import Sponsor

    project = Project.objects.filter(project_id=SPONSORED).first()
    if project is not None:
        Sponsor.objects.get_or_create(project=project, defaults={
            "name": "la boulangerie Martin", "text": "Chaque don doublé, jusqu'à 500 €",
            "budget_cents": 50_000, "ends_on": today + dt.timedelta(days=60)})
    ShopMonthTotal.objects.get_or_create(shop=shop, month=today.replace(day=1), currency="EUR",
                                         defaults={"total_cents": DEMO_SHOP_TOTAL_CENTS})
