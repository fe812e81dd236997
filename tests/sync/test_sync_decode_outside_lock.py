"""Images are decoded and verified while no write transaction is open on the ledger: a full-HD
photo takes tens of milliseconds to decode on a Pi, and the screen's pending commit must never
wait behind it. Only the switch to the new catalog takes the write lock, after every image."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from kiosk.sync import catalog_pull, image_cache
from tests.sync.conftest import Kiosk
from tests.sync.helpers import DEVICE_ID
from tests.sync.test_sync_catalog import project, publish


def photo(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (320, 200), (shade, 90, 160)).save(out, "JPEG")
    return out.getvalue()


def write_lock_is_free(ledger_path: Path) -> bool:
    """True if another connection gets the write lock at once (no one holds it)."""
    other = sqlite3.connect(ledger_path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:  # "database is locked"
        return False
    finally:
        other.close()


def test_no_write_transaction_is_open_while_an_image_is_decoded(
        kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(kiosk.central, "v1", [(project(f"p{i}", data), data)
                                  for i, data in enumerate(photo(40 * i) for i in range(3))])
    seen: list[tuple[bool, bool]] = []
    real_prove = image_cache.prove_image

    def watched_prove(path: Path, *args: object, **kwargs: object) -> None:
        seen.append((kiosk.ledger.db.conn.in_transaction,
                     write_lock_is_free(kiosk.cfg.ledger_path)))
        real_prove(path, *args, **kwargs)

    monkeypatch.setattr(image_cache, "prove_image", watched_prove)
    client = kiosk.client()
    try:
        result = catalog_pull.pull(kiosk.ledger, client, DEVICE_ID, kiosk.cfg.images_dir,
                                   1 << 20)
    finally:
        client.close()
    assert result.outcome == "updated"
    assert seen == [(False, True)] * 3  # every image decoded, none under the write lock
