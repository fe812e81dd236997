"""Writes to the catalog: images (content-addressed), featured order, bulk publishing."""

from __future__ import annotations

import hashlib
from datetime import date
from typing import Any

from django.db import transaction

from central.catalog.models import Association, Image, Project, Shop, ShopProject


def store_image(data: bytes, content_type: str = "image/jpeg") -> Image:
    """The image under its sha256 (stored once, whatever asks for it again)."""
    sha = hashlib.sha256(data).hexdigest()
    found, _ = Image.objects.get_or_create(
        sha256=sha, defaults={"data": data, "content_type": content_type, "size": len(data)})
    return found


def apply_featured_order(shop_id: int, project_ids: list[str]) -> None:
    """Positions 0..n-1 for the listed projects of the shop, none for the others."""
    position = {pid: n for n, pid in enumerate(project_ids)}
    with transaction.atomic():
        listings = list(ShopProject.objects.filter(shop_id=shop_id)
                        .select_related("project").select_for_update())
        for listing in listings:
            listing.position = position.get(listing.project.project_id)
        ShopProject.objects.bulk_update(listings, ["position"])


def _date(v: Any) -> date | None:
    return date.fromisoformat(v) if v else None


def publish_catalog(shop: Shop, doc: dict[str, Any], images: dict[str, bytes]) -> None:
    """Make ``doc``'s projects (the contract's Project shape) exactly the shop's listing:
    associations and projects created or updated by id, images stored. For the demo and
    the tests; the back office edits the same models one by one."""
    with transaction.atomic():
        for data in images.values():
            store_image(data, "image/png" if data[:8] == b"\x89PNG\r\n\x1a\n" else "image/jpeg")
        keep = []
        for p in doc.get("projects", []):
            association, _ = Association.objects.get_or_create(name=p["association"])
            sha = (p.get("image") or {}).get("sha256")
            project, _ = Project.objects.update_or_create(project_id=p["id"], defaults={
                "association": association, "title": p["title"], "summary": p["summary"],
                "image": Image.objects.filter(sha256=sha).first() if sha else None,
                "goal_cents": p.get("goal_cents", 0), "raised_cents": p.get("raised_cents", 0),
                "supporters": p.get("supporters") or 0,
                "currency": p.get("currency", "EUR"), "url": p.get("url"),
                "starts_on": _date(p.get("starts_on")), "ends_on": _date(p.get("ends_on")),
                "active": p.get("active", True)})
            ShopProject.objects.get_or_create(shop=shop, project=project)
            keep.append(project.pk)
        ShopProject.objects.filter(shop=shop).exclude(project_id__in=keep).delete()
