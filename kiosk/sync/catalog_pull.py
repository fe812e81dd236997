"""Pulling the catalog: ETag check, images into the cache, then one switch transaction.

The new catalog goes live only once every image it names is in the cache; until then, and
whenever a catalog is refused, the previous one stays live. Images of the previous catalog are
kept (the screen may still show them) and removed at the next switch.

Images are downloaded only if the data disk keeps, after them, the free space the ledger
needs to record donations (its ``min_free_disk_bytes`` guard): a catalog must never be the
reason a kiosk stops taking donations.
"""

from __future__ import annotations

import fcntl
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kiosk.core.ledger import Ledger, free_disk_bytes
from kiosk.sync.catalog_parse import (
    CatalogDoc,
    CatalogRefused,
    ImageRef,
    ProjectEntry,
    parse_catalog,
)
from kiosk.sync.client import ApiClient, Refused, Transient
from kiosk.sync.image_cache import ImageCache

log = logging.getLogger("kiosk.sync.catalog")


@dataclass(frozen=True)
class PullResult:
    outcome: str  # "not_modified", "updated" or "refused"
    version: str | None = None
    reason: str | None = None


def pull(ledger: Ledger, client: ApiClient, device_id: str, images_dir: Path,
         max_image_bytes: int) -> PullResult:
    """One catalog check. Network errors propagate (the caller backs off)."""
    cache = ImageCache(images_dir)
    images_dir.mkdir(parents=True, exist_ok=True)
    with open(images_dir.parent / "catalog.lock", "a") as lock:
        # One puller at a time (the service and `kioskctl sync --now`).
        fcntl.flock(lock, fcntl.LOCK_EX)
        meta = ledger.catalog_meta()
        cache.remove_unused(_keep(ledger, meta))  # partial downloads a crash left behind
        has_catalog = ledger.has_cached_catalog()
        headers = {"If-None-Match": meta["etag"]} if meta.get("etag") and has_catalog else {}
        answer = client.call("GET", f"v1/devices/{device_id}/catalog", headers=headers)
        if answer.status == 304:
            return PullResult("not_modified", meta.get("version"))
        try:
            try:
                body = answer.json()
            except Transient as e:
                raise CatalogRefused(f"catalog body: {e}") from None
            doc = parse_catalog(body, max_image_bytes)
            missing: dict[str, tuple[str, ImageRef]] = {}
            for project in doc.projects:
                if project.image and not cache.has(project.image):
                    missing.setdefault(project.image.sha256, (project.id, project.image))
            needed = sum(ref.bytes for _, ref in missing.values())
            for pid, ref in missing.values():
                # Checked before each download (something else may have used the disk since).
                check_room(images_dir, needed, ledger.limits.min_free_disk_bytes)
                try:
                    cache.fetch(client, ref)
                except CatalogRefused as e:
                    raise CatalogRefused(f"project {pid!r}: {e}") from None
                except Refused as e:  # 404 and the like: this catalog names a bad image
                    raise CatalogRefused(f"project {pid!r}: image: {e}") from None
                needed -= ref.bytes
        except CatalogRefused as e:
            log.warning("catalog refused, the previous one stays live: %s", e)
            return PullResult("refused", None, str(e))
        previous = ledger.live_image_hashes()
        switch(ledger, doc, answer.headers.get("etag", ""), previous)
        cache.remove_unused(_keep(ledger, ledger.catalog_meta()))
        log.info("catalog %s is live (%d projects)", doc.version, len(doc.projects))
        return PullResult("updated", doc.version)


class NoRoom(CatalogRefused):
    """The images would eat into the disk space kept for recording donations."""


def check_room(images_dir: Path, needed: int, reserve: int) -> None:
    free = free_disk_bytes(images_dir)
    if free - needed < reserve:
        raise NoRoom(f"not enough local storage for its images: {needed // 1024} KiB to "
                     f"download, {free // 1024} KiB free, {reserve // 1024} KiB kept for "
                     "recording donations")


def _keep(ledger: Ledger, meta: dict[str, str]) -> set[str]:
    return ledger.live_image_hashes() | set(json.loads(meta.get("previous_images", "[]")))


def switch(ledger: Ledger, doc: CatalogDoc, etag: str, previous_images: set[str]) -> None:
    """Replace the live catalog in one BEGIN IMMEDIATE transaction."""
    ledger.switch_catalog(
        [{"id": p.id, "association": p.association, "title": p.title, "summary": p.summary,
          "image_sha256": p.image.sha256 if p.image else None,
          "image_bytes": p.image.bytes if p.image else None, "goal_cents": p.goal_cents,
          "raised_cents": p.raised_cents, "currency": p.currency, "url": p.url,
          "starts_on": p.starts_on, "ends_on": p.ends_on, "active": int(p.active),
          "supporters": p.supporters, **_sponsor_columns(p)}
         for p in doc.projects],
        doc.version, etag, previous_images,
        asks=[{"project_id": p.id, **vars(a)} for p in doc.projects for a in p.asks],
        pledges=[{"project_id": p.id, **vars(p.pledge), "reached": int(p.pledge.reached)}
                 for p in doc.projects if p.pledge is not None],
        shop_total=(doc.shop_total.month, doc.shop_total.raised_cents, doc.shop_total.currency)
        if doc.shop_total else None,
        shop_name=doc.shop_total.shop_name if doc.shop_total else None)


def _sponsor_columns(p: ProjectEntry) -> dict[str, Any]:
    s = p.sponsor
    return {"sponsor_name": s.name if s else None, "sponsor_text": s.text if s else None,
            "sponsor_budget_cents": s.budget_cents if s else None,
            "sponsor_budget_left_cents": s.budget_left_cents if s else None,
            "sponsor_ends_on": s.ends_on if s else None}
