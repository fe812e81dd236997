"""What a device's catalog holds: its shop's active projects, featured ones first."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import F

from central.catalog.images import image_url
from central.catalog.models import Image, Project, ShopProject
from central.common.canonical import canonical
from central.devices.models import Device


def _project_doc(listing: ShopProject) -> dict[str, Any]:
    p = listing.project
    image = None
    if p.image is not None:
        image = {"url": image_url(p.image.sha256), "sha256": p.image.sha256,
                 "bytes": p.image.size}
    return {"id": p.project_id, "association": p.association.name, "title": p.title,
            "summary": p.summary, "image": image, "goal_cents": p.goal_cents,
            "raised_cents": p.raised_cents, "currency": p.currency, "url": p.url or None,
            "starts_on": p.starts_on.isoformat() if p.starts_on else None,
            "ends_on": p.ends_on.isoformat() if p.ends_on else None, "active": p.active}


def device_catalog(device: Device) -> dict[str, Any]:
    """The catalog body; ``version`` is a hash of its projects, so it (and the ETag) changes
    whenever anything shown changes, raised amounts included. One query."""
    listings = (ShopProject.objects.filter(shop_id=device.shop_id, project__active=True)
                .select_related("project__association", "project__image")
                .defer("project__image__data")
                .order_by(F("position").asc(nulls_last=True), "project__title",
                          "project__project_id"))
    projects = [_project_doc(listing) for listing in listings] if device.shop_id else []
    version = hashlib.sha256(canonical(projects).encode()).hexdigest()[:32]
    return {"version": version, "projects": projects}


def image(sha256: str) -> Image | None:
    return Image.objects.filter(sha256=sha256).first()


def public_project(project_id: str) -> Project | None:
    return Project.objects.select_related("association", "image").filter(
        project_id=project_id, active=True).first()


def project_photo(sha256: str) -> Image | None:
    """Only a photo some project shows: the image store holds nothing else public."""
    return Image.objects.filter(sha256=sha256, pk__in=Project.objects.values("image")).first()
