"""Test material for the settings screens: a catalog cache written the way kiosk-sync writes
it (rows in ``catalog_projects``, photos content-addressed under ``data_dir/images``)."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from kiosk.core import catalog as catalogmod
from kiosk.core import db as dbmod
from kiosk.core.catalog import Catalog, Project


def store_catalog(ledger, data_dir: Path, projects: list[Project],
                  ended: list[str] = ()) -> Catalog:
    images = data_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    with dbmod.immediate(ledger.db) as conn:
        conn.execute("DELETE FROM catalog_projects")
        for position, p in enumerate(projects, start=1):
            sha = None
            if p.image_path is not None:
                sha = hashlib.sha256(Path(p.image_path).read_bytes()).hexdigest()
                shutil.copy(p.image_path, images / sha)
            conn.execute(
                "INSERT INTO catalog_projects (id, position, association, title, summary,"
                " image_sha256, image_bytes, goal_cents, raised_cents, currency, url, starts_on,"
                " ends_on, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (p.id, position, p.association, p.title, p.summary, sha, None, p.goal_cents,
                 p.raised_cents, p.currency, p.url, "2026-01-01" if p.id in ended else None,
                 "2026-01-31" if p.id in ended else None, int(p.active)))
        conn.execute("INSERT INTO catalog_meta (key, value) VALUES ('version', 'test-1')"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    return catalogmod.load(ledger.db, data_dir)
