"""The catalog cache (written by kiosk-sync only) and the owner's featured choice.

The module functions take the :class:`~kiosk.core.db.Database` so that
:mod:`kiosk.core.catalog` can read the cache with what the screen hands it; the
:class:`CatalogCache` part offers the same on the ledger."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from kiosk.core import db as dbmod
from kiosk.core.db import Database
from kiosk.core.ledger.audit_log import write_audit
from kiosk.core.ledger.part import LedgerPart
from kiosk.core.ledger.records import FEATURED_VERSION, utc_now
from kiosk.core.ledger.settings import bump_setting

PROJECT_COLUMNS = ("id", "association", "title", "summary", "image_sha256", "image_bytes",
                   "goal_cents", "raised_cents", "currency", "url", "starts_on", "ends_on",
                   "active", "supporters", "sponsor_name", "sponsor_text",
                   "sponsor_budget_cents", "sponsor_budget_left_cents", "sponsor_ends_on")
# catalog_meta keys of the shop's month total (absent: the catalog carried none).
SHOP_TOTAL_KEYS = ("shop_total_month", "shop_total_cents", "shop_total_currency")
# The shop's display name the total came with (absent: the catalog carried none).
SHOP_NAME_KEY = "shop_total_shop_name"
ASK_COLUMNS = ("project_id", "id", "what", "starts_at", "place", "duration_minutes", "needed",
               "signed_up", "url")
PLEDGE_COLUMNS = ("project_id", "id", "commitment", "threshold", "count", "deadline", "reached",
                  "url")


def project_rows(db: Database) -> list[dict[str, Any]]:
    """The cached projects in catalog order, one dict per row (``PROJECT_COLUMNS``)."""
    rows = db.conn.execute(f"SELECT {', '.join(PROJECT_COLUMNS)} FROM catalog_projects"
                           " ORDER BY position").fetchall()
    return [dict(zip(PROJECT_COLUMNS, r, strict=True)) for r in rows]


def ask_rows(db: Database) -> list[dict[str, Any]]:
    """The cached asks, by project and in catalog order (``ASK_COLUMNS``)."""
    rows = db.conn.execute(f"SELECT {', '.join(ASK_COLUMNS)} FROM catalog_asks"
                           " ORDER BY project_id, position").fetchall()
    return [dict(zip(ASK_COLUMNS, r, strict=True)) for r in rows]


def pledge_rows(db: Database) -> list[dict[str, Any]]:
    """The cached pledges, one per project at most (``PLEDGE_COLUMNS``)."""
    rows = db.conn.execute(f"SELECT {', '.join(PLEDGE_COLUMNS)} FROM catalog_pledges"
                           " ORDER BY project_id").fetchall()
    return [dict(zip(PLEDGE_COLUMNS, r, strict=True)) for r in rows]


def meta(db: Database) -> dict[str, str]:
    return dict(db.conn.execute("SELECT key, value FROM catalog_meta").fetchall())


def featured_ids(db: Database) -> list[str]:
    """The saved featured project ids, in the owner's order."""
    return [r[0] for r in db.conn.execute("SELECT project_id FROM featured ORDER BY position")]


class CatalogCache(LedgerPart):
    def catalog_projects(self) -> list[dict[str, Any]]:
        return project_rows(self.db)

    def catalog_meta(self) -> dict[str, str]:
        return meta(self.db)

    def has_cached_catalog(self) -> bool:
        return self.db.conn.execute("SELECT 1 FROM catalog_projects LIMIT 1").fetchone() is not None

    def live_image_hashes(self) -> set[str]:
        return {r[0] for r in self.db.conn.execute(
            "SELECT image_sha256 FROM catalog_projects WHERE image_sha256 IS NOT NULL")}

    def switch_catalog(self, projects: Iterable[Mapping[str, Any]], version: str, etag: str,
                       previous_images: set[str],
                       asks: Iterable[Mapping[str, Any]] = (),
                       pledges: Iterable[Mapping[str, Any]] = (),
                       shop_total: tuple[str, int, str] | None = None,
                       shop_name: str | None = None) -> None:
        """Replace the live catalog (rows keyed by ``PROJECT_COLUMNS``, in order; ``asks``
        keyed by ``ASK_COLUMNS``, in order within a project; ``pledges`` keyed by
        ``PLEDGE_COLUMNS``) and its meta in one
        transaction: the screen sees the old catalog or the new one, never a mix.
        ``previous_images`` stay on disk until the next switch (the screen may show one).
        ``shop_total``: (month, cents, currency) as the catalog carried it, or None;
        ``shop_name``: the shop's name it came with, kept only with a total."""
        new_meta = {"version": version, "etag": etag, "updated_at": utc_now(),
                    "previous_images": json.dumps(sorted(previous_images))}
        with dbmod.immediate(self.db) as conn:
            conn.execute("DELETE FROM catalog_projects")
            conn.executemany(
                f"INSERT INTO catalog_projects (position, {', '.join(PROJECT_COLUMNS)})"
                f" VALUES (?{', ?' * len(PROJECT_COLUMNS)})",
                [(n, *(p[c] for c in PROJECT_COLUMNS)) for n, p in enumerate(projects)])
            conn.execute("DELETE FROM catalog_asks")
            conn.executemany(
                f"INSERT INTO catalog_asks (position, {', '.join(ASK_COLUMNS)})"
                f" VALUES (?{', ?' * len(ASK_COLUMNS)})",
                [(n, *(a[c] for c in ASK_COLUMNS)) for n, a in enumerate(asks)])
            conn.execute("DELETE FROM catalog_pledges")
            conn.executemany(
                f"INSERT INTO catalog_pledges ({', '.join(PLEDGE_COLUMNS)})"
                f" VALUES (?{', ?' * (len(PLEDGE_COLUMNS) - 1)})",
                [tuple(p[c] for c in PLEDGE_COLUMNS) for p in pledges])
            conn.executemany("INSERT INTO catalog_meta (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                             list(new_meta.items()))
            conn.executemany("DELETE FROM catalog_meta WHERE key = ?",
                             [(k,) for k in (*SHOP_TOTAL_KEYS, SHOP_NAME_KEY)])
            if shop_total is not None:
                named = [(SHOP_NAME_KEY, shop_name)] if shop_name else []
                conn.executemany("INSERT INTO catalog_meta (key, value) VALUES (?, ?)",
                                 [*zip(SHOP_TOTAL_KEYS, map(str, shop_total), strict=True),
                                  *named])

    # -- the owner's featured choice ----------------------------------------------------------

    def featured_ids(self) -> list[str]:
        return featured_ids(self.db)

    def save_featured(self, project_ids: list[str], actor: str) -> int:
        """Store the ordered choice, bump ``featured_version`` (kiosk-sync pushes it) and audit
        ``featured_changed``, in one transaction; returns the new version."""
        with dbmod.immediate(self.db) as conn:
            before = featured_ids(self.db)
            conn.execute("DELETE FROM featured")
            conn.executemany("INSERT INTO featured (position, project_id) VALUES (?, ?)",
                             list(enumerate(project_ids, start=1)))
            version = bump_setting(conn, FEATURED_VERSION)
            write_audit(conn, actor, "featured_changed", before=before, after=project_ids,
                        version=version)
        return version
