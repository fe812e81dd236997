"""What a device's catalog holds: its shop's active projects, featured ones first."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db.models import F
from django.utils import timezone

from central.catalog.images import image_url
from central.catalog.models import Image, Project, ShopProject
from central.common.canonical import canonical
from central.devices.models import Device
from central.donations.models import ShopMonthTotal
from central.engagement import selectors as engagement
from central.engagement.models import Ask, Pledge
from central.sponsors import selectors as sponsors
from central.sponsors.models import Sponsor


def _ask_doc(ask: Ask, base_url: str) -> dict[str, Any]:
    # Local time with its offset: the kiosk shows the hour as the association wrote it.
    return {"id": ask.token, "what": ask.what,
            "starts_at": timezone.localtime(ask.starts_at).isoformat(timespec="seconds"),
            "place": ask.place, "duration_minutes": ask.duration_minutes,
            "needed": ask.needed, "signed_up": ask.signed_up,
            "url": base_url.rstrip("/") + ask.get_absolute_url()}


def _sponsor_doc(sponsor: Sponsor) -> dict[str, Any]:
    return {"name": sponsor.name, "text": sponsor.text, "budget_cents": sponsor.budget_cents,
            "budget_left_cents": sponsor.budget_left_cents,
            "ends_on": sponsor.ends_on.isoformat()}


def _pledge_doc(pledge: Pledge, base_url: str) -> dict[str, Any]:
    return {"id": pledge.token, "commitment": pledge.commitment,
            "threshold": pledge.threshold, "count": pledge.confirmed,
            "deadline": pledge.deadline.isoformat(), "reached": pledge.reached_at is not None,
            "url": base_url.rstrip("/") + pledge.get_absolute_url()}


def _project_doc(listing: ShopProject, asks: list[Ask], pledge: Pledge | None,
                 sponsor: Sponsor | None, base_url: str) -> dict[str, Any]:
    p = listing.project
    image = None
    if p.image is not None:
        image = {"url": image_url(p.image.sha256), "sha256": p.image.sha256,
                 "bytes": p.image.size}
    doc = {"id": p.project_id, "association": p.association.name, "title": p.title,
           "summary": p.summary, "image": image, "goal_cents": p.goal_cents,
           "raised_cents": p.raised_cents, "supporters": p.supporters,
           "currency": p.currency, "url": p.url or None,
           "starts_on": p.starts_on.isoformat() if p.starts_on else None,
           "ends_on": p.ends_on.isoformat() if p.ends_on else None, "active": p.active}
    if asks:  # only when there are: a project without asks keeps the body it always had
        doc["asks"] = [_ask_doc(a, base_url) for a in asks]
    if sponsor is not None:  # likewise: only while it still matches
        doc["sponsor"] = _sponsor_doc(sponsor)
    if pledge is not None:  # likewise: only a project with an open pledge has the field
        doc["pledge"] = _pledge_doc(pledge, base_url)
    return doc


def shop_total(shop_id: int | None, today: dt.date) -> dict[str, Any] | None:
    """The shop's total for ``today``'s month (its kiosks' approved gifts, as the ingest
    keeps it), in euros; None when nothing was collected yet. One indexed lookup."""
    month = today.replace(day=1)
    row = ShopMonthTotal.objects.filter(shop_id=shop_id, month=month, currency="EUR")
    # The shop's name in the same query: the kiosk says « Café des Capucins a collecté … ».
    found = row.values_list("total_cents", "shop__name").first() if shop_id else None
    if not found or not found[0]:
        return None
    cents, name = found
    return {"month": f"{month:%Y-%m}", "raised_cents": cents, "currency": "EUR",
            "shop_name": name}


def device_catalog(device: Device, base_url: str = "") -> dict[str, Any]:
    """The catalog body; ``version`` is a hash of its projects, so it (and the ETag) changes
    whenever anything shown changes, raised amounts, supporters, sign-up and pledge counts,
    sponsors' budgets left and the shop's month total included. Five queries. ``base_url``:
    the public address the asks' sign-up links start with."""
    listings = (ShopProject.objects.filter(shop_id=device.shop_id, project__active=True)
                .select_related("project__association", "project__image")
                .defer("project__image__data")
                .order_by(F("position").asc(nulls_last=True), "project__title",
                          "project__project_id"))
    listings = list(listings) if device.shop_id else []
    pks = [listing.project_id for listing in listings]
    asks = engagement.open_asks(pks, timezone.now())
    pledges = engagement.open_pledges(pks, timezone.localdate())
    matching = sponsors.matching(pks, timezone.localdate()) if pks else {}
    projects = [_project_doc(listing, asks.get(listing.project_id, []),
                             pledges.get(listing.project_id),
                             matching.get(listing.project_id), base_url)
                for listing in listings]
    total = shop_total(device.shop_id, timezone.localdate())
    # Without a shop total the version is the hash it always was (no needless re-download).
    hashed: Any = projects if total is None else {"projects": projects, "shop_total": total}
    version = hashlib.sha256(canonical(hashed).encode()).hexdigest()[:32]
    doc: dict[str, Any] = {"version": version, "projects": projects}
    if total is not None:
        doc["shop_total"] = total
    return doc


def image(sha256: str) -> Image | None:
    return Image.objects.filter(sha256=sha256).first()


def public_project(project_id: str) -> Project | None:
    return Project.objects.select_related("association", "image").filter(
        project_id=project_id, active=True).first()


def project_photo(sha256: str) -> Image | None:
    """Only a photo some project shows: the image store holds nothing else public."""
    return Image.objects.filter(sha256=sha256, pk__in=Project.objects.values("image")).first()
