"""The catalog of local projects, as the screen reads it.

``kiosk-sync`` is the only writer of the cache (tables ``catalog_projects`` and
``catalog_meta`` in the ledger, images in ``data_dir/images/<sha256>``). The screen only ever
reads it through :func:`load`. A device that has never synced shows the bundled demo catalog
from ``assets/demo-catalog/``, which has the same JSON shape as the central API's catalog.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.assets import DEMO_CATALOG_DIR
from kiosk.core.ledger import catalog_cache

if TYPE_CHECKING:
    from kiosk.core.db import Database

DEMO_CATALOG = DEMO_CATALOG_DIR / "catalog.json"

# The most pixels a catalog image may have, read from its header before anything is decoded:
# a 4096 x 4096 photo is ~64 MiB decoded (RGBA), while a PNG of a few hundred KB can declare
# 12 000 x 12 000 (550 MiB) and get the screen OOM-killed on a 1 GiB Pi. kiosk-sync refuses
# bigger images; the screen does not decode one that is already in its cache.
MAX_IMAGE_PIXELS = 4096 * 4096


@dataclass(frozen=True)
class Ask:
    """A project's call for volunteers; people sign up on their phone at ``url``."""

    id: str
    what: str
    starts_at: str  # RFC 3339 with the association's offset
    place: str
    duration_minutes: int
    needed: int
    signed_up: int
    url: str

    @property
    def is_open(self) -> bool:
        return self.signed_up < self.needed


@dataclass(frozen=True)
class Sponsor:
    """Matches each gift to the project (EUR cents) while its budget lasts."""

    name: str
    text: str
    budget_cents: int
    budget_left_cents: int  # as the central service last said
    ends_on: str


@dataclass(frozen=True)
class ShopTotal:
    """What the shop collected in ``month`` (YYYY-MM), as the central service last said."""

    month: str
    raised_cents: int
    currency: str
    shop_name: str | None = None  # None: the generic « Ce commerce »


@dataclass(frozen=True)
class Pledge:
    """A project's pledge: people commit on their phone at ``url``, and it is ``reached``
    once ``count`` confirmed people reach ``threshold``."""

    id: str
    commitment: str
    threshold: int
    count: int
    deadline: str  # YYYY-MM-DD, the last day to pledge
    reached: bool
    url: str


@dataclass(frozen=True)
class Project:
    id: str
    association: str
    title: str
    summary: str
    image_path: Path | None
    goal_cents: int
    raised_cents: int
    currency: str
    url: str | None
    starts_on: str | None
    ends_on: str | None
    active: bool
    supporters: int | None = None  # donors so far, when the central catalog says
    asks: tuple[Ask, ...] = ()  # open volunteer asks, soonest first, when it has any
    sponsor: Sponsor | None = None  # a matching sponsor, while it still matches
    pledge: Pledge | None = None  # its open pledge, when it has one

    def available(self, today: dt.date | None = None) -> bool:
        """Active and within its dates: only such a project can be featured or given to."""
        today = today or dt.date.today()
        if not self.active:
            return False
        if self.starts_on and dt.date.fromisoformat(self.starts_on) > today:
            return False
        return not (self.ends_on and dt.date.fromisoformat(self.ends_on) < today)


@dataclass(frozen=True)
class Catalog:
    source: str  # "server" or "demo"
    version: str
    projects: list[Project]
    shop_total: ShopTotal | None = None

    def by_id(self) -> dict[str, Project]:
        return {p.id: p for p in self.projects}


def load(db: Database, data_dir: Path) -> Catalog:
    """The live catalog from the cache (``ledger.db``), or the bundled demo catalog if none
    was synced."""
    rows = catalog_cache.project_rows(db)
    if not rows:
        return load_demo()
    images = Path(data_dir) / "images"
    asks: dict[str, list[Ask]] = {}
    for a in catalog_cache.ask_rows(db):
        asks.setdefault(a.pop("project_id"), []).append(Ask(**a))
    pledges = {r.pop("project_id"): Pledge(**{**r, "reached": bool(r["reached"])})
               for r in catalog_cache.pledge_rows(db)}
    projects = [
        Project(id=r["id"], association=r["association"], title=r["title"],
                summary=r["summary"],
                image_path=(images / r["image_sha256"]) if r["image_sha256"] else None,
                goal_cents=r["goal_cents"], raised_cents=r["raised_cents"],
                currency=r["currency"], url=r["url"], starts_on=r["starts_on"],
                ends_on=r["ends_on"], active=bool(r["active"]),
                supporters=r["supporters"], asks=tuple(asks.get(r["id"], ())),
                sponsor=_sponsor(r), pledge=pledges.get(r["id"]))
        for r in rows
    ]
    meta = catalog_cache.meta(db)
    return Catalog("server", meta.get("version", ""), projects, shop_total_from_meta(meta))


def _sponsor(row: dict[str, Any]) -> Sponsor | None:
    if row["sponsor_name"] is None:
        return None
    return Sponsor(row["sponsor_name"], row["sponsor_text"], row["sponsor_budget_cents"],
                   row["sponsor_budget_left_cents"], row["sponsor_ends_on"])


def shop_total_from_meta(meta: dict[str, str]) -> ShopTotal | None:
    """The shop's month total as the last catalog switch cached it (None: none carried)."""
    month, cents, currency = (meta.get(k) for k in catalog_cache.SHOP_TOTAL_KEYS)
    if month is None or cents is None or currency is None:
        return None
    return ShopTotal(month, int(cents), currency, meta.get(catalog_cache.SHOP_NAME_KEY))


def load_demo(path: Path = DEMO_CATALOG) -> Catalog:
    """The bundled demo catalog; image URLs are paths relative to the JSON file."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    projects = []
    for p in doc["projects"]:
        image = p.get("image") or {}
        projects.append(Project(
            id=p["id"], association=p["association"], title=p["title"], summary=p["summary"],
            image_path=(path.parent / image["url"]) if image.get("url") else None,
            goal_cents=p["goal_cents"], raised_cents=p["raised_cents"], currency=p["currency"],
            url=p.get("url"), starts_on=p.get("starts_on"), ends_on=p.get("ends_on"),
            active=bool(p.get("active", True)), supporters=p.get("supporters"),
            asks=tuple(Ask(**a) for a in p.get("asks", ())),
            pledge=Pledge(**p["pledge"]) if p.get("pledge") else None,
            sponsor=Sponsor(**p["sponsor"]) if p.get("sponsor") else None))
    total = doc.get("shop_total")
    return Catalog("demo", str(doc.get("version", "demo")), projects,
                   ShopTotal(**total) if total else None)


def featured(db: Database, catalog: Catalog, limit: int,
             today: dt.date | None = None) -> list[Project]:
    """The shop's featured projects in its order, skipping any no longer available; with no
    choice made yet, the first available projects of the catalog."""
    by_id = catalog.by_id()
    chosen = catalog_cache.featured_ids(db)
    picked = [by_id[i] for i in chosen if i in by_id and by_id[i].available(today)]
    if not chosen:
        picked = [p for p in catalog.projects if p.available(today)]
    return picked[:limit]
