"""Checking the database file, and moving a broken one aside for the operator."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path

from kiosk.core.db import Database
from kiosk.core.ledger.records import OUT_OF_SERVICE_MARKER, utc_now


def looks_corrupt(e: sqlite3.Error) -> bool:
    text = str(e).lower()
    return any(w in text for w in ("malformed", "not a database", "corrupt", "integrity"))


def quick_check(db: Database) -> list[str]:
    """``PRAGMA quick_check``: an empty list when the database is sound."""
    rows = [r[0] for r in db.conn.execute("PRAGMA quick_check").fetchall()]
    return [] if rows == ["ok"] else rows


def integrity_check(db: Database) -> list[str]:
    """The slower, thorough ``PRAGMA integrity_check`` (on demand: ``kioskctl db check``)."""
    rows = [r[0] for r in db.conn.execute("PRAGMA integrity_check").fetchall()]
    return [] if rows == ["ok"] else rows


def move_aside(path: Path, reason: str) -> Path:
    """Move a broken database (and its WAL and SHM) aside, never deleting it, and leave an
    out-of-service marker that only an operator clears."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    dest_dir = path.parent / "corrupt" / f"{path.stem}-{stamp}"
    dest_dir.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{path}{suffix}")
        if src.exists():
            shutil.move(str(src), dest_dir / src.name)
    marker = path.parent / OUT_OF_SERVICE_MARKER
    marker.write_text(json.dumps({"reason": reason, "moved_to": str(dest_dir),
                                  "at": utc_now()}, indent=2))
    return dest_dir


def out_of_service_reason(data_dir: Path) -> str:
    marker = Path(data_dir) / OUT_OF_SERVICE_MARKER
    try:
        info = json.loads(marker.read_text())
        return (f"out of service since {info.get('at')}: the ledger failed its check "
                f"({info.get('reason')}) and was moved to {info.get('moved_to')}; after "
                f"review run 'kioskctl db resume'")
    except (OSError, ValueError):
        return f"out of service: see {marker}; after review run 'kioskctl db resume'"
